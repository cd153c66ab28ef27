"""The command line: ``rostersync schedule ...``, ``rostersync scheduler run`` (stopped
cleanly by Ctrl-C) and ``rostersync notify test``."""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rostersync_core.cli.main import cli
from rostersync_core.districts import District
from rostersync_core.errors import ConfigError
from rostersync_core.platform.reference import ReferencePlatform
from rostersync_core.schedule import enable_schedule
from rostersync_core.store import StateStore
from tests.schedule.conftest import ADMINS, Mailbox, set_up_school

HERE = Path(__file__).resolve().parent


@pytest.fixture
def db(sqlite_url: str, secret_key: str, district: District) -> str:
    """A SQLite state database with school ``maple`` set up."""
    with StateStore.open(sqlite_url) as store:
        set_up_school(store, ReferencePlatform(store.engine), district)
    return sqlite_url


@pytest.fixture
def worker_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plugins for the CLI: the memory connector serving the test district."""
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv("ROSTERSYNC_HOST_FACTORY", "schedule_worker_host:make_host")


def invoke(db: str, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=True)


def test_schedule_enable_show_and_disable(db: str) -> None:
    admin_args = [a for admin in ADMINS for a in ("--admin", admin)]
    enabled = invoke(db, "schedule", "enable", "maple", "--at", "06:30", "--tz",
                     "America/Chicago", *admin_args, "--json")
    assert enabled.exit_code == 0, enabled.output
    data = json.loads(enabled.output)
    assert (data["enabled"], data["at"], data["timezone"], data["admins"]) == (
        True, "06:30", "America/Chicago", list(ADMINS),
    )
    assert data["next_run_local"].endswith(("-06:00", "-05:00"))
    assert "T06:30:00" in data["next_run_local"]

    shown = invoke(db, "schedule", "show", "maple")
    assert shown.exit_code == 0, shown.output
    assert "at 06:30 America/Chicago" in shown.output
    assert ADMINS[0] in shown.output

    disabled = invoke(db, "schedule", "disable", "maple", "--json")
    assert disabled.exit_code == 0, disabled.output
    assert json.loads(disabled.output)["enabled"] is False


def test_the_time_zone_defaults_to_the_platform_school_zone(db: str) -> None:
    result = invoke(db, "schedule", "enable", "maple", "--at", "06:00", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["timezone"] == "America/New_York"  # as set up


def test_an_unknown_time_zone_is_named(db: str) -> None:
    result = invoke(db, "schedule", "enable", "maple", "--at", "06:00", "--tz", "Mars/Base")
    assert isinstance(result.exception, ConfigError)
    assert "'Mars/Base' is not an IANA time zone" in str(result.exception)


def test_scheduler_run_once_runs_what_is_due(db: str, worker_host: None) -> None:
    with StateStore.open(db) as store:
        enable_schedule(store, "maple", at="00:00", timezone="UTC",
                        now=dt.datetime.now(dt.UTC) - dt.timedelta(days=2))

    result = invoke(db, "scheduler", "run", "--once")

    assert result.exit_code == 0, result.output
    assert "maple: pending_review (job 1)" in result.output
    runs = json.loads(invoke(db, "schedule", "runs", "maple", "--json").output)
    assert [(r["outcome"], r["job_id"]) for r in runs] == [("pending_review", 1)]


def test_scheduler_run_refuses_a_malformed_smtp_url_before_running_anything(
    db: str, worker_host: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with StateStore.open(db) as store:
        enable_schedule(store, "maple", at="00:00", timezone="UTC",
                        now=dt.datetime.now(dt.UTC) - dt.timedelta(days=2))
    monkeypatch.setenv("ROSTERSYNC_SMTP_URL", "mail.school.example:587")

    result = invoke(db, "scheduler", "run", "--once")

    assert isinstance(result.exception, ConfigError)
    assert "smtp://" in str(result.exception)
    assert json.loads(invoke(db, "schedule", "runs", "maple", "--json").output) == []


def test_scheduler_run_stops_cleanly_on_ctrl_c(db: str, worker_host: None) -> None:
    with StateStore.open(db) as store:
        enable_schedule(store, "maple", at="00:00", timezone="UTC",
                        now=dt.datetime.now(dt.UTC) - dt.timedelta(days=2))
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rostersync_core", "--db", db, "scheduler", "run", "--poll", "0.2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    output = proc.stdout
    assert output is not None

    def read() -> None:
        for line in output:
            lines.put(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while not any("maple: pending_review" in line for line in seen):
            assert time.monotonic() < deadline, "no run within 30 s:\n" + "".join(seen)
            try:
                seen.append(lines.get(timeout=1))
            except queue.Empty:
                assert proc.poll() is None, "the scheduler exited:\n" + "".join(seen)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(timeout=10)
        output.close()
    while not lines.empty():
        seen.append(lines.get())
    rest = "".join(seen)
    assert proc.returncode == 0, rest
    assert "scheduler stopped" in rest
    assert "Traceback" not in rest


def test_notify_test_sends_a_test_email_to_the_sync_administrators(
    db: str, mailbox: Mailbox, smtp_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = smtp_server[1].port
    monkeypatch.setenv("ROSTERSYNC_SMTP_URL", f"smtp://127.0.0.1:{port}?from=rs@district.example")
    with StateStore.open(db) as store:
        enable_schedule(store, "maple", at="06:00", timezone="UTC", admins=ADMINS)

    result = invoke(db, "notify", "test", "maple")

    assert result.exit_code == 0, result.output
    assert mailbox.subjects() == ["[rostersync] maple: test e-mail"]
    assert set(mailbox.envelopes[0][1]) == set(ADMINS)
