"""The diff of records of their own: classes, students, staff and family members.

Each SIS record is created, linked (an automatic match), updated, restored or left alone;
each linked platform record the SIS no longer sends is archived (or kept, as the settings
say). What it finds about each kind (:class:`Resolved`) tells the diff of enrolments and
family links (:mod:`rostersync_core.sync.memberships`) which ends it may join.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

import attrs

from rostersync_core.model import RecordKind
from rostersync_core.sync.changes import KIND_LABELS, ChangeSet, SyncAction, new_change
from rostersync_core.sync.settings import MissingPolicy
from rostersync_core.sync.sis_feed import DiffInputs, Entity

__all__ = ["Resolved", "changed_fields", "diff_entities", "note_skips"]

_CREATE = SyncAction.CREATE


@attrs.define
class Resolved:
    """What the diff of one kind tells the diff of enrolments and family links."""

    ids: dict[str, str]  # SIS id -> platform id, for records usable by joins
    created: set[str]  # SIS ids this request creates
    reverse: dict[str, str]  # platform id -> SIS id, for linked (managed) records
    protected_sis: set[str]  # excluded or unknown SIS ids: their joins are left alone
    protected_pids: set[str]  # excluded platform ids and the ids linked to protected_sis
    inactive: set[str]  # platform ids archived by this request or staying archived
    sent: Collection[str] = ()  # SIS ids the feed sent

    def known(self) -> set[str]:
        """SIS ids this kind knows of: sent by the SIS, linked, or protected."""
        return set(self.sent) | self.ids.keys() | self.protected_sis


def changed_fields(a: object, b: object, names: Iterable[str]) -> tuple[str, ...]:
    """The fields of ``names`` whose values differ between ``a`` and ``b``."""
    return tuple(n for n in names if getattr(a, n) != getattr(b, n))


def diff_entities(
    kind: RecordKind,
    inputs: DiffInputs,
    cs: ChangeSet,
    invalid: set[str],
    unidentified: bool,
) -> Resolved:
    """Add the changes of ``kind`` (one of the entity kinds) to ``cs``."""
    label = KIND_LABELS[kind]
    sis: Mapping[str, Entity] = inputs.feed.entities.get(kind, {})
    records = inputs.platform.get(kind, ())
    by_pid = {r.platform_id: r for r in records}
    links = inputs.links.get(kind, {})
    matches = inputs.matches.get(kind, {})
    excluded_sis = inputs.exclusions.sis.get(kind, frozenset())
    excluded_pids = inputs.exclusions.platform.get(kind, frozenset())
    ambiguous = {a.sis_id for a in inputs.ambiguous if a.kind is kind}
    settings = inputs.settings
    allowed = settings.allowed_fields(kind)
    rules = settings.for_kind(kind)
    delta = kind in inputs.feed.delta_kinds
    removed = inputs.feed.removed.get(kind, set())

    protected_sis = set(excluded_sis) | invalid
    protected_pids = set(excluded_pids)
    ids: dict[str, str] = {}
    reverse: dict[str, str] = {}
    inactive: set[str] = set()
    population = 0
    for sis_id, pid in links.items():
        record = by_pid.get(pid)
        if record is None:
            continue
        reverse[pid] = sis_id
        if sis_id in protected_sis:
            protected_pids.add(pid)
        elif pid not in excluded_pids:
            ids[sis_id] = pid
        if record.archived:
            inactive.add(pid)  # until restored below
        else:
            population += 1
    cs.population[label] = population
    cs.feed[label] = len(sis)
    created: set[str] = set()
    skipped_excluded = skipped_create = skipped_ambiguous = 0
    creates = unchanged = 0
    changes = cs.changes
    append = changes.append
    create = rules.create

    for sis_id, rec in sis.items():
        if sis_id in excluded_sis:
            skipped_excluded += 1
            continue
        pid = links.get(sis_id, "")
        record = by_pid.get(pid)
        matched = False
        if record is None:
            pid = matches.get(sis_id, "")
            record = by_pid.get(pid)
            matched = record is not None
        if record is None:
            if sis_id in ambiguous:
                skipped_ambiguous += 1
            elif not create:
                skipped_create += 1
            else:
                seq = len(changes)
                append(
                    new_change(
                        (seq, kind, _CREATE, sis_id, "", None, rec, (), (), False, "", False)
                    )
                )
                creates += 1
                created.add(sis_id)
            continue
        if pid in excluded_pids:
            skipped_excluded += 1
            protected_sis.add(sis_id)
            continue
        if matched:
            cs.add(kind, SyncAction.LINK, sis_id, platform_id=pid, before=record.values)
            ids[sis_id] = pid
            reverse[pid] = sis_id
            if not record.archived:  # matched records count for the hold thresholds too
                cs.population[label] += 1
        current = record.values
        if record.archived:
            inactive.discard(pid)
            fields = changed_fields(rec, current, allowed)
            cs.add(
                kind,
                SyncAction.RESTORE,
                sis_id,
                platform_id=pid,
                before=current,
                after=rec,
                fields=fields,
            )
        elif current == rec:
            unchanged += 1
        else:
            fields = changed_fields(rec, current, allowed)
            if fields:
                cs.add(
                    kind,
                    SyncAction.UPDATE,
                    sis_id,
                    platform_id=pid,
                    before=current,
                    after=rec,
                    fields=fields,
                )
            else:
                unchanged += 1
    cs.count(kind, "create", creates)

    preserved = 0
    if not unidentified:
        for sis_id, pid in links.items():
            if sis_id in sis or sis_id in protected_sis or pid in excluded_pids:
                continue
            record = by_pid.get(pid)
            if record is None or record.archived:
                continue
            if delta and sis_id not in removed:
                unchanged += 1
                continue
            if rules.missing is MissingPolicy.PRESERVE:
                preserved += 1
                continue
            cs.add(kind, SyncAction.ARCHIVE, sis_id, platform_id=pid, before=record.values)
            inactive.add(pid)
    cs.count(kind, "unchanged", unchanged)
    note_skips(
        cs,
        kind,
        excluded=skipped_excluded,
        create=skipped_create,
        ambiguous=skipped_ambiguous,
        preserved=preserved,
    )
    return Resolved(ids, created, reverse, protected_sis, protected_pids, inactive, sis.keys())


def note_skips(cs: ChangeSet, kind: RecordKind, **skips: int) -> None:
    """Count the records of ``kind`` skipped for each reason, with a note saying why."""
    label = KIND_LABELS[kind]
    why = {
        "excluded": "excluded",
        "create": "new but creation is turned off",
        "ambiguous": "ambiguous matches left for a person",
        "preserved": "gone from the SIS but preserved by the settings",
        "dangling": "naming a class or person the sync does not manage",
        "archived": "naming an archived class or person",
    }
    for reason, n in skips.items():
        if n:
            cs.count(kind, "skipped", n)
            cs.notes.append(f"{n} {label} skipped: {why[reason]}")
