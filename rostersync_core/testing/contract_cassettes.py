"""Recorded HTTP cassettes for the contract suite (vcrpy): replay by default, record on demand.

Replay (the default) never touches the network: a request with no recorded answer fails.
``pytest --rostersync-record`` re-records every cassette against the SIS the config points
at, scrubbed as :mod:`rostersync_core.testing.cassettes` describes (``Authorization`` and
cookie headers dropped, every secret config value, raw or URL-encoded, replaced by
``<secret>``, token fields ``<redacted>``, password fields removed). Requests match on the
full address (:data:`~rostersync_core.testing.cassettes.MATCH_EXACT`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rostersync_core.testing import cassettes
from rostersync_core.testing.cassettes import SCRUBBED, secret_forms, shows_secret

__all__ = ["SCRUBBED", "cassette", "scan_for_secrets", "secret_forms", "shows_secret"]


@contextmanager
def cassette(path: Path, *, record: bool, secrets: Iterable[str]) -> Iterator[None]:
    """Replay (or, with ``record``, re-record) the HTTP traffic of one test from ``path``."""
    with cassettes.cassette(path, record=record, secrets=secrets):
        yield


def scan_for_secrets(directory: Path, secrets: set[str]) -> list[tuple[Path, str]]:
    """``(file, secret)`` for each secret value found in a cassette under ``directory``."""
    return [
        (file, secret)
        for file in sorted(p for p in directory.rglob("*") if p.is_file())
        for secret in sorted(secrets)
        if shows_secret(file.read_text(errors="replace"), secret)
    ]
