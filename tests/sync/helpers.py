"""Small helpers shared by the sync tests."""

from __future__ import annotations

from typing import Any

from rostersync_core.districts import District, SchoolRoster
from rostersync_core.events import JobState
from rostersync_core.model import PersonKind, RecordKind
from rostersync_core.sync import approve_job, run_sync
from rostersync_core.sync.jobs import SyncJob


def roster_of(district: District) -> SchoolRoster:
    return district.schools[sorted(district.schools)[0]]


def synced(store: Any, host: Any, platform: Any, school: str) -> SyncJob:
    """Run a sync and apply it (approved by a person)."""
    job = run_sync(store, host, platform, school)
    assert job.state in (JobState.PENDING_REVIEW, JobState.HELD), job
    return approve_job(store, host, platform, job.id, actor="admin@example.org")


def withdraw(district: District, sis_id: str) -> District:
    """The district without student ``sis_id``, their enrolments and family links."""
    changed = district.copy()
    roster = roster_of(changed)
    roster.people = [p for p in roster.people if p.sis_id != sis_id]
    roster.enrolments = [e for e in roster.enrolments if e.person_sis_id != sis_id]
    roster.family_links = [f for f in roster.family_links if f.student_sis_id != sis_id]
    return changed


def platform_person(platform: Any, school: str, kind: RecordKind, sis_id: str) -> Any:
    """The platform records (archived or not) that carry ``sis_id``."""
    return [r for r in platform.list_records(school, kind) if r.values.sis_id == sis_id]


def first_student(district: District) -> str:
    return next(p.sis_id for p in roster_of(district).people if p.kind is PersonKind.STUDENT)
