"""Recorded PowerSchool conversations: replayed by default, scrubbed of every secret.

Re-record them from the fake server with ``ROSTERSYNC_POWERSCHOOL_RECORD=1``. Replays use
the connector with one request at a time so the conversation's order is fixed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rostersync_core.connector import Connector
from rostersync_core.districts import District, generate_district
from rostersync_core.model import fingerprint, record_kind
from rostersync_core.testing.cassettes import cassette_problems
from rostersync_core.testing.contract_fetch import fetch_roster
from rostersync_powerschool.testing import FAKE_CLIENT_ID, FAKE_CLIENT_SECRET, Fault
from rostersync_powerschool.testing.expected import expected_records

CASSETTES = Path(__file__).parent / "cassettes"


@pytest.fixture
def tiny() -> District:
    return generate_district(students=5, seed=11)


def _config(base_url: str) -> dict[str, object]:
    return {"base_url": base_url, "client_id": FAKE_CLIENT_ID,
            "client_secret": FAKE_CLIENT_SECRET, "max_concurrency": 1}


def _expected(district: District) -> dict[tuple[object, str], str]:
    return {(record_kind(r), r.key): fingerprint(r)
            for r in expected_records(district.school("100"))}


def test_a_recorded_fetch_replays_to_the_same_roster(
    connector: Connector, cassette: Callable[..., object], tiny: District
) -> None:
    with cassette("full_fetch", tiny) as (base_url, _server):  # type: ignore[attr-defined]
        session = connector.authenticate(_config(base_url))
        roster = fetch_roster(connector, session, "100")
    assert roster.fingerprints() == _expected(tiny)


def test_a_recorded_token_expiry_replays_to_a_renewal(
    connector: Connector, cassette: Callable[..., object], tiny: District
) -> None:
    with cassette("token_expiry", tiny) as (base_url, server):  # type: ignore[attr-defined]
        session = connector.authenticate(_config(base_url))
        if server is not None:
            server.issuer.expire_all()
        roster = fetch_roster(connector, session, "100")
    assert roster.fingerprints() == _expected(tiny)


def test_a_recorded_rate_limit_replays_to_a_wait_and_a_retry(
    connector: Connector, cassette: Callable[..., object], tiny: District, sleeps: list[float]
) -> None:
    with cassette("rate_limited", tiny) as (base_url, server):  # type: ignore[attr-defined]
        if server is not None:
            server.inject(Fault(status=429, retry_after="2", path=r"/student$"))
        session = connector.authenticate(_config(base_url))
        roster = fetch_roster(connector, session, "100")
    assert roster.fingerprints() == _expected(tiny)
    assert 2.0 in sleeps


def test_no_cassette_holds_an_authorization_header_a_token_or_the_secret(
    cassette_secrets: list[str],
) -> None:
    files = sorted(CASSETTES.glob("*.yaml"))
    assert files, "no cassettes recorded"
    assert cassette_problems(CASSETTES, cassette_secrets) == []
    for file in files:
        assert '"access_token": "<redacted>"' in file.read_text(), file.name


def test_the_secret_check_catches_a_cassette_that_was_not_scrubbed(
    tmp_path: Path, cassette_secrets: list[str]
) -> None:
    basic = cassette_secrets[1]
    (tmp_path / "dirty.yaml").write_text(
        "headers:\n  Authorization:\n  - Bearer 0123456789abcdef0123456789abcdef\n"
        f'body: {{"access_token": "0123456789abcdef0123456789abcdef"}} {FAKE_CLIENT_SECRET}\n'
        f"other: {basic}\n"
    )
    assert cassette_problems(tmp_path, cassette_secrets) == [
        "dirty.yaml: an Authorization header",
        "dirty.yaml: a bearer or basic credential",
        "dirty.yaml: secret #1 of those given",
        "dirty.yaml: secret #2 of those given",
        "dirty.yaml: a value in the access_token field",
        "dirty.yaml: a token-like hex string",
    ]
