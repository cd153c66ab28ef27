"""A misbehaving PowerSchool: the fetch completes with the right data, or fails clearly."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rostersync_core.connector import Connector
from rostersync_core.errors import InvalidSisDataError, SisUnavailableError
from rostersync_core.http.retry import RetryPolicy
from rostersync_core.plugins import PluginHost
from rostersync_core.testing.contract_fetch import FetchedRoster, fetch_roster
from rostersync_powerschool.connector import PowerSchoolConnector
from rostersync_powerschool.testing import FakePowerSchool, Fault

STUDENTS = r"/ws/v1/school/100/student$"


def test_too_many_requests_with_retry_after_waits_as_told(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster], sleeps: list[float],
    district_fingerprints,
) -> None:
    ps.inject(Fault(status=429, retry_after="3", times=2, path=STUDENTS))
    assert fetch(ps).fingerprints() == district_fingerprints
    assert sleeps.count(3.0) == 2


def test_too_many_requests_without_retry_after_backs_off(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster], sleeps: list[float],
    district_fingerprints,
) -> None:
    ps.inject(Fault(status=429, times=2, path=r"/section_enrollment"))
    assert fetch(ps).fingerprints() == district_fingerprints
    assert len(sleeps) == 2 and all(0 < s < 1 for s in sleeps)


def test_a_briefly_unavailable_server_is_retried(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster], district_fingerprints
) -> None:
    ps.inject(Fault(status=503, times=2, path=r"/ws/v1/school/100/staff"))
    assert fetch(ps).fingerprints() == district_fingerprints


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_server_that_stays_down_fails_the_fetch_as_unavailable(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster], status: int
) -> None:
    ps.inject(Fault(status=status, times=None, path=r"/ws/v1/school/100/section$"))
    with pytest.raises(SisUnavailableError) as caught:
        fetch(ps)
    assert "try again later" in str(caught.value)


def test_a_truncated_answer_is_read_again(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster], district_fingerprints
) -> None:
    ps.inject(Fault(truncate=True, path=STUDENTS))
    assert fetch(ps).fingerprints() == district_fingerprints


def test_a_connection_reset_is_retried(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster], district_fingerprints
) -> None:
    ps.inject(Fault(drop=True, path=r"/ws/contacts/student/"))
    assert fetch(ps).fingerprints() == district_fingerprints


def test_a_malformed_answer_fails_the_fetch_as_invalid_data_without_quoting_it(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    ps.inject(Fault(malformed=True, path=STUDENTS))
    with pytest.raises(InvalidSisDataError) as caught:
        fetch(ps)
    assert "not valid JSON" in str(caught.value)
    assert "first_name" not in str(caught.value)


def test_an_answer_slower_than_the_timeout_is_retried(
    district, make_server: Callable[..., FakePowerSchool]
) -> None:
    server = make_server(district)
    host = PluginHost(load_entry_points=False)
    quick = host.register_connector(
        PowerSchoolConnector(retry=RetryPolicy.fast(), timeout=0.3)
    )
    session = quick.authenticate(server.config())
    server.inject(Fault(delay=0.6, path=r"/ws/v1/school/100/course$"))
    roster = fetch_roster(quick, session, "100")
    assert roster.counts()
    assert len([r for r in server.requests if r.path == "/ws/v1/school/100/course"]) >= 2


def test_slow_answers_still_give_the_whole_roster(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster], district_fingerprints
) -> None:
    ps.inject(Fault(delay=0.002, times=None))
    assert fetch(ps).fingerprints() == district_fingerprints


@pytest.mark.parametrize("limit", [1, 3])
def test_section_enrolments_are_read_concurrently_within_the_limit(
    connector: Connector, ps: FakePowerSchool, limit: int
) -> None:
    session = connector.authenticate(ps.config(max_concurrency=limit))
    ps.slow_routes = (r"/section_enrollment$", 0.005)
    ps.max_in_flight = 0
    fetch_roster(connector, session, "100")
    assert ps.max_in_flight <= limit
    if limit > 1:
        assert ps.max_in_flight > 1


@pytest.mark.parametrize(
    "answer",
    [{"message": "Access denied"}, {"students": {"student": ["not a student"]}}],
    ids=["another shape", "an entry that is not an object"],
)
def test_a_student_list_of_another_shape_fails_the_fetch_instead_of_reading_as_empty(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster], answer: dict[str, object]
) -> None:
    # Read as "no students" (or one fewer), the sync would archive students still enrolled.
    ps.inject(Fault(status=200, body=answer, path=STUDENTS, method="GET"))
    with pytest.raises(InvalidSisDataError, match="/student"):
        fetch(ps)
