"""One sync per school across real processes, and an apply killed part-way."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from rostersync_core.errors import SyncAlreadyRunningError
from rostersync_core.events import JobState
from rostersync_core.model import RecordKind
from rostersync_core.platform.protocol import SYNCED_KINDS
from rostersync_core.store.sync_tables import school_locks
from rostersync_core.sync import apply_job, get_job, iter_changes, list_jobs, run_sync
from tests.sync.helpers import roster_of

WORKER = str(Path(__file__).with_name("worker.py"))


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, WORKER, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )


def test_two_processes_starting_a_sync_at_once_one_runs_the_other_is_refused(
    store_url: str, store: Any, school: str, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    ready = [tmp_path / f"ready-{i}" for i in range(2)]
    workers = [_start("sync", store_url, school, str(go), str(r)) for r in ready]
    while not all(r.exists() for r in ready):  # both started: now they race
        assert all(w.poll() is None for w in workers), "a worker died before the race"
        time.sleep(0.01)
    go.touch()
    outcomes = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        outcomes.append(json.loads(out.strip().splitlines()[-1]))
    ran = [o for o in outcomes if "state" in o]
    refused = [o for o in outcomes if "refused" in o]
    assert len(ran) == 1 and len(refused) == 1, outcomes
    assert ran[0]["state"] == "pending_review"
    pattern = rf"a sync is already running for {school} \(job {ran[0]['job']}, started at .+\)"
    assert re.fullmatch(pattern, refused[0]["refused"]), refused[0]["refused"]
    assert len(list_jobs(store, school)) == 1


def test_a_running_sync_refuses_a_second_one_in_the_same_process(
    store: Any, platform: Any, host: Any, school: str
) -> None:
    from rostersync_core.sync.lock import SchoolLock

    with SchoolLock(store.engine, school, job_id=7):
        try:
            run_sync(store, host, platform, school)
        except SyncAlreadyRunningError as exc:
            assert "a sync is already running for maple (job 7" in str(exc)
        else:
            raise AssertionError("the second sync was not refused")


def _plant_lock(
    store: Any, school: str, *, hostname: str, pid: int, age_s: float, job_id: int | None = None
) -> None:
    import datetime as dt

    stamp = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=age_s)
    with store.engine.begin() as conn:
        conn.execute(
            school_locks.insert().values(
                school_id=school,
                owner="crashed",
                purpose="sync",
                job_id=job_id,
                hostname=hostname,
                pid=pid,
                acquired_at=stamp,
                heartbeat_at=stamp,
            )
        )


def test_a_crashed_runs_lock_on_this_machine_is_taken_over(
    store: Any, platform: Any, host: Any, school: str
) -> None:
    import socket

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    _plant_lock(store, school, hostname=socket.gethostname(), pid=gone.pid, age_s=0)
    assert run_sync(store, host, platform, school).state is JobState.PENDING_REVIEW


def test_a_lock_without_heartbeat_past_the_timeout_is_taken_over(
    store: Any, platform: Any, host: Any, school: str
) -> None:
    _plant_lock(store, school, hostname="elsewhere", pid=1, age_s=3600)
    assert run_sync(store, host, platform, school).state is JobState.PENDING_REVIEW


def test_a_fresh_lock_held_on_another_machine_is_respected(
    store: Any, platform: Any, host: Any, school: str
) -> None:
    _plant_lock(store, school, hostname="elsewhere", pid=1, age_s=5)
    try:
        run_sync(store, host, platform, school)
    except SyncAlreadyRunningError:
        pass
    else:
        raise AssertionError("the lock held elsewhere was ignored")


def test_an_apply_killed_part_way_completes_on_rerun_without_duplicates_or_losses(
    store_url: str, store: Any, platform: Any, host: Any, school: str, district: Any
) -> None:
    job = run_sync(store, host, platform, school)
    worker = _start("approve", store_url, str(job.id))
    batches = 0
    assert worker.stdout is not None
    for line in worker.stdout:
        if line.startswith("batch"):
            batches += 1
            if batches == 4:
                worker.send_signal(signal.SIGKILL)
                break
    worker.wait(timeout=60)
    assert worker.returncode == -signal.SIGKILL
    interrupted = get_job(store, job.id)
    assert interrupted.state is JobState.APPLYING
    assert 0 < interrupted.applied_count < interrupted.change_count

    done = apply_job(store, host, platform, job.id, actor="admin")
    assert done.state is JobState.COMPLETED
    assert all(c.applied for c in iter_changes(store, job.id))
    roster = roster_of(district)
    expected = {
        RecordKind.CLASS: len(roster.classes),
        RecordKind.STUDENT: len(roster.students()),
        RecordKind.STAFF: len(roster.staff()),
        RecordKind.FAMILY: len(roster.family()),
        RecordKind.ENROLMENT: len(roster.enrolments),
        RecordKind.FAMILY_LINK: len(roster.family_links),
    }
    found = {kind: len(platform.list_records(school, kind)) for kind in SYNCED_KINDS}
    assert found == expected
    with store.engine.connect() as conn:
        sis_ids = conn.execute(sa.text("SELECT sis_id FROM ref_people")).scalars().all()
    assert len(sis_ids) == len(set(sis_ids))


def test_the_job_of_a_crashed_run_is_marked_failed_when_its_lock_is_taken_over(
    store: Any, platform: Any, host: Any, school: str
) -> None:
    from rostersync_core.sync.transitions import insert_job

    with store.engine.begin() as conn:
        crashed = insert_job(conn, school, "manual")
    _plant_lock(store, school, hostname="elsewhere", pid=1, age_s=3600, job_id=crashed)
    run_sync(store, host, platform, school)
    old = get_job(store, crashed)
    assert old.state is JobState.FAILED
    assert "stopped without finishing" in old.reason


def test_a_running_syncs_heartbeat_keeps_its_lock_past_the_timeout(store: Any, school: str) -> None:
    from rostersync_core.sync.lock import SchoolLock

    with SchoolLock(store.engine, school, job_id=3, timeout=4.0):
        time.sleep(5.0)  # longer than the timeout: only the heartbeat keeps the lock
        try:
            SchoolLock(store.engine, school, timeout=4.0).acquire()
        except SyncAlreadyRunningError:
            pass
        else:
            raise AssertionError("a lock kept alive by its heartbeat was taken over")


def test_a_crashed_runs_job_is_marked_failed_even_if_an_apply_took_its_lock_first(
    store: Any, platform: Any, host: Any, school: str
) -> None:
    from rostersync_core.sync import approve_job
    from rostersync_core.sync.transitions import insert_job

    pending = run_sync(store, host, platform, school)
    with store.engine.begin() as conn:
        crashed = insert_job(conn, school, "manual")
    _plant_lock(store, school, hostname="elsewhere", pid=1, age_s=3600, job_id=crashed)
    approve_job(store, host, platform, pending.id, actor="admin")  # takes the lock over
    run_sync(store, host, platform, school)
    assert get_job(store, crashed).state is JobState.FAILED
