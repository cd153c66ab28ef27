"""A request applied through the bulk paths and then reverted leaves the platform exactly
as it was, awkward values, records made outside rostersync and archived records included
(both backends)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import sqlalchemy as sa

from rostersync_core.model import PersonKind, RecordKind
from rostersync_core.platform.reference_rows import TABLES
from rostersync_core.store import tables as t
from rostersync_core.sync import approve_job, revert_job, run_sync
from tests.sync.helpers import first_student, roster_of, synced, withdraw


def _snapshot(platform: Any, school: str) -> dict[RecordKind, Any]:
    return {kind: platform.list_records(school, kind) for kind in TABLES}


def test_revert_after_updates_and_archives_restores_every_record(
    store: Any, platform: Any, host: Any, connector: Any, school: str, district: Any
) -> None:
    synced(store, host, platform, school)
    with store.engine.begin() as conn:  # records the platform has that rostersync never made
        conn.execute(sa.insert(t.ref_people).values(
            id="own1", school_id=school, kind="student", sis_id="007", given_name="Zoë",
            roles='["a","b"]', enabled=False, archived=True,
        ))
        conn.execute(sa.insert(t.ref_people).values(id="own2", school_id=school, kind="staff"))
        conn.execute(sa.insert(t.ref_classes).values(id="own3", school_id=school, title="T"))
        conn.execute(sa.insert(t.ref_enrolments).values(
            id="own4", school_id=school, class_id="own3", person_id="own1",
            begin_date=dt.date(2026, 1, 2),
        ))
    before = _snapshot(platform, school)
    changed = withdraw(district, first_student(district))
    roster = roster_of(changed)
    students = [i for i, p in enumerate(roster.people) if p.kind is PersonKind.STUDENT]
    for n, at in enumerate(students[1:4]):
        roster.people[at] = attrs.evolve(
            roster.people[at], given_name=f"Zoë \\N\t'\"00{n}", email="", middle_name="m" * 150,
        )
    connector.district = changed
    job = run_sync(store, host, platform, school)
    assert job.counts["students"]["update"] == 3
    assert job.counts["students"]["archive"] >= 1
    approve_job(store, host, platform, job.id, actor="admin")
    assert _snapshot(platform, school) != before
    revert_job(store, host, platform, job.id, actor="admin")
    assert _snapshot(platform, school) == before
