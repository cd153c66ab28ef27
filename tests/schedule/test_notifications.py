"""Sync administrators are e-mailed (through a real SMTP server on loopback) about scheduled
syncs: a request waiting for review, a job applied, a job held and why, a failure. Messages
carry counts and how to review, never personal data. Notifications go through the
``rostersync_job_state_changed`` hook, so another plugin can add a channel."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

import pytest
import sqlalchemy as sa

from rostersync_core import hookimpl
from rostersync_core.districts import District
from rostersync_core.events import JobState, SyncJobEvent
from rostersync_core.notify import EmailNotifier, SmtpSettings
from rostersync_core.plugins import PluginHost
from rostersync_core.schedule import EmbeddedScheduler, FakeClock, RunOutcome, enable_schedule
from rostersync_core.store import tables
from rostersync_core.sync import run_sync, set_settings
from rostersync_core.testing.memory import MEMORY_TOKEN, MemoryConnector
from tests.schedule.conftest import ADMINS, Mailbox

pytestmark = pytest.mark.usefixtures("notifier")


@pytest.fixture
def store_url(sqlite_url: str) -> str:
    """Messages do not depend on the database: SQLite only (the scheduler tests run both)."""
    return sqlite_url


def run_one_scheduled_sync(store: Any, host: Any, platform: Any, clock: FakeClock,
                           school: str) -> Any:
    enable_schedule(store, school, at="06:00", timezone="UTC", admins=ADMINS, now=clock.now())
    loop = EmbeddedScheduler(store, host, platform, clock=clock, poll_seconds=3600)
    runs = loop.run(until=clock.now() + dt.timedelta(days=1))
    assert len(runs) == 1
    return runs[0]


def test_admins_are_told_a_request_waits_for_their_review(
    store: Any, host: Any, platform: Any, clock: FakeClock, school: str, mailbox: Mailbox
) -> None:
    run = run_one_scheduled_sync(store, host, platform, clock, school)

    assert len(mailbox.messages) == 1
    message = mailbox.messages[0]
    assert set(mailbox.envelopes[0][1]) == set(ADMINS)
    assert f"sync request {run.job_id} waits for your review" in message["Subject"]
    body = mailbox.bodies()[0]
    assert re.search(r"students: \d+ to create", body)
    assert f"rostersync sync show {run.job_id}" in body
    assert f"get_request(store, {run.job_id})" in body  # the Python call


def test_admins_are_told_a_job_was_applied_and_not_asked_to_review_it(
    store: Any, host: Any, platform: Any, clock: FakeClock, school: str, mailbox: Mailbox
) -> None:
    set_settings(store, school, {"auto_apply": "true"})

    run = run_one_scheduled_sync(store, host, platform, clock, school)

    assert run.outcome is RunOutcome.APPLIED
    assert mailbox.subjects() == [f"[rostersync] {school}: sync job {run.job_id} was applied"]
    assert re.search(r"students: \d+ created", mailbox.bodies()[0])


def test_admins_are_told_a_job_is_held_and_why(
    store: Any, host: Any, platform: Any, clock: FakeClock, school: str, mailbox: Mailbox,
    connector: MemoryConnector, district: District,
) -> None:
    set_settings(store, school, {"auto_apply": "true"})
    emptied = district.copy()
    roster = emptied.schools[sorted(emptied.schools)[0]]
    roster.people, roster.classes, roster.enrolments, roster.family_links = [], [], [], []
    connector.district = emptied

    run = run_one_scheduled_sync(store, host, platform, clock, school)

    assert run.outcome is RunOutcome.HELD
    assert len(mailbox.messages) == 1
    assert f"sync request {run.job_id} is held" in mailbox.subjects()[0]
    body = mailbox.bodies()[0]
    assert "Why it is held: the SIS sent no classes, students or staff" in body
    assert f"rostersync sync approve {run.job_id}" in body


def test_expired_credentials_are_named_as_such(
    store: Any, host: Any, platform: Any, clock: FakeClock, school: str, mailbox: Mailbox,
    connector: MemoryConnector,
) -> None:
    connector.fail_auth = True

    run = run_one_scheduled_sync(store, host, platform, clock, school)

    assert mailbox.subjects() == [
        f"[rostersync] {school}: sync job {run.job_id} failed: the SIS refused the credentials"
    ]
    body = mailbox.bodies()[0]
    assert "expired or wrong" in body
    assert f"rostersync setup {school} --connector" in body
    assert MEMORY_TOKEN not in body


def test_a_daily_sync_that_cannot_start_because_the_connection_is_gone_is_emailed(
    store: Any, host: Any, platform: Any, clock: FakeClock, school: str, mailbox: Mailbox
) -> None:
    enable_schedule(store, school, at="06:00", timezone="UTC", admins=ADMINS, now=clock.now())
    with store.engine.begin() as conn:
        conn.execute(sa.delete(tables.connections).where(tables.connections.c.school_id == school))

    [run] = EmbeddedScheduler(store, host, platform, clock=clock, poll_seconds=3600).run(
        until=clock.now() + dt.timedelta(days=1))

    assert (run.outcome, run.job_id) == (RunOutcome.FAILED, None)
    assert mailbox.subjects() == [f"[rostersync] {school}: the daily sync could not start"]
    assert set(mailbox.envelopes[0][1]) == set(ADMINS)
    body = mailbox.bodies()[0]
    assert "is not set up" in body
    assert f"rostersync setup {school} --connector" in body


def test_no_message_carries_personal_data_from_the_roster(
    store: Any, host: Any, platform: Any, clock: FakeClock, school: str, mailbox: Mailbox,
    district: District, connector: MemoryConnector,
) -> None:
    run_one_scheduled_sync(store, host, platform, clock, school)  # review
    set_settings(store, school, {"auto_apply": "true"})
    clock.advance(days=1)
    EmbeddedScheduler(store, host, platform, clock=clock).run_due()  # applied
    connector.fail_auth = True
    clock.advance(days=1)
    EmbeddedScheduler(store, host, platform, clock=clock).run_due()  # failed
    assert len(mailbox.messages) == 3

    text = "\n".join(m.as_string() for m in mailbox.messages)
    people = [p for roster in district.schools.values() for p in roster.people]
    assert people
    for person in people:
        for name in (person.given_name, person.family_name):
            if name:
                assert not re.search(rf"\b{re.escape(name)}\b", text), f"{name!r} in an e-mail"
        if person.email:
            assert person.email.lower() not in text.lower()
    addresses = set(re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text))
    assert addresses <= {*ADMINS, "rostersync@district.example"} | {
        a for a in addresses if a.endswith("@rostersync")  # Message-ID
    }


def test_manual_syncs_are_not_emailed(
    store: Any, host: Any, platform: Any, school: str, mailbox: Mailbox
) -> None:
    enable_schedule(store, school, at="06:00", timezone="UTC", admins=ADMINS)

    run_sync(store, host, platform, school)

    assert mailbox.messages == []


def test_a_school_without_sync_administrators_sends_nothing(
    store: Any, host: Any, platform: Any, clock: FakeClock, school: str, mailbox: Mailbox
) -> None:
    enable_schedule(store, school, at="06:00", timezone="UTC", now=clock.now())

    EmbeddedScheduler(store, host, platform, clock=clock, poll_seconds=3600).run(
        until=clock.now() + dt.timedelta(days=1)
    )

    assert mailbox.messages == []


class TextMessages:
    """Another channel, as a third-party plugin would add it."""

    def __init__(self) -> None:
        self.events: list[SyncJobEvent] = []

    @hookimpl
    def rostersync_job_state_changed(self, event: SyncJobEvent) -> None:
        if event.state in (JobState.PENDING_REVIEW, JobState.FAILED):
            self.events.append(event)


def test_a_plugin_adds_another_channel_beside_email(
    store: Any, host: PluginHost, platform: Any, clock: FakeClock, school: str,
    mailbox: Mailbox,
) -> None:
    texts = TextMessages()
    host.register_extension(texts, name="text-messages")

    run = run_one_scheduled_sync(store, host, platform, clock, school)

    assert [(e.job_id, e.state, e.trigger) for e in texts.events] == [
        (run.job_id, JobState.PENDING_REVIEW, "schedule")
    ]
    assert texts.events[0].counts["students"]["create"] > 0
    assert len(mailbox.messages) == 1


def test_an_unreachable_smtp_server_never_fails_the_sync(
    store: Any, host: Any, platform: Any, clock: FakeClock, school: str,
    notifier: EmailNotifier, caplog: pytest.LogCaptureFixture,
) -> None:
    notifier.settings = SmtpSettings(host="127.0.0.1", port=1, timeout=2)

    with caplog.at_level(logging.WARNING):
        run = run_one_scheduled_sync(store, host, platform, clock, school)

    assert run.outcome is RunOutcome.PENDING_REVIEW
    assert "could not e-mail the sync administrators of maple" in caplog.text
