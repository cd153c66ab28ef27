"""CLI commands: ``rostersync sync run|list|show|approve|apply|reject|delete|revert|history``.

A thin layer over :mod:`rostersync_core.sync` on the reference platform.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice
from typing import Any

import click
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from rostersync_core.cli.common import AppContext, console, emit_json, json_option, pass_app
from rostersync_core.events import JobState
from rostersync_core.platform.reference import ReferencePlatform
from rostersync_core.store import StateStore
from rostersync_core.sync import (
    KIND_LABELS,
    SyncJob,
    apply_job,
    approve_job,
    delete_job,
    get_request,
    iter_changes,
    job_history,
    kind_from_label,
    list_jobs,
    reject_job,
    revert_job,
    run_sync,
)
from rostersync_core.sync.diff import ENTITY_KINDS
from rostersync_core.sync.jobs import exclusions_to_json
from rostersync_core.sync.review import NameIndex, change_to_json, counts_line, describe_change

__all__ = ["COMMANDS", "open_state", "print_job"]


@contextmanager
def open_state(app: AppContext) -> Iterator[tuple[StateStore, ReferencePlatform]]:
    """The state store and the reference platform on the app's database."""
    store = StateStore.open(app.database_url)
    try:
        yield store, ReferencePlatform(store.engine)
    finally:
        store.close()


class _Bars:
    """Rich progress bars for :func:`run_sync`."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.phase_task = progress.add_task("starting", total=None)
        self.tasks: dict[str, Any] = {}

    def phase(self, name: str) -> None:
        self.progress.update(self.phase_task, description=name)

    def advance(self, what: str, count: int) -> None:
        if what not in self.tasks:
            self.tasks[what] = self.progress.add_task(f"  {what}", total=None)
        self.progress.advance(self.tasks[what], count)


def _job_json(job: SyncJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "school_id": job.school_id,
        "state": str(job.state),
        "trigger": job.trigger,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "counts": job.counts,
        "changes": job.change_count,
        "applied": job.applied_count,
        "reason": job.reason,
        "error_kind": job.error_kind,
        "approved_by": job.approved_by,
        "approved_at": job.approved_at.isoformat() if job.approved_at else None,
        "rejected_by": job.rejected_by,
        "rejected_at": job.rejected_at.isoformat() if job.rejected_at else None,
        "reverted_by": job.reverted_by,
        "reverted_at": job.reverted_at.isoformat() if job.reverted_at else None,
    }


_STATE_STYLE = {
    JobState.PENDING_REVIEW: "yellow",
    JobState.HELD: "bold magenta",
    JobState.COMPLETED: "green",
    JobState.FAILED: "bold red",
    JobState.REJECTED: "dim",
}


def print_job(job: SyncJob) -> None:
    """A job's state and counts per kind, for people."""
    style = _STATE_STYLE.get(job.state, "")
    console.print(
        f"sync job {job.id} for {job.school_id}: [{style}]{job.state}[/]", highlight=False
    )
    if job.reason:
        label = "held because" if job.held else "reason"
        console.print(f"  {label}: {job.reason}", highlight=False)
    for label, counts in job.counts.items():
        console.print(f"  {label:<13} {counts_line(counts)}", highlight=False)


def _show(job: SyncJob, as_json: bool) -> None:
    if as_json:
        emit_json(_job_json(job))
    else:
        print_job(job)


def _actor(by: str | None) -> str:
    return by or getpass.getuser()


@click.group("sync")
def sync_group() -> None:
    """Run syncs and review, approve, apply, reject, delete or revert their requests."""


@sync_group.command("run")
@click.argument("school")
@click.option(
    "--schedule",
    "scheduled",
    is_flag=True,
    help="Run as a scheduled sync (auto-applies when the settings allow it).",
)
@json_option
@pass_app
def run_cmd(app: AppContext, school: str, scheduled: bool, as_json: bool) -> None:
    """Fetch SCHOOL's SIS feed and make a sync request for review."""
    trigger = "schedule" if scheduled else "manual"
    with open_state(app) as (store, platform):
        if as_json or not sys.stderr.isatty():
            job = run_sync(
                store, app.host, platform, school, trigger=trigger, raise_errors=not as_json
            )
        else:
            columns = (
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed:,.0f}"),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=console, transient=True) as progress:
                job = run_sync(
                    store, app.host, platform, school, trigger=trigger, progress=_Bars(progress)
                )
    if as_json:
        emit_json(
            {
                "job": job.id,
                "state": str(job.state),
                "counts": job.counts,
                "reason": job.reason,
                "error_kind": job.error_kind,
            }
        )
        if job.failed:
            sys.exit(1)
        return
    print_job(job)
    if job.state in (JobState.PENDING_REVIEW, JobState.HELD):
        console.print(f"review it: rostersync sync show {job.id}", highlight=False)


@sync_group.command("list")
@click.argument("school", required=False)
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice([s.value for s in JobState]),
    help="Only jobs in this state (repeatable).",
)
@click.option("--limit", default=50, show_default=True, help="At most this many jobs.")
@json_option
@pass_app
def list_cmd(
    app: AppContext, school: str | None, states: tuple[str, ...], limit: int, as_json: bool
) -> None:
    """List sync jobs, newest first (of SCHOOL, or of every school)."""
    with open_state(app) as (store, _):
        jobs = list_jobs(store, school, states={JobState(s) for s in states} or None, limit=limit)
    if as_json:
        emit_json([_job_json(j) for j in jobs])
        return
    table = Table("job", "school", "state", "created", "changes", "by / reason")
    for column in table.columns[:3]:
        column.no_wrap = True
    for job in jobs:
        by = job.approved_by or job.rejected_by or job.reverted_by
        note = " - ".join(x for x in (by, job.reason[:80]) if x)
        table.add_row(
            str(job.id),
            job.school_id,
            str(job.state),
            job.created_at.strftime("%m-%d %H:%M"),
            str(job.change_count),
            note,
        )
    console.print(table)


@sync_group.command("history")
@click.argument("school", required=False)
@click.option("--limit", default=50, show_default=True)
@json_option
@pass_app
def history_cmd(app: AppContext, school: str | None, limit: int, as_json: bool) -> None:
    """Every job with its state changes: when, who, why."""
    with open_state(app) as (store, _):
        jobs = list_jobs(store, school, limit=limit)
        entries = {job.id: job_history(store, job.id) for job in jobs}
    if as_json:
        emit_json(
            [
                {
                    **_job_json(j),
                    "history": [
                        {
                            "at": e.at.isoformat(),
                            "state": str(e.state),
                            "previous_state": str(e.previous_state) if e.previous_state else None,
                            "actor": e.actor,
                            "reason": e.reason,
                        }
                        for e in entries[j.id]
                    ],
                }
                for j in jobs
            ]
        )
        return
    for job in jobs:
        print_job(job)
        for e in entries[job.id]:
            why = f" - {e.reason}" if e.reason else ""
            console.print(
                f"    {e.at:%Y-%m-%d %H:%M:%S} {e.state} by {e.actor or '-'}{why}", highlight=False
            )


@sync_group.command("show")
@click.argument("job_id", type=int)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(list(KIND_LABELS.values())),
    help="Only this kind (repeatable).",
)
@click.option("--limit", default=25, show_default=True, help="Changes shown per kind (0: all).")
@json_option
@pass_app
def show_cmd(
    app: AppContext, job_id: int, kinds: tuple[str, ...], limit: int, as_json: bool
) -> None:
    """Review one sync request per kind: counts, changes and field diffs."""
    wanted = [kind_from_label(k) for k in kinds] or list(KIND_LABELS)
    shown = None if as_json or limit <= 0 else limit
    with open_state(app) as (store, platform):
        request = get_request(store, job_id)
        # Names of classes and people (new ones included) for the enrolment lines; only
        # the changes shown are read for the other kinds.
        entities = [c for k in ENTITY_KINDS for c in iter_changes(store, job_id, kind=k)]
        names = NameIndex.build(platform, request.job.school_id, entities)
        by_kind = {k: list(islice(iter_changes(store, job_id, kind=k), shown)) for k in wanted}
        history = job_history(store, job_id)
    changes = [c for k in wanted for c in by_kind[k]]
    job = request.job
    if as_json:
        emit_json(
            {
                "job": _job_json(job),
                "hold_reasons": list(request.hold_reasons),
                "settings": request.settings.to_json(),
                "grade_mappings": dict(request.grade_mappings),
                "subject_mappings": dict(request.subject_mappings),
                "exclusions": exclusions_to_json(request.exclusions),
                "invalid": request.invalid,
                "ambiguous": request.ambiguous,
                "notes": list(request.notes),
                "changes": {
                    KIND_LABELS[k]: [change_to_json(c, names) for c in changes if c.kind is k]
                    for k in wanted
                },
                "history": [
                    {
                        "at": e.at.isoformat(),
                        "state": str(e.state),
                        "actor": e.actor,
                        "reason": e.reason,
                    }
                    for e in history
                ],
            }
        )
        return
    print_job(job)
    for kind in wanted:
        of_kind = by_kind[kind]
        if not of_kind:
            continue
        label = KIND_LABELS[kind]
        table = Table(
            "action",
            "SIS id",
            "change",
            title=f"{label}: {counts_line(job.counts.get(label, {}))}",
            title_justify="left",
        )
        for change in of_kind:
            table.add_row(str(change.action), change.sis_id, describe_change(change, names))
        counts = job.counts.get(label, {})
        total = sum(counts.get(a, 0) for a in ("create", "update", "archive", "restore", "link"))
        if total > len(of_kind):
            table.add_row("...", "", f"{total - len(of_kind)} more (--limit 0 shows all)")
        console.print(table)
    for row in request.invalid:
        console.print(
            f"  invalid SIS row ({row.kind} {row.sis_id or '?'}): {row.reason} "
            "- counted as unknown, never archived",
            highlight=False,
        )
    for amb in request.ambiguous:
        console.print(
            f"  ambiguous {amb.kind} {amb.sis_id}: {amb.reason} - not created; "
            "link it with `rostersync match link`",
            highlight=False,
        )
    for note in request.notes:
        console.print(f"  note: {note}", highlight=False)


@sync_group.command("approve")
@click.argument("job_id", type=int)
@click.option("--by", help="Who approves (default: your user name).")
@click.option("--no-apply", is_flag=True, help="Approve only; apply later with `sync apply`.")
@click.option("--batch-size", default=500, show_default=True, hidden=True)
@json_option
@pass_app
def approve_cmd(
    app: AppContext, job_id: int, by: str | None, no_apply: bool, batch_size: int, as_json: bool
) -> None:
    """Approve a pending or held request and apply it to the platform."""
    with open_state(app) as (store, platform):
        job = approve_job(
            store,
            app.host,
            platform,
            job_id,
            actor=_actor(by),
            apply=not no_apply,
            batch_size=batch_size,
        )
    _show(job, as_json)


@sync_group.command("apply")
@click.argument("job_id", type=int)
@click.option("--by", help="Who applies (default: your user name).")
@click.option("--batch-size", default=500, show_default=True, hidden=True)
@json_option
@pass_app
def apply_cmd(app: AppContext, job_id: int, by: str | None, batch_size: int, as_json: bool) -> None:
    """Apply an approved job, or finish one whose apply was interrupted."""
    with open_state(app) as (store, platform):
        job = apply_job(store, app.host, platform, job_id, actor=_actor(by), batch_size=batch_size)
    _show(job, as_json)


@sync_group.command("reject")
@click.argument("job_id", type=int)
@click.option("--by", help="Who rejects (default: your user name).")
@click.option("--reason", default="", help="Why (kept in the history).")
@json_option
@pass_app
def reject_cmd(app: AppContext, job_id: int, by: str | None, reason: str, as_json: bool) -> None:
    """Reject a pending or held request: nothing is applied."""
    with open_state(app) as (store, _):
        job = reject_job(store, app.host, job_id, actor=_actor(by), reason=reason)
    _show(job, as_json)


@sync_group.command("delete")
@click.argument("job_id", type=int)
@pass_app
def delete_cmd(app: AppContext, job_id: int) -> None:
    """Delete a rejected or failed job."""
    with open_state(app) as (store, _):
        delete_job(store, job_id)
    console.print(f"sync job {job_id} deleted")


@sync_group.command("revert")
@click.argument("job_id", type=int)
@click.option("--by", help="Who reverts (default: your user name).")
@json_option
@pass_app
def revert_cmd(app: AppContext, job_id: int, by: str | None, as_json: bool) -> None:
    """Undo a completed job: write back every change's before-values."""
    with open_state(app) as (store, platform):
        job = revert_job(store, app.host, platform, job_id, actor=_actor(by))
    _show(job, as_json)


COMMANDS: list[click.Command] = [sync_group]
