"""Connector calls reach one connector; extension hooks reach every plugin."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import attrs
import pytest

from rostersync_core import (
    FetchContext,
    JobState,
    Person,
    PluginHost,
    Record,
    SyncJobEvent,
    UnknownConnectorError,
    hookimpl,
)
from rostersync_core.districts import generate_district
from rostersync_core.testing.memory import MEMORY_TOKEN, MemoryConnector


@pytest.fixture
def two_connectors() -> tuple[PluginHost, MemoryConnector, MemoryConnector]:
    host = PluginHost(load_entry_points=False)
    alpha = MemoryConnector(generate_district(students=30, seed=1), name="alpha")
    beta = MemoryConnector(generate_district(students=30, seed=2), name="beta")
    host.register_connector(alpha)
    host.register_connector(beta)
    return host, alpha, beta


def test_a_schools_calls_go_to_its_connector_alone(two_connectors) -> None:  # type: ignore[no-untyped-def]
    host, alpha, beta = two_connectors
    connector = host.connector("beta")
    session = connector.authenticate({"token": MEMORY_TOKEN})
    school = connector.list_schools(session)[0]
    people = list(connector.fetch_people(session, FetchContext(school.sis_id)))
    assert people == beta.district.school(school.sis_id).people
    assert alpha.calls == {}
    assert beta.calls == {"authenticate": 1, "list_schools": 1, "fetch_people": 1}


def test_each_connector_answers_with_its_own_data(two_connectors) -> None:  # type: ignore[no-untyped-def]
    host, alpha, beta = two_connectors
    a = host.connector("alpha")
    sid = a.list_schools(a.authenticate({"token": MEMORY_TOKEN}))[0].sis_id
    alpha_people = list(a.fetch_people(object(), FetchContext(sid)))
    assert alpha_people == alpha.district.school(sid).people
    assert alpha_people != beta.district.school(sid).people


def test_an_unknown_connector_is_named_with_the_installed_ones(two_connectors) -> None:  # type: ignore[no-untyped-def]
    host, _, _ = two_connectors
    with pytest.raises(UnknownConnectorError) as err:
        host.connector("skyward")
    assert "skyward" in str(err.value)
    assert "alpha, beta" in str(err.value)


class _Rename:
    """Extension: upper-cases family names."""

    @hookimpl
    def rostersync_adjust_records(self, records: Iterator[Record]) -> Iterator[Record]:
        for record in records:
            if isinstance(record, Person):
                record = attrs.evolve(record, family_name=record.family_name.upper())
            yield record


class _DropStaff:
    """Extension: drops staff, and wants to know the school."""

    seen_school: str = ""

    @hookimpl
    def rostersync_adjust_records(
        self, records: Iterator[Record], school_id: str
    ) -> Iterator[Record]:
        self.seen_school = school_id
        return (r for r in records if not (isinstance(r, Person) and r.kind == "staff"))


def test_adjust_records_chains_every_extension() -> None:
    host = PluginHost(load_entry_points=False)
    drop = _DropStaff()
    host.register_extension(_Rename(), name="rename")
    host.register_extension(drop, name="drop-staff")
    roster = next(iter(generate_district(students=20).schools.values()))
    out = list(host.adjust_records(roster.people, school_id="sch-1", connector="memory"))
    assert out and all(p.kind != "staff" for p in out if isinstance(p, Person))
    assert all(p.family_name.isupper() for p in out if isinstance(p, Person))
    assert drop.seen_school == "sch-1"


def test_no_extension_leaves_records_untouched() -> None:
    host = PluginHost(load_entry_points=False)
    roster = next(iter(generate_district(students=20).schools.values()))
    assert list(host.adjust_records(roster.people, school_id="s", connector="m")) == roster.people


class _Listener:
    def __init__(self) -> None:
        self.events: list[SyncJobEvent] = []

    @hookimpl
    def rostersync_job_state_changed(self, event: SyncJobEvent) -> None:
        self.events.append(event)


class _Broken:
    @hookimpl
    def rostersync_job_state_changed(self, event: SyncJobEvent) -> None:
        raise RuntimeError("smtp down")


def test_job_events_reach_every_plugin_even_when_one_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    host = PluginHost(load_entry_points=False)
    first, second = _Listener(), _Listener()
    host.register_extension(first, name="first")
    host.register_extension(_Broken(), name="broken")
    host.register_extension(second, name="second")
    event = SyncJobEvent(school_id="s", job_id=7, state=JobState.PENDING_REVIEW)
    with caplog.at_level(logging.ERROR):
        host.job_state_changed(event)
    assert first.events == [event]
    assert second.events == [event]
    assert "rostersync_job_state_changed" in caplog.text
