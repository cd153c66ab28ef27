"""The sync engine: jobs, their changes and history, school locks, sync settings.

Revision ID: 0002_sync
Revises: 0001_setup
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_sync"
down_revision: str | None = "0001_setup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.String(length=255)
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sync_jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("school_id", _ID, nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("trigger", sa.String(length=20), server_default="manual", nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("finished_at", _TS, nullable=True),
        sa.Column("counts", sa.Text(), server_default="{}", nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("error_kind", sa.String(length=40), server_default="", nullable=False),
        sa.Column("frozen", sa.Text(), server_default="{}", nullable=False),
        sa.Column("details", sa.Text(), server_default="{}", nullable=False),
        sa.Column("change_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("applied_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("approved_by", _ID, server_default="", nullable=False),
        sa.Column("approved_at", _TS, nullable=True),
        sa.Column("rejected_by", _ID, server_default="", nullable=False),
        sa.Column("rejected_at", _TS, nullable=True),
        sa.Column("reverted_by", _ID, server_default="", nullable=False),
        sa.Column("reverted_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_jobs")),
    )
    op.create_index("ix_sync_jobs_school", "sync_jobs", ["school_id", "id"])
    op.create_table(
        "sync_changes",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("sis_id", sa.String(length=600), nullable=False),
        sa.Column("platform_id", _ID, server_default="", nullable=False),
        sa.Column("fields", sa.Text(), server_default="", nullable=False),
        sa.Column("refs", sa.Text(), server_default="", nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("applied", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("result_id", _ID, server_default="", nullable=False),
        sa.Column("reverted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", "seq", name=op.f("pk_sync_changes")),
    )
    op.create_table(
        "sync_job_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("previous_state", sa.String(length=20), server_default="", nullable=False),
        sa.Column("actor", _ID, server_default="", nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_job_history")),
    )
    op.create_index("ix_sync_job_history_job", "sync_job_history", ["job_id", "id"])
    op.create_table(
        "school_locks",
        sa.Column("school_id", _ID, nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("purpose", sa.String(length=20), server_default="sync", nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("hostname", _ID, server_default="", nullable=False),
        sa.Column("pid", sa.Integer(), server_default="0", nullable=False),
        sa.Column("acquired_at", _TS, nullable=False),
        sa.Column("heartbeat_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("school_id", name=op.f("pk_school_locks")),
    )
    op.create_table(
        "sync_settings",
        sa.Column("school_id", _ID, nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("school_id", name=op.f("pk_sync_settings")),
    )


def downgrade() -> None:
    op.drop_table("sync_settings")
    op.drop_table("school_locks")
    op.drop_index("ix_sync_job_history_job", table_name="sync_job_history")
    op.drop_table("sync_job_history")
    op.drop_table("sync_changes")
    op.drop_index("ix_sync_jobs_school", table_name="sync_jobs")
    op.drop_table("sync_jobs")
