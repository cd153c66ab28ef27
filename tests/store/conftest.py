"""A small in-process SIS for the store tests: one secret, messy grades and subjects."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from rostersync_core import (
    PLUGIN_API_VERSION,
    AuthenticationError,
    ConnectorInfo,
    FetchContext,
    Grade,
    Person,
    PersonKind,
    PluginHost,
    School,
    SchoolClass,
    Subject,
    hookimpl,
)
from rostersync_core.platform.reference import ReferencePlatform
from rostersync_core.setup import setup_school
from rostersync_core.store import StateStore

#: The fake SIS's client secret: tests grep for it in the database, logs and errors.
SECRET = "Zq-very-secret-7f3c9e1d"
CONFIG = {"base_url": "https://sis.example.org", "client_id": "rostersync", "client_secret": SECRET}


class FakeSis:
    """An SIS with two schools; its data can be changed between fetches."""

    def __init__(self) -> None:
        self.schools = [School("sis-north", "North High"), School("sis-south", "South Middle")]
        self.grades = [Grade("KG", "Kindergarten"), Grade("01", "First grade"), Grade("-1", "")]
        self.subjects = [Subject("sub-m", "Math"), Subject("sub-e", "ELA")]
        self.classes: list[SchoolClass] = [SchoolClass("C-1", "Maths 1A", code="M1A")]
        self.people: list[Person] = [
            Person("S-1", PersonKind.STUDENT, "Ada", "Lovelace", email="ada@example.org",
                   grade_id="01", identifier="1001"),
            Person("S-2", PersonKind.STUDENT, "Charles", "Babbage", grade_id="01"),
            Person("T-1", PersonKind.STAFF, "Grace", "Hopper", email="grace@example.org"),
        ]

    @hookimpl
    def rostersync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(
            name="fakesis", version="1.0", plugin_api=PLUGIN_API_VERSION,
            config_schema={
                "type": "object",
                "properties": {
                    "base_url": {"type": "string", "format": "uri"},
                    "client_id": {"type": "string", "minLength": 1},
                    "client_secret": {"type": "string", "writeOnly": True, "minLength": 8},
                },
                "required": ["base_url", "client_id", "client_secret"],
                "additionalProperties": False,
            },
        )

    @hookimpl
    def rostersync_authenticate(self, config: Mapping[str, Any]) -> str:
        if config["client_secret"] != SECRET:
            raise AuthenticationError("the SIS refused the client id and secret")
        return "session"

    @hookimpl
    def rostersync_list_schools(self, session: str) -> list[School]:
        return list(self.schools)

    @hookimpl
    def rostersync_fetch_grades(self, session: str, context: FetchContext) -> Iterator[Grade]:
        return iter(list(self.grades))

    @hookimpl
    def rostersync_fetch_subjects(self, session: str, context: FetchContext) -> Iterator[Subject]:
        return iter(list(self.subjects))

    @hookimpl
    def rostersync_fetch_classes(self, session: str, context: FetchContext) -> Iterator[Any]:
        return iter(list(self.classes))

    @hookimpl
    def rostersync_fetch_people(self, session: str, context: FetchContext) -> Iterator[Person]:
        return iter(list(self.people))

    @hookimpl
    def rostersync_fetch_enrolments(self, session: str, context: FetchContext) -> Iterator[Any]:
        return iter([])


@pytest.fixture
def sis() -> FakeSis:
    return FakeSis()


@pytest.fixture
def host(sis: FakeSis) -> PluginHost:
    plugin_host = PluginHost(load_entry_points=False)
    plugin_host.register_connector(sis)
    return plugin_host


@pytest.fixture
def north(platform: ReferencePlatform) -> str:
    """The platform school ``north``, with grades and subjects."""
    platform.add_school("north", "North High")
    for gid, name in [("g-pk", "Pre-K"), ("g-k", "Kindergarten"), ("g-1", "Grade 1"),
                      ("g-2", "Grade 2")]:
        platform.add_grade(gid, name)
    for sid, name in [("math", "Mathematics"), ("ela", "English Language Arts"),
                      ("sci", "Science")]:
        platform.add_subject(sid, name)
    return "north"


@pytest.fixture
def connected(store: StateStore, host: PluginHost, platform: ReferencePlatform,
              north: str) -> str:
    """``north`` set up against the fake SIS's North High."""
    setup_school(store, host, platform, north, "fakesis", CONFIG, "sis-north")
    return north
