"""One CSV row -> one roster record. A row that cannot be read raises :class:`BadRow`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from rostersync_core import (
    AcademicSession,
    ClassType,
    Course,
    Enrolment,
    EnrolmentRole,
    FamilyLink,
    Grade,
    Person,
    PersonKind,
    Record,
    School,
    SchoolClass,
    SessionType,
    Subject,
)
from rostersync_csvdir.tables import Row

__all__ = ["COLUMNS", "BadRow", "build"]

#: The columns each file must have (others are optional; unknown columns are ignored).
COLUMNS: dict[str, tuple[str, ...]] = {
    "schools": ("id", "name"),
    "grades": ("id",),
    "subjects": ("id", "name"),
    "terms": ("id", "title"),
    "courses": ("id", "title"),
    "classes": ("id", "title"),
    "people": ("id", "kind", "given_name", "family_name"),
    "enrolments": ("class_id", "person_id", "role"),
    "family_links": ("family_id", "student_id"),
}


class BadRow(ValueError):
    """A row that fails validation; the message says why without quoting personal data."""


def _required(row: Row, column: str) -> str:
    value = row.get(column)
    if not value:
        raise BadRow(f"line {row.line}: {column} is empty")
    return value


def _date(row: Row, column: str) -> dt.date | None:
    value = row.get(column)
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadRow(f"line {row.line}: {column} is not a YYYY-MM-DD date") from None


E = TypeVar("E", ClassType, SessionType, EnrolmentRole, PersonKind)


def _choice(row: Row, column: str, enum: type[E], default: E | None = None) -> E:
    value = row.get(column)
    if not value and default is not None:
        return default
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise BadRow(f"line {row.line}: {column} must be one of {allowed}") from None


def _bool(row: Row, column: str, default: bool) -> bool:
    value = row.get(column).lower()
    if not value:
        return default
    if value in ("true", "yes", "1"):
        return True
    if value in ("false", "no", "0"):
        return False
    raise BadRow(f"line {row.line}: {column} must be true or false")


def school(row: Row) -> School:
    return School(_required(row, "id"), _required(row, "name"), row.get("identifier"))


def grade(row: Row) -> Grade:
    return Grade(_required(row, "id"), row.get("name"))


def subject(row: Row) -> Subject:
    return Subject(_required(row, "id"), _required(row, "name"), row.get("code"))


def term(row: Row) -> AcademicSession:
    return AcademicSession(
        sis_id=_required(row, "id"),
        title=_required(row, "title"),
        type=_choice(row, "type", SessionType, SessionType.TERM),
        start_date=_date(row, "start_date"),
        end_date=_date(row, "end_date"),
        parent_sis_id=row.get("parent_id"),
    )


def course(row: Row) -> Course:
    return Course(
        sis_id=_required(row, "id"),
        title=_required(row, "title"),
        code=row.get("code"),
        grade_ids=row.many("grades"),
        subject_ids=row.many("subjects"),
    )


def school_class(row: Row) -> SchoolClass:
    return SchoolClass(
        sis_id=_required(row, "id"),
        title=_required(row, "title"),
        code=row.get("code"),
        class_type=_choice(row, "type", ClassType, ClassType.SCHEDULED),
        course_sis_id=row.get("course_id"),
        term_sis_ids=row.many("terms"),
        grade_ids=row.many("grades"),
        subject_ids=row.many("subjects"),
        location=row.get("location"),
    )


def person(row: Row) -> Person:
    kind = _choice(row, "kind", PersonKind)
    if not (row.get("given_name") or row.get("family_name")):
        raise BadRow(f"line {row.line}: given_name and family_name are both empty")
    return Person(
        sis_id=_required(row, "id"),
        kind=kind,
        given_name=row.get("given_name"),
        family_name=row.get("family_name"),
        middle_name=row.get("middle_name"),
        preferred_name=row.get("preferred_name"),
        email=row.get("email"),
        username=row.get("username"),
        identifier=row.get("identifier"),
        grade_id=row.get("grade") if kind is PersonKind.STUDENT else "",
        phone=row.get("phone"),
        roles=row.many("roles") if kind is PersonKind.STAFF else (),
        enabled=_bool(row, "enabled", True),
    )


def enrolment(row: Row) -> Enrolment:
    return Enrolment(
        class_sis_id=_required(row, "class_id"),
        person_sis_id=_required(row, "person_id"),
        role=_choice(row, "role", EnrolmentRole),
        primary=_bool(row, "primary", False),
        begin_date=_date(row, "begin_date"),
        end_date=_date(row, "end_date"),
    )


def family_link(row: Row) -> FamilyLink:
    return FamilyLink(
        family_sis_id=_required(row, "family_id"),
        student_sis_id=_required(row, "student_id"),
        relationship=row.get("relationship") or "guardian",
    )


#: The builder for each file.
build: dict[str, Callable[[Row], Record]] = {
    "schools": school,
    "grades": grade,
    "subjects": subject,
    "terms": term,
    "courses": course,
    "classes": school_class,
    "people": person,
    "enrolments": enrolment,
    "family_links": family_link,
}
