"""Run a sync: fetch the school's SIS feed, prepare it, diff it, store the request.

:func:`run_sync` is the Python API behind ``rostersync sync run``. In order:

1. take the school's lock (one sync at a time, enforced by the database);
2. authenticate (refused credentials fail the job loudly: nothing is diffed or archived);
3. fetch grades and subjects and stop when one has no mapping, before fetching the rest;
4. fetch classes, people, enrolments and family links, through the extension plugins'
   ``rostersync_adjust_records``, mapping grades and subjects on the way;
5. diff against the platform, using links, automatic unambiguous matches, exclusions and
   the school's settings (see :mod:`rostersync_core.sync.diff`);
6. store the request, pending review or held, with the inputs it used frozen; a scheduled
   sync of a school with auto-apply on is then approved and applied unless held.
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from rostersync_core.errors import (
    AuthenticationError,
    InvalidSisDataError,
    RostersyncError,
    SisUnavailableError,
    UnmappedValuesError,
)
from rostersync_core.events import JobState
from rostersync_core.platform.protocol import SYNCED_KINDS, Platform
from rostersync_core.plugins import PluginHost
from rostersync_core.store import StateStore
from rostersync_core.store.sql import now
from rostersync_core.sync.changes import ChangeSet
from rostersync_core.sync.diff import ENTITY_KINDS, DiffInputs, compute_changes
from rostersync_core.sync.feed import Silent, SyncProgress, fetch_feed, match_unlinked
from rostersync_core.sync.jobs import (
    REVIEWABLE_STATES,
    JobStateError,
    SyncJob,
    exclusions_to_json,
    get_job,
    list_jobs,
    unfinished_applies,
)
from rostersync_core.sync.lock import SchoolLock
from rostersync_core.sync.safety import hold_reasons
from rostersync_core.sync.settings import SyncSettings, load_settings
from rostersync_core.sync.transitions import announce, change_state, insert_job, save_request

__all__ = ["SyncProgress", "error_kind_of", "run_sync"]


def error_kind_of(exc: BaseException) -> str:
    """The ``error_kind`` of a failed job for ``exc``."""
    if isinstance(exc, AuthenticationError):
        return "authentication"
    if isinstance(exc, SisUnavailableError):
        return "sis_unavailable"
    if isinstance(exc, InvalidSisDataError):
        return "invalid_data"
    if isinstance(exc, UnmappedValuesError):
        return "unmapped"
    return "internal"


def run_sync(
    store: StateStore,
    host: PluginHost,
    platform: Platform,
    school_id: str,
    *,
    trigger: str = "manual",
    progress: SyncProgress | None = None,
    raise_errors: bool = True,
) -> SyncJob:
    """Run one sync of ``school_id`` and return its job (pending_review, held or failed).

    ``trigger`` is ``"manual"`` or ``"schedule"`` (a scheduled sync of a school whose
    settings allow auto-apply is applied at once unless held).

    Raises :class:`~rostersync_core.errors.SyncAlreadyRunningError` (no job is created) when
    the school's lock is held. When the run fails (refused credentials, SIS unavailable,
    unmapped grades or subjects...), the job is recorded as failed with an ``error_kind``
    and the error is raised again, unless ``raise_errors`` is false: then the failed job is
    returned.
    """
    report = progress or Silent()
    if not store.has_connection(school_id):
        store.get_connection(school_id)  # raises UnknownSchoolError, naming what to do

    def claim(conn: sa.Connection) -> int:
        _refuse_unfinished_apply(store, school_id)
        return insert_job(conn, school_id, trigger)

    lock = SchoolLock(store.engine, school_id, purpose="sync")
    lock.acquire(on_claim=claim)
    try:
        assert lock.job_id is not None
        _close_crashed(store, host, school_id, lock.job_id)
        job = get_job(store, lock.job_id)
        announce(store, host, job, previous=None)

        def fail(reason: str, error_kind: str) -> None:
            change_state(
                store,
                host,
                job,
                JobState.FAILED,
                allowed={JobState.RUNNING},
                actor=trigger,
                reason=reason,
                error_kind=error_kind,
            )

        with collector_paused():
            try:
                changes, frozen, settings = _build_request(store, host, platform, school_id, report)
            except (KeyboardInterrupt, SystemExit):
                fail("the sync was interrupted", "internal")
                raise
            except Exception as exc:
                # A non-rostersync error's message may quote SIS data: only its type is kept.
                fail(
                    str(exc) if isinstance(exc, RostersyncError) else type(exc).__name__,
                    error_kind_of(exc),
                )
                if raise_errors or not isinstance(exc, RostersyncError):
                    raise
                return get_job(store, job.id)
            report.phase("saving the request")
            if lock.lost:
                message = "another run took over the school's lock; this request was not saved"
                fail(message, "internal")
                raise JobStateError(message)
            reasons = hold_reasons(changes, settings)
            try:
                job = save_request(store, host, job, changes, frozen=frozen, hold_reasons=reasons)
            except BaseException as exc:
                # Saving is one transaction: nothing of the request was stored. The job
                # fails now (not at the school's next run), and plugins are told; if the
                # database cannot even record that, the next run closes the job, and the
                # error raised is the one that stopped the save.
                interrupted = isinstance(exc, (KeyboardInterrupt, SystemExit))
                with contextlib.suppress(Exception):
                    if get_job(store, job.id).state is JobState.RUNNING:
                        fail(
                            "the sync was interrupted while saving its request"
                            if interrupted
                            else str(exc)
                            if isinstance(exc, RostersyncError)
                            else f"the request could not be saved ({type(exc).__name__})",
                            "internal" if interrupted else error_kind_of(exc),
                        )
                raise
            del changes  # stored: an auto-apply reads it back a page at a time
        _supersede_older(store, host, job)
        if trigger == "schedule" and settings.auto_apply and not job.held:
            from rostersync_core.sync.apply import approve_locked

            job = approve_locked(store, host, platform, job, actor="auto-apply", lock=lock)
        return job
    finally:
        lock.release()


#: ``ROSTERSYNC_PAUSE_GC=0`` keeps the collector running through runs and applies (for a
#: host process whose other threads must not go without it while a long run lasts).
PAUSE_ENV = "ROSTERSYNC_PAUSE_GC"
_pause_lock = threading.Lock()
_pauses = 0
_resume = False


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the bulk of a sync run.

    Fetching, reading the platform, matching, the diff and the request writer allocate
    millions of small objects that form no reference cycle; every automatic collection
    meanwhile walks the whole growing heap for nothing (measured with 10,000 students: a
    quarter of the run's CPU). Plain reference counting still frees everything; the
    collector resumes after the run. Pauses may nest and overlap (syncs of several schools
    in threads of one process): the collector resumes when the last one ends, if it was
    running when the first began. The pause is process-wide: a host whose other threads
    must keep the collector (a web server embedding the engine) sets
    ``ROSTERSYNC_PAUSE_GC=0``.
    """
    global _pauses, _resume
    if os.environ.get(PAUSE_ENV, "1").strip().lower() in ("0", "false", "no", "off"):
        yield  # the host keeps the collector running (at a cost in CPU)
        return
    with _pause_lock:
        if _pauses == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()


def _close_crashed(store: StateStore, host: PluginHost, school_id: str, current: int) -> None:
    """This run holds the school's lock, so any other job of the school still ``running``
    belongs to a run that crashed (its lock taken over by this run, or earlier by an apply
    or a revert): it failed."""
    for job in list_jobs(store, school_id, states={JobState.RUNNING}, limit=None):
        if job.id == current:
            continue
        with contextlib.suppress(RostersyncError):
            change_state(
                store,
                host,
                job,
                JobState.FAILED,
                allowed={JobState.RUNNING},
                actor="rostersync",
                reason="the run stopped without finishing (its process ended)",
                error_kind="internal",
            )


def _refuse_unfinished_apply(store: StateStore, school_id: str) -> None:
    """A new diff against a half-applied platform would repeat its creates: refuse it."""
    unfinished = unfinished_applies(store, school_id)
    if unfinished:
        job = unfinished[0]
        raise JobStateError(
            f"sync job {job.id} of {school_id} was approved but is not fully applied",
            hint=f"finish it first: rostersync sync apply {job.id}",
        )


def _supersede_older(store: StateStore, host: PluginHost, job: SyncJob) -> None:
    """Older requests still waiting for review are rejected: only the newest may apply."""
    for older in list_jobs(store, job.school_id, states=REVIEWABLE_STATES, limit=None):
        if older.id < job.id:
            with contextlib.suppress(JobStateError):  # approved or rejected meanwhile
                change_state(
                    store,
                    host,
                    older,
                    JobState.REJECTED,
                    allowed=REVIEWABLE_STATES,
                    actor="rostersync",
                    reason=f"superseded by sync job {job.id}",
                    rejected_by="rostersync",
                    rejected_at=now(),
                )


def _build_request(
    store: StateStore,
    host: PluginHost,
    platform: Platform,
    school_id: str,
    report: SyncProgress,
) -> tuple[ChangeSet, dict[str, Any], SyncSettings]:
    feed, fetched = fetch_feed(store, host, school_id, report)

    report.phase("reading the platform")
    records = {kind: list(platform.list_records(school_id, kind)) for kind in SYNCED_KINDS}
    links = {kind: store.links(school_id, kind) for kind in ENTITY_KINDS}
    exclusions = store.exclusions(school_id)
    settings = load_settings(store, school_id)

    report.phase("matching existing records")
    matches, ambiguous = match_unlinked(feed, records, links, exclusions.sis, fetched.grade_map)

    report.phase("diffing")
    changes = compute_changes(
        DiffInputs(
            feed=feed,
            platform=records,
            links=links,
            exclusions=exclusions,
            settings=settings,
            matches=matches,
            ambiguous=ambiguous,
        )
    )
    frozen = {
        "connector": fetched.connector,
        "sis_school_id": fetched.sis_school_id,
        "settings": settings.to_json(),
        "grade_mappings": fetched.grade_map,
        "subject_mappings": fetched.subject_map,
        "exclusions": exclusions_to_json(exclusions),
    }
    return changes, frozen, settings
