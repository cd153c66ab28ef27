"""The sync engine's tables, on the store's one ``metadata`` (revision ``0002_sync``).

- ``sync_jobs``: one row per sync job (its request's frozen inputs and summary as JSON).
- ``sync_changes``: the request's changes, with apply and revert progress per change.
- ``sync_job_history``: every state change of every job: when, who, why.
- ``school_locks``: at most one running sync (or apply, or revert) per school.
- ``sync_settings``: each school's sync settings as JSON.
"""

from __future__ import annotations

import sqlalchemy as sa

from rostersync_core.store.tables import metadata

__all__ = [
    "SYNC_TABLES",
    "school_locks",
    "sync_changes",
    "sync_job_history",
    "sync_jobs",
    "sync_settings",
]

_ID = sa.String(255)
_TS = sa.DateTime(timezone=True)

sync_jobs = sa.Table(
    "sync_jobs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("school_id", _ID, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("trigger", sa.String(20), nullable=False, server_default="manual"),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
    sa.Column("finished_at", _TS, nullable=True),
    sa.Column("counts", sa.Text, nullable=False, server_default="{}"),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("error_kind", sa.String(40), nullable=False, server_default=""),
    sa.Column("frozen", sa.Text, nullable=False, server_default="{}"),
    sa.Column("details", sa.Text, nullable=False, server_default="{}"),
    sa.Column("change_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("applied_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("approved_by", _ID, nullable=False, server_default=""),
    sa.Column("approved_at", _TS, nullable=True),
    sa.Column("rejected_by", _ID, nullable=False, server_default=""),
    sa.Column("rejected_at", _TS, nullable=True),
    sa.Column("reverted_by", _ID, nullable=False, server_default=""),
    sa.Column("reverted_at", _TS, nullable=True),
    sa.Index("ix_sync_jobs_school", "school_id", "id"),
)

sync_changes = sa.Table(
    "sync_changes",
    metadata,
    sa.Column("job_id", sa.Integer, primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("action", sa.String(10), nullable=False),
    sa.Column("sis_id", sa.String(600), nullable=False),
    sa.Column("platform_id", _ID, nullable=False, server_default=""),
    sa.Column("fields", sa.Text, nullable=False, server_default=""),
    sa.Column("refs", sa.Text, nullable=False, server_default=""),
    sa.Column("before", sa.Text, nullable=True),
    sa.Column("after", sa.Text, nullable=True),
    sa.Column("applied", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("result_id", _ID, nullable=False, server_default=""),
    sa.Column("reverted", sa.Boolean, nullable=False, server_default=sa.false()),
)

sync_job_history = sa.Table(
    "sync_job_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job_id", sa.Integer, nullable=False),
    sa.Column("at", _TS, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("previous_state", sa.String(20), nullable=False, server_default=""),
    sa.Column("actor", sa.String(255), nullable=False, server_default=""),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Index("ix_sync_job_history_job", "job_id", "id"),
)

school_locks = sa.Table(
    "school_locks",
    metadata,
    sa.Column("school_id", _ID, primary_key=True),
    sa.Column("owner", sa.String(100), nullable=False),
    sa.Column("purpose", sa.String(20), nullable=False, server_default="sync"),
    sa.Column("job_id", sa.Integer, nullable=True),
    sa.Column("hostname", _ID, nullable=False, server_default=""),
    sa.Column("pid", sa.Integer, nullable=False, server_default="0"),
    sa.Column("acquired_at", _TS, nullable=False),
    sa.Column("heartbeat_at", _TS, nullable=False),
)

sync_settings = sa.Table(
    "sync_settings",
    metadata,
    sa.Column("school_id", _ID, primary_key=True),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
)

SYNC_TABLES: tuple[str, ...] = (
    "sync_jobs",
    "sync_changes",
    "sync_job_history",
    "school_locks",
    "sync_settings",
)
