"""The diff: what must change on the platform so it matches one SIS feed.

Pure: it reads a prepared :class:`SisFeed` and the platform's records and returns a
:class:`~rostersync_core.sync.changes.ChangeSet`; nothing is written. The rules:

- A SIS record linked (or automatically matched) to a platform record updates it (only the
  fields the settings allow), restores it when it is archived, or leaves it unchanged; an
  unlinked one is created (when the settings allow). Ambiguous ones are never created.
- Only platform records linked to the SIS are archived, and only when their SIS record is
  gone (for a delta kind: explicitly removed), the settings say archive, and the record is
  neither excluded nor *unknown* (its SIS row failed validation).
- Excluded records, on either side, are never created, modified or archived; their
  enrolments and family links are left alone.
- An enrolment (family link) is managed by the sync when its class and person (family
  member and student) are both linked to the SIS.
- A join follows what it joins: the active enrolments and family links of a class or
  person that this request archives (or that stays archived) are archived with it, and
  none is created or restored, even when the SIS still lists them (an SIS often keeps a
  withdrawn student's rows). The join kind's ``missing`` setting still applies.

The diff of classes and people is :mod:`rostersync_core.sync.people_and_classes`, that of
enrolments and family links :mod:`rostersync_core.sync.memberships`; what it reads is in
:mod:`rostersync_core.sync.sis_feed`.
"""

from __future__ import annotations

from rostersync_core.model import RecordKind
from rostersync_core.sync.changes import KIND_LABELS, ChangeSet
from rostersync_core.sync.memberships import diff_joins
from rostersync_core.sync.people_and_classes import Resolved, diff_entities
from rostersync_core.sync.sis_feed import (
    ENTITY_KINDS,
    JOIN_KINDS,
    STAFF_KEY_SUFFIX,
    DiffInputs,
    SisFeed,
    feed_key,
)

__all__ = [
    "ENTITY_KINDS",
    "JOIN_KINDS",
    "STAFF_KEY_SUFFIX",
    "DiffInputs",
    "SisFeed",
    "compute_changes",
    "feed_key",
]


def compute_changes(inputs: DiffInputs) -> ChangeSet:
    """The change set that brings the platform in step with ``inputs.feed``."""
    feed = inputs.feed
    cs = ChangeSet(invalid=list(feed.invalid), ambiguous=list(inputs.ambiguous))
    cs.delta_kinds = {KIND_LABELS[k] for k in feed.delta_kinds}
    invalid_ids: dict[RecordKind, set[str]] = {}
    unidentified: set[RecordKind] = set()
    for row in feed.invalid:
        if row.sis_id:
            invalid_ids.setdefault(row.kind, set()).add(row.sis_id)
        else:
            unidentified.add(row.kind)
    for kind in sorted(unidentified):
        cs.notes.append(
            f"some invalid {KIND_LABELS.get(kind, kind.value)} rows have no readable id:"
            " nothing of that kind is archived"
        )
    resolved: dict[RecordKind, Resolved] = {}
    for kind in ENTITY_KINDS:
        resolved[kind] = diff_entities(
            kind, inputs, cs, invalid_ids.get(kind, set()), kind in unidentified
        )
    entity_unknown = bool(unidentified & set(ENTITY_KINDS))
    for kind in JOIN_KINDS:
        diff_joins(
            kind,
            inputs,
            cs,
            resolved,
            invalid_ids.get(kind, set()),
            entity_unknown or kind in unidentified,
        )
    return cs
