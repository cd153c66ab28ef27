"""One school's roster read from a OneRoster source: what the fetch hooks yield.

The school's records are picked out of the source (a class's ``school``, a user's orgs or
roles, an enrolment's ``school`` or class), normalised, and cached for the session so the
five fetch hooks read each collection once. With ``context.limit`` the feed keeps the
first classes and people of each kind and only what joins them, so every reference
still resolves.

Delta (REST with ``context.since``, or CSV delta files): users and enrolments changed since
the cursor; ``tobedeleted`` rows are reported with ``context.report_removed``.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from typing import Any

import attrs

from rostersync_core.fetch import FetchContext
from rostersync_core.model import (
    AcademicSession,
    Course,
    Enrolment,
    EnrolmentRole,
    FamilyLink,
    Grade,
    Person,
    PersonKind,
    RecordKind,
    SchoolClass,
    Subject,
)
from rostersync_oneroster import normalise as n
from rostersync_oneroster.source import RosterSource
from rostersync_oneroster.typed import Enrollment, enrollment_row, user_row

__all__ = ["SchoolFeed"]

log = logging.getLogger(__name__)

_KIND_OF = {
    PersonKind.STUDENT: RecordKind.STUDENT,
    PersonKind.STAFF: RecordKind.STAFF,
    PersonKind.FAMILY: RecordKind.FAMILY,
}
_NO_ORG = "the user names no org for its role"
_STAFF_ENROLMENT = {EnrolmentRole.TEACHER, EnrolmentRole.AIDE, EnrolmentRole.ADMINISTRATOR}


def _grade_order(code: str) -> tuple[int, str]:
    order = list(n.CEDS_GRADES)
    return (order.index(code), code) if code in order else (len(order), code)


@attrs.define
class _Classes:
    sessions: list[AcademicSession]
    courses: list[Course]
    classes: list[SchoolClass]
    subjects: list[Subject]
    grades: list[Grade]


@attrs.frozen
class _FamilyCandidate:
    """A family member read before we know whether they belong to the school."""

    sis_id: str
    person: Person | None
    problem: str
    role: str
    agents: tuple[str, ...]
    in_school: bool


@attrs.define
class _People:
    people: list[Person]
    links: list[FamilyLink]
    ids: dict[PersonKind, set[str]]


class SchoolFeed:
    """The roster of ``context.sis_school_id`` in ``source``, read lazily and cached."""

    def __init__(self, source: RosterSource, context: FetchContext) -> None:
        self.source = source
        self.school_id = context.sis_school_id
        self.since = context.since
        self.limit = context.limit
        self._classes: _Classes | None = None
        self._people: _People | None = None
        self._checked = False

    def _check_school(self) -> None:
        if not self._checked:
            self.source.require_school(self.school_id)
            self._checked = True

    def _rows(self, collection: str, context: FetchContext, kind: RecordKind) -> Iterator[Any]:
        """The source's rows: dicts, or typed structs (:mod:`.typed`)."""
        for row in self.source.records(collection, school_id=self.school_id, since=self.since):
            if type(row) is not dict:
                yield row  # typed: valid by construction
                continue
            problem = row.get("\0invalid")
            if problem:
                context.report_invalid(kind, str(row.get("sourcedId") or ""), str(problem))
                continue
            yield row

    def _read(
        self, collection: str, context: FetchContext, kind: RecordKind
    ) -> tuple[bool, Iterator[Any]]:
        """(is it a delta, the rows). Decided after the first row: a REST server that
        refuses the delta filter is read in full instead."""
        rows = self._rows(collection, context, kind)
        first = next(rows, None)
        delta = self.source.is_delta(collection, self.since)
        return delta, itertools.chain(() if first is None else (first,), rows)

    # -- classes, courses, terms, grades, subjects -----------------------------------------

    def classes(self, context: FetchContext) -> _Classes:
        if self._classes is None:
            self._check_school()
            self._classes = self._read_classes(context)
        return self._classes

    def _read_classes(self, context: FetchContext) -> _Classes:
        delta, rows = self._read("classes", context, RecordKind.CLASS)
        classes: list[SchoolClass] = []
        subject_codes: dict[str, str] = {}
        grade_codes: set[str] = set()
        for row in rows:
            if n.ref_id(row.get("school")) != self.school_id:
                continue
            if n.is_removed(row):
                if delta:
                    context.report_removed(RecordKind.CLASS, n.text(row.get("sourcedId")))
                continue
            klass = n.school_class_from(row, context)
            if klass is not None:
                classes.append(klass)
                grade_codes.update(klass.grade_ids)
                _subjects(row, subject_codes)
        if delta:
            context.mark_delta(RecordKind.CLASS)
        classes.sort(key=lambda c: c.sis_id)
        if self.limit is not None:
            classes = classes[: self.limit]

        wanted_courses = {c.course_sis_id for c in classes if c.course_sis_id}
        courses: list[Course] = []
        year_of_course: dict[str, str] = {}
        for row in self._rows("courses", context, RecordKind.COURSE):
            course_id = n.text(row.get("sourcedId"))
            mine = n.ref_id(row.get("org")) == self.school_id
            if n.is_removed(row) or not (course_id in wanted_courses or mine):
                continue
            course = n.course_from(row, context)
            if course is None:
                continue
            grade_codes.update(course.grade_ids)
            _subjects(row, subject_codes)
            if self.limit is not None and course_id not in wanted_courses:
                continue
            courses.append(course)
            year_of_course[course.sis_id] = n.ref_id(row.get("schoolYear"))
        wanted_sessions = {t for c in classes for t in c.term_sis_ids}
        wanted_sessions.update(y for y in year_of_course.values() if y)
        sessions = self._sessions(context, wanted_sessions)
        return _Classes(
            sessions=sessions,
            courses=sorted(courses, key=lambda c: c.sis_id),
            classes=classes,
            subjects=[Subject(name, name, code) for name, code in sorted(subject_codes.items())],
            grades=[n.grade(code) for code in sorted(grade_codes, key=_grade_order)],
        )

    def _sessions(self, context: FetchContext, wanted: set[str]) -> list[AcademicSession]:
        by_id: dict[str, AcademicSession] = {}
        # Sessions are district-wide: a bad one is reported only if this school uses it.
        scratch = FetchContext(sis_school_id=self.school_id)
        for row in self._rows("academicSessions", scratch, RecordKind.SESSION):
            if n.is_removed(row):
                continue
            session = n.session_from(row, scratch)
            if session is not None:
                by_id[session.sis_id] = session
        for problem in scratch.invalid:
            if problem.sis_id in wanted:
                context.report_invalid(problem.kind, problem.sis_id, problem.reason)
        keep: set[str] = set()
        todo = [w for w in wanted if w in by_id]
        while todo:  # a term's parents (the school year) come along
            current = todo.pop()
            if current in keep:
                continue
            keep.add(current)
            parent = by_id[current].parent_sis_id
            if parent and parent in by_id:
                todo.append(parent)
        return [by_id[k] for k in sorted(keep)]

    # -- people ------------------------------------------------------------------------------

    def people(self, context: FetchContext) -> _People:
        if self._people is None:
            self._check_school()
            self._people = self._read_people(context)
        return self._people

    def _read_people(self, context: FetchContext) -> _People:
        delta, rows = self._read("users", context, RecordKind.STUDENT)
        here = {self.school_id}
        students: list[Person] = []
        staff: list[Person] = []
        # Family members are kept compact until we know whom they belong to.
        family_rows: list[_FamilyCandidate] = []
        student_agents: dict[str, tuple[str, ...]] = {}
        for row in rows:
            user = user_row(row)
            sis_id = user.sis_id()
            roles_here = user.roles_at(here)
            all_roles = user.roles_at()
            if user.removed():
                if delta:
                    self._report_removed_user(context, sis_id, all_roles, user.agent_ids())
                continue
            if "student" in roles_here:
                person = user.person(PersonKind.STUDENT, (), context)
                if person is not None:
                    students.append(person)
                    student_agents[person.sis_id] = user.agent_ids()
            staff_roles = tuple(r for r in roles_here if r in n.STAFF_ROLES)
            if staff_roles:
                person = user.person(PersonKind.STAFF, staff_roles, context)
                if person is not None:
                    staff.append(person)
            if len(roles_here) < len(all_roles):
                _report_roles_without_org(context, user, roles_here, staff_roles)
            family_role = next((r for r in all_roles if r in n.FAMILY_ROLES), "")
            if family_role:
                scratch = FetchContext(sis_school_id=self.school_id)
                family_rows.append(
                    _FamilyCandidate(
                        sis_id,
                        user.person(PersonKind.FAMILY, (), scratch),
                        scratch.invalid[0].reason if scratch.invalid else "",
                        family_role,
                        user.agent_ids(),
                        user.attached_to(self.school_id),
                    )
                )
        students.sort(key=lambda p: p.sis_id)
        staff.sort(key=lambda p: p.sis_id)
        if self.limit is not None:
            students, staff = students[: self.limit], staff[: self.limit]
        student_ids = {p.sis_id for p in students}
        linked_family = {a for s in student_ids for a in student_agents.get(s, ())}

        family: list[Person] = []
        relationship: dict[str, str] = {}
        family_agents: dict[str, tuple[str, ...]] = {}
        for candidate in family_rows:
            sis_id = candidate.sis_id
            belongs = sis_id in linked_family or bool(student_ids & set(candidate.agents))
            if self.limit is None:
                belongs = belongs or candidate.in_school
            if not belongs:
                continue
            if candidate.person is None:
                context.report_invalid(RecordKind.FAMILY, sis_id, candidate.problem)
                continue
            family.append(candidate.person)
            relationship[sis_id] = candidate.role
            family_agents[sis_id] = candidate.agents
        family.sort(key=lambda p: p.sis_id)
        if self.limit is not None:
            family = family[: self.limit]
        family_ids = {p.sis_id for p in family}

        links: dict[str, FamilyLink] = {}
        for student_id in sorted(student_ids):
            for agent in student_agents.get(student_id, ()):
                if agent in family_ids:
                    link = FamilyLink(agent, student_id, relationship[agent])
                    links.setdefault(link.key, link)
        for family_id in sorted(family_ids):
            for agent in family_agents.get(family_id, ()):
                if agent in student_ids:
                    link = FamilyLink(family_id, agent, relationship[family_id])
                    links.setdefault(link.key, link)
        if delta:
            for kind in (RecordKind.STUDENT, RecordKind.STAFF, RecordKind.FAMILY):
                context.mark_delta(kind)
            context.mark_delta(RecordKind.FAMILY_LINK)
        return _People(
            people=[*staff, *students, *family],
            links=sorted(links.values(), key=lambda link: link.key),
            ids={
                PersonKind.STUDENT: student_ids,
                PersonKind.STAFF: {p.sis_id for p in staff},
                PersonKind.FAMILY: family_ids,
            },
        )

    @staticmethod
    def _report_removed_user(
        context: FetchContext, sis_id: str, roles: list[str], agents: tuple[str, ...]
    ) -> None:
        """A ``tobedeleted`` user in a delta: gone, with the family links its ``agents``
        still name (a delta cannot show them disappear otherwise)."""
        for agent in agents:
            if "student" in roles:
                context.report_removed(RecordKind.FAMILY_LINK, f"{agent}|{sis_id}")
            if any(r in n.FAMILY_ROLES for r in roles):
                context.report_removed(RecordKind.FAMILY_LINK, f"{sis_id}|{agent}")
        kinds = set()
        for role in roles:
            if role in n.STUDENT_ROLES:
                kinds.add(RecordKind.STUDENT)
            elif role in n.STAFF_ROLES:
                kinds.add(RecordKind.STAFF)
            elif role in n.FAMILY_ROLES:
                kinds.add(RecordKind.FAMILY)
        for kind in kinds or (RecordKind.STUDENT, RecordKind.STAFF, RecordKind.FAMILY):
            context.report_removed(kind, sis_id)

    # -- enrolments --------------------------------------------------------------------------

    def enrolments(self, context: FetchContext) -> Iterator[Enrolment]:
        classes = {c.sis_id for c in self.classes(context).classes}
        people = self.people(context)
        delta, rows = self._read("enrollments", context, RecordKind.ENROLMENT)
        users_delta = self.source.is_delta("users", self.since)
        classes_delta = self.source.is_delta("classes", self.since)
        seen: set[str] = set()
        school_id = self.school_id
        staff_ids, student_ids = people.ids[PersonKind.STAFF], people.ids[PersonKind.STUDENT]
        for row in rows:
            read = row if type(row) is Enrollment else enrollment_row(row)
            class_id = read.class_id()
            if class_id not in classes and read.school_id() != school_id:
                continue
            if read.removed():
                if delta and class_id and read.user_id():
                    context.report_removed(RecordKind.ENROLMENT, f"{class_id}|{read.user_id()}")
                continue
            enrolment = read.enrolment(context)
            if enrolment is None:
                continue
            key = enrolment.key
            if key in seen:
                continue
            wanted = staff_ids if enrolment.role in _STAFF_ENROLMENT else student_ids
            # In a delta, unchanged classes and people are not in the feed: only a full
            # feed can tell that an enrolment refers to something that does not exist.
            if (not classes_delta and enrolment.class_sis_id not in classes) or (
                not users_delta and enrolment.person_sis_id not in wanted
            ):
                if self.limit is None:
                    context.report_invalid(
                        RecordKind.ENROLMENT,
                        enrolment.sis_id,
                        "refers to a class or a person this school's feed does not have",
                    )
                continue
            seen.add(key)
            yield enrolment
        if delta:
            context.mark_delta(RecordKind.ENROLMENT)


def _report_roles_without_org(
    context: FetchContext, user: Any, roles_here: list[str], staff_roles: tuple[str, ...]
) -> None:
    """A student or staff role naming no org places the user at no school; the row is
    reported invalid (unknown here, never absent: a school that had the user keeps it)."""
    loose = user.roles_without_org()
    if not loose:
        return
    if "student" in loose and "student" not in roles_here:
        context.report_invalid(RecordKind.STUDENT, user.sis_id(), _NO_ORG)
    if not staff_roles and any(r in n.STAFF_ROLES for r in loose):
        context.report_invalid(RecordKind.STAFF, user.sis_id(), _NO_ORG)


def _subjects(row: dict[str, Any], into: dict[str, str]) -> None:
    names = n.strings(row.get("subjects"))
    codes = list(n.strings(row.get("subjectCodes")))
    aligned = len(codes) == len(names)
    for i, name in enumerate(names):
        code = codes[i] if aligned else ""
        if name not in into or (code and not into[name]):
            into[name] = code
