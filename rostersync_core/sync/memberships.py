"""The diff of memberships: enrolments (a person in a class) and family links (a family
member and a student).

A membership is managed when both its ends are linked to the SIS (or created by the same
request: it is then created naming their SIS ids, resolved when applied). It follows what
it joins: a class or person archived by the request, or staying archived, takes its active
memberships with it, and none is created or restored for it.

On a first sync every enrolment of a district is created here (a million at 100k
students): the loop over the feed keeps its per-record work to look-ups.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence

from rostersync_core.model import Enrolment, EnrolmentRole, FamilyLink, RecordKind
from rostersync_core.platform.protocol import PlatformRecord
from rostersync_core.sync.changes import KIND_LABELS, ChangeSet, SyncAction, new_change
from rostersync_core.sync.people_and_classes import Resolved, changed_fields, note_skips
from rostersync_core.sync.settings import MissingPolicy
from rostersync_core.sync.sis_feed import STAFF_KEY_SUFFIX, DiffInputs, Join

__all__ = ["diff_joins"]

_CREATE = SyncAction.CREATE
_STUDENT = EnrolmentRole.STUDENT


def diff_joins(
    kind: RecordKind,
    inputs: DiffInputs,
    cs: ChangeSet,
    resolved: Mapping[RecordKind, Resolved],
    invalid: set[str],
    unidentified: bool,
) -> None:
    """Add the changes of ``kind`` (enrolments or family links) to ``cs``."""
    label = KIND_LABELS[kind]
    sis: Mapping[str, Join] = inputs.feed.joins.get(kind, {})
    rules = inputs.settings.for_kind(kind)
    allowed = inputs.settings.allowed_fields(kind)
    compare = _getter(allowed)
    delta = kind in inputs.feed.delta_kinds
    removed = inputs.feed.removed.get(kind, set())
    enrolments = kind is RecordKind.ENROLMENT
    students = resolved[RecordKind.STUDENT]
    if enrolments:
        left, ref_left = resolved[RecordKind.CLASS], "class_sis_id"
        staff = resolved[RecordKind.STAFF]
        right, ref_right = _merge((students, staff)), "person_sis_id"
        # Which kind an enrolment's person is: the students for a student's enrolment and
        # the staff for anyone else's, unless only the other kind knows the SIS id (SIS ids
        # of students and staff may collide: PowerSchool numbers each table on its own).
        known_students, known_staff = students.known(), staff.known()
        staff_of_students = known_staff - known_students
        students_of_staff = known_students - known_staff
    else:
        left, ref_left = resolved[RecordKind.FAMILY], "family_sis_id"
        right, ref_right, staff = students, "student_sis_id", students
        staff_of_students = students_of_staff = set()
    ends = operator.attrgetter(ref_left, ref_right)

    by_pair, population = _platform_pairs(inputs.platform.get(kind, ()), ends, left, right)
    cs.population[label] = population
    cs.feed[label] = len(sis)

    dangling = skipped_create = skipped_archived = 0
    creates = unchanged = 0
    create = rules.create
    both, only_left, only_right = (ref_left, ref_right), (ref_left,), (ref_right,)
    left_protected, left_ids, left_created = left.protected_sis, left.ids, left.created
    left_inactive, right_inactive = left.inactive, right.inactive
    unseen = dict(by_pair)  # platform memberships the feed does not name (yet)
    changes = cs.changes
    append = changes.append
    cut = -len(STAFF_KEY_SUFFIX)
    person = students
    for key, rec in sis.items():
        if key.endswith(STAFF_KEY_SUFFIX):
            key = key[:cut]
        lsis, rsis = ends(rec)
        if enrolments:
            if rec.role is _STUDENT:  # type: ignore[union-attr]
                person = staff if rsis in staff_of_students else students
            else:
                person = students if rsis in students_of_staff else staff
        if lsis in left_protected or rsis in person.protected_sis:
            continue  # excluded or unknown: left alone
        lpid = left_ids.get(lsis)
        rpid = person.ids.get(rsis)
        if (lpid is None and lsis not in left_created) or (
            rpid is None and rsis not in person.created
        ):
            dangling += 1
            continue
        if lpid is None or rpid is None:  # an end this request creates
            if not create:
                skipped_create += 1
                continue
            refs = only_right if lpid is not None else only_left if rpid is not None else both
            lid, rid = lpid or lsis, rpid or rsis
            after = rec if lid == lsis and rid == rsis else _rebind(rec, lid, rid)
            seq = len(changes)
            append(
                new_change((seq, kind, _CREATE, key, "", None, after, (), refs, False, "", False))
            )
            creates += 1
            continue
        pair = (lpid, rpid)
        found = by_pair.get(pair)
        if lpid in left_inactive or rpid in right_inactive:
            if found is None or found.archived:
                skipped_archived += 1
            continue  # an active one is archived below, with its class or person
        unseen.pop(pair, None)
        if found is None:
            if not create:
                skipped_create += 1
                continue
            after = rec if lpid == lsis and rpid == rsis else _rebind(rec, lpid, rpid)
            seq = len(changes)
            append(new_change((seq, kind, _CREATE, key, "", None, after, (), (), False, "", False)))
            creates += 1
            continue
        current = found.values
        fields = () if compare(rec) == compare(current) else changed_fields(rec, current, allowed)
        if found.archived or fields:
            cs.add(
                kind,
                SyncAction.RESTORE if found.archived else SyncAction.UPDATE,
                key,
                platform_id=found.platform_id,
                before=current,
                after=_rebind(rec, lpid, rpid),
                fields=fields,
            )
        else:
            unchanged += 1
    cs.count(kind, "create", creates)

    preserved = 0
    if not unidentified:
        for pair, record in unseen.items():
            if record.archived:
                continue
            lsis_ = left.reverse.get(pair[0])
            rsis_ = right.reverse.get(pair[1])
            if lsis_ is None or rsis_ is None:
                continue  # not managed by the sync
            if pair[0] in left.protected_pids or pair[1] in right.protected_pids:
                continue
            key = f"{lsis_}|{rsis_}"
            follows = pair[0] in left_inactive or pair[1] in right_inactive
            if not follows:
                if (
                    key in sis
                    or key + STAFF_KEY_SUFFIX in sis
                    or key in invalid
                    or getattr(record.values, "sis_id", "") in invalid
                ):
                    continue
                if delta and key not in removed:
                    unchanged += 1
                    continue
            if rules.missing is MissingPolicy.PRESERVE:
                preserved += 1
                continue
            cs.add(
                kind, SyncAction.ARCHIVE, key, platform_id=record.platform_id, before=record.values
            )
    cs.count(kind, "unchanged", unchanged)
    note_skips(
        cs,
        kind,
        dangling=dangling,
        create=skipped_create,
        archived=skipped_archived,
        preserved=preserved,
    )


def _platform_pairs(
    records: Sequence[PlatformRecord],
    ends: Callable[[object], tuple[str, str]],
    left: Resolved,
    right: Resolved,
) -> tuple[dict[tuple[str, str], PlatformRecord], int]:
    """The platform's memberships by the platform ids they join (an active record of a
    pair before an archived one), and how many active ones the sync manages."""
    by_pair: dict[tuple[str, str], PlatformRecord] = {}
    population = 0
    left_reverse, right_reverse = left.reverse, right.reverse
    for record in records:
        pair = ends(record.values)
        if record.archived:
            by_pair.setdefault(pair, record)  # an active record of the pair comes first
            continue
        by_pair[pair] = record
        if pair[0] in left_reverse and pair[1] in right_reverse:
            population += 1
    return by_pair, population


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


def _merge(parts: Sequence[Resolved]) -> Resolved:
    merged = Resolved({}, set(), {}, set(), set(), set())
    for part in parts:
        merged.ids.update(part.ids)
        merged.created |= part.created
        merged.reverse.update(part.reverse)
        merged.protected_sis |= part.protected_sis
        merged.protected_pids |= part.protected_pids
        merged.inactive |= part.inactive
    return merged
