"""A generated district as OneRoster records (1.1 or 1.2 JSON shapes), for fakes and CSVs.

:func:`dataset_from_district` turns a :class:`~rostersync_core.districts.District` into a
:class:`OneRosterDataset`: every collection (orgs, academicSessions, courses, classes,
users, enrollments) as the JSON objects a OneRoster REST server returns. The fake server
serves them; the CSV writer flattens them. :meth:`OneRosterDataset.evolve` makes a later
snapshot where changed records carry a newer ``dateLastModified`` and vanished ones are
``tobedeleted``, so deltas can be served and written.

Choices a real SIS would make too:

- a guardian's role is ``parent`` (mother, father), ``guardian``, or ``relative`` (others),
  from their first link; OneRoster has no per-link relationship;
- 1.1 has no ``preferredFirstName``: the 1.1 flavour carries it in ``metadata`` (an
  extension, as vendors do);
- homeroom classes have no course;
- some users carry a ``password`` (real feeds do): it must never reach a log or cassette.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterator
from typing import Any

import attrs

from rostersync_core.districts import District
from rostersync_core.model import Enrolment, Person, PersonKind

__all__ = [
    "COLLECTIONS",
    "DISTRICT_ORG_ID",
    "OneRosterDataset",
    "dataset_from_district",
    "family_role",
]

#: The collections served and written, in dependency order.
COLLECTIONS = ("orgs", "academicSessions", "courses", "classes", "users", "enrollments")
DISTRICT_ORG_ID = "1"
DEFAULT_MODIFIED = "2026-08-01T00:00:00.000Z"

_REF_TYPES = {
    "orgs": "org",
    "academicSessions": "academicSession",
    "courses": "course",
    "classes": "class",
    "users": "user",
    "enrollments": "enrollment",
}


def family_role(relationship: str) -> str:
    """The OneRoster role of a family member from a generator relationship."""
    if relationship in ("mother", "father", "parent"):
        return "parent"
    if relationship == "guardian":
        return "guardian"
    return "relative"


def ref(collection: str, sourced_id: str) -> dict[str, str]:
    return {
        "href": f"/{collection}/{sourced_id}",
        "sourcedId": sourced_id,
        "type": _REF_TYPES[collection],
    }


@attrs.define
class OneRosterDataset:
    """Every OneRoster collection of a district: ``collections[name][sourcedId] = record``."""

    version: str
    collections: dict[str, dict[str, dict[str, Any]]]
    _sorted: dict[str, list[dict[str, Any]]] = attrs.field(factory=dict, repr=False, eq=False)
    #: Per collection, its records grouped by school (``None``: not a per-school one).
    _by_school: dict[str, dict[str, list[dict[str, Any]]] | None] = attrs.field(
        factory=dict, repr=False, eq=False
    )

    def records(self, collection: str) -> list[dict[str, Any]]:
        """The records of ``collection``, sorted by ``sourcedId`` (cached: a dataset is
        not changed in place once served; :meth:`evolve` makes a new one)."""
        cached = self._sorted.get(collection)
        if cached is None:
            items = self.collections[collection]
            cached = self._sorted[collection] = [items[k] for k in sorted(items)]
        return cached

    def school_records(self, collection: str, school_id: str) -> list[dict[str, Any]]:
        """The records of ``collection`` that belong to ``school_id`` (cached: every
        school's are grouped in one pass the first time one is asked for; a pass per school
        would be quadratic across a district)."""
        if collection not in self._by_school:
            self._by_school[collection] = records_by_school(self, collection)
        grouped = self._by_school[collection]
        if grouped is None:  # not a per-school collection: every school lists it all
            return self.records(collection)
        return grouped.get(school_id, [])

    def forget(self) -> None:
        """Drop the caches after changing records in place (tests do)."""
        self._sorted.clear()
        self._by_school.clear()

    def school_ids(self) -> list[str]:
        return sorted(k for k, v in self.collections["orgs"].items() if v["type"] == "school")

    def evolve(self, later: OneRosterDataset, *, modified: str) -> OneRosterDataset:
        """A dataset holding ``later``, where what changed since ``self`` is stamped
        ``modified`` and what vanished stays as ``tobedeleted`` (stamped ``modified``)."""
        merged: dict[str, dict[str, dict[str, Any]]] = {}
        for name in COLLECTIONS:
            old = self.collections[name]
            new = later.collections[name]
            out: dict[str, dict[str, Any]] = {}
            for key, record in new.items():
                before = old.get(key)
                if before is not None and _same(before, record):
                    out[key] = before
                else:
                    out[key] = {**record, "status": "active", "dateLastModified": modified}
            for key, record in old.items():
                if key not in new:
                    if record["status"] == "tobedeleted":
                        out[key] = record
                    else:
                        out[key] = {**record, "status": "tobedeleted", "dateLastModified": modified}
            merged[name] = out
        return OneRosterDataset(self.version, merged)

    def copy(self) -> OneRosterDataset:
        return OneRosterDataset(self.version, copy.deepcopy(self.collections))


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    skip = {"dateLastModified", "status"}
    return {k: v for k, v in a.items() if k not in skip} == {
        k: v for k, v in b.items() if k not in skip
    }


def _base(sourced_id: str, modified: str) -> dict[str, Any]:
    return {
        "sourcedId": sourced_id,
        "status": "active",
        "dateLastModified": modified,
        "metadata": {},
    }


def _iso(value: Any) -> str:
    return value.isoformat() if value is not None else ""


def dataset_from_district(
    district: District, *, version: str = "1.2", modified: str = DEFAULT_MODIFIED
) -> OneRosterDataset:
    """Every record of ``district`` as OneRoster ``version`` (``"1.1"`` or ``"1.2"``) JSON."""
    if version not in ("1.1", "1.2"):
        raise ValueError(f"OneRoster version must be '1.1' or '1.2', not {version!r}")
    c: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in COLLECTIONS}
    school_refs = [ref("orgs", sid) for sid in sorted(district.schools)]
    c["orgs"][DISTRICT_ORG_ID] = {
        **_base(DISTRICT_ORG_ID, modified),
        "name": district.name,
        "type": "district",
        "identifier": "",
        "parent": None,
        "children": school_refs,
    }
    for school_id, roster in district.schools.items():
        school = roster.school
        c["orgs"][school_id] = {
            **_base(school_id, modified),
            "name": school.name,
            "type": "school",
            "identifier": school.identifier,
            "parent": ref("orgs", DISTRICT_ORG_ID),
            "children": [],
        }
        codes = {s.sis_id: s.code for s in roster.subjects}
        year = roster.sessions[0] if roster.sessions else None
        for session in roster.sessions:
            c["academicSessions"][session.sis_id] = {
                **_base(session.sis_id, modified),
                "title": session.title,
                "type": str(session.type),
                "startDate": _iso(session.start_date),
                "endDate": _iso(session.end_date),
                "parent": ref("academicSessions", session.parent_sis_id)
                if session.parent_sis_id
                else None,
                "children": [],
                "schoolYear": str(session.end_date.year) if session.end_date else "",
            }
        for course in roster.courses:
            c["courses"][course.sis_id] = {
                **_base(course.sis_id, modified),
                "title": course.title,
                "schoolYear": ref("academicSessions", year.sis_id) if year else None,
                "courseCode": course.code,
                "grades": list(course.grade_ids),
                "subjects": list(course.subject_ids),
                "org": ref("orgs", school_id),
                "subjectCodes": [codes.get(s, "") for s in course.subject_ids],
            }
        for klass in roster.classes:
            c["classes"][klass.sis_id] = {
                **_base(klass.sis_id, modified),
                "title": klass.title,
                "classCode": klass.code,
                "classType": str(klass.class_type),
                "location": klass.location,
                "grades": list(klass.grade_ids),
                "subjects": list(klass.subject_ids),
                "course": ref("courses", klass.course_sis_id) if klass.course_sis_id else None,
                "school": ref("orgs", school_id),
                "terms": [ref("academicSessions", t) for t in klass.term_sis_ids],
                "subjectCodes": [codes.get(s, "") for s in klass.subject_ids],
                "periods": [],
            }
        agents: dict[str, list[str]] = {}
        relationship: dict[str, str] = {}
        for link in roster.family_links:
            agents.setdefault(link.student_sis_id, []).append(link.family_sis_id)
            agents.setdefault(link.family_sis_id, []).append(link.student_sis_id)
            relationship.setdefault(link.family_sis_id, link.relationship)
        for person in roster.people:
            roles = _roles(person, relationship)
            c["users"][person.sis_id] = _user(
                person, roles, school_id, agents.get(person.sis_id, []), version, modified
            )
        for enrolment in roster.enrolments:
            key = enrolment.sis_id or f"{enrolment.class_sis_id}-{enrolment.person_sis_id}"
            c["enrollments"][key] = _enrollment(key, enrolment, school_id, modified)
    return OneRosterDataset(version, c)


def _roles(person: Person, relationship: dict[str, str]) -> tuple[str, ...]:
    if person.kind is PersonKind.STUDENT:
        return ("student",)
    if person.kind is PersonKind.FAMILY:
        return (family_role(relationship.get(person.sis_id, "guardian")),)
    return person.roles or ("teacher",)


def _user(
    person: Person,
    roles: tuple[str, ...],
    school_id: str,
    agents: list[str],
    version: str,
    modified: str,
) -> dict[str, Any]:
    user: dict[str, Any] = {
        **_base(person.sis_id, modified),
        "enabledUser": "true" if person.enabled else "false",
        "username": person.username,
        "userIds": [{"type": "LDAP", "identifier": person.username}] if person.username else [],
        "givenName": person.given_name,
        "familyName": person.family_name,
        "middleName": person.middle_name,
        "identifier": person.identifier,
        "email": person.email,
        "sms": "",
        "phone": person.phone,
        "agents": [ref("users", a) for a in agents],
        "grades": [person.grade_id] if person.grade_id else [],
    }
    if person.kind is PersonKind.STUDENT:
        user["password"] = f"pw-{person.sis_id}"  # real feeds carry these; never log them
    if version == "1.2":
        user["preferredFirstName"] = person.preferred_name
        user["roles"] = [
            {
                "roleType": "primary" if i == 0 else "secondary",
                "role": role,
                "org": ref("orgs", school_id),
            }
            for i, role in enumerate(roles)
        ]
        user["primaryOrg"] = ref("orgs", school_id)
    else:
        user["role"] = roles[0]
        user["orgs"] = [ref("orgs", school_id)]
        if person.preferred_name:
            user["metadata"] = {"preferredFirstName": person.preferred_name}
    return user


def _enrollment(key: str, e: Enrolment, school_id: str, modified: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        **_base(key, modified),
        "user": ref("users", e.person_sis_id),
        "class": ref("classes", e.class_sis_id),
        "school": ref("orgs", school_id),
        "role": str(e.role),
        "primary": "true" if e.primary else "false",
    }
    if e.begin_date is not None:
        record["beginDate"] = e.begin_date.isoformat()
    if e.end_date is not None:
        record["endDate"] = e.end_date.isoformat()
    return record


def record_schools(collection: str, record: dict[str, Any]) -> Collection[str] | None:
    """The schools a record of ``collection`` belongs to on per-school paths (``None``: a
    collection that is not per school, whose records every school path lists)."""
    if collection in ("classes", "enrollments", "courses"):
        owner = (record.get("org" if collection == "courses" else "school") or {}).get("sourcedId")
        return (owner,) if isinstance(owner, str) else ()
    if collection == "users":
        return _user_orgs(record)
    return None


def iter_school_records(
    dataset: OneRosterDataset, collection: str, school_id: str
) -> Iterator[dict[str, Any]]:
    """The records of ``collection`` that belong to ``school_id`` (for per-school paths)."""
    for record in dataset.records(collection):
        schools = record_schools(collection, record)
        if schools is None or school_id in schools:
            yield record


def records_by_school(
    dataset: OneRosterDataset, collection: str
) -> dict[str, list[dict[str, Any]]] | None:
    """:func:`iter_school_records` of every school at once, in one pass (``None`` for a
    collection that is not per school)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in dataset.records(collection):
        schools = record_schools(collection, record)
        if schools is None:
            return None
        for school in schools:
            grouped.setdefault(school, []).append(record)
    return grouped


def _user_orgs(user: dict[str, Any]) -> set[str]:
    if "roles" in user:
        return {(r.get("org") or {}).get("sourcedId", "") for r in user["roles"]}
    return {o.get("sourcedId", "") for o in user.get("orgs", [])}


def user_roles(user: dict[str, Any]) -> set[str]:
    """Every role a user has (1.1 ``role`` or 1.2 ``roles[].role``)."""
    if "roles" in user:
        return {r.get("role", "") for r in user["roles"]}
    return {user.get("role", "")}
