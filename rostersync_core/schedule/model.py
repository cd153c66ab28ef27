"""The daily sync's records: a school's schedule, a claimed due run, a scheduled run's log."""

from __future__ import annotations

import datetime as dt
import enum

import attrs

__all__ = ["DueRun", "RunOutcome", "ScheduledRun", "SyncSchedule"]


@attrs.frozen
class SyncSchedule:
    """A school's daily sync.

    ``at`` is a wall-clock time in the IANA zone ``timezone``; ``admins`` are the sync
    administrators' e-mail addresses (kept when the schedule is disabled);
    ``next_run_at`` is in UTC (``None`` while disabled).
    """

    school_id: str
    enabled: bool
    at: dt.time
    timezone: str
    admins: tuple[str, ...] = ()
    next_run_at: dt.datetime | None = None
    last_run_at: dt.datetime | None = None

    @property
    def at_text(self) -> str:
        """``at`` as ``HH:MM``."""
        return self.at.strftime("%H:%M")

    def next_run_local(self) -> dt.datetime | None:
        """The next run in the school's own time zone."""
        from zoneinfo import ZoneInfo

        if self.next_run_at is None:
            return None
        return self.next_run_at.astimezone(ZoneInfo(self.timezone))

    def to_json(self) -> dict[str, object]:
        """JSON-ready data (times as ISO 8601)."""
        local = self.next_run_local()
        return {
            "school_id": self.school_id,
            "enabled": self.enabled,
            "at": self.at_text,
            "timezone": self.timezone,
            "admins": list(self.admins),
            "next_run_at": self.next_run_at.isoformat() if self.next_run_at else None,
            "next_run_local": local.isoformat() if local else None,
            "last_run_at": self.last_run_at.isoformat() if self.last_run_at else None,
        }


@attrs.frozen
class DueRun:
    """A run claimed by one scheduler or dispatcher: it is its to start, nobody else's."""

    school_id: str
    due_at: dt.datetime


class RunOutcome(enum.StrEnum):
    """What came of one scheduled run."""

    RUNNING = "running"
    PENDING_REVIEW = "pending_review"  #: a request waits for a person
    HELD = "held"  #: held: a person must approve or reject, whatever the settings
    APPLIED = "applied"  #: auto-applied (settings allow it and it was not held)
    FAILED = "failed"  #: the sync failed (credentials, SIS down, unmapped values...)
    ALREADY_RUNNING = "already_running"  #: another sync of the school held its lock
    ERROR = "error"  #: an unexpected error in rostersync itself
    INTERRUPTED = "interrupted"  #: its process stopped mid-run (killed, or Ctrl-C twice)


@attrs.frozen
class ScheduledRun:
    """One scheduled run, as logged in ``scheduled_runs``."""

    id: int
    school_id: str
    due_at: dt.datetime
    started_at: dt.datetime
    finished_at: dt.datetime | None
    outcome: RunOutcome
    job_id: int | None = None
    message: str = ""
    runner: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "school_id": self.school_id,
            "due_at": self.due_at.isoformat(),
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "outcome": str(self.outcome),
            "job_id": self.job_id,
            "message": self.message,
            "runner": self.runner,
        }
