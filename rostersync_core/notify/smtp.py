"""SMTP delivery, configured by one URL; the password comes from the environment.

``smtp://user@mail.school.example:587?starttls=1&from=rostersync@school.example``
(STARTTLS), ``smtps://user@mail.school.example:465`` (TLS from the first byte), or
``smtp://127.0.0.1:25`` (a local relay, no login). Query options: ``starttls=1``,
``from=ADDRESS`` (the sender), ``cafile=PATH`` (trust a private CA), ``timeout=SECONDS``.
The password is read from ``$ROSTERSYNC_SMTP_PASSWORD`` and never shown, logged or put in
an error; a URL that carries one is refused.
"""

from __future__ import annotations

import enum
import os
import smtplib
import ssl
import urllib.parse
from collections.abc import Mapping
from email.message import EmailMessage

import attrs

from rostersync_core.errors import ConfigError, RostersyncError

__all__ = [
    "SMTP_PASSWORD_ENV",
    "SMTP_URL_ENV",
    "NotificationError",
    "SmtpSecurity",
    "SmtpSettings",
    "send_email",
    "smtp_settings_from_env",
]

SMTP_URL_ENV = "ROSTERSYNC_SMTP_URL"
SMTP_PASSWORD_ENV = "ROSTERSYNC_SMTP_PASSWORD"
_TRUE = {"1", "true", "yes", "on"}


class NotificationError(RostersyncError):
    """A notification could not be delivered (the message never names the password)."""


class SmtpSecurity(enum.StrEnum):
    """How the connection to the SMTP server is protected."""

    NONE = "none"
    STARTTLS = "starttls"
    SSL = "ssl"


@attrs.frozen
class SmtpSettings:
    """Where and how to send e-mail. ``password`` is never part of ``repr``."""

    host: str
    port: int
    security: SmtpSecurity = SmtpSecurity.NONE
    user: str = ""
    password: str = attrs.field(default="", repr=False)
    sender: str = "rostersync@localhost"
    cafile: str = ""
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str, *, env: Mapping[str, str] | None = None) -> SmtpSettings:
        """Read an ``smtp://`` or ``smtps://`` URL; the password from ``env`` (default
        ``os.environ``) ``ROSTERSYNC_SMTP_PASSWORD``. Raises :class:`ConfigError`."""
        environ = os.environ if env is None else env
        parts = urllib.parse.urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme not in ("smtp", "smtps"):
            raise ConfigError(
                "the SMTP URL must start with smtp:// or smtps://", field="smtp_url",
                hint="e.g. smtp://user@mail.school.example:587?starttls=1",
            )
        if parts.password:
            raise ConfigError(
                "the SMTP URL must not contain the password", field="smtp_url",
                hint=f"remove it from the URL and set {SMTP_PASSWORD_ENV} instead",
            )
        if not parts.hostname:
            raise ConfigError("the SMTP URL names no server", field="smtp_url")
        query = dict(urllib.parse.parse_qsl(parts.query))
        starttls = query.get("starttls", "").lower() in _TRUE
        if scheme == "smtps":
            security = SmtpSecurity.SSL
        else:
            security = SmtpSecurity.STARTTLS if starttls else SmtpSecurity.NONE
        try:
            port = parts.port or (465 if scheme == "smtps" else 587 if starttls else 25)
            timeout = float(query.get("timeout", "30"))
        except ValueError:
            raise ConfigError("the SMTP URL has an unreadable port or timeout",
                              field="smtp_url") from None
        user = urllib.parse.unquote(parts.username or "")
        password = environ.get(SMTP_PASSWORD_ENV, "")
        if user and not password:
            raise ConfigError(
                f"the SMTP user {user!r} needs a password", field="smtp_password",
                hint=f"set {SMTP_PASSWORD_ENV}",
            )
        if user and security is SmtpSecurity.NONE:
            raise ConfigError(
                "refusing to send the SMTP password over an unencrypted connection",
                field="smtp_url", hint="add ?starttls=1 or use smtps://",
            )
        return cls(
            host=parts.hostname, port=port, security=security, user=user, password=password,
            sender=query.get("from", "") or "rostersync@localhost",
            cafile=query.get("cafile", ""), timeout=timeout,
        )

    def describe(self) -> str:
        """Where mail goes, fit to show (no password)."""
        who = f"{self.user}@" if self.user else ""
        return f"{who}{self.host}:{self.port} ({self.security}), from {self.sender}"

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.cafile or None)


def smtp_settings_from_env(env: Mapping[str, str] | None = None) -> SmtpSettings | None:
    """Settings from ``$ROSTERSYNC_SMTP_URL`` (and the password variable); ``None`` when
    no URL is set."""
    environ = os.environ if env is None else env
    url = environ.get(SMTP_URL_ENV, "").strip()
    return SmtpSettings.from_url(url, env=environ) if url else None


def send_email(settings: SmtpSettings, message: EmailMessage) -> None:
    """Deliver ``message`` (its ``From`` is set to the sender when missing).

    Raises :class:`NotificationError` when the server cannot be reached, refuses the login
    or refuses the message.
    """
    if message["From"] is None:
        message["From"] = settings.sender
    where = f"{settings.host}:{settings.port}"
    try:
        client: smtplib.SMTP
        if settings.security is SmtpSecurity.SSL:
            client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                      context=settings.ssl_context())
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with client:
            if settings.security is SmtpSecurity.STARTTLS:
                client.starttls(context=settings.ssl_context())
            if settings.user:
                client.login(settings.user, settings.password)
            client.send_message(message)
    except smtplib.SMTPAuthenticationError:
        raise NotificationError(
            f"the SMTP server {where} refused the login of {settings.user!r}",
            hint=f"check the user in the SMTP URL and {SMTP_PASSWORD_ENV}",
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        refused = ", ".join(sorted(exc.recipients))
        raise NotificationError(f"the SMTP server {where} refused the recipients {refused}") \
            from None
    except (OSError, smtplib.SMTPException) as exc:
        raise NotificationError(
            f"could not send e-mail through {where}: {type(exc).__name__}",
            hint="check the SMTP URL and that the server is reachable",
        ) from None
