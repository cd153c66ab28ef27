"""The e-mail notifier: an extension plugin that tells sync administrators about jobs.

It implements ``rostersync_job_state_changed`` like any other plugin (so another plugin can
add Slack, SMS or a web hook beside it) and is registered by rostersync-core itself under
the entry point group ``rostersync.plugins`` as ``email``.

- Which jobs: those of the daily sync (trigger ``"schedule"``) by default; pass
  ``triggers=None`` to hear of manual syncs too.
- Which states: a request waiting for review (not when auto-apply will apply it at once),
  held (and why), applied, failed (expired or wrong credentials named as such).
- To whom: ``event.admins``, else the school's sync administrators from the state store.
- How: SMTP, from ``SmtpSettings`` given, else ``$ROSTERSYNC_SMTP_URL`` (no URL: nothing is
  sent, once logged). A delivery failure is logged and never fails the sync.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable

import attrs
import sqlalchemy as sa

from rostersync_core.errors import RostersyncError
from rostersync_core.events import JobState, SyncJobEvent
from rostersync_core.hookspecs import hookimpl
from rostersync_core.notify.messages import (
    Notice,
    compose_notice,
    compose_run_failure_notice,
    compose_test_notice,
    notice_email,
)
from rostersync_core.notify.smtp import SMTP_URL_ENV, NotificationError, SmtpSettings, send_email
from rostersync_core.notify.smtp import smtp_settings_from_env as _settings_from_env
from rostersync_core.plugins import PluginHost
from rostersync_core.store import StateStore
from rostersync_core.store import tables as t

__all__ = ["EmailNotifier", "SentNotice", "email_notifier", "ensure_email_notifier"]

log = logging.getLogger(__name__)

#: The triggers of daily-sync jobs (the engine says ``"schedule"``).
_SCHEDULED = ("schedule", "scheduled")


@attrs.frozen
class SentNotice:
    """A notice that was handed to the SMTP server, and to whom."""

    notice: Notice
    recipients: tuple[str, ...]


class EmailNotifier:
    """E-mails the school's sync administrators about its jobs (an extension plugin).

    ``EmailNotifier()`` (as the entry point creates it) reads SMTP settings from the
    environment and the state store from ``$ROSTERSYNC_DB`` on first use; the scheduler and
    the Celery worker bind their own store with :meth:`bind_store`.
    """

    def __init__(
        self,
        settings: SmtpSettings | None = None,
        *,
        store: StateStore | None = None,
        triggers: Iterable[str] | None = _SCHEDULED,
    ) -> None:
        self.settings = settings
        self.store = store
        self.triggers = None if triggers is None else frozenset(triggers)
        #: The latest notices sent (the last 100).
        self.sent: deque[SentNotice] = deque(maxlen=100)
        self._own_store = False
        self._warned = False

    def bind_store(self, store: StateStore) -> None:
        """Look up administrators (and frozen settings) in ``store`` from now on."""
        if self.store is store:
            return
        if self._own_store and self.store is not None:
            self.store.close()
        self.store, self._own_store = store, False

    def _state_store(self) -> StateStore:
        if self.store is None:
            url = _database_url()
            if url is None:
                raise NotificationError(
                    "the e-mail notifier does not know the state database",
                    hint="set ROSTERSYNC_DB (or call EmailNotifier.bind_store)",
                )
            self.store, self._own_store = StateStore.open(url), True
        return self.store

    def _smtp(self) -> SmtpSettings | None:
        if self.settings is None:
            self.settings = _settings_from_env()
        if self.settings is None and not self._warned:
            self._warned = True
            log.warning("no %s set: sync administrators are not e-mailed about daily syncs",
                        SMTP_URL_ENV)
        return self.settings

    def _waits_for_review(self, event: SyncJobEvent) -> bool:
        """False for a scheduled request that auto-apply applies at once (the admins hear
        "applied" or "failed" instead of "waits for review")."""
        if event.state is not JobState.PENDING_REVIEW or event.trigger not in _SCHEDULED:
            return True
        from rostersync_core.sync.jobs import get_request

        return not get_request(self._state_store(), event.job_id).settings.auto_apply

    def _school_name(self, school_id: str) -> str:
        c = t.connections.c
        with self._state_store().engine.connect() as conn:
            name = conn.execute(
                sa.select(c.sis_school_name).where(c.school_id == school_id)
            ).scalar()
        return str(name or "")

    def notify(self, event: SyncJobEvent) -> SentNotice | None:
        """Compose and send the notice for ``event``; ``None`` when there is nothing to send.

        Raises :class:`~rostersync_core.notify.smtp.NotificationError` when delivery fails.
        """
        from rostersync_core.schedule.schedules import sync_admins

        notice = compose_notice(event)
        if notice is None or (self.triggers is not None and event.trigger not in self.triggers):
            return None
        if self._smtp() is None or not self._waits_for_review(event):
            return None
        recipients = tuple(event.admins) or sync_admins(self._state_store(), event.school_id)
        if not recipients:
            log.info("school %s has no sync administrators to e-mail", event.school_id)
            return None
        notice = compose_notice(event, school_name=self._school_name(event.school_id)) or notice
        return self.send(notice, recipients)

    def send(self, notice: Notice, recipients: Iterable[str]) -> SentNotice | None:
        """Send ``notice`` to ``recipients``; ``None`` when no SMTP server is configured.

        Raises :class:`~rostersync_core.notify.smtp.NotificationError` when delivery fails.
        """
        settings = self._smtp()
        if settings is None:
            return None
        to = tuple(recipients)
        send_email(settings, notice_email(notice, sender=settings.sender, recipients=to))
        sent = SentNotice(notice, to)
        self.sent.append(sent)
        return sent

    def notify_run_failure(self, school_id: str, reason: str) -> SentNotice | None:
        """Tell the school's sync administrators that its daily sync failed before it made
        a job (so no ``rostersync_job_state_changed`` reached them); never raises."""
        from rostersync_core.schedule.schedules import sync_admins

        try:
            if self._smtp() is None:
                return None
            recipients = sync_admins(self._state_store(), school_id)
            if not recipients:
                log.info("school %s has no sync administrators to e-mail", school_id)
                return None
            name = self._school_name(school_id)
            return self.send(compose_run_failure_notice(school_id, reason, school_name=name),
                             recipients)
        except Exception as exc:  # the database itself may be what failed the run
            log.warning("could not e-mail the sync administrators of %s about a failed daily "
                        "sync: %s", school_id, exc if isinstance(exc, RostersyncError)
                        else type(exc).__name__)
            return None

    def send_test(self, school_id: str, recipients: Iterable[str]) -> SentNotice | None:
        """Send a test e-mail about ``school_id`` (``rostersync notify test``)."""
        name = self._school_name(school_id)
        return self.send(compose_test_notice(school_id, school_name=name), recipients)

    @hookimpl
    def rostersync_job_state_changed(self, event: SyncJobEvent) -> None:
        """Tell the school's sync administrators, by e-mail, of a state they care about."""
        try:
            self.notify(event)
        except RostersyncError as exc:
            log.warning("could not e-mail the sync administrators of %s about job %s: %s",
                        event.school_id, event.job_id, exc)


def _database_url() -> str | None:
    """The state database of this process: the command line's ``--db`` when running inside
    it, else ``$ROSTERSYNC_DB``, else the default SQLite file if it exists (never created)."""
    import os

    from rostersync_core.paths import DB_ENV, home

    try:
        import click

        from rostersync_core.cli.common import AppContext

        context = click.get_current_context(silent=True)
        app = context.find_object(AppContext) if context is not None else None
        if app is not None:
            return app.database_url
    except ImportError:  # pragma: no cover - click is a dependency
        pass
    if os.environ.get(DB_ENV):
        return os.environ[DB_ENV]
    default = home() / "state.db"
    return f"sqlite:///{default}" if default.exists() else None


def email_notifier(host: PluginHost) -> EmailNotifier | None:
    """The e-mail notifier registered on ``host``, if any."""
    for plugin in host.pm.get_plugins():
        if isinstance(plugin, EmailNotifier):
            return plugin
    return None


def ensure_email_notifier(host: PluginHost, store: StateStore) -> EmailNotifier | None:
    """The host's e-mail notifier bound to ``store``; one is registered when the entry point
    did not load it but ``$ROSTERSYNC_SMTP_URL`` is set (``None`` when there is neither)."""
    import os

    found = email_notifier(host)
    if found is None and os.environ.get(SMTP_URL_ENV, "").strip():
        found = EmailNotifier(store=store)
        host.register_extension(found, name="email", distribution="rostersync-core")
    if found is not None:
        found.bind_store(store)
    return found
