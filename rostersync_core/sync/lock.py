"""One sync at a time per school, enforced by the database.

A :class:`SchoolLock` is a row in ``school_locks``, claimed by an atomic INSERT (the primary
key refuses a second claimer, also across processes and across machines sharing one
PostgreSQL). The holder refreshes ``heartbeat_at`` from a background thread. A lock whose
heartbeat is older than the timeout (``$ROSTERSYNC_LOCK_TIMEOUT`` seconds, default 600), or
whose holder was a process on this machine that no longer exists, belongs to a crashed run
and is taken over by a conditional UPDATE (only one taker wins).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from types import TracebackType
from typing import Any

import sqlalchemy as sa

from rostersync_core.errors import SyncAlreadyRunningError
from rostersync_core.store.engine import IMMEDIATE_OPTION
from rostersync_core.store.sql import as_utc, now
from rostersync_core.store.sync_tables import school_locks

__all__ = ["DEFAULT_LOCK_TIMEOUT", "LOCK_TIMEOUT_ENV", "SchoolLock", "lock_timeout"]

log = logging.getLogger(__name__)

LOCK_TIMEOUT_ENV = "ROSTERSYNC_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 600.0


def lock_timeout() -> float:
    """Seconds without a heartbeat after which a lock is considered abandoned."""
    try:
        value = float(os.environ.get(LOCK_TIMEOUT_ENV, "") or DEFAULT_LOCK_TIMEOUT)
    except ValueError:
        value = DEFAULT_LOCK_TIMEOUT
    return max(value, 1.0)


def _process_gone(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class SchoolLock:
    """The lock of one school, held for one sync, apply or revert.

    Use as a context manager, or call :meth:`acquire` and :meth:`release`. Raises
    :class:`~rostersync_core.errors.SyncAlreadyRunningError` when another run holds it.
    """

    def __init__(
        self,
        engine: sa.Engine,
        school_id: str,
        *,
        purpose: str = "sync",
        job_id: int | None = None,
        timeout: float | None = None,
    ) -> None:
        self.engine = engine
        self.school_id = school_id
        self.purpose = purpose
        self.job_id = job_id
        self.timeout = timeout if timeout is not None else lock_timeout()
        self.owner = uuid.uuid4().hex
        self.hostname = socket.gethostname()
        self.lost = False
        #: The job of the crashed run whose lock this one took over (``None``: no takeover).
        self.taken_over: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- claiming ----------------------------------------------------------------------------

    def acquire(self, on_claim: Callable[[sa.Connection], int] | None = None) -> None:
        """Claim the lock, taking over an abandoned one; raise if it is held.

        ``on_claim`` runs in the claiming transaction and returns the id of the job that
        holds the lock (so anyone refused is told which job runs, from the first instant).
        """
        stamp = now()
        row: dict[str, object] = {
            "school_id": self.school_id,
            "owner": self.owner,
            "purpose": self.purpose,
            "job_id": self.job_id,
            "hostname": self.hostname,
            "pid": os.getpid(),
            "acquired_at": stamp,
            "heartbeat_at": stamp,
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(school_locks.insert().values(**row))
                self._claimed(conn, on_claim)
        except sa.exc.IntegrityError:
            self._take_over(row, on_claim)
        except sa.exc.OperationalError:
            # SQLite busy past its timeout (a long write by the running sync): the lock row
            # can still be read, and says who runs.
            held = self._holder()
            if held is None:
                raise
            raise self._refusal(held.job_id, as_utc(held.acquired_at), held.purpose) from None
        self._start_heartbeat()

    def _holder(self) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(school_locks).where(school_locks.c.school_id == self.school_id)
            ).first()

    def _claimed(
        self, conn: sa.Connection, on_claim: Callable[[sa.Connection], int] | None
    ) -> None:
        if on_claim is None:
            return
        self.job_id = on_claim(conn)
        conn.execute(
            sa.update(school_locks)
            .where(school_locks.c.school_id == self.school_id, school_locks.c.owner == self.owner)
            .values(job_id=self.job_id)
        )

    def _take_over(
        self, row: dict[str, object], on_claim: Callable[[sa.Connection], int] | None
    ) -> None:
        c = school_locks.c
        # Read-then-write: on SQLite take the write lock first, or two runs that both read
        # the abandoned lock would race to update it and the loser would get "database is
        # locked" instead of a refusal naming the running job.
        with (
            self.engine.connect() as conn,
            conn.execution_options(**{IMMEDIATE_OPTION: True}).begin(),
        ):
            held = conn.execute(
                sa.select(school_locks).where(c.school_id == self.school_id)
            ).first()
            if held is None:  # released meanwhile: claim it normally
                conn.execute(school_locks.insert().values(**row))
                self._claimed(conn, on_claim)
                return
            heartbeat = as_utc(held.heartbeat_at) or now()
            expired = now() - heartbeat > dt.timedelta(seconds=self.timeout)
            dead = held.hostname == self.hostname and _process_gone(held.pid)
            if expired or dead:
                taken = conn.execute(
                    sa.update(school_locks)
                    .where(c.school_id == self.school_id, c.owner == held.owner)
                    .values(**{k: v for k, v in row.items() if k != "school_id"})
                ).rowcount
                if taken == 1:
                    self.taken_over = held.job_id
                    log.warning(
                        "took over the lock of school %s left by an interrupted run (job %s)",
                        self.school_id,
                        held.job_id,
                    )
                    self._claimed(conn, on_claim)
                    return
            raise self._refusal(held.job_id, as_utc(held.acquired_at), held.purpose)

    def _refusal(
        self, job_id: int | None, started: dt.datetime | None, purpose: str
    ) -> SyncAlreadyRunningError:
        job = f"job {job_id}" if job_id is not None else "a job being created"
        when = started.strftime("%Y-%m-%d %H:%M:%S UTC") if started else "an unknown time"
        doing = {"sync": "a sync", "apply": "an apply", "revert": "a revert"}.get(purpose, "a sync")
        message = f"a sync is already running for {self.school_id} ({job}, started at {when})"
        if doing != "a sync":
            message = (
                f"a sync is already running for {self.school_id} "
                f"({doing} of {job}, started at {when})"
            )
        return SyncAlreadyRunningError(message, job_id=job_id)

    def set_job(self, job_id: int) -> None:
        """Name the job holding the lock (shown to anyone refused)."""
        self.job_id = job_id
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(school_locks)
                .where(
                    school_locks.c.school_id == self.school_id, school_locks.c.owner == self.owner
                )
                .values(job_id=job_id)
            )

    # -- keeping and releasing ---------------------------------------------------------------

    def _start_heartbeat(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._beat, name=f"rostersync-lock-{self.school_id}", daemon=True
        )
        self._thread.start()

    def _beat(self) -> None:
        interval = max(self.timeout / 4, 0.25)
        while not self._stop.wait(interval):
            try:
                self.heartbeat()
            except Exception:  # a failed heartbeat is retried; the lock may expire
                log.warning("could not refresh the lock of school %s", self.school_id)

    def heartbeat(self) -> bool:
        """Refresh the lock; False (and :attr:`lost` set) when another run took it over."""
        c = school_locks.c
        with self.engine.begin() as conn:
            kept = conn.execute(
                sa.update(school_locks)
                .where(c.school_id == self.school_id, c.owner == self.owner)
                .values(heartbeat_at=now())
            ).rowcount
        if kept != 1:
            self.lost = True
        return kept == 1

    def release(self) -> None:
        """Give the lock back (only if this run still holds it)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        c = school_locks.c
        with self.engine.begin() as conn:
            conn.execute(
                sa.delete(school_locks).where(c.school_id == self.school_id, c.owner == self.owner)
            )

    def __enter__(self) -> SchoolLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
