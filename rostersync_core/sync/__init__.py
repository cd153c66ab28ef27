"""Sync requests: run a sync, review its changes, approve, apply, revert; settings, holds
and the one-sync-per-school lock. Documented in ``docs/syncing.md``."""

from rostersync_core.sync.apply import DEFAULT_BATCH_SIZE, apply_job, approve_job, revert_job
from rostersync_core.sync.changes import (
    KIND_LABELS,
    AmbiguousRecord,
    Change,
    ChangeSet,
    SyncAction,
    kind_from_label,
)
from rostersync_core.sync.diff import DiffInputs, SisFeed, compute_changes
from rostersync_core.sync.jobs import (
    DELETABLE_STATES,
    REVIEWABLE_STATES,
    JobHistoryEntry,
    JobStateError,
    SyncJob,
    SyncRequest,
    UnknownJobError,
    get_job,
    get_request,
    iter_changes,
    job_history,
    list_jobs,
)
from rostersync_core.sync.lock import LOCK_TIMEOUT_ENV, SchoolLock
from rostersync_core.sync.pipeline import SyncProgress, run_sync
from rostersync_core.sync.safety import hold_reasons
from rostersync_core.sync.settings import (
    KindSettings,
    MissingPolicy,
    SyncSettings,
    load_settings,
    save_settings,
    set_settings,
)
from rostersync_core.sync.transitions import delete_job, reject_job

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DELETABLE_STATES",
    "KIND_LABELS",
    "LOCK_TIMEOUT_ENV",
    "REVIEWABLE_STATES",
    "AmbiguousRecord",
    "Change",
    "ChangeSet",
    "DiffInputs",
    "JobHistoryEntry",
    "JobStateError",
    "KindSettings",
    "MissingPolicy",
    "SchoolLock",
    "SisFeed",
    "SyncAction",
    "SyncJob",
    "SyncProgress",
    "SyncRequest",
    "SyncSettings",
    "UnknownJobError",
    "apply_job",
    "approve_job",
    "compute_changes",
    "delete_job",
    "get_job",
    "get_request",
    "hold_reasons",
    "iter_changes",
    "job_history",
    "kind_from_label",
    "list_jobs",
    "load_settings",
    "reject_job",
    "revert_job",
    "run_sync",
    "save_settings",
    "set_settings",
]
