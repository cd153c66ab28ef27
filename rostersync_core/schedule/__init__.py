"""The daily sync: schedules (time in the school's IANA time zone, sync administrators),
next-run computation across daylight-saving changes, the embedded scheduler, and the
function that runs one due school (used by the scheduler and by Celery workers)."""

import rostersync_core.store.schedule_tables  # noqa: F401  (tables join the metadata)
from rostersync_core.schedule.clock import Clock, FakeClock, SystemClock
from rostersync_core.schedule.deployment import load_host, load_platform
from rostersync_core.schedule.model import DueRun, RunOutcome, ScheduledRun, SyncSchedule
from rostersync_core.schedule.runner import SCHEDULE_TRIGGER, run_due_school, runner_is_gone
from rostersync_core.schedule.scheduler import EmbeddedScheduler
from rostersync_core.schedule.schedules import (
    claim_due_runs,
    disable_schedule,
    enable_schedule,
    get_schedule,
    get_scheduled_run,
    list_scheduled_runs,
    list_schedules,
    recover_interrupted_runs,
    request_retry,
    sync_admins,
)
from rostersync_core.schedule.timing import next_run_after, parse_time_of_day, parse_timezone

__all__ = [
    "SCHEDULE_TRIGGER",
    "Clock",
    "DueRun",
    "EmbeddedScheduler",
    "FakeClock",
    "RunOutcome",
    "ScheduledRun",
    "SyncSchedule",
    "SystemClock",
    "claim_due_runs",
    "disable_schedule",
    "enable_schedule",
    "get_schedule",
    "get_scheduled_run",
    "list_scheduled_runs",
    "list_schedules",
    "load_host",
    "load_platform",
    "next_run_after",
    "parse_time_of_day",
    "parse_timezone",
    "recover_interrupted_runs",
    "request_retry",
    "run_due_school",
    "runner_is_gone",
    "sync_admins",
]
