"""The hold rules on their own."""

from __future__ import annotations

from rostersync_core.sync.changes import ChangeSet
from rostersync_core.sync.safety import hold_reasons
from rostersync_core.sync.settings import SyncSettings


def change_set(**counts: dict[str, int]) -> ChangeSet:
    cs = ChangeSet()
    for label, per in counts.items():
        cs.counts[label].update(per)
    return cs


def test_a_feed_with_no_classes_students_or_staff_is_held() -> None:
    cs = change_set()
    cs.feed = {"classes": 0, "students": 0, "staff": 0}
    assert any("empty feed" in r for r in hold_reasons(cs, SyncSettings()))


def test_a_nearly_empty_feed_is_held() -> None:
    cs = change_set()
    cs.population = {"students": 400, "classes": 20, "staff": 10}
    cs.feed = {"students": 12, "classes": 20, "staff": 10}
    reasons = hold_reasons(cs, SyncSettings())
    assert any("nearly empty" in r for r in reasons)


def test_archiving_more_than_ten_percent_of_a_kind_is_held_by_default() -> None:
    cs = change_set(students={"archive": 11})
    cs.population = {"students": 100}
    cs.feed = {"students": 89, "classes": 5, "staff": 5}
    assert hold_reasons(cs, SyncSettings()) == [
        "11 of 100 students would be archived (11%, above the 10% threshold)"
    ]


def test_ten_percent_archived_is_not_held() -> None:
    cs = change_set(students={"archive": 10})
    cs.population = {"students": 100}
    cs.feed = {"students": 90, "classes": 5, "staff": 5}
    assert hold_reasons(cs, SyncSettings()) == []


def test_updating_more_than_three_quarters_of_a_kind_is_held() -> None:
    cs = change_set(staff={"update": 8})
    cs.population = {"staff": 10}
    cs.feed = {"students": 90, "classes": 5, "staff": 10}
    assert hold_reasons(cs, SyncSettings()) == [
        "8 of 10 staff would be updated (80%, above the 75% threshold)"
    ]
