"""What a connector's fetch hooks are handed: the school, the delta cursor, and callbacks.

A fetch hook yields records lazily and reports, through its :class:`FetchContext`, the rows
it had to skip (``report_invalid``), the kinds it fetched as a delta rather than a full
snapshot (``mark_delta``) and explicit removals seen in a delta (``report_removed``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import attrs

from rostersync_core.model import RecordKind

__all__ = ["FetchContext", "InvalidRow"]


@attrs.frozen
class InvalidRow:
    """An SIS row that failed validation. It counts as *unknown*, never as *absent*.

    ``sis_id`` is the row's id when it could be read (``""`` otherwise); ``reason`` says
    what is wrong without quoting personal data.
    """

    kind: RecordKind
    sis_id: str
    reason: str


@attrs.define
class FetchContext:
    """Per-school fetch parameters and the channel back to the engine.

    - ``sis_school_id``: the SIS's id of the school being fetched.
    - ``since``: when set, the connector may fetch only what changed since then (a delta);
      it must then call :meth:`mark_delta` for each kind it fetched that way.
    - ``limit``: when set, fetch at most about this many records of each kind, for fast
      runs (the contract suite uses it); records that kept records depend on must still be
      yielded (an enrolment's class and person).
    """

    sis_school_id: str
    since: dt.datetime | None = None
    limit: int | None = None
    invalid: list[InvalidRow] = attrs.field(factory=list)
    delta_kinds: set[RecordKind] = attrs.field(factory=set)
    removed: dict[RecordKind, set[str]] = attrs.field(factory=dict)
    on_progress: Callable[[RecordKind, int], None] | None = None

    def report_invalid(self, kind: RecordKind, sis_id: str, reason: str) -> None:
        """Report a row that was skipped because it failed validation."""
        self.invalid.append(InvalidRow(kind, sis_id, reason))

    def mark_delta(self, kind: RecordKind) -> None:
        """Say that ``kind`` was fetched as a delta: records not yielded are unchanged."""
        self.delta_kinds.add(kind)

    def report_removed(self, kind: RecordKind, sis_id: str) -> None:
        """In a delta, an explicit removal (OneRoster ``tobedeleted``) of one record."""
        self.removed.setdefault(kind, set()).add(sis_id)

    def progress(self, kind: RecordKind, count: int) -> None:
        """Tell the engine that ``count`` more records of ``kind`` were read."""
        if self.on_progress is not None:
            self.on_progress(kind, count)
