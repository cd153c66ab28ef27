"""One school's roster, read from the folder: filtered, checked, and cut to a limit.

Every fetch hook calls :func:`load_school` and yields its own part, so what the hooks
yield always agrees: an enrolment is yielded only when its class and person are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from rostersync_core import (
    AcademicSession,
    Course,
    Enrolment,
    EnrolmentRole,
    FamilyLink,
    Grade,
    InvalidRow,
    Person,
    PersonKind,
    RecordKind,
    SchoolClass,
    Subject,
    UnknownSchoolError,
)
from rostersync_csvdir import rows
from rostersync_csvdir.tables import CsvDirSession, Row, read_table

__all__ = ["SchoolRoster", "load_school"]

_TABLE_KIND = {
    "schools": RecordKind.SCHOOL,
    "grades": RecordKind.GRADE,
    "subjects": RecordKind.SUBJECT,
    "terms": RecordKind.SESSION,
    "courses": RecordKind.COURSE,
    "classes": RecordKind.CLASS,
    "enrolments": RecordKind.ENROLMENT,
    "family_links": RecordKind.FAMILY_LINK,
}
_STAFF_ROLES = {EnrolmentRole.TEACHER, EnrolmentRole.AIDE, EnrolmentRole.ADMINISTRATOR}


@attrs.frozen
class SchoolRoster:
    """Everything the folder holds for one school, ready to yield."""

    grades: tuple[Grade, ...]
    subjects: tuple[Subject, ...]
    terms: tuple[AcademicSession, ...]
    courses: tuple[Course, ...]
    classes: tuple[SchoolClass, ...]
    people: tuple[Person, ...]
    enrolments: tuple[Enrolment, ...]
    family_links: tuple[FamilyLink, ...]
    invalid: tuple[InvalidRow, ...]


class _Reader:
    """Reads tables into records, collecting the rows that fail validation."""

    def __init__(self, session: CsvDirSession) -> None:
        self.session = session
        self.invalid: list[InvalidRow] = []

    def table(self, name: str) -> list[tuple[Any, Row]]:
        seen: set[str] = set()
        kept: list[tuple[Any, Row]] = []
        for row in read_table(self.session, name, rows.COLUMNS[name]):
            kind = self._kind(name, row)
            try:
                record = rows.build[name](row)
            except rows.BadRow as exc:
                self.invalid.append(InvalidRow(kind, row.get("id"), str(exc)))
                continue
            if record.key in seen:
                self.invalid.append(
                    InvalidRow(kind, record.key, f"line {row.line}: the id appears twice")
                )
                continue
            seen.add(record.key)
            kept.append((record, row))
        return sorted(kept, key=lambda pair: pair[0].key)

    @staticmethod
    def _kind(name: str, row: Row) -> RecordKind:
        if name != "people":
            return _TABLE_KIND[name]
        kinds = {"staff": RecordKind.STAFF, "family": RecordKind.FAMILY}
        return kinds.get(row.get("kind"), RecordKind.STUDENT)

    def drop(self, kind: RecordKind, key: str, reason: str) -> None:
        self.invalid.append(InvalidRow(kind, key, reason))


def _in_school(school_id: str, column: str, blank_means_all: bool) -> Callable[[Row], bool]:
    def test(row: Row) -> bool:
        ids = row.many(column)
        return school_id in ids or (blank_means_all and not ids)

    return test


def load_school(session: CsvDirSession, school_id: str, limit: int | None) -> SchoolRoster:
    """Read the folder and return ``school_id``'s roster (raises UnknownSchoolError)."""
    reader = _Reader(session)
    if school_id not in {s.sis_id for s, _ in reader.table("schools")}:
        raise UnknownSchoolError(f"schools.csv has no school with id {school_id!r}")
    shared = _in_school(school_id, "school_id", blank_means_all=True)
    own = _in_school(school_id, "school_id", blank_means_all=False)
    terms = {t.sis_id: t for t, row in reader.table("terms") if shared(row)}
    orphans = [t for t in terms.values() if t.parent_sis_id and t.parent_sis_id not in terms]
    while orphans:  # a term whose parent is unknown, and then its own children
        for t in orphans:
            reader.drop(RecordKind.SESSION, t.sis_id, "refers to an unknown parent term")
            del terms[t.sis_id]
        orphans = [t for t in terms.values() if t.parent_sis_id and t.parent_sis_id not in terms]
    courses = {c.sis_id: c for c, row in reader.table("courses") if shared(row)}
    classes: dict[str, SchoolClass] = {}
    for c, row in reader.table("classes"):
        if not own(row):
            continue
        missing = [t for t in c.term_sis_ids if t not in terms]
        if c.course_sis_id and c.course_sis_id not in courses:
            missing.append(c.course_sis_id)
        if missing:
            reader.drop(RecordKind.CLASS, c.sis_id, f"refers to unknown course/term {missing}")
        else:
            classes[c.sis_id] = c
    people_rows = reader.table("people")
    member = _in_school(school_id, "school_ids", blank_means_all=False)
    people = {(p.kind, p.sis_id): p for p, row in people_rows if member(row)}
    links = []
    families = {p.sis_id: p for p, _ in people_rows if p.kind is PersonKind.FAMILY}
    for link, _ in reader.table("family_links"):
        if (PersonKind.STUDENT, link.student_sis_id) not in people:
            continue  # a student of another school
        if link.family_sis_id not in families:
            reader.drop(RecordKind.FAMILY_LINK, link.key, "refers to an unknown family member")
            continue
        links.append(link)
        people[(PersonKind.FAMILY, link.family_sis_id)] = families[link.family_sis_id]
    enrolments = []
    for e, _ in reader.table("enrolments"):
        if e.class_sis_id not in classes:
            continue  # a class of another school (or an invalid one, reported above)
        kind = PersonKind.STAFF if e.role in _STAFF_ROLES else PersonKind.STUDENT
        if (kind, e.person_sis_id) not in people:
            reader.drop(RecordKind.ENROLMENT, e.key, f"refers to an unknown {kind.value}")
            continue
        enrolments.append(e)
    roster = SchoolRoster(
        grades=(),
        subjects=(),
        terms=tuple(terms.values()),
        courses=tuple(courses.values()),
        classes=tuple(classes.values()),
        people=tuple(sorted(people.values(), key=lambda p: (p.kind, p.sis_id))),
        enrolments=tuple(enrolments),
        family_links=tuple(links),
        invalid=(),
    )
    if limit is not None:
        roster = _cut(roster, limit)
    return attrs.evolve(
        roster,
        grades=_vocabulary(reader, "grades", roster, Grade),
        subjects=_vocabulary(reader, "subjects", roster, Subject),
        invalid=tuple(reader.invalid),
    )


def _vocabulary(reader: _Reader, name: str, roster: SchoolRoster, cls: type) -> tuple[Any, ...]:
    """The listed grades (subjects) plus any code in use that the file forgot to list."""
    listed = {r.sis_id: r for r, _ in reader.table(name)}
    field = "grade_ids" if name == "grades" else "subject_ids"
    used = {v for r in (*roster.courses, *roster.classes) for v in getattr(r, field)}
    if name == "grades":
        used |= {p.grade_id for p in roster.people if p.grade_id}
    for code in sorted(used - listed.keys()):
        listed[code] = cls(code, code)
    return tuple(listed[k] for k in sorted(listed))


def _cut(roster: SchoolRoster, limit: int) -> SchoolRoster:
    """At most about ``limit`` records of each kind, keeping everything kept records need."""
    classes = roster.classes[:limit]
    class_ids = {c.sis_id for c in classes}
    enrolments = [e for e in roster.enrolments if e.class_sis_id in class_ids][:limit]
    people: dict[tuple[PersonKind, str], Person] = {}
    for kind in (PersonKind.STUDENT, PersonKind.STAFF):
        for p in [p for p in roster.people if p.kind is kind][:limit]:
            people[(p.kind, p.sis_id)] = p
    by_id = {(p.kind, p.sis_id): p for p in roster.people}
    for e in enrolments:
        kind = PersonKind.STAFF if e.role in _STAFF_ROLES else PersonKind.STUDENT
        people[(kind, e.person_sis_id)] = by_id[(kind, e.person_sis_id)]
    links = [
        link
        for link in roster.family_links
        if (PersonKind.STUDENT, link.student_sis_id) in people
    ][:limit]
    for link in links:
        people[(PersonKind.FAMILY, link.family_sis_id)] = by_id[
            (PersonKind.FAMILY, link.family_sis_id)
        ]
    course_ids = {c.course_sis_id for c in classes}
    term_ids = {t for c in classes for t in c.term_sis_ids}
    terms = {t.sis_id: t for t in roster.terms}
    for t in list(term_ids):  # parents of kept terms, to the top
        while terms[t].parent_sis_id and terms[t].parent_sis_id in terms:
            t = terms[t].parent_sis_id
            term_ids.add(t)
    return attrs.evolve(
        roster,
        terms=tuple(t for t in roster.terms if t.sis_id in term_ids),
        courses=tuple(c for c in roster.courses if c.sis_id in course_ids),
        classes=tuple(classes),
        people=tuple(sorted(people.values(), key=lambda p: (p.kind, p.sis_id))),
        enrolments=tuple(enrolments),
        family_links=tuple(links),
    )
