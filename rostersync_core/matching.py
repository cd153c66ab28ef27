"""Existing-data matching: which platform record is already this SIS record?

:func:`match_records` is pure. For each SIS record it tries, in order,

1. ``link`` — an existing link (state store) to a platform record that still exists;
2. ``sis_id`` — the platform record keeps the same SIS id;
3. ``email`` — same e-mail, ignoring case and surrounding whitespace (people only);
4. ``name_grade`` — same given and family name and the same (mapped) grade (students only);
   for classes, ``title`` — the same title, ignoring case and spacing.

The first rule that finds anything decides. A record is *ambiguous*, never linked by guess,
when that rule finds two platform records, when the platform record is already linked to
another SIS record (a stored link, or another SIS id kept on the platform record), when two
SIS records claim the same platform record, when a student found by name and grade has
another e-mail than the SIS record, or when the e-mail also belongs to a platform person of
another kind (a teacher who is also a parent).
Pass platform people of every kind to see that last case.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

import attrs

from rostersync_core.model import Person, PersonKind, RecordKind, SchoolClass
from rostersync_core.platform.protocol import PlatformRecord

__all__ = ["MATCH_RULES", "MatchCandidate", "MatchResult", "match_records", "normalise_email"]

#: The rules, in the order they are tried.
MATCH_RULES: tuple[str, ...] = ("link", "sis_id", "email", "name_grade", "title")

_PERSON_KIND = {
    RecordKind.STUDENT: PersonKind.STUDENT,
    RecordKind.STAFF: PersonKind.STAFF,
    RecordKind.FAMILY: PersonKind.FAMILY,
}


@attrs.frozen
class MatchCandidate:
    """A platform record proposed for an SIS record, with the rule and a readable reason."""

    sis_id: str
    platform_id: str
    rule: str
    reason: str


@attrs.frozen
class MatchResult:
    """``matched``: one candidate per SIS id; ``ambiguous``: several (or a conflict) for a
    person to decide; ``unmatched``: SIS ids with no platform record (sorted)."""

    matched: dict[str, MatchCandidate] = attrs.field(factory=dict)
    ambiguous: dict[str, tuple[MatchCandidate, ...]] = attrs.field(factory=dict)
    unmatched: tuple[str, ...] = ()


def normalise_email(email: str) -> str:
    """An e-mail for comparison: trimmed and lower-cased (``""`` stays ``""``)."""
    return email.strip().casefold()


def _name(text: str) -> str:
    return " ".join(text.split()).casefold()


def _describe(record: PlatformRecord) -> str:
    values = record.values
    if isinstance(values, Person):
        label = f"{values.given_name} {values.family_name}".strip()
    elif isinstance(values, SchoolClass):
        label = values.title
    else:
        label = record.platform_id
    archived = ", archived" if record.archived else ""
    return f"{label} ({record.platform_id}{archived})"


@attrs.define
class _Index:
    """Platform records of the kind being matched, indexed by each rule's key."""

    by_id: dict[str, PlatformRecord] = attrs.field(factory=dict)
    by_sis_id: dict[str, list[PlatformRecord]] = attrs.field(factory=lambda: defaultdict(list))
    by_email: dict[str, list[PlatformRecord]] = attrs.field(factory=lambda: defaultdict(list))
    by_name_grade: dict[tuple[str, str, str], list[PlatformRecord]] = attrs.field(
        factory=lambda: defaultdict(list)
    )
    by_title: dict[str, list[PlatformRecord]] = attrs.field(factory=lambda: defaultdict(list))
    other_kind_emails: dict[str, list[PlatformRecord]] = attrs.field(
        factory=lambda: defaultdict(list)
    )


def _index(kind: RecordKind, platform_records: Iterable[PlatformRecord]) -> _Index:
    index = _Index()
    person_kind = _PERSON_KIND.get(kind)
    for record in platform_records:
        values = record.values
        if isinstance(values, Person) and person_kind is not None:
            email = normalise_email(values.email)
            if values.kind is not person_kind:
                if email:
                    index.other_kind_emails[email].append(record)
                continue
            index.by_id[record.platform_id] = record
            if values.sis_id:
                index.by_sis_id[values.sis_id].append(record)
            if email:
                index.by_email[email].append(record)
            if person_kind is PersonKind.STUDENT:
                key = (_name(values.given_name), _name(values.family_name), values.grade_id)
                index.by_name_grade[key].append(record)
        elif isinstance(values, SchoolClass) and kind is RecordKind.CLASS:
            index.by_id[record.platform_id] = record
            if values.sis_id:
                index.by_sis_id[values.sis_id].append(record)
            if values.title.strip():
                index.by_title[_name(values.title)].append(record)
    return index


def _rule_hits(
    kind: RecordKind,
    sis: Person | SchoolClass,
    index: _Index,
    grade_mappings: Mapping[str, str],
) -> tuple[str, str, list[PlatformRecord]]:
    """(rule, what matched, platform records) of the first rule that finds anything."""
    hits = index.by_sis_id.get(sis.sis_id, []) if sis.sis_id else []
    if hits:
        return "sis_id", f"the platform record keeps SIS id {sis.sis_id!r}", hits
    if isinstance(sis, Person):
        email = normalise_email(sis.email)
        if email and index.by_email.get(email):
            return "email", f"same e-mail {email!r}", index.by_email[email]
        if kind is RecordKind.STUDENT and sis.grade_id:
            grade = grade_mappings.get(sis.grade_id)
            given, family = _name(sis.given_name), _name(sis.family_name)
            if grade and given and family:
                hits = index.by_name_grade.get((given, family, grade), [])
                if hits:
                    return (
                        "name_grade",
                        f"same name {sis.given_name} {sis.family_name} and grade "
                        f"{sis.grade_id!r} (platform grade {grade!r})",
                        hits,
                    )
    elif isinstance(sis, SchoolClass):
        title = _name(sis.title)
        if title and index.by_title.get(title):
            return "title", f"same title {sis.title!r}", index.by_title[title]
    return "", "", []


def match_records(
    kind: RecordKind,
    sis_records: Iterable[Person | SchoolClass],
    platform_records: Iterable[PlatformRecord],
    links: Mapping[str, str],
    grade_mappings: Mapping[str, str],
) -> MatchResult:
    """Match SIS records of ``kind`` to existing platform records (see the module doc)."""
    index = _index(kind, platform_records)
    linked_to = {pid: sis_id for sis_id, pid in links.items()}
    matched: dict[str, MatchCandidate] = {}
    ambiguous: dict[str, tuple[MatchCandidate, ...]] = {}
    unmatched: list[str] = []
    person_kind = _PERSON_KIND.get(kind)
    for sis in sis_records:
        if isinstance(sis, Person) and sis.kind is not person_kind:
            continue
        if isinstance(sis, SchoolClass) and kind is not RecordKind.CLASS:
            continue
        sis_id = sis.sis_id
        linked = links.get(sis_id)
        if linked and linked in index.by_id:
            matched[sis_id] = MatchCandidate(
                sis_id, linked, "link", f"already linked to {_describe(index.by_id[linked])}"
            )
            continue
        rule, why, hits = _rule_hits(kind, sis, index, grade_mappings)
        if not hits:
            cross = _other_kind(sis, index)
            if cross:
                ambiguous[sis_id] = cross
            else:
                unmatched.append(sis_id)
            continue
        candidates = []
        conflict = len(hits) > 1
        for hit in hits:
            reason = f"{why}: {_describe(hit)}"
            other = linked_to.get(hit.platform_id)
            if other is not None and other != sis_id:
                reason += f"; already linked to SIS record {other!r}"
                conflict = True
            kept = _kept_sis_id(hit)
            if rule != "sis_id" and kept and kept != sis_id:
                reason += f"; the platform record keeps another SIS id {kept!r}"
                conflict = True
            if rule == "name_grade" and _emails_differ(sis, hit):
                reason += "; but the e-mails differ"
                conflict = True
            candidates.append(MatchCandidate(sis_id, hit.platform_id, rule, reason))
        if len(hits) > 1:
            candidates = [
                attrs.evolve(c, reason=c.reason + f"; {len(hits)} platform records match")
                for c in candidates
            ]
        if rule == "email":
            cross = _other_kind(sis, index)
            conflict = conflict or bool(cross)
            candidates.extend(cross)
        if conflict:
            ambiguous[sis_id] = tuple(candidates)
        else:
            matched[sis_id] = candidates[0]
    _demote_shared_claims(matched, ambiguous)
    return MatchResult(matched=matched, ambiguous=ambiguous, unmatched=tuple(sorted(unmatched)))


def _kept_sis_id(record: PlatformRecord) -> str:
    """The SIS id the platform record keeps (``""`` when none)."""
    values = record.values
    return values.sis_id if isinstance(values, (Person, SchoolClass)) else ""


def _emails_differ(sis: Person | SchoolClass, record: PlatformRecord) -> bool:
    """Both people have an e-mail and they are not the same (a namesake, not this person)."""
    if not isinstance(sis, Person) or not isinstance(record.values, Person):
        return False
    ours, theirs = normalise_email(sis.email), normalise_email(record.values.email)
    return bool(ours and theirs and ours != theirs)


def _other_kind(sis: Person | SchoolClass, index: _Index) -> tuple[MatchCandidate, ...]:
    """Platform people of another kind with this person's e-mail."""
    if not isinstance(sis, Person):
        return ()
    email = normalise_email(sis.email)
    if not email:
        return ()
    found = []
    for record in index.other_kind_emails.get(email, []):
        other_kind = record.values.kind if isinstance(record.values, Person) else "record"
        found.append(MatchCandidate(
            sis.sis_id, record.platform_id, "email",
            f"same e-mail {email!r}: {_describe(record)} is a {other_kind} on the platform "
            f"and this SIS record a {sis.kind} (a teacher who is also a parent?)",
        ))
    return tuple(found)


def _demote_shared_claims(
    matched: dict[str, MatchCandidate], ambiguous: dict[str, tuple[MatchCandidate, ...]]
) -> None:
    """Two SIS records matched to one platform record: neither is linked by guess."""
    claims: dict[str, list[str]] = defaultdict(list)
    for sis_id, candidate in matched.items():
        claims[candidate.platform_id].append(sis_id)
    for platform_id, sis_ids in claims.items():
        guessed = [s for s in sis_ids if matched[s].rule != "link"]
        if len(sis_ids) < 2 or not guessed:
            continue
        for sis_id in guessed:
            candidate = matched.pop(sis_id)
            others = ", ".join(repr(s) for s in sis_ids if s != sis_id)
            ambiguous[sis_id] = (
                attrs.evolve(
                    candidate,
                    reason=f"{candidate.reason}; SIS record(s) {others} match {platform_id!r} too",
                ),
            )
