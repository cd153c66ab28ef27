"""Errors a caller can act on. Each message is written for a school admin and never
contains a secret, a token or a student's personal data."""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "ConfigError",
    "IncompatiblePluginError",
    "InvalidSisDataError",
    "JobStateError",
    "PluginError",
    "RostersyncError",
    "SisUnavailableError",
    "StateStoreError",
    "SyncAlreadyRunningError",
    "SyncHeldError",
    "UnknownConnectorError",
    "UnknownJobError",
    "UnknownSchoolError",
    "UnmappedValuesError",
]


class RostersyncError(Exception):
    """Base of every error rostersync raises on purpose.

    ``hint`` tells the reader what to do next (may be empty).
    """

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(RostersyncError):
    """A connection config (or a setting) is invalid. ``field`` names the offending field."""

    def __init__(self, message: str, *, field: str = "", hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.field = field


class AuthenticationError(RostersyncError):
    """The SIS refused the credentials: an admin must fix them. Never retried."""

    def __init__(self, message: str = "the SIS refused the credentials", *, hint: str = "") -> None:
        hint = hint or "check the client id and secret, then run setup again"
        super().__init__(message, hint=hint)


class SisUnavailableError(RostersyncError):
    """The SIS could not be reached or kept failing after retries: try again later."""


class InvalidSisDataError(RostersyncError):
    """The SIS answered with data rostersync cannot read (malformed page, corrupt file...)."""


class UnknownSchoolError(RostersyncError):
    """No school (or no SIS school) by that id."""


class UnknownConnectorError(RostersyncError):
    """No installed connector by that name."""


class PluginError(RostersyncError):
    """A plugin could not be loaded or used. ``plugin`` names it."""

    def __init__(self, message: str, *, plugin: str = "", hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.plugin = plugin


class IncompatiblePluginError(PluginError):
    """A connector targets a plugin API version this core does not offer."""


class UnmappedValuesError(RostersyncError):
    """A sync needs grade or subject values that have no mapping yet.

    ``grades`` and ``subjects`` list the SIS values in use that are not mapped.
    """

    def __init__(
        self, message: str, *, grades: tuple[str, ...] = (), subjects: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message, hint="map them with `rostersync grades map` / `subjects map`")
        self.grades = grades
        self.subjects = subjects


class SyncAlreadyRunningError(RostersyncError):
    """Another sync for the same school holds the school's lock."""

    def __init__(self, message: str, *, job_id: int | None = None) -> None:
        super().__init__(message)
        self.job_id = job_id


class SyncHeldError(RostersyncError):
    """A job is held for review and cannot be applied automatically."""


class UnknownJobError(RostersyncError):
    """No sync job by that id."""


class JobStateError(RostersyncError):
    """The job is not in a state that allows what was asked (e.g. deleting a completed job)."""


class StateStoreError(RostersyncError):
    """The state database cannot be used (newer than this code, unreachable, corrupt)."""
