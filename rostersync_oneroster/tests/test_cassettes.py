"""Fast tests replayed from vcrpy cassettes recorded from the fake server, and the check
that no cassette holds an Authorization header, a token, the client secret or a password.

Re-record with ``ROSTERSYNC_RECORD_CASSETTES=1 pytest rostersync_oneroster/tests``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rostersync_core.districts import District, generate_district
from rostersync_core.model import Enrolment, Person
from rostersync_oneroster.connector import OneRosterConnector
from rostersync_oneroster.testing import FAKE_CLIENT_SECRET, FakeOneRosterServer
from rostersync_oneroster.testing.cassettes import cassette_problems, recording, use_cassette
from rostersync_oneroster.testing.fetching import fetch_school, oneroster_family_links

CASSETTES = Path(__file__).parent / "cassettes"
#: In replay, no server runs: any address works (requests are matched on path and query).
REPLAY_URL = "http://127.0.0.1:9"


@pytest.fixture(scope="module")
def small() -> District:
    """A small district, so the recorded cassettes stay small."""
    return generate_district(students=15, seed=7)


@pytest.fixture
def live_or_replayed(request: pytest.FixtureRequest, small: District) -> Iterator[dict[str, str]]:
    """The connector config: a live fake server when recording, a dead address in replay."""
    version, auth = request.param
    with FakeOneRosterServer(small, version=version, auth=auth) as sis:
        # One request at a time, recording and replaying: vcrpy is not thread safe (a
        # request made on a paging thread can miss the cassette and reach the network).
        # The concurrent paging is tested live, against the fake server.
        config = sis.config(max_concurrency=1)
        if not recording():
            config["base_url"] = REPLAY_URL
            sis.stop()
        yield config


@pytest.mark.parametrize(
    "live_or_replayed",
    [("1.2", "oauth2"), ("1.1", "oauth1")],
    ids=["1.2-oauth2", "1.1-oauth1"],
    indirect=True,
)
def test_a_recorded_fetch_replays_the_districts_school(
    connector: OneRosterConnector,
    live_or_replayed: dict[str, str],
    small: District,
    request: pytest.FixtureRequest,
) -> None:
    school_id = sorted(small.schools)[0]
    name = request.node.callspec.id
    with use_cassette(CASSETTES / f"full-fetch-{name}.yaml", secrets=[FAKE_CLIENT_SECRET]):
        session = connector.rostersync_authenticate(live_or_replayed)
        fetched = fetch_school(connector, session, school_id)
    roster = small.school(school_id)
    assert fetched.of(Person) == set(roster.people)
    assert fetched.of(Enrolment) == set(roster.enrolments)
    links = {e for e in fetched.enrolments if type(e) is not Enrolment}
    assert links == oneroster_family_links(small, school_id)


def test_no_cassette_holds_a_credential_token_or_password() -> None:
    assert list(CASSETTES.glob("*.yaml")), "the cassettes are missing: record them"
    assert cassette_problems(CASSETTES, [FAKE_CLIENT_SECRET]) == []


def test_the_cassette_check_finds_what_it_looks_for(tmp_path: Path) -> None:
    (tmp_path / "leaky.yaml").write_text(
        "    headers:\n      Authorization:\n      - Bearer abc123\n"
        '    body: {"access_token": "abc123", "password": "pw-1"}\n'
        f"    uri: http://x/?secret={FAKE_CLIENT_SECRET}\n"
    )
    problems = cassette_problems(tmp_path, [FAKE_CLIENT_SECRET])
    assert len(problems) == 5
