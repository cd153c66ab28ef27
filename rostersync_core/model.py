"""The roster model: small frozen records that every connector yields and the engine diffs.

Every record knows its SIS id (``sis_id``), a ``key`` that is unique per kind within one
school's feed, and a stable content ``fingerprint`` (a real digest, safe to store).

Values are plain: strings (``""`` when the SIS has no value, never ``None``), tuples for
multi-valued fields, ``datetime.date`` for dates. SIS-side grade and subject values are the
SIS's own codes (``"01"``, ``"KG"``, ``"3"``...); mapping to platform grades happens later.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from typing import TypeAlias

import attrs

__all__ = [
    "AcademicSession",
    "ClassType",
    "Course",
    "Enrolment",
    "EnrolmentRole",
    "FamilyLink",
    "Grade",
    "Person",
    "PersonKind",
    "Record",
    "RecordKind",
    "School",
    "SchoolClass",
    "SessionType",
    "Subject",
    "fingerprint",
    "record_kind",
]


class PersonKind(enum.StrEnum):
    """Who a person is to the school."""

    STUDENT = "student"
    STAFF = "staff"
    FAMILY = "family"


class RecordKind(enum.StrEnum):
    """Every kind of record a connector can yield."""

    SCHOOL = "school"
    GRADE = "grade"
    SUBJECT = "subject"
    SESSION = "session"
    COURSE = "course"
    CLASS = "class"
    STUDENT = "student"
    STAFF = "staff"
    FAMILY = "family"
    ENROLMENT = "enrolment"
    FAMILY_LINK = "family_link"


class EnrolmentRole(enum.StrEnum):
    """A person's role in a class."""

    STUDENT = "student"
    TEACHER = "teacher"
    AIDE = "aide"
    ADMINISTRATOR = "administrator"


class ClassType(enum.StrEnum):
    HOMEROOM = "homeroom"
    SCHEDULED = "scheduled"


class SessionType(enum.StrEnum):
    SCHOOL_YEAR = "schoolYear"
    TERM = "term"
    SEMESTER = "semester"
    GRADING_PERIOD = "gradingPeriod"


@attrs.frozen
class School:
    """A school as the SIS lists it."""

    sis_id: str
    name: str
    identifier: str = ""

    @property
    def key(self) -> str:
        return self.sis_id


@attrs.frozen
class Grade:
    """A grade level as the SIS spells it (``sis_id`` is the SIS's code: ``"01"``, ``"0"``...)."""

    sis_id: str
    name: str = ""

    @property
    def key(self) -> str:
        return self.sis_id


@attrs.frozen
class Subject:
    """A subject as the SIS names it; ``code`` is a SCED code when the SIS has one."""

    sis_id: str
    name: str
    code: str = ""

    @property
    def key(self) -> str:
        return self.sis_id


@attrs.frozen
class AcademicSession:
    """A school year, term, semester or grading period."""

    sis_id: str
    title: str
    type: SessionType = SessionType.TERM
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    parent_sis_id: str = ""

    @property
    def key(self) -> str:
        return self.sis_id


@attrs.frozen
class Course:
    sis_id: str
    title: str
    code: str = ""
    grade_ids: tuple[str, ...] = ()
    subject_ids: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.sis_id


@attrs.frozen
class SchoolClass:
    """A class (section): homeroom or scheduled.

    ``grade_ids`` are SIS grade codes and ``subject_ids`` SIS subject ids (both mapped later).
    """

    sis_id: str
    title: str
    code: str = ""
    class_type: ClassType = ClassType.SCHEDULED
    course_sis_id: str = ""
    term_sis_ids: tuple[str, ...] = ()
    grade_ids: tuple[str, ...] = ()
    subject_ids: tuple[str, ...] = ()
    location: str = ""

    @property
    def key(self) -> str:
        return self.sis_id


@attrs.frozen
class Person:
    """A student, a staff member or a family member.

    ``identifier`` is the human-facing number (student number, staff local id);
    ``grade_id`` is the SIS grade code of a student (``""`` for others);
    ``roles`` are a staff member's roles (``teacher``, ``administrator``, ``aide``, ...).
    """

    sis_id: str
    kind: PersonKind
    given_name: str
    family_name: str
    middle_name: str = ""
    preferred_name: str = ""
    email: str = ""
    username: str = ""
    identifier: str = ""
    grade_id: str = ""
    phone: str = ""
    roles: tuple[str, ...] = ()
    enabled: bool = True

    @property
    def key(self) -> str:
        return self.sis_id


@attrs.frozen
class Enrolment:
    """A person in a class. ``key`` is ``class|person``: one enrolment per pair."""

    class_sis_id: str
    person_sis_id: str
    role: EnrolmentRole = EnrolmentRole.STUDENT
    primary: bool = False
    begin_date: dt.date | None = None
    end_date: dt.date | None = None
    sis_id: str = ""

    @property
    def key(self) -> str:
        return f"{self.class_sis_id}|{self.person_sis_id}"


@attrs.frozen
class FamilyLink:
    """A family member linked to a student. ``key`` is ``family|student``."""

    family_sis_id: str
    student_sis_id: str
    relationship: str = "guardian"

    @property
    def key(self) -> str:
        return f"{self.family_sis_id}|{self.student_sis_id}"


Record: TypeAlias = (
    School
    | Grade
    | Subject
    | AcademicSession
    | Course
    | SchoolClass
    | Person
    | Enrolment
    | FamilyLink
)

_PERSON_KINDS = {
    PersonKind.STUDENT: RecordKind.STUDENT,
    PersonKind.STAFF: RecordKind.STAFF,
    PersonKind.FAMILY: RecordKind.FAMILY,
}
_KIND_BY_TYPE: dict[type, RecordKind] = {
    School: RecordKind.SCHOOL,
    Grade: RecordKind.GRADE,
    Subject: RecordKind.SUBJECT,
    AcademicSession: RecordKind.SESSION,
    Course: RecordKind.COURSE,
    SchoolClass: RecordKind.CLASS,
    Enrolment: RecordKind.ENROLMENT,
    FamilyLink: RecordKind.FAMILY_LINK,
}


def record_kind(record: Record) -> RecordKind:
    """The kind of a record (a person's kind depends on ``person.kind``)."""
    if type(record) is Person:
        return _PERSON_KINDS[record.kind]
    return _KIND_BY_TYPE[type(record)]


def fingerprint(record: Record) -> str:
    """A stable digest of a record's content, the same in every process.

    Two records with equal fields have equal fingerprints; it is safe to store.
    """
    values = tuple(getattr(record, a.name) for a in attrs.fields(type(record)))
    return hashlib.blake2b(
        f"{type(record).__name__}{values!r}".encode(), digest_size=16
    ).hexdigest()
