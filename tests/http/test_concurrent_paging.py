"""Concurrent offset paging: once the first page gives a count, the other pages are fetched
several at a time within the client's limits, and yielded in order, each record once."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from rostersync_core.errors import InvalidSisDataError
from rostersync_core.http import RequestLimits, RetryPolicy, SisClient, iter_offset_pages
from rostersync_core.testing.fake_sis import FakeRequest, FakeResponse, Fault

from .conftest import PupilsSis

ALL = [f"p{i:03d}" for i in range(23)]


class BusySis(PupilsSis):
    """Holds each page a moment and counts the pages being served at once."""

    def __init__(self, hold: float = 0.02, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.hold = hold
        self._lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0

    def list_pupils(self, request: FakeRequest) -> FakeResponse:
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(self.hold)
            return super().list_pupils(request)
        finally:
            with self._lock:
                self.in_flight -= 1


def ids(server: PupilsSis, page_size: int, concurrency: int = 5, **kw: Any) -> list[str]:
    client = SisClient(
        server.url,
        retry=RetryPolicy.fast(),
        limits=RequestLimits(max_concurrency=concurrency),
    )
    pages = iter_offset_pages(
        client, "pupils", items="pupils", page_size=page_size, concurrent=True, **kw
    )
    return [p["id"] for page in pages for p in page]


def offsets(server: PupilsSis) -> list[int]:
    return [int(r.arg("offset") or 0) for r in server.requests]


def test_every_record_comes_once_and_in_order() -> None:
    with BusySis() as server:
        assert ids(server, 2) == ALL
        assert sorted(offsets(server)) == list(range(0, 23, 2))


def test_pages_after_the_first_are_fetched_several_at_a_time_within_the_limit() -> None:
    with BusySis() as server:
        ids(server, 2, concurrency=3)
        assert 1 < server.most_in_flight <= 3


def test_a_serial_client_pages_one_request_at_a_time() -> None:
    with BusySis() as server:
        assert ids(server, 2, concurrency=1) == ALL
        assert server.most_in_flight == 1
        assert offsets(server) == list(range(0, 23, 2))


def test_without_a_count_paging_is_sequential_and_stops_on_a_short_page() -> None:
    with BusySis(count_header=None) as server:
        assert ids(server, 2) == ALL
        assert server.most_in_flight == 1
        assert offsets(server) == list(range(0, 23, 2))


def test_a_lower_case_count_header_makes_paging_concurrent() -> None:
    with BusySis(count_header="x-total-count") as server:
        assert ids(server, 2) == ALL
        assert server.most_in_flight > 1


def test_a_server_cap_found_on_the_first_page_is_the_page_size_of_the_rest() -> None:
    with BusySis(cap=5) as server:
        assert ids(server, 100) == ALL
        assert sorted(offsets(server)) == [0, 5, 10, 15, 20]
        assert sorted(int(r.arg("limit") or 0) for r in server.requests) == [5, 5, 5, 5, 100]


def test_an_exact_multiple_of_the_page_size_costs_no_extra_request() -> None:
    with BusySis(pupils=20) as server:
        assert len(ids(server, 5)) == 20
        assert sorted(offsets(server)) == [0, 5, 10, 15]


def test_max_records_bounds_the_pages_asked_for() -> None:
    with BusySis() as server:
        assert ids(server, 5, max_records=12) == ALL[:12]
        assert sorted(offsets(server)) == [0, 5, 10]


def test_a_count_smaller_than_the_first_page_is_ignored_and_paging_is_sequential() -> None:
    with BusySis(stated_count=5) as server:
        assert ids(server, 10) == ALL
        assert offsets(server) == [0, 10, 20]


def test_a_server_that_ignores_the_offset_is_invalid_data() -> None:
    with (
        BusySis(ignores_offset=True) as server,
        pytest.raises(InvalidSisDataError, match="same page again"),
    ):
        ids(server, 10)


def test_a_rate_limited_page_in_the_middle_is_fetched_again() -> None:
    with BusySis() as server:
        server.inject(Fault(status=429, retry_after="1", skip=2, path="/pupils"))
        assert ids(server, 2) == ALL


class GrowingSis(BusySis):
    """Adds a pupil at the front once the first page was served (a row added mid-fetch):
    every later offset shifts by one and the count grows."""

    def list_pupils(self, request: FakeRequest) -> FakeResponse:
        response = super().list_pupils(request)
        if request.arg("offset") == "0" and self.pupils[0]["id"] != "a000":
            self.pupils.insert(0, {"id": "a000"})
        return response


def test_rows_added_while_paging_are_followed_past_the_first_count() -> None:
    with GrowingSis(pupils=20) as server:
        got = ids(server, 5)
    # The shifted pages repeat one pupil per page boundary (the caller drops repeats by
    # id); what matters is that the last pupil, pushed past the first count, is read.
    assert set(got) == set(ALL[:20])
    assert got[-1] == "p019"


class OversizedSis(BusySis):
    """Sends 7 pupils a page whatever the limit asked for."""

    def list_pupils(self, request: FakeRequest) -> FakeResponse:
        request.query["limit"] = ["7"]
        return super().list_pupils(request)


def test_a_server_sending_bigger_pages_than_asked_is_paged_one_page_at_a_time() -> None:
    with OversizedSis() as server:
        assert ids(server, 5) == ALL
        assert offsets(server) == [0, 7, 14, 21]


def test_concurrent_pages_wait_for_the_request_rate() -> None:
    from rostersync_core.http import RateLimiter

    waits: list[float] = []
    limits = RequestLimits(max_concurrency=5, requests_per_second=1)
    with BusySis(hold=0.0) as server:
        client = SisClient(server.url, retry=RetryPolicy.fast(), limits=limits)
        client._limiter = RateLimiter(limits, sleep=waits.append)  # record, do not sleep
        pages = iter_offset_pages(client, "pupils", items="pupils", page_size=5, concurrent=True)
        assert [p["id"] for page in pages for p in page] == ALL
        # One request a second: every page after the first was held back for its turn.
        assert len(waits) == len(server.requests) - 1 == 4
