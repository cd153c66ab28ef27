"""Fetch everything a connector yields for one school, for the contract suite's checks.

:func:`fetch_roster` calls each fetch hook through the :class:`~rostersync_core.Connector`
(so errors are wrapped exactly as in a real sync) and keeps what each hook yielded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from rostersync_core.connector import Connector
from rostersync_core.fetch import FetchContext, InvalidRow
from rostersync_core.model import (
    AcademicSession,
    Course,
    Enrolment,
    FamilyLink,
    Grade,
    Person,
    Record,
    RecordKind,
    School,
    SchoolClass,
    Subject,
    fingerprint,
    record_kind,
)

__all__ = ["FETCH_HOOKS", "HOOK_OF_KIND", "FetchedRoster", "describe_record", "fetch_roster"]

#: Each fetch hook (without the ``rostersync_`` prefix) and the record types it may yield.
FETCH_HOOKS: Mapping[str, tuple[type, ...]] = {
    "fetch_grades": (Grade,),
    "fetch_subjects": (Subject,),
    "fetch_classes": (AcademicSession, Course, SchoolClass),
    "fetch_people": (Person,),
    "fetch_enrolments": (Enrolment, FamilyLink),
}

#: The hook that yields each kind of record.
HOOK_OF_KIND: Mapping[RecordKind, str] = {
    RecordKind.SCHOOL: "rostersync_list_schools",
    RecordKind.GRADE: "rostersync_fetch_grades",
    RecordKind.SUBJECT: "rostersync_fetch_subjects",
    RecordKind.SESSION: "rostersync_fetch_classes",
    RecordKind.COURSE: "rostersync_fetch_classes",
    RecordKind.CLASS: "rostersync_fetch_classes",
    RecordKind.STUDENT: "rostersync_fetch_people",
    RecordKind.STAFF: "rostersync_fetch_people",
    RecordKind.FAMILY: "rostersync_fetch_people",
    RecordKind.ENROLMENT: "rostersync_fetch_enrolments",
    RecordKind.FAMILY_LINK: "rostersync_fetch_enrolments",
}


@attrs.frozen
class FetchedRoster:
    """What one connector yielded for one school, hook by hook, in order."""

    sis_school_id: str
    by_hook: Mapping[str, tuple[Any, ...]]
    invalid: tuple[InvalidRow, ...] = ()
    limit: int | None = None
    since: dt.datetime | None = None
    delta_kinds: frozenset[RecordKind] = frozenset()

    def records(self) -> Iterator[tuple[str, Any]]:
        """``(hook, record)`` for everything yielded (including objects of a wrong type)."""
        for hook, items in self.by_hook.items():
            for item in items:
                yield hook, item

    def of_kind(self, kind: RecordKind) -> list[Record]:
        """Every well-typed record of ``kind``."""
        return [r for _, r in self.records() if _is_record(r) and record_kind(r) is kind]

    def keys(self, kind: RecordKind) -> set[str]:
        return {r.key for r in self.of_kind(kind)}

    def fingerprints(self) -> dict[tuple[RecordKind, str], str]:
        """``(kind, key) -> fingerprint`` of every well-typed record (the last one wins)."""
        return {(record_kind(r), r.key): fingerprint(r) for _, r in self.records() if _is_record(r)}

    def counts(self) -> dict[RecordKind, int]:
        counts: dict[RecordKind, int] = {}
        for _, r in self.records():
            if _is_record(r):
                kind = record_kind(r)
                counts[kind] = counts.get(kind, 0) + 1
        return counts


_RECORD_TYPES = (
    School,
    Grade,
    Subject,
    AcademicSession,
    Course,
    SchoolClass,
    Person,
    Enrolment,
    FamilyLink,
)


def _is_record(obj: object) -> bool:
    if type(obj) is Person:
        return isinstance(obj.kind, str) and obj.kind in {"student", "staff", "family"}
    return type(obj) in _RECORD_TYPES


def describe_record(record: object) -> str:
    """``student 'S1'`` / ``enrolment 'C1|S1'``: a record named by kind and key, no data."""
    if _is_record(record):
        rec: Record = record  # type: ignore[assignment]
        return f"{record_kind(rec).value.replace('_', ' ')} {rec.key!r}"
    return f"a {type(record).__name__} object"


def fetch_roster(
    connector: Connector,
    session: object,
    sis_school_id: str,
    *,
    limit: int | None = None,
    since: dt.datetime | None = None,
) -> FetchedRoster:
    """Call every fetch hook for one school and keep what each yielded."""
    context = FetchContext(sis_school_id=sis_school_id, limit=limit, since=since)
    by_hook: dict[str, tuple[Any, ...]] = {}
    for hook in FETCH_HOOKS:
        by_hook[hook] = tuple(getattr(connector, hook)(session, context))
    return FetchedRoster(
        sis_school_id=sis_school_id,
        by_hook=by_hook,
        invalid=tuple(context.invalid),
        limit=limit,
        since=since,
        delta_kinds=frozenset(context.delta_kinds),
    )
