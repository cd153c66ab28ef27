"""Offset paging stops at the right place; many requests run within the limits, in order."""

from __future__ import annotations

import threading

import pytest

from rostersync_core.errors import InvalidSisDataError
from rostersync_core.http import RequestLimits, RetryPolicy, SisClient, iter_offset_pages
from rostersync_core.testing.fake_sis import FakeRequest, FakeResponse, Fault

from .conftest import PupilsSis


def ids(server: PupilsSis, page_size: int, **kw: object) -> list[str]:
    client = SisClient(server.url, retry=RetryPolicy.fast())
    pages = iter_offset_pages(client, "pupils", items="pupils", page_size=page_size, **kw)  # type: ignore[arg-type]
    return [p["id"] for page in pages for p in page]


def offsets(server: PupilsSis) -> list[str | None]:
    return [r.arg("offset") for r in server.requests]


def test_paging_stops_when_the_total_is_reached(sis: PupilsSis) -> None:
    assert ids(sis, 10) == [f"p{i:03d}" for i in range(23)]
    assert offsets(sis) == ["0", "10", "20"]


def test_paging_stops_on_a_short_page_without_a_count_header() -> None:
    with PupilsSis(count_header=None) as server:
        assert len(ids(server, 10)) == 23
        assert offsets(server) == ["0", "10", "20"]


def test_a_lower_case_count_header_is_read() -> None:
    with PupilsSis(pupils=20, count_header="x-total-count") as server:
        assert len(ids(server, 10)) == 20
        assert offsets(server) == ["0", "10"]


def test_a_server_cap_on_the_page_size_is_detected_from_the_count() -> None:
    with PupilsSis(cap=5) as server:
        assert len(ids(server, 100)) == 23
        assert [r.arg("limit") for r in server.requests] == ["100", "5", "5", "5", "5"]


def test_a_server_cap_without_any_count_is_found_by_one_probe() -> None:
    with PupilsSis(cap=5, count_header=None) as server:
        assert ids(server, 100) == [f"p{i:03d}" for i in range(23)]


def test_a_small_collection_without_count_costs_one_probe() -> None:
    with PupilsSis(pupils=3, count_header=None) as server:
        assert len(ids(server, 100)) == 3
        assert offsets(server) == ["0", "3"]


def test_an_empty_collection_is_one_request() -> None:
    with PupilsSis(pupils=0) as server:
        assert ids(server, 100) == []
        assert len(server.requests) == 1


def test_max_records_cuts_paging_short(sis: PupilsSis) -> None:
    assert len(ids(sis, 10, max_records=12)) == 12
    assert offsets(sis) == ["0", "10"]


@pytest.mark.parametrize("pupils", [3, 23])
def test_a_server_that_ignores_the_offset_is_invalid_data_not_an_endless_loop(
    pupils: int,
) -> None:
    with PupilsSis(pupils=pupils, count_header=None, ignores_offset=True) as server:
        with pytest.raises(InvalidSisDataError, match="same page again"):
            ids(server, 10, max_pages=50)
        assert len(server.requests) == 2


def test_a_count_header_smaller_than_a_page_already_read_is_not_believed() -> None:
    # "0" (or 5) beside a page of 10: the count is wrong, so paging goes on to the end.
    with PupilsSis(stated_count=5) as server:
        assert ids(server, 10) == [f"p{i:03d}" for i in range(23)]


def test_pages_survive_a_rate_limit_in_the_middle(sis: PupilsSis) -> None:
    sis.inject(Fault(status=429, retry_after="1", skip=1, path="/pupils"))
    assert len(ids(sis, 10)) == 23


class CountingSis(PupilsSis):
    """Counts requests in flight at once."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most = 0
        self.add_route("GET", r"/slow/(?P<n>\d+)", self.slow)

    def slow(self, request: FakeRequest, n: str) -> FakeResponse:
        import time

        with self.lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        time.sleep(0.02)
        with self.lock:
            self.in_flight -= 1
        return FakeResponse.json({"n": int(n)})


def test_concurrent_requests_keep_their_order_and_the_concurrency_limit() -> None:
    with CountingSis() as server:
        client = SisClient(server.url, limits=RequestLimits(max_concurrency=3))
        results = client.map(lambda n: client.get_json(f"slow/{n}")["n"], range(20))
        assert results == list(range(20))
        assert 1 < server.most <= 3


def test_serial_limits_mean_one_request_at_a_time() -> None:
    with CountingSis() as server:
        client = SisClient(server.url, limits=RequestLimits.serial())
        client.map(lambda n: client.get_json(f"slow/{n}"), range(5))
        assert server.most == 1


def test_the_request_rate_spaces_request_starts() -> None:
    from rostersync_core.http import RateLimiter

    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(RequestLimits(requests_per_second=4), clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        with limiter.slot():
            pass
    assert slept == [0.25, 0.25]
