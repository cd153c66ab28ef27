"""A worker (or an embedded scheduler) killed mid-sync does not lose the school's daily run.

Celery delivers the task of a killed worker again at once, while the dead run's lock has
not yet timed out: that delivery is refused ("already running"). The daily run is then
tried again once the lock can time out: the retry takes the dead run's lock over and syncs,
or, when the run that held the lock was alive and finished, is skipped (one run a day).
Runs on SQLite and PostgreSQL (claims and locks live in the database)."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from rostersync_core.events import JobState
from rostersync_core.schedule import (
    DueRun,
    EmbeddedScheduler,
    FakeClock,
    RunOutcome,
    claim_due_runs,
    enable_schedule,
    get_schedule,
    list_scheduled_runs,
    run_due_school,
)
from rostersync_core.schedule.schedules import finish_run, start_run
from rostersync_core.store.sync_tables import school_locks
from rostersync_core.sync import get_job, list_jobs
from rostersync_core.sync.lock import SchoolLock
from rostersync_core.sync.transitions import insert_job

#: Tuesday 3 March 2026, 06:00 UTC: the school's daily time.
DUE = dt.datetime(2026, 3, 3, 6, 0, tzinfo=dt.UTC)


class DeadWorkerRun:
    """A scheduled run whose worker was killed mid-sync: its run log says ``running``, its
    job is ``running`` and its lock stays in the database (not yet timed out)."""

    def __init__(self, store: Any, school: str, due: DueRun, clock: FakeClock) -> None:
        self.run_id = start_run(store, due, runner="celery:worker-a:1", now=clock.now())
        self.lock = SchoolLock(store.engine, school)
        self.lock.acquire(on_claim=lambda conn: insert_job(conn, school, "schedule"))
        assert self.lock.job_id is not None
        self.job_id = self.lock.job_id


@pytest.fixture
def dead_run(store: Any, school: str, clock: FakeClock) -> Iterator[tuple[DueRun, DeadWorkerRun]]:
    enable_schedule(store, school, at="06:00", timezone="UTC", now=clock.now())
    clock.set(DUE)
    [due] = claim_due_runs(store, now=clock.now())
    dead = DeadWorkerRun(store, school, due, clock)
    try:
        yield due, dead
    finally:
        dead.lock.release()  # stops its heartbeat thread; a taken-over lock is left alone


def the_lock_times_out(store: Any, school: str) -> None:
    """What the passing of the lock timeout does to a dead run's lock: its heartbeat is old."""
    with store.engine.begin() as conn:
        conn.execute(
            sa.update(school_locks)
            .where(school_locks.c.school_id == school)
            .values(heartbeat_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
        )


def redelivered(store: Any, host: Any, platform: Any, due: DueRun, clock: FakeClock) -> Any:
    return run_due_school(store, host, platform, due, now=clock.now(), runner="celery:b:2")


def test_the_run_of_a_worker_killed_mid_sync_happens_once_its_lock_times_out(
    store: Any, host: Any, platform: Any, clock: FakeClock, school: str,
    dead_run: tuple[DueRun, DeadWorkerRun],
) -> None:
    due, dead = dead_run
    refused = redelivered(store, host, platform, due, clock)
    assert refused.outcome is RunOutcome.ALREADY_RUNNING
    assert "tried again at" in refused.message

    the_lock_times_out(store, school)
    runs = EmbeddedScheduler(store, host, platform, clock=clock, poll_seconds=3600).run(
        until=DUE + dt.timedelta(hours=2))

    assert [r.outcome for r in runs] == [RunOutcome.PENDING_REVIEW]
    assert get_job(store, dead.job_id).state is JobState.FAILED
    schedule = get_schedule(store, school)
    assert schedule is not None and schedule.next_run_at == DUE + dt.timedelta(days=1)


def test_a_retry_is_skipped_when_the_run_that_held_the_lock_finished(
    store: Any, host: Any, platform: Any, clock: FakeClock, school: str,
    dead_run: tuple[DueRun, DeadWorkerRun],
) -> None:
    due, alive = dead_run  # a duplicate delivery: the first worker was alive after all
    redelivered(store, host, platform, due, clock)
    alive.lock.release()
    finish_run(store, alive.run_id, RunOutcome.PENDING_REVIEW, job_id=alive.job_id,
               now=clock.now())

    runs = EmbeddedScheduler(store, host, platform, clock=clock, poll_seconds=3600).run(
        until=DUE + dt.timedelta(hours=2))

    assert runs == []
    assert [j.id for j in list_jobs(store, school)] == [alive.job_id]
    schedule = get_schedule(store, school)
    assert schedule is not None and schedule.next_run_at == DUE + dt.timedelta(days=1)


def test_a_run_refused_by_a_manual_sync_is_not_retried(
    store: Any, host: Any, platform: Any, clock: FakeClock, school: str
) -> None:
    enable_schedule(store, school, at="06:00", timezone="UTC", now=clock.now())
    clock.set(DUE)
    [due] = claim_due_runs(store, now=clock.now())
    manual = SchoolLock(store.engine, school)
    manual.acquire(on_claim=lambda conn: insert_job(conn, school, "manual"))
    try:
        refused = redelivered(store, host, platform, due, clock)
    finally:
        manual.release()

    assert refused.outcome is RunOutcome.ALREADY_RUNNING
    assert "tried again" not in refused.message
    schedule = get_schedule(store, school)
    assert schedule is not None and schedule.next_run_at == DUE + dt.timedelta(days=1)


def a_process_that_has_ended() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_run_left_by_a_scheduler_killed_mid_sync_runs_again_when_one_starts(
    store: Any, host: Any, platform: Any, clock: FakeClock, school: str
) -> None:
    enable_schedule(store, school, at="06:00", timezone="UTC", now=clock.now())
    clock.set(DUE)
    [due] = claim_due_runs(store, now=clock.now())
    dead_pid = a_process_that_has_ended()
    left = start_run(store, due, runner=f"{socket.gethostname()}:{dead_pid}", now=clock.now())
    with store.engine.begin() as conn:
        crashed_job = insert_job(conn, school, "schedule")
        conn.execute(school_locks.insert().values(
            school_id=school, owner=uuid.uuid4().hex, purpose="sync", job_id=crashed_job,
            hostname=socket.gethostname(), pid=dead_pid, acquired_at=dt.datetime.now(dt.UTC),
            heartbeat_at=dt.datetime.now(dt.UTC)))
    clock.advance(minutes=20)  # the scheduler is started again

    runs = EmbeddedScheduler(store, host, platform, clock=clock, poll_seconds=3600).run(
        until=DUE + dt.timedelta(hours=2))

    assert [r.outcome for r in runs] == [RunOutcome.PENDING_REVIEW]
    assert list_scheduled_runs(store, school)[-1].id == left
    assert list_scheduled_runs(store, school)[-1].outcome is RunOutcome.INTERRUPTED
    assert get_job(store, crashed_job).state is JobState.FAILED
    schedule = get_schedule(store, school)
    assert schedule is not None and schedule.next_run_at == DUE + dt.timedelta(days=1)


def test_a_run_of_a_live_process_is_not_taken_for_an_interrupted_one(
    store: Any, host: Any, platform: Any, clock: FakeClock, school: str
) -> None:
    enable_schedule(store, school, at="06:00", timezone="UTC", now=clock.now())
    clock.set(DUE)
    [due] = claim_due_runs(store, now=clock.now())
    start_run(store, due, runner="other-machine:12345", now=clock.now())

    runs = EmbeddedScheduler(store, host, platform, clock=clock, poll_seconds=3600).run(
        until=DUE + dt.timedelta(hours=2))

    assert runs == []
    assert list_scheduled_runs(store, school)[0].outcome is RunOutcome.RUNNING


def test_a_run_interrupted_days_ago_is_only_logged_not_run_again(
    store: Any, host: Any, platform: Any, clock: FakeClock, school: str
) -> None:
    enable_schedule(store, school, at="06:00", timezone="UTC", now=clock.now())
    clock.set(DUE)
    [due] = claim_due_runs(store, now=clock.now())
    start_run(store, due, runner=f"{socket.gethostname()}:{a_process_that_has_ended()}",
              now=clock.now())
    clock.set(DUE + dt.timedelta(days=3, hours=1))  # later daily runs have come since
    assert len(claim_due_runs(store, now=clock.now())) == 1  # the missed run, run elsewhere

    runs = EmbeddedScheduler(store, host, platform, clock=clock, poll_seconds=3600).run(
        until=clock.now() + dt.timedelta(hours=2))

    assert runs == []
    assert list_scheduled_runs(store, school)[0].outcome is RunOutcome.INTERRUPTED
