"""What the diff reads: one run's SIS feed (:class:`SisFeed`) and the platform's records,
links, exclusions and settings (:class:`DiffInputs`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from rostersync_core.fetch import InvalidRow
from rostersync_core.model import (
    Enrolment,
    EnrolmentRole,
    FamilyLink,
    Person,
    RecordKind,
    SchoolClass,
)
from rostersync_core.platform.protocol import PlatformRecord
from rostersync_core.state import ExclusionSet
from rostersync_core.sync.changes import AmbiguousRecord
from rostersync_core.sync.settings import SyncSettings

__all__ = [
    "ENTITY_KINDS",
    "JOIN_KINDS",
    "STAFF_KEY_SUFFIX",
    "DiffInputs",
    "Entity",
    "Join",
    "SisFeed",
    "feed_key",
]

#: Kinds that are records of their own, and kinds that join two of them.
ENTITY_KINDS = (RecordKind.CLASS, RecordKind.STUDENT, RecordKind.STAFF, RecordKind.FAMILY)
JOIN_KINDS = (RecordKind.ENROLMENT, RecordKind.FAMILY_LINK)

Entity = SchoolClass | Person
Join = Enrolment | FamilyLink

#: Ends the feed key of a staff member's enrolment: students and staff may share an SIS id
#: (PowerSchool numbers each table on its own), and one class may list both.
STAFF_KEY_SUFFIX = "|staff"


def feed_key(rec: Join) -> str:
    """The key of a join in :attr:`SisFeed.joins`: ``class|person`` (``|staff`` added
    for any role but student), ``family|student``. Changes carry the plain SIS key."""
    if type(rec) is Enrolment:
        key = f"{rec.class_sis_id}|{rec.person_sis_id}"
        return key if rec.role is EnrolmentRole.STUDENT else key + STAFF_KEY_SUFFIX
    assert isinstance(rec, FamilyLink)
    return f"{rec.family_sis_id}|{rec.student_sis_id}"


@attrs.define
class SisFeed:
    """One run's SIS records: entities keyed by SIS id, joins by :func:`feed_key`.

    ``entities`` are in platform space (grades and subjects mapped); ``joins`` still name
    their class and people by SIS id. ``delta_kinds`` were fetched as deltas, ``removed``
    holds their explicit removals; ``invalid`` the rows that failed validation.
    """

    entities: dict[RecordKind, dict[str, Entity]] = attrs.field(factory=dict)
    joins: dict[RecordKind, dict[str, Join]] = attrs.field(factory=dict)
    invalid: list[InvalidRow] = attrs.field(factory=list)
    delta_kinds: set[RecordKind] = attrs.field(factory=set)
    removed: dict[RecordKind, set[str]] = attrs.field(factory=dict)


@attrs.define
class DiffInputs:
    """Everything the diff reads.

    - ``platform``: per kind, the platform's records (archived ones included).
    - ``links``: per kind, SIS id -> platform id (the state store's links).
    - ``matches``: per kind, automatic matches of unlinked SIS records (SIS id -> platform id).
    - ``ambiguous``: SIS records with several candidates: reported, never created.
    """

    feed: SisFeed
    platform: Mapping[RecordKind, Sequence[PlatformRecord]]
    links: Mapping[RecordKind, Mapping[str, str]]
    exclusions: ExclusionSet = attrs.field(factory=ExclusionSet)
    settings: SyncSettings = attrs.field(factory=SyncSettings)
    matches: Mapping[RecordKind, Mapping[str, str]] = attrs.field(factory=dict)
    ambiguous: Sequence[AmbiguousRecord] = ()
