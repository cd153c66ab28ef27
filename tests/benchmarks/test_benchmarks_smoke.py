"""The benchmark harness runs end to end on a tiny district and writes a well-formed result.

No timing is asserted (timings belong to ``benchmarks/``, never to tests): only that every
benchmark ran, reported its measures, and that a no-change re-sync was an empty request.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_quick_harness_writes_a_result_for_every_benchmark(tmp_path: Path) -> None:
    results = tmp_path / "latest.json"
    doc = tmp_path / "performance.md"
    proc = subprocess.run(
        [
            sys.executable, "-m", "benchmarks.run", "--quick", "--students", "200",
            "--skip-postgres", "--results", str(results), "--doc", str(doc), "--fresh",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        pytest.fail(f"benchmarks.run failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    data = json.loads(results.read_text())
    assert {"machine", "commit", "written_at", "results"} <= set(data)
    runs = data["results"]
    assert sorted(runs) == [
        "end_to_end/sqlite/district/200",
        "end_to_end/sqlite/one-school/200",
        "fetch_concurrency/200",
        "pipeline/200",
    ]
    for result in runs.values():
        assert "error" not in result
        assert result["peak_rss_mb"] > 0
        assert result["load_average_before"]
    pipeline = runs["pipeline/200"]
    assert pipeline["records"] > 0 and pipeline["floor"]["json_loads_s"] >= 0
    assert pipeline["job"]["changes"] > 0 and not pipeline["missing_pages"]
    for name in ("end_to_end/sqlite/one-school/200", "end_to_end/sqlite/district/200"):
        steps = runs[name]["steps"]
        assert steps["first_sync"]["changes"] == steps["apply"]["changes"] > 0
        assert steps["no_change_resync"]["empty_request"] is True
    fetch = runs["fetch_concurrency/200"]["runs"]
    assert fetch["concurrent_pages"]["records"] == fetch["sequential_pages"]["records"] > 0
    assert "| pipeline/200 |" in doc.read_text()
