"""What the notices say, composed from job events (no server, no database)."""

from __future__ import annotations

import pytest

from rostersync_core.events import JobState, SyncJobEvent
from rostersync_core.notify import compose_notice

COUNTS = {
    "students": {"create": 3, "update": 1, "archive": 0, "unchanged": 40},
    "family_links": {"create": 5, "unchanged": 0},
    "classes": {"unchanged": 12},
}


def event(state: JobState, **values: object) -> SyncJobEvent:
    return SyncJobEvent("maple", 12, state, trigger="schedule", **values)  # type: ignore[arg-type]


def test_counts_are_given_per_kind_in_words() -> None:
    notice = compose_notice(event(JobState.PENDING_REVIEW, counts=COUNTS))
    assert notice is not None
    assert "  students: 3 to create, 1 to update, 40 unchanged\n" in notice.body
    assert "  family links: 5 to create\n" in notice.body
    assert "  classes: 12 unchanged\n" in notice.body


def test_a_request_with_nothing_to_change_says_so() -> None:
    notice = compose_notice(event(JobState.PENDING_REVIEW, counts={"classes": {"unchanged": 3}}))
    assert notice is not None
    assert "It changes nothing: the platform already matches the SIS." in notice.body


@pytest.mark.parametrize(
    ("kind", "label", "advice"),
    [
        ("authentication", "the SIS refused the credentials", "rostersync setup maple"),
        ("sis_unavailable", "the SIS could not be reached", "rostersync sync run maple"),
        ("unmapped", "grades or subjects need mapping", "rostersync grades show maple"),
        ("invalid_data", "the SIS sent data rostersync cannot read", "rostersync sync run maple"),
        ("platform", "applying the request to the platform stopped part-way",
         "rostersync sync apply 12"),
        ("internal", "an error stopped it", "rostersync sync show 12"),
    ],
)
def test_each_failure_is_named_with_what_to_do(kind: str, label: str, advice: str) -> None:
    notice = compose_notice(event(JobState.FAILED, error_kind=kind, reason="details"))
    assert notice is not None
    assert notice.subject == f"[rostersync] maple: sync job 12 failed: {label}"
    assert advice in notice.body


@pytest.mark.parametrize(
    "state", [JobState.RUNNING, JobState.APPROVED, JobState.APPLYING, JobState.REJECTED,
              JobState.REVERTED],
)
def test_intermediate_and_personal_decisions_are_not_notified(state: JobState) -> None:
    assert compose_notice(event(state)) is None
