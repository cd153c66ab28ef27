"""Speculative paging: the first pages are asked for at once, before any count is known,
and what a short collection, a server cap or a missing count make of that; and the
``decode`` hook that lets a connector decode pages its own way."""

from __future__ import annotations

from typing import Any

import pytest

from rostersync_core.errors import InvalidSisDataError, SisUnavailableError
from rostersync_core.http import (
    RequestLimits,
    RetryPolicy,
    SisClient,
    SisNotFoundError,
    SisResponse,
    iter_offset_pages,
)
from rostersync_core.testing.fake_sis import FakeRequest, FakeResponse

from .conftest import PupilsSis
from .test_concurrent_paging import ALL, BusySis, offsets


def read(server: PupilsSis, page_size: int, concurrency: int = 5, **kw: Any) -> list[str]:
    client = SisClient(
        server.url, retry=RetryPolicy.fast(), limits=RequestLimits(max_concurrency=concurrency)
    )
    pages = iter_offset_pages(
        client,
        "pupils",
        items="pupils",
        page_size=page_size,
        concurrent=True,
        speculative=True,
        **kw,
    )
    return [p["id"] for page in pages for p in page]


def test_the_first_pages_are_in_flight_together_before_the_count_is_known() -> None:
    with BusySis(hold=0.05) as server:
        assert read(server, 2, concurrency=4) == ALL
        assert server.most_in_flight == 4
        # The first window, then the rest planned from the count: every offset once.
        assert sorted(offsets(server)) == list(range(0, 23, 2))


def test_a_collection_shorter_than_the_window_costs_the_window_and_no_more() -> None:
    with BusySis(hold=0.0) as server:
        assert read(server, 10, concurrency=5) == ALL
        assert sorted(offsets(server)) == [0, 10, 20, 30, 40]


def test_without_speculation_a_short_collection_is_one_request() -> None:
    with BusySis(hold=0.0) as server:
        client = SisClient(server.url, limits=RequestLimits(max_concurrency=5))
        pages = iter_offset_pages(client, "pupils", items="pupils", page_size=50, concurrent=True)
        assert [p["id"] for page in pages for p in page] == ALL
        assert offsets(server) == [0]


def test_a_server_cap_found_on_the_first_page_drops_the_window_and_pages_at_the_cap() -> None:
    with BusySis(hold=0.0, cap=4) as server:
        assert read(server, 10) == ALL
        asked = offsets(server)
        # The window asked for 0, 10, ..., 40 at a limit the server cut to 4; those pages
        # are dropped and every offset at the cap is read after them.
        assert set(range(0, 23, 4)) <= set(asked)


def test_without_a_count_the_pages_are_read_a_window_at_a_time() -> None:
    with BusySis(hold=0.0, count_header=None) as server:
        assert read(server, 3, concurrency=4) == ALL
        assert sorted(offsets(server)) == list(range(0, 24, 3))


def test_max_records_bounds_the_first_window() -> None:
    with BusySis(hold=0.0) as server:
        assert read(server, 5, max_records=7) == ALL[:7]
        assert sorted(offsets(server)) == [0, 5]


def test_a_server_ignoring_the_offset_is_still_caught_within_the_window() -> None:
    with (
        BusySis(hold=0.0, ignores_offset=True, count_header=None) as server,
        pytest.raises(InvalidSisDataError, match="same page again"),
    ):
        read(server, 5)


def test_a_serial_client_never_speculates() -> None:
    with BusySis(hold=0.0) as server:
        assert read(server, 10, concurrency=1) == ALL
        assert offsets(server) == [0, 10, 20]


def test_pages_are_decoded_by_the_decode_hook() -> None:
    decoded: list[str] = []

    def decode(response: SisResponse) -> Any:
        decoded.append(response.path)
        body = response.json()
        return {"pupils": [{"id": p["id"].upper()} for p in body["pupils"]]}

    with BusySis(hold=0.0) as server:
        assert read(server, 10, decode=decode) == [i.upper() for i in ALL]
        assert len(decoded) == len(server.requests)


class FailingSis(BusySis):
    """Answers ``status`` for the page at ``failing`` (every try)."""

    def __init__(self, failing: int, status: int, **options: Any) -> None:
        super().__init__(hold=0.0, **options)
        self.failing = failing
        self.status = status

    def list_pupils(self, request: FakeRequest) -> FakeResponse:
        if int(request.arg("offset") or 0) == self.failing:
            return FakeResponse.json({"error": "no"}, self.status)
        return super().list_pupils(request)


@pytest.mark.parametrize("count_header", ["X-Total-Count", None], ids=["count", "no-count"])
@pytest.mark.parametrize(
    ("status", "error"),
    [(503, SisUnavailableError), (404, SisNotFoundError)],
    ids=["unavailable", "not-found"],
)
def test_a_page_failing_inside_the_window_fails_paging_after_the_pages_before_it(
    count_header: str | None, status: int, error: type[Exception]
) -> None:
    with FailingSis(failing=9, status=status, count_header=count_header) as server:
        client = SisClient(
            server.url, retry=RetryPolicy.fast(), limits=RequestLimits(max_concurrency=5)
        )
        pages = iter_offset_pages(
            client, "pupils", items="pupils", page_size=3, concurrent=True, speculative=True
        )
        got: list[str] = []
        with pytest.raises(error):
            for page in pages:
                got.extend(p["id"] for p in page)
        assert got == ALL[:9]  # the pages before the failing one, none after it


def test_a_failing_page_past_the_end_of_a_short_collection_is_never_an_error() -> None:
    with FailingSis(failing=30, status=503, count_header=None) as server:
        assert read(server, 10) == ALL  # the window asked for 30 and 40; 20 was short
