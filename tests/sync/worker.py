"""A separate process for the lock and crash tests (run as a script, never imported).

python worker.py sync URL SCHOOL GO_FILE     wait for GO_FILE, run a sync, print the outcome
python worker.py approve URL JOB_ID          approve and apply, slowly, printing each batch
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rostersync_core.districts import generate_district
from rostersync_core.errors import SyncAlreadyRunningError
from rostersync_core.hookspecs import hookimpl
from rostersync_core.platform.protocol import PlatformChange
from rostersync_core.platform.reference import ReferencePlatform
from rostersync_core.plugins import PluginHost
from rostersync_core.store import StateStore
from rostersync_core.sync import approve_job, run_sync
from rostersync_core.testing.memory import MemoryConnector, MemorySession


class SlowConnector(MemoryConnector):
    """Takes its time to authenticate, so two syncs surely overlap."""

    @hookimpl
    def rostersync_authenticate(self, config: Mapping[str, Any]) -> MemorySession:
        time.sleep(3)
        return super().rostersync_authenticate(config)


class SlowPlatform(ReferencePlatform):
    """Says when each batch is applied, then dawdles before the engine records it."""

    def apply_changes(self, school_id: str, changes: Sequence[PlatformChange]) -> list[str]:
        ids = super().apply_changes(school_id, changes)
        print(f"batch {len(changes)}", flush=True)
        time.sleep(0.4)
        return ids


def main(argv: list[str]) -> None:
    command, url = argv[0], argv[1]
    store = StateStore.open(url)
    host = PluginHost(load_entry_points=False)
    host.register_connector(SlowConnector(generate_district(students=40, seed=3)))
    if command == "sync":
        school, go, ready = argv[2], Path(argv[3]), Path(argv[4])
        ready.touch()  # imported and connected: ready to race
        while not go.exists():
            time.sleep(0.01)
        try:
            job = run_sync(store, host, ReferencePlatform(store.engine), school)
            print(json.dumps({"job": job.id, "state": str(job.state)}), flush=True)
        except SyncAlreadyRunningError as exc:
            print(json.dumps({"refused": str(exc), "job": exc.job_id}), flush=True)
    elif command == "approve":
        job = approve_job(
            store, host, SlowPlatform(store.engine), int(argv[2]), actor="worker", batch_size=40
        )
        print(json.dumps({"state": str(job.state)}), flush=True)
    store.close()


if __name__ == "__main__":
    main(sys.argv[1:])
