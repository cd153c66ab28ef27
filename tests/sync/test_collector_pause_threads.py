"""Runs of two schools in threads of one process: one fails (an error, or an interrupt)
while the other is still fetching; the collector stays paused for the one still working
and resumes when it ends."""

from __future__ import annotations

import gc
import threading
from pathlib import Path
from typing import Any

import pytest

from rostersync_core.districts import generate_district
from rostersync_core.events import JobState
from rostersync_core.hookspecs import hookimpl
from rostersync_core.platform.reference import ReferencePlatform
from rostersync_core.plugins import PluginHost
from rostersync_core.store import StateStore
from rostersync_core.sync import run_sync
from rostersync_core.testing.memory import MemoryConnector, set_up_memory_school

pytestmark = pytest.mark.usefixtures("collector_running")


class Gate:
    """Holds school ``a``'s fetch until released; fails school ``b``'s."""

    def __init__(self, failure: BaseException) -> None:
        self.a_fetching = threading.Event()
        self.release_a = threading.Event()
        self.failure = failure

    @hookimpl
    def rostersync_adjust_records(self, records: Any, school_id: str, connector: str) -> Any:
        if school_id == "a":
            self.a_fetching.set()
            assert self.release_a.wait(60)
            return records
        raise self.failure


@pytest.mark.parametrize("failure", [RuntimeError("boom"), KeyboardInterrupt()])
def test_a_run_failing_in_one_thread_leaves_the_other_paused_then_resumes(
    tmp_path: Path, secret_key: str, failure: BaseException
) -> None:
    district = generate_district(students=30, seed=3)
    host = PluginHost(load_entry_points=False)
    host.register_connector(MemoryConnector(district))
    gate = Gate(failure)
    host.register_extension(gate, name="gate")
    opened = []
    for school in ("a", "b"):
        store = StateStore.open(f"sqlite:///{tmp_path / school}.db")
        platform = ReferencePlatform(store.engine)
        set_up_memory_school(store, platform, district, school)
        opened.append((store, platform))
    outcome: dict[str, Any] = {}

    def run(school: str, store: StateStore, platform: ReferencePlatform) -> None:
        try:
            outcome[school] = run_sync(store, host, platform, school).state
        except BaseException as exc:  # the interrupt too: it is what the thread saw
            outcome[school] = type(exc)

    try:
        a = threading.Thread(target=run, args=("a", *opened[0]))
        a.start()
        assert gate.a_fetching.wait(60)
        b = threading.Thread(target=run, args=("b", *opened[1]))
        b.start()
        b.join()
        assert outcome["b"] is type(failure)
        assert not gc.isenabled()  # a is still fetching
        gate.release_a.set()
        a.join()
        assert outcome["a"] is JobState.PENDING_REVIEW
        assert gc.isenabled()
    finally:
        gate.release_a.set()
        for store, _ in opened:
            store.close()
