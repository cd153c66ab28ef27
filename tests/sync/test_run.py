"""Running a sync end to end on the reference platform (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from rostersync_core.events import JobState
from rostersync_core.sync import approve_job, get_request, iter_changes, run_sync


def test_a_first_sync_makes_a_request_that_creates_the_whole_roster(
    store: Any, platform: Any, host: Any, school: str, district: Any
) -> None:
    job = run_sync(store, host, platform, school)
    assert job.state is JobState.PENDING_REVIEW
    roster = district.schools[sorted(district.schools)[0]]
    assert job.counts["students"]["create"] == len(roster.students())
    assert job.counts["enrolments"]["create"] == len(roster.enrolments)
    assert job.counts["family_links"]["create"] == len(roster.family_links)


def test_an_approved_request_is_applied_and_a_second_sync_finds_nothing_to_change(
    store: Any, platform: Any, host: Any, school: str, district: Any
) -> None:
    job = run_sync(store, host, platform, school)
    done = approve_job(store, host, platform, job.id, actor="ada@example.org")
    assert done.state is JobState.COMPLETED
    again = run_sync(store, host, platform, school)
    assert again.change_count == 0, list(iter_changes(store, again.id))[:3]
    roster = district.schools[sorted(district.schools)[0]]
    assert again.counts["students"]["unchanged"] == len(roster.students())
    assert get_request(store, again.id).job.state is JobState.PENDING_REVIEW
