"""Schools, terms, courses, sections, teachers and section enrolments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from rostersync_core.connector import Connector
from rostersync_core.model import (
    AcademicSession,
    ClassType,
    Course,
    Enrolment,
    EnrolmentRole,
    RecordKind,
    SchoolClass,
    SessionType,
)
from rostersync_core.testing.contract_fetch import FetchedRoster
from rostersync_powerschool.testing import FakePowerSchool


def _of(roster: FetchedRoster, kind: type) -> list:
    return [r for _, r in roster.records() if isinstance(r, kind)]


def test_the_district_office_and_graduates_are_not_schools(
    connector: Connector, ps: FakePowerSchool
) -> None:
    session = connector.authenticate(ps.config())
    schools = connector.list_schools(session)
    assert [(s.sis_id, s.identifier) for s in schools] == [("100", "001")]
    listed = [r for r in ps.requests if r.path == "/ws/v1/district/school"]
    assert listed


def test_terms_have_their_dates_type_and_year(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    sessions = {s.sis_id: s for s in _of(fetch(ps), AcademicSession)}
    year = sessions["1000"]
    assert (year.type, year.start_date, year.end_date, year.parent_sis_id) == (
        SessionType.SCHOOL_YEAR, dt.date(2026, 8, 20), dt.date(2027, 6, 15), "")
    assert {s.parent_sis_id for k, s in sessions.items() if k != "1000"} == {"1000"}
    assert {s.type for k, s in sessions.items() if k != "1000"} == {SessionType.SEMESTER}


def test_a_section_is_a_class_in_its_course_and_term(
    district, ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    classes = {c.sis_id: c for c in _of(fetch(ps), SchoolClass)}
    source = district.school("100").classes[0]
    got = classes[source.sis_id]
    assert (got.title, got.code, got.course_sis_id, got.location) == (
        source.title, source.code, source.course_sis_id, source.location)
    assert got.term_sis_ids == ("1000",)  # taught in both semesters: the year-long term
    assert got.class_type is ClassType.SCHEDULED


def test_subjects_and_their_sced_codes_come_from_the_courses(
    district, ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    roster = fetch(ps)
    assert {(s.sis_id, s.code) for s in roster.by_hook["fetch_subjects"]} == {
        (s.sis_id, s.code) for s in district.school("100").subjects}
    courses = [r for r in ps.requests if r.path == "/ws/v1/school/100/course"]
    assert all(r.arg("extensions") == "s_crs_x" for r in courses)


def test_a_course_without_its_extension_has_a_subject_without_a_code(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    for course in ps.data.schools[100].courses:
        course.pop("_extension_data", None)
    subjects = fetch(ps).by_hook["fetch_subjects"]
    assert subjects and {s.code for s in subjects} == {""}


def test_courses_carry_the_grades_of_their_sections(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    courses = _of(fetch(ps), Course)
    assert courses and all(len(c.grade_ids) == 1 for c in courses)
    assert "0" in {c.grade_ids[0] for c in courses}


def test_sections_of_homeroom_courses_are_homerooms_without_a_course(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    course = ps.data.schools[100].courses[0]
    number = course["course_number"]
    roster = fetch(ps, homeroom_course_prefixes=[number])
    homerooms = [c for c in _of(roster, SchoolClass) if c.class_type is ClassType.HOMEROOM]
    assert homerooms and all(c.course_sis_id == "" and c.subject_ids == () for c in homerooms)
    assert str(course["id"]) not in {c.sis_id for c in _of(roster, Course)}


def test_a_section_of_an_unknown_course_is_reported_not_yielded(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    section = ps.data.schools[100].sections[0]
    section["course_id"] = 424242
    roster = fetch(ps)
    assert str(section["id"]) not in {c.sis_id for c in _of(roster, SchoolClass)}
    assert [(r.kind, r.sis_id) for r in roster.invalid] == [(RecordKind.CLASS, str(section["id"]))]


def test_the_lead_teacher_is_primary_and_co_teachers_are_not(
    district, ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    section = ps.data.schools[100].sections[0]
    co_teacher = next(s["id"] for s in ps.data.schools[100].staff
                      if s["id"] != section["staff_id"])
    ps.data.coteachers.append({"tables": {"sectionteacher": {
        "id": "77777777", "sectionid": str(section["id"]), "teacherid": str(co_teacher),
        "role": "Co-teacher", "allocation": "0"}}})
    teaching = {(e.class_sis_id, e.person_sis_id, e.primary, e.sis_id)
                for e in _of(fetch(ps), Enrolment) if e.role is EnrolmentRole.TEACHER}
    expected = {(e.class_sis_id, e.person_sis_id, e.primary, e.sis_id)
                for e in district.school("100").enrolments if e.role is EnrolmentRole.TEACHER}
    expected.add((str(section["id"]), str(co_teacher), False, "77777777"))
    assert teaching == expected


def test_the_co_teacher_powerquery_is_posted_and_paged(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    fetch(ps)
    posts = [r for r in ps.requests if r.path.startswith("/ws/schema/query/")]
    assert all(r.method == "POST" for r in posts)
    assert [r.arg("page") for r in posts] == [str(n) for n in range(1, len(posts) + 1)]
    assert len(posts) > 1  # more rows than one page holds


def test_without_the_co_teacher_powerquery_lead_teachers_are_still_enrolled(
    district, ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    ps.coteacher_query = False
    teaching = [e for e in _of(fetch(ps), Enrolment) if e.role is EnrolmentRole.TEACHER]
    assert teaching and all(e.primary and e.sis_id == "" for e in teaching)
    assert len(teaching) == len(district.school("100").classes)


def test_dropped_section_enrolments_are_skipped(
    district, make_server: Callable[..., FakePowerSchool], fetch: Callable[..., FetchedRoster]
) -> None:
    server = make_server(district, dropped_every=3)
    dropped = {(str(r["section_id"]), str(r["student_id"]))
               for rows in server.data.section_enrollments.values() for r in rows
               if r["dropped"]}
    assert dropped
    students = {(e.class_sis_id, e.person_sis_id) for e in _of(fetch(server), Enrolment)
                if e.role is EnrolmentRole.STUDENT}
    assert not dropped & students
    assert students == {(e.class_sis_id, e.person_sis_id) for e in district.school("100").enrolments
                        if e.role is EnrolmentRole.STUDENT}


def test_section_enrolments_are_read_with_one_call_per_section(
    district, ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    fetch(ps)
    calls = [r.path for r in ps.requests if r.path.endswith("/section_enrollment")]
    sections = {c.sis_id for c in district.school("100").classes}
    assert sorted(calls) == sorted(f"/ws/v1/section/{s}/section_enrollment" for s in sections)


def test_enrolment_dates_are_read_when_present(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    section_id, rows = next(iter(ps.data.section_enrollments.items()))
    rows[0].update(entry_date="2026-09-01", exit_date="2027-01-15")
    enrolment = next(e for e in _of(fetch(ps), Enrolment)
                     if e.class_sis_id == str(section_id)
                     and e.person_sis_id == str(rows[0]["student_id"]))
    assert (enrolment.begin_date, enrolment.end_date) == (dt.date(2026, 9, 1),
                                                          dt.date(2027, 1, 15))


def test_a_school_powerschool_does_not_have_is_an_unknown_school(
    connector: Connector, ps: FakePowerSchool
) -> None:
    import pytest

    from rostersync_core.errors import UnknownSchoolError
    from rostersync_core.testing.contract_fetch import fetch_roster

    session = connector.authenticate(ps.config())
    with pytest.raises(UnknownSchoolError) as caught:
        fetch_roster(connector, session, "4242")
    assert "4242" in str(caught.value) and "setup" in caught.value.hint


def test_a_lead_teacher_missing_from_the_staff_list_is_reported_not_enrolled(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    school = ps.data.schools[100]
    gone = school.sections[0]["staff_id"]
    school.staff = [s for s in school.staff if s["id"] != gone]
    roster = fetch(ps)
    taught = {e.class_sis_id for e in _of(roster, Enrolment) if e.person_sis_id == str(gone)}
    reported = {r.sis_id.split("|")[0] for r in roster.invalid
                if r.kind is RecordKind.ENROLMENT and r.sis_id.endswith(f"|{gone}")}
    assert not taught and str(school.sections[0]["id"]) in reported
    assert {r.reason for r in roster.invalid} == {"its teacher is not on the school's staff list"}
