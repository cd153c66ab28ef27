"""A request that cannot be saved fails its job at once, stores nothing, and says why."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from rostersync_core import hookimpl
from rostersync_core.districts import District
from rostersync_core.events import JobState, SyncJobEvent
from rostersync_core.model import PersonKind
from rostersync_core.plugins import PluginHost
from rostersync_core.sync import iter_changes, list_jobs, run_sync
from rostersync_core.testing.memory import MemoryConnector

from .conftest import SCHOOL, set_up_school


class _Opaque:
    """A value no stored request can carry (a connector bug)."""


def test_a_request_that_cannot_be_saved_fails_its_job_and_stores_nothing(
    store: Any, platform: Any, district: District
) -> None:
    roster = next(iter(district.schools.values()))
    student = next(i for i, p in enumerate(roster.people) if p.kind is PersonKind.STUDENT)
    roster.people[student] = attrs.evolve(roster.people[student], phone=_Opaque())
    set_up_school(store, platform, district)
    host = PluginHost(load_entry_points=False)
    host.register_connector(MemoryConnector(district))
    seen: list[SyncJobEvent] = []

    class Listener:
        @hookimpl
        def rostersync_job_state_changed(self, event: SyncJobEvent) -> None:
            seen.append(event)

    host.register_extension(Listener(), name="listener")
    with pytest.raises(TypeError, match="cannot store _Opaque"):
        run_sync(store, host, platform, SCHOOL)
    [job] = list_jobs(store, SCHOOL)
    assert job.state is JobState.FAILED
    # Not a rostersync error: only its type is kept (its message could quote SIS data).
    assert job.reason == "the request could not be saved (TypeError)"
    assert job.change_count == 0
    assert list(iter_changes(store, job.id)) == []  # one transaction: no change half-stored
    # Plugins heard it now, not at the school's next run.
    assert (seen[-1].previous_state, seen[-1].state) == (JobState.RUNNING, JobState.FAILED)
    assert seen[-1].reason == job.reason
