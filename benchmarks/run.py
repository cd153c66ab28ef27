"""Run the benchmarks, each in a fresh process, and write the results.

::

    .venv/bin/python -m benchmarks.run                 # everything (tens of minutes)
    .venv/bin/python benchmarks/run.py --quick         # the same, as a script
    .venv/bin/python -m benchmarks.run --quick         # small sizes, a minute or two
    .venv/bin/python -m benchmarks.run --students 20000 --only pipeline
    .venv/bin/python -m benchmarks.run --add pipeline/100000 /tmp/p.json   # merge, run nothing

Writes ``benchmarks/results/latest.json`` (merged: a run of some benchmarks keeps the
others' last results) and the results table in ``docs/performance.md`` between its
``<!-- results -->`` markers, each row with the machine, date, commit and load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, git_commit, load_average, machine

RESULTS = ROOT / "benchmarks" / "results" / "latest.json"
DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"
BENCHMARKS = ("pipeline", "end_to_end", "fetch_concurrency")


def plan(args: argparse.Namespace) -> list[tuple[str, str, list[str]]]:
    """(result name, module, arguments) of every run asked for."""
    runs: list[tuple[str, str, list[str]]] = []
    quick = ["--quick"] if args.quick else []
    if args.students:
        sizes = [args.students]
    elif args.quick:
        sizes = [2_000]
    else:
        sizes = [10_000, 100_000]
    only = set(args.only or BENCHMARKS)
    if "pipeline" in only:
        for n in sizes:
            runs.append((f"pipeline/{n}", "benchmarks.pipeline", ["--students", str(n), *quick]))
    if "end_to_end" in only:
        backends = ["sqlite"] if args.skip_postgres else ["sqlite", "postgresql"]
        big = sizes[-1]
        for backend in backends:
            runs.append((
                f"end_to_end/{backend}/one-school/{big}",
                "benchmarks.end_to_end",
                ["--students", str(big), "--backend", backend, *quick],
            ))
        # The district in its real shape (one sync per ~600-student school): measurable at
        # full size since the OneRoster connector shares one users read across schools.
        runs.append((
            f"end_to_end/sqlite/district/{big}",
            "benchmarks.end_to_end",
            ["--students", str(big), "--backend", "sqlite", "--shape", "district", *quick],
        ))
    if "fetch_concurrency" in only:
        n = min(sizes[0], 5_000)
        runs.append((f"fetch_concurrency/{n}", "benchmarks.fetch_concurrency",
                     ["--students", str(n)]))
    return runs


def run_one(module: str, arguments: list[str]) -> dict[str, Any]:
    """Run one benchmark in a fresh interpreter (its own peak RSS); its JSON result."""
    with tempfile.TemporaryDirectory(prefix="rs-bench-run-") as tmp:
        out = Path(tmp) / "result.json"
        proc = subprocess.run(
            [sys.executable, "-m", module, *arguments, "--out", str(out)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0 or not out.exists():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-12:]
            return {"error": f"exit {proc.returncode}", "stderr_tail": tail}
        result: dict[str, Any] = json.loads(out.read_text())
        return result


def _duration(result: dict[str, Any]) -> float:
    """About how long a benchmark ran (its code was loaded when it started)."""
    parts = [result.get("seconds", 0.0), result.get("server_start_s", 0.0),
             result.get("publish_s", 0.0), *(result.get("setup_s") or {}).values()]
    parts += [s.get("seconds", 0.0) for s in (result.get("steps") or {}).values()]
    parts += [s.get("seconds", 0.0) for s in (result.get("runs") or {}).values()]
    return float(sum(parts)) + 30.0


def _fmt(value: Any, spec: str = "") -> str:
    if value is None or value == "":
        return "—"
    return format(value, spec) if spec else str(value)


def table(results: dict[str, Any]) -> str:
    """The Markdown results table."""
    lines = [
        "| benchmark | seconds | CPU s | records/s | peak RSS MB | vs target | load avg (1m) | "
        "date (UTC) | commit |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: | --- | --- |",
    ]
    for name, r in sorted(results.items()):
        when, commit = r.get("measured_at", "")[:16], r.get("commit", "")
        if r.get("uncommitted_changes"):
            commit += "+"
        load = (r.get("load_average_before") or [None])[0]
        rss = r.get("peak_rss_mb")
        if "error" in r:
            lines.append(f"| {name} | failed: {r['error']} | | | | | | {when} | {commit} |")
            continue
        if r.get("benchmark") == "pipeline":
            verdict = (f"{r['ratio_to_json_loads']}x json.loads wall, "
                       f"{r['cpu_ratio_to_json_loads']}x CPU (target ≤ {r['target_ratio']}x)")
            lines.append(
                f"| {name} | {r['seconds']} | {r.get('cpu_seconds', '—')} | "
                f"{_fmt(r['records_per_second'], ',.0f')} | "
                f"{rss} | {verdict} | {load} | {when} | {commit} |"
            )
        elif r.get("benchmark") == "end_to_end":
            for step, s in r["steps"].items():
                verdict = ""
                if step == "first_sync":
                    verdict = f"target < {r['targets']['first_sync_s']:.0f} s"
                elif step == "no_change_resync":
                    verdict = (f"target < {r['targets']['no_change_resync_s']:.0f} s; "
                               f"empty request: {s['empty_request']}")
                elif step in ("apply", "changed_resync"):
                    verdict = f"{s.get('changes', 0):,} changes"
                cpu = f"{s.get('client_cpu_seconds', '—')}"
                if "server_cpu_seconds" in s:
                    cpu += f" + {s['server_cpu_seconds']} server"
                lines.append(
                    f"| {name} {step} | {s['seconds']} | {cpu} | "
                    f"{_fmt(s['records_per_second'], ',.0f')} "
                    f"| {rss} | {verdict} | {(s.get('load_average') or [None])[0]} | "
                    f"{when} | {commit} |"
                )
        elif r.get("benchmark") == "fetch_concurrency":
            for run, s in r["runs"].items():
                if s["factor_of_limit"] is None:
                    verdict = (f"{s['requests']} requests with no delay: "
                               f"{r.get('overhead_per_request_ms')} ms each")
                else:
                    verdict = (f"{s['requests']} requests, limit {s['limit_s']} s, "
                               f"{s['factor_of_limit']}x of it (target ≤ {r['target_factor']}x)")
                lines.append(
                    f"| {name} {run} | {s['seconds']} | — | {_fmt(s['records'])} records | {rss} | "
                    f"{verdict} | "
                    f"{(s.get('load_average') or [None])[0]} | {when} | {commit} |"
                )
    return "\n".join(lines)


def write_doc(doc: Path, data: dict[str, Any]) -> None:
    m = data["machine"]
    block = "\n".join([
        START,
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, Python {m['python']}, "
        f"{m['system']}. Written {data['written_at'][:16]} UTC at commit {data['commit']}. "
        "A `+` after a commit: the measured packages had uncommitted changes (listed in "
        "`benchmarks/results/latest.json`).",
        "",
        table(data["results"]),
        END,
    ])
    text = doc.read_text() if doc.exists() else f"# Performance\n\n{START}\n{END}\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    doc.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, fewer steps")
    parser.add_argument("--students", type=int, help="one size for every benchmark")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--doc", type=Path, default=DOC)
    parser.add_argument("--no-doc", action="store_true", help="do not touch the doc")
    parser.add_argument("--fresh", action="store_true", help="drop earlier results")
    parser.add_argument("--add", nargs=2, action="append", metavar=("NAME", "RESULT_JSON"),
                        default=[], help="merge a result a benchmark module wrote directly")
    args = parser.parse_args(argv)

    data: dict[str, Any] = {"results": {}}
    if args.results.exists() and not args.fresh:
        data = json.loads(args.results.read_text())
    commit = git_commit()
    ours: dict[str, Any] = {}
    for name, path in args.add:
        added: dict[str, Any] = json.loads(Path(path).read_text())
        if "measured_at" not in added:
            stamp = dt.datetime.fromtimestamp(Path(path).stat().st_mtime, dt.UTC)
            added["measured_at"] = stamp.isoformat(timespec="seconds")
            began = stamp - dt.timedelta(seconds=_duration(added))
            added["commit"] = git_commit(before=began.isoformat(timespec="seconds"))
            added["uncommitted_changes"] = ["not recorded"]
        data["results"][name] = ours[name] = added
    for name, module, arguments in ([] if args.add else plan(args)):
        print(f"{name}: running (load average {load_average()})", flush=True)
        result = run_one(module, arguments)
        result.setdefault("measured_at", dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        result.setdefault("commit", commit)
        data["results"][name] = ours[name] = result
        parts = result.get("steps") or result.get("runs") or {}
        summary = result.get("error") or result.get("seconds") or {
            k: v.get("seconds") for k, v in parts.items()
        }
        print(f"{name}: {summary}; peak RSS {result.get('peak_rss_mb')} MB", flush=True)
    if args.results.exists() and not args.fresh:
        # another run may have written meanwhile: keep its results, ours win on a clash
        latest = json.loads(args.results.read_text()).get("results", {})
        data["results"] = {**data["results"], **latest, **ours}
    data["machine"] = machine()
    data["commit"] = commit
    data["written_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    if not args.no_doc:
        write_doc(args.doc, data)
    failed = [n for n, r in data["results"].items() if "error" in r]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
