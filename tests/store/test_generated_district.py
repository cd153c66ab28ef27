"""Setup, mapping, matching and exclusions on a generated district (the memory connector)."""

from __future__ import annotations

import pytest

from rostersync_core.districts import generate_district
from rostersync_core.mapping import accept_suggestions, fetch_values, list_values
from rostersync_core.model import RecordKind
from rostersync_core.platform.reference import ReferencePlatform
from rostersync_core.plugins import PluginHost
from rostersync_core.setup import setup_school
from rostersync_core.store import StateStore
from rostersync_core.store.existing_data import fetch_existing_data, match_overview
from rostersync_core.testing.memory import MEMORY_TOKEN, MemoryConnector


@pytest.fixture
def maple(store: StateStore, platform: ReferencePlatform) -> tuple[PluginHost, str]:
    district = generate_district(students=30, seed=1)
    host = PluginHost(load_entry_points=False)
    host.register_connector(MemoryConnector(district))
    platform.add_school("maple", "Maple School")
    for gid, name in [("k", "Kindergarten"), *[(f"g{n}", f"Grade {n}") for n in range(1, 13)]]:
        platform.add_grade(gid, name)
    for sid, name in [("ela", "ELA"), ("math", "Math"), ("sci", "Science"),
                      ("ss", "Social Studies")]:
        platform.add_subject(sid, name)
    school = next(iter(district.schools))
    setup_school(store, host, platform, "maple", "memory", {"token": MEMORY_TOKEN}, school)
    return host, "maple"


def test_every_generated_grade_gets_a_suggestion(
    store: StateStore, platform: ReferencePlatform, maple: tuple[PluginHost, str]
) -> None:
    host, school = maple
    fetch_values(store, host, school, RecordKind.GRADE)
    accept_suggestions(store, platform, school, RecordKind.GRADE)
    unmapped = [v.sis_id for v in list_values(store, school, RecordKind.GRADE) if not v.platform_id]
    assert unmapped == []


def test_generated_subjects_map_to_their_usual_names(
    store: StateStore, platform: ReferencePlatform, maple: tuple[PluginHost, str]
) -> None:
    host, school = maple
    fetch_values(store, host, school, RecordKind.SUBJECT)
    accepted = accept_suggestions(store, platform, school, RecordKind.SUBJECT)
    assert accepted["English Language Arts"] == "ela"
    assert accepted["Mathematics"] == "math"


def test_a_district_without_platform_data_is_all_unmatched(
    store: StateStore, platform: ReferencePlatform, maple: tuple[PluginHost, str]
) -> None:
    host, school = maple
    results = fetch_existing_data(store, host, platform, school)
    assert all(not r.matched and not r.ambiguous for r in results.values())
    assert len(results[RecordKind.STUDENT].unmatched) > 0
    statuses = {row.status for row in match_overview(store, school)}
    assert statuses == {"unmatched"}
