"""vcrpy cassettes of the connector's HTTP traffic, recorded from the fake server.

A thin layer over :mod:`rostersync_core.testing.cassettes` (the one scrubbing and the one
scan). Replay is the default and never touches the network; set
``ROSTERSYNC_RECORD_CASSETTES=1`` to re-record against a live :class:`FakeOneRosterServer`.
Requests are matched on method, path and query (not host or port: the fake server's port
changes every run).

Before anything is written: ``Authorization`` (and cookie) headers are dropped, tokens in
a JSON body become ``<redacted>``, password fields are removed, and the client secret is
replaced wherever it appears. :func:`cassette_problems` checks a folder for leftovers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rostersync_core.testing import cassettes
from rostersync_core.testing.cassettes import cassette_problems

__all__ = ["RECORD_ENV", "cassette_problems", "recording", "use_cassette"]

RECORD_ENV = "ROSTERSYNC_RECORD_CASSETTES"


def recording() -> bool:
    """True when cassettes are to be re-recorded (``ROSTERSYNC_RECORD_CASSETTES=1``)."""
    return cassettes.env_asks_to_record(RECORD_ENV)


@contextmanager
def use_cassette(path: Path, *, secrets: Iterable[str] = ()) -> Iterator[None]:
    """Record (when :func:`recording`) or replay the HTTP traffic inside the block."""
    with cassettes.cassette(
        path,
        record=recording(),
        secrets=secrets,
        match_on=cassettes.MATCH_ANY_ADDRESS,
        how_to_record=f"with {RECORD_ENV}=1 pytest rostersync_oneroster/tests",
    ):
        yield
