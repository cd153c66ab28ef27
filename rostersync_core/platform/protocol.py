"""What a platform implements so the engine can read its roster and apply a change set.

Platform engineers write one class with these five methods (see ``docs/platform.md``).
The core ships a reference implementation on SQL (``rostersync_core.platform.reference``).

Spaces. The engine works in *SIS space* (records keyed by SIS ids); a platform works in
*platform space*: in a :class:`PlatformRecord` or a :class:`PlatformChange`,

- ``Person.grade_id`` and ``SchoolClass.grade_ids`` hold platform grade ids,
  ``SchoolClass.subject_ids`` platform subject ids;
- ``Enrolment.class_sis_id`` / ``person_sis_id`` and ``FamilyLink.family_sis_id`` /
  ``student_sis_id`` hold the **platform ids** of the class and people they join;
- ``sis_id`` fields hold the SIS id the platform itself keeps on the record (``""`` when
  it keeps none). The engine's own links (state store) are the source of truth.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from typing import Protocol, TypeAlias, runtime_checkable

import attrs

from rostersync_core.model import Enrolment, FamilyLink, Person, RecordKind, SchoolClass

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

#: The kinds a sync creates, updates and archives on the platform, in apply order.
SYNCED_KINDS: tuple[RecordKind, ...] = (
    RecordKind.CLASS,
    RecordKind.STUDENT,
    RecordKind.STAFF,
    RecordKind.FAMILY,
    RecordKind.ENROLMENT,
    RecordKind.FAMILY_LINK,
)

PlatformValues: TypeAlias = SchoolClass | Person | Enrolment | FamilyLink


class ChangeAction(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    ARCHIVE = "archive"
    RESTORE = "restore"


@attrs.frozen
class PlatformSchool:
    id: str
    name: str
    timezone: str = "UTC"


@attrs.frozen
class PlatformGrade:
    id: str
    name: str


@attrs.frozen
class PlatformSubject:
    id: str
    name: str


@attrs.frozen
class PlatformRecord:
    """One record the platform has now (archived ones included), in platform space."""

    kind: RecordKind
    platform_id: str
    values: PlatformValues
    archived: bool = False


@attrs.frozen
class PlatformChange:
    """One change to apply, in platform space.

    - ``key``: unique for ever (``"job-12/345"``). Applying a change whose key was already
      applied must do nothing and return the same platform id: that is what makes a
      re-run after a crash safe.
    - CREATE: ``values`` is the whole record; ``platform_id`` is ``""``.
    - UPDATE: ``values`` is the new record; only ``fields`` are written, every other field
      keeps what the platform has (local edits survive).
    - ARCHIVE: ``platform_id`` names the record; ``values`` is ``None``.
    - RESTORE: un-archive ``platform_id``; when ``fields`` is not empty, also write them
      from ``values`` as for UPDATE.
    """

    key: str
    kind: RecordKind
    action: ChangeAction
    platform_id: str = ""
    values: PlatformValues | None = None
    fields: tuple[str, ...] = ()


@runtime_checkable
class Platform(Protocol):
    """The destination of a sync. Implemented by the platform that embeds the engine."""

    def get_school(self, school_id: str) -> PlatformSchool | None:
        """The platform school ``school_id``, or ``None`` if there is no such school."""
        ...

    def list_grades(self) -> Sequence[PlatformGrade]:
        """Every grade the platform offers (the targets of grade mapping)."""
        ...

    def list_subjects(self) -> Sequence[PlatformSubject]:
        """Every subject the platform offers (the targets of subject mapping)."""
        ...

    def list_records(self, school_id: str, kind: RecordKind) -> Iterable[PlatformRecord]:
        """Every record of ``kind`` in the school, archived ones included."""
        ...

    def apply_changes(self, school_id: str, changes: Sequence[PlatformChange]) -> list[str]:
        """Apply ``changes`` in order, all or nothing; return each one's platform id.

        Idempotent per ``change.key`` (see :class:`PlatformChange`). Called with batches of
        a few hundred changes; the engine records progress between batches.
        """
        ...
