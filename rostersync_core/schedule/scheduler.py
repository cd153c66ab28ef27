"""The embedded scheduler: one process that runs every school's daily sync when it is due.

``rostersync scheduler run`` is this loop. It claims due runs in the database (so two
schedulers on one database never run a school twice), runs them one after the other, then
waits until the next run is due (or ``poll_seconds``, to see schedules changed meanwhile).
Time comes from a :class:`~rostersync_core.schedule.clock.Clock`, so tests pass a fake one.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

import sqlalchemy as sa

from rostersync_core.platform.protocol import Platform
from rostersync_core.plugins import PluginHost
from rostersync_core.schedule.clock import Clock, SystemClock
from rostersync_core.schedule.model import ScheduledRun
from rostersync_core.schedule.runner import default_runner_name, run_due_school, runner_is_gone
from rostersync_core.schedule.schedules import claim_due_runs, recover_interrupted_runs
from rostersync_core.store import StateStore
from rostersync_core.store.schedule_tables import sync_schedules
from rostersync_core.store.sql import as_utc

__all__ = ["EmbeddedScheduler"]

log = logging.getLogger(__name__)


class EmbeddedScheduler:
    """Runs due daily syncs in this process until stopped.

    ``on_run`` is called after each run (the CLI prints it). :meth:`stop` (thread-safe,
    fine from a signal handler) lets the sync in progress finish, then ends :meth:`run`.
    """

    def __init__(
        self,
        store: StateStore,
        host: PluginHost,
        platform: Platform,
        *,
        clock: Clock | None = None,
        poll_seconds: float = 60.0,
        runner: str = "",
        on_run: Callable[[ScheduledRun], None] | None = None,
    ) -> None:
        self.store = store
        self.host = host
        self.platform = platform
        self.clock: Clock = clock or SystemClock()
        self.poll_seconds = max(poll_seconds, 0.01)
        self.runner = runner or default_runner_name()
        self.on_run = on_run
        self.stopping = threading.Event()
        self._recovered = False

    def stop(self) -> None:
        """Finish the sync in progress, then stop."""
        self.stopping.set()

    def run_due(self) -> list[ScheduledRun]:
        """Run every school due now, claiming one at a time; return what came of each run.

        The first call also recovers the runs a killed scheduler on this machine left
        ``running``: they are logged ``interrupted`` and run again."""
        done: list[ScheduledRun] = []
        if not self._recovered:  # once per scheduler: runs a killed predecessor left
            again = recover_interrupted_runs(self.store, runner_is_gone, now=self.clock.now())
            if again:
                log.warning("the daily sync of %s was interrupted (its process stopped): "
                            "it runs again", ", ".join(again))
            self._recovered = True
        while not self.stopping.is_set():
            claimed = claim_due_runs(self.store, now=self.clock.now(), limit=1)
            if not claimed:
                break
            run = run_due_school(self.store, self.host, self.platform, claimed[0],
                                 now=self.clock.now(), runner=self.runner)
            log.info("scheduled sync of %s: %s", run.school_id, run.outcome)
            done.append(run)
            if self.on_run is not None:
                self.on_run(run)
        return done

    def seconds_until_next(self) -> float:
        """How long to wait before looking again (at most ``poll_seconds``)."""
        c = sync_schedules.c
        with self.store.engine.connect() as conn:
            earliest = conn.execute(
                sa.select(sa.func.min(c.next_run_at)).where(c.enabled == sa.true())
            ).scalar()
        if earliest is None:
            return self.poll_seconds
        when = as_utc(earliest)
        assert when is not None
        left = (when - self.clock.now()).total_seconds()
        return min(max(left, 0.0), self.poll_seconds)

    def run(self, *, until: dt.datetime | None = None) -> list[ScheduledRun]:
        """Run due syncs until :meth:`stop` (or, for tests, until the clock reaches
        ``until``); return every run made. A database that cannot be read (a PostgreSQL
        restart) is logged and tried again after ``poll_seconds``."""
        done: list[ScheduledRun] = []
        while not self.stopping.is_set():
            if until is not None and self.clock.now() >= until:
                break
            try:
                done.extend(self.run_due())
                wait = self.seconds_until_next()
            except Exception as exc:  # the database may be restarting: try again later
                log.error("the scheduler could not read the schedules (%s); retrying in %g s",
                          type(exc).__name__, self.poll_seconds)
                wait = self.poll_seconds
            if self.stopping.is_set():
                break
            if until is not None:
                wait = min(wait, max((until - self.clock.now()).total_seconds(), 0.0))
            if self.clock.wait(wait, self.stopping):
                break
        return done
