"""Suggested changes, tried inside the benchmark process only (never in the product).

``benchmarks.pipeline --experiment NAME`` applies one before the sync, so a suggestion in
``docs/performance.md`` comes with a measured gain. Each replaces one function of a module
owned by another engineer, in memory, with the change the doc proposes.

None is pending: the two tried so far (``rebind``: ``diff._rebind`` returning the record
itself; ``msgspec-encode``: stored change values encoded by msgspec) are in the product
since commits f122899 and 08c69db. Add the next one to :data:`EXPERIMENTS`.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["EXPERIMENTS", "apply"]

EXPERIMENTS: dict[str, Callable[[], None]] = {}


def apply(names: list[str]) -> None:
    unknown = [name for name in names if name not in EXPERIMENTS]
    if unknown:
        known = ", ".join(sorted(EXPERIMENTS)) or "none at the moment"
        raise SystemExit(f"unknown experiment(s) {', '.join(unknown)}; known: {known}")
    for name in names:
        EXPERIMENTS[name]()
