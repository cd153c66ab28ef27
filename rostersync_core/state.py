"""Values the state store hands the engine: a school's connection and its exclusions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from rostersync_core.model import RecordKind

__all__ = ["EXCLUDABLE_KINDS", "ExclusionSet", "SchoolConnection"]

#: The kinds that can be excluded, on either side.
EXCLUDABLE_KINDS: tuple[RecordKind, ...] = (
    RecordKind.CLASS,
    RecordKind.STUDENT,
    RecordKind.STAFF,
    RecordKind.FAMILY,
)


@attrs.frozen
class SchoolConnection:
    """One platform school's link to one SIS school.

    ``config`` holds the decrypted connection config, secrets included: never print it,
    log it or put it in an error; use ``Connector.redact`` to show it.
    """

    school_id: str
    connector: str
    config: Mapping[str, Any] = attrs.field(repr=False)
    sis_school_id: str
    sis_school_name: str = ""
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


@attrs.frozen
class ExclusionSet:
    """A school's exclusions in force: platform ids and SIS ids, per kind.

    An excluded record is never created, modified or archived; its enrolments and family
    links are left alone too.
    """

    platform: Mapping[RecordKind, frozenset[str]] = attrs.field(factory=dict)
    sis: Mapping[RecordKind, frozenset[str]] = attrs.field(factory=dict)

    def is_platform_excluded(self, kind: RecordKind, platform_id: str) -> bool:
        return platform_id in self.platform.get(kind, frozenset())

    def is_sis_excluded(self, kind: RecordKind, sis_id: str) -> bool:
        return sis_id in self.sis.get(kind, frozenset())
