"""Apply interrupted between the platform's write and the engine's record of it, or by a
failing batch: the collector is running again afterwards, and running apply again ends
with every record once, linked to the platform id it was given (both backends)."""

from __future__ import annotations

import gc
from collections import Counter
from typing import Any

import pytest

from rostersync_core.events import JobState
from rostersync_core.model import RecordKind
from rostersync_core.sync import apply_job, approve_job, get_job, iter_changes, run_sync

pytestmark = pytest.mark.usefixtures("collector_running")


class Interrupted:
    """The real platform, interrupted at its ``at``-th batch: before writing it, or (with
    ``after_write``) once the batch is written and committed, before apply records it."""

    def __init__(self, real: Any, at: int, *, after_write: bool) -> None:
        self.real, self.at, self.after_write = real, at, after_write
        self.calls = 0
        self.collector: list[bool] = []
        self.written: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def apply_changes(self, school_id: str, changes: Any) -> list[str]:
        self.calls += 1
        self.collector.append(gc.isenabled())
        if self.calls == self.at and not self.after_write:
            raise RuntimeError("platform went away")
        ids: list[str] = self.real.apply_changes(school_id, changes)
        self.written.extend(ids)
        if self.calls == self.at:
            raise RuntimeError("engine went away after the platform's commit")
        return ids


@pytest.mark.parametrize("after_write", [False, True], ids=["before-write", "after-write"])
def test_apply_finishes_after_an_interruption_without_duplicates(
    store: Any, platform: Any, host: Any, school: str, after_write: bool
) -> None:
    job = run_sync(store, host, platform, school)
    flaky = Interrupted(platform, 3, after_write=after_write)
    with pytest.raises(RuntimeError):
        approve_job(store, host, flaky, job.id, actor="ada", batch_size=50)
    assert flaky.collector == [False] * 3  # paused through the batches...
    assert gc.isenabled()  # ...and running again after the failure
    assert get_job(store, job.id).state is JobState.FAILED
    done = apply_job(store, host, platform, job.id, actor="ada", batch_size=50)
    assert done.state is JobState.COMPLETED and gc.isenabled()
    changes = list(iter_changes(store, job.id))
    assert all(c.applied for c in changes)
    assert done.applied_count == len(changes)
    for kind in (RecordKind.STUDENT, RecordKind.CLASS, RecordKind.ENROLMENT):
        records = platform.list_records(school, kind)
        keys = Counter(r.values.key for r in records)
        assert records and max(keys.values()) == 1, kind
        links = store.links(school, kind) if kind is not RecordKind.ENROLMENT else None
        created = {c.sis_id: c.result_id for c in changes if c.kind is kind}
        assert {r.platform_id for r in records} == set(created.values())
        if links is not None:
            assert links == created
    # what the platform wrote before the interruption is what the engine recorded
    recorded = {c.result_id for c in changes}
    assert set(flaky.written) <= recorded
