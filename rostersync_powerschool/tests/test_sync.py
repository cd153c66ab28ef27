"""A sync through the core against the fake PowerSchool gives the platform the same roster
as the same district served through OneRoster.

One documented difference: a family link's relationship. PowerSchool's Contacts API has
one per link (``mother``, ``father``, ``guardian``); OneRoster has one role per family
member (``parent``, ``guardian``, ``relative``). Links are compared as pairs; each
connector's own tests check its relationships.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rostersync_core.districts import GRADE_NAMES, District, generate_district
from rostersync_core.fetch import FetchContext
from rostersync_core.http import RetryPolicy
from rostersync_core.model import RecordKind
from rostersync_core.plugins import PluginHost
from rostersync_powerschool.connector import PowerSchoolConnector
from rostersync_powerschool.testing import FakePowerSchool
from rostersync_powerschool.testing.render import CEDS_TO_POWERSCHOOL

oneroster = pytest.importorskip("rostersync_oneroster.connector")
oneroster_testing = pytest.importorskip("rostersync_oneroster.testing")


@pytest.fixture
def host() -> PluginHost:
    plugin_host = PluginHost(load_entry_points=False)
    plugin_host.register_connector(PowerSchoolConnector(retry=RetryPolicy.fast()))
    plugin_host.register_connector(oneroster.OneRosterConnector(retry=RetryPolicy.fast()))
    return plugin_host


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    monkeypatch.setenv("ROSTERSYNC_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("ROSTERSYNC_HOME", str(tmp_path / "home"))


def synced_roster(
    database: Path, host: PluginHost, connector: str, config: dict[str, Any],
    sis_school_id: str, grade_of: Callable[[str], str],
) -> dict[str, Any]:
    """Set up a school on a fresh reference platform, map every grade and subject the
    connector reports (``grade_of``: its grade id -> CEDS code), sync, approve, export."""
    from rostersync_core.platform.reference import ReferencePlatform
    from rostersync_core.setup import setup_school
    from rostersync_core.store import StateStore
    from rostersync_core.sync import approve_job, run_sync

    store = StateStore.open(f"sqlite:///{database}")
    try:
        platform = ReferencePlatform(store.engine)
        platform.add_school("school", "The school")
        for ceds, name in GRADE_NAMES.items():
            platform.add_grade(f"g-{ceds}", name)
        setup_school(store, host, platform, "school", connector, config, sis_school_id)
        plugin = host.connector(connector)
        session = plugin.authenticate(config)
        context = FetchContext(sis_school_id)
        grades = {
            g.sis_id: f"g-{grade_of(g.sis_id)}" for g in plugin.fetch_grades(session, context)
        }
        subjects = {}
        for subject in plugin.fetch_subjects(session, context):
            platform.add_subject(f"s-{subject.name}", subject.name)
            subjects[subject.sis_id] = f"s-{subject.name}"
        store.save_value_mappings("school", RecordKind.GRADE, grades)
        store.save_value_mappings("school", RecordKind.SUBJECT, subjects)
        job = run_sync(store, host, platform, "school")
        approve_job(store, host, platform, job.id, actor="admin@example.org")
        return platform.export_roster("school")
    finally:
        store.close()


def _comparable(roster: dict[str, Any]) -> dict[str, Any]:
    """The exported roster with family links as (family, student) pairs."""
    return {**roster, "family_links": sorted(link[:2] for link in roster["family_links"])}


def _ceds_of_powerschool(level: str) -> str:
    return {str(v): k for k, v in CEDS_TO_POWERSCHOOL.items()}[level]


@pytest.fixture
def both(district: District) -> Iterator[tuple[FakePowerSchool, Any]]:
    with FakePowerSchool(district, max_page_size=25) as ps, \
            oneroster_testing.FakeOneRosterServer(district, version="1.2") as ors:
        yield ps, ors


def test_powerschool_and_oneroster_give_the_platform_the_same_roster(
    tmp_path: Path, host: PluginHost, key: None, both: tuple[FakePowerSchool, Any]
) -> None:
    ps, ors = both
    via_powerschool = synced_roster(tmp_path / "ps.db", host, "powerschool", ps.config(),
                                    "100", _ceds_of_powerschool)
    via_oneroster = synced_roster(tmp_path / "or.db", host, "oneroster", ors.config(),
                                  "100", lambda ceds: ceds)
    assert via_powerschool["students"] and via_powerschool["enrolments"]
    assert via_powerschool["family_links"]
    assert _comparable(via_powerschool) == _comparable(via_oneroster)


@pytest.mark.slow
def test_an_elementary_school_with_homerooms_syncs_the_same_through_both(
    tmp_path: Path, host: PluginHost, key: None
) -> None:
    district = generate_district(students=850, seed=3)
    with FakePowerSchool(district, max_page_size=100) as ps, \
            oneroster_testing.FakeOneRosterServer(district, version="1.2") as ors:
        via_powerschool = synced_roster(tmp_path / "ps.db", host, "powerschool", ps.config(),
                                        "100", _ceds_of_powerschool)
        via_oneroster = synced_roster(tmp_path / "or.db", host, "oneroster", ors.config(),
                                      "100", lambda ceds: ceds)
    assert any(c["title"].startswith("Homeroom") for c in via_powerschool["classes"])
    assert _comparable(via_powerschool) == _comparable(via_oneroster)
