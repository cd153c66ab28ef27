"""The daily sync's tables, on the store's one ``metadata`` (revision ``0003_schedule``).

- ``sync_schedules``: per school, whether the daily sync is on, its wall-clock time and IANA
  time zone, its sync administrators (JSON list of e-mail addresses) and the next run.
  ``revision`` grows on every change, so that claiming a due run is one conditional UPDATE
  (two schedulers, or two Celery dispatchers, never both claim one run).
- ``scheduled_runs``: every scheduled run: when it was due, who ran it, and what came of it
  (the job it made, or "already running", or the error).
"""

from __future__ import annotations

import sqlalchemy as sa

from rostersync_core.store.tables import metadata

__all__ = ["SCHEDULE_TABLES", "scheduled_runs", "sync_schedules"]

_ID = sa.String(255)
_TS = sa.DateTime(timezone=True)

sync_schedules = sa.Table(
    "sync_schedules",
    metadata,
    sa.Column("school_id", _ID, primary_key=True),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("at_time", sa.String(5), nullable=False),
    sa.Column("timezone", sa.String(100), nullable=False),
    sa.Column("admins", sa.Text, nullable=False, server_default="[]"),
    sa.Column("next_run_at", _TS, nullable=True),
    sa.Column("last_run_at", _TS, nullable=True),
    sa.Column("revision", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
    sa.Index("ix_sync_schedules_due", "enabled", "next_run_at"),
)

scheduled_runs = sa.Table(
    "scheduled_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("school_id", _ID, nullable=False),
    sa.Column("due_at", _TS, nullable=False),
    sa.Column("started_at", _TS, nullable=False),
    sa.Column("finished_at", _TS, nullable=True),
    sa.Column("outcome", sa.String(30), nullable=False, server_default="running"),
    sa.Column("job_id", sa.Integer, nullable=True),
    sa.Column("message", sa.Text, nullable=False, server_default=""),
    sa.Column("runner", sa.String(255), nullable=False, server_default=""),
    sa.Index("ix_scheduled_runs_school", "school_id", "id"),
)

SCHEDULE_TABLES: tuple[str, ...] = ("sync_schedules", "scheduled_runs")
