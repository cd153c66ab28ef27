"""The embedded scheduler with a fake clock: scheduled syncs, auto-apply or review, holds,
failures, time zones across daylight-saving changes, missed runs and concurrent schedulers.

What depends on the database (claims, missed runs, two schedulers, the lock) runs on SQLite
and PostgreSQL; what the engine decides (auto-apply, holds, failures) on SQLite only."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
import sqlalchemy as sa

from rostersync_core.districts import District
from rostersync_core.events import JobState
from rostersync_core.model import RecordKind
from rostersync_core.platform.reference import ReferencePlatform
from rostersync_core.schedule import (
    EmbeddedScheduler,
    FakeClock,
    RunOutcome,
    enable_schedule,
    list_scheduled_runs,
    parse_timezone,
)
from rostersync_core.sync import get_job, list_jobs, set_settings
from rostersync_core.sync.lock import SchoolLock
from rostersync_core.testing.memory import MemoryConnector
from tests.schedule.conftest import ADMINS, sqlite_only

UTC = dt.UTC


def scheduler(store: Any, host: Any, platform: Any, clock: FakeClock) -> EmbeddedScheduler:
    return EmbeddedScheduler(store, host, platform, clock=clock, poll_seconds=6 * 3600)


def one_day_of_scheduling(
    store: Any, host: Any, platform: Any, clock: FakeClock, school: str
) -> Any:
    enable_schedule(store, school, at="06:00", timezone="UTC", admins=ADMINS, now=clock.now())
    runs = scheduler(store, host, platform, clock).run(until=clock.now() + dt.timedelta(days=1))
    assert len(runs) == 1
    return runs[0]


def empty_feed(district: District) -> District:
    emptied = district.copy()
    roster = emptied.schools[sorted(emptied.schools)[0]]
    roster.people, roster.classes, roster.enrolments, roster.family_links = [], [], [], []
    return emptied


def test_a_scheduled_sync_makes_a_request_that_waits_for_review(
    store: Any, host: Any, platform: Any, clock: FakeClock, school: str
) -> None:
    run = one_day_of_scheduling(store, host, platform, clock, school)

    assert run.outcome is RunOutcome.PENDING_REVIEW
    assert run.due_at == dt.datetime(2026, 3, 3, 6, 0, tzinfo=UTC)
    job = get_job(store, run.job_id)
    assert (job.state, job.trigger) == (JobState.PENDING_REVIEW, "schedule")
    assert job.counts["students"]["create"] > 0


@sqlite_only
def test_a_scheduled_sync_is_applied_when_the_settings_allow_auto_apply(
    store: Any, host: Any, platform: Any, clock: FakeClock, school: str
) -> None:
    set_settings(store, school, {"auto_apply": "true"})

    run = one_day_of_scheduling(store, host, platform, clock, school)

    assert run.outcome is RunOutcome.APPLIED
    assert get_job(store, run.job_id).state is JobState.COMPLETED
    assert platform.list_records(school, RecordKind.STUDENT)


@sqlite_only
def test_a_held_scheduled_sync_waits_for_a_person_even_with_auto_apply(
    store: Any, host: Any, platform: Any, clock: FakeClock, school: str,
    connector: MemoryConnector, district: District,
) -> None:
    set_settings(store, school, {"auto_apply": "true"})
    connector.district = empty_feed(district)

    run = one_day_of_scheduling(store, host, platform, clock, school)

    assert run.outcome is RunOutcome.HELD
    assert "empty feed" in run.message
    assert get_job(store, run.job_id).state is JobState.HELD


@sqlite_only
def test_expired_credentials_fail_the_scheduled_sync_loudly(
    store: Any, host: Any, platform: Any, clock: FakeClock, school: str,
    connector: MemoryConnector,
) -> None:
    connector.fail_auth = True

    run = one_day_of_scheduling(store, host, platform, clock, school)

    assert run.outcome is RunOutcome.FAILED
    job = get_job(store, run.job_id)
    assert (job.state, job.error_kind) == (JobState.FAILED, "authentication")
    assert "credentials" in run.message


def test_the_sync_runs_every_day_at_the_school_local_time_across_the_spring_change(
    sqlite_url: str, secret_key: str, host: Any, clock: FakeClock, district: District
) -> None:
    from rostersync_core.store import StateStore
    from tests.schedule.conftest import set_up_school

    with StateStore.open(sqlite_url) as store:
        platform = ReferencePlatform(store.engine)
        set_up_school(store, platform, district)
        enable_schedule(store, "maple", at="06:00", timezone="America/New_York", now=clock.now())
        until = clock.now() + dt.timedelta(days=10)
        runs = scheduler(store, host, platform, clock).run(until=until)

    zone = parse_timezone("America/New_York")
    assert len(runs) == 10
    assert {(r.due_at.astimezone(zone).hour, r.due_at.astimezone(zone).minute) for r in runs} == {
        (6, 0)
    }
    assert {r.due_at.hour for r in runs} == {11, 10}  # EST, then EDT from 8 March
    assert all(r.started_at >= r.due_at for r in runs)


def test_after_downtime_a_missed_run_happens_once_not_once_per_missed_day(
    store: Any, host: Any, platform: Any, clock: FakeClock, school: str
) -> None:
    enable_schedule(store, school, at="06:00", timezone="UTC", now=clock.now())
    clock.advance(days=4)  # the machine was off for four days

    runs = scheduler(store, host, platform, clock).run(until=clock.now() + dt.timedelta(hours=1))

    assert len(runs) == 1
    assert len(list_jobs(store, school)) == 1


def test_two_schedulers_on_one_database_run_a_due_school_once(
    store: Any, host: Any, platform: Any, clock: FakeClock, school: str
) -> None:
    enable_schedule(store, school, at="06:00", timezone="UTC", now=clock.now())
    clock.advance(days=1)
    first = scheduler(store, host, platform, clock)
    second = scheduler(store, host, platform, clock)

    runs = first.run_due() + second.run_due()

    assert len(runs) == 1
    assert len(list_jobs(store, school)) == 1


def test_a_school_whose_sync_is_already_running_is_logged_as_such_and_not_run_twice(
    store: Any, host: Any, platform: Any, clock: FakeClock, school: str
) -> None:
    enable_schedule(store, school, at="06:00", timezone="UTC", now=clock.now())
    clock.advance(days=1)

    with SchoolLock(store.engine, school, job_id=41):
        runs = scheduler(store, host, platform, clock).run_due()

    assert [r.outcome for r in runs] == [RunOutcome.ALREADY_RUNNING]
    assert f"a sync is already running for {school} (job 41" in runs[0].message
    assert list_jobs(store, school) == []
    assert list_scheduled_runs(store, school)[0].outcome is RunOutcome.ALREADY_RUNNING


@sqlite_only
def test_stopping_lets_the_sync_in_progress_finish_then_returns(
    store: Any, host: Any, platform: Any, clock: FakeClock, school: str
) -> None:
    enable_schedule(store, school, at="06:00", timezone="UTC", now=clock.now())
    loop = scheduler(store, host, platform, clock)
    loop.on_run = lambda run: loop.stop()

    runs = loop.run(until=clock.now() + dt.timedelta(days=30))

    assert len(runs) == 1
    assert runs[0].outcome is RunOutcome.PENDING_REVIEW


class BrokenPlatform(ReferencePlatform):
    """A platform whose writes fail (its database is full, say)."""

    def apply_changes(self, school_id: str, changes: Any) -> Any:
        raise RuntimeError("no space left on the platform's disk")


@sqlite_only
def test_an_auto_apply_that_stops_part_way_is_logged_as_failed_with_its_job(
    store: Any, host: Any, clock: FakeClock, school: str
) -> None:
    set_settings(store, school, {"auto_apply": "true"})

    run = one_day_of_scheduling(store, host, BrokenPlatform(store.engine), clock, school)

    assert run.outcome is RunOutcome.FAILED
    assert run.job_id is not None
    job = get_job(store, run.job_id)
    assert (job.state, job.error_kind) == (JobState.FAILED, "platform")
    assert run.message.startswith("applying the request to the platform stopped part-way")


class HealingClock(FakeClock):
    """A fake clock during whose first wait the database comes back."""

    def __init__(self, start: dt.datetime, heal: Any) -> None:
        super().__init__(start)
        self.heal = heal

    def wait(self, seconds: float, stop: Any) -> bool:
        if self.heal is not None:
            self.heal()
            self.heal = None
        return super().wait(seconds, stop)


@sqlite_only
def test_a_database_that_cannot_be_read_is_retried_not_fatal(
    store: Any, host: Any, platform: Any, clock: FakeClock, school: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    enable_schedule(store, school, at="06:00", timezone="UTC", now=clock.now())
    clock.advance(days=1)

    def rename(old: str, new: str) -> None:
        with store.engine.begin() as conn:
            conn.execute(sa.text(f"ALTER TABLE {old} RENAME TO {new}"))

    rename("sync_schedules", "sync_schedules_away")
    healing = HealingClock(clock.now(), lambda: rename("sync_schedules_away", "sync_schedules"))
    loop = EmbeddedScheduler(store, host, platform, clock=healing, poll_seconds=60)

    with caplog.at_level(logging.ERROR):
        runs = loop.run(until=healing.now() + dt.timedelta(hours=1))

    assert "could not read the schedules (OperationalError); retrying in 60 s" in caplog.text
    assert [r.outcome for r in runs] == [RunOutcome.PENDING_REVIEW]
