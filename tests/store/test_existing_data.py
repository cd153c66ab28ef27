"""Existing-data mapping, stored: fetch, review, accept, link and unlink."""

from __future__ import annotations

import pytest

from rostersync_core.errors import ConfigError
from rostersync_core.model import Person, PersonKind, RecordKind
from rostersync_core.platform.protocol import ChangeAction, PlatformChange
from rostersync_core.platform.reference import ReferencePlatform
from rostersync_core.plugins import PluginHost
from rostersync_core.store import StateStore
from rostersync_core.store.existing_data import (
    accept_matches,
    fetch_existing_data,
    link_records,
    match_overview,
    unlink_records,
)

from .conftest import FakeSis


def _person(platform: ReferencePlatform, school: str, key: str, person: Person,
            kind: RecordKind) -> str:
    [pid] = platform.apply_changes(school, [PlatformChange(
        key=key, kind=kind, action=ChangeAction.CREATE, values=person)])
    return pid


@pytest.fixture
def existing(platform: ReferencePlatform, connected: str) -> dict[str, str]:
    """The platform already has Ada (same e-mail) and two Grace Hoppers (staff + parent)."""
    return {
        "ada": _person(platform, connected, "seed/1", Person(
            "", PersonKind.STUDENT, "Ada", "Lovelace", email="ADA@example.org "),
            RecordKind.STUDENT),
        "grace_staff": _person(platform, connected, "seed/2", Person(
            "", PersonKind.STAFF, "Grace", "Hopper", email="grace@example.org"),
            RecordKind.STAFF),
        "grace_parent": _person(platform, connected, "seed/3", Person(
            "", PersonKind.FAMILY, "Grace", "Hopper", email="grace@example.org"),
            RecordKind.FAMILY),
    }


def test_fetch_proposes_matches_without_linking(
    store: StateStore, host: PluginHost, platform: ReferencePlatform, connected: str,
    existing: dict[str, str],
) -> None:
    results = fetch_existing_data(store, host, platform, connected)
    assert results[RecordKind.STUDENT].matched["S-1"].platform_id == existing["ada"]
    assert results[RecordKind.STUDENT].unmatched == ("S-2",)
    assert "T-1" in results[RecordKind.STAFF].ambiguous
    assert store.links(connected, RecordKind.STUDENT) == {}


def test_the_overview_shows_each_record_with_why(
    store: StateStore, host: PluginHost, platform: ReferencePlatform, connected: str,
    existing: dict[str, str],
) -> None:
    fetch_existing_data(store, host, platform, connected)
    rows = {(r.kind, r.sis_id): r for r in match_overview(store, connected)}
    ada = rows[(RecordKind.STUDENT, "S-1")]
    assert (ada.status, ada.platform_id, ada.label) == ("matched", existing["ada"],
                                                        "Ada Lovelace #1001")
    assert "e-mail" in ada.candidates[0].reason
    assert rows[(RecordKind.STAFF, "T-1")].status == "ambiguous"
    assert {c.platform_id for c in rows[(RecordKind.STAFF, "T-1")].candidates} == {
        existing["grace_staff"], existing["grace_parent"]}
    assert rows[(RecordKind.CLASS, "C-1")].status == "unmatched"


def test_accepting_links_only_unambiguous_matches(
    store: StateStore, host: PluginHost, platform: ReferencePlatform, connected: str,
    existing: dict[str, str],
) -> None:
    fetch_existing_data(store, host, platform, connected)
    accept_matches(store, connected)
    assert store.links(connected, RecordKind.STUDENT) == {"S-1": existing["ada"]}
    assert store.links(connected, RecordKind.STAFF) == {}


def test_a_person_decides_an_ambiguous_match(
    store: StateStore, host: PluginHost, platform: ReferencePlatform, connected: str,
    existing: dict[str, str],
) -> None:
    fetch_existing_data(store, host, platform, connected)
    link_records(store, platform, connected, RecordKind.STAFF, {"T-1": existing["grace_staff"]})
    rows = {r.sis_id: r for r in match_overview(store, connected, [RecordKind.STAFF])}
    assert rows["T-1"].status == "linked"


def test_linking_to_a_record_the_platform_lacks_is_refused(
    store: StateStore, platform: ReferencePlatform, connected: str
) -> None:
    with pytest.raises(ConfigError, match="no student 'stu_nobody'"):
        link_records(store, platform, connected, RecordKind.STUDENT, {"S-1": "stu_nobody"})


def test_a_platform_record_cannot_be_linked_twice(
    store: StateStore, platform: ReferencePlatform, connected: str, existing: dict[str, str]
) -> None:
    link_records(store, platform, connected, RecordKind.STUDENT, {"S-1": existing["ada"]})
    with pytest.raises(ConfigError, match="already linked to SIS record 'S-1'"):
        link_records(store, platform, connected, RecordKind.STUDENT, {"S-2": existing["ada"]})


def test_two_sis_records_in_one_call_cannot_share_a_platform_record(
    store: StateStore, platform: ReferencePlatform, connected: str, existing: dict[str, str]
) -> None:
    with pytest.raises(ConfigError, match="already linked to SIS record 'S-1'"):
        link_records(store, platform, connected, RecordKind.STUDENT,
                     {"S-1": existing["ada"], "S-2": existing["ada"]})
    assert store.links(connected, RecordKind.STUDENT) == {}


def test_accepting_skips_a_match_whose_record_a_person_linked_elsewhere_since_the_fetch(
    store: StateStore, host: PluginHost, platform: ReferencePlatform, connected: str,
    existing: dict[str, str],
) -> None:
    fetch_existing_data(store, host, platform, connected)  # proposes S-1 -> Ada
    link_records(store, platform, connected, RecordKind.STUDENT, {"S-2": existing["ada"]})

    accepted = accept_matches(store, connected, [RecordKind.STUDENT])

    assert accepted[RecordKind.STUDENT] == {}
    assert store.links(connected, RecordKind.STUDENT) == {"S-2": existing["ada"]}


def test_unlink_forgets_a_link(
    store: StateStore, platform: ReferencePlatform, connected: str, existing: dict[str, str]
) -> None:
    link_records(store, platform, connected, RecordKind.STUDENT, {"S-1": existing["ada"]})
    assert unlink_records(store, connected, RecordKind.STUDENT, ["S-1"]) == 1
    assert store.links(connected, RecordKind.STUDENT) == {}


def test_a_student_matches_by_name_and_mapped_grade(
    store: StateStore, host: PluginHost, platform: ReferencePlatform, connected: str,
    sis: FakeSis,
) -> None:
    charles = _person(platform, connected, "seed/9", Person(
        "", PersonKind.STUDENT, "Charles", "Babbage", grade_id="g-1"), RecordKind.STUDENT)
    store.save_value_mappings(connected, RecordKind.GRADE, {"01": "g-1"})
    results = fetch_existing_data(store, host, platform, connected, [RecordKind.STUDENT])
    assert results[RecordKind.STUDENT].matched["S-2"].platform_id == charles
    assert results[RecordKind.STUDENT].matched["S-2"].rule == "name_grade"


def test_sis_excluded_records_are_not_matched(
    store: StateStore, host: PluginHost, platform: ReferencePlatform, connected: str,
    existing: dict[str, str],
) -> None:
    store.add_exclusions(connected, "sis", RecordKind.STUDENT, ["S-1"])
    results = fetch_existing_data(store, host, platform, connected, [RecordKind.STUDENT])
    assert "S-1" not in results[RecordKind.STUDENT].matched
