"""A job whose apply stopped part-way has changed the platform: its record (and the
before-values of what it applied) stays until the apply is finished."""

from __future__ import annotations

from typing import Any

import pytest

from rostersync_core.events import JobState
from rostersync_core.sync import (
    JobStateError,
    apply_job,
    approve_job,
    delete_job,
    get_job,
    iter_changes,
    revert_job,
    run_sync,
)
from tests.sync.helpers import first_student, synced, withdraw


class FailsOnSecondBatch:
    """A platform whose database goes away after the first batch."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def apply_changes(self, school_id: str, changes: Any) -> list[str]:
        self.calls += 1
        if self.calls == 2:
            raise RuntimeError("platform database went away")
        result: list[str] = self.real.apply_changes(school_id, changes)
        return result


def half_applied(store: Any, host: Any, platform: Any, school: str) -> int:
    job = run_sync(store, host, platform, school)
    with pytest.raises(RuntimeError):
        approve_job(store, host, FailsOnSecondBatch(platform), job.id, actor="ada")
    failed = get_job(store, job.id)
    assert failed.state is JobState.FAILED and failed.applied_count > 0
    return job.id


def test_a_job_whose_apply_failed_part_way_cannot_be_deleted(
    store: Any, platform: Any, host: Any, school: str
) -> None:
    job_id = half_applied(store, host, platform, school)
    with pytest.raises(JobStateError, match="apply"):
        delete_job(store, job_id)
    assert any(c.applied for c in iter_changes(store, job_id))
    assert apply_job(store, host, platform, job_id, actor="ada").state is JobState.COMPLETED


def test_an_earlier_job_cannot_be_reverted_under_a_later_half_applied_one(
    store: Any, platform: Any, host: Any, connector: Any, school: str, district: Any
) -> None:
    first = synced(store, host, platform, school)
    connector.district = withdraw(district, first_student(district))
    later = half_applied(store, host, platform, school)
    with pytest.raises(JobStateError, match=f"{later}"):
        revert_job(store, host, platform, first.id, actor="grace")
    assert get_job(store, first.id).state is JobState.COMPLETED
