"""PowerSchool objects -> roster model records.

Every function takes one decoded object and returns a record, or raises
:class:`BadRow` with a reason that names no personal data; the caller reports the row
through ``FetchContext.report_invalid`` and carries on. Raw records are never logged.

Grade levels stay PowerSchool's integers, as strings (``"0"``, ``"1"``, ``"-1"``): the
school's grade mapping decides what they mean on the platform.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from rostersync_core.model import (
    AcademicSession,
    ClassType,
    Course,
    Enrolment,
    EnrolmentRole,
    Person,
    PersonKind,
    SchoolClass,
    SessionType,
)
from rostersync_powerschool.shapes import (
    as_list,
    as_mapping,
    extension_fields,
    int_or_none,
    parse_date,
    text,
)

__all__ = [
    "BadRow",
    "CourseInfo",
    "contact_person",
    "contact_relationship",
    "course_info",
    "expansion_guardians",
    "grade_name",
    "section_class",
    "section_enrolment",
    "staff_person",
    "student_person",
    "term_session",
]

#: Term ``portion`` -> session type (1 full year, 2 semesters, 3 trimesters, 4 quarters).
_SESSION_TYPES = {1: SessionType.SCHOOL_YEAR, 2: SessionType.SEMESTER}


class BadRow(ValueError):
    """A row that cannot become a record. ``reason`` never quotes personal data."""

    def __init__(self, sis_id: str, reason: str) -> None:
        super().__init__(reason)
        self.sis_id = sis_id
        self.reason = reason


def _id(record: Mapping[str, Any], field: str = "id") -> str:
    value = text(record.get(field))
    if not value:
        raise BadRow("", f"has no {field}")
    return value


def _names(record: Mapping[str, Any], sis_id: str) -> tuple[str, str, str]:
    name = as_mapping(record.get("name"))
    given, family = text(name.get("first_name")), text(name.get("last_name"))
    if not given and not family:
        raise BadRow(sis_id, "has no first or last name")
    return given, text(name.get("middle_name")), family


def grade_name(level: int) -> str:
    """A display name for a PowerSchool grade level (the mapping decides its meaning)."""
    if level == 0:
        return "Kindergarten"
    if level == 99:
        return "Graduated"
    return f"Grade {level}" if level > 0 else f"Grade level {level}"


# -- people ------------------------------------------------------------------------------


def student_person(record: Mapping[str, Any]) -> Person:
    """A student from ``/ws/v1/school/{id}/student`` with the ``school_enrollment`` and
    ``contact_info`` expansions."""
    sis_id = _id(record)
    given, middle, family = _names(record, sis_id)
    enrollment = as_mapping(record.get("school_enrollment"))
    level = int_or_none(enrollment.get("grade_level"))
    if level is None:
        raise BadRow(sis_id, "has no readable grade level")
    email = text(as_mapping(record.get("contact_info")).get("email"))
    return Person(
        sis_id,
        PersonKind.STUDENT,
        given,
        family,
        middle_name=middle,
        email=email,
        username=text(record.get("student_username")),
        identifier=text(record.get("local_id")),
        grade_id=str(level),
    )


#: ``enroll_status`` letters -> ``enroll_status_code``, for servers that send only the letter.
ENROLL_STATUS_CODES = {"A": 0, "P": -1, "I": 1, "T": 2, "G": 3, "H": 4}


def enroll_status(record: Mapping[str, Any]) -> int | None:
    """A student's ``enroll_status_code`` (0 active, -1 pre-registered, 1 inactive,
    2 transferred out, 3 graduated, 4 historical), from the letter when the code is
    missing; None when neither is there."""
    enrollment = as_mapping(record.get("school_enrollment"))
    code = int_or_none(enrollment.get("enroll_status_code"))
    if code is None:
        code = ENROLL_STATUS_CODES.get(text(enrollment.get("enroll_status")).upper())
    return code


def staff_person(
    record: Mapping[str, Any], school_id: str, roles_by_type: Mapping[str, str]
) -> Person | None:
    """A staff member of ``school_id``, or None when not actively affiliated with it.

    The role comes from the ``school_affiliation`` (an object or a list) of that school.
    """
    sis_id = _id(record)
    affiliation = next(
        (
            as_mapping(a)
            for a in as_list(as_mapping(record.get("school_affiliations")).get(
                "school_affiliation"))
            if text(as_mapping(a).get("school_id")) == school_id
        ),
        None,
    )
    if affiliation is None or int_or_none(affiliation.get("status")) not in (1, None):
        return None
    given, middle, family = _names(record, sis_id)
    staff_type = text(affiliation.get("type"))
    role = roles_by_type.get(staff_type)
    if role is None:
        raise BadRow(sis_id, f"has a school affiliation of unknown type {staff_type or '(none)'}")
    username = text(record.get("teacher_username")) or text(record.get("admin_username"))
    return Person(
        sis_id,
        PersonKind.STAFF,
        given,
        family,
        middle_name=middle,
        email=text(as_mapping(record.get("emails")).get("work_email")),
        username=username,
        identifier=text(record.get("local_id")),
        roles=(role,),
    )


def _primary(items: Any, value_field: str) -> str:
    entries = [as_mapping(e) for e in as_list(items)]
    chosen = next((e for e in entries if e.get("primary") is True), None)
    if chosen is None and entries:
        chosen = entries[0]
    return text(chosen.get(value_field)) if chosen is not None else ""


def contact_person(record: Mapping[str, Any]) -> Person:
    """A family member from the Contacts API (``GET /ws/contacts/student/{dcid}``)."""
    sis_id = text(record.get("contactId")) or text(record.get("id"))
    if not sis_id:
        raise BadRow("", "has no contactId")
    given, family = text(record.get("firstName")), text(record.get("lastName"))
    if not given and not family:
        raise BadRow(sis_id, "has no first or last name")
    phone = _primary(record.get("phones"), "phoneNumber") or _primary(
        record.get("phones"), "number"
    )
    return Person(
        sis_id,
        PersonKind.FAMILY,
        given,
        family,
        middle_name=text(record.get("middleName")),
        email=_primary(record.get("emails"), "address"),
        phone=phone,
    )


def contact_relationship(record: Mapping[str, Any], student_id: str) -> str | None:
    """The contact's relationship to the student (lower case), or None when inactive."""
    links = [as_mapping(s) for s in as_list(record.get("contactStudents"))]
    link = next(
        (s for s in links if text(s.get("studentDcid")) == student_id),
        links[0] if len(links) == 1 else None,
    )
    if link is None:
        return "guardian"
    if link.get("active") is False:
        return None
    return text(link.get("relationship")).lower() or "guardian"


def expansion_guardians(record: Mapping[str, Any]) -> list[tuple[Person, str]]:
    """Family members from the older flat ``contact`` expansion: ``mother`` and ``father``
    (``"Last, First"``). They have no id there; one is made from the name, so siblings
    share a family member. ``guardian_email`` cannot be told apart per person: unused."""
    flat = as_mapping(record.get("contact"))
    found: list[tuple[Person, str]] = []
    for relationship in ("mother", "father"):
        raw = text(flat.get(relationship))
        if not raw:
            continue
        family, _, given = (part.strip() for part in raw.partition(","))
        if not given and " " in family:  # "First Last"
            given, _, family = family.partition(" ")
        digest = hashlib.blake2b(f"{family}|{given}".lower().encode(), digest_size=6).hexdigest()
        found.append(
            (Person(f"contact-{digest}", PersonKind.FAMILY, given, family), relationship)
        )
    return found


# -- classes -----------------------------------------------------------------------------


class CourseInfo:
    """A course as sections need it: the record, and whether its sections are homerooms."""

    __slots__ = ("course", "homeroom", "name", "number")

    def __init__(self, course: Course, homeroom: bool) -> None:
        self.course = course
        self.homeroom = homeroom
        self.name = course.title
        self.number = course.code


def course_info(record: Mapping[str, Any], homeroom_prefixes: tuple[str, ...]) -> CourseInfo:
    """A course; its subject is ``sched_department`` (SCED code from ``s_crs_x.sced_code``)."""
    sis_id = _id(record)
    number = text(record.get("course_number"))
    title = text(record.get("course_name")) or number
    if not title:
        raise BadRow(sis_id, "has no course name or number")
    subject = text(record.get("sched_department"))
    homeroom = any(number.upper().startswith(p.upper()) for p in homeroom_prefixes if p)
    course = Course(sis_id, title, code=number, subject_ids=(subject,) if subject else ())
    return CourseInfo(course, homeroom)


def subject_code(record: Mapping[str, Any]) -> str:
    """The SCED subject area (first two digits of the course's SCED code), or ``""``."""
    sced = extension_fields(record).get("s_crs_x.sced_code", "")
    return sced[:2] if len(sced) >= 2 and sced[:2].isdigit() else ""


def term_session(record: Mapping[str, Any], year_terms: Mapping[str, str]) -> AcademicSession:
    """A term; ``year_terms`` maps ``year_id`` -> the id of that year's full-year term."""
    sis_id = _id(record)
    portion = int_or_none(record.get("portion")) or 1
    year_id = text(record.get("year_id"))
    parent = "" if portion == 1 else year_terms.get(year_id, "")
    return AcademicSession(
        sis_id,
        text(record.get("name")) or text(record.get("abbreviation")) or sis_id,
        _SESSION_TYPES.get(portion, SessionType.TERM),
        parse_date(record.get("start_date")),
        parse_date(record.get("end_date")),
        parent_sis_id=parent if parent != sis_id else "",
    )


def section_class(record: Mapping[str, Any], courses: Mapping[str, CourseInfo]) -> SchoolClass:
    """A section. Its course is matched by id or by course number (servers differ)."""
    sis_id = _id(record)
    course_ref = text(record.get("course_id")) or text(record.get("course_number"))
    info = courses.get(course_ref)
    if info is None:
        raise BadRow(sis_id, "refers to a course the school does not list")
    number = text(record.get("section_number"))
    level = int_or_none(record.get("grade_level"))
    grades = (str(level),) if level is not None else info.course.grade_ids
    term = text(record.get("term_id"))
    subjects: tuple[str, ...] = ()
    if info.homeroom:
        title = f"{info.name} {number}".strip()
        class_type, course_id = ClassType.HOMEROOM, ""
    else:
        title = f"{info.name} - {number}" if number else info.name
        class_type = ClassType.SCHEDULED
        course_id, subjects = info.course.sis_id, info.course.subject_ids
    return SchoolClass(
        sis_id,
        title,
        code=f"{info.number}-{number}" if number else info.number,
        class_type=class_type,
        course_sis_id=course_id,
        term_sis_ids=(term,) if term else (),
        grade_ids=grades,
        subject_ids=subjects,
        location=text(record.get("room")),
    )


def section_enrolment(record: Mapping[str, Any], section_id: str) -> Enrolment | None:
    """A student's section enrolment, or None when ``dropped``."""
    if record.get("dropped") in (True, "true", 1, "1"):
        return None
    student = text(record.get("student_id"))
    if not student:
        raise BadRow(text(record.get("id")), "has no student_id")
    return Enrolment(
        section_id,
        student,
        EnrolmentRole.STUDENT,
        begin_date=parse_date(record.get("entry_date")),
        end_date=parse_date(record.get("exit_date")),
        sis_id=text(record.get("id")),
    )
