"""Transient failures are retried within bounds; what is left is classified."""

from __future__ import annotations

import email.utils
import time

import pytest

from rostersync_core.errors import AuthenticationError, InvalidSisDataError, SisUnavailableError
from rostersync_core.http import (
    RetryPolicy,
    SisClient,
    SisNotFoundError,
    SisRequestRejectedError,
    parse_retry_after,
    segment,
)
from rostersync_core.testing.fake_sis import Fault

from .conftest import PupilsSis, RecordingSleep


def test_a_rate_limited_request_waits_as_long_as_retry_after_says(
    sis: PupilsSis, sleep: RecordingSleep
) -> None:
    sis.inject(Fault(status=429, retry_after="2", times=2, path="/echo"))
    client = SisClient(sis.url, retry=RetryPolicy.fast(sleep=sleep))
    assert client.get_json("echo") == {"ok": True}
    assert sleep.waits == [2.0, 2.0]
    assert len(sis.requests) == 3


def test_a_503_with_an_http_date_retry_after_is_honoured(
    sis: PupilsSis, sleep: RecordingSleep
) -> None:
    later = email.utils.formatdate(time.time() + 3, usegmt=True)
    sis.inject(Fault(status=503, retry_after=later, path="/echo"))
    client = SisClient(sis.url, retry=RetryPolicy.fast(sleep=sleep))
    assert client.get_json("echo") == {"ok": True}
    assert len(sleep.waits) == 1 and 1.0 <= sleep.waits[0] <= 3.0


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried_until_they_pass(
    sis: PupilsSis, fast_retry: RetryPolicy, status: int
) -> None:
    sis.inject(Fault(status=status, times=3))
    assert SisClient(sis.url, retry=fast_retry).get_json("echo") == {"ok": True}
    assert len(sis.requests) == 4


def test_retries_are_bounded_in_attempts_and_then_the_sis_is_unavailable(
    sis: PupilsSis, fast_retry: RetryPolicy
) -> None:
    sis.inject(Fault(status=503, times=None))
    with pytest.raises(SisUnavailableError) as caught:
        SisClient(sis.url, retry=fast_retry).get("echo")
    assert len(sis.requests) == fast_retry.max_attempts
    assert "GET /echo on 127.0.0.1" in str(caught.value)
    assert "try again later" in str(caught.value)


def test_retries_are_bounded_in_total_time(sis: PupilsSis, sleep: RecordingSleep) -> None:
    sis.inject(Fault(status=429, retry_after="40", times=None))
    policy = RetryPolicy(max_attempts=10, max_total_seconds=100, max_retry_after=60, sleep=sleep)
    with pytest.raises(SisUnavailableError):
        SisClient(sis.url, retry=policy).get("echo")
    assert sleep.waits == [40.0, 40.0]  # a third wait would end after 100 s


def test_a_retry_after_longer_than_allowed_fails_at_once_saying_so(
    sis: PupilsSis, sleep: RecordingSleep
) -> None:
    sis.inject(Fault(status=429, retry_after="3600", times=None))
    with pytest.raises(SisUnavailableError, match="asked to wait 3600 s"):
        SisClient(sis.url, retry=RetryPolicy(sleep=sleep)).get("echo")
    assert sleep.waits == []


def test_dropped_connections_are_retried(sis: PupilsSis, fast_retry: RetryPolicy) -> None:
    sis.inject(Fault(drop=True, times=2))
    assert SisClient(sis.url, retry=fast_retry).get_json("echo") == {"ok": True}


def test_a_short_read_is_retried(sis: PupilsSis, fast_retry: RetryPolicy) -> None:
    sis.inject(Fault(truncate=True, times=1, path="/pupils"))
    body = SisClient(sis.url, retry=fast_retry).get_json("pupils")
    assert len(body["pupils"]) == 23


def test_an_unreachable_sis_is_unavailable(fast_retry: RetryPolicy) -> None:
    with PupilsSis() as server:
        url = server.url
    with pytest.raises(SisUnavailableError, match="connection failed"):
        SisClient(url, retry=fast_retry).get("echo")


def test_a_malformed_body_is_invalid_data_naming_the_path(
    sis: PupilsSis, fast_retry: RetryPolicy
) -> None:
    sis.inject(Fault(malformed=True, path="/pupils"))
    with pytest.raises(InvalidSisDataError, match=r"GET /pupils on 127\.0\.0\.1"):
        SisClient(sis.url, retry=fast_retry).get_json("pupils")


def test_a_404_is_a_not_found_error_the_connector_can_map(
    sis: PupilsSis, fast_retry: RetryPolicy
) -> None:
    with pytest.raises(SisNotFoundError) as caught:
        SisClient(sis.url, retry=fast_retry).get("pupils/nobody")
    assert caught.value.path == "/pupils/nobody"
    assert len(sis.requests) == 1


def test_a_422_is_a_rejected_request_and_not_retried(
    sis: PupilsSis, fast_retry: RetryPolicy
) -> None:
    with pytest.raises(SisRequestRejectedError) as caught:
        SisClient(sis.url, retry=fast_retry).get("bad-request")
    assert caught.value.status == 422
    assert len(sis.requests) == 1


def test_a_401_without_refreshable_auth_is_an_authentication_error(
    sis: PupilsSis, fast_retry: RetryPolicy
) -> None:
    sis.inject(Fault(status=401, times=None))
    with pytest.raises(AuthenticationError):
        SisClient(sis.url, retry=fast_retry).get("echo")
    assert len(sis.requests) == 1


def test_messages_never_carry_query_values(sis: PupilsSis, fast_retry: RetryPolicy) -> None:
    sis.inject(Fault(status=500, times=None))
    with pytest.raises(SisUnavailableError) as caught:
        SisClient(sis.url, retry=fast_retry).get("echo", params={"email": "ann@example.org"})
    assert "ann@example.org" not in str(caught.value)
    assert "email" not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("5", 5.0), (" 0 ", 0.0), ("-3", 0.0), ("soon", None), ("", None), (None, None)],
)
def test_retry_after_is_read_as_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_retry_after_as_a_date_in_the_past_means_now() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


@pytest.mark.parametrize("sis_id", ["..", ".", "a/b #1", "5678_T5678-0005"])
def test_an_id_reaches_the_sis_as_one_path_segment(sis: PupilsSis, sis_id: str) -> None:
    client = SisClient(sis.url, retry=RetryPolicy.never())
    with pytest.raises(SisNotFoundError):  # no such pupil; the request still went there
        client.get(f"pupils/{segment(sis_id)}")
    assert sis.requests[-1].path == f"/pupils/{sis_id}"
