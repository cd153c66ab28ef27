"""Suggested changes, tried inside the benchmark process only (never in the product).

``benchmarks.pipeline --experiment NAME`` applies one before the sync, so a suggestion in
``docs/performance.md`` comes with a measured gain. Each replaces one function of a module
owned by another engineer, in memory, with the change the doc proposes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["EXPERIMENTS", "apply"]


def _rebind_identity() -> None:
    """``diff._rebind`` returns the record itself when its ids are already the ones asked."""
    from rostersync_core.model import Enrolment, FamilyLink
    from rostersync_core.sync import diff

    original = diff._rebind

    def _rebind(rec: Any, left: str, right: str) -> Any:
        if type(rec) is Enrolment:
            same = rec.class_sis_id == left and rec.person_sis_id == right
        else:
            assert type(rec) is FamilyLink
            same = rec.family_sis_id == left and rec.student_sis_id == right
        return rec if same else original(rec, left, right)

    diff._rebind = _rebind


def _msgspec_encode() -> None:
    """Stored change values encoded by ``msgspec`` instead of the stdlib encoder."""
    import msgspec

    from rostersync_core.sync import changes, transitions

    encoder = msgspec.json.Encoder()
    getters = changes._GETTERS

    def encode_values(values: Any) -> str | None:
        if values is None:
            return None
        cls = type(values)
        return encoder.encode([cls.__name__, *getters[cls](values)]).decode()

    transitions.encode_values = encode_values  # type: ignore[attr-defined]


EXPERIMENTS: dict[str, Callable[[], None]] = {
    "rebind": _rebind_identity,
    "msgspec-encode": _msgspec_encode,
}


def apply(names: list[str]) -> None:
    for name in names:
        EXPERIMENTS[name]()
