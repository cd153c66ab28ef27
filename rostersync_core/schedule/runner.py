"""Run one due school: a scheduled sync, logged, whatever comes of it.

A scheduled run is a sync like a manual one (trigger ``"schedule"``): it makes a request;
when the school's settings allow auto-apply and the request is not held, the engine applies
it; otherwise it waits for review. Every state change reaches the extension plugins through
``rostersync_job_state_changed`` (the e-mail notifier is one of them).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from typing import TYPE_CHECKING

from rostersync_core.errors import RostersyncError, SyncAlreadyRunningError
from rostersync_core.events import JobState
from rostersync_core.notify.messages import failure_label
from rostersync_core.notify.notifier import email_notifier
from rostersync_core.platform.protocol import Platform
from rostersync_core.plugins import PluginHost
from rostersync_core.schedule.model import DueRun, RunOutcome, ScheduledRun
from rostersync_core.schedule.schedules import (
    finish_run,
    get_schedule,
    get_scheduled_run,
    is_regular_run,
    request_retry,
    start_run,
)
from rostersync_core.store import StateStore

if TYPE_CHECKING:
    from rostersync_core.sync.jobs import SyncJob

__all__ = ["SCHEDULE_TRIGGER", "default_runner_name", "run_due_school", "runner_is_gone"]

log = logging.getLogger(__name__)

#: The ``trigger`` of jobs made by the daily sync (``SyncJobEvent.trigger``).
SCHEDULE_TRIGGER = "schedule"

_OUTCOMES = {
    JobState.PENDING_REVIEW: RunOutcome.PENDING_REVIEW,
    JobState.HELD: RunOutcome.HELD,
    JobState.COMPLETED: RunOutcome.APPLIED,
    JobState.FAILED: RunOutcome.FAILED,
}


def default_runner_name() -> str:
    """``host:pid``: who ran a scheduled run, as logged."""
    return f"{socket.gethostname()}:{os.getpid()}"


def runner_is_gone(runner: str) -> bool:
    """Whether the process named by a run's ``runner`` (``host:pid``, ``celery:host:pid``)
    ran on this machine and has ended. Unknown hosts and formats: not gone."""
    rest, _, pid_text = runner.rpartition(":")
    host = rest.rpartition(":")[2]
    if host != socket.gethostname() or not pid_text.isdigit() or int(pid_text) <= 0:
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _outcome_of(job: SyncJob) -> tuple[RunOutcome, str]:
    outcome = _OUTCOMES.get(job.state, RunOutcome.ERROR)
    if job.state is JobState.FAILED:
        return outcome, f"{failure_label(job.error_kind)}: {job.reason}"
    if job.state is JobState.HELD:
        return outcome, job.reason
    if outcome is RunOutcome.ERROR:
        return outcome, f"the job ended in state {job.state}"
    return outcome, ""


def _latest_job_id(store: StateStore, school_id: str) -> int:
    from rostersync_core.sync.jobs import list_jobs

    jobs = list_jobs(store, school_id, limit=1)
    return jobs[0].id if jobs else 0


def _job_made_since(store: StateStore, school_id: str, before: int) -> int | None:
    """The job this run made before it failed (e.g. an auto-apply that stopped)."""
    try:
        latest = _latest_job_id(store, school_id)
    except Exception:  # the run's error may be the database itself
        return None
    return latest if latest > before else None


#: Seconds after the lock could time out at which a refused daily run is tried again.
RETRY_MARGIN_SECONDS = 30.0


def _retry_if_a_scheduled_run_holds_the_lock(
    store: StateStore, due: DueRun, holder_job: int | None, now: dt.datetime | None
) -> str:
    """A daily run refused by another scheduled run's lock (a task delivered again after its
    worker was killed mid-sync, say) is tried again once that lock could time out; the
    retry is skipped if the day's run finished meanwhile. Returns a note for the log."""
    from rostersync_core.sync.jobs import get_job
    from rostersync_core.sync.lock import lock_timeout

    schedule = get_schedule(store, due.school_id)
    if schedule is None or not schedule.enabled or holder_job is None:
        return ""
    if not is_regular_run(schedule.at, schedule.timezone, due.due_at):
        return ""  # a retry refused again: the holder is alive and will finish
    try:
        holder = get_job(store, holder_job)
    except RostersyncError:
        return ""
    if holder.trigger != SCHEDULE_TRIGGER:
        return ""
    start = now if now is not None else dt.datetime.now(dt.UTC)
    when = start + dt.timedelta(seconds=lock_timeout() + RETRY_MARGIN_SECONDS)
    if not request_retry(store, due.school_id, when):
        return ""
    return (f"; tried again at {when:%Y-%m-%d %H:%M} UTC unless that run has finished "
            "(its worker may have stopped)")


def run_due_school(
    store: StateStore,
    host: PluginHost,
    platform: Platform,
    due: DueRun,
    *,
    now: dt.datetime | None = None,
    runner: str = "",
) -> ScheduledRun:
    """Run the scheduled sync of ``due.school_id`` and log it; never raises for a sync
    that fails (the outcome says what happened and the plugins were told).

    Outcomes: ``pending_review``, ``held``, ``applied``, ``failed`` (``message`` says why),
    ``already_running`` (another sync held the school's lock: nothing was started) and
    ``error`` (an unexpected error, logged).
    """
    from rostersync_core.sync.jobs import get_job
    from rostersync_core.sync.pipeline import run_sync

    found = email_notifier(host)
    if found is not None:
        found.bind_store(store)
    run_id = start_run(store, due, runner=runner or default_runner_name(), now=now)
    before = _latest_job_id(store, due.school_id)
    outcome, job_id, message = RunOutcome.ERROR, None, ""
    job: SyncJob | None = None
    try:
        job = run_sync(store, host, platform, due.school_id, trigger=SCHEDULE_TRIGGER,
                       raise_errors=False)
    except (KeyboardInterrupt, SystemExit):
        finish_run(store, run_id, RunOutcome.INTERRUPTED,
                   job_id=_job_made_since(store, due.school_id, before),
                   message="stopped before it finished (interrupted)", now=now)
        raise
    except SyncAlreadyRunningError as exc:
        outcome, job_id, message = RunOutcome.ALREADY_RUNNING, exc.job_id, str(exc)
        log.info("scheduled sync of %s skipped: %s", due.school_id, exc)
    except RostersyncError as exc:
        outcome, message = RunOutcome.FAILED, str(exc)
        job_id = _job_made_since(store, due.school_id, before)
        log.warning("scheduled sync of %s failed: %s", due.school_id, exc)
    except Exception as exc:
        message = f"unexpected error: {type(exc).__name__}"
        job_id = _job_made_since(store, due.school_id, before)
        log.exception("scheduled sync of %s failed unexpectedly", due.school_id)
    else:
        job_id = job.id
        outcome, message = _outcome_of(job)
    if job is None and job_id is not None and outcome is not RunOutcome.ALREADY_RUNNING:
        # The run failed after making its job (e.g. auto-apply stopped): the job says why.
        made = get_job(store, job_id)
        if made.state is JobState.FAILED:
            outcome, message = _outcome_of(made)
    if outcome is RunOutcome.ALREADY_RUNNING:
        message += _retry_if_a_scheduled_run_holds_the_lock(store, due, job_id, now)
    finish_run(store, run_id, outcome, job_id=job_id, message=message, now=now)
    if job_id is None and outcome in (RunOutcome.FAILED, RunOutcome.ERROR) and found is not None:
        # No job was made (the connection is gone...): no job state change told the admins.
        found.notify_run_failure(due.school_id, message)
    return get_scheduled_run(store, run_id)
