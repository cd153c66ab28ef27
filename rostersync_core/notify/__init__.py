"""Notifications to sync administrators: SMTP settings, message composition, the e-mail
notifier (an extension plugin on ``rostersync_job_state_changed``)."""

from rostersync_core.notify.messages import NOTIFIED_STATES, Notice, compose_notice, notice_email
from rostersync_core.notify.notifier import EmailNotifier, SentNotice
from rostersync_core.notify.smtp import (
    SMTP_PASSWORD_ENV,
    SMTP_URL_ENV,
    NotificationError,
    SmtpSecurity,
    SmtpSettings,
    send_email,
    smtp_settings_from_env,
)

__all__ = [
    "NOTIFIED_STATES",
    "SMTP_PASSWORD_ENV",
    "SMTP_URL_ENV",
    "EmailNotifier",
    "Notice",
    "NotificationError",
    "SentNotice",
    "SmtpSecurity",
    "SmtpSettings",
    "compose_notice",
    "notice_email",
    "send_email",
    "smtp_settings_from_env",
]
