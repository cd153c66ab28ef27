"""``rostersync demo``: the whole cycle on a bundled sample district, on SQLite, offline.

:func:`run_demo` sets up a demo school on the reference platform, maps grades and subjects
(accepting the suggestions), runs a first sync and reviews it, approves and applies it,
runs a second sync that finds nothing to change, then reads a later SIS snapshot (new
students, a withdrawal, a teacher change) and shows exactly those changes.

The sample is the OneRoster CSV exchange bundled in ``rostersync_core/sample/`` read by the
``oneroster`` connector (a plugin, found by entry point). When that connector is not
installed, the demo says so and serves the same kind of generated district through the
core's in-memory test connector instead, so it runs with nothing else installed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
from rich.console import Console
from rich.table import Table

from rostersync_core.districts import GRADE_NAMES, SUBJECTS, evolve_district, generate_district
from rostersync_core.errors import UnknownConnectorError
from rostersync_core.mapping import accept_suggestions, fetch_values
from rostersync_core.model import RecordKind
from rostersync_core.platform.reference import ReferencePlatform
from rostersync_core.plugins import PluginHost
from rostersync_core.setup import setup_school
from rostersync_core.store import StateStore
from rostersync_core.sync import (
    KIND_LABELS,
    SyncJob,
    approve_job,
    get_request,
    iter_changes,
    run_sync,
)
from rostersync_core.sync.review import NameIndex, counts_line, summarise
from rostersync_core.testing.memory import MEMORY_TOKEN, MemoryConnector

__all__ = ["SAMPLE_DIR", "DemoResult", "run_demo", "sample_snapshots"]

#: Where the bundled sample district lives (OneRoster CSV folders, one per snapshot).
SAMPLE_DIR = Path(__file__).parent / "sample"
SCHOOL_ID = "demo-school"
DEMO_ACTOR = "demo admin"


@attrs.frozen
class DemoResult:
    """What the demo did: where its files are, which connector it used, its three jobs."""

    home: Path
    database_url: str
    connector: str
    jobs: tuple[SyncJob, ...]


def sample_snapshots(sample_dir: Path = SAMPLE_DIR) -> tuple[Path, Path] | None:
    """The first and the later snapshot of the bundled sample (folders holding
    ``users.csv``), in name order; ``None`` when the sample is not there."""
    if not sample_dir.is_dir():
        return None
    folders = sorted({p.parent for p in sample_dir.rglob("users.csv")})
    if len(folders) < 2:
        return None
    return folders[0], folders[-1]


@contextlib.contextmanager
def _demo_home(home: Path) -> Iterator[None]:
    """Keep the demo's credentials key inside its own folder, whatever the caller's setup."""
    saved = {k: os.environ.get(k) for k in ("ROSTERSYNC_HOME", "ROSTERSYNC_SECRET_KEY")}
    os.environ["ROSTERSYNC_HOME"] = str(home)
    os.environ.pop("ROSTERSYNC_SECRET_KEY", None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class _Sis:
    """The demo's SIS: the OneRoster sample on disk, or the in-memory fallback."""

    def __init__(self, home: Path, out: Console, prefer: str | None) -> None:
        self.host = PluginHost(load_entry_points=prefer != "memory")
        snapshots = sample_snapshots()
        has_oneroster = "oneroster" in self.host.connectors
        if prefer != "memory" and has_oneroster and snapshots is not None:
            self.connector = "oneroster"
            self.snapshots = snapshots
            self.folder = home / "sis"
            shutil.copytree(snapshots[0], self.folder)
            self.config: dict[str, Any] = {"source": "csv", "path": str(self.folder)}
            out.print(
                f"SIS: the bundled OneRoster CSV sample ({snapshots[0].name}), read by "
                "the oneroster connector",
                highlight=False,
            )
            return
        if prefer == "oneroster":
            raise UnknownConnectorError(
                "the demo needs the oneroster connector and the bundled sample",
                hint="pip install rostersync-oneroster",
            )
        if prefer != "memory":
            why = (
                "the oneroster connector is not installed (pip install rostersync-oneroster)"
                if not has_oneroster
                else "the bundled OneRoster sample is missing"
            )
            out.print(
                f"[yellow]note:[/] {why}; the demo serves a generated sample district "
                "from memory instead.",
                highlight=False,
            )
        self.connector = "memory"
        district = generate_district(students=60, seed=7, name="Maple Valley Unified")
        self.memory = MemoryConnector(district)
        self.later = evolve_district(
            district, seed=8, new_students=3, withdrawals=1, teacher_changes=1
        )
        self.host = PluginHost(load_entry_points=False)
        self.host.register_connector(self.memory)
        self.config = {"district": district.name, "token": MEMORY_TOKEN}
        out.print("SIS: a generated sample district, in memory", highlight=False)

    def next_snapshot(self) -> None:
        if self.connector == "memory":
            self.memory.district = self.later
            return
        shutil.rmtree(self.folder)
        shutil.copytree(self.snapshots[1], self.folder)


def run_demo(
    home: Path | None = None, *, out: Console | None = None, connector: str | None = None
) -> DemoResult:
    """Run the whole cycle in ``home`` (default: a new temporary folder); print as it goes.

    ``connector`` forces ``"oneroster"`` (the bundled sample) or ``"memory"``.
    """
    out = out or Console()
    home = home or Path(tempfile.mkdtemp(prefix="rostersync-demo-"))
    home.mkdir(parents=True, exist_ok=True)
    # A demo always starts afresh: forget what an earlier demo left in this folder.
    for leftover in home.glob("demo.db*"):
        leftover.unlink()
    shutil.rmtree(home / "sis", ignore_errors=True)
    url = f"sqlite:///{home / 'demo.db'}"
    with _demo_home(home):
        store = StateStore.open(url)
        try:
            used, jobs = _cycle(store, home, out, connector)
        finally:
            store.close()
    out.print()
    out.rule("Explore")
    out.print(f"Everything is in {home}. Try:", highlight=False)
    for command in (
        "sync list",
        f"sync show {jobs[-1].id}",
        "sync history",
        f"settings show {SCHOOL_ID}",
    ):
        out.print(f"  rostersync --db {url} {command}", highlight=False, soft_wrap=True)
    return DemoResult(home, url, used, tuple(jobs))


def _step(out: Console, number: int, title: str) -> None:
    out.print()
    out.rule(f"[bold]{number}. {title}")


def _cycle(
    store: StateStore, home: Path, out: Console, prefer: str | None
) -> tuple[str, list[SyncJob]]:
    platform = ReferencePlatform(store.engine)
    _step(out, 1, "Set up the school")
    sis = _Sis(home, out, prefer)
    platform.add_school(SCHOOL_ID, "Maple Valley Elementary")
    for position, (code, name) in enumerate(GRADE_NAMES.items()):
        platform.add_grade(f"grade-{code.lstrip('0') or '0'}", name, position)
    for name, _code in SUBJECTS:
        platform.add_subject(name.lower().replace(" ", "-"), name)
    schools = sis.host.connector(sis.connector).list_schools(
        sis.host.connector(sis.connector).authenticate(sis.config)
    )
    chosen = sorted(schools, key=lambda s: s.sis_id)[0]
    setup_school(store, sis.host, platform, SCHOOL_ID, sis.connector, sis.config, chosen.sis_id)
    out.print(
        f"Platform school {SCHOOL_ID!r} is bound to SIS school {chosen.name!r} "
        f"through the {sis.connector} connector; credentials verified and stored "
        "encrypted.",
        highlight=False,
    )

    _step(out, 2, "Map grades and subjects")
    targets = {g.id: g.name for g in platform.list_grades()}
    targets.update({s.id: s.name for s in platform.list_subjects()})
    for kind, label in ((RecordKind.GRADE, "grades"), (RecordKind.SUBJECT, "subjects")):
        report = fetch_values(store, sis.host, SCHOOL_ID, kind)
        accepted = accept_suggestions(store, platform, SCHOOL_ID, kind)
        examples = ", ".join(f"{k} -> {targets.get(v, v)}" for k, v in list(accepted.items())[:4])
        out.print(
            f"The SIS has {len(report.new)} {label}; accepted {len(accepted)} suggestions, "
            f"e.g. {examples}",
            highlight=False,
        )

    _step(out, 3, "First sync: a request to review")
    first = run_sync(store, sis.host, platform, SCHOOL_ID)
    _review(store, platform, out, first, per_kind=3)

    _step(out, 4, "Approve and apply it")
    first = approve_job(store, sis.host, platform, first.id, actor=DEMO_ACTOR)
    out.print(
        f"Job {first.id} is {first.state}: {first.applied_count} changes applied, "
        f"approved by {first.approved_by}.",
        highlight=False,
    )
    _platform_counts(platform, out)

    _step(out, 5, "Second sync: nothing changed in the SIS")
    second = run_sync(store, sis.host, platform, SCHOOL_ID)
    out.print(
        f"Job {second.id}: {second.change_count} changes "
        f"({counts_line(second.counts['students'])} students).",
        highlight=False,
    )
    second = approve_job(store, sis.host, platform, second.id, actor=DEMO_ACTOR)

    _step(out, 6, "A later SIS snapshot: new students, a withdrawal, a teacher change")
    sis.next_snapshot()
    third = run_sync(store, sis.host, platform, SCHOOL_ID)
    _review(store, platform, out, third, per_kind=0)
    third = approve_job(store, sis.host, platform, third.id, actor=DEMO_ACTOR)
    out.print(f"Approved and applied: job {third.id} is {third.state}.", highlight=False)
    return sis.connector, [first, second, third]


def _review(
    store: StateStore, platform: ReferencePlatform, out: Console, job: SyncJob, *, per_kind: int
) -> None:
    request = get_request(store, job.id)
    changes = list(iter_changes(store, job.id))
    names = NameIndex.build(platform, job.school_id, changes)
    out.print(f"Sync job {job.id} is {job.state}: {job.change_count} changes.", highlight=False)
    if job.reason:
        out.print(f"Held: {job.reason}", highlight=False)
    table = Table("kind", "what the request does")
    for label, counts in job.counts.items():
        table.add_row(label, counts_line(counts))
    out.print(table)
    for kind, label in KIND_LABELS.items():
        lines = summarise((c for c in changes if c.kind is kind), names)
        shown = lines[:per_kind] if per_kind else lines
        if not shown:
            continue
        out.print(f"[bold]{label}[/]")
        for line in shown:
            out.print(f"  - {line}", highlight=False)
        if len(lines) > len(shown):
            out.print(f"  ... and {len(lines) - len(shown)} more", highlight=False)
    for row in request.invalid:
        out.print(f"  invalid SIS row {row.sis_id}: {row.reason}", highlight=False)


def _platform_counts(platform: ReferencePlatform, out: Console) -> None:
    parts = []
    for kind, label in KIND_LABELS.items():
        records = platform.list_records(SCHOOL_ID, kind)
        parts.append(f"{sum(1 for r in records if not r.archived)} {label}")
    out.print("The platform now has " + ", ".join(parts) + ".", highlight=False)
