# ruff: noqa: E402
"""Fixtures: a small generated district served by the fake PowerSchool, and the connector.

Retries wait no real time: the connector's retry policy records each wait in ``sleeps``.
"""

from __future__ import annotations

import sys

# pytest's importlib mode names this file ``rostersync_powerschool.tests.conftest`` and
# first imports the folder ``rostersync_powerschool/`` as a namespace package under the
# distribution's own name, hiding the installed package (``src/`` layout). Drop that
# stand-in so the real package is imported; the tests' own stand-in stays.
_stand_in = sys.modules.get("rostersync_powerschool")
if _stand_in is not None and getattr(_stand_in, "__file__", None) is None:
    del sys.modules["rostersync_powerschool"]

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rostersync_powerschool.connector import PowerSchoolConnector
from rostersync_powerschool.testing import FakePowerSchool

from rostersync_core.connector import Connector
from rostersync_core.districts import District, generate_district
from rostersync_core.http.retry import RetryPolicy
from rostersync_core.plugins import PluginHost
from rostersync_core.testing.contract_fetch import FetchedRoster, fetch_roster

SCHOOL = "100"


@pytest.fixture
def district() -> District:
    return generate_district(students=30, seed=7)


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
    from rostersync_powerschool.testing.expected import expected_records

    from rostersync_core.model import fingerprint, record_kind

    return {(record_kind(r), r.key): fingerprint(r)
            for r in expected_records(district.school(SCHOOL))}
