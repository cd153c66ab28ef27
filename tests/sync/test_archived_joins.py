"""Enrolments and family links follow the class or person they join: a record the sync
archives (or that stays archived) keeps no active enrolment or family link, even when the
SIS still lists them (SIS systems often keep a withdrawn student's rows)."""

from __future__ import annotations

from typing import Any

from rostersync_core.districts import District
from rostersync_core.model import RecordKind
from rostersync_core.sync import SyncAction, approve_job, iter_changes, run_sync, set_settings
from tests.sync.helpers import first_student, platform_person, roster_of, synced, withdraw

STUDENT = RecordKind.STUDENT


def without_person(district: District, sis_id: str) -> District:
    """The district without person ``sis_id``, but still with their enrolments and links."""
    changed = district.copy()
    roster = roster_of(changed)
    roster.people = [p for p in roster.people if p.sis_id != sis_id]
    return changed


def active_joins_of(platform: Any, school: str, person_pid: str) -> list[Any]:
    enrolments = [
        r
        for r in platform.list_records(school, RecordKind.ENROLMENT)
        if r.values.person_sis_id == person_pid and not r.archived
    ]
    links = [
        r
        for r in platform.list_records(school, RecordKind.FAMILY_LINK)
        if r.values.student_sis_id == person_pid and not r.archived
    ]
    return enrolments + links


def test_a_student_gone_from_the_sis_loses_the_enrolments_and_links_the_sis_still_lists(
    store: Any, platform: Any, host: Any, connector: Any, school: str, district: Any
) -> None:
    synced(store, host, platform, school)
    gone = first_student(district)
    connector.district = without_person(district, gone)
    job = run_sync(store, host, platform, school)
    roster = roster_of(district)
    assert job.counts["students"]["archive"] == 1
    assert job.counts["enrolments"]["archive"] == len(
        [e for e in roster.enrolments if e.person_sis_id == gone]
    )
    assert job.counts["family_links"]["archive"] == len(
        [f for f in roster.family_links if f.student_sis_id == gone]
    )
    approve_job(store, host, platform, job.id, actor="admin")
    (record,) = platform_person(platform, school, STUDENT, gone)
    assert record.archived
    assert active_joins_of(platform, school, record.platform_id) == []


def test_an_archived_student_is_not_enrolled_again_while_the_sis_leaves_them_out(
    store: Any, platform: Any, host: Any, connector: Any, school: str, district: Any
) -> None:
    synced(store, host, platform, school)
    gone = first_student(district)
    withdrawn = withdraw(district, gone)
    connector.district = withdrawn
    synced(store, host, platform, school)
    # The SIS now lists an enrolment and a family link of the withdrawn student again.
    roster = roster_of(district)
    again = withdrawn.copy()
    roster_of(again).enrolments.append(
        next(e for e in roster.enrolments if e.person_sis_id == gone)
    )
    roster_of(again).family_links.append(
        next(f for f in roster.family_links if f.student_sis_id == gone)
    )
    connector.district = again
    job = run_sync(store, host, platform, school)
    touched = [c for c in iter_changes(store, job.id) if gone in c.sis_id.split("|")]
    assert touched == []


def test_a_student_who_comes_back_gets_back_the_enrolments_archived_with_them(
    store: Any, platform: Any, host: Any, connector: Any, school: str, district: Any
) -> None:
    synced(store, host, platform, school)
    gone = first_student(district)
    connector.district = without_person(district, gone)
    synced(store, host, platform, school)
    connector.district = district
    job = run_sync(store, host, platform, school)
    enrolled = [e for e in roster_of(district).enrolments if e.person_sis_id == gone]
    restores = [
        c
        for c in iter_changes(store, job.id, kind=RecordKind.ENROLMENT)
        if c.action is SyncAction.RESTORE
    ]
    assert len(restores) == len(enrolled)
    assert job.counts["enrolments"]["create"] == 0


def test_a_student_preserved_by_the_settings_keeps_their_enrolments(
    store: Any, platform: Any, host: Any, connector: Any, school: str, district: Any
) -> None:
    synced(store, host, platform, school)
    set_settings(store, school, {"missing": "preserve"}, kind="students")
    connector.district = without_person(district, first_student(district))
    job = run_sync(store, host, platform, school)
    assert job.change_count == 0


def test_the_enrolments_of_an_excluded_student_gone_from_the_sis_are_left_alone(
    store: Any, platform: Any, host: Any, connector: Any, school: str, district: Any
) -> None:
    synced(store, host, platform, school)
    gone = first_student(district)
    (record,) = platform_person(platform, school, STUDENT, gone)
    store.add_exclusions(school, "platform", STUDENT, [record.platform_id])
    connector.district = without_person(district, gone)
    job = run_sync(store, host, platform, school)
    assert job.change_count == 0
