"""Normalisation: OneRoster's loose shapes into the roster model, bad rows reported not raised."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from rostersync_core.districts import District, generate_district
from rostersync_core.fetch import FetchContext
from rostersync_core.model import (
    Enrolment,
    EnrolmentRole,
    Grade,
    Person,
    PersonKind,
    RecordKind,
    SchoolClass,
)
from rostersync_oneroster import normalise as n
from rostersync_oneroster.connector import OneRosterConnector
from rostersync_oneroster.testing import FakeOneRosterServer, OneRosterDataset
from rostersync_oneroster.testing.fetching import Fetched, fetch_school
from rostersync_oneroster.testing.shapes import dataset_from_district, ref


def serve(dataset: OneRosterDataset) -> Iterator[FakeOneRosterServer]:
    with FakeOneRosterServer(dataset, version=dataset.version) as sis:
        yield sis


def fetch(connector: OneRosterConnector, dataset: OneRosterDataset, school: str) -> Fetched:
    with FakeOneRosterServer(dataset, version=dataset.version) as sis:
        session = connector.rostersync_authenticate(sis.config())
        return fetch_school(connector, session, school)


@pytest.fixture
def dataset(district: District) -> OneRosterDataset:
    return dataset_from_district(district, version="1.2")


def users_of(dataset: OneRosterDataset, role: str) -> list[dict]:  # type: ignore[type-arg]
    return [u for u in dataset.records("users") if u["roles"][0]["role"] == role]


def test_boolean_strings_are_read(
    connector: OneRosterConnector, dataset: OneRosterDataset, school_id: str
) -> None:
    student = users_of(dataset, "student")[0]
    student["enabledUser"] = "FALSE"
    teacher_enrolment = next(e for e in dataset.records("enrollments") if e["role"] == "teacher")
    teacher_enrolment["primary"] = "True"
    fetched = fetch(connector, dataset, school_id)
    person = next(p for p in fetched.people if p.sis_id == student["sourcedId"])
    assert person.enabled is False
    enrolment = next(e for e in fetched.of(Enrolment) if e.sis_id == teacher_enrolment["sourcedId"])
    assert enrolment.primary is True


def test_a_teacher_who_is_also_a_parent_is_staff_and_family(
    connector: OneRosterConnector, dataset: OneRosterDataset, school_id: str
) -> None:
    teacher = users_of(dataset, "teacher")[0]
    child = users_of(dataset, "student")[0]
    teacher["roles"].append(
        {"roleType": "secondary", "role": "parent", "org": ref("orgs", school_id)}
    )
    teacher["agents"] = [ref("users", child["sourcedId"])]
    fetched = fetch(connector, dataset, school_id)
    kinds = {p.kind for p in fetched.people if p.sis_id == teacher["sourcedId"]}
    assert kinds == {PersonKind.STAFF, PersonKind.FAMILY}
    links = [
        e for e in fetched.enrolments if getattr(e, "family_sis_id", "") == teacher["sourcedId"]
    ]
    assert [(lk.student_sis_id, lk.relationship) for lk in links] == [  # type: ignore[union-attr]
        (child["sourcedId"], "parent")
    ]


@pytest.mark.parametrize("role", ["administrator", "aide", "counselor", "principal"])
def test_other_staff_roles_are_staff_with_their_role(
    connector: OneRosterConnector, dataset: OneRosterDataset, school_id: str, role: str
) -> None:
    teacher = users_of(dataset, "teacher")[1]
    teacher["roles"][0]["role"] = role
    fetched = fetch(connector, dataset, school_id)
    person = next(p for p in fetched.people if p.sis_id == teacher["sourcedId"])
    assert person.kind is PersonKind.STAFF and person.roles == (role,)


def test_a_user_without_a_name_is_reported_and_skipped_not_raised(
    connector: OneRosterConnector, dataset: OneRosterDataset, school_id: str
) -> None:
    student = users_of(dataset, "student")[2]
    student["givenName"] = ""
    student["familyName"] = ""
    fetched = fetch(connector, dataset, school_id)
    assert student["sourcedId"] not in {p.sis_id for p in fetched.people}
    row, *_enrolments = fetched.context.invalid
    assert (row.kind, row.sis_id) == (RecordKind.STUDENT, student["sourcedId"])
    assert "name" in row.reason


def test_the_enrolments_of_an_invalid_user_are_unknown_too(
    connector: OneRosterConnector, dataset: OneRosterDataset, school_id: str
) -> None:
    student = users_of(dataset, "student")[2]
    student["givenName"] = student["familyName"] = ""
    fetched = fetch(connector, dataset, school_id)
    theirs = {
        e["sourcedId"]
        for e in dataset.records("enrollments")
        if e["user"]["sourcedId"] == student["sourcedId"]
    }
    reported = {r.sis_id for r in fetched.context.invalid if r.kind is RecordKind.ENROLMENT}
    assert theirs and reported == theirs


def test_an_enrolment_with_a_bad_date_is_reported_naming_the_field_only(
    connector: OneRosterConnector, dataset: OneRosterDataset, school_id: str
) -> None:
    record = dataset.records("enrollments")[0]
    record["beginDate"] = "next tuesday"
    fetched = fetch(connector, dataset, school_id)
    [row] = fetched.context.invalid
    assert row.kind is RecordKind.ENROLMENT and row.sis_id == record["sourcedId"]
    assert row.reason == "beginDate is not an ISO 8601 date"


def test_inactive_from_oneroster_1_0_means_gone(
    connector: OneRosterConnector, dataset: OneRosterDataset, school_id: str
) -> None:
    klass = dataset.records("classes")[0]
    klass["status"] = "inactive"
    fetched = fetch(connector, dataset, school_id)
    assert klass["sourcedId"] not in {c.sis_id for c in fetched.of(SchoolClass)}


def test_family_roles_in_enrolments_are_skipped_quietly(
    connector: OneRosterConnector, dataset: OneRosterDataset, school_id: str
) -> None:
    record = dataset.records("enrollments")[0]
    record["role"] = "guardian"
    fetched = fetch(connector, dataset, school_id)
    assert record["sourcedId"] not in {e.sis_id for e in fetched.of(Enrolment)}
    assert fetched.context.invalid == []


def test_proctors_are_aides_in_a_class(
    connector: OneRosterConnector, dataset: OneRosterDataset, school_id: str
) -> None:
    record = next(e for e in dataset.records("enrollments") if e["role"] == "teacher")
    record["role"] = "proctor"
    fetched = fetch(connector, dataset, school_id)
    [enrolment] = [e for e in fetched.of(Enrolment) if e.sis_id == record["sourcedId"]]
    assert enrolment.role is EnrolmentRole.AIDE


def test_grades_are_ceds_codes_named_in_school_order(
    connector: OneRosterConnector, dataset: OneRosterDataset, school_id: str
) -> None:
    grades = fetch(connector, dataset, school_id).grades
    assert grades[0] == Grade("KG", "Kindergarten")
    assert grades[1] == Grade("01", "Grade 1")
    assert [g.sis_id for g in grades][-1] == "12"


def test_only_the_schools_own_records_are_yielded(connector: OneRosterConnector) -> None:
    district = generate_district(students=900, seed=2)
    first, other = sorted(district.schools)[:2]
    fetched = fetch(connector, dataset_from_district(district), first)
    assert fetched.of(Person) == set(district.school(first).people)
    assert not {c.sis_id for c in district.school(other).classes} & {
        c.sis_id for c in fetched.of(SchoolClass)
    }


def test_raw_records_never_reach_the_logs(
    connector: OneRosterConnector,
    dataset: OneRosterDataset,
    school_id: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    users_of(dataset, "student")[0]["givenName"] = ""
    users_of(dataset, "student")[0]["familyName"] = ""
    fetched = fetch(connector, dataset, school_id)
    student = next(p for p in fetched.people if p.kind is PersonKind.STUDENT)
    assert "pw-" not in caplog.text
    assert student.email not in caplog.text and student.family_name not in caplog.text


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("FALSE", False), (True, True), ("", None), (None, None), ("maybe", None)],
)
def test_booleans_arrive_as_strings_or_booleans(value: object, expected: bool | None) -> None:
    assert n.boolean(value, None) is expected  # type: ignore[arg-type]


def test_a_one_point_one_user_has_one_role_in_its_orgs() -> None:
    user = {"role": "teacher", "orgs": [{"sourcedId": "s1"}, {"sourcedId": "s2"}]}
    assert n.roles_at(user, {"s2"}) == ["teacher"]
    assert n.roles_at(user, {"s3"}) == []


def test_a_one_point_two_user_has_roles_per_org() -> None:
    user = {
        "roles": [
            {"roleType": "primary", "role": "teacher", "org": {"sourcedId": "s1"}},
            {"roleType": "secondary", "role": "administrator", "org": {"sourcedId": "s2"}},
        ]
    }
    assert n.roles_at(user, {"s2"}) == ["administrator"]
    assert n.roles_at(user) == ["teacher", "administrator"]


def test_a_person_from_a_bare_row_has_empty_strings_not_none() -> None:
    context = FetchContext(sis_school_id="s1")
    person = n.person_from(
        {"sourcedId": 42, "givenName": "Ann", "familyName": None}, PersonKind.STUDENT, (), context
    )
    assert person == Person("42", PersonKind.STUDENT, "Ann", "")


def test_a_bad_term_is_reported_only_when_the_school_uses_it(
    connector: OneRosterConnector, dataset: OneRosterDataset, school_id: str
) -> None:
    used = dataset.records("academicSessions")[1]
    used["startDate"] = "first day of autumn"
    unused = {**used, "sourcedId": "elsewhere-1", "startDate": "whenever"}
    dataset.collections["academicSessions"]["elsewhere-1"] = unused
    dataset.forget()
    fetched = fetch(connector, dataset, school_id)
    assert [(r.kind, r.sis_id) for r in fetched.context.invalid] == [
        (RecordKind.SESSION, used["sourcedId"])
    ]
