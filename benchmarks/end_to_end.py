"""Benchmark 2 — end to end over loopback: the OneRoster fake server in its own process,
the OneRoster connector, ``run_sync``, apply to the reference platform, re-syncs.

Steps, on one state database (SQLite or a fresh PostgreSQL database, dropped afterwards):

1. ``first_sync``: every school synced to a pending request;
2. ``apply``: every request approved and applied to the reference platform;
3. ``no_change_resync``: every school synced again — each request must be empty;
4. ``changed_resync``: the server publishes a later snapshot (~1% of students new or
   withdrawn, a few teacher changes) and every school is synced again.

``--shape one-school`` (default) merges the district into one SIS school (one sync moves
it all); ``--shape district`` keeps the generator's ~600-student schools, one sync each.

``python -m benchmarks.end_to_end --students 100000 --backend sqlite [--out r.json]``
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from benchmarks.common import ROOT, base_parser, current_rss_mb, finish, load_average, rate

TARGETS = {"first_sync_s": 120.0, "no_change_resync_s": 60.0, "peak_rss_mb": 2048.0}
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


class SisProcess:
    """The benchmark fake server in a child process, driven over its stdin/stdout."""

    def __init__(self, args: list[str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.fake_server", *args],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.config: dict[str, Any] = self._read()["config"]

    def _read(self) -> dict[str, Any]:
        out: IO[str] | None = self.proc.stdout
        assert out is not None
        line = out.readline()
        if not line:
            raise RuntimeError(f"the fake server exited ({self.proc.wait()})")
        data: dict[str, Any] = json.loads(line)
        return data

    def ask(self, command: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._read()

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write("quit\n")
                self.proc.stdin.close()
                self.proc.wait(timeout=15)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()


@contextmanager
def sis_server(args: list[str]) -> Iterator[SisProcess]:
    sis = SisProcess(args)
    try:
        yield sis
    finally:
        sis.stop()


@contextmanager
def database(backend: str, tmp: Path) -> Iterator[str]:
    """A state database URL: a SQLite file, or a fresh PostgreSQL database (dropped after)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'state.db'}"
        return
    import sqlalchemy as sa

    name = f"rs_bench_{os.getpid()}_{secrets.token_hex(4)}"
    admin = sa.create_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield f"{PG_SERVER}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def changes_for(students: int) -> tuple[int, int, int]:
    """(new students, withdrawals, teacher changes) for a ~1% change."""
    return max(1, students // 200), max(1, students // 200), max(1, students // 1000)


def run(students: int, seed: int, *, backend: str, shape: str, page_size: int,
        quick: bool, profile: Path | None = None, apply_batch: int | None = None
        ) -> dict[str, Any]:
    from benchmarks.common import secret_env
    from benchmarks.roster import bind_school, prepare_platform
    from rostersync_core.platform.reference import ReferencePlatform
    from rostersync_core.plugins import PluginHost
    from rostersync_core.store import StateStore
    from rostersync_core.sync import DEFAULT_BATCH_SIZE, approve_job, run_sync
    from rostersync_oneroster.connector import plugin as oneroster

    result: dict[str, Any] = {
        "benchmark": "end_to_end", "students": students, "seed": seed, "backend": backend,
        "shape": shape, "page_size": page_size, "steps": {},
        "load_average_before": load_average(),
    }
    steps: dict[str, Any] = result["steps"]
    server_args = ["--students", str(students), "--seed", str(seed)]
    if shape == "one-school":
        server_args.append("--one-school")
    started = time.perf_counter()
    with sis_server(server_args) as sis, tempfile.TemporaryDirectory(prefix="rs-bench-") as tmp:
        result["server_start_s"] = round(time.perf_counter() - started, 1)
        config = {**sis.config, "page_size": page_size}
        os.environ.update(secret_env(Path(tmp) / "home"))
        with database(backend, Path(tmp)) as url:
            store = StateStore.open(url)
            try:
                platform = ReferencePlatform(store.engine)
                prepare_platform(platform)
                host = PluginHost(load_entry_points=False)
                host.register_connector(oneroster)
                connector = host.connector("oneroster")
                schools = connector.list_schools(connector.authenticate(config))
                school_ids = [bind_school(store, host, platform, s, config) for s in schools]
                result["schools"] = len(school_ids)
                last_cpu = [sis.ask("stats").get("cpu_s", 0.0)]

                def step(name: str, work: Any) -> list[Any]:
                    load = load_average()
                    profiler = None
                    if profile is not None:
                        from pyinstrument import Profiler

                        profiler = Profiler(interval=0.01)
                        profiler.start()
                    began, cpu = time.perf_counter(), time.process_time()
                    out = [work(school_id) for school_id in school_ids]
                    seconds = time.perf_counter() - began
                    cpu_seconds = time.process_time() - cpu
                    if profiler is not None and profile is not None:
                        profiler.stop()
                        profile.mkdir(parents=True, exist_ok=True)
                        (profile / f"{backend}-{name}.txt").write_text(
                            profiler.output_text(unicode=False)
                        )
                    stats = sis.ask("stats")
                    server_cpu = stats.get("cpu_s", 0.0) - last_cpu[0]
                    last_cpu[0] = stats.get("cpu_s", 0.0)
                    steps[name] = {
                        "server_cpu_seconds": round(server_cpu, 2),
                        "seconds": round(seconds, 2),
                        "client_cpu_seconds": round(cpu_seconds, 2),
                        "requests": stats["requests"],
                        "records": stats["records"],
                        "records_per_second": rate(stats["records"], seconds),
                        "rss_mb_after": current_rss_mb(),
                        "load_average": load,
                    }
                    return out

                def sync(school_id: str) -> Any:
                    return run_sync(store, host, platform, school_id)

                jobs = step("first_sync", sync)
                steps["first_sync"]["changes"] = sum(j.change_count for j in jobs)
                steps["first_sync"]["states"] = sorted({str(j.state) for j in jobs})
                result["apply_batch_size"] = apply_batch or DEFAULT_BATCH_SIZE
                applied = step(
                    "apply", lambda sid: approve_job(
                        store, host, platform, jobs[school_ids.index(sid)].id, actor="bench",
                        batch_size=apply_batch or DEFAULT_BATCH_SIZE,
                    )
                )
                steps["apply"]["changes"] = sum(j.applied_count for j in applied)
                steps["apply"]["records_per_second"] = rate(
                    steps["apply"]["changes"], steps["apply"]["seconds"]
                )
                steps["apply"]["states"] = sorted({str(j.state) for j in applied})
                again = step("no_change_resync", sync)
                changed = sum(j.change_count for j in again)
                steps["no_change_resync"]["changes"] = changed
                steps["no_change_resync"]["empty_request"] = changed == 0
                if changed:
                    steps["no_change_resync"]["counts"] = [
                        j.counts for j in again if j.change_count
                    ]
                if not quick:
                    new, withdrawn, teachers = changes_for(students)
                    began = time.perf_counter()
                    sis.ask(f"publish {new} {withdrawn} {teachers} {seed + 1}")
                    result["publish_s"] = round(time.perf_counter() - began, 1)
                    last_cpu[0] = sis.ask("stats").get("cpu_s", 0.0)  # publishing is not a sync
                    later = step("changed_resync", sync)
                    steps["changed_resync"]["changes"] = sum(j.change_count for j in later)
                    steps["changed_resync"]["snapshot"] = {
                        "new_students": new, "withdrawals": withdrawn, "teacher_changes": teachers,
                    }
                    steps["changed_resync"]["states"] = sorted({str(j.state) for j in later})
            finally:
                store.close()
    first = steps["first_sync"]["seconds"]
    no_change = steps["no_change_resync"]["seconds"]
    result["targets"] = TARGETS
    result["targets_met"] = {
        "first_sync_s": first < TARGETS["first_sync_s"],
        "no_change_resync_s": no_change < TARGETS["no_change_resync_s"],
        "no_change_is_empty": steps["no_change_resync"]["empty_request"],
    }
    return result


def main(argv: list[str] | None = None) -> None:
    parser = base_parser(__doc__ or "")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--shape", choices=("one-school", "district"), default="one-school")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--profile", type=Path, help="a folder for one profile per step")
    parser.add_argument("--apply-batch", type=int, help="apply's batch size (an experiment)")
    args = parser.parse_args(argv)
    result = run(args.students, args.seed, backend=args.backend, shape=args.shape,
                 page_size=args.page_size, quick=args.quick, profile=args.profile,
                 apply_batch=args.apply_batch)
    result["profiled"] = args.profile is not None
    finish(result, args.out)
    peak = result["peak_rss_mb"]
    result["targets_met"]["peak_rss_mb"] = peak < TARGETS["peak_rss_mb"]
    if args.out is not None:
        args.out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    if not result["targets_met"]["no_change_is_empty"]:
        print("the no-change re-sync produced a non-empty request", file=sys.stderr)


if __name__ == "__main__":
    main()
