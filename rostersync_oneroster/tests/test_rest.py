"""The REST source against the fake server: auth, paging quirks, faults, unknown schools."""

from __future__ import annotations

import pytest

from rostersync_core.districts import District
from rostersync_core.errors import (
    AuthenticationError,
    ConfigError,
    InvalidSisDataError,
    SisUnavailableError,
    UnknownSchoolError,
)
from rostersync_oneroster.connector import OneRosterConnector
from rostersync_oneroster.testing import FAKE_CLIENT_SECRET, FakeOneRosterServer, Fault
from rostersync_oneroster.testing.fetching import fetch_school, oneroster_family_links


def full_fetch_matches(
    connector: OneRosterConnector, sis: FakeOneRosterServer, district: District, school_id: str
) -> None:
    session = connector.rostersync_authenticate(sis.config())
    fetched = fetch_school(connector, session, school_id)
    roster = district.school(school_id)
    assert fetched.of(type(roster.people[0])) == set(roster.people)
    assert {e for e in fetched.enrolments if type(e) is type(roster.enrolments[0])} == set(
        roster.enrolments
    )
    assert set(roster.classes) <= set(fetched.classes)
    assert fetched.context.invalid == []


def test_a_full_fetch_gives_the_district_school(
    connector: OneRosterConnector, server: FakeOneRosterServer, district: District, school_id: str
) -> None:
    full_fetch_matches(connector, server, district, school_id)


def test_family_links_come_from_agents_with_the_guardians_role(
    connector: OneRosterConnector, server: FakeOneRosterServer, district: District, school_id: str
) -> None:
    fetched = fetch_school(connector, connector.rostersync_authenticate(server.config()), school_id)
    links = {e for e in fetched.enrolments if type(e).__name__ == "FamilyLink"}
    assert links == oneroster_family_links(district, school_id)


def test_the_schools_are_listed(
    connector: OneRosterConnector, server: FakeOneRosterServer, district: District
) -> None:
    schools = connector.rostersync_list_schools(connector.rostersync_authenticate(server.config()))
    assert [s.sis_id for s in schools] == sorted(district.schools)


def test_paging_asks_for_a_stable_order(
    connector: OneRosterConnector, server12: FakeOneRosterServer, school_id: str
) -> None:
    fetch_school(connector, connector.rostersync_authenticate(server12.config()), school_id)
    pages = [r for r in server12.requests if r.path.endswith("/users")]
    assert pages and all(r.arg("sort") == "sourcedId" and r.arg("orderBy") == "asc" for r in pages)


@pytest.mark.parametrize(
    ("options", "label"),
    [
        ({"count_header": None}, "no count header"),
        ({"count_header": "x-total-count"}, "lower-case count header"),
        ({"lower_case_headers": True, "limit_cap": 7}, "lower-case count and link headers"),
        ({"count_header": None, "link_header": False}, "no count and no links"),
        ({"limit_cap": 7}, "a server cap on limit"),
        ({"limit_cap": 7, "count_header": None, "link_header": False}, "a cap and no signals"),
    ],
)
def test_paging_quirks_still_give_every_record(
    connector: OneRosterConnector,
    district: District,
    school_id: str,
    options: dict[str, object],
    label: str,
) -> None:
    with FakeOneRosterServer(district, **options) as sis:  # type: ignore[arg-type]
        full_fetch_matches(connector, sis, district, school_id)


def test_wrong_credentials_are_an_authentication_error_without_the_secret(
    connector: OneRosterConnector, server: FakeOneRosterServer
) -> None:
    with pytest.raises(AuthenticationError) as caught:
        connector.rostersync_authenticate(server.bad_config())
    assert "not-the-right-secret" not in str(caught.value)
    assert FAKE_CLIENT_SECRET not in str(caught.value)


def test_an_expired_token_is_renewed_mid_sync(
    connector: OneRosterConnector,
    server12: FakeOneRosterServer,
    district: District,
    school_id: str,
) -> None:
    session = connector.rostersync_authenticate(server12.config())
    server12.tokens.expire_all()
    fetched = fetch_school(connector, session, school_id)
    assert fetched.of(type(district.school(school_id).people[0]))
    assert server12.tokens.tokens_issued == 2


def test_a_token_that_expires_every_few_seconds_is_renewed_as_needed(
    connector: OneRosterConnector, district: District, school_id: str
) -> None:
    with FakeOneRosterServer(district, token_lifetime=0.05) as sis:
        full_fetch_matches(connector, sis, district, school_id)


def test_rate_limits_are_waited_out(
    connector: OneRosterConnector, server: FakeOneRosterServer, district: District, school_id: str
) -> None:
    server.inject(Fault(status=429, retry_after="1", times=3, path="/users"))
    full_fetch_matches(connector, server, district, school_id)


def test_server_errors_and_slow_pages_are_survived(
    connector: OneRosterConnector, server: FakeOneRosterServer, district: District, school_id: str
) -> None:
    server.inject(Fault(status=500, times=2, path="/enrollments"))
    server.inject(Fault(delay=0.01, times=None, path="/users"))
    full_fetch_matches(connector, server, district, school_id)


def test_a_truncated_page_is_fetched_again(
    connector: OneRosterConnector, server: FakeOneRosterServer, district: District, school_id: str
) -> None:
    server.inject(Fault(truncate=True, times=1, skip=1, path="/users"))
    full_fetch_matches(connector, server, district, school_id)


def test_a_sis_that_keeps_failing_is_unavailable(
    connector: OneRosterConnector, server: FakeOneRosterServer, school_id: str
) -> None:
    session = connector.rostersync_authenticate(server.config())
    server.inject(Fault(status=503, times=None, path="/users"))
    with pytest.raises(SisUnavailableError, match="try again later"):
        fetch_school(connector, session, school_id)


def test_a_corrupt_page_is_invalid_data(
    connector: OneRosterConnector, server: FakeOneRosterServer, school_id: str
) -> None:
    session = connector.rostersync_authenticate(server.config())
    server.inject(Fault(malformed=True, times=None, path="/classes"))
    with pytest.raises(InvalidSisDataError, match="not valid JSON"):
        fetch_school(connector, session, school_id)


def test_an_unknown_school_is_named(
    connector: OneRosterConnector, server: FakeOneRosterServer
) -> None:
    session = connector.rostersync_authenticate(server.config())
    with pytest.raises(UnknownSchoolError, match="no school with id '9999'"):
        fetch_school(connector, session, "9999")


def test_a_wrong_base_path_is_a_config_error(
    connector: OneRosterConnector, server12: FakeOneRosterServer
) -> None:
    with pytest.raises(ConfigError) as caught:
        connector.rostersync_authenticate(server12.config(base_path="/ims/oneroster/v1p0"))
    assert caught.value.field == "base_path"


def test_one_point_two_data_under_a_one_point_one_path_is_read(
    connector: OneRosterConnector, district: District, school_id: str
) -> None:
    with FakeOneRosterServer(district, version="1.2") as sis:
        sis.base_path = "/ims/oneroster/v1p1"
        sis.add_route(
            "GET",
            r"/ims/oneroster/v1p1/(?P<rest>.+)",
            lambda request, rest: sis.dispatch(
                attrs_evolve_path(request, "/ims/oneroster/rostering/v1p2/" + rest)
            ),
        )
        session = connector.rostersync_authenticate(sis.config(base_path="/ims/oneroster/v1p1"))
        assert fetch_school(connector, session, school_id).people


def attrs_evolve_path(request: object, path: str) -> object:
    import attrs

    return attrs.evolve(request, path=path)  # type: ignore[misc]


def test_ids_that_need_escaping_reach_the_server_escaped(
    connector: OneRosterConnector, server12: FakeOneRosterServer
) -> None:
    session = connector.rostersync_authenticate(server12.config())
    with pytest.raises(UnknownSchoolError):
        fetch_school(connector, session, "5678_T5678/0005 #1")
    asked = [r for r in server12.requests if r.path.startswith(server12.base_path + "/schools/")]
    assert asked[-1].path.endswith("/schools/5678_T5678/0005 #1")


def test_a_delta_fetch_asks_for_changes_since_the_cursor_and_reports_removals(
    connector: OneRosterConnector, server: FakeOneRosterServer, district: District, school_id: str
) -> None:
    import datetime as dt

    from rostersync_core.districts import evolve_district
    from rostersync_core.model import Enrolment, Person, PersonKind, RecordKind

    later = evolve_district(district, new_students=2, withdrawals=1, teacher_changes=1)
    server.publish(later, modified="2026-09-01T00:00:00.000Z")
    session = connector.rostersync_authenticate(server.config())
    since = dt.datetime(2026, 8, 15, tzinfo=dt.UTC)
    fetched = fetch_school(connector, session, school_id, since=since)
    filters = {
        r.arg("filter") for r in server.requests if r.path.endswith(("/users", "/enrollments"))
    }
    assert filters == {"dateLastModified>'2026-08-15T00:00:00Z'"}
    ctx = fetched.context
    assert {RecordKind.STUDENT, RecordKind.STAFF, RecordKind.ENROLMENT} <= ctx.delta_kinds
    before = {p.sis_id for p in district.school(school_id).students()}
    after = {p.sis_id for p in later.school(school_id).students()}
    assert ctx.removed[RecordKind.STUDENT] == before - after
    assert {p.sis_id for p in fetched.of(Person) if p.kind is PersonKind.STUDENT} == after - before
    assert fetched.of(Enrolment) == set(later.school(school_id).enrolments) - set(
        district.school(school_id).enrolments
    )
    assert ctx.invalid == []


def test_a_wrong_token_endpoint_is_a_config_error_naming_it(
    connector: OneRosterConnector, server12: FakeOneRosterServer
) -> None:
    with pytest.raises(ConfigError) as caught:
        connector.rostersync_authenticate(server12.config(oauth_url=server12.url + "/no/token"))
    assert caught.value.field == "oauth_url"


def test_a_server_that_refuses_the_delta_filter_is_read_in_full(
    connector: OneRosterConnector, district: District, school_id: str
) -> None:
    import datetime as dt

    from rostersync_core.model import Person, RecordKind

    with FakeOneRosterServer(district, supports_filter=False) as sis:
        session = connector.rostersync_authenticate(sis.config())
        since = dt.datetime(2026, 8, 15, tzinfo=dt.UTC)
        fetched = fetch_school(connector, session, school_id, since=since)
    assert fetched.of(Person) == set(district.school(school_id).people)
    assert RecordKind.STUDENT not in fetched.context.delta_kinds
    assert RecordKind.ENROLMENT not in fetched.context.delta_kinds


@pytest.mark.parametrize(
    ("version", "auth", "signature_method"),
    [
        ("1.1", "oauth2", "HMAC-SHA256"),
        ("1.1", "oauth1", "HMAC-SHA1"),
        ("1.2", "oauth1", "HMAC-SHA256"),
    ],
    ids=["1.1-oauth2", "1.1-oauth1-sha1", "1.2-oauth1"],
)
def test_every_version_and_auth_scheme_combination_works(
    connector: OneRosterConnector,
    district: District,
    school_id: str,
    version: str,
    auth: str,
    signature_method: str,
) -> None:
    with FakeOneRosterServer(
        district, version=version, auth=auth, signature_method=signature_method
    ) as sis:
        full_fetch_matches(connector, sis, district, school_id)


class ShiftingServer(FakeOneRosterServer):
    """Inserts a user at the front of the list after the first page of users was served,
    as a live SIS does when a row is added mid-fetch (every later offset shifts by one)."""

    def _collection(self, request, view):  # type: ignore[no-untyped-def]
        response = super()._collection(request, view)
        if view == "users" and request.arg("offset") == "0":
            newcomer = dict(self.dataset.records("users")[0], sourcedId="0000001")
            self.dataset.collections["users"]["0000001"] = newcomer
            self.dataset.forget()
        return response


def test_a_row_added_mid_fetch_is_not_yielded_twice(
    connector: OneRosterConnector, district: District, school_id: str
) -> None:
    with ShiftingServer(district) as sis:
        session = connector.rostersync_authenticate(sis.config(page_size=20))
        fetched = fetch_school(connector, session, school_id)
    ids = [p.sis_id for p in fetched.people]
    assert len(ids) == len(set((p.sis_id, p.kind) for p in fetched.people))
    assert {p.sis_id for p in district.school(school_id).people} <= set(ids)


def test_references_are_read_by_sourced_id_and_their_href_is_never_followed(
    connector: OneRosterConnector,
    server12: FakeOneRosterServer,
    district: District,
    school_id: str,
) -> None:
    from typing import Any

    from rostersync_core.testing.fake_sis import FakeSisServer

    def point_elsewhere(value: Any, base: str) -> None:
        if isinstance(value, dict):
            if "href" in value:
                value["href"] = f"{base}/ims/oneroster/rostering/v1p2/trap"
            for inner in value.values():
                point_elsewhere(inner, base)
        elif isinstance(value, list):
            for inner in value:
                point_elsewhere(inner, base)

    with FakeSisServer() as elsewhere:
        point_elsewhere(server12.dataset.collections, elsewhere.url)
        full_fetch_matches(connector, server12, district, school_id)
        assert elsewhere.requests == []
