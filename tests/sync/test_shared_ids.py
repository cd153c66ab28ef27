"""Students and staff may share an SIS id (PowerSchool numbers each table on its own): an
enrolment's person is the student for a student's enrolment and the staff member for a
teacher's, so what is decided about one never spills onto the other."""

from __future__ import annotations

from typing import Any

import attrs

from rostersync_core.districts import District
from rostersync_core.model import Enrolment, EnrolmentRole, RecordKind
from rostersync_core.sync import approve_job, iter_changes, run_sync, set_settings
from tests.sync.helpers import roster_of


def student_with_a_teachers_id(district: District) -> tuple[District, str]:
    """The district with its first student renumbered to the first teacher's SIS id (and
    out of that teacher's classes: one class cannot list two people with one id)."""
    changed = district.copy()
    roster = roster_of(changed)
    teacher = next(e.person_sis_id for e in roster.enrolments if e.role is EnrolmentRole.TEACHER)
    taught = {e.class_sis_id for e in roster.enrolments if e.person_sis_id == teacher}
    student = roster.students()[0].sis_id
    roster.people = [
        attrs.evolve(p, sis_id=teacher) if p.sis_id == student else p for p in roster.people
    ]
    roster.enrolments = [
        attrs.evolve(e, person_sis_id=teacher) if e.person_sis_id == student else e
        for e in roster.enrolments
        if not (e.person_sis_id == student and e.class_sis_id in taught)
    ]
    roster.family_links = [
        attrs.evolve(f, student_sis_id=teacher) if f.student_sis_id == student else f
        for f in roster.family_links
    ]
    return changed, teacher


def teacher_enrolments(store: Any, job_id: int, teacher: str) -> list[Any]:
    return [
        c
        for c in iter_changes(store, job_id, kind=RecordKind.ENROLMENT)
        if c.sis_id.endswith(f"|{teacher}") and c.after.role is not EnrolmentRole.STUDENT
    ]


def test_excluding_a_student_leaves_the_teacher_with_the_same_id_enrolled(
    store: Any, platform: Any, host: Any, connector: Any, school: str, district: Any
) -> None:
    changed, shared = student_with_a_teachers_id(district)
    connector.district = changed
    store.add_exclusions(school, "sis", RecordKind.STUDENT, [shared])
    job = run_sync(store, host, platform, school)
    taught = [
        e
        for e in roster_of(changed).enrolments
        if e.person_sis_id == shared and e.role is not EnrolmentRole.STUDENT
    ]
    assert len(teacher_enrolments(store, job.id, shared)) == len(taught) > 0


def test_a_teacher_not_created_is_never_replaced_by_the_student_with_the_same_id(
    store: Any, platform: Any, host: Any, connector: Any, school: str, district: Any
) -> None:
    changed, shared = student_with_a_teachers_id(district)
    connector.district = changed
    set_settings(store, school, {"create": "false"}, kind="staff")
    job = run_sync(store, host, platform, school)
    assert teacher_enrolments(store, job.id, shared) == []


def test_a_student_and_a_teacher_sharing_an_id_in_one_class_are_both_enrolled(
    store: Any, platform: Any, host: Any, connector: Any, school: str, district: Any
) -> None:
    changed, shared = student_with_a_teachers_id(district)
    roster = roster_of(changed)
    taught = next(e.class_sis_id for e in roster.enrolments if e.person_sis_id == shared)
    roster.enrolments.append(Enrolment(taught, shared, EnrolmentRole.STUDENT, sis_id="x-1"))
    connector.district = changed
    job = run_sync(store, host, platform, school)
    roles = sorted(
        str(c.after.role)
        for c in iter_changes(store, job.id, kind=RecordKind.ENROLMENT)
        if c.sis_id == f"{taught}|{shared}"
    )
    assert roles == ["student", "teacher"]
    approve_job(store, host, platform, job.id, actor="admin")
    again = run_sync(store, host, platform, school)
    assert again.change_count == 0
