"""OneRoster records (1.1 or 1.2, from REST or CSV) into the core's roster model.

Both sources hand this module records in the REST JSON shape (the CSV reader builds
them). Every function here is lenient in what it reads (booleans as strings, references
as objects or bare ids, missing fields) and strict in what it yields: a row that cannot
be a valid record is reported through ``FetchContext.report_invalid`` with a reason that
quotes no personal data, and skipped. Raw records are never logged: they can carry
passwords.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from rostersync_core.fetch import FetchContext
from rostersync_core.model import (
    AcademicSession,
    ClassType,
    Course,
    Enrolment,
    EnrolmentRole,
    Grade,
    Person,
    PersonKind,
    RecordKind,
    School,
    SchoolClass,
    SessionType,
)

__all__ = [
    "CEDS_GRADES",
    "ENROLMENT_ROLES",
    "FAMILY_ROLES",
    "REMOVED_STATUSES",
    "STAFF_ROLES",
    "boolean",
    "build_enrolment",
    "build_person",
    "course_from",
    "enrolment_from",
    "grade",
    "is_removed",
    "person_from",
    "ref_id",
    "ref_ids",
    "roles_at",
    "roles_without_org",
    "school_class_from",
    "school_from",
    "session_from",
]

#: CEDS grade codes OneRoster uses, with their names, in school order.
CEDS_GRADES: dict[str, str] = {
    "IT": "Infant/toddler",
    "PR": "Preschool",
    "PK": "Prekindergarten",
    "TK": "Transitional Kindergarten",
    "KG": "Kindergarten",
    **{f"{g:02d}": f"Grade {g}" for g in range(1, 14)},
    "PS": "Postsecondary",
    "UG": "Ungraded",
    "Other": "Other",
}

STUDENT_ROLES = frozenset({"student"})
STAFF_ROLES = frozenset(
    {
        "teacher",
        "administrator",
        "aide",
        "proctor",
        "counselor",
        "principal",
        "siteAdministrator",
        "districtAdministrator",
        "systemAdministrator",
    }
)
FAMILY_ROLES = frozenset({"guardian", "parent", "relative"})
#: ``status`` values (lower case) meaning the record is gone.
REMOVED_STATUSES = frozenset({"tobedeleted", "inactive", "deleted"})
_RECORD_KINDS = {
    PersonKind.STUDENT: RecordKind.STUDENT,
    PersonKind.STAFF: RecordKind.STAFF,
    PersonKind.FAMILY: RecordKind.FAMILY,
}

ENROLMENT_ROLES = {
    "student": EnrolmentRole.STUDENT,
    "teacher": EnrolmentRole.TEACHER,
    "administrator": EnrolmentRole.ADMINISTRATOR,
    "aide": EnrolmentRole.AIDE,
    "proctor": EnrolmentRole.AIDE,
}
#: Enrolment roles that are not class membership the platform keeps (1.1 allows them).
_IGNORED_ENROLMENT_ROLES = FAMILY_ROLES
_SESSION_TYPES = {t.value: t for t in SessionType}


class BadRow(ValueError):
    """One field of a row is unusable; the message names the field, never its value."""


def text(value: Any) -> str:
    """A string field: ``None`` becomes ``""``, numbers become strings, spaces trimmed."""
    if value is None:
        return ""
    return str(value).strip()


def boolean(value: Any, default: bool) -> bool:
    """``"true"``/``"false"`` strings (any case), real booleans, or ``default``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
    return default


def ref_id(value: Any) -> str:
    """The ``sourcedId`` of a reference (an object or a bare id); ``""`` when absent."""
    if isinstance(value, dict):
        return text(value.get("sourcedId"))
    return text(value)


def ref_ids(value: Any) -> tuple[str, ...]:
    """The ids of a list of references (empty ids dropped)."""
    if not value:
        return ()
    if not isinstance(value, list):
        value = [value]
    return tuple(i for i in (ref_id(v) for v in value) if i)


def strings(value: Any) -> tuple[str, ...]:
    """A multi-valued field as a tuple of non-empty strings."""
    if not value:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        value = [value]
    return tuple(s for s in (text(v) for v in value) if s)


def date(value: Any, field: str) -> dt.date | None:
    """An ISO 8601 date (or date-time, whose date is kept); ``None`` when empty."""
    raw = text(value)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw[:10])
    except ValueError:
        raise BadRow(f"{field} is not an ISO 8601 date") from None


def is_removed(record: dict[str, Any]) -> bool:
    """``tobedeleted`` (or 1.0's ``inactive``): the record is gone."""
    return text(record.get("status")).lower() in REMOVED_STATUSES


def grade(code: str) -> Grade:
    """A grade as the SIS spells it, named from CEDS when it is a CEDS code."""
    return Grade(code, CEDS_GRADES.get(code, code))


def roles_at(user: dict[str, Any], org_ids: Iterable[str] | None = None) -> list[str]:
    """A user's roles (at one of ``org_ids`` when given): 1.2 ``roles[]`` or 1.1 ``role``.

    A role counts only at the orgs it names (a 1.2 role's ``org``, a 1.1 user's ``orgs``):
    a role that names no org counts nowhere (see :func:`roles_without_org`).
    """
    wanted = set(org_ids) if org_ids is not None else None
    found: list[str] = []
    roles = user.get("roles")
    if isinstance(roles, list) and roles:
        for entry in roles:
            if not isinstance(entry, dict):
                continue
            role = text(entry.get("role"))
            if not role or role in found:
                continue
            if wanted is None or ref_id(entry.get("org")) in wanted:
                found.append(role)
        return found
    role = text(user.get("role"))
    if role and (wanted is None or wanted.intersection(ref_ids(user.get("orgs")))):
        found.append(role)
    return found


def roles_without_org(user: dict[str, Any]) -> list[str]:
    """The roles that name no org (a 1.2 role without ``org``, the ``role`` of a 1.1 user
    without ``orgs``): OneRoster requires one, so they place the user at no school."""
    found: list[str] = []
    roles = user.get("roles")
    if isinstance(roles, list) and roles:
        for entry in roles:
            if isinstance(entry, dict):
                role = text(entry.get("role"))
                if role and not ref_id(entry.get("org")) and role not in found:
                    found.append(role)
        return found
    role = text(user.get("role"))
    if role and not ref_ids(user.get("orgs")):
        found.append(role)
    return found


def user_orgs(user: dict[str, Any]) -> set[str]:
    """Every org a user is attached to (1.2 ``roles[].org``/``primaryOrg``, 1.1 ``orgs``)."""
    orgs = set(ref_ids(user.get("orgs")))
    roles = user.get("roles")
    if isinstance(roles, list):
        orgs.update(ref_id(r.get("org")) for r in roles if isinstance(r, dict))
    primary = ref_id(user.get("primaryOrg"))
    if primary:
        orgs.add(primary)
    orgs.discard("")
    return orgs


def _metadata(record: dict[str, Any]) -> dict[str, Any]:
    meta = record.get("metadata")
    return meta if isinstance(meta, dict) else {}


def school_from(org: dict[str, Any]) -> School | None:
    """A school from an org record (``None`` for other org types)."""
    if text(org.get("type")).lower() != "school":
        return None
    sis_id = text(org.get("sourcedId"))
    if not sis_id:
        return None
    return School(sis_id, text(org.get("name")) or sis_id, text(org.get("identifier")))


def session_from(record: dict[str, Any], context: FetchContext) -> AcademicSession | None:
    sis_id = text(record.get("sourcedId"))
    try:
        if not sis_id:
            raise BadRow("sourcedId is missing")
        start = date(record.get("startDate"), "startDate")
        end = date(record.get("endDate"), "endDate")
    except BadRow as exc:
        context.report_invalid(RecordKind.SESSION, sis_id, str(exc))
        return None
    kind = _SESSION_TYPES.get(text(record.get("type")), SessionType.TERM)
    return AcademicSession(
        sis_id,
        text(record.get("title")) or sis_id,
        kind,
        start,
        end,
        ref_id(record.get("parent")),
    )


def course_from(record: dict[str, Any], context: FetchContext) -> Course | None:
    sis_id = text(record.get("sourcedId"))
    if not sis_id:
        context.report_invalid(RecordKind.COURSE, "", "sourcedId is missing")
        return None
    return Course(
        sis_id,
        text(record.get("title")) or sis_id,
        code=text(record.get("courseCode")),
        grade_ids=strings(record.get("grades")),
        subject_ids=strings(record.get("subjects")),
    )


def school_class_from(record: dict[str, Any], context: FetchContext) -> SchoolClass | None:
    sis_id = text(record.get("sourcedId"))
    title = text(record.get("title"))
    if not sis_id or not title:
        reason = "sourcedId is missing" if not sis_id else "title is missing"
        context.report_invalid(RecordKind.CLASS, sis_id, reason)
        return None
    class_type = (
        ClassType.HOMEROOM
        if text(record.get("classType")).lower() == "homeroom"
        else ClassType.SCHEDULED
    )
    return SchoolClass(
        sis_id,
        title,
        code=text(record.get("classCode")),
        class_type=class_type,
        course_sis_id=ref_id(record.get("course")),
        term_sis_ids=ref_ids(record.get("terms")),
        grade_ids=strings(record.get("grades")),
        subject_ids=strings(record.get("subjects")),
        location=text(record.get("location")),
    )


def person_from(
    user: dict[str, Any], kind: PersonKind, roles: tuple[str, ...], context: FetchContext
) -> Person | None:
    """A person of ``kind`` from a user record (``roles``: a staff member's roles here)."""
    meta = _metadata(user)
    return build_person(
        kind,
        roles,
        context,
        sis_id=text(user.get("sourcedId")),
        given=text(user.get("givenName")),
        family=text(user.get("familyName")),
        preferred=text(
            user.get("preferredFirstName")
            or user.get("preferredGivenName")
            or meta.get("preferredFirstName")
            or meta.get("preferredGivenName")
        ),
        middle=text(user.get("middleName")),
        email=text(user.get("email")),
        username=text(user.get("username")),
        identifier=text(user.get("identifier")),
        phone=text(user.get("phone")),
        grades=user.get("grades"),
        enabled=user.get("enabledUser"),
    )


def build_person(
    kind: PersonKind,
    roles: tuple[str, ...],
    context: FetchContext,
    *,
    sis_id: str,
    given: str,
    family: str,
    preferred: str,
    middle: str,
    email: str,
    username: str,
    identifier: str,
    phone: str,
    grades: Any,
    enabled: Any,
) -> Person | None:
    """A person from a user's fields (texts already trimmed; ``grades`` and ``enabled`` as
    read), or ``None`` with the problem reported."""
    if not sis_id:
        context.report_invalid(_RECORD_KINDS[kind], "", "sourcedId is missing")
        return None
    if not given and not family:
        context.report_invalid(
            _RECORD_KINDS[kind], sis_id, "the user has neither a given nor a family name"
        )
        return None
    grade_ids = strings(grades) if kind is PersonKind.STUDENT else ()
    return Person(
        sis_id,
        kind,
        given,
        family,
        middle_name=middle,
        preferred_name=preferred,
        email=email,
        username=username,
        identifier=identifier,
        grade_id=grade_ids[0] if grade_ids else "",
        phone=phone,
        roles=roles if kind is PersonKind.STAFF else (),
        enabled=boolean(enabled, True),
    )


def enrolment_from(record: dict[str, Any], context: FetchContext) -> Enrolment | None:
    """An enrolment, or ``None`` (invalid rows reported; family roles skipped quietly)."""
    return build_enrolment(
        context,
        sis_id=text(record.get("sourcedId")),
        class_id=ref_id(record.get("class")),
        user_id=ref_id(record.get("user")),
        role_name=text(record.get("role")),
        begin=record.get("beginDate"),
        end=record.get("endDate"),
        primary=record.get("primary"),
    )


def build_enrolment(
    context: FetchContext,
    *,
    sis_id: str,
    class_id: str,
    user_id: str,
    role_name: str,
    begin: Any,
    end: Any,
    primary: Any,
) -> Enrolment | None:
    """An enrolment from its fields (ids and role trimmed; dates and ``primary`` as read)."""
    if role_name in _IGNORED_ENROLMENT_ROLES:
        return None
    try:
        if not class_id or not user_id:
            raise BadRow("the class or the user is missing")
        role = ENROLMENT_ROLES.get(role_name)
        if role is None:
            raise BadRow("role is not a OneRoster enrolment role")
        begin_date = date(begin, "beginDate")
        end_date = date(end, "endDate")
    except BadRow as exc:
        context.report_invalid(RecordKind.ENROLMENT, sis_id, str(exc))
        return None
    return Enrolment(
        class_id,
        user_id,
        role,
        primary=boolean(primary, False),
        begin_date=begin_date,
        end_date=end_date,
        sis_id=sis_id,
    )
