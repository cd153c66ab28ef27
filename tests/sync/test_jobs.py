"""The life of a sync job: review, approve, reject, delete, revert, history and events."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from rostersync_core.events import JobState, SyncJobEvent
from rostersync_core.hookspecs import hookimpl
from rostersync_core.model import Person, PersonKind, RecordKind
from rostersync_core.platform.protocol import ChangeAction, PlatformChange
from rostersync_core.sync import (
    JobStateError,
    SyncAction,
    approve_job,
    delete_job,
    get_job,
    get_request,
    iter_changes,
    job_history,
    list_jobs,
    reject_job,
    revert_job,
    run_sync,
    set_settings,
)
from tests.sync.helpers import first_student, platform_person, roster_of, synced, withdraw

STUDENT = RecordKind.STUDENT


class Recorder:
    def __init__(self) -> None:
        self.events: list[SyncJobEvent] = []

    @hookimpl
    def rostersync_job_state_changed(self, event: SyncJobEvent) -> None:
        self.events.append(event)


def test_every_state_change_is_told_to_plugins_with_counts(
    store: Any, platform: Any, host: Any, school: str
) -> None:
    recorder = Recorder()
    host.register_extension(recorder, name="recorder")
    job = run_sync(store, host, platform, school)
    approve_job(store, host, platform, job.id, actor="ada")
    states = [(e.previous_state, e.state) for e in recorder.events]
    assert states == [
        (None, JobState.RUNNING),
        (JobState.RUNNING, JobState.PENDING_REVIEW),
        (JobState.PENDING_REVIEW, JobState.APPROVED),
        (JobState.APPROVED, JobState.APPLYING),
        (JobState.APPLYING, JobState.COMPLETED),
    ]
    assert recorder.events[1].counts["students"]["create"] > 0


def test_a_rejected_request_stays_in_the_history_with_who_and_when(
    store: Any, platform: Any, host: Any, school: str
) -> None:
    job = run_sync(store, host, platform, school)
    rejected = reject_job(store, host, job.id, actor="grace", reason="wrong term")
    assert (rejected.state, rejected.rejected_by) == (JobState.REJECTED, "grace")
    assert rejected.rejected_at is not None
    assert platform.list_records(school, STUDENT) == []
    (last, *_) = reversed(job_history(store, job.id))
    assert (last.state, last.actor, last.reason) == (JobState.REJECTED, "grace", "wrong term")


def test_only_rejected_or_failed_jobs_can_be_deleted(
    store: Any, platform: Any, host: Any, school: str
) -> None:
    job = run_sync(store, host, platform, school)
    with pytest.raises(JobStateError):
        delete_job(store, job.id)
    reject_job(store, host, job.id, actor="grace")
    delete_job(store, job.id)
    assert list_jobs(store, school) == []
    assert list(iter_changes(store, job.id)) == []


def test_a_completed_job_cannot_be_deleted(
    store: Any, platform: Any, host: Any, school: str
) -> None:
    job = synced(store, host, platform, school)
    with pytest.raises(JobStateError):
        delete_job(store, job.id)


def test_the_history_names_who_approved_and_when(
    store: Any, platform: Any, host: Any, school: str
) -> None:
    job = synced(store, host, platform, school)
    assert job.approved_by == "admin@example.org" and job.approved_at is not None
    actors = [(e.state, e.actor) for e in job_history(store, job.id)]
    assert (JobState.APPROVED, "admin@example.org") in actors


def test_a_failed_sync_records_its_error_in_the_history(
    store: Any, platform: Any, host: Any, connector: Any, school: str
) -> None:
    connector.unavailable = True
    job = run_sync(store, host, platform, school, raise_errors=False)
    assert (job.state, job.error_kind) == (JobState.FAILED, "sis_unavailable")
    assert "not answering" in job.reason


def test_a_newer_request_supersedes_one_still_waiting_for_review(
    store: Any, platform: Any, host: Any, school: str
) -> None:
    first = run_sync(store, host, platform, school)
    second = run_sync(store, host, platform, school)
    assert get_job(store, first.id).state is JobState.REJECTED
    assert f"superseded by sync job {second.id}" in get_job(store, first.id).reason


def test_revert_writes_back_the_before_values_of_a_completed_job(
    store: Any, platform: Any, host: Any, connector: Any, school: str, district: Any
) -> None:
    synced(store, host, platform, school)
    before = platform.export_roster(school)
    gone = first_student(district)
    changed = withdraw(district, gone)
    roster = roster_of(changed)
    roster.people = [
        attrs.evolve(p, email="new." + p.email) if p.kind is PersonKind.STAFF else p
        for p in roster.people
    ]
    connector.district = changed
    set_settings(store, school, {"hold_update_percent": "100"})
    job = synced(store, host, platform, school)
    assert job.counts["staff"]["update"] > 0
    assert platform.export_roster(school) != before
    reverted = revert_job(store, host, platform, job.id, actor="grace")
    assert (reverted.state, reverted.reverted_by) == (JobState.REVERTED, "grace")
    assert platform.export_roster(school) == before


def test_a_scheduled_sync_applies_itself_when_auto_apply_is_on_and_it_is_not_held(
    store: Any, platform: Any, host: Any, school: str
) -> None:
    set_settings(store, school, {"auto_apply": "true"})
    job = run_sync(store, host, platform, school, trigger="schedule")
    assert (job.state, job.approved_by) == (JobState.COMPLETED, "auto-apply")


def test_a_held_scheduled_sync_waits_for_a_person_even_with_auto_apply(
    store: Any, platform: Any, host: Any, connector: Any, school: str, district: Any
) -> None:
    synced(store, host, platform, school)
    set_settings(store, school, {"auto_apply": "true", "hold_archive_percent": "1"})
    connector.district = withdraw(district, first_student(district))
    job = run_sync(store, host, platform, school, trigger="schedule")
    assert job.state is JobState.HELD


def test_an_existing_platform_student_is_linked_and_updated_not_duplicated(
    store: Any, platform: Any, host: Any, school: str, district: Any
) -> None:
    student = roster_of(district).students()[0]
    existing = Person(
        "",
        PersonKind.STUDENT,
        student.given_name,
        "Oldname",
        email=student.email.upper(),
        grade_id=f"grade-{student.grade_id}",
    )
    (pid,) = platform.apply_changes(
        school, [PlatformChange("seed-1", STUDENT, ChangeAction.CREATE, values=existing)]
    )
    job = run_sync(store, host, platform, school)
    assert job.state is JobState.HELD  # 1 of 1 matched students would be updated
    mine = [c for c in iter_changes(store, job.id) if c.sis_id == student.sis_id]
    assert {c.action for c in mine} == {SyncAction.LINK, SyncAction.UPDATE}
    approve_job(store, host, platform, job.id, actor="ada")
    assert len(platform.list_records(school, STUDENT)) == len(roster_of(district).students())
    assert store.links(school, STUDENT)[student.sis_id] == pid


def test_an_ambiguous_match_is_reported_and_never_created(
    store: Any, platform: Any, host: Any, school: str, district: Any
) -> None:
    student = roster_of(district).students()[0]
    twins = [
        PlatformChange(
            f"seed-{i}",
            STUDENT,
            ChangeAction.CREATE,
            values=Person("", PersonKind.STUDENT, f"Twin{i}", "X", email=student.email),
        )
        for i in range(2)
    ]
    platform.apply_changes(school, twins)
    job = run_sync(store, host, platform, school)
    request = get_request(store, job.id)
    assert [a.sis_id for a in request.ambiguous] == [student.sis_id]
    created = [
        c.sis_id for c in iter_changes(store, job.id, kind=STUDENT) if c.action is SyncAction.CREATE
    ]
    assert student.sis_id not in created
    assert platform_person(platform, school, STUDENT, student.sis_id) == []


def test_events_name_the_schools_sync_administrators(
    store: Any, platform: Any, host: Any, school: str
) -> None:
    from rostersync_core.schedule.schedules import enable_schedule

    enable_schedule(store, school, at="06:00", timezone="UTC", admins=["ops@example.org"])
    recorder = Recorder()
    host.register_extension(recorder, name="recorder")
    run_sync(store, host, platform, school)
    assert recorder.events[-1].admins == ("ops@example.org",)


class FlakyPlatform:
    """The reference platform, refusing its second batch once."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def apply_changes(self, school_id: str, changes: Any) -> list[str]:
        self.calls += 1
        if self.calls == 2:
            raise RuntimeError("platform database went away")
        result: list[str] = self.real.apply_changes(school_id, changes)
        return result


def test_an_apply_the_platform_refuses_fails_and_finishes_when_applied_again(
    store: Any, platform: Any, host: Any, school: str, district: Any
) -> None:
    from rostersync_core.sync import apply_job

    job = run_sync(store, host, platform, school)
    flaky = FlakyPlatform(platform)
    with pytest.raises(RuntimeError):
        approve_job(store, host, flaky, job.id, actor="ada", batch_size=50)
    failed = get_job(store, job.id)
    assert (failed.state, failed.error_kind) == (JobState.FAILED, "platform")
    done = apply_job(store, host, flaky, job.id, actor="ada", batch_size=50)
    assert done.state is JobState.COMPLETED
    assert len(platform.list_records(school, STUDENT)) == len(roster_of(district).students())


def test_a_sync_of_a_school_not_set_up_is_refused_without_a_job(
    store: Any, platform: Any, host: Any, school: str
) -> None:
    from rostersync_core.errors import UnknownSchoolError

    with pytest.raises(UnknownSchoolError, match="not set up"):
        run_sync(store, host, platform, "nowhere")
    assert list_jobs(store) == []
