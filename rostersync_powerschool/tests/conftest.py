# ruff: noqa: E402
"""Fixtures: a small generated district served by the fake PowerSchool, and the connector.

Retries wait no real time: the connector's retry policy records each wait in ``sleeps``.
"""

from __future__ import annotations

import base64
import contextlib
import sys

# pytest's importlib mode names this file ``rostersync_powerschool.tests.conftest`` and
# first imports the folder ``rostersync_powerschool/`` as a namespace package under the
# distribution's own name, hiding the installed package (``src/`` layout). Drop that
# stand-in so the real package is imported; the tests' own stand-in stays.
_stand_in = sys.modules.get("rostersync_powerschool")
if _stand_in is not None and getattr(_stand_in, "__file__", None) is None:
    del sys.modules["rostersync_powerschool"]

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rostersync_core.connector import Connector
from rostersync_core.districts import District, generate_district
from rostersync_core.http.retry import RetryPolicy
from rostersync_core.model import PersonKind
from rostersync_core.plugins import PluginHost
from rostersync_core.testing.cassettes import MATCH_ANY_ADDRESS, env_asks_to_record
from rostersync_core.testing.cassettes import cassette as recorded_cassette
from rostersync_core.testing.contract_fetch import FetchedRoster, fetch_roster
from rostersync_powerschool.connector import PowerSchoolConnector
from rostersync_powerschool.testing import FAKE_CLIENT_ID, FAKE_CLIENT_SECRET, FakePowerSchool

SCHOOL = "100"


def lower_grades_only(district: District, grades: frozenset[str]) -> District:
    """The district with only ``grades`` (fewer sections: faster tests)."""
    trimmed = district.copy()
    for roster in trimmed.schools.values():
        roster.grades = [g for g in roster.grades if g.sis_id in grades]
        roster.classes = [c for c in roster.classes if set(c.grade_ids) <= grades]
        roster.courses = [c for c in roster.courses if set(c.grade_ids) <= grades]
        gone = {p.sis_id for p in roster.students() if p.grade_id not in grades}
        classes = {c.sis_id for c in roster.classes}
        roster.enrolments = [e for e in roster.enrolments
                             if e.class_sis_id in classes and e.person_sis_id not in gone]
        roster.family_links = [f for f in roster.family_links if f.student_sis_id not in gone]
        linked = {f.family_sis_id for f in roster.family_links}
        roster.people = [p for p in roster.people if p.sis_id not in gone
                         and (p.kind is not PersonKind.FAMILY or p.sis_id in linked)]
    return trimmed


@pytest.fixture
def district() -> District:
    """A small school: kindergarten to grade 5 of a generated district (48 sections)."""
    return lower_grades_only(generate_district(students=30, seed=7),
                             frozenset({"KG", "01", "02", "03", "04", "05"}))


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def connector(sleeps: list[float]) -> Connector:
    host = PluginHost(load_entry_points=False)
    retry = RetryPolicy.fast(max_attempts=4, sleep=sleeps.append)
    return host.register_connector(PowerSchoolConnector(retry=retry, timeout=5.0))


@pytest.fixture
def make_server() -> Iterator[Callable[..., FakePowerSchool]]:
    started: list[FakePowerSchool] = []

    def make(district: District, **options: Any) -> FakePowerSchool:
        options.setdefault("max_page_size", 7)
        server = FakePowerSchool(district, **options).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def ps(make_server: Callable[..., FakePowerSchool], district: District) -> FakePowerSchool:
    return make_server(district)


@pytest.fixture
def fetch(connector: Connector) -> Callable[..., FetchedRoster]:
    """``fetch(server, **config_overrides)``: authenticate and fetch the school's roster."""

    def run(server: FakePowerSchool, school: str = SCHOOL, **overrides: Any) -> FetchedRoster:
        session = connector.authenticate(server.config(**overrides))
        return fetch_roster(connector, session, school)

    return run


@pytest.fixture
def district_fingerprints(district: District) -> dict[tuple[Any, str], str]:
    """The fingerprints the connector should yield for the district's school."""
    from rostersync_core.model import fingerprint, record_kind
    from rostersync_powerschool.testing.expected import expected_records

    return {(record_kind(r), r.key): fingerprint(r)
            for r in expected_records(district.school(SCHOOL))}


# -- recorded cassettes -------------------------------------------------------------------

#: Set to 1 to re-record the cassettes from the fake server (default: replay them).
RECORD_ENV = "ROSTERSYNC_POWERSCHOOL_RECORD"
CASSETTES = Path(__file__).parent / "cassettes"
#: The address cassettes are stored and replayed under (the fake's port changes each run).
REPLAY_URL = "http://powerschool.test"


def recording(config: pytest.Config) -> bool:
    return env_asks_to_record(RECORD_ENV) or bool(
        config.getoption("--rostersync-record", default=False))


@pytest.fixture
def cassette_secrets() -> list[str]:
    """What must never be recorded: the client secret and the Basic credential it makes."""
    basic = base64.b64encode(f"{FAKE_CLIENT_ID}:{FAKE_CLIENT_SECRET}".encode()).decode()
    return [FAKE_CLIENT_SECRET, basic]


@pytest.fixture
def cassette(
    request: pytest.FixtureRequest,
    make_server: Callable[..., FakePowerSchool],
    cassette_secrets: list[str],
) -> Callable[..., contextlib.AbstractContextManager[tuple[str, FakePowerSchool | None]]]:
    """``with cassette(name, district, **server_options) as (base_url, server):``

    Replays ``cassettes/<name>.yaml`` (``server`` is None, nothing listens), or with
    ``ROSTERSYNC_POWERSCHOOL_RECORD=1`` records it from a fake server, scrubbed by
    :func:`rostersync_core.testing.cassettes.cassette`: no Authorization header, no token,
    no secret. Requests match on method, path and query; the live address is stored as
    ``REPLAY_URL``.
    """
    record = recording(request.config)

    @contextlib.contextmanager
    def use(
        name: str, district: District, **options: Any
    ) -> Iterator[tuple[str, FakePowerSchool | None]]:
        server = make_server(district, **options) if record else None
        live = server.url if server is not None else REPLAY_URL
        with recorded_cassette(
            CASSETTES / f"{name}.yaml",
            record=record,
            secrets=cassette_secrets,
            match_on=MATCH_ANY_ADDRESS,
            uri_aliases={live: REPLAY_URL},
            allow_playback_repeats=False,
            how_to_record=f"with {RECORD_ENV}=1 pytest rostersync_powerschool/tests",
        ):
            yield live, server

    return use
