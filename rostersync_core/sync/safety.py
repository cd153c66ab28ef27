"""Hold rules: when a request must wait for a person, whatever the settings say.

A request is held when the SIS feed is empty (no classes, students or staff) or when any
kind's feed is nearly empty compared with the records the platform already has linked to
the SIS (a feed with every student but no enrolment would unenrol everyone), or when a
kind's archives or updates pass the school's thresholds (defaults: more than 10% archived,
more than 75% updated). Empty and nearly empty feeds are held whatever the thresholds say.
"""

from __future__ import annotations

from rostersync_core.model import RecordKind
from rostersync_core.platform.protocol import SYNCED_KINDS
from rostersync_core.sync.changes import KIND_LABELS, ChangeSet
from rostersync_core.sync.settings import SyncSettings

__all__ = ["NEAR_EMPTY_MIN_LINKED", "NEAR_EMPTY_SHARE", "hold_reasons"]

#: A kind's feed is "nearly empty" when the platform has at least this many linked records
#: of it and the SIS sent fewer than ``NEAR_EMPTY_SHARE`` of that number.
NEAR_EMPTY_MIN_LINKED = 10
NEAR_EMPTY_SHARE = 0.10

#: A feed with none of these is empty.
_FEED_KINDS = (RecordKind.CLASS, RecordKind.STUDENT, RecordKind.STAFF)


def hold_reasons(changes: ChangeSet, settings: SyncSettings) -> list[str]:
    """Why ``changes`` must be held for a person (an empty list: it need not be)."""
    reasons: list[str] = []
    full = [k for k in _FEED_KINDS if KIND_LABELS[k] not in changes.delta_kinds]
    if full and all(changes.feed.get(KIND_LABELS[k], 0) == 0 for k in full):
        reasons.append("the SIS sent no classes, students or staff: an empty feed is always held")
    else:
        for kind in SYNCED_KINDS:
            label = KIND_LABELS[kind]
            if label in changes.delta_kinds:
                continue
            linked = changes.population.get(label, 0)
            sent = changes.feed.get(label, 0)
            if linked >= NEAR_EMPTY_MIN_LINKED and sent < linked * NEAR_EMPTY_SHARE:
                reasons.append(
                    f"the SIS sent {sent} {label} where {linked} are linked on the platform:"
                    " a nearly empty feed is always held"
                )
    for kind in SYNCED_KINDS:
        label = KIND_LABELS[kind]
        linked = changes.population.get(label, 0)
        if linked == 0:
            continue
        rules = settings.for_kind(kind)
        counts = changes.counts[label]
        archived = 100.0 * counts["archive"] / linked
        if archived > rules.hold_archive_percent:
            reasons.append(
                f"{counts['archive']} of {linked} {label} would be archived ({archived:.0f}%,"
                f" above the {rules.hold_archive_percent:g}% threshold)"
            )
        updated = 100.0 * counts["update"] / linked
        if updated > rules.hold_update_percent:
            reasons.append(
                f"{counts['update']} of {linked} {label} would be updated ({updated:.0f}%,"
                f" above the {rules.hold_update_percent:g}% threshold)"
            )
    return reasons
