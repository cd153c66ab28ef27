"""Sync job state changes and writing a request: the write side of :mod:`jobs`.

Every state change is a conditional UPDATE on the job's current state (two people approving
at once cannot both win), is written in ``sync_job_history`` with who, when and why, and is
told to every plugin through ``PluginHost.job_state_changed``.
"""

from __future__ import annotations

import itertools
import json
import logging
import operator
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs
import sqlalchemy as sa

from rostersync_core.convert import unstructure
from rostersync_core.events import JobState, SyncJobEvent
from rostersync_core.plugins import PluginHost
from rostersync_core.store import StateStore
from rostersync_core.store.sql import now
from rostersync_core.store.sync_tables import sync_changes, sync_job_history, sync_jobs
from rostersync_core.sync.changes import Change, ChangeSet, encode_column
from rostersync_core.sync.jobs import (
    DELETABLE_STATES,
    REVIEWABLE_STATES,
    JobStateError,
    SyncJob,
    get_job,
)

__all__ = [
    "announce",
    "change_rows",
    "change_state",
    "delete_job",
    "insert_change_rows",
    "insert_job",
    "reject_job",
    "save_request",
    "stores_utf8",
]

log = logging.getLogger(__name__)


def _admins(store: StateStore, school_id: str) -> tuple[str, ...]:
    """The school's sync administrators (named with its daily sync schedule)."""
    try:
        from rostersync_core.schedule.schedules import sync_admins
    except ImportError:  # pragma: no cover - the schedule feature is part of the core
        return ()
    try:
        return sync_admins(store, school_id)
    except Exception:  # an admin list must never break a sync
        log.warning("could not read the sync administrators of %s", school_id)
        return ()


def insert_job(conn: sa.Connection, school_id: str, trigger: str) -> int:
    """Insert a new job in state ``running`` inside ``conn``'s transaction; its id."""
    stamp = now()
    job_id: int = conn.execute(
        sync_jobs.insert()
        .values(
            school_id=school_id,
            state=str(JobState.RUNNING),
            trigger=trigger,
            created_at=stamp,
            updated_at=stamp,
        )
        .returning(sync_jobs.c.id)
    ).scalar_one()
    conn.execute(
        sync_job_history.insert().values(
            job_id=job_id,
            at=stamp,
            state=str(JobState.RUNNING),
            previous_state="",
            actor=trigger,
            reason="",
        )
    )
    return job_id


def change_state(
    store: StateStore,
    host: PluginHost | None,
    job: SyncJob,
    state: JobState,
    *,
    allowed: Collection[JobState],
    actor: str = "",
    reason: str = "",
    error_kind: str = "",
    conn: sa.Connection | None = None,
    **values: Any,
) -> SyncJob:
    """Move ``job`` to ``state`` if it is still in one of ``allowed``; tell the plugins.

    Raises :class:`JobStateError` when the job has moved on meanwhile.
    """
    stamp = now()
    updates: dict[str, Any] = {"state": str(state), "updated_at": stamp, **values}
    if reason or state in (JobState.FAILED, JobState.HELD):
        updates["reason"] = reason
    if error_kind or state is JobState.FAILED:
        updates["error_kind"] = error_kind
    if state in (JobState.COMPLETED, JobState.REJECTED, JobState.FAILED, JobState.REVERTED):
        updates["finished_at"] = stamp

    def run(c: sa.Connection) -> None:
        changed = c.execute(
            sa.update(sync_jobs)
            .where(sync_jobs.c.id == job.id, sync_jobs.c.state.in_([str(s) for s in allowed]))
            .values(**updates)
        ).rowcount
        if changed != 1:
            current = c.execute(
                sa.select(sync_jobs.c.state).where(sync_jobs.c.id == job.id)
            ).scalar()
            raise JobStateError(
                f"sync job {job.id} is {current or 'gone'}, so it cannot become {state}"
            )
        c.execute(
            sync_job_history.insert().values(
                job_id=job.id,
                at=stamp,
                state=str(state),
                previous_state=str(job.state),
                actor=actor,
                reason=reason,
            )
        )

    if conn is not None:
        run(conn)
    else:
        with store.engine.begin() as own:
            run(own)
    updated = get_job(store, job.id) if conn is None else attrs.evolve(job, state=state)
    if host is not None and conn is None:
        announce(store, host, updated, previous=job.state, reason=reason, error_kind=error_kind)
    return updated


def announce(
    store: StateStore,
    host: PluginHost,
    job: SyncJob,
    *,
    previous: JobState | None,
    reason: str = "",
    error_kind: str = "",
) -> None:
    """Tell every plugin that ``job`` is now in its state."""
    host.job_state_changed(
        SyncJobEvent(
            school_id=job.school_id,
            job_id=job.id,
            state=job.state,
            previous_state=previous,
            trigger=job.trigger,
            counts=job.counts,
            reason=reason or job.reason,
            error_kind=error_kind or job.error_kind,
            admins=_admins(store, job.school_id),
        )
    )


def save_request(
    store: StateStore,
    host: PluginHost | None,
    job: SyncJob,
    changes: ChangeSet,
    *,
    frozen: Mapping[str, Any],
    hold_reasons: Sequence[str],
) -> SyncJob:
    """Store the request's changes and summary; the job becomes pending_review or held."""
    details = {
        "invalid": unstructure(changes.invalid),
        "ambiguous": unstructure(changes.ambiguous),
        "notes": changes.notes,
        "hold_reasons": list(hold_reasons),
        "population": changes.population,
        "feed": changes.feed,
        "delta_kinds": sorted(changes.delta_kinds),
    }
    state = JobState.HELD if hold_reasons else JobState.PENDING_REVIEW
    with store.engine.begin() as conn:
        rows = change_rows(job.id, changes.changes, ascii_only=not stores_utf8(conn))
        insert_change_rows(conn, rows)
        change_state(
            store,
            None,
            job,
            state,
            allowed={JobState.RUNNING},
            actor=job.trigger,
            reason="; ".join(hold_reasons),
            conn=conn,
            counts=json.dumps(changes.counts),
            frozen=json.dumps(frozen),
            details=json.dumps(details),
            change_count=changes.total_changes,
        )
    if len(changes.changes) >= ANALYZE_AFTER:
        refresh_statistics(store)
    updated = get_job(store, job.id)
    if host is not None:
        announce(store, host, updated, previous=job.state)
    return updated


#: A request of at least this many changes refreshes PostgreSQL's statistics of the
#: changes table once it is stored (see :func:`refresh_statistics`).
ANALYZE_AFTER = 10_000


def refresh_statistics(store: StateStore) -> None:
    """PostgreSQL: ``ANALYZE`` the changes table after a big request was stored.

    Until autovacuum gets to it, the planner believes the table holds what it held before
    the request (nothing, on a first sync), and reads each page of the request (``job_id``,
    ``seq >`` the last read, by ``seq``) by visiting every row after it and sorting them:
    apply, which reads the request back a page at a time, turns quadratic (100,000 students:
    1.3 million changes, about three minutes of database time instead of seconds). One
    ``ANALYZE`` samples the table (tens of milliseconds). SQLite plans these reads from the
    primary key without statistics: nothing to do there."""
    if store.engine.dialect.name != "postgresql":
        return
    with store.engine.begin() as conn:
        table = conn.dialect.identifier_preparer.format_table(sync_changes)
        conn.exec_driver_sql(f"ANALYZE {table}")


_CHANGE_COLUMNS = (
    "job_id",
    "seq",
    "kind",
    "action",
    "sis_id",
    "platform_id",
    "fields",
    "refs",
    "before",
    "after",
)


#: Changes turned into rows at a time: bounds the encoded text held at once.
_ROWS_CHUNK = 5000
_SEQ, _SIS_ID, _PLATFORM_ID = (Change._fields.index(n) for n in ("seq", "sis_id", "platform_id"))
_BEFORE, _AFTER, _FIELDS, _REFS = (
    Change._fields.index(n) for n in ("before", "after", "fields", "refs")
)
_KIND_VALUE = operator.attrgetter("kind._value_")
_ACTION_VALUE = operator.attrgetter("action._value_")


def stores_utf8(conn: sa.Connection) -> bool:
    """Whether ``conn``'s database stores any text (SQLite, PostgreSQL created as UTF8), not
    only a one-byte character set (PostgreSQL created as LATIN1, WIN1252...)."""
    if conn.dialect.name != "postgresql":
        return True
    info = getattr(conn.connection.dbapi_connection, "info", None)
    encoding = info.parameter_status("server_encoding") if info is not None else None
    return encoding in (None, "UTF8")


def change_rows(
    job_id: int, changes: Sequence[Change], *, ascii_only: bool = False
) -> Iterator[tuple[Any, ...]]:
    """The rows of ``changes`` in ``_CHANGE_COLUMNS`` order, a chunk at a time, built
    column by column in C (a request holds a million changes; Python code per change
    was most of the cost of saving it). ``ascii_only``: values with ``\\u`` escapes for
    non-ASCII text, for a database that does not store UTF-8 (see :func:`stores_utf8`)."""
    join = ",".join
    for start in range(0, len(changes), _ROWS_CHUNK):
        chunk = changes[start : start + _ROWS_CHUNK]
        yield from zip(
            itertools.repeat(job_id, len(chunk)),
            map(operator.itemgetter(_SEQ), chunk),
            map(_KIND_VALUE, chunk),
            map(_ACTION_VALUE, chunk),
            map(operator.itemgetter(_SIS_ID), chunk),
            map(operator.itemgetter(_PLATFORM_ID), chunk),
            map(join, map(operator.itemgetter(_FIELDS), chunk)),
            map(join, map(operator.itemgetter(_REFS), chunk)),
            encode_column(list(map(operator.itemgetter(_BEFORE), chunk)), ascii_only=ascii_only),
            encode_column(list(map(operator.itemgetter(_AFTER), chunk)), ascii_only=ascii_only),
            strict=True,
        )


#: Rows per INSERT statement on SQLite: one statement step per 50 rows rather than per row
#: (a quarter less CPU); 500 parameters, under the 999 of SQLite before 3.32.
_SQLITE_ROWS_PER_INSERT = 50


def insert_change_rows(conn: sa.Connection, rows: Iterable[tuple[Any, ...]]) -> None:
    """Bulk-insert change rows (tuples in ``_CHANGE_COLUMNS`` order) straight through the
    driver, streaming: COPY on PostgreSQL, prepared multi-row INSERTs on SQLite."""
    columns = ", ".join(_CHANGE_COLUMNS)
    raw: Any = conn.connection.dbapi_connection
    if conn.dialect.name == "postgresql":
        sql = f"COPY sync_changes ({columns}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            write = copy.write_row
            for row in rows:
                write(row)
        return
    one = "(" + ", ".join("?" for _ in _CHANGE_COLUMNS) + ")"
    insert = f"INSERT INTO sync_changes ({columns}) VALUES "
    stream = iter(rows)
    rest: list[tuple[Any, ...]] = []

    def batches() -> Iterator[tuple[Any, ...]]:
        while True:
            batch = list(itertools.islice(stream, _SQLITE_ROWS_PER_INSERT))
            if len(batch) < _SQLITE_ROWS_PER_INSERT:
                rest.extend(batch)
                return
            yield tuple(itertools.chain.from_iterable(batch))

    cursor = raw.cursor()
    try:
        cursor.executemany(insert + ", ".join([one] * _SQLITE_ROWS_PER_INSERT), batches())
        cursor.executemany(insert + one, rest)
    finally:
        cursor.close()


def reject_job(
    store: StateStore, host: PluginHost | None, job_id: int, *, actor: str, reason: str = ""
) -> SyncJob:
    """Reject a pending or held request: nothing is applied; it stays in the history."""
    job = get_job(store, job_id)
    if job.state not in REVIEWABLE_STATES:
        raise JobStateError(
            f"sync job {job_id} is {job.state}: only pending_review or held jobs can be rejected"
        )
    return change_state(
        store,
        host,
        job,
        JobState.REJECTED,
        allowed=REVIEWABLE_STATES,
        actor=actor,
        reason=reason,
        rejected_by=actor,
        rejected_at=now(),
    )


def delete_job(store: StateStore, job_id: int) -> None:
    """Delete a rejected or failed job, its changes and its history.

    A job that failed during its apply has changed the platform: it is refused (its applied
    changes keep their before-values until the apply is finished).
    """
    job = get_job(store, job_id)
    if job.state not in DELETABLE_STATES:
        raise JobStateError(
            f"sync job {job_id} is {job.state}: only rejected or failed jobs can be deleted",
            hint="reject it first" if job.state in REVIEWABLE_STATES else "",
        )
    if job.approved_at is not None:
        raise JobStateError(
            f"sync job {job_id} failed during its apply and has changed the platform:"
            " it cannot be deleted",
            hint=f"finish it: rostersync sync apply {job_id}",
        )
    with store.engine.begin() as conn:
        gone = conn.execute(
            sa.delete(sync_jobs).where(
                sync_jobs.c.id == job_id,
                sync_jobs.c.state.in_([str(s) for s in DELETABLE_STATES]),
                sync_jobs.c.approved_at.is_(None),
            )
        ).rowcount
        if gone != 1:
            raise JobStateError(f"sync job {job_id} changed state meanwhile; not deleted")
        conn.execute(sa.delete(sync_changes).where(sync_changes.c.job_id == job_id))
        conn.execute(sa.delete(sync_job_history).where(sync_job_history.c.job_id == job_id))
