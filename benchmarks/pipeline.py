"""Benchmark 1 — the pipeline from raw OneRoster JSON pages already in memory.

normalise -> map -> exclude -> match -> diff -> stored request: one ``run_sync`` of the
whole district (merged into one SIS school) on SQLite, the connector reading pages the
fake server rendered beforehand (see :mod:`benchmarks.pages`). Reported against the floor:
plain ``json.loads`` of the same page bytes.

``python -m benchmarks.pipeline --students 10000 [--out result.json] [--profile out.html]``
"""

from __future__ import annotations

import gc
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import Timer, base_parser, current_rss_mb, finish, load_average, rate
from benchmarks.pages import REPLAY_CONFIG, ReplayClient, ReplayConnector, render_pages
from benchmarks.roster import bind_school, counts, one_school, prepare_platform

TARGET_RATIO = 3.0


class PhaseClock:
    """A ``SyncProgress`` that times each phase ``run_sync`` announces."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._current: str | None = None
        self._since = time.perf_counter()

    def phase(self, name: str) -> None:
        self.stop()
        self._current = name
        self._since = time.perf_counter()

    def advance(self, what: str, count: int) -> None:
        pass

    def stop(self) -> None:
        if self._current is not None:
            spent = time.perf_counter() - self._since
            self.seconds[self._current] = round(self.seconds.get(self._current, 0.0) + spent, 3)
        self._current = None


def floor_seconds(bodies: list[bytes], repeats: int) -> dict[str, float]:
    """The best of ``repeats`` runs of ``json.loads`` (and msgspec, for reference)."""
    best = best_cpu = float("inf")
    for _ in range(repeats):
        started, cpu = time.perf_counter(), time.process_time()
        for body in bodies:
            json.loads(body)
        best = min(best, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    out = {"json_loads_s": round(best, 3), "json_loads_cpu_s": round(best_cpu, 3)}
    try:
        import msgspec

        decode = msgspec.json.decode
        started = time.perf_counter()
        for body in bodies:
            decode(body)
        out["msgspec_decode_s"] = round(time.perf_counter() - started, 3)
    except ImportError:
        pass
    return out


def run(students: int, seed: int, *, quick: bool, page_size: int,
        profile: Path | None = None, gc_mode: str = "on",
        experiments: list[str] | None = None) -> dict[str, Any]:
    from benchmarks.common import secret_env
    from rostersync_core.districts import generate_district
    from rostersync_core.platform.reference import ReferencePlatform
    from rostersync_core.plugins import PluginHost
    from rostersync_core.store import StateStore
    from rostersync_core.sync import run_sync

    timer = Timer()
    load_before = load_average()
    with timer.phase("generate"):
        district = one_school(generate_district(students, seed=seed))
    roster = next(iter(district.schools.values()))
    with timer.phase("render_pages"):
        pages = render_pages(district, [roster.school.sis_id], page_size=page_size)
    sizes = counts(district)
    del district
    gc.collect()

    with tempfile.TemporaryDirectory(prefix="rs-bench-pipeline-") as tmp:
        os.environ.update(secret_env(Path(tmp) / "home"))
        store = StateStore.open(f"sqlite:///{tmp}/state.db")
        try:
            platform = ReferencePlatform(store.engine)
            prepare_platform(platform)
            client = ReplayClient(pages)
            host = PluginHost(load_entry_points=False)
            host.register_connector(ReplayConnector(client, page_size=page_size))
            school_id = bind_school(store, host, platform, roster.school, REPLAY_CONFIG)
            client.served.clear()
            if experiments:
                from benchmarks.experiments import apply

                apply(experiments)
            gc.collect()
            rss_before = current_rss_mb()
            clock = PhaseClock()
            profiler = None
            if profile is not None:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.005)
                profiler.start()
            if gc_mode == "off":
                gc.disable()
            elif gc_mode == "freeze":
                gc.freeze()
            started, cpu = time.perf_counter(), time.process_time()
            job = run_sync(store, host, platform, school_id, progress=clock)
            seconds = time.perf_counter() - started
            cpu_seconds = time.process_time() - cpu
            gc.enable()
            clock.stop()
            if profiler is not None and profile is not None:
                profiler.stop()
                profile.write_text(profiler.output_html())
                profile.with_suffix(".txt").write_text(profiler.output_text(unicode=False))
            rss_after = current_rss_mb()
        finally:
            store.close()

    bodies = [pages[k][0] for k in client.served]
    records = sum(pages[k][2] for k in client.served)
    floor = floor_seconds(bodies, 1 if quick else 3)
    ratio = round(seconds / floor["json_loads_s"], 2) if floor["json_loads_s"] else None
    cpu_ratio = (
        round(cpu_seconds / floor["json_loads_cpu_s"], 2) if floor["json_loads_cpu_s"] else None
    )
    return {
        "benchmark": "pipeline",
        "students": students,
        "seed": seed,
        "page_size": page_size,
        "district": sizes,
        "pages": len(bodies),
        "page_bytes": sum(len(b) for b in bodies),
        "records": records,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "records_per_second": rate(records, seconds),
        "phases_s": clock.seconds,
        "floor": floor,
        "ratio_to_json_loads": ratio,
        "cpu_ratio_to_json_loads": cpu_ratio,
        "profiled": profile is not None,
        "gc": gc_mode,
        "experiments": experiments or [],
        "target_ratio": TARGET_RATIO,
        "target_met": ratio is not None and ratio <= TARGET_RATIO,
        "job": {"state": str(job.state), "changes": job.change_count},
        "missing_pages": client.missing[:5],
        "rss_before_sync_mb": rss_before,
        "rss_after_sync_mb": rss_after,
        "setup_s": timer.seconds,
        "load_average_before": load_before,
    }


def main(argv: list[str] | None = None) -> None:
    parser = base_parser(__doc__ or "")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--profile", type=Path, help="write a pyinstrument profile here")
    parser.add_argument("--gc", choices=("on", "off", "freeze"), default="on",
                        help="the cyclic collector during the sync (an experiment)")
    parser.add_argument("--experiment", action="append", default=[],
                        help="try a suggested change in this process (benchmarks/experiments.py)")
    args = parser.parse_args(argv)
    result = run(args.students, args.seed, quick=args.quick, page_size=args.page_size,
                 profile=args.profile, gc_mode=args.gc, experiments=args.experiment)
    finish(result, args.out)


if __name__ == "__main__":
    main()
