"""The e-mail notifier as rostersync-core registers it: an entry point in the group
``rostersync.plugins`` naming the class, created with no arguments, configured from the
environment (``ROSTERSYNC_SMTP_URL``, ``ROSTERSYNC_DB``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from rostersync_core.notify import EmailNotifier
from rostersync_core.notify.notifier import email_notifier, ensure_email_notifier
from rostersync_core.plugins import PluginHost
from rostersync_core.schedule import EmbeddedScheduler, FakeClock, enable_schedule
from rostersync_core.sync import run_sync
from rostersync_core.testing.memory import MemoryConnector
from tests.schedule.conftest import ADMINS, Mailbox

#: The line rostersync-core's pyproject.toml carries, under
#: ``[project.entry-points."rostersync.plugins"]``.
ENTRY_POINT = "email = rostersync_core.notify.notifier:EmailNotifier"


@pytest.fixture
def store_url(sqlite_url: str) -> str:
    """Messages do not depend on the database: SQLite only (the scheduler tests run both)."""
    return sqlite_url


def install_entry_point(site: Path) -> None:
    """Lay out a distribution declaring the entry point, as pip would install it."""
    info = site / "rostersync_email_probe-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: rostersync-email-probe\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(f"[rostersync.plugins]\n{ENTRY_POINT}\n")


@pytest.fixture
def smtp_env(monkeypatch: pytest.MonkeyPatch, smtp_server: Any, store: Any) -> None:
    port = smtp_server[1].port
    monkeypatch.setenv("ROSTERSYNC_SMTP_URL", f"smtp://127.0.0.1:{port}?from=rs@district.example")
    monkeypatch.setenv("ROSTERSYNC_DB", store.engine.url.render_as_string(hide_password=False))


def test_the_entry_point_loads_the_notifier_which_emails_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp_env: None, store: Any,
    platform: Any, school: str, connector: MemoryConnector, mailbox: Mailbox,
) -> None:
    install_entry_point(tmp_path / "site")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    host = PluginHost(allow=["email"])
    host.register_connector(connector)
    assert [e.name for e in host.extensions] == ["email"], host.failures
    loaded = email_notifier(host)
    assert loaded is not None and loaded.store is None  # nothing bound: from the environment

    enable_schedule(store, school, at="06:00", timezone="UTC", admins=ADMINS)
    # Not through the scheduler (which binds its store): the notifier finds the database.
    job = run_sync(store, host, platform, school, trigger="schedule")

    assert mailbox.subjects() == [
        f"[rostersync] {school}: sync request {job.id} waits for your review"
    ]


def test_the_scheduler_registers_the_notifier_when_smtp_is_configured(
    smtp_env: None, store: Any, host: PluginHost, platform: Any, school: str, mailbox: Mailbox
) -> None:
    assert email_notifier(host) is None
    ensure_email_notifier(host, store)
    ensure_email_notifier(host, store)  # once only

    clock = FakeClock(dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC))
    enable_schedule(store, school, at="06:00", timezone="UTC", admins=ADMINS, now=clock.now())
    loop = EmbeddedScheduler(store, host, platform, clock=clock, poll_seconds=3600)
    loop.run(until=clock.now() + dt.timedelta(days=1))

    assert [e.name for e in host.extensions] == ["email"]
    assert len(mailbox.messages) == 1


def test_without_smtp_settings_no_notifier_is_added(store: Any, host: PluginHost,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROSTERSYNC_SMTP_URL", raising=False)
    assert ensure_email_notifier(host, store) is None
    assert not isinstance(email_notifier(host), EmailNotifier)
