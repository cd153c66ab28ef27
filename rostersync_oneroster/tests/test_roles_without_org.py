"""A role naming no org (a 1.2 role without ``org``, a 1.1 user without ``orgs``) places
the user at no school. It used to count everywhere: a malformed student row landed in every
school's roster of the district, a child's record sent to schools that are not theirs.
OneRoster requires the org; the row is reported invalid to each school (unknown there,
never absent: a school that had the user does not archive it). Over loopback HTTP (shared
and unshared reads of users) and CSV."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rostersync_core.districts import District, generate_district
from rostersync_core.model import Enrolment, Person, PersonKind, RecordKind
from rostersync_oneroster.connector import OneRosterConnector
from rostersync_oneroster.testing import FakeOneRosterServer, dataset_from_district, write_csv
from rostersync_oneroster.testing.fetching import Fetched, fetch_school
from rostersync_oneroster.testing.shapes import OneRosterDataset

REASON = "the user names no org for its role"
UNSHARED = {"shared_users_max_age_seconds": 0}


@pytest.fixture(scope="module")
def three_schools() -> District:
    return generate_district(students=900, seed=11)


def first_user(dataset: OneRosterDataset, role: str, school: str) -> dict[str, Any]:
    for _, user in sorted(dataset.collections["users"].items()):
        if user.get("role") == role and [o["sourcedId"] for o in user.get("orgs", [])] == [school]:
            return user
        roles = user.get("roles") or []
        if [(r["role"], r.get("org", {}).get("sourcedId")) for r in roles] == [(role, school)]:
            return user
    raise AssertionError(role)


def drop_orgs(dataset: OneRosterDataset, role: str, school: str) -> str:
    """The first ``role`` user of ``school`` loses its org (1.2: the role's ``org``, the
    ``primaryOrg`` stays; 1.1: ``orgs``). Gives its id."""
    user = first_user(dataset, role, school)
    if dataset.version == "1.2":
        user["roles"] = [{k: v for k, v in r.items() if k != "org"} for r in user["roles"]]
    else:
        user["orgs"] = []
    dataset.forget()
    return str(user["sourcedId"])


def fetch_each(sis: FakeOneRosterServer, config: dict[str, Any]) -> dict[str, Fetched]:
    connector = OneRosterConnector()
    fetched = {}
    for school in sis.dataset.school_ids():
        session = connector.rostersync_authenticate(sis.config(**config))
        fetched[school] = fetch_school(connector, session, school)
        session.close()
    return fetched


def people_ids(fetched: Fetched) -> set[str]:
    return {p.sis_id for p in fetched.people}


def no_org_rows(fetched: Fetched) -> set[tuple[RecordKind, str]]:
    return {(r.kind, r.sis_id) for r in fetched.context.invalid if r.reason == REASON}


@pytest.fixture(params=[("1.2", "oauth2"), ("1.1", "oauth1")], ids=["1.2", "1.1"])
def sis(request: pytest.FixtureRequest, three_schools: District) -> Iterator[FakeOneRosterServer]:
    version, auth = request.param
    with FakeOneRosterServer(three_schools, version=version, auth=auth) as fake:
        yield fake


@pytest.mark.parametrize("config", [UNSHARED, {}], ids=["unshared", "shared"])
def test_a_student_or_teacher_naming_no_org_is_in_no_school_and_reported_to_each(
    sis: FakeOneRosterServer, config: dict[str, Any]
) -> None:
    before = fetch_each(sis, UNSHARED)
    a, b, c = sis.dataset.school_ids()
    student = drop_orgs(sis.dataset, "student", a)
    teacher = drop_orgs(sis.dataset, "teacher", b)
    after = fetch_each(sis, config)
    for school in (a, b, c):
        ids = people_ids(after[school])
        assert student not in ids and teacher not in ids
        assert no_org_rows(after[school]) == {
            (RecordKind.STUDENT, student),
            (RecordKind.STAFF, teacher),
        }
        # Everyone else is as before; the two are in no school's roster.
        assert ids == people_ids(before[school]) - {student, teacher}
    assert student in people_ids(before[a]) and teacher in people_ids(before[b])
    # Their enrolments refer to no one here: reported invalid (unknown), never absent.
    gone = {e for e in before[a].of(Enrolment) if e.person_sis_id == student}
    assert gone and not gone & after[a].of(Enrolment)
    assert {e.sis_id for e in gone} <= {
        r.sis_id for r in after[a].context.invalid if r.kind is RecordKind.ENROLMENT
    }


def test_shared_and_unshared_reads_agree_on_users_naming_no_org(
    sis: FakeOneRosterServer,
) -> None:
    a, b, _ = sis.dataset.school_ids()
    drop_orgs(sis.dataset, "student", a)
    drop_orgs(sis.dataset, "parent", b)
    alone, shared = fetch_each(sis, UNSHARED), fetch_each(sis, {})
    for school, fetched in shared.items():
        assert fetched.people == alone[school].people
        assert fetched.enrolments == alone[school].enrolments
        assert fetched.context.invalid == alone[school].context.invalid


def test_a_family_member_naming_no_org_still_comes_through_its_students(
    sis: FakeOneRosterServer,
) -> None:
    a = sis.dataset.school_ids()[0]
    parent = drop_orgs(sis.dataset, "parent", a)
    fetched = fetch_each(sis, {})
    family = {p.sis_id: p for p in fetched[a].people if p.kind is PersonKind.FAMILY}
    assert parent in family  # linked by ``agents`` to students of the school
    for school, other in fetched.items():
        assert not no_org_rows(other)
        if school != a:
            assert parent not in people_ids(other)


def test_users_with_their_orgs_are_unaffected(
    sis: FakeOneRosterServer, three_schools: District
) -> None:
    fetched = fetch_each(sis, {})
    for school, roster in fetched.items():
        assert roster.context.invalid == []
        assert roster.of(Person) == set(three_schools.school(school).people)


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_csv_a_student_naming_no_org_is_in_no_school_and_reported_to_each(
    tmp_path: Path, three_schools: District, version: str
) -> None:
    dataset = dataset_from_district(three_schools, version=version)
    a, b, c = dataset.school_ids()
    student = drop_orgs(dataset, "student", a)
    folder = write_csv(dataset, tmp_path / "feed")
    connector = OneRosterConnector()
    for school in (a, b, c):
        session = connector.rostersync_authenticate({"source": "csv", "path": str(folder)})
        fetched = fetch_school(connector, session, school)
        assert student not in people_ids(fetched)
        assert no_org_rows(fetched) == {(RecordKind.STUDENT, student)}
        expected = {p for p in three_schools.school(school).people if p.sis_id != student}
        assert fetched.of(Person) == expected
