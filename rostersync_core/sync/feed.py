"""Fetch and prepare one school's SIS feed for the diff.

Authenticates, fetches grades and subjects first (stopping with
:class:`~rostersync_core.errors.UnmappedValuesError` when one in use has no mapping, before
fetching anything else), then classes, people, enrolments and family links, each stream
through the extension plugins' ``rostersync_adjust_records``, mapping grades and subjects
to the platform's on the way. :func:`match_unlinked` proposes automatic matches for SIS
records without a link.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol

import attrs

from rostersync_core.errors import UnmappedValuesError
from rostersync_core.fetch import FetchContext
from rostersync_core.matching import match_records
from rostersync_core.model import (
    Enrolment,
    EnrolmentRole,
    FamilyLink,
    Person,
    PersonKind,
    Record,
    RecordKind,
    SchoolClass,
)
from rostersync_core.platform.protocol import PlatformRecord
from rostersync_core.plugins import PluginHost
from rostersync_core.store import StateStore
from rostersync_core.sync.changes import KIND_LABELS, AmbiguousRecord
from rostersync_core.sync.sis_feed import ENTITY_KINDS, STAFF_KEY_SUFFIX, SisFeed

__all__ = ["FetchedFrom", "Silent", "SyncProgress", "check_mapped", "fetch_feed", "match_unlinked"]

_STUDENT = EnrolmentRole.STUDENT
_PERSON_KINDS = {
    PersonKind.STUDENT: RecordKind.STUDENT,
    PersonKind.STAFF: RecordKind.STAFF,
    PersonKind.FAMILY: RecordKind.FAMILY,
}


class SyncProgress(Protocol):
    """What :func:`run_sync` reports while it works (the CLI draws progress bars)."""

    def phase(self, name: str) -> None:
        """A new step begins (``"authenticating"``, ``"fetching people"``, ``"diffing"``...)."""

    def advance(self, what: str, count: int) -> None:
        """``count`` more records of ``what`` (``"students"``, ``"enrolments"``...) were read."""


class Silent:
    """A :class:`SyncProgress` that reports nothing."""

    def phase(self, name: str) -> None:
        pass

    def advance(self, what: str, count: int) -> None:
        pass


@attrs.frozen
class FetchedFrom:
    """Where a feed came from and the mappings it was prepared with."""

    connector: str
    sis_school_id: str
    grade_map: Mapping[str, str]
    subject_map: Mapping[str, str]


def fetch_feed(
    store: StateStore, host: PluginHost, school_id: str, report: SyncProgress
) -> tuple[SisFeed, FetchedFrom]:
    """The school's SIS feed, mapped to platform grades and subjects."""
    connection = store.get_connection(school_id)
    connector = host.connector(connection.connector)
    report.phase("authenticating")
    session = connector.authenticate(connection.config)

    context = FetchContext(
        sis_school_id=connection.sis_school_id,
        on_progress=lambda kind, n: report.advance(KIND_LABELS.get(kind, kind.value), n),
    )

    def adjusted(records: Iterable[Record]) -> Iterator[Record]:
        return host.adjust_records(records, school_id=school_id, connector=connector.name)

    report.phase("fetching grades and subjects")
    grade_map = store.grade_mappings(school_id)
    subject_map = store.subject_mappings(school_id)
    sis_grades = [r.key for r in adjusted(connector.fetch_grades(session, context))]
    sis_subjects = [r.key for r in adjusted(connector.fetch_subjects(session, context))]
    check_mapped(
        school_id,
        [g for g in sis_grades if g not in grade_map],
        [s for s in sis_subjects if s not in subject_map],
    )

    feed = SisFeed(
        entities={k: {} for k in ENTITY_KINDS},
        joins={RecordKind.ENROLMENT: {}, RecordKind.FAMILY_LINK: {}},
    )
    missing_grades: set[str] = set()
    missing_subjects: set[str] = set()

    report.phase("fetching classes")
    classes = feed.entities[RecordKind.CLASS]
    for record in adjusted(connector.fetch_classes(session, context)):
        if type(record) is SchoolClass:
            classes[record.sis_id] = _map_class(
                record, grade_map, subject_map, missing_grades, missing_subjects
            )

    report.phase("fetching people")
    entities = feed.entities
    for record in adjusted(connector.fetch_people(session, context)):
        if type(record) is Person:
            if record.grade_id:
                mapped = grade_map.get(record.grade_id)
                if mapped is None:
                    missing_grades.add(record.grade_id)
                elif mapped != record.grade_id:
                    record = _with_grade(record, mapped)
            entities[_PERSON_KINDS[record.kind]][record.sis_id] = record

    report.phase("fetching enrolments")
    enrolments = feed.joins[RecordKind.ENROLMENT]
    family_links = feed.joins[RecordKind.FAMILY_LINK]
    for record in adjusted(connector.fetch_enrolments(session, context)):
        if type(record) is Enrolment:  # keyed as feed_key does, without a call per record
            key = f"{record.class_sis_id}|{record.person_sis_id}"
            if record.role is not _STUDENT:
                key += STAFF_KEY_SUFFIX
            enrolments[key] = record
        elif type(record) is FamilyLink:
            family_links[f"{record.family_sis_id}|{record.student_sis_id}"] = record
    check_mapped(school_id, sorted(missing_grades), sorted(missing_subjects))
    feed.invalid = list(context.invalid)
    feed.delta_kinds = set(context.delta_kinds)
    feed.removed = {k: set(v) for k, v in context.removed.items()}

    fetched = FetchedFrom(connector.name, connection.sis_school_id, grade_map, subject_map)
    return feed, fetched


def check_mapped(school_id: str, grades: list[str], subjects: list[str]) -> None:
    if not grades and not subjects:
        return
    parts = []
    if grades:
        parts.append(f"grades {', '.join(repr(g) for g in grades)}")
    if subjects:
        parts.append(f"subjects {', '.join(repr(s) for s in subjects)}")
    raise UnmappedValuesError(
        f"the SIS uses {' and '.join(parts)} that have no mapping for school {school_id}:"
        " nothing was synced",
        grades=tuple(grades),
        subjects=tuple(subjects),
    )


def _with_grade(person: Person, grade: str) -> Person:
    return Person(
        person.sis_id,
        person.kind,
        person.given_name,
        person.family_name,
        person.middle_name,
        person.preferred_name,
        person.email,
        person.username,
        person.identifier,
        grade,
        person.phone,
        person.roles,
        person.enabled,
    )


def _map_class(
    record: SchoolClass,
    grade_map: Mapping[str, str],
    subject_map: Mapping[str, str],
    missing_grades: set[str],
    missing_subjects: set[str],
) -> SchoolClass:
    if not record.grade_ids and not record.subject_ids:
        return record
    grades = []
    for g in record.grade_ids:
        mapped = grade_map.get(g)
        if mapped is None:
            missing_grades.add(g)
        else:
            grades.append(mapped)
    subjects = []
    for s in record.subject_ids:
        mapped = subject_map.get(s)
        if mapped is None:
            missing_subjects.add(s)
        else:
            subjects.append(mapped)
    return SchoolClass(
        record.sis_id,
        record.title,
        record.code,
        record.class_type,
        record.course_sis_id,
        record.term_sis_ids,
        tuple(grades),
        tuple(subjects),
        record.location,
    )


def match_unlinked(
    feed: SisFeed,
    records: dict[RecordKind, list[PlatformRecord]],
    links: dict[RecordKind, dict[str, str]],
    excluded_sis: Any,
    grade_map: Mapping[str, str],
) -> tuple[dict[RecordKind, dict[str, str]], list[AmbiguousRecord]]:
    """Automatic matches for SIS records without a usable link; ambiguous ones reported."""
    matches: dict[RecordKind, dict[str, str]] = {}
    ambiguous: list[AmbiguousRecord] = []
    people = [
        r for k in (RecordKind.STUDENT, RecordKind.STAFF, RecordKind.FAMILY) for r in records[k]
    ]
    for kind in ENTITY_KINDS:
        by_pid = {r.platform_id for r in records[kind]}
        kind_links = links[kind]
        skip = excluded_sis.get(kind, frozenset())
        unlinked = [
            rec
            for sis_id, rec in feed.entities[kind].items()
            if kind_links.get(sis_id) not in by_pid and sis_id not in skip
        ]
        if not unlinked:
            continue
        candidates = records[kind] if kind is RecordKind.CLASS else people
        # A platform record already linked to another SIS record is never matched again.
        result = match_records(kind, unlinked, candidates, kind_links, grade_map)
        found = {
            sis_id: m.platform_id
            for sis_id, m in result.matched.items()
            if m.rule != "link" and m.platform_id in by_pid
        }
        if found:
            matches[kind] = found
        for sis_id, options in result.ambiguous.items():
            ambiguous.append(
                AmbiguousRecord(
                    kind,
                    sis_id,
                    tuple(o.platform_id for o in options),
                    "; ".join(o.reason for o in options),
                )
            )
    return matches, ambiguous
