"""What extension plugins are told when a sync job changes state."""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs

__all__ = ["JobState", "SyncJobEvent"]


class JobState(enum.StrEnum):
    """The life of a sync job.

    running -> pending_review -> approved -> applying -> completed; or held (waits for a
    person whatever the settings), rejected, failed. ``reverted`` after a revert.
    """

    RUNNING = "running"
    PENDING_REVIEW = "pending_review"
    HELD = "held"
    APPROVED = "approved"
    APPLYING = "applying"
    COMPLETED = "completed"
    REJECTED = "rejected"
    FAILED = "failed"
    REVERTED = "reverted"


@attrs.frozen
class SyncJobEvent:
    """One state change of one sync job, as told to ``rostersync_job_state_changed``.

    - ``counts``: per kind (``"students"``...), per action (``"create"``...), a number.
    - ``reason``: why a job is held, or what failed (never personal data or secrets).
    - ``error_kind``: for failures, ``"authentication"``, ``"sis_unavailable"``,
      ``"invalid_data"``, ``"unmapped"``, ``"platform"`` (the platform refused a change
      while applying) or ``"internal"``.
    - ``admins``: the school's sync administrators' e-mail addresses.
    """

    school_id: str
    job_id: int
    state: JobState
    previous_state: JobState | None = None
    trigger: str = "manual"
    counts: Mapping[str, Mapping[str, int]] = attrs.field(factory=dict)
    reason: str = ""
    error_kind: str = ""
    admins: tuple[str, ...] = ()
