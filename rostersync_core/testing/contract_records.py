"""Record-level contract rules: types, required fields, unique ids, vocabularies, references.

Each ``check_*`` function takes a :class:`~.contract_fetch.FetchedRoster` and returns a list
of :class:`~.contract_problems.Problem` (empty when the rule holds).
"""

from __future__ import annotations

import datetime as dt
import enum
import typing
from collections import Counter
from collections.abc import Callable
from typing import Any

import attrs

from rostersync_core.model import (
    AcademicSession,
    Course,
    Enrolment,
    EnrolmentRole,
    FamilyLink,
    Person,
    PersonKind,
    RecordKind,
    School,
    SchoolClass,
    Subject,
    record_kind,
)
from rostersync_core.testing.contract_fetch import (
    FETCH_HOOKS,
    HOOK_OF_KIND,
    FetchedRoster,
    describe_record,
)
from rostersync_core.testing.contract_problems import Problem

__all__ = [
    "REQUIRED_FIELDS",
    "STAFF_ROLES",
    "check_field_types",
    "check_hook_types",
    "check_references",
    "check_required_fields",
    "check_unique_ids",
    "check_vocabularies",
]

#: The staff roles the core understands (OneRoster 1.1 and 1.2 vocabulary). Map anything
#: else in the connector; ``ext:``-prefixed custom roles are allowed as OneRoster allows them.
STAFF_ROLES = frozenset(
    {
        "teacher",
        "aide",
        "administrator",
        "proctor",
        "counselor",
        "principal",
        "districtAdministrator",
        "siteAdministrator",
        "systemAdministrator",
    }
)

#: Fields that must not be empty, per record type.
REQUIRED_FIELDS: dict[type, tuple[str, ...]] = {
    School: ("sis_id", "name"),
    Subject: ("sis_id", "name"),
    AcademicSession: ("sis_id", "title"),
    Course: ("sis_id", "title"),
    SchoolClass: ("sis_id", "title"),
    Person: ("sis_id",),
    Enrolment: ("class_sis_id", "person_sis_id"),
    FamilyLink: ("family_sis_id", "student_sis_id", "relationship"),
}

_ID_FIELDS = ("sis_id", "class_sis_id", "person_sis_id", "family_sis_id", "student_sis_id")
_REFERRING = (Enrolment, FamilyLink, SchoolClass, AcademicSession)
_STAFF_ENROLMENT_ROLES = {EnrolmentRole.TEACHER, EnrolmentRole.AIDE, EnrolmentRole.ADMINISTRATOR}


def check_hook_types(roster: FetchedRoster) -> list[Problem]:
    """Each fetch hook yields only the record types it is documented to yield."""
    problems = []
    for hook, item in roster.records():
        allowed = FETCH_HOOKS[hook]
        if type(item) not in allowed:
            names = ", ".join(t.__name__ for t in allowed)
            problems.append(
                Problem(
                    "hook-types",
                    f"rostersync_{hook}",
                    f"yielded {describe_record(item)}; it may only yield {names}",
                    f"yield the model classes from rostersync_core ({names}), "
                    "and each kind from its own hook",
                )
            )
    return problems


# -- field types -----------------------------------------------------------------------------


def _type_checker(annotation: Any) -> tuple[Callable[[Any], bool], str]:
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if annotation is str:
        return (lambda v: isinstance(v, str)), 'a str ("" when the SIS has no value, never None)'
    if annotation is bool:
        return (lambda v: type(v) is bool), "a bool (True/False, not a string)"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        enum_type = annotation
        return (lambda v: isinstance(v, enum_type)), f"a {enum_type.__name__} member"
    if origin is tuple:
        return (
            lambda v: type(v) is tuple and all(isinstance(x, str) for x in v)
        ), "a tuple of str (not a list)"
    if dt.date in args and type(None) in args:
        return (lambda v: v is None or type(v) is dt.date), "a datetime.date or None"
    return (lambda v: True), "anything"


_CHECKERS: dict[type, tuple[tuple[str, Callable[[Any], bool], str], ...]] = {}


def _field_checkers(cls: type) -> tuple[tuple[str, Callable[[Any], bool], str], ...]:
    if cls not in _CHECKERS:
        hints = typing.get_type_hints(cls)
        _CHECKERS[cls] = tuple((f.name, *_type_checker(hints[f.name])) for f in attrs.fields(cls))
    return _CHECKERS[cls]


def check_field_types(roster: FetchedRoster) -> list[Problem]:
    """Every field holds the type the model declares (str never None, tuples not lists...)."""
    problems = []
    for _, record in roster.records():
        if not attrs.has(type(record)):
            continue
        for name, ok, expected in _field_checkers(type(record)):
            value = getattr(record, name)
            if not ok(value):
                problems.append(
                    Problem(
                        "field-types",
                        describe_record(record),
                        f"field {name!r} is a {type(value).__name__}, expected {expected}",
                        f"convert {name!r} in the connector before building the record",
                    )
                )
    return problems


def check_required_fields(roster: FetchedRoster) -> list[Problem]:
    """Ids and names are present; ids carry no surrounding spaces; dates are in order."""
    problems = []
    for _, record in roster.records():
        where = describe_record(record)
        for name in REQUIRED_FIELDS.get(type(record), ("sis_id",)):
            if not getattr(record, name, ""):
                problems.append(
                    Problem(
                        "required-fields",
                        where,
                        f"field {name!r} is empty",
                        "skip rows without it and call context.report_invalid(kind, id, reason)",
                    )
                )
        for name in _ID_FIELDS:
            value = getattr(record, name, "")
            if isinstance(value, str) and value != value.strip():
                problems.append(
                    Problem(
                        "required-fields",
                        where,
                        f"id field {name!r} has surrounding spaces",
                        "strip ids when reading them, so the same id always matches",
                    )
                )
        if type(record) is Person and not (record.given_name or record.family_name):
            problems.append(
                Problem(
                    "required-fields",
                    where,
                    "has neither a given name nor a family name",
                    "report the row with context.report_invalid instead of yielding it",
                )
            )
        problems += _check_dates(record, where)
    return problems


def _check_dates(record: object, where: str) -> list[Problem]:
    pairs = {AcademicSession: ("start_date", "end_date"), Enrolment: ("begin_date", "end_date")}
    names = pairs.get(type(record))
    if names is None:
        return []
    start, end = getattr(record, names[0]), getattr(record, names[1])
    if type(start) is dt.date and type(end) is dt.date and end < start:
        return [
            Problem(
                "required-fields",
                where,
                f"{names[1]} is before {names[0]}",
                "check the date columns are not swapped or parsed with the wrong format",
            )
        ]
    return []


# -- ids, vocabularies, references -------------------------------------------------------------


def check_unique_ids(roster: FetchedRoster) -> list[Problem]:
    """Each record's key is unique within its kind (one enrolment per class and person)."""
    problems = []
    for kind in RecordKind:
        counts = Counter(r.key for r in roster.of_kind(kind))
        for key, n in counts.items():
            if n > 1:
                problems.append(
                    Problem(
                        "unique-ids",
                        f"{kind.value.replace('_', ' ')} {key!r}",
                        f"is yielded {n} times by {HOOK_OF_KIND[kind]}",
                        "yield each record once; if pages overlap or the SIS repeats rows, "
                        "de-duplicate by id (for enrolments: one per class and person)",
                    )
                )
    return problems


def check_vocabularies(roster: FetchedRoster) -> list[Problem]:
    """Grades and subjects in use are fetched ones; roles come from the documented lists."""
    problems = []
    grades = roster.keys(RecordKind.GRADE)
    subjects = roster.keys(RecordKind.SUBJECT)

    def unknown(where: str, field: str, value: str, known: set[str], hook: str) -> None:
        problems.append(
            Problem(
                "vocabulary",
                where,
                f"{field} {value!r} is not among the values rostersync_{hook} yielded",
                f"yield every value in use from rostersync_{hook} so admins can map it",
            )
        )

    for _, record in roster.records():
        where = describe_record(record)
        if type(record) in (Course, SchoolClass):
            for g in record.grade_ids:
                if g not in grades:
                    unknown(where, "grade", g, grades, "fetch_grades")
            for s in record.subject_ids:
                if s not in subjects:
                    unknown(where, "subject", s, subjects, "fetch_subjects")
        if type(record) is not Person:
            continue
        if record.kind is PersonKind.STUDENT:
            if record.grade_id and record.grade_id not in grades:
                unknown(where, "grade", record.grade_id, grades, "fetch_grades")
        elif record.grade_id:
            problems.append(
                Problem(
                    "vocabulary",
                    where,
                    "has a grade_id but only students have a grade",
                    "leave grade_id empty for staff and family members",
                )
            )
        bad_roles = [
            r for r in record.roles if r not in STAFF_ROLES and not str(r).startswith("ext:")
        ]
        if record.kind is not PersonKind.STAFF and record.roles:
            problems.append(
                Problem(
                    "vocabulary",
                    where,
                    "has roles but only staff have roles",
                    "leave roles empty for students and family members",
                )
            )
        elif bad_roles:
            problems.append(
                Problem(
                    "vocabulary",
                    where,
                    f"has roles {bad_roles!r} outside the documented vocabulary",
                    "map SIS roles to " + ", ".join(sorted(STAFF_ROLES)) + " (or 'ext:...')",
                )
            )
    return problems


def check_references(roster: FetchedRoster) -> list[Problem]:
    """Enrolments, family links, classes and terms refer only to records that were yielded."""
    classes = roster.keys(RecordKind.CLASS)
    students = roster.keys(RecordKind.STUDENT)
    staff = roster.keys(RecordKind.STAFF)
    family = roster.keys(RecordKind.FAMILY)
    courses = roster.keys(RecordKind.COURSE)
    sessions = roster.keys(RecordKind.SESSION)
    problems = []

    def dangling(where: str, what: str, hook: str) -> None:
        problems.append(
            Problem(
                "references",
                where,
                f"refers to {what}, which was not yielded",
                f"yield it from rostersync_{hook} for this school (also when context.limit "
                "is set); if the SIS itself does not hold it, skip this record and call "
                f"context.report_invalid(RecordKind.{kind_name}, ...) with the reason",
            )
        )

    for _, r in roster.records():
        where = describe_record(r)
        kind_name = record_kind(r).name if type(r) in _REFERRING else ""
        if type(r) is Enrolment:
            if r.class_sis_id not in classes:
                dangling(where, f"class {r.class_sis_id!r}", "fetch_classes")
            wanted = staff if r.role in _STAFF_ENROLMENT_ROLES else students
            label = "staff member" if r.role in _STAFF_ENROLMENT_ROLES else "student"
            if r.person_sis_id not in wanted:
                dangling(where, f"{label} {r.person_sis_id!r} (role {r.role})", "fetch_people")
        elif type(r) is FamilyLink:
            if r.family_sis_id not in family:
                dangling(where, f"family member {r.family_sis_id!r}", "fetch_people")
            if r.student_sis_id not in students:
                dangling(where, f"student {r.student_sis_id!r}", "fetch_people")
        elif type(r) is SchoolClass:
            if r.course_sis_id and r.course_sis_id not in courses:
                dangling(where, f"course {r.course_sis_id!r}", "fetch_classes")
            for term in r.term_sis_ids:
                if term not in sessions:
                    dangling(where, f"term {term!r}", "fetch_classes")
        elif type(r) is AcademicSession and r.parent_sis_id and r.parent_sis_id not in sessions:
            dangling(where, f"parent session {r.parent_sis_id!r}", "fetch_classes")
    return problems
