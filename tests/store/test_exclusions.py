"""Exclusions on both sides, per kind; SIS records chosen by search."""

from __future__ import annotations

import pytest

from rostersync_core.errors import ConfigError
from rostersync_core.exclusions import (
    add_exclusions,
    list_exclusions,
    parse_kind,
    remove_exclusions,
    search_sis,
)
from rostersync_core.model import RecordKind
from rostersync_core.platform.reference import ReferencePlatform
from rostersync_core.plugins import PluginHost
from rostersync_core.store import StateStore
from rostersync_core.store.existing_data import fetch_existing_data


def test_an_excluded_record_is_in_the_exclusion_set(store: StateStore, connected: str) -> None:
    add_exclusions(store, connected, "platform", RecordKind.STUDENT, ["stu_1", "stu_2"])
    add_exclusions(store, connected, "sis", RecordKind.CLASS, ["C-1"])
    excluded = store.exclusions(connected)
    assert excluded.is_platform_excluded(RecordKind.STUDENT, "stu_1")
    assert excluded.is_sis_excluded(RecordKind.CLASS, "C-1")
    assert not excluded.is_sis_excluded(RecordKind.STUDENT, "stu_1")


def test_excluding_twice_is_harmless(store: StateStore, connected: str) -> None:
    assert add_exclusions(store, connected, "sis", RecordKind.STAFF, ["T-1"]) == 1
    assert add_exclusions(store, connected, "sis", RecordKind.STAFF, ["T-1"]) == 0
    assert len(list_exclusions(store, connected)) == 1


def test_an_exclusion_can_be_removed(store: StateStore, connected: str) -> None:
    add_exclusions(store, connected, "platform", RecordKind.FAMILY, ["fam_1"])
    assert remove_exclusions(store, connected, "platform", RecordKind.FAMILY, ["fam_1"]) == 1
    assert store.exclusions(connected).platform == {}


def test_exclusions_are_per_school(store: StateStore, connected: str) -> None:
    add_exclusions(store, connected, "sis", RecordKind.STUDENT, ["S-1"])
    assert store.exclusions("south").sis == {}


def test_sis_records_are_found_by_name_or_id_and_labelled(
    store: StateStore, host: PluginHost, platform: ReferencePlatform, connected: str
) -> None:
    fetch_existing_data(store, host, platform, connected)
    assert [r.sis_id for r in search_sis(store, connected, "lovelace")] == ["S-1"]
    assert [r.sis_id for r in search_sis(store, connected, "t-1")] == ["T-1"]
    assert [r.sis_id for r in search_sis(store, connected, "maths", RecordKind.CLASS)] == ["C-1"]
    add_exclusions(store, connected, "sis", RecordKind.STUDENT, ["S-1"])
    [exclusion] = list_exclusions(store, connected)
    assert exclusion.label == "Ada Lovelace #1001"


@pytest.mark.parametrize("name", ["enrolments", "grades"])
def test_only_classes_and_people_can_be_excluded(name: str) -> None:
    with pytest.raises(ConfigError, match="unknown kind"):
        parse_kind(name)


def test_an_unknown_side_is_refused(store: StateStore, connected: str) -> None:
    with pytest.raises(ConfigError, match="unknown side"):
        add_exclusions(store, connected, "both", RecordKind.STUDENT, ["S-1"])
