"""What every benchmark shares: peak memory, the machine, timing and result files.

Each benchmark is a module with ``main(argv)`` that runs in a fresh process (so its peak
RSS is its own), writes one JSON object to ``--out`` and exits.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mb() -> float:
    """This process's peak resident memory (``VmHWM``), in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def current_rss_mb() -> float:
    """This process's resident memory now (``VmRSS``), in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages (other engineers share the machine)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def git_commit(before: str | None = None) -> str:
    """The short commit of HEAD (or of the last commit before the ISO time ``before``)."""
    command = ["git", "rev-parse", "--short", "HEAD"]
    if before is not None:
        command = ["git", "log", "-1", "--format=%h", f"--before={before}"]
    try:
        out = subprocess.run(
            command,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def dirty_files() -> list[str]:
    """Measured files changed in the working tree since the commit (others' work in
    progress is measured too: the commit alone does not say what ran)."""
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--",
             "rostersync_core", "rostersync_oneroster"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return []
    return sorted(line[3:] for line in out.stdout.splitlines() if line.strip())


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


class Timer:
    """Named wall-clock phases: ``with timer.phase("diff"): ...``; ``timer.seconds``."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(
                self.seconds.get(name, 0.0) + time.perf_counter() - started, 3
            )


def rate(count: float, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0


_STARTED: dict[str, Any] = {}


def base_parser(description: str) -> argparse.ArgumentParser:
    # the code a benchmark measures is the code loaded when it starts
    _STARTED.update(commit=git_commit(), uncommitted_changes=dirty_files())
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="fewer repeats and steps")
    parser.add_argument("--out", type=Path, help="write the JSON result here")
    return parser


def finish(result: dict[str, Any], out: Path | None) -> None:
    """Add the process's peak RSS and the load average, then write or print the result."""
    result["peak_rss_mb"] = peak_rss_mb()
    result["load_average_after"] = load_average()
    result.setdefault("commit", _STARTED.get("commit") or git_commit())
    result.setdefault("uncommitted_changes", _STARTED.get("uncommitted_changes", dirty_files()))
    result.setdefault("measured_at", dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    text = json.dumps(result, indent=2, sort_keys=True)
    if out is not None:
        out.write_text(text + "\n")
    else:
        sys.stdout.write(text + "\n")


def secret_env(home: Path) -> dict[str, str]:
    """Environment for a private ``ROSTERSYNC_HOME`` with a fresh credentials key."""
    from cryptography.fernet import Fernet

    home.mkdir(parents=True, exist_ok=True)
    return {"ROSTERSYNC_HOME": str(home), "ROSTERSYNC_SECRET_KEY": Fernet.generate_key().decode()}
