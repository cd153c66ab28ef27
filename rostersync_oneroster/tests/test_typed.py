"""Typed decoding of REST users and enrolments gives exactly what the lenient dict path
gives; a page that does not fit the types is read leniently, its odd rows still read and
its bad rows reported one by one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from rostersync_core.districts import District, Messiness, generate_district
from rostersync_core.fetch import FetchContext
from rostersync_core.http import SisResponse
from rostersync_core.model import Enrolment, Person, PersonKind, RecordKind
from rostersync_oneroster import rest
from rostersync_oneroster.connector import OneRosterConnector
from rostersync_oneroster.testing import FakeOneRosterServer
from rostersync_oneroster.testing.fetching import Fetched, fetch_school
from rostersync_oneroster.testing.shapes import ref
from rostersync_oneroster.typed import (
    Enrollment,
    LenientEnrollment,
    LenientUser,
    User,
    page_decoder,
)

FLAVOURS = [("1.2", "oauth2"), ("1.1", "oauth1")]
UNSHARED = {"shared_users_max_age_seconds": 0}


@pytest.fixture(scope="module")
def district() -> District:
    return generate_district(students=120, seed=7, messiness=Messiness(invalid=0.05))


@pytest.fixture(params=FLAVOURS, ids=["1.2-oauth2", "1.1-oauth1"])
def sis(request: pytest.FixtureRequest, district: District) -> Iterator[FakeOneRosterServer]:
    version, auth = request.param
    with FakeOneRosterServer(district, version=version, auth=auth) as fake:
        yield fake


def response(body: Any) -> SisResponse:
    return SisResponse("GET", "sis", "/users", 200, {}, json.dumps(body).encode())


# Spellings real servers use, each a row the typed reading must read as the lenient one.
ODD_USERS: list[dict[str, Any]] = [
    {"sourcedId": " u1 ", "givenName": " Ann ", "familyName": "", "enabledUser": "FALSE"},
    {"sourcedId": "u2", "givenName": None, "familyName": "Bo", "enabledUser": False},
    {"sourcedId": "u3", "familyName": "C", "enabledUser": " yes ", "grades": "09,10"},
    {"sourcedId": "u4", "givenName": "D", "grades": ["", " 11"], "status": " ToBeDeleted "},
    {"sourcedId": "", "givenName": "E"},
    {"sourcedId": "u6"},
    {"sourcedId": "u7", "givenName": "F", "preferredFirstName": " ", "metadata": {}},
    {"sourcedId": "u8", "givenName": "G", "metadata": {"preferredGivenName": "Gee"}},
    {"sourcedId": "u9", "givenName": "H", "preferredGivenName": "Aitch", "phone": " 555 "},
    {"sourcedId": "u10", "givenName": "I", "role": "teacher", "orgs": []},
    {"sourcedId": "u11", "givenName": "J", "role": " aide ", "orgs": ["s1", {"sourcedId": "s2"}]},
    {"sourcedId": "u12", "givenName": "K", "roles": [], "role": "student", "orgs": ["s2"]},
    {
        "sourcedId": "u13",
        "givenName": "L",
        "roles": [
            {"role": "teacher", "org": "s1"},
            {"role": "parent"},
            {"role": "teacher", "org": {"sourcedId": " s2 "}},
            {"role": "", "org": "s1"},
        ],
        "primaryOrg": {"sourcedId": "s3"},
        "agents": ["u1", {"sourcedId": ""}, {"sourcedId": "u2", "type": "user"}],
    },
    {"sourcedId": "u14", "givenName": "M", "status": "inactive", "enabledUser": None},
]
ODD_ENROLMENTS: list[dict[str, Any]] = [
    {"sourcedId": "e1", "class": "c1", "user": {"sourcedId": "u1"}, "role": "student"},
    {"sourcedId": "e2", "class": " c1 ", "user": "u2", "role": " teacher ", "primary": "TRUE"},
    {"sourcedId": "e3", "class": "c1", "user": "u3", "role": "proctor", "primary": " false"},
    {"sourcedId": "e4", "class": "c1", "user": "u4", "role": "guardian"},
    {"sourcedId": "e5", "class": "c1", "user": "u5", "role": "janitor"},
    {"sourcedId": "e6", "class": "c1", "role": "student"},
    {"sourcedId": "e7", "class": "c1", "user": "u7", "role": "student", "beginDate": "nope"},
    {
        "sourcedId": "e8",
        "class": {"sourcedId": "c2"},
        "user": "u8",
        "role": "aide",
        "primary": True,
        "beginDate": "2026-08-20T00:00:00Z",
        "endDate": " 2027-06-01 ",
    },
    {"sourcedId": "e9", "class": "c1", "user": "u9", "role": "student", "endDate": ""},
    {"sourcedId": " e10 ", "class": "c2", "user": "u9", "role": "student", "status": "deleted"},
    {"sourcedId": "e11", "class": "c1", "user": "u1", "role": "student", "primary": "TRUE"},
    {"sourcedId": "e12", "class": "c1", "user": "u1", "role": "student", "primary": "false"},
    {"sourcedId": "e13", "class": "c1", "user": "u1", "role": "student", "beginDate": " "},
]


def test_odd_but_typed_rows_read_the_same_both_ways() -> None:
    users = page_decoder("users")(response({"users": ODD_USERS}))  # type: ignore[misc]
    assert all(type(u) is User for u in users["users"])
    for typed, row in zip(users["users"], ODD_USERS, strict=True):
        lenient = LenientUser(row)
        assert typed.sis_id() == lenient.sis_id()
        assert typed.removed() == lenient.removed()
        assert typed.org_ids() == lenient.org_ids()
        for org in ("s1", "s2", "s3", "", "s9"):
            assert typed.attached_to(org) == lenient.attached_to(org) == (org in typed.org_ids())
        assert typed.agent_ids() == lenient.agent_ids()
        for orgs in (None, {"s1"}, {"s2"}, {"s3"}, set()):
            assert typed.roles_at(orgs) == lenient.roles_at(orgs)
        for kind in PersonKind:
            one, other = FetchContext(sis_school_id="s1"), FetchContext(sis_school_id="s1")
            assert typed.person(kind, ("aide",), one) == lenient.person(kind, ("aide",), other)
            assert one.invalid == other.invalid
    page = page_decoder("enrollments")(response({"enrollments": ODD_ENROLMENTS}))  # type: ignore[misc]
    for typed_e, row in zip(page["enrollments"], ODD_ENROLMENTS, strict=True):
        assert type(typed_e) is Enrollment
        lenient_e = LenientEnrollment(row)
        assert (typed_e.class_id(), typed_e.user_id(), typed_e.school_id()) == (
            lenient_e.class_id(),
            lenient_e.user_id(),
            lenient_e.school_id(),
        )
        assert typed_e.removed() == lenient_e.removed()
        for _ in range(2):  # the second time from the dates already read
            one, other = FetchContext(sis_school_id="s1"), FetchContext(sis_school_id="s1")
            assert typed_e.enrolment(one) == lenient_e.enrolment(other)
            assert one.invalid == other.invalid


@pytest.mark.parametrize(
    "odd",
    [
        {"sourcedId": 12},
        {"givenName": 7},
        {"agents": "u1"},
        {"roles": [{"role": "student", "org": "s1"}, "teacher"]},
        {"metadata": {"preferredFirstName": ["x"]}},
        {"enabledUser": 1},
    ],
    ids=["number id", "number name", "bare agent", "string role", "odd metadata", "1"],
)
def test_a_page_that_does_not_fit_the_types_is_read_as_dicts(odd: dict[str, Any]) -> None:
    rows = [{"sourcedId": "u1", "givenName": "A"}, {"sourcedId": "u2", "givenName": "B", **odd}]
    page = page_decoder("users")(response({"users": rows}))  # type: ignore[misc]
    assert page == json.loads(json.dumps({"users": rows}))


def test_collections_without_a_typed_reading_use_json() -> None:
    assert page_decoder("classes") is None


def fetch(
    connector: OneRosterConnector, sis: FakeOneRosterServer, school: str, **config: Any
) -> Fetched:
    session = connector.rostersync_authenticate(sis.config(**config))
    return fetch_school(connector, session, school)


def lenient_fetch(
    connector: OneRosterConnector,
    sis: FakeOneRosterServer,
    school: str,
    monkeypatch: pytest.MonkeyPatch,
    **config: Any,
) -> Fetched:
    with monkeypatch.context() as patch:
        patch.setattr(rest, "page_decoder", lambda key: None)
        return fetch(connector, sis, school, **config)


def assert_same(typed: Fetched, lenient: Fetched) -> None:
    assert typed.people == lenient.people
    assert typed.enrolments == lenient.enrolments
    assert typed.classes == lenient.classes
    assert typed.context.invalid == lenient.context.invalid
    assert typed.context.removed == lenient.context.removed


@pytest.mark.parametrize("config", [{}, UNSHARED], ids=["shared", "unshared"])
def test_a_school_reads_the_same_typed_or_not(
    connector: OneRosterConnector,
    sis: FakeOneRosterServer,
    monkeypatch: pytest.MonkeyPatch,
    config: dict[str, Any],
) -> None:
    school = sis.dataset.school_ids()[0]
    typed = fetch(connector, sis, school, **config)
    assert typed.context.invalid  # the district's nameless students
    assert_same(typed, lenient_fetch(connector, sis, school, monkeypatch, **config))


def test_one_odd_row_is_one_invalid_row_not_a_failed_sync(
    connector: OneRosterConnector, sis: FakeOneRosterServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    school = sis.dataset.school_ids()[0]
    users = sis.dataset.collections["users"]
    enrolments = sis.dataset.collections["enrollments"]
    student = next(u for k, u in sorted(users.items()) if "password" in u and school in str(u))
    users[student["sourcedId"]] = {**student, "givenName": 42}  # a number: leniently "42"
    nameless = {"givenName": "", "familyName": "", "phone": 5}  # a number: the page is odd
    users["zz-broken"] = {**student, "sourcedId": "zz-broken", **nameless}
    some = next(e for k, e in sorted(enrolments.items()) if e["school"]["sourcedId"] == school)
    enrolments["zz-e"] = {**some, "sourcedId": "zz-e", "role": 5, "user": ref("users", "x")}
    sis.dataset.forget()
    fetched = fetch(connector, sis, school, **UNSHARED)
    given = {p.sis_id: p.given_name for p in fetched.of(Person)}
    assert given[student["sourcedId"]] == "42"
    reported = {(p.kind, p.sis_id) for p in fetched.context.invalid}
    assert (RecordKind.STUDENT, "zz-broken") in reported
    assert (RecordKind.ENROLMENT, "zz-e") in reported
    assert len(fetched.of(Enrolment)) > 10
    assert_same(fetched, lenient_fetch(connector, sis, school, monkeypatch, **UNSHARED))
