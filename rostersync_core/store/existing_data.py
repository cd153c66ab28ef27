"""Existing-data mapping, stored: fetch SIS records, propose matches, link and unlink.

``fetch_existing_data`` reads the school's classes and people from the SIS, keeps them
(for review and for SIS-side exclusions), runs :func:`~rostersync_core.matching.match_records`
against the platform and keeps the candidates. Nothing is linked until a person accepts
(:func:`accept_matches`) or links explicitly (:func:`link_records`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import attrs
import sqlalchemy as sa

from rostersync_core.errors import ConfigError
from rostersync_core.fetch import FetchContext
from rostersync_core.matching import MatchCandidate, MatchResult, match_records
from rostersync_core.model import Person, RecordKind, SchoolClass, record_kind
from rostersync_core.platform.protocol import Platform, PlatformRecord
from rostersync_core.plugins import PluginHost
from rostersync_core.state import EXCLUDABLE_KINDS
from rostersync_core.store import tables as t
from rostersync_core.store.sis_records import label_of, load_sis_records, replace_sis_records
from rostersync_core.store.state_store import StateStore

__all__ = [
    "MATCHED_KINDS",
    "MatchRow",
    "accept_matches",
    "fetch_existing_data",
    "link_records",
    "match_overview",
    "unlink_records",
]

#: The kinds existing-data mapping links: classes, students, staff, family members.
MATCHED_KINDS: tuple[RecordKind, ...] = EXCLUDABLE_KINDS
_PERSON_KINDS = (RecordKind.STUDENT, RecordKind.STAFF, RecordKind.FAMILY)


@attrs.frozen
class MatchRow:
    """One fetched SIS record and where it stands.

    ``status``: ``linked`` (a link is saved), ``matched`` (one candidate, not yet accepted),
    ``ambiguous`` (a person must choose), ``unmatched`` (the sync will create it).
    """

    kind: RecordKind
    sis_id: str
    label: str
    status: str
    platform_id: str = ""
    candidates: tuple[MatchCandidate, ...] = ()


def _platform_records(
    platform: Platform, school_id: str, kind: RecordKind
) -> list[PlatformRecord]:
    if kind in _PERSON_KINDS:  # every person kind: a teacher who is also a parent shows
        return [r for k in _PERSON_KINDS for r in platform.list_records(school_id, k)]
    return list(platform.list_records(school_id, kind))


def fetch_existing_data(
    store: StateStore,
    host: PluginHost,
    platform: Platform,
    school_id: str,
    kinds: Sequence[RecordKind] = MATCHED_KINDS,
) -> dict[RecordKind, MatchResult]:
    """Fetch SIS classes and people, keep them, and propose matches for ``kinds``."""
    wrong = [str(k) for k in kinds if k not in MATCHED_KINDS]
    if wrong:
        raise ValueError(f"existing-data mapping links classes and people, not {wrong}")
    connection = store.get_connection(school_id)
    connector = host.connector(connection.connector)
    session = connector.authenticate(connection.config)
    context = FetchContext(sis_school_id=connection.sis_school_id)
    fetched: dict[RecordKind, list[Person | SchoolClass]] = {k: [] for k in kinds}
    if RecordKind.CLASS in fetched:
        for item in connector.fetch_classes(session, context):
            if isinstance(item, SchoolClass):
                fetched[RecordKind.CLASS].append(item)
    if any(k in fetched for k in _PERSON_KINDS):
        for person in connector.fetch_people(session, context):
            kind = record_kind(person)
            if kind in fetched:
                fetched[kind].append(person)
    excluded = store.exclusions(school_id)
    grades = store.grade_mappings(school_id)
    results: dict[RecordKind, MatchResult] = {}
    for kind, records in fetched.items():
        wanted = [r for r in records if not excluded.is_sis_excluded(kind, r.sis_id)]
        results[kind] = match_records(
            kind, wanted, _platform_records(platform, school_id, kind),
            store.links(school_id, kind), grades,
        )
    c = t.match_candidates.c
    with store.engine.begin() as conn:
        for kind, records in fetched.items():
            replace_sis_records(conn, school_id, kind, records)
            conn.execute(
                sa.delete(t.match_candidates).where(c.school_id == school_id, c.kind == str(kind))
            )
            rows = [
                _candidate_row(school_id, kind, cand, ambiguous=False)
                for cand in results[kind].matched.values()
            ] + [
                _candidate_row(school_id, kind, cand, ambiguous=True)
                for cands in results[kind].ambiguous.values()
                for cand in {x.platform_id: x for x in cands}.values()
            ]
            if rows:
                conn.execute(t.match_candidates.insert(), rows)
    return results


def _candidate_row(
    school_id: str, kind: RecordKind, cand: MatchCandidate, *, ambiguous: bool
) -> dict[str, object]:
    return {
        "school_id": school_id, "kind": str(kind), "sis_id": cand.sis_id,
        "platform_id": cand.platform_id, "rule": cand.rule, "reason": cand.reason[:1000],
        "ambiguous": ambiguous,
    }


def match_overview(
    store: StateStore, school_id: str, kinds: Sequence[RecordKind] = MATCHED_KINDS
) -> list[MatchRow]:
    """Every fetched SIS record of ``kinds`` with its status and candidates."""
    rows: list[MatchRow] = []
    c = t.match_candidates.c
    for kind in kinds:
        links = store.links(school_id, kind)
        with store.engine.connect() as conn:
            found = conn.execute(
                sa.select(t.match_candidates).where(c.school_id == school_id, c.kind == str(kind))
            ).all()
        candidates: dict[str, list[tuple[bool, MatchCandidate]]] = {}
        for r in found:
            candidates.setdefault(r.sis_id, []).append(
                (bool(r.ambiguous), MatchCandidate(r.sis_id, r.platform_id, r.rule, r.reason))
            )
        for record in load_sis_records(store.engine, school_id, kind):
            mine = candidates.get(record.sis_id, [])
            cands = tuple(cand for _, cand in mine)
            if record.sis_id in links:
                status, pid = "linked", links[record.sis_id]
            elif any(amb for amb, _ in mine):
                status, pid = "ambiguous", ""
            elif cands:
                status, pid = "matched", cands[0].platform_id
            else:
                status, pid = "unmatched", ""
            rows.append(MatchRow(kind, record.sis_id, label_of(record), status, pid, cands))
    return rows


def accept_matches(
    store: StateStore, school_id: str, kinds: Sequence[RecordKind] = MATCHED_KINDS
) -> dict[RecordKind, dict[str, str]]:
    """Link every unambiguous candidate of the last fetch; return what was linked.

    A candidate whose platform record was linked to another SIS record since the fetch (a
    person's choice) is skipped, so no platform record ever gets two SIS records.
    """
    accepted: dict[RecordKind, dict[str, str]] = {}
    for kind in kinds:
        taken = set(store.links(school_id, kind).values())
        pairs = {
            row.sis_id: row.platform_id
            for row in match_overview(store, school_id, [kind])
            if row.status == "matched" and row.platform_id not in taken
        }
        store.save_links(school_id, kind, pairs)
        accepted[kind] = pairs
    return accepted


def link_records(
    store: StateStore,
    platform: Platform,
    school_id: str,
    kind: RecordKind,
    pairs: Mapping[str, str],
) -> dict[str, str]:
    """Link SIS ids to platform ids chosen by a person (the platform records must exist).

    Raises :class:`ConfigError` naming a platform id the platform does not have, or one
    already linked to another SIS record.
    """
    existing = {r.platform_id for r in platform.list_records(school_id, kind)}
    linked_to = {pid: sid for sid, pid in store.links(school_id, kind).items()}
    for sis_id, platform_id in pairs.items():
        if platform_id not in existing:
            raise ConfigError(
                f"the platform has no {kind} {platform_id!r} in school {school_id!r}",
                field=sis_id,
            )
        other = linked_to.get(platform_id)
        if other is not None and other != sis_id:
            raise ConfigError(
                f"platform {kind} {platform_id!r} is already linked to SIS record {other!r}",
                field=sis_id,
                hint="unlink that one first (rostersync match unlink)",
            )
        linked_to[platform_id] = sis_id  # a second pair for the same record is refused too
    store.save_links(school_id, kind, pairs)
    return dict(pairs)


def unlink_records(
    store: StateStore, school_id: str, kind: RecordKind, sis_ids: Iterable[str]
) -> int:
    """Remove links; the next sync treats those SIS records as new (or matches again)."""
    return store.remove_links(school_id, kind, sis_ids)

