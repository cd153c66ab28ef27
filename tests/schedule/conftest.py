"""Fixtures for the daily sync tests: a school set up on a small generated district (memory
connector, reference platform, every grade and subject mapped), a fake clock, and a real
SMTP server (aiosmtpd) on loopback that keeps what it receives."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from rostersync_core.districts import District, generate_district
from rostersync_core.notify import EmailNotifier, SmtpSettings
from rostersync_core.plugins import PluginHost
from rostersync_core.schedule import FakeClock
from rostersync_core.testing.memory import set_up_memory_school

SCHOOL = "maple"
ADMINS = ("head@maple.example", "office@maple.example")

#: For tests of validation and wiring that do not depend on the database: SQLite only.
sqlite_only = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)

#: Monday 2 March 2026, 12:00 UTC: a week before the US clocks go forward.
START = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def set_up_school(store: Any, platform: Any, district: District, school_id: str = SCHOOL) -> str:
    """Bind ``school_id`` to the district's first school and map every grade and subject."""
    return set_up_memory_school(store, platform, district, school_id, timezone="America/New_York")


@pytest.fixture
def district() -> District:
    return generate_district(students=30, seed=8)


@pytest.fixture
def school(store: Any, platform: Any, district: District) -> str:
    set_up_school(store, platform, district)
    return SCHOOL


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


class Mailbox:
    """What the SMTP server received, as parsed messages."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, tuple[str, ...]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.envelopes.append((envelope.mail_from, tuple(envelope.rcpt_tos)))
        return "250 OK"

    def bodies(self) -> list[str]:
        return [str(m.get_content()) for m in self.messages]

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages]


class LoopbackController(Controller):  # type: ignore[misc]
    """aiosmtpd's controller on a free port chosen by the OS (port 0)."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, LoopbackController]]:
    """A real SMTP server on 127.0.0.1 (a free port) keeping every message."""
    mailbox = Mailbox()
    controller = LoopbackController(mailbox, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        yield mailbox, controller
    finally:
        controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[Mailbox, LoopbackController]) -> Mailbox:
    return smtp_server[0]


@pytest.fixture
def smtp_settings(smtp_server: tuple[Mailbox, LoopbackController]) -> SmtpSettings:
    return SmtpSettings.from_url(
        f"smtp://127.0.0.1:{smtp_server[1].port}?from=rostersync@district.example", env={}
    )


@pytest.fixture
def notifier(host: PluginHost, store: Any, smtp_settings: SmtpSettings) -> EmailNotifier:
    """The e-mail notifier registered on the host, as the entry point would register it."""
    plugin = EmailNotifier(smtp_settings, store=store)
    host.register_extension(plugin, name="email")
    return plugin
