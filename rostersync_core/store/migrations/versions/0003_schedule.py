"""The daily sync: schedules (time, time zone, sync administrators, next run) and the log
of scheduled runs.

Revision ID: 0003_schedule
Revises: 0002_sync
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_schedule"
down_revision: str | None = "0002_sync"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.String(length=255)
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sync_schedules",
        sa.Column("school_id", _ID, nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("at_time", sa.String(length=5), nullable=False),
        sa.Column("timezone", sa.String(length=100), nullable=False),
        sa.Column("admins", sa.Text(), server_default="[]", nullable=False),
        sa.Column("next_run_at", _TS, nullable=True),
        sa.Column("last_run_at", _TS, nullable=True),
        sa.Column("revision", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("school_id", name=op.f("pk_sync_schedules")),
    )
    op.create_index(
        "ix_sync_schedules_due", "sync_schedules", ["enabled", "next_run_at"], unique=False
    )
    op.create_table(
        "scheduled_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("school_id", _ID, nullable=False),
        sa.Column("due_at", _TS, nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("finished_at", _TS, nullable=True),
        sa.Column("outcome", sa.String(length=30), server_default="running", nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), server_default="", nullable=False),
        sa.Column("runner", sa.String(length=255), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_runs")),
    )
    op.create_index(
        "ix_scheduled_runs_school", "scheduled_runs", ["school_id", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_scheduled_runs_school", table_name="scheduled_runs")
    op.drop_table("scheduled_runs")
    op.drop_index("ix_sync_schedules_due", table_name="sync_schedules")
    op.drop_table("sync_schedules")
