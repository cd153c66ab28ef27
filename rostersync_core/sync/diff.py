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
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

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
from rostersync_core.sync.changes import (
    KIND_LABELS,
    AmbiguousRecord,
    ChangeSet,
    SyncAction,
)
from rostersync_core.sync.settings import MissingPolicy, SyncSettings

__all__ = [
    "ENTITY_KINDS",
    "JOIN_KINDS",
    "STAFF_KEY_SUFFIX",
    "DiffInputs",
    "SisFeed",
    "compute_changes",
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


@attrs.define
class _Resolved:
    """What the entity diff tells the join diff about one kind."""

    ids: dict[str, str]  # SIS id -> platform id, for records usable by joins
    created: set[str]  # SIS ids this request creates
    reverse: dict[str, str]  # platform id -> SIS id, for linked (managed) records
    protected_sis: set[str]  # excluded or unknown SIS ids: their joins are left alone
    protected_pids: set[str]  # excluded platform ids and the ids linked to protected_sis
    inactive: set[str]  # platform ids archived by this request or staying archived
    sent: Collection[str] = ()  # SIS ids the feed sent


def _changed(a: object, b: object, names: Iterable[str]) -> tuple[str, ...]:
    return tuple(n for n in names if getattr(a, n) != getattr(b, n))


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
    resolved: dict[RecordKind, _Resolved] = {}
    for kind in ENTITY_KINDS:
        resolved[kind] = _diff_entities(
            kind, inputs, cs, invalid_ids.get(kind, set()), kind in unidentified
        )
    entity_unknown = bool(unidentified & set(ENTITY_KINDS))
    for kind in JOIN_KINDS:
        _diff_joins(
            kind,
            inputs,
            cs,
            resolved,
            invalid_ids.get(kind, set()),
            entity_unknown or kind in unidentified,
        )
    return cs


def _diff_entities(
    kind: RecordKind,
    inputs: DiffInputs,
    cs: ChangeSet,
    invalid: set[str],
    unidentified: bool,
) -> _Resolved:
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
            elif not rules.create:
                skipped_create += 1
            else:
                cs.add(kind, SyncAction.CREATE, sis_id, after=rec)
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
            fields = _changed(rec, current, allowed)
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
            cs.count(kind, "unchanged")
        else:
            fields = _changed(rec, current, allowed)
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
                cs.count(kind, "unchanged")

    preserved = 0
    if not unidentified:
        for sis_id, pid in links.items():
            if sis_id in sis or sis_id in protected_sis or pid in excluded_pids:
                continue
            record = by_pid.get(pid)
            if record is None or record.archived:
                continue
            if delta and sis_id not in removed:
                cs.count(kind, "unchanged")
                continue
            if rules.missing is MissingPolicy.PRESERVE:
                preserved += 1
                continue
            cs.add(kind, SyncAction.ARCHIVE, sis_id, platform_id=pid, before=record.values)
            inactive.add(pid)
    _note_skips(
        cs,
        kind,
        excluded=skipped_excluded,
        create=skipped_create,
        ambiguous=skipped_ambiguous,
        preserved=preserved,
    )
    return _Resolved(ids, created, reverse, protected_sis, protected_pids, inactive, sis.keys())


def _note_skips(cs: ChangeSet, kind: RecordKind, **skips: int) -> None:
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


def _diff_joins(
    kind: RecordKind,
    inputs: DiffInputs,
    cs: ChangeSet,
    resolved: Mapping[RecordKind, _Resolved],
    invalid: set[str],
    unidentified: bool,
) -> None:
    label = KIND_LABELS[kind]
    sis: Mapping[str, Join] = inputs.feed.joins.get(kind, {})
    rules = inputs.settings.for_kind(kind)
    allowed = inputs.settings.allowed_fields(kind)
    compare = _getter(allowed)
    delta = kind in inputs.feed.delta_kinds
    removed = inputs.feed.removed.get(kind, set())
    if kind is RecordKind.ENROLMENT:
        left, ref_left = resolved[RecordKind.CLASS], "class_sis_id"
        right_kinds: tuple[_Resolved, ...] = (
            resolved[RecordKind.STUDENT],
            resolved[RecordKind.STAFF],
        )
        ref_right = "person_sis_id"
    else:
        left, ref_left = resolved[RecordKind.FAMILY], "family_sis_id"
        right_kinds = (resolved[RecordKind.STUDENT],)
        ref_right = "student_sis_id"
    right = _merge(right_kinds)

    by_pair: dict[tuple[str, str], PlatformRecord] = {}
    population = 0
    for record in inputs.platform.get(kind, ()):
        values = record.values
        pair = (getattr(values, ref_left), getattr(values, ref_right))
        if record.archived:
            by_pair.setdefault(pair, record)  # an active record of the pair comes first
            continue
        by_pair[pair] = record
        if pair[0] in left.reverse and pair[1] in right.reverse:
            population += 1
    cs.population[label] = population
    cs.feed[label] = len(sis)

    dangling = skipped_create = skipped_archived = 0
    seen: set[tuple[str, str]] = set()
    for key, rec in sis.items():
        if key.endswith(STAFF_KEY_SUFFIX):
            key = key[: -len(STAFF_KEY_SUFFIX)]
        lsis = getattr(rec, ref_left)
        rsis = getattr(rec, ref_right)
        person = _person_side(rec, right_kinds) if kind is RecordKind.ENROLMENT else right
        if lsis in left.protected_sis or rsis in person.protected_sis:
            continue  # excluded or unknown: left alone
        lpid = left.ids.get(lsis)
        rpid = person.ids.get(rsis)
        refs: list[str] = []
        if lpid is None:
            if lsis not in left.created:
                dangling += 1
                continue
            refs.append(ref_left)
        if rpid is None:
            if rsis not in person.created:
                dangling += 1
                continue
            refs.append(ref_right)
        if refs:
            if not rules.create:
                skipped_create += 1
                continue
            after = _rebind(rec, lpid or lsis, rpid or rsis)
            cs.add(kind, SyncAction.CREATE, key, after=after, refs=tuple(refs))
            continue
        assert lpid is not None and rpid is not None
        pair = (lpid, rpid)
        found = by_pair.get(pair)
        if lpid in left.inactive or rpid in right.inactive:
            if found is None or found.archived:
                skipped_archived += 1
            continue  # an active one is archived below, with its class or person
        seen.add(pair)
        if found is None:
            if not rules.create:
                skipped_create += 1
                continue
            after = _rebind(rec, lpid, rpid)
            cs.add(kind, SyncAction.CREATE, key, after=after)
            continue
        current = found.values
        fields = () if compare(rec) == compare(current) else _changed(rec, current, allowed)
        if found.archived or fields:
            after = _rebind(rec, lpid, rpid)
            action = SyncAction.RESTORE if found.archived else SyncAction.UPDATE
            cs.add(
                kind,
                action,
                key,
                platform_id=found.platform_id,
                before=current,
                after=after,
                fields=fields,
            )
        else:
            cs.count(kind, "unchanged")

    preserved = 0
    if not unidentified:
        for pair, record in by_pair.items():
            if record.archived or pair in seen:
                continue
            lsis_ = left.reverse.get(pair[0])
            rsis_ = right.reverse.get(pair[1])
            if lsis_ is None or rsis_ is None:
                continue  # not managed by the sync
            if pair[0] in left.protected_pids or pair[1] in right.protected_pids:
                continue
            key = f"{lsis_}|{rsis_}"
            follows = pair[0] in left.inactive or pair[1] in right.inactive
            if not follows:
                if (
                    key in sis
                    or key + STAFF_KEY_SUFFIX in sis
                    or key in invalid
                    or getattr(record.values, "sis_id", "") in invalid
                ):
                    continue
                if delta and key not in removed:
                    cs.count(kind, "unchanged")
                    continue
            if rules.missing is MissingPolicy.PRESERVE:
                preserved += 1
                continue
            cs.add(
                kind, SyncAction.ARCHIVE, key, platform_id=record.platform_id, before=record.values
            )
    _note_skips(
        cs,
        kind,
        dangling=dangling,
        create=skipped_create,
        archived=skipped_archived,
        preserved=preserved,
    )


def _rebind(rec: Join, left: str, right: str) -> Join:
    """``rec`` joining ``left`` and ``right`` (platform ids, or SIS ids still to resolve).
    ``rec`` itself (frozen, so safe to share) when it already does: on a first sync every
    join of records created by the same request, a million of them at 100k students."""
    if type(rec) is Enrolment:
        if rec.class_sis_id == left and rec.person_sis_id == right:
            return rec
        return Enrolment(
            left, right, rec.role, rec.primary, rec.begin_date, rec.end_date, rec.sis_id
        )
    assert isinstance(rec, FamilyLink)
    if rec.family_sis_id == left and rec.student_sis_id == right:
        return rec
    return FamilyLink(left, right, rec.relationship)


def _getter(names: Sequence[str]) -> Callable[[object], object]:
    """A fast reader of ``names`` (a tuple of their values; ``()`` for no names)."""
    if not names:
        return lambda _record: ()
    return operator.attrgetter(*names) if len(names) > 1 else operator.attrgetter(names[0])


def _merge(parts: Sequence[_Resolved]) -> _Resolved:
    if len(parts) == 1:
        return parts[0]
    merged = _Resolved({}, set(), {}, set(), set(), set())
    for part in parts:
        merged.ids.update(part.ids)
        merged.created |= part.created
        merged.reverse.update(part.reverse)
        merged.protected_sis |= part.protected_sis
        merged.protected_pids |= part.protected_pids
        merged.inactive |= part.inactive
    return merged


def _person_side(rec: Join, kinds: Sequence[_Resolved]) -> _Resolved:
    """Which kind an enrolment's person is: the students for a student's enrolment and the
    staff for anyone else's, unless only the other kind knows the SIS id (SIS ids of
    students and staff may collide: PowerSchool numbers each table on its own)."""
    assert isinstance(rec, Enrolment)
    students, staff = kinds
    first, second = (students, staff) if rec.role is EnrolmentRole.STUDENT else (staff, students)
    sis_id = rec.person_sis_id
    if _knows(first, sis_id) or not _knows(second, sis_id):
        return first
    return second


def _knows(side: _Resolved, sis_id: str) -> bool:
    return sis_id in side.sent or sis_id in side.ids or sis_id in side.protected_sis
