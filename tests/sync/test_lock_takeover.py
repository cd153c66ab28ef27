"""Two runs finding the same abandoned lock at once: exactly one takes it over, the other is
told clearly that a sync is running (on SQLite too, where both read before either writes)."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from rostersync_core.errors import SyncAlreadyRunningError
from rostersync_core.store.sync_tables import school_locks
from rostersync_core.sync import lock as lock_module
from rostersync_core.sync.lock import SchoolLock


def test_two_runs_taking_over_one_crashed_lock_at_once_one_wins_the_other_is_refused(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stamp = dt.datetime.now(dt.UTC)
    with store.engine.begin() as conn:
        conn.execute(
            school_locks.insert().values(
                school_id="maple",
                owner="crashed",
                purpose="sync",
                job_id=None,
                hostname=socket.gethostname(),
                pid=gone.pid,
                acquired_at=stamp,
                heartbeat_at=stamp,
            )
        )
    real = lock_module._process_gone

    def slow_check(pid: int) -> bool:
        time.sleep(0.5)  # both runs have read the abandoned lock before either writes
        return real(pid)

    monkeypatch.setattr(lock_module, "_process_gone", slow_check)
    outcomes: list[object] = []
    locks = [SchoolLock(store.engine, "maple", job_id=n) for n in (1, 2)]

    def take(lock: SchoolLock) -> None:
        try:
            lock.acquire()
            outcomes.append("took")
        except Exception as exc:  # the outcome is what the test checks
            outcomes.append(exc)

    threads = [threading.Thread(target=take, args=(lock,)) for lock in locks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for lock in locks:
        lock.release()
    assert outcomes.count("took") == 1, outcomes
    (refusal,) = [o for o in outcomes if o != "took"]
    assert isinstance(refusal, SyncAlreadyRunningError), repr(refusal)
    assert "a sync is already running for maple" in str(refusal)
