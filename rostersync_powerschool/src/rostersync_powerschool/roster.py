"""One school's roster read from PowerSchool: what each fetch hook yields.

A :class:`SchoolFeed` reads a kind afresh in the hook that yields it (people in
``fetch_people``, sections in ``fetch_classes``) and keeps it for the hooks that depend on
it (``fetch_enrolments`` needs the students and sections), so one sync reads each list
once. Rows that fail validation are reported through ``FetchContext.report_invalid`` in
the hook that yields their kind, never raised, never logged.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from rostersync_core.errors import ConfigError
from rostersync_core.fetch import FetchContext
from rostersync_core.http import SisNotFoundError, segment
from rostersync_core.model import (
    AcademicSession,
    Course,
    Enrolment,
    EnrolmentRole,
    FamilyLink,
    Grade,
    Person,
    RecordKind,
    SchoolClass,
    Subject,
)
from rostersync_powerschool import normalise as ps
from rostersync_powerschool.api import (
    COTEACHER_QUERY,
    ContactsForbiddenError,
    PowerSchoolApi,
    unknown_school,
)
from rostersync_powerschool.shapes import as_mapping, int_or_none, text

__all__ = ["SchoolFeed"]

log = logging.getLogger("rostersync_powerschool")

_STUDENT_EXPANSIONS = "school_enrollment,contact,contact_info"


@attrs.define
class _Students:
    synced: list[Person]
    #: The flat ``contact`` expansion by dcid (synced and unreadable students).
    flat_contacts: dict[str, Any]
    left_out: set[str]  # enroll status not synced, or beyond the limit
    invalid: list[ps.BadRow]


@attrs.define
class _Sections:
    classes: list[SchoolClass]
    courses: list[Course]
    lead: dict[str, str]  # section id -> lead teacher id
    invalid: list[tuple[RecordKind, ps.BadRow]]


@attrs.define
class _Family:
    people: list[Person]
    links: list[FamilyLink]
    invalid: list[ps.BadRow]
    #: Keys of the links of students that could not be read: unknown, not absent.
    unknown_links: list[str]


class SchoolFeed:
    """The records of one school, read through ``api`` for the connection's settings."""

    def __init__(self, api: PowerSchoolApi, school_id: str, limit: int | None) -> None:
        self.api = api
        self.settings = api.settings
        self.school_id = school_id
        self.limit = limit
        self._students: _Students | None = None
        self._sections: _Sections | None = None
        self._family: _Family | None = None
        self._staff_ids: set[str] | None = None

    # -- grades and subjects ----------------------------------------------------------------

    def grades(self) -> list[Grade]:
        """The school's grade levels, ``low_grade`` to ``high_grade``, as integer strings."""
        try:
            body = self.api.get_json(f"ws/v1/school/{segment(self.school_id)}")
        except SisNotFoundError:
            raise unknown_school(self.school_id) from None
        school = as_mapping(as_mapping(body).get("school"))
        low, high = int_or_none(school.get("low_grade")), int_or_none(school.get("high_grade"))
        if low is None or high is None or low > high:
            levels = sorted({int(p.grade_id) for p in self.students().synced})
        else:
            levels = list(range(low, high + 1))
        return [Grade(str(level), ps.grade_name(level)) for level in levels]

    def subjects(self) -> list[Subject]:
        """The subjects of the school's courses (``sched_department``), with SCED codes."""
        return [Subject(name, name, code) for name, code in self._courses()[1].items()]

    # -- classes ----------------------------------------------------------------------------

    def terms(self, context: FetchContext) -> list[AcademicSession]:
        rows = list(self.api.school_records(self.school_id, "term", "terms"))
        year_terms = {
            text(r.get("year_id")): text(r.get("id"))
            for r in rows if int_or_none(r.get("portion")) in (1, None)
        }
        sessions = []
        for row in rows:
            try:
                sessions.append(ps.term_session(row, year_terms))
            except ps.BadRow as bad:
                context.report_invalid(RecordKind.SESSION, bad.sis_id, f"term {bad.reason}")
        return sessions

    def _courses(
        self,
    ) -> tuple[dict[str, ps.CourseInfo], dict[str, str], list[tuple[RecordKind, ps.BadRow]]]:
        """Courses by id and by course number, SCED codes by subject, unreadable rows."""
        invalid: list[tuple[RecordKind, ps.BadRow]] = []
        courses: dict[str, ps.CourseInfo] = {}
        codes: dict[str, str] = {}
        for row in self.api.school_records(self.school_id, "course", "courses",
                                           params={"extensions": "s_crs_x"}):
            try:
                info = ps.course_info(row, self.settings.homeroom_course_prefixes)
            except ps.BadRow as bad:
                invalid.append((RecordKind.COURSE, bad))
                continue
            courses[info.course.sis_id] = info
            if info.course.code:
                courses.setdefault(info.course.code, info)
            for subject in info.course.subject_ids:
                if not codes.get(subject):
                    codes[subject] = ps.subject_code(row)
        return courses, codes, invalid

    def sections(self, *, refresh: bool = False) -> _Sections:
        """Courses and sections (as classes); read once per refresh."""
        if self._sections is not None and not refresh:
            return self._sections
        courses, _, invalid = self._courses()
        classes: list[SchoolClass] = []
        lead: dict[str, str] = {}
        grades: dict[str, set[str]] = {}
        # Every section is read (a course's grades come from all of them); with a limit,
        # only the first ``limit`` become classes.
        for row in self.api.school_records(self.school_id, "section", "sections"):
            try:
                klass = ps.section_class(row, courses)
            except ps.BadRow as bad:
                invalid.append((RecordKind.CLASS, bad))
                continue
            if klass.course_sis_id:
                grades.setdefault(klass.course_sis_id, set()).update(klass.grade_ids)
            if self.limit is not None and len(classes) >= self.limit:
                continue
            classes.append(klass)
            staff_id = text(row.get("staff_id"))
            if staff_id:
                lead[klass.sis_id] = staff_id
        unique = {id(info): info for info in courses.values()}.values()
        course_records = [
            attrs.evolve(i.course, grade_ids=tuple(sorted(grades.get(i.course.sis_id, ()),
                                                          key=_grade_order)))
            for i in unique if not i.homeroom
        ]
        self._sections = _Sections(classes, course_records, lead, invalid)
        return self._sections

    def classes(self, context: FetchContext) -> Iterator[AcademicSession | Course | SchoolClass]:
        yield from self.terms(context)
        sections = self.sections(refresh=True)
        for kind, bad in sections.invalid:
            context.report_invalid(kind, bad.sis_id, f"{kind.value} {bad.reason}")
        yield from sections.courses
        yield from sections.classes

    # -- people -----------------------------------------------------------------------------

    def students(self, *, refresh: bool = False) -> _Students:
        if self._students is not None and not refresh:
            return self._students
        statuses = self.settings.enroll_statuses
        found = _Students([], {}, set(), [])
        rows = self.api.school_records(self.school_id, "student", "students",
                                       params={"expansions": _STUDENT_EXPANSIONS})
        for row in rows:
            status = ps.enroll_status(row)
            if status is not None and status not in statuses:
                found.left_out.add(text(row.get("id")))
                continue
            if self.limit is not None and len(found.synced) >= self.limit:
                found.left_out.add(text(row.get("id")))
                continue
            try:
                person = ps.student_person(row)
            except ps.BadRow as bad:
                found.invalid.append(bad)
                if bad.sis_id:
                    found.flat_contacts[bad.sis_id] = row.get("contact")
                continue
            found.synced.append(person)
            found.flat_contacts[person.sis_id] = row.get("contact")
        self._students = found
        return found

    def staff(self, context: FetchContext) -> list[Person]:
        people: list[Person] = []
        for row in self.api.school_records(self.school_id, "staff", "staffs"):
            try:
                person = ps.staff_person(row, self.school_id, self.settings.staff_roles)
            except ps.BadRow as bad:
                context.report_invalid(RecordKind.STAFF, bad.sis_id, f"staff member {bad.reason}")
                continue
            if person is not None:
                people.append(person)
        self._staff_ids = {p.sis_id for p in people}
        return people

    def family(self, *, refresh: bool = False) -> _Family:
        if self._family is not None and not refresh:
            return self._family
        students = self.students()
        family = _Family([], [], [], [])
        seen: set[str] = set()
        unreadable = {bad.sis_id for bad in students.invalid if bad.sis_id}
        ids = [p.sis_id for p in students.synced] + sorted(unreadable)
        for student_id, guardians in self._guardians(ids, students, family.invalid):
            if student_id in unreadable:
                family.unknown_links.extend(f"{p.sis_id}|{student_id}" for p, _ in guardians)
                continue
            for person, relationship in guardians:
                if person.sis_id not in seen:
                    seen.add(person.sis_id)
                    family.people.append(person)
                family.links.append(FamilyLink(person.sis_id, student_id, relationship))
        self._family = family
        return family

    def _guardians(
        self, ids: list[str], students: _Students, invalid: list[ps.BadRow]
    ) -> Iterator[tuple[str, list[tuple[Person, str]]]]:
        mode = self.settings.contacts
        if mode != "expansion" and ids:
            try:
                first = self.api.student_contacts(ids[0])
            except ContactsForbiddenError as exc:
                if mode == "contacts_api":
                    raise
                log.warning("%s: guardians come from the contact expansion instead", exc)
                first = None
            if first is None and mode == "contacts_api":
                raise ConfigError(
                    "this PowerSchool server has no Contacts API (PowerSchool 12 or later)",
                    field="contacts",
                    hint="set contacts to 'expansion' or 'auto'",
                )
            if first is not None:
                rest = self.api.imap(self.api.student_contacts, ids[1:])
                answers = itertools.chain([first], rest)
                for student_id, contacts in zip(ids, answers, strict=True):
                    yield student_id, _contact_guardians(student_id, contacts or [], invalid)
                return
        for student_id in ids:
            flat = {"contact": students.flat_contacts.get(student_id)}
            yield student_id, ps.expansion_guardians(flat)

    def people(self, context: FetchContext) -> Iterator[Person]:
        students = self.students(refresh=True)
        for bad in students.invalid:
            context.report_invalid(RecordKind.STUDENT, bad.sis_id, f"student {bad.reason}")
        yield from students.synced
        yield from self.staff(context)
        family = self.family(refresh=True)
        reported: set[str] = set()
        for bad in family.invalid:
            if bad.sis_id not in reported:
                reported.add(bad.sis_id)
                context.report_invalid(RecordKind.FAMILY, bad.sis_id, f"contact {bad.reason}")
        yield from family.people

    # -- enrolments -------------------------------------------------------------------------

    def enrolments(self, context: FetchContext) -> Iterator[Enrolment | FamilyLink]:
        sections = self.sections()
        students = self.students()
        synced = {p.sis_id for p in students.synced}
        unreadable = {bad.sis_id for bad in students.invalid}
        staff = self._staff_ids
        if staff is None:
            staff = {p.sis_id for p in self.staff(FetchContext(self.school_id))}
        yield from self._teachers(sections, staff, context)
        ids = [c.sis_id for c in sections.classes]
        for section_id, rows in zip(ids, self.api.imap(self._section_rows, ids), strict=True):
            for row in rows:
                try:
                    enrolment = ps.section_enrolment(row, section_id)
                except ps.BadRow as bad:
                    context.report_invalid(RecordKind.ENROLMENT, bad.sis_id,
                                           f"section enrolment {bad.reason}")
                    continue
                if enrolment is None or enrolment.person_sis_id in students.left_out:
                    continue
                if enrolment.person_sis_id not in synced:
                    reason = ("its student could not be read"
                              if enrolment.person_sis_id in unreadable
                              else "refers to a student the school does not list")
                    context.report_invalid(RecordKind.ENROLMENT, enrolment.key, reason)
                    continue
                yield enrolment
        family = self.family()
        for key in family.unknown_links:
            context.report_invalid(RecordKind.FAMILY_LINK, key, "its student could not be read")
        yield from family.links

    def _section_rows(self, section_id: str) -> list[Mapping[str, Any]]:
        path = f"ws/v1/section/{segment(section_id)}/section_enrollment"
        return list(self.api.list_records(path, "section_enrollments", "section_enrollment",
                                          resource="section_enrollment", use_count=False))

    def _teachers(
        self, sections: _Sections, staff: set[str], context: FetchContext
    ) -> Iterator[Enrolment]:
        in_school = {c.sis_id for c in sections.classes}
        rows: dict[tuple[str, str], str] = {}
        try:
            for tables in self.api.powerquery(COTEACHER_QUERY):
                row = as_mapping(tables.get("sectionteacher"))
                section, teacher = text(row.get("sectionid")), text(row.get("teacherid"))
                if section in in_school and teacher:
                    rows.setdefault((section, teacher), text(row.get("id")))
        except SisNotFoundError:
            log.warning("PowerSchool has no co-teacher PowerQuery (%s) for this plugin: only "
                        "lead teachers are enrolled", COTEACHER_QUERY)
            rows = {}
        teachers: dict[str, list[str]] = {}
        for (section, teacher) in rows:
            teachers.setdefault(section, []).append(teacher)
        for klass in sections.classes:
            lead = sections.lead.get(klass.sis_id, "")
            for teacher in [lead, *sorted(t for t in teachers.get(klass.sis_id, []) if t != lead)]:
                if not teacher:
                    continue
                enrolment = Enrolment(klass.sis_id, teacher, EnrolmentRole.TEACHER,
                                      primary=teacher == lead,
                                      sis_id=rows.get((klass.sis_id, teacher), ""))
                if teacher not in staff:
                    context.report_invalid(RecordKind.ENROLMENT, enrolment.key,
                                           "its teacher is not on the school's staff list")
                    continue
                yield enrolment


def _grade_order(grade: str) -> int:
    value = int_or_none(grade)
    return value if value is not None else 10_000


def _contact_guardians(
    student_id: str, contacts: list[Mapping[str, Any]], invalid: list[ps.BadRow]
) -> list[tuple[Person, str]]:
    found = []
    for contact in contacts:
        try:
            person = ps.contact_person(contact)
        except ps.BadRow as bad:
            invalid.append(bad)
            continue
        relationship = ps.contact_relationship(contact, student_id)
        if relationship is not None:
            found.append((person, relationship))
    return found
