"""CLI commands: ``rostersync schedule enable|disable|show|runs``, ``rostersync scheduler
run`` and ``rostersync notify test``.

A thin layer over :mod:`rostersync_core.schedule` and :mod:`rostersync_core.notify`.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import click
from rich.table import Table

from rostersync_core.cli.common import AppContext, console, emit_json, json_option, pass_app
from rostersync_core.errors import ConfigError
from rostersync_core.notify import EmailNotifier, smtp_settings_from_env
from rostersync_core.notify.notifier import ensure_email_notifier
from rostersync_core.schedule import (
    EmbeddedScheduler,
    ScheduledRun,
    SyncSchedule,
    disable_schedule,
    enable_schedule,
    get_schedule,
    list_scheduled_runs,
    list_schedules,
    load_host,
    load_platform,
    sync_admins,
)
from rostersync_core.store import StateStore

__all__ = ["COMMANDS"]


@contextmanager
def _store(app: AppContext) -> Iterator[StateStore]:
    store = StateStore.open(app.database_url)
    try:
        yield store
    finally:
        store.close()


def _print_schedule(found: SyncSchedule) -> None:
    state = "[green]on[/]" if found.enabled else "[yellow]off[/]"
    console.print(f"daily sync of {found.school_id}: {state}, at {found.at_text} "
                  f"{found.timezone}", highlight=False)
    local = found.next_run_local()
    if local is not None and found.next_run_at is not None:
        console.print(f"  next run: {local:%a %d %b %Y %H:%M %Z} "
                      f"({found.next_run_at:%Y-%m-%d %H:%M} UTC)", highlight=False)
    admins = ", ".join(found.admins) or "none (nobody is e-mailed)"
    console.print(f"  sync administrators: {admins}", highlight=False)


def _print_run(run: ScheduledRun) -> None:
    job = f"job {run.job_id}" if run.job_id is not None else "no job"
    line = f"{run.started_at:%Y-%m-%d %H:%M} UTC  {run.school_id}: {run.outcome} ({job})"
    console.print(line + (f" - {run.message}" if run.message else ""), highlight=False)


@click.group("schedule")
def schedule_group() -> None:
    """Turn a school's daily sync on or off, choose its time and sync administrators."""


@schedule_group.command("enable")
@click.argument("school")
@click.option("--at", "at", metavar="HH:MM", help="Time of day, on the school's clock.")
@click.option("--tz", "tz", metavar="Area/City",
              help="The school's IANA time zone (default: the platform's for the school).")
@click.option("--admin", "admins", multiple=True, metavar="EMAIL",
              help="A sync administrator to e-mail (repeat; replaces the list).")
@click.option("--no-admins", is_flag=True, help="E-mail nobody (forget the administrators).")
@json_option
@pass_app
def enable_cmd(app: AppContext, school: str, at: str | None, tz: str | None,
               admins: tuple[str, ...], no_admins: bool, as_json: bool) -> None:
    """Turn on SCHOOL's daily sync (time, zone and admins kept from before when left out)."""
    chosen: tuple[str, ...] | None = () if no_admins else (admins or None)
    with _store(app) as store:
        if tz is None and get_schedule(store, school) is None:
            platform_school = load_platform(store).get_school(school)
            tz = platform_school.timezone if platform_school is not None else None
        found = enable_schedule(store, school, at=at, timezone=tz, admins=chosen)
    if as_json:
        emit_json(found.to_json())
        return
    _print_schedule(found)


@schedule_group.command("disable")
@click.argument("school")
@json_option
@pass_app
def disable_cmd(app: AppContext, school: str, as_json: bool) -> None:
    """Turn off SCHOOL's daily sync (its time and administrators are kept)."""
    with _store(app) as store:
        found = disable_schedule(store, school)
    if as_json:
        emit_json(found.to_json())
        return
    _print_schedule(found)


@schedule_group.command("show")
@click.argument("school", required=False)
@json_option
@pass_app
def show_cmd(app: AppContext, school: str | None, as_json: bool) -> None:
    """Show SCHOOL's daily sync and its latest runs (every school's without SCHOOL)."""
    with _store(app) as store:
        if school is None:
            schedules = list_schedules(store)
            if as_json:
                emit_json([s.to_json() for s in schedules])
                return
            table = Table("school", "on", "at", "time zone", "next run (local)", "admins")
            for s in schedules:
                local = s.next_run_local()
                table.add_row(s.school_id, "yes" if s.enabled else "no", s.at_text, s.timezone,
                              f"{local:%Y-%m-%d %H:%M %Z}" if local else "-",
                              str(len(s.admins)))
            console.print(table if schedules else "no school has a daily sync")
            return
        found = get_schedule(store, school)
        runs = list_scheduled_runs(store, school, limit=10)
    if found is None:
        raise ConfigError(
            f"school {school!r} has no daily sync",
            hint=f"turn it on: rostersync schedule enable {school} --at HH:MM --tz Area/City",
        )
    if as_json:
        emit_json({**found.to_json(), "runs": [r.to_json() for r in runs]})
        return
    _print_schedule(found)
    if runs:
        console.print("latest runs:")
        for run in runs:
            _print_run(run)


@schedule_group.command("runs")
@click.argument("school", required=False)
@click.option("--limit", default=50, show_default=True, help="At most this many runs.")
@json_option
@pass_app
def runs_cmd(app: AppContext, school: str | None, limit: int, as_json: bool) -> None:
    """List scheduled runs (newest first): when, what came of them, which job."""
    with _store(app) as store:
        runs = list_scheduled_runs(store, school, limit=limit)
    if as_json:
        emit_json([r.to_json() for r in runs])
        return
    for run in runs:
        _print_run(run)
    if not runs:
        console.print("no scheduled run yet")


@click.group("scheduler")
def scheduler_group() -> None:
    """The embedded scheduler: runs every school's daily sync on this machine."""


@scheduler_group.command("run")
@click.option("--poll", default=60.0, show_default=True, metavar="SECONDS",
              help="Look for changed schedules at least this often.")
@click.option("--once", is_flag=True, help="Run what is due now, then exit.")
@pass_app
def scheduler_run_cmd(app: AppContext, poll: float, once: bool) -> None:
    """Run daily syncs when they are due, until Ctrl-C (which lets a running sync finish).

    A run missed while this was not running happens once when it starts again. Plugins and
    platform: every installed plugin and the reference platform, or the factories named by
    $ROSTERSYNC_HOST_FACTORY and $ROSTERSYNC_PLATFORM_FACTORY.
    """
    smtp_settings_from_env()  # a malformed SMTP URL stops here, not in a log at 6 a.m.
    with _store(app) as store:
        host = load_host()
        ensure_email_notifier(host, store)
        scheduler = EmbeddedScheduler(store, host, load_platform(store), poll_seconds=poll,
                                      on_run=_print_run)
        if once:
            scheduler.run_due()
            return

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            if scheduler.stopping.is_set():
                raise KeyboardInterrupt
            console.print("stopping after the sync in progress (Ctrl-C again to abort it)")
            scheduler.stop()

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            count = len(list_schedules(store, enabled_only=True))
            console.print(f"scheduler running: {count} school(s) with a daily sync; "
                          "Ctrl-C stops it", highlight=False)
            sys.stdout.flush()
            scheduler.run()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    console.print("scheduler stopped")


@click.group("notify")
def notify_group() -> None:
    """E-mail notifications to sync administrators."""


@notify_group.command("test")
@click.argument("school")
@click.option("--to", "to", multiple=True, metavar="EMAIL",
              help="Send to this address instead of the school's sync administrators.")
@pass_app
def notify_test_cmd(app: AppContext, school: str, to: tuple[str, ...]) -> None:
    """Send a test e-mail about SCHOOL through $ROSTERSYNC_SMTP_URL."""
    settings = smtp_settings_from_env()
    if settings is None:
        raise ConfigError("no SMTP server is configured", field="smtp_url",
                          hint="set ROSTERSYNC_SMTP_URL, e.g. smtp://user@mail.example:587"
                          "?starttls=1 (password in ROSTERSYNC_SMTP_PASSWORD)")
    with _store(app) as store:
        recipients = to or sync_admins(store, school)
        if not recipients:
            raise ConfigError(
                f"school {school!r} has no sync administrators", field="admin",
                hint=f"rostersync schedule enable {school} --admin EMAIL, or pass --to EMAIL",
            )
        EmailNotifier(settings, store=store).send_test(school, recipients)
    console.print(f"test e-mail sent to {', '.join(recipients)} via {settings.describe()}",
                  highlight=False)


COMMANDS: list[click.Command] = [schedule_group, scheduler_group, notify_group]
