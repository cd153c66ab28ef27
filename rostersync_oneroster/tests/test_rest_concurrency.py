"""REST collections are paged several requests at a time once the first page gives a count,
within the configured ``max_concurrency``, every record once and in order."""

from __future__ import annotations

import threading
import time
from typing import Any

from rostersync_core.districts import District
from rostersync_core.testing.fake_sis import FakeRequest, FakeResponse
from rostersync_oneroster.connector import OneRosterConnector, OneRosterSession
from rostersync_oneroster.rest import RestSource
from rostersync_oneroster.testing import FakeOneRosterServer
from rostersync_oneroster.testing.fetching import fetch_school
from rostersync_oneroster.typed import user_row


class BusyOneRosterServer(FakeOneRosterServer):
    """Holds each collection page a moment and counts the pages being served at once."""

    def __init__(self, district: District, hold: float = 0.01, **options: Any) -> None:
        super().__init__(district, **options)
        self.hold = hold
        self._lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0

    def _page(self, request: FakeRequest, records: list[dict[str, Any]], key: str) -> FakeResponse:
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(self.hold)
            return super()._page(request, records, key)
        finally:
            with self._lock:
                self.in_flight -= 1

    def user_offsets(self) -> list[int]:
        return [int(r.arg("offset") or 0) for r in self.requests if r.path.endswith("/users")]


# These read ``users`` straight from the source: not shared, so district-wide.
UNSHARED = {"shared_users_max_age_seconds": 0}


def rest_source(session: OneRosterSession) -> RestSource:
    source = session.source
    assert isinstance(source, RestSource)
    return source


def all_user_ids(sis: FakeOneRosterServer) -> list[str]:
    return sorted(str(r["sourcedId"]) for r in sis.dataset.records("users"))


def test_users_are_read_concurrently_each_once_and_in_order(
    connector: OneRosterConnector, district: District, school_id: str
) -> None:
    with BusyOneRosterServer(district) as sis:
        session = connector.rostersync_authenticate(
            sis.config(page_size=7, max_concurrency=4, **UNSHARED)
        )
        users = rest_source(session).records("users", school_id=school_id, since=None)
        assert [user_row(r).sis_id() for r in users] == all_user_ids(sis)
        assert sorted(sis.user_offsets()) == list(range(0, len(all_user_ids(sis)), 7))
        assert 1 < sis.most_in_flight <= 4


def test_a_whole_school_fetched_concurrently_is_the_district_school(
    connector: OneRosterConnector, district: District, school_id: str
) -> None:
    with BusyOneRosterServer(district, hold=0.0) as sis:
        session = connector.rostersync_authenticate(sis.config(page_size=5, max_concurrency=3))
        fetched = fetch_school(connector, session, school_id)
        roster = district.school(school_id)
        assert fetched.of(type(roster.people[0])) == set(roster.people)
        assert set(fetched.enrolments) >= set(roster.enrolments)
        assert fetched.context.invalid == []
        assert sis.most_in_flight <= 3


def test_a_serial_configuration_keeps_one_request_in_flight(
    connector: OneRosterConnector, district: District, school_id: str
) -> None:
    with BusyOneRosterServer(district) as sis:
        session = connector.rostersync_authenticate(
            sis.config(page_size=7, max_concurrency=1, **UNSHARED)
        )
        users = rest_source(session).records("users", school_id=school_id, since=None)
        assert [user_row(r).sis_id() for r in users] == all_user_ids(sis)
        assert sis.most_in_flight == 1


def test_without_a_count_header_users_are_read_a_window_of_pages_at_a_time(
    connector: OneRosterConnector, district: District, school_id: str
) -> None:
    with BusyOneRosterServer(district, count_header=None) as sis:
        session = connector.rostersync_authenticate(
            sis.config(page_size=7, max_concurrency=4, **UNSHARED)
        )
        users = rest_source(session).records("users", school_id=school_id, since=None)
        assert [user_row(r).sis_id() for r in users] == all_user_ids(sis)
        # No count to plan from: windows of max_concurrency pages, each offset once,
        # ending with the window that held the first short page.
        assert 1 < sis.most_in_flight <= 4
        offsets = sorted(sis.user_offsets())
        assert offsets == list(range(0, 7 * len(offsets), 7))
        assert len(offsets) % 4 == 0
        assert 7 * (len(offsets) - 4) < len(all_user_ids(sis))  # no window past the end
