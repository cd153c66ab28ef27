"""Schedules in the state store: enable, disable, read, claim due runs, log runs.

Every function takes the :class:`~rostersync_core.store.StateStore` first. Times are stored
in UTC; ``now`` defaults to the real clock (tests pass a fake one's ``now()``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from rostersync_core.errors import ConfigError, UnknownSchoolError
from rostersync_core.schedule.model import DueRun, RunOutcome, ScheduledRun, SyncSchedule
from rostersync_core.schedule.timing import next_run_after, parse_time_of_day, parse_timezone
from rostersync_core.store import StateStore
from rostersync_core.store.schedule_tables import scheduled_runs, sync_schedules
from rostersync_core.store.sql import as_utc

__all__ = [
    "claim_due_runs",
    "disable_schedule",
    "enable_schedule",
    "finish_run",
    "get_schedule",
    "get_scheduled_run",
    "list_scheduled_runs",
    "list_schedules",
    "recover_interrupted_runs",
    "request_retry",
    "start_run",
    "sync_admins",
]

_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


def _utc(value: dt.datetime | None) -> dt.datetime:
    if value is None:
        return dt.datetime.now(dt.UTC)
    if value.tzinfo is None:
        raise ValueError("times given to the schedule must be timezone-aware")
    return value.astimezone(dt.UTC)


def _admins(addresses: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for raw in addresses:
        for part in re.split(r"[,;\s]+", raw):
            address = part.strip()
            if not address:
                continue
            if not _EMAIL.match(address):
                raise ConfigError(
                    f"{address!r} is not an e-mail address", field="admin",
                    hint="give each sync administrator as --admin name@school.example",
                )
            seen.setdefault(address.lower(), address)
    return tuple(seen.values())


def _from_row(row: sa.Row[Any]) -> SyncSchedule:
    return SyncSchedule(
        school_id=row.school_id,
        enabled=bool(row.enabled),
        at=parse_time_of_day(row.at_time),
        timezone=row.timezone,
        admins=tuple(json.loads(row.admins or "[]")),
        next_run_at=as_utc(row.next_run_at) if row.enabled else None,
        last_run_at=as_utc(row.last_run_at),
    )


def get_schedule(store: StateStore, school_id: str) -> SyncSchedule | None:
    """The school's daily sync, or ``None`` when it was never enabled."""
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.select(sync_schedules).where(sync_schedules.c.school_id == school_id)
        ).first()
    return None if row is None else _from_row(row)


def list_schedules(store: StateStore, *, enabled_only: bool = False) -> list[SyncSchedule]:
    """Every school's daily sync, by school id."""
    query = sa.select(sync_schedules).order_by(sync_schedules.c.school_id)
    if enabled_only:
        query = query.where(sync_schedules.c.enabled == sa.true())
    with store.engine.connect() as conn:
        return [_from_row(row) for row in conn.execute(query)]


def sync_admins(store: StateStore, school_id: str) -> tuple[str, ...]:
    """The school's sync administrators' e-mail addresses (empty when none were named)."""
    with store.engine.connect() as conn:
        raw = conn.execute(
            sa.select(sync_schedules.c.admins).where(sync_schedules.c.school_id == school_id)
        ).scalar()
    return tuple(json.loads(raw)) if raw else ()


def enable_schedule(
    store: StateStore,
    school_id: str,
    *,
    at: dt.time | str | None = None,
    timezone: str | None = None,
    admins: Sequence[str] | None = None,
    now: dt.datetime | None = None,
) -> SyncSchedule:
    """Turn on the school's daily sync at ``at`` (``"06:00"``) in ``timezone`` (IANA).

    ``at``, ``timezone`` and ``admins`` left ``None`` keep their previous values (the first
    enable must give ``at`` and ``timezone``). The next run is computed from ``now`` and
    stored. Raises :class:`UnknownSchoolError` when the school is not set up and
    :class:`ConfigError` (naming ``at``, ``tz`` or ``admin``) for unusable values.
    """
    if not store.has_connection(school_id):
        raise UnknownSchoolError(
            f"school {school_id!r} is not set up",
            hint=f"run `rostersync setup {school_id} --connector NAME` first",
        )
    stamp = _utc(now)
    before = get_schedule(store, school_id)
    when = parse_time_of_day(at) if isinstance(at, str) else at
    if when is None:
        if before is None:
            raise ConfigError("choose the time of the daily sync", field="at",
                              hint="e.g. --at 06:00")
        when = before.at
    zone = timezone if timezone is not None else (before.timezone if before else None)
    if zone is None:
        raise ConfigError("choose the school's time zone", field="tz",
                          hint="e.g. --tz America/Chicago")
    zone = parse_timezone(zone).key
    people = _admins(admins) if admins is not None else (before.admins if before else ())
    values = {
        "enabled": True,
        "at_time": when.strftime("%H:%M"),
        "timezone": zone,
        "admins": json.dumps(list(people)),
        "next_run_at": next_run_after(when.replace(second=0, microsecond=0), zone, stamp),
        "updated_at": stamp,
    }
    c = sync_schedules.c
    with store.engine.begin() as conn:
        if before is None:
            conn.execute(
                sync_schedules.insert().values(school_id=school_id, created_at=stamp, **values)
            )
        else:
            conn.execute(
                sa.update(sync_schedules)
                .where(c.school_id == school_id)
                .values(revision=c.revision + 1, **values)
            )
    found = get_schedule(store, school_id)
    assert found is not None
    return found


def disable_schedule(
    store: StateStore, school_id: str, *, now: dt.datetime | None = None
) -> SyncSchedule:
    """Turn off the school's daily sync (its time, zone and administrators are kept)."""
    c = sync_schedules.c
    with store.engine.begin() as conn:
        changed = conn.execute(
            sa.update(sync_schedules)
            .where(c.school_id == school_id)
            .values(enabled=False, next_run_at=None, revision=c.revision + 1,
                    updated_at=_utc(now))
        ).rowcount
    if changed != 1:
        raise UnknownSchoolError(
            f"school {school_id!r} has no daily sync",
            hint=f"turn it on: rostersync schedule enable {school_id} --at HH:MM --tz Area/City",
        )
    found = get_schedule(store, school_id)
    assert found is not None
    return found


def claim_due_runs(
    store: StateStore, *, now: dt.datetime | None = None, limit: int | None = None
) -> list[DueRun]:
    """Claim every enabled schedule whose next run is at or before ``now``.

    Each claim moves the schedule's next run to the first one after ``now`` in one
    conditional UPDATE, so a school that missed several days (the scheduler was down) runs
    once, not once per missed day, and two schedulers or dispatchers never claim the same
    run. At most ``limit`` runs are claimed (rows another claimer took meanwhile are
    skipped). The caller must run what it claimed.
    """
    stamp = _utc(now)
    c = sync_schedules.c
    query = (
        sa.select(c.school_id, c.at_time, c.timezone, c.next_run_at, c.revision)
        .where(c.enabled == sa.true(), c.next_run_at.is_not(None), c.next_run_at <= stamp)
        .order_by(c.next_run_at, c.school_id)
    )
    claimed: list[DueRun] = []
    with store.engine.connect() as conn:
        rows = list(conn.execute(query))
    for row in rows:
        if limit is not None and len(claimed) >= limit:
            break
        following = next_run_after(parse_time_of_day(row.at_time), row.timezone, stamp)
        with store.engine.begin() as conn:
            won = conn.execute(
                sa.update(sync_schedules)
                .where(c.school_id == row.school_id, c.revision == row.revision,
                       c.enabled == sa.true())
                .values(next_run_at=following, last_run_at=stamp, revision=row.revision + 1)
            ).rowcount
        if won == 1:
            due = as_utc(row.next_run_at)
            assert due is not None
            if _retry_not_needed(store, row.school_id, row.at_time, row.timezone, due):
                continue
            claimed.append(DueRun(row.school_id, due))
    return claimed


def is_regular_run(at: dt.time, timezone: str, due: dt.datetime) -> bool:
    """Whether ``due`` is one of the school's daily times (not a retry set between them)."""
    return next_run_after(at, timezone, due - dt.timedelta(seconds=1)) == due


def _latest_regular_run(at: dt.time, timezone: str, when: dt.datetime) -> dt.datetime:
    slot = next_run_after(at, timezone, when - dt.timedelta(days=2))
    while (following := next_run_after(at, timezone, slot)) <= when:
        slot = following
    return slot


def _retry_not_needed(
    store: StateStore, school_id: str, at_text: str, timezone: str, due: dt.datetime
) -> bool:
    """A retry (see :func:`request_retry`) whose day's run finished after all: skip it."""
    at = parse_time_of_day(at_text)
    if is_regular_run(at, timezone, due):
        return False
    slot = _latest_regular_run(at, timezone, due)
    c = scheduled_runs.c
    waiting = (
        str(RunOutcome.RUNNING), str(RunOutcome.ALREADY_RUNNING), str(RunOutcome.INTERRUPTED)
    )
    with store.engine.connect() as conn:
        done = conn.execute(
            sa.select(c.id).where(
                c.school_id == school_id, c.due_at >= slot, c.outcome.not_in(waiting)
            ).limit(1)
        ).first()
    return done is not None


def request_retry(
    store: StateStore, school_id: str, at: dt.datetime
) -> bool:
    """Bring the school's next run forward to ``at`` (unless it is due sooner already).

    For a daily run refused because another *scheduled* run held the school's lock: that
    run may belong to a worker that was killed (its task delivered again at once, while
    its lock has not yet timed out). The retry, once the lock could time out, either takes
    the dead run's lock over and syncs, or finds the day's run finished and is skipped by
    :func:`claim_due_runs`. Returns whether the schedule changed.
    """
    c = sync_schedules.c
    when = _utc(at)
    with store.engine.begin() as conn:
        changed = conn.execute(
            sa.update(sync_schedules)
            .where(c.school_id == school_id, c.enabled == sa.true(), c.next_run_at > when)
            .values(next_run_at=when, revision=c.revision + 1)
        ).rowcount
    return bool(changed)


def start_run(
    store: StateStore, due: DueRun, *, runner: str = "", now: dt.datetime | None = None
) -> int:
    """Log the start of a claimed run; return the log row's id."""
    with store.engine.begin() as conn:
        result = conn.execute(
            scheduled_runs.insert().values(
                school_id=due.school_id, due_at=due.due_at, started_at=_utc(now),
                outcome=str(RunOutcome.RUNNING), runner=runner[:255],
            )
        )
        key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def finish_run(
    store: StateStore,
    run_id: int,
    outcome: RunOutcome,
    *,
    job_id: int | None = None,
    message: str = "",
    now: dt.datetime | None = None,
) -> None:
    """Log what came of a run (``message`` is for an admin: no secrets, no personal data)."""
    with store.engine.begin() as conn:
        conn.execute(
            sa.update(scheduled_runs)
            .where(scheduled_runs.c.id == run_id)
            .values(outcome=str(outcome), job_id=job_id, message=message,
                    finished_at=_utc(now))
        )


def _run_from_row(row: sa.Row[Any]) -> ScheduledRun:
    due, started = as_utc(row.due_at), as_utc(row.started_at)
    assert due is not None and started is not None
    return ScheduledRun(
        id=row.id, school_id=row.school_id, due_at=due, started_at=started,
        finished_at=as_utc(row.finished_at), outcome=RunOutcome(row.outcome),
        job_id=row.job_id, message=row.message, runner=row.runner,
    )


def get_scheduled_run(store: StateStore, run_id: int) -> ScheduledRun:
    """One logged scheduled run (``LookupError`` when there is none by that id)."""
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(scheduled_runs).where(scheduled_runs.c.id == run_id)).first()
    if row is None:
        raise LookupError(f"no scheduled run {run_id}")
    return _run_from_row(row)


def list_scheduled_runs(
    store: StateStore, school_id: str | None = None, *, limit: int = 100
) -> list[ScheduledRun]:
    """The latest scheduled runs (newest first), of one school or of all."""
    c = scheduled_runs.c
    query = sa.select(scheduled_runs).order_by(c.id.desc()).limit(limit)
    if school_id is not None:
        query = query.where(c.school_id == school_id)
    with store.engine.connect() as conn:
        return [_run_from_row(row) for row in conn.execute(query)]


def recover_interrupted_runs(
    store: StateStore, is_gone: Callable[[str], bool], *, now: dt.datetime | None = None
) -> list[str]:
    """Runs still logged ``running`` whose process is gone (``is_gone(runner)``: a scheduler
    killed mid-sync) are logged ``interrupted``; the schools whose interrupted run was
    their latest daily run run again as soon as possible (:func:`request_retry`; the dead
    process's lock is taken over). An older one is only logged: a later daily run has
    come since. Returns the school ids run again."""
    stamp = _utc(now)
    c = scheduled_runs.c
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(c.id, c.school_id, c.runner, c.due_at)
            .where(c.outcome == str(RunOutcome.RUNNING))
        ).all()
    recovered: list[str] = []
    for row in rows:
        if not is_gone(row.runner):
            continue
        with store.engine.begin() as conn:
            changed = conn.execute(
                sa.update(scheduled_runs)
                .where(c.id == row.id, c.outcome == str(RunOutcome.RUNNING))
                .values(outcome=str(RunOutcome.INTERRUPTED), finished_at=stamp,
                        message="the process running it stopped before it finished; "
                        "it runs again")
            ).rowcount
        schedule = get_schedule(store, row.school_id)
        due = as_utc(row.due_at)
        if changed != 1 or schedule is None or not schedule.enabled or due is None:
            continue
        if due >= _latest_regular_run(schedule.at, schedule.timezone, stamp):
            request_retry(store, row.school_id, stamp)
            recovered.append(row.school_id)
    return recovered
