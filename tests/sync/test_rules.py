"""The rules that must hold, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from rostersync_core.districts import evolve_district
from rostersync_core.errors import AuthenticationError, SyncHeldError, UnmappedValuesError
from rostersync_core.events import JobState
from rostersync_core.hookspecs import hookimpl
from rostersync_core.model import PersonKind, RecordKind
from rostersync_core.plugins import PluginHost
from rostersync_core.sync import (
    SyncAction,
    apply_job,
    approve_job,
    get_request,
    iter_changes,
    list_jobs,
    run_sync,
    set_settings,
)
from rostersync_core.testing.memory import MemoryConnector
from tests.sync.helpers import first_student, platform_person, roster_of, synced, withdraw

STUDENT = RecordKind.STUDENT


def test_a_withdrawn_student_is_archived_with_their_enrolments(
    store: Any, platform: Any, host: Any, connector: Any, school: str, district: Any
) -> None:
    synced(store, host, platform, school)
    gone = first_student(district)
    connector.district = withdraw(district, gone)
    job = run_sync(store, host, platform, school)
    archived = [c for c in iter_changes(store, job.id) if c.action is SyncAction.ARCHIVE]
    assert [c.sis_id for c in archived if c.kind is STUDENT] == [gone]
    enrolled = [e for e in roster_of(district).enrolments if e.person_sis_id == gone]
    assert job.counts["enrolments"]["archive"] == len(enrolled)
    approve_job(store, host, platform, job.id, actor="admin")
    (record,) = platform_person(platform, school, STUDENT, gone)
    assert record.archived


def test_a_student_who_comes_back_is_restored_not_duplicated(
    store: Any, platform: Any, host: Any, connector: Any, school: str, district: Any
) -> None:
    synced(store, host, platform, school)
    gone = first_student(district)
    connector.district = withdraw(district, gone)
    synced(store, host, platform, school)
    connector.district = district
    job = run_sync(store, host, platform, school)
    assert job.counts["students"]["restore"] == 1
    assert job.counts["students"]["create"] == 0
    approve_job(store, host, platform, job.id, actor="admin")
    (record,) = platform_person(platform, school, STUDENT, gone)
    assert not record.archived


def test_a_platform_excluded_student_is_never_archived_nor_their_enrolments(
    store: Any, platform: Any, host: Any, connector: Any, school: str, district: Any
) -> None:
    synced(store, host, platform, school)
    gone = first_student(district)
    (record,) = platform_person(platform, school, STUDENT, gone)
    store.add_exclusions(school, "platform", STUDENT, [record.platform_id])
    connector.district = withdraw(district, gone)
    job = run_sync(store, host, platform, school)
    assert job.change_count == 0


def test_an_sis_excluded_student_is_never_created_nor_enrolled(
    store: Any, platform: Any, host: Any, school: str, district: Any
) -> None:
    left_out = first_student(district)
    store.add_exclusions(school, "sis", STUDENT, [left_out])
    job = approve_job(
        store, host, platform, run_sync(store, host, platform, school).id, actor="admin"
    )
    assert job.state is JobState.COMPLETED
    assert platform_person(platform, school, STUDENT, left_out) == []
    touched = [c for c in iter_changes(store, job.id) if left_out in c.sis_id.split("|")]
    assert touched == []


def test_an_invalid_sis_row_is_reported_and_never_archived(
    store: Any, platform: Any, host: Any, connector: Any, school: str, district: Any
) -> None:
    synced(store, host, platform, school)
    bad = first_student(district)
    connector.invalid_rows = [(STUDENT, bad, "the e-mail is not an address")]
    job = run_sync(store, host, platform, school)
    assert job.counts["students"]["archive"] == 0
    assert job.counts["enrolments"]["archive"] == 0
    request = get_request(store, job.id)
    assert [(r.sis_id, r.reason) for r in request.invalid] == [
        (bad, "the e-mail is not an address")
    ]


def test_a_request_keeps_the_settings_it_was_made_with(
    store: Any, platform: Any, host: Any, school: str, district: Any
) -> None:
    job = run_sync(store, host, platform, school)
    set_settings(store, school, {"create": "false"}, kind="students")
    request = get_request(store, job.id)
    assert request.settings.for_kind(STUDENT).create is True
    approve_job(store, host, platform, job.id, actor="admin")
    students = platform.list_records(school, STUDENT)
    assert len(students) == len(roster_of(district).students())
    later = run_sync(store, host, platform, school)
    assert get_request(store, later.id).settings.for_kind(STUDENT).create is False


def test_settings_can_keep_local_edits_to_fields_updates_may_not_change(
    store: Any, platform: Any, host: Any, connector: Any, school: str, district: Any
) -> None:
    synced(store, host, platform, school)
    set_settings(store, school, {"update_fields": "grade_id"}, kind="students")
    changed = district.copy()
    roster = roster_of(changed)
    roster.people = [
        attrs.evolve(p, given_name=p.given_name + "x") if p.kind is PersonKind.STUDENT else p
        for p in roster.people
    ]
    connector.district = changed
    job = run_sync(store, host, platform, school)
    assert job.counts["students"]["update"] == 0


def test_archiving_more_than_the_threshold_holds_the_request_for_a_person(
    store: Any, platform: Any, host: Any, connector: Any, school: str, district: Any
) -> None:
    synced(store, host, platform, school)
    changed = district
    for student in roster_of(district).students()[:10]:
        changed = withdraw(changed, student.sis_id)
    connector.district = changed
    job = run_sync(store, host, platform, school)
    assert job.state is JobState.HELD
    assert "students would be archived" in job.reason
    with pytest.raises(SyncHeldError):
        apply_job(store, host, platform, job.id)
    done = approve_job(store, host, platform, job.id, actor="principal")
    assert done.state is JobState.COMPLETED


def test_an_empty_feed_is_always_held(
    store: Any, platform: Any, host: Any, connector: Any, school: str, district: Any
) -> None:
    synced(store, host, platform, school)
    empty = district.copy()
    roster = roster_of(empty)
    roster.people, roster.classes, roster.enrolments, roster.family_links = [], [], [], []
    connector.district = empty
    set_settings(store, school, {"hold_archive_percent": "100"})
    job = run_sync(store, host, platform, school)
    assert job.state is JobState.HELD
    assert "empty feed" in job.reason


def test_expired_credentials_fail_the_sync_loudly_and_archive_nothing(
    store: Any, platform: Any, host: Any, connector: Any, school: str
) -> None:
    synced(store, host, platform, school)
    connector.fail_auth = True
    with pytest.raises(AuthenticationError):
        run_sync(store, host, platform, school)
    (job, *_) = list_jobs(store, school)
    assert (job.state, job.error_kind, job.change_count) == (JobState.FAILED, "authentication", 0)
    assert all(not r.archived for r in platform.list_records(school, STUDENT))


def test_an_unmapped_grade_stops_the_sync_before_anything_else_is_fetched(
    store: Any, platform: Any, host: Any, connector: Any, school: str
) -> None:
    store.remove_value_mappings(school, RecordKind.GRADE, ["05"])
    with pytest.raises(UnmappedValuesError) as caught:
        run_sync(store, host, platform, school)
    assert caught.value.grades == ("05",)
    assert "fetch_classes" not in connector.calls
    assert list_jobs(store, school)[0].error_kind == "unmapped"


def test_new_students_a_withdrawal_and_a_teacher_change_show_exactly_those_changes(
    store: Any, platform: Any, host: Any, connector: Any, school: str, district: Any
) -> None:
    synced(store, host, platform, school)
    connector.district = evolve_district(district, new_students=2, withdrawals=1, teacher_changes=1)
    job = run_sync(store, host, platform, school)
    counts = job.counts
    assert counts["students"]["create"] == 2
    assert counts["students"]["archive"] == 1
    assert counts["staff"] == {**counts["staff"], "create": 0, "update": 0, "archive": 0}
    assert counts["enrolments"]["create"] > 0 and counts["enrolments"]["archive"] > 0
    assert counts["classes"]["update"] == 0


class DropOneStudent:
    """An extension plugin that leaves one student out of every feed."""

    def __init__(self, sis_id: str) -> None:
        self.sis_id = sis_id

    @hookimpl
    def rostersync_adjust_records(self, records: Any, school_id: str, connector: str) -> Any:
        return (r for r in records if getattr(r, "sis_id", None) != self.sis_id)


def test_extension_plugins_adjust_the_records_before_the_diff(
    store: Any, platform: Any, host: Any, school: str, district: Any
) -> None:
    left_out = first_student(district)
    host.register_extension(DropOneStudent(left_out), name="drop-one")
    job = run_sync(store, host, platform, school)
    created = [c.sis_id for c in iter_changes(store, job.id, kind=STUDENT)]
    assert left_out not in created
    assert len(created) == len(roster_of(district).students()) - 1


def test_a_grade_used_by_a_student_but_not_mapped_stops_the_sync(
    store: Any, platform: Any, host: Any, connector: Any, school: str, district: Any
) -> None:
    changed = district.copy()
    roster = roster_of(changed)
    roster.people = [
        attrs.evolve(p, grade_id="13") if p.sis_id == first_student(district) else p
        for p in roster.people
    ]
    connector.district = changed
    with pytest.raises(UnmappedValuesError) as caught:
        run_sync(store, host, platform, school)
    assert caught.value.grades == ("13",)


class DeltaConnector(MemoryConnector):
    """Sends students as a delta: nobody but the ones it names, and one removal."""

    def __init__(self, district: Any, removed: str) -> None:
        super().__init__(district)
        self.removed = removed

    @hookimpl
    def rostersync_fetch_people(self, session: Any, context: Any) -> Any:
        context.mark_delta(STUDENT)
        context.report_removed(STUDENT, self.removed)
        roster = self._roster(context)
        return iter([p for p in roster.people if p.kind is not PersonKind.STUDENT])


def test_a_delta_feed_archives_only_what_it_removes(
    store: Any, platform: Any, host: Any, school: str, district: Any
) -> None:
    synced(store, host, platform, school)
    gone = first_student(district)
    delta_host = PluginHost(load_entry_points=False)
    delta_host.register_connector(DeltaConnector(district, removed=gone))
    job = run_sync(store, delta_host, platform, school)
    archived = [c.sis_id for c in iter_changes(store, job.id, kind=STUDENT)]
    assert archived == [gone]
    assert job.counts["students"]["unchanged"] == len(roster_of(district).students()) - 1


def test_a_feed_that_suddenly_has_no_enrolments_is_always_held(
    store: Any, platform: Any, host: Any, connector: Any, school: str, district: Any
) -> None:
    synced(store, host, platform, school)
    unenrolled = district.copy()
    roster_of(unenrolled).enrolments = []
    connector.district = unenrolled
    set_settings(store, school, {"hold_archive_percent": "100"})
    set_settings(store, school, {"auto_apply": "true"})
    job = run_sync(store, host, platform, school, trigger="schedule")
    assert job.state is JobState.HELD
    assert "the SIS sent 0 enrolments" in job.reason


def test_a_request_is_applied_as_made_after_exclusions_and_mappings_change(
    store: Any, platform: Any, host: Any, school: str, district: Any
) -> None:
    job = run_sync(store, host, platform, school)
    student = roster_of(district).students()[0]
    store.add_exclusions(school, "sis", STUDENT, [student.sis_id])
    store.save_value_mappings(school, RecordKind.GRADE, {student.grade_id: "grade-elsewhere"})
    request = get_request(store, job.id)
    assert request.exclusions.sis.get(STUDENT, frozenset()) == frozenset()
    assert request.grade_mappings[student.grade_id] == f"grade-{student.grade_id}"
    approve_job(store, host, platform, job.id, actor="admin")
    (record,) = platform_person(platform, school, STUDENT, student.sis_id)
    assert record.values.grade_id == f"grade-{student.grade_id}"
