"""PostgreSQL: after a big request is stored, the planner's statistics of the changes table
are refreshed, so reading the request back a page at a time (apply) uses the primary key
instead of visiting every later row for each page (quadratic at 100,000 students)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from rostersync_core.sync import run_sync, transitions


def _statistics(store: Any) -> tuple[float, Any]:
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT c.reltuples, s.last_analyze FROM pg_class c "
                "JOIN pg_stat_user_tables s ON s.relid = c.oid "
                "WHERE c.oid = to_regclass('sync_changes')"
            )
        ).one()
    return float(row[0]), row[1]


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
def test_a_big_request_refreshes_the_statistics_of_the_changes_table(
    store: Any, platform: Any, host: Any, school: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _statistics(store)[1] is None  # a new schema: never analysed
    monkeypatch.setattr(transitions, "ANALYZE_AFTER", 100)  # the district is small
    job = run_sync(store, host, platform, school)
    assert job.change_count >= 100
    tuples, analysed = _statistics(store)
    assert analysed is not None
    assert tuples == job.change_count

