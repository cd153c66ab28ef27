"""Grade and subject mapping, stored: fetch, refetch, suggest, accept, map, unmap."""

from __future__ import annotations

import pytest

from rostersync_core.errors import ConfigError
from rostersync_core.mapping import (
    accept_suggestions,
    fetch_values,
    list_values,
    map_values,
    suggest_values,
    unmap_values,
)
from rostersync_core.model import Grade, RecordKind, Subject
from rostersync_core.platform.reference import ReferencePlatform
from rostersync_core.plugins import PluginHost
from rostersync_core.store import StateStore

from .conftest import FakeSis

GRADE = RecordKind.GRADE
SUBJECT = RecordKind.SUBJECT


def test_fetch_stores_what_the_sis_has(store: StateStore, host: PluginHost, connected: str) -> None:
    report = fetch_values(store, host, connected, GRADE)
    assert {v.sis_id for v in report.new} == {"KG", "01", "-1"}
    assert [v.sis_id for v in list_values(store, connected, GRADE)] == ["-1", "01", "KG"]


def test_a_refetch_shows_new_and_vanished_values(
    store: StateStore, host: PluginHost, connected: str, sis: FakeSis
) -> None:
    fetch_values(store, host, connected, GRADE)
    sis.grades = [Grade("KG", "Kindergarten"), Grade("01"), Grade("02", "Second grade")]
    report = fetch_values(store, host, connected, GRADE)
    assert [v.sis_id for v in report.new] == ["02"]
    assert [v.sis_id for v in report.vanished] == ["-1"]
    assert {v.sis_id for v in report.unchanged} == {"KG", "01"}
    vanished = {v.sis_id: v for v in list_values(store, connected, GRADE)}["-1"]
    assert not vanished.present


def test_suggestions_are_not_saved_until_accepted(
    store: StateStore, host: PluginHost, platform: ReferencePlatform, connected: str
) -> None:
    fetch_values(store, host, connected, GRADE)
    suggestions = {s.sis_id: s.platform_id for s in
                   suggest_values(store, platform, connected, GRADE)}
    assert suggestions == {"KG": "g-k", "01": "g-1", "-1": ""}
    assert store.grade_mappings(connected) == {}
    accepted = accept_suggestions(store, platform, connected, GRADE)
    assert accepted == {"KG": "g-k", "01": "g-1"}
    assert store.grade_mappings(connected) == {"KG": "g-k", "01": "g-1"}


def test_subject_suggestions_can_be_accepted(
    store: StateStore, host: PluginHost, platform: ReferencePlatform, connected: str
) -> None:
    fetch_values(store, host, connected, SUBJECT)
    accept_suggestions(store, platform, connected, SUBJECT)
    assert store.subject_mappings(connected) == {"sub-m": "math", "sub-e": "ela"}


def test_a_person_maps_a_value_by_platform_id_or_name(
    store: StateStore, host: PluginHost, platform: ReferencePlatform, connected: str
) -> None:
    fetch_values(store, host, connected, GRADE)
    map_values(store, platform, connected, GRADE, {"-1": "g-pk", "01": "grade 2"})
    assert store.grade_mappings(connected) == {"-1": "g-pk", "01": "g-2"}
    values = {v.sis_id: v for v in list_values(store, connected, GRADE, platform)}
    assert values["01"].platform_name == "Grade 2"


def test_mapping_to_a_grade_the_platform_lacks_is_refused(
    store: StateStore, platform: ReferencePlatform, connected: str
) -> None:
    with pytest.raises(ConfigError, match="no grade 'g-13'") as info:
        map_values(store, platform, connected, GRADE, {"13": "g-13"})
    assert info.value.field == "13"
    assert store.grade_mappings(connected) == {}


def test_unmap_forgets_a_mapping_and_keeps_others(
    store: StateStore, platform: ReferencePlatform, connected: str
) -> None:
    map_values(store, platform, connected, GRADE, {"01": "g-1", "KG": "g-k"})
    assert unmap_values(store, connected, GRADE, ["01"]) == 1
    assert store.grade_mappings(connected) == {"KG": "g-k"}


def test_grade_and_subject_mappings_do_not_mix(
    store: StateStore, platform: ReferencePlatform, connected: str
) -> None:
    map_values(store, platform, connected, GRADE, {"01": "g-1"})
    map_values(store, platform, connected, SUBJECT, {"01": "math"})
    assert store.grade_mappings(connected) == {"01": "g-1"}
    assert store.subject_mappings(connected) == {"01": "math"}


def test_a_refetch_keeps_mappings_of_vanished_values(
    store: StateStore, host: PluginHost, platform: ReferencePlatform, connected: str,
    sis: FakeSis,
) -> None:
    fetch_values(store, host, connected, SUBJECT)
    map_values(store, platform, connected, SUBJECT, {"sub-m": "math"})
    sis.subjects = [Subject("sub-e", "ELA")]
    fetch_values(store, host, connected, SUBJECT)
    assert store.subject_mappings(connected) == {"sub-m": "math"}
