"""``rostersync demo`` runs the whole cycle offline."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from rostersync_core.demo import run_demo, sample_snapshots
from rostersync_core.events import JobState


def test_the_demo_runs_the_whole_cycle_with_the_in_memory_district(tmp_path: Path) -> None:
    out = Console(record=True, width=100)
    result = run_demo(tmp_path / "demo", out=out, connector="memory")
    first, second, third = result.jobs
    assert [j.state for j in result.jobs] == [JobState.COMPLETED] * 3
    assert first.change_count > 0 and second.change_count == 0
    students = third.counts["students"]
    assert (students["create"], students["archive"], students["update"]) == (3, 1, 0)
    assert third.counts["staff"]["update"] == 0
    text = out.export_text()
    assert "A later SIS snapshot" in text and "remove " in text


@pytest.mark.skipif(sample_snapshots() is None, reason="the bundled OneRoster sample is missing")
def test_the_demo_reads_the_bundled_oneroster_sample(tmp_path: Path) -> None:
    pytest.importorskip("rostersync_oneroster")
    result = run_demo(tmp_path / "demo", out=Console(record=True), connector="oneroster")
    _first, second, third = result.jobs
    assert result.connector == "oneroster"
    assert second.change_count == 0
    assert third.counts["students"]["create"] > 0 and third.counts["students"]["archive"] > 0
