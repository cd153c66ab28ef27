"""Fixtures for the sync tests: a small generated district served by the memory connector,
a school set up on the reference platform with every grade and subject mapped."""

from __future__ import annotations

from typing import Any

import pytest

from rostersync_core.districts import District, generate_district
from rostersync_core.model import RecordKind
from rostersync_core.plugins import PluginHost
from rostersync_core.state import SchoolConnection
from rostersync_core.testing.memory import MEMORY_TOKEN, MemoryConnector

SCHOOL = "maple"


def set_up_school(store: Any, platform: Any, district: District, school_id: str = SCHOOL) -> str:
    """Bind ``school_id`` to the district's first school and map every grade and subject."""
    sis_school_id = sorted(district.schools)[0]
    roster = district.schools[sis_school_id]
    platform.add_school(school_id, roster.school.name)
    for grade in roster.grades:
        platform.add_grade(f"grade-{grade.sis_id}", grade.name or grade.sis_id)
    for subject in roster.subjects:
        platform.add_subject(f"subject-{subject.sis_id}", subject.name)
    store.save_value_mappings(
        school_id, RecordKind.GRADE, {g.sis_id: f"grade-{g.sis_id}" for g in roster.grades}
    )
    store.save_value_mappings(
        school_id, RecordKind.SUBJECT, {s.sis_id: f"subject-{s.sis_id}" for s in roster.subjects}
    )
    store.save_connection(
        SchoolConnection(school_id, "memory", {"token": MEMORY_TOKEN}, sis_school_id),
        public_config={"token": "********"},
    )
    return sis_school_id


@pytest.fixture
def district() -> District:
    return generate_district(students=40, seed=3)


@pytest.fixture
def connector(district: District) -> MemoryConnector:
    return MemoryConnector(district)


@pytest.fixture
def host(connector: MemoryConnector) -> PluginHost:
    plugin_host = PluginHost(load_entry_points=False)
    plugin_host.register_connector(connector)
    return plugin_host


@pytest.fixture
def school(store: Any, platform: Any, district: District) -> str:
    set_up_school(store, platform, district)
    return SCHOOL
