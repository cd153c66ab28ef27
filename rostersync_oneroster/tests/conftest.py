# ruff: noqa: E402
"""Fixtures for the OneRoster connector's tests: a small generated district, the fake
server in each flavour, and a connector with short retry waits (no real sleeping)."""

from __future__ import annotations

import sys

# pytest's importlib mode names this file ``rostersync_oneroster.tests.conftest`` and first
# imports the folder ``rostersync_oneroster/`` as a namespace package under the
# distribution's own name, hiding the installed package (``src/`` layout). Drop that
# stand-in so the real package is imported.
_stand_in = sys.modules.get("rostersync_oneroster")
if _stand_in is not None and getattr(_stand_in, "__file__", None) is None:
    del sys.modules["rostersync_oneroster"]

from collections.abc import Iterator
from pathlib import Path

import pytest

from rostersync_core.districts import District, generate_district
from rostersync_core.http import RetryPolicy
from rostersync_oneroster.connector import OneRosterConnector
from rostersync_oneroster.shared_users import SHARED_USERS
from rostersync_oneroster.testing import FakeOneRosterServer

FLAVOURS = [("1.2", "oauth2"), ("1.1", "oauth1")]


@pytest.fixture(scope="session")
def district() -> District:
    return generate_district(students=40, seed=5)


@pytest.fixture(scope="session")
def school_id(district: District) -> str:
    return sorted(district.schools)[0]


@pytest.fixture(autouse=True)
def _no_shared_users_across_tests() -> Iterator[None]:
    """Each test's fake servers start with no users read shared from an earlier test (a
    new server can get an earlier one's port)."""
    SHARED_USERS.clear()
    yield
    SHARED_USERS.clear()


@pytest.fixture
def connector() -> OneRosterConnector:
    return OneRosterConnector(retry=RetryPolicy.fast())


@pytest.fixture(params=FLAVOURS, ids=["rest-1.2-oauth2", "rest-1.1-oauth1"])
def server(request: pytest.FixtureRequest, district: District) -> Iterator[FakeOneRosterServer]:
    version, auth = request.param
    with FakeOneRosterServer(district, version=version, auth=auth) as fake:
        yield fake


@pytest.fixture
def server12(district: District) -> Iterator[FakeOneRosterServer]:
    with FakeOneRosterServer(district, version="1.2", auth="oauth2") as fake:
        yield fake


@pytest.fixture
def data_dir() -> Path:
    return Path(__file__).parent
