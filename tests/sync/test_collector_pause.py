"""A sync run pauses Python's cyclic garbage collector while it works, and always leaves it
as it found it (pauses of runs in several threads may overlap)."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from rostersync_core.errors import UnmappedValuesError
from rostersync_core.hookspecs import hookimpl
from rostersync_core.sync import run_sync
from rostersync_core.sync.pipeline import collector_paused

pytestmark = pytest.mark.usefixtures("collector_running")


class CollectorWatch:
    """An extension plugin that notes whether the collector runs while records stream."""

    def __init__(self, fail: bool = False) -> None:
        self.seen: list[bool] = []
        self.fail = fail

    @hookimpl
    def rostersync_adjust_records(self, records: Any, school_id: str, connector: str) -> Any:
        self.seen.append(gc.isenabled())
        if self.fail:
            raise UnmappedValuesError("stop here", grades=(), subjects=())
        return records


def test_a_run_fetches_and_diffs_with_the_collector_paused_and_resumes_it(
    store: Any, platform: Any, host: Any, school: str
) -> None:
    watch = CollectorWatch()
    host.register_extension(watch, name="watch")
    run_sync(store, host, platform, school)
    assert watch.seen and not any(watch.seen)
    assert gc.isenabled()


def test_a_failed_run_resumes_the_collector(
    store: Any, platform: Any, host: Any, school: str
) -> None:
    host.register_extension(CollectorWatch(fail=True), name="watch")
    with pytest.raises(UnmappedValuesError):
        run_sync(store, host, platform, school)
    assert gc.isenabled()
    job = run_sync(store, host, platform, school, raise_errors=False)
    assert job.failed and gc.isenabled()


def test_overlapping_pauses_resume_the_collector_when_the_last_one_ends() -> None:
    first, second = collector_paused(), collector_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the second run is still working
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_collector_paused_by_the_caller_stays_paused() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_a_host_can_keep_the_collector_running_through_a_run(
    store: Any, platform: Any, host: Any, school: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROSTERSYNC_PAUSE_GC", "0")
    watch = CollectorWatch()
    host.register_extension(watch, name="watch")
    job = run_sync(store, host, platform, school)
    assert watch.seen and all(watch.seen)
    assert job.change_count > 0 and gc.isenabled()
