"""The work of the Celery tasks, as plain functions (testable without Celery).

Each worker process opens the state store (``$ROSTERSYNC_DB``), the plugin host and the
platform once (see :mod:`rostersync_core.schedule.deployment`) and reuses them.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from typing import Any

import attrs

from rostersync_core.notify.notifier import ensure_email_notifier
from rostersync_core.paths import default_db_url
from rostersync_core.platform.protocol import Platform
from rostersync_core.plugins import PluginHost
from rostersync_core.schedule.deployment import load_host, load_platform
from rostersync_core.schedule.model import DueRun
from rostersync_core.schedule.runner import run_due_school
from rostersync_core.schedule.schedules import claim_due_runs
from rostersync_core.store import StateStore

__all__ = ["DISPATCH_TASK", "RUN_SCHOOL_TASK", "WorkerResources", "dispatch_due", "run_school"]

log = logging.getLogger(__name__)

DISPATCH_TASK = "rostersync.dispatch_due"
RUN_SCHOOL_TASK = "rostersync.run_school"


@attrs.define
class WorkerResources:
    """What one worker process keeps open between tasks."""

    store: StateStore
    host: PluginHost
    platform: Platform


_resources: WorkerResources | None = None


def resources() -> WorkerResources:
    """This process's store, host and platform (opened on first use, after any fork)."""
    global _resources
    if _resources is None:
        store = StateStore.open(default_db_url())
        host = load_host()
        ensure_email_notifier(host, store)
        _resources = WorkerResources(store, host, load_platform(store))
    return _resources


def _when(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def dispatch_due(
    enqueue: Callable[[str, str], object], *, now: str | None = None
) -> list[str]:
    """Claim every school due at ``now`` (ISO 8601; default: the real time) and hand each
    to ``enqueue(school_id, due_at_iso)``; return the school ids.

    A claim is made in the database, so two dispatchers (two beats, or a beat tick that is
    late) never enqueue one due run twice; a school that missed several days runs once.
    """
    store = resources().store
    due = claim_due_runs(store, now=_when(now))
    for run in due:
        enqueue(run.school_id, run.due_at.isoformat())
    if due:
        log.info("enqueued the daily sync of %s", ", ".join(r.school_id for r in due))
    return [r.school_id for r in due]


def run_school(school_id: str, due_at: str | None = None) -> dict[str, Any]:
    """Run one school's scheduled sync in this worker; return the logged run as JSON data.

    Another sync of the school already running (on any machine sharing the database) is
    logged as ``already_running``, with the running job named.
    """
    found = resources()
    when = _when(due_at) or dt.datetime.now(dt.UTC)
    runner = f"celery:{socket.gethostname()}:{os.getpid()}"
    run = run_due_school(found.store, found.host, found.platform, DueRun(school_id, when),
                         runner=runner)
    return run.to_json()
