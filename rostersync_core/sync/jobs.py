"""Sync jobs as the history shows them: jobs, their state changes and stored requests.

A job's life: running -> pending_review (or held) -> approved -> applying -> completed;
or rejected, failed; reverted after a revert. Reading lives here; state changes and
writing a request live in :mod:`rostersync_core.sync.transitions`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

import attrs
import sqlalchemy as sa

from rostersync_core.convert import structure
from rostersync_core.errors import JobStateError, UnknownJobError
from rostersync_core.events import JobState
from rostersync_core.fetch import InvalidRow
from rostersync_core.model import RecordKind
from rostersync_core.state import ExclusionSet
from rostersync_core.store import StateStore
from rostersync_core.store.sql import as_utc, now
from rostersync_core.store.sync_tables import sync_changes, sync_job_history, sync_jobs
from rostersync_core.sync.changes import (
    AmbiguousRecord,
    Change,
    SyncAction,
    decode_values,
)
from rostersync_core.sync.settings import SyncSettings

__all__ = [
    "DELETABLE_STATES",
    "REVIEWABLE_STATES",
    "JobHistoryEntry",
    "JobStateError",
    "SyncJob",
    "SyncRequest",
    "UnknownJobError",
    "get_job",
    "get_request",
    "iter_changes",
    "job_history",
    "list_jobs",
    "unfinished_applies",
]

#: States in which a person may approve or reject a job.
REVIEWABLE_STATES = frozenset({JobState.PENDING_REVIEW, JobState.HELD})
#: States in which a job may be deleted.
DELETABLE_STATES = frozenset({JobState.REJECTED, JobState.FAILED})


@attrs.frozen
class SyncJob:
    """One sync job, as listed in the history.

    ``counts``: per kind label (``"students"``...), per action (``create``, ``update``,
    ``archive``, ``restore``, ``link``, ``unchanged``, ``skipped``). ``reason``: why it is
    held, or the error that failed it (``error_kind`` then says which kind of error).
    """

    id: int
    school_id: str
    state: JobState
    trigger: str
    created_at: dt.datetime
    updated_at: dt.datetime
    finished_at: dt.datetime | None = None
    counts: Mapping[str, Mapping[str, int]] = attrs.field(factory=dict)
    reason: str = ""
    error_kind: str = ""
    change_count: int = 0
    applied_count: int = 0
    approved_by: str = ""
    approved_at: dt.datetime | None = None
    rejected_by: str = ""
    rejected_at: dt.datetime | None = None
    reverted_by: str = ""
    reverted_at: dt.datetime | None = None

    @property
    def held(self) -> bool:
        return self.state is JobState.HELD

    @property
    def failed(self) -> bool:
        return self.state is JobState.FAILED


@attrs.frozen
class JobHistoryEntry:
    """One state change of a job: when, to what, by whom, why."""

    at: dt.datetime
    state: JobState
    previous_state: JobState | None
    actor: str = ""
    reason: str = ""


@attrs.frozen
class SyncRequest:
    """A job with the inputs it froze and what its run found (changes: :func:`iter_changes`).

    ``settings``, ``grade_mappings``, ``subject_mappings`` and ``exclusions`` are those in
    force when the request was made; later changes to them never re-interpret it.
    """

    job: SyncJob
    settings: SyncSettings
    grade_mappings: Mapping[str, str]
    subject_mappings: Mapping[str, str]
    exclusions: ExclusionSet
    invalid: Sequence[InvalidRow] = ()
    ambiguous: Sequence[AmbiguousRecord] = ()
    notes: Sequence[str] = ()
    hold_reasons: Sequence[str] = ()
    population: Mapping[str, int] = attrs.field(factory=dict)
    feed: Mapping[str, int] = attrs.field(factory=dict)


def _job(row: Any) -> SyncJob:
    return SyncJob(
        id=row.id,
        school_id=row.school_id,
        state=JobState(row.state),
        trigger=row.trigger,
        created_at=as_utc(row.created_at) or now(),
        updated_at=as_utc(row.updated_at) or now(),
        finished_at=as_utc(row.finished_at),
        counts=json.loads(row.counts or "{}"),
        reason=row.reason,
        error_kind=row.error_kind,
        change_count=row.change_count,
        applied_count=row.applied_count,
        approved_by=row.approved_by,
        approved_at=as_utc(row.approved_at),
        rejected_by=row.rejected_by,
        rejected_at=as_utc(row.rejected_at),
        reverted_by=row.reverted_by,
        reverted_at=as_utc(row.reverted_at),
    )


_JOB_COLUMNS = [c for c in sync_jobs.c if c.name not in ("frozen", "details")]


def get_job(store: StateStore, job_id: int) -> SyncJob:
    """The job ``job_id``; :class:`UnknownJobError` when there is none."""
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(*_JOB_COLUMNS).where(sync_jobs.c.id == job_id)).first()
    if row is None:
        raise UnknownJobError(f"there is no sync job {job_id}", hint="see `rostersync sync list`")
    return _job(row)


def list_jobs(
    store: StateStore,
    school_id: str | None = None,
    *,
    states: Collection[JobState] | None = None,
    limit: int | None = 50,
) -> list[SyncJob]:
    """Jobs, newest first: of one school or all, optionally only in ``states``."""
    query = sa.select(*_JOB_COLUMNS).order_by(sync_jobs.c.id.desc())
    if school_id is not None:
        query = query.where(sync_jobs.c.school_id == school_id)
    if states:
        query = query.where(sync_jobs.c.state.in_([str(s) for s in states]))
    if limit is not None:
        query = query.limit(limit)
    with store.engine.connect() as conn:
        return [_job(row) for row in conn.execute(query)]


def unfinished_applies(store: StateStore, school_id: str) -> list[SyncJob]:
    """The school's jobs approved but not fully applied (approved, applying, or failed
    during apply), newest first: the platform is half-way through them."""
    jobs = list_jobs(
        store,
        school_id,
        states={JobState.APPROVED, JobState.APPLYING, JobState.FAILED},
        limit=None,
    )
    return [j for j in jobs if j.state is not JobState.FAILED or j.approved_at is not None]


def job_history(store: StateStore, job_id: int) -> list[JobHistoryEntry]:
    """Every state change of the job, oldest first."""
    h = sync_job_history.c
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(sync_job_history).where(h.job_id == job_id).order_by(h.id)
        ).all()
    return [
        JobHistoryEntry(
            at=as_utc(r.at) or now(),
            state=JobState(r.state),
            previous_state=JobState(r.previous_state) if r.previous_state else None,
            actor=r.actor,
            reason=r.reason,
        )
        for r in rows
    ]


def get_request(store: StateStore, job_id: int) -> SyncRequest:
    """The job with its frozen inputs, invalid rows, ambiguous matches and notes."""
    job = get_job(store, job_id)
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.select(sync_jobs.c.frozen, sync_jobs.c.details).where(sync_jobs.c.id == job_id)
        ).one()
    frozen = json.loads(row.frozen or "{}")
    details = json.loads(row.details or "{}")
    return SyncRequest(
        job=job,
        settings=SyncSettings.from_json(frozen.get("settings", {})),
        grade_mappings=frozen.get("grade_mappings", {}),
        subject_mappings=frozen.get("subject_mappings", {}),
        exclusions=exclusions_from_json(frozen.get("exclusions", {})),
        invalid=structure(details.get("invalid", []), list[InvalidRow]),
        ambiguous=structure(details.get("ambiguous", []), list[AmbiguousRecord]),
        notes=details.get("notes", []),
        hold_reasons=details.get("hold_reasons", []),
        population=details.get("population", {}),
        feed=details.get("feed", {}),
    )


def exclusions_to_json(exclusions: ExclusionSet) -> dict[str, dict[str, list[str]]]:
    return {
        "platform": {str(k): sorted(v) for k, v in exclusions.platform.items()},
        "sis": {str(k): sorted(v) for k, v in exclusions.sis.items()},
    }


def exclusions_from_json(data: Mapping[str, Mapping[str, list[str]]]) -> ExclusionSet:
    return ExclusionSet(
        platform={RecordKind(k): frozenset(v) for k, v in data.get("platform", {}).items()},
        sis={RecordKind(k): frozenset(v) for k, v in data.get("sis", {}).items()},
    )


#: Enum members by value: a dict look-up is ~15x cheaper than calling the enum class, and
#: apply reads every change of a request (1.3 million for a 100,000-student first sync).
_KINDS = {k.value: k for k in RecordKind}
_ACTIONS = {a.value: a for a in SyncAction}
_c = sync_changes.c
#: :class:`Change`'s fields, in order.
_CHANGE_COLUMNS = (
    _c.seq, _c.kind, _c.action, _c.sis_id, _c.platform_id, _c.before, _c.after, _c.fields,
    _c.refs, _c.applied, _c.result_id, _c.reverted,
)


class _Names(dict[str, tuple[str, ...]]):
    """A stored comma-separated field list -> tuple, split once per distinct list."""

    def __missing__(self, text: str) -> tuple[str, ...]:
        value = self[text] = tuple(text.split(",")) if text else ()
        return value


def _changes(rows: Sequence[Sequence[Any]]) -> list[Change]:
    """Changes from rows of :data:`_CHANGE_COLUMNS` (booleans already converted)."""
    kinds, actions, names, decode = _KINDS, _ACTIONS, _Names(), decode_values
    return [
        Change(
            seq, kinds[kind], actions[action], sis_id, platform_id, decode(before),
            decode(after), names[fields], names[refs], applied, result_id, reverted,
        )
        for (
            seq, kind, action, sis_id, platform_id, before, after, fields, refs, applied,
            result_id, reverted,
        ) in rows
    ]


def iter_changes(
    store: StateStore,
    job_id: int,
    *,
    kind: RecordKind | None = None,
    applied: bool | None = None,
    reverted: bool | None = None,
    descending: bool = False,
    page: int = 2000,
) -> Iterator[Change]:
    """The request's changes in ``seq`` order (or reverse), read a page at a time."""
    c = sync_changes.c
    last: int | None = None
    while True:
        query = sa.select(*_CHANGE_COLUMNS).where(c.job_id == job_id)
        if kind is not None:
            query = query.where(c.kind == str(kind))
        if applied is not None:
            query = query.where(c.applied == applied)
        if reverted is not None:
            query = query.where(c.reverted == reverted)
        if last is not None:
            query = query.where(c.seq < last if descending else c.seq > last)
        query = query.order_by(c.seq.desc() if descending else c.seq).limit(page)
        with store.engine.connect() as conn:
            rows = conn.execute(query).all()
        if not rows:
            return
        yield from _changes(rows)
        last = rows[-1].seq
