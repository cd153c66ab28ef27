"""The platform side: the interface a platform implements, and the reference platform."""

from rostersync_core.platform.protocol import (
    SYNCED_KINDS,
    ChangeAction,
    Platform,
    PlatformChange,
    PlatformGrade,
    PlatformRecord,
    PlatformSchool,
    PlatformSubject,
    PlatformValues,
)

__all__ = [
    "SYNCED_KINDS",
    "ChangeAction",
    "Platform",
    "PlatformChange",
    "PlatformGrade",
    "PlatformRecord",
    "PlatformSchool",
    "PlatformSubject",
    "PlatformValues",
]
