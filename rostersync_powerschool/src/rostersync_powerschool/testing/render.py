"""A generated district as PowerSchool holds it: the JSON objects the fake server serves.

:func:`render_district` turns a :class:`~rostersync_core.districts.District` into
:class:`PowerSchoolData`: per school the school, student, staff, section, course and term
objects in PowerSchool's shapes, plus section enrolments, Contacts API answers, the flat
``contact`` expansion and the co-teacher PowerQuery rows.

How the district's records become PowerSchool's:

- ids are served as integers; CEDS grades as integers (``"KG"`` -> 0, ``"01"`` -> 1);
- a digit string without a leading zero (``local_id``, phones) is served as a number;
- empty values are left out, and empty lists are ``""`` (``"emails": ""``);
- a class is a section of a course: ``section_number`` is the last part of the class
  code, homerooms are sections of a per-grade course numbered ``HR-<grade>``;
- a class taught over several terms is a section of their parent (year-long) term;
- the lead teacher is the section's ``staff_id``; every teacher (lead and co-teachers)
  is a row of the co-teacher PowerQuery, whose id is the district's enrolment id;
- staff roles become ``school_affiliation`` types (teacher 1, others 2); administrators
  also have a district-office affiliation, so their ``school_affiliation`` is a list.

Knobs for quirks: ``pre_registered_every`` (every Nth student is pre-registered, code
-1, still synced), ``transferred_out`` (extra students with code 2 and enrolments, never
synced), ``dropped_every`` (every Nth section gets a ``dropped: true`` row).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from rostersync_core.districts import District, SchoolRoster
from rostersync_core.model import ClassType, EnrolmentRole, Person, SessionType

__all__ = [
    "CEDS_TO_POWERSCHOOL",
    "HOMEROOM_COURSE_BASE",
    "TRANSFERRED_STUDENT_BASE",
    "PowerSchoolData",
    "SchoolData",
    "ps_grade",
    "ps_number",
    "render_district",
]

#: CEDS grade codes as PowerSchool grade levels.
CEDS_TO_POWERSCHOOL: dict[str, int] = {
    "PK": -1,
    "KG": 0,
    **{f"{g:02d}": g for g in range(1, 13)},
}
#: Ids of the synthetic homeroom courses and the transferred-out students.
HOMEROOM_COURSE_BASE = 90_000_000
TRANSFERRED_STUDENT_BASE = 95_000_000
_PORTION = {SessionType.SCHOOL_YEAR: 1, SessionType.SEMESTER: 2, SessionType.TERM: 4,
            SessionType.GRADING_PERIOD: 4}


def ps_grade(ceds: str) -> int:
    """A CEDS grade code as a PowerSchool grade level."""
    return CEDS_TO_POWERSCHOOL[ceds]


def ps_number(value: str) -> str | int:
    """``value`` as PowerSchool may send it: digits without a leading zero become a number."""
    if value.isdigit() and not (len(value) > 1 and value.startswith("0")):
        return int(value)
    return value


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key`` only when ``value`` is not empty: PowerSchool leaves empty fields out."""
    if value not in ("", None):
        target[key] = value


def _name(person: Person) -> dict[str, Any]:
    name: dict[str, Any] = {}
    _put(name, "first_name", person.given_name)
    _put(name, "middle_name", person.middle_name)
    _put(name, "last_name", person.family_name)
    return name


def _one_or_many(items: list[dict[str, Any]]) -> dict[str, Any] | list[dict[str, Any]] | str:
    """PowerSchool's list: ``""`` when empty, the object itself when alone."""
    if not items:
        return ""
    return items[0] if len(items) == 1 else items


@attrs.define
class SchoolData:
    """One school in PowerSchool's shapes."""

    school: dict[str, Any]
    students: list[dict[str, Any]] = attrs.field(factory=list)
    staff: list[dict[str, Any]] = attrs.field(factory=list)
    sections: list[dict[str, Any]] = attrs.field(factory=list)
    courses: list[dict[str, Any]] = attrs.field(factory=list)
    terms: list[dict[str, Any]] = attrs.field(factory=list)


@attrs.define
class PowerSchoolData:
    """A whole district in PowerSchool's shapes, as the fake server serves it."""

    schools: dict[int, SchoolData] = attrs.field(factory=dict)
    #: Extra schools listed by ``/ws/v1/district/school`` only (district office, graduates).
    other_schools: list[dict[str, Any]] = attrs.field(factory=list)
    section_enrollments: dict[int, list[dict[str, Any]]] = attrs.field(factory=dict)
    #: Contacts API answers by student dcid (absent: 204 No Content).
    contacts: dict[int, list[dict[str, Any]]] = attrs.field(factory=dict)
    #: Rows of the co-teacher PowerQuery.
    coteachers: list[dict[str, Any]] = attrs.field(factory=list)

    def all_students(self) -> list[dict[str, Any]]:
        return [s for school in self.schools.values() for s in school.students]


def render_district(
    district: District,
    *,
    pre_registered_every: int = 0,
    transferred_out: int = 0,
    dropped_every: int = 0,
    school_year_start: str = "2026-08-20",
    school_year_end: str = "2027-06-15",
) -> PowerSchoolData:
    """The district in PowerSchool's shapes (see the module docstring)."""
    data = PowerSchoolData()
    data.other_schools = [
        {"id": 0, "school_number": 0, "name": "District Office", "low_grade": 0,
         "high_grade": 12},
        {"id": 999999, "school_number": 999999, "name": "Graduated Students",
         "low_grade": 99, "high_grade": 99},
    ]
    extra_id = TRANSFERRED_STUDENT_BASE
    for roster in district.schools.values():
        school = _render_school(roster, data, pre_registered_every,
                                (school_year_start, school_year_end))
        if transferred_out:
            extra_id = _add_transferred(school, data, transferred_out, extra_id)
        if dropped_every:
            _add_dropped(school, data, dropped_every)
        data.schools[school.school["id"]] = school
    return data


def _render_school(
    roster: SchoolRoster, data: PowerSchoolData, pre_registered_every: int,
    year: tuple[str, str],
) -> SchoolData:
    school_id = int(roster.school.sis_id)
    levels = [ps_grade(g.sis_id) for g in roster.grades] or [0]
    school: dict[str, Any] = {
        "id": school_id,
        "school_number": ps_number(roster.school.identifier or roster.school.sis_id),
        "name": roster.school.name,
        "low_grade": min(levels),
        "high_grade": max(levels),
    }
    out = SchoolData(school=school)
    links_by_student: dict[str, list[tuple[Person, str]]] = {}
    family = {p.sis_id: p for p in roster.family()}
    for link in roster.family_links:
        guardian = family.get(link.family_sis_id)
        if guardian is not None:
            links_by_student.setdefault(link.student_sis_id, []).append(
                (guardian, link.relationship)
            )
    for index, student in enumerate(roster.students()):
        pre = bool(pre_registered_every) and index % pre_registered_every == 0
        out.students.append(_student(student, school, pre, year,
                                     links_by_student.get(student.sis_id, [])))
        contacts = [_contact(g, rel, student.sis_id)
                    for g, rel in links_by_student.get(student.sis_id, [])]
        if contacts:
            data.contacts[int(student.sis_id)] = contacts
    out.staff = [_staff(p, school_id) for p in roster.staff()]
    _render_terms(roster, out, school_id)
    _render_classes(roster, out, data, school_id)
    return out


def _student(
    person: Person, school: Mapping[str, Any], pre_registered: bool, year: tuple[str, str],
    guardians: list[tuple[Person, str]],
) -> dict[str, Any]:
    enrollment: dict[str, Any] = {
        "enroll_status": "P" if pre_registered else "A",
        "enroll_status_code": -1 if pre_registered else 0,
        "enroll_status_description": "Pre-registered" if pre_registered else "Active",
        "grade_level": ps_grade(person.grade_id),
        "entry_date": year[0],
        "exit_date": year[1],
        "school_id": school["id"],
        "school_number": school["school_number"],
    }
    record: dict[str, Any] = {"id": int(person.sis_id)}
    _put(record, "local_id", ps_number(person.identifier))
    _put(record, "student_username", person.username)
    record["name"] = _name(person)
    record["school_enrollment"] = enrollment
    record["contact_info"] = {"email": person.email} if person.email else ""
    record["contact"] = _flat_contact(guardians)
    return record


def _flat_contact(guardians: list[tuple[Person, str]]) -> dict[str, Any]:
    """The older flat ``contact`` expansion: one mother, one father, e-mails in one string."""
    flat: dict[str, Any] = {}
    for guardian, relationship in guardians:
        if relationship in ("mother", "father") and relationship not in flat:
            flat[relationship] = f"{guardian.family_name}, {guardian.given_name}"
    emails = [g.email for g, _ in guardians if g.email]
    _put(flat, "guardian_email", ",".join(emails))
    return flat


def _contact(guardian: Person, relationship: str, student_id: str) -> dict[str, Any]:
    contact: dict[str, Any] = {"contactId": int(guardian.sis_id)}
    _put(contact, "firstName", guardian.given_name)
    _put(contact, "middleName", guardian.middle_name)
    _put(contact, "lastName", guardian.family_name)
    contact["emails"] = (
        [{"address": guardian.email, "primary": True, "type": "Current"}]
        if guardian.email else []
    )
    contact["phones"] = (
        [{"phoneNumber": ps_number(guardian.phone), "primary": True, "type": "Mobile"}]
        if guardian.phone else []
    )
    contact["contactStudents"] = [{
        "studentDcid": int(student_id),
        "relationship": relationship.capitalize(),
        "custodial": True,
        "livesWith": True,
        "emergency": True,
        "active": True,
    }]
    return contact


def _staff(person: Person, school_id: int) -> dict[str, Any]:
    staff_type = 1 if "teacher" in person.roles else 2
    affiliations = [{"school_id": school_id, "type": staff_type, "status": 1}]
    if "administrator" in person.roles:
        affiliations.append({"school_id": 0, "type": 2, "status": 1})
    record: dict[str, Any] = {"id": int(person.sis_id)}
    _put(record, "local_id", ps_number(person.identifier))
    _put(record, "admin_username", person.username)
    if staff_type == 1:
        _put(record, "teacher_username", person.username)
    record["name"] = _name(person)
    record["emails"] = {"work_email": person.email} if person.email else ""
    record["school_affiliations"] = {"school_affiliation": _one_or_many(affiliations)}
    record["users_dcid"] = int(person.sis_id)
    return record


def _render_terms(roster: SchoolRoster, out: SchoolData, school_id: int) -> None:
    for session in roster.sessions:
        year_session = session
        if session.parent_sis_id:
            year_session = next(
                (s for s in roster.sessions if s.sis_id == session.parent_sis_id), session
            )
        start = year_session.start_date.year if year_session.start_date else 2026
        term: dict[str, Any] = {
            "id": int(session.sis_id),
            "name": session.title,
            "abbreviation": session.title[:6],
            "portion": _PORTION.get(session.type, 4),
            "year_id": start - 1990,
            "school_id": school_id,
        }
        _put(term, "start_date", session.start_date.isoformat() if session.start_date else "")
        _put(term, "end_date", session.end_date.isoformat() if session.end_date else "")
        out.terms.append(term)


def _section_term(roster: SchoolRoster, term_ids: tuple[str, ...]) -> int:
    if len(term_ids) == 1:
        return int(term_ids[0])
    parents = {s.parent_sis_id for s in roster.sessions if s.sis_id in term_ids}
    if len(parents) == 1 and "" not in parents:
        return int(parents.pop())
    return int(term_ids[0]) if term_ids else 0


def _render_classes(
    roster: SchoolRoster, out: SchoolData, data: PowerSchoolData, school_id: int
) -> None:
    homeroom_courses: dict[str, dict[str, Any]] = {}
    for course in roster.courses:
        rendered: dict[str, Any] = {"id": int(course.sis_id), "course_number": course.code,
                                    "course_name": course.title}
        if course.subject_ids:
            rendered["sched_department"] = course.subject_ids[0]
        subject_code = next((s.code for s in roster.subjects if s.sis_id in course.subject_ids),
                            "")
        if subject_code:
            rendered["_extension_data"] = {"_table_extension": {
                "name": "s_crs_x", "recordFound": True,
                "_field": {"name": "sced_code", "type": "String", "value": f"{subject_code}001"},
            }}
        out.courses.append(rendered)
    teachers: dict[str, list[tuple[str, bool, str]]] = {}
    for e in roster.enrolments:
        if e.role is EnrolmentRole.TEACHER:
            teachers.setdefault(e.class_sis_id, []).append((e.person_sis_id, e.primary, e.sis_id))
    enrolments: dict[str, list[dict[str, Any]]] = {}
    for e in roster.enrolments:
        if e.role is EnrolmentRole.STUDENT:
            row: dict[str, Any] = {"id": int(e.sis_id), "section_id": int(e.class_sis_id),
                                   "student_id": int(e.person_sis_id)}
            _put(row, "entry_date", e.begin_date.isoformat() if e.begin_date else "")
            _put(row, "exit_date", e.end_date.isoformat() if e.end_date else "")
            row["dropped"] = False
            enrolments.setdefault(e.class_sis_id, []).append(row)
    for number, klass in enumerate(roster.classes, start=1):
        course_number, _, section_number = klass.code.rpartition("-")
        if klass.class_type is ClassType.HOMEROOM:
            homeroom = homeroom_courses.get(course_number)
            if homeroom is None:
                homeroom = {"id": HOMEROOM_COURSE_BASE + school_id * 100 + len(homeroom_courses),
                          "course_number": course_number,
                          "course_name": klass.title.removesuffix(f" {section_number}")}
                homeroom_courses[course_number] = homeroom
                out.courses.append(homeroom)
            course_id = homeroom["id"]
        else:
            course_id = int(klass.course_sis_id)
        lead = next((t for t in teachers.get(klass.sis_id, []) if t[1]), None)
        section: dict[str, Any] = {
            "id": int(klass.sis_id),
            "school_id": school_id,
            "course_id": course_id,
            "term_id": _section_term(roster, klass.term_sis_ids),
            "section_number": section_number,
            "expression": f"{number % 8 + 1}(A)",
            "external_expression": f"{number % 8 + 1}(A)",
        }
        if lead is not None:
            section["staff_id"] = int(lead[0])
        _put(section, "room", klass.location)
        if klass.grade_ids:
            section["grade_level"] = ps_grade(klass.grade_ids[0])
        out.sections.append(section)
        data.section_enrollments[int(klass.sis_id)] = enrolments.get(klass.sis_id, [])
        for person_id, primary, enrolment_id in teachers.get(klass.sis_id, []):
            data.coteachers.append({"tables": {"sectionteacher": {
                "id": enrolment_id,
                "sectionid": klass.sis_id,
                "teacherid": person_id,
                "role": "Lead Teacher" if primary else "Co-teacher",
                "allocation": "1" if primary else "0",
            }}})


def _add_transferred(school: SchoolData, data: PowerSchoolData, count: int, next_id: int) -> int:
    """Students who left (code 2) and are still listed, with enrolment rows."""
    sections = school.sections
    for i in range(count):
        next_id += 1
        school.students.append({
            "id": next_id,
            "local_id": next_id,
            "name": {"first_name": "Left", "last_name": f"Student{i}"},
            "school_enrollment": {"enroll_status": "T", "enroll_status_code": 2,
                                  "grade_level": school.school["low_grade"],
                                  "school_id": school.school["id"]},
            "contact_info": "",
            "contact": "",
        })
        if sections:
            section_id = sections[i % len(sections)]["id"]
            data.section_enrollments[section_id].append(
                {"id": next_id, "section_id": section_id, "student_id": next_id,
                 "dropped": False}
            )
    return next_id


def _add_dropped(school: SchoolData, data: PowerSchoolData, every: int) -> None:
    """``dropped: true`` rows for students who left a section (they stay in the feed)."""
    students = [s["id"] for s in school.students if s["school_enrollment"]["enroll_status_code"]
                in (0, -1)]
    for index, section in enumerate(school.sections):
        if index % every:
            continue
        rows = data.section_enrollments[section["id"]]
        present = {r["student_id"] for r in rows}
        leaver = next((s for s in students if s not in present), None)
        if leaver is not None:
            rows.append({"id": 80_000_000 + section["id"] % 10_000_000, "section_id":
                         section["id"], "student_id": leaver, "dropped": True})

