"""Grade and subject mapping, stored: fetch what the SIS has, suggest, map, unmap.

``kind`` is :attr:`RecordKind.GRADE` or :attr:`RecordKind.SUBJECT` throughout. A refetch
reports the values that are new and those that vanished (kept, marked not present).
Suggestions are saved only by :func:`accept_suggestions` or an explicit :func:`map_values`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs
import sqlalchemy as sa

from rostersync_core.errors import ConfigError
from rostersync_core.fetch import FetchContext
from rostersync_core.mapping.suggest import Suggestion, suggest_grade, suggest_subject
from rostersync_core.model import Grade, RecordKind, Subject
from rostersync_core.platform.protocol import Platform
from rostersync_core.plugins import PluginHost
from rostersync_core.store import StateStore
from rostersync_core.store import tables as t
from rostersync_core.store.sql import now, upsert

__all__ = [
    "MAPPED_KINDS",
    "RefetchReport",
    "SisValue",
    "accept_suggestions",
    "fetch_values",
    "fetched_ids",
    "list_values",
    "map_values",
    "platform_targets",
    "suggest_values",
    "unmap_values",
]

MAPPED_KINDS = (RecordKind.GRADE, RecordKind.SUBJECT)


@attrs.frozen
class SisValue:
    """One SIS grade or subject as stored, with its mapping (``platform_id``, ``""`` if none)."""

    sis_id: str
    name: str
    code: str = ""
    present: bool = True
    platform_id: str = ""
    platform_name: str = ""


@attrs.frozen
class RefetchReport:
    """What a fetch found compared with the previous one."""

    kind: RecordKind
    new: tuple[SisValue, ...]
    vanished: tuple[SisValue, ...]
    unchanged: tuple[SisValue, ...]


def _check_kind(kind: RecordKind) -> None:
    if kind not in MAPPED_KINDS:
        raise ValueError(f"only grades and subjects are mapped, not {kind}")


def platform_targets(platform: Platform, kind: RecordKind) -> list[tuple[str, str]]:
    """The platform's grades or subjects as ``(id, name)`` pairs."""
    _check_kind(kind)
    items = platform.list_grades() if kind is RecordKind.GRADE else platform.list_subjects()
    return [(item.id, item.name) for item in items]


def fetch_values(
    store: StateStore, host: PluginHost, school_id: str, kind: RecordKind
) -> RefetchReport:
    """Fetch the school's grades or subjects from its SIS and store them."""
    _check_kind(kind)
    connection = store.get_connection(school_id)
    connector = host.connector(connection.connector)
    session = connector.authenticate(connection.config)
    context = FetchContext(sis_school_id=connection.sis_school_id)
    fetched: dict[str, Grade | Subject] = {}
    stream = (
        connector.fetch_grades(session, context)
        if kind is RecordKind.GRADE
        else connector.fetch_subjects(session, context)
    )
    for record in stream:
        fetched[record.sis_id] = record
    before = {v.sis_id: v for v in list_values(store, school_id, kind)}
    stamp = now()
    c = t.sis_values.c
    with store.engine.begin() as conn:
        upsert(
            conn, t.sis_values,
            [
                {"school_id": school_id, "kind": str(kind), "sis_id": r.sis_id,
                 "name": r.name, "code": getattr(r, "code", ""), "present": True,
                 "first_seen": stamp, "last_seen": stamp}
                for r in fetched.values()
            ],
            keys=("school_id", "kind", "sis_id"),
            update=("name", "code", "present", "last_seen"),
        )
        gone = [sid for sid, v in before.items() if v.present and sid not in fetched]
        if gone:
            conn.execute(
                sa.update(t.sis_values)
                .where(c.school_id == school_id, c.kind == str(kind), c.sis_id.in_(gone))
                .values(present=False)
            )
    after = {v.sis_id: v for v in list_values(store, school_id, kind)}
    new = [after[s] for s in fetched if s not in before or not before[s].present]
    return RefetchReport(
        kind=kind,
        new=tuple(new),
        vanished=tuple(after[s] for s in sorted(before) if before[s].present and s not in fetched),
        unchanged=tuple(after[s] for s in fetched if s in before and before[s].present),
    )


def list_values(
    store: StateStore, school_id: str, kind: RecordKind, platform: Platform | None = None
) -> list[SisValue]:
    """The stored SIS values with their mappings (mapped values never fetched included).

    With ``platform``, each mapping carries the platform grade/subject name.
    """
    _check_kind(kind)
    c = t.sis_values.c
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(c.sis_id, c.name, c.code, c.present)
            .where(c.school_id == school_id, c.kind == str(kind))
            .order_by(c.sis_id)
        ).all()
    mappings = store.value_mappings(school_id, kind)
    names = dict(platform_targets(platform, kind)) if platform is not None else {}
    values = [
        SisValue(r.sis_id, r.name, r.code, bool(r.present), mappings.get(r.sis_id, ""),
                 names.get(mappings.get(r.sis_id, ""), ""))
        for r in rows
    ]
    known = {v.sis_id for v in values}
    values += [
        SisValue(sid, "", "", False, pid, names.get(pid, ""))
        for sid, pid in sorted(mappings.items())
        if sid not in known
    ]
    return values


def fetched_ids(store: StateStore, school_id: str, kind: RecordKind) -> set[str]:
    """The SIS ids of the values a fetch ever stored (present or vanished)."""
    _check_kind(kind)
    c = t.sis_values.c
    with store.engine.connect() as conn:
        return set(conn.execute(
            sa.select(c.sis_id).where(c.school_id == school_id, c.kind == str(kind))
        ).scalars())


def suggest_values(
    store: StateStore, platform: Platform, school_id: str, kind: RecordKind,
    *, include_mapped: bool = False,
) -> list[Suggestion]:
    """A suggestion for each present SIS value (unmapped ones only, unless told)."""
    targets = platform_targets(platform, kind)
    suggest = suggest_grade if kind is RecordKind.GRADE else suggest_subject
    return [
        suggest(v.sis_id, v.name, targets)
        for v in list_values(store, school_id, kind)
        if v.present and (include_mapped or not v.platform_id)
    ]


def map_values(
    store: StateStore, platform: Platform, school_id: str, kind: RecordKind,
    pairs: Mapping[str, str],
) -> dict[str, str]:
    """Save SIS value -> platform id mappings; :class:`ConfigError` for an unknown target."""
    known = dict(platform_targets(platform, kind))
    by_name = {name.casefold(): pid for pid, name in known.items()}
    resolved: dict[str, str] = {}
    for sis_id, target in pairs.items():
        pid = target if target in known else by_name.get(target.casefold(), "")
        if not pid:
            what = "grade" if kind is RecordKind.GRADE else "subject"
            raise ConfigError(
                f"the platform has no {what} {target!r}",
                field=sis_id,
                hint=f"the platform's {what}s: "
                + ", ".join(f"{i} ({n})" for i, n in list(known.items())[:30]),
            )
        resolved[sis_id] = pid
    store.save_value_mappings(school_id, kind, resolved)
    return resolved


def accept_suggestions(
    store: StateStore, platform: Platform, school_id: str, kind: RecordKind
) -> dict[str, str]:
    """Save every suggestion for unmapped values that found a platform value."""
    accepted = {
        s.sis_id: s.platform_id
        for s in suggest_values(store, platform, school_id, kind)
        if s.platform_id
    }
    store.save_value_mappings(school_id, kind, accepted)
    return accepted


def unmap_values(
    store: StateStore, school_id: str, kind: RecordKind, sis_ids: Iterable[str]
) -> int:
    """Forget mappings; return how many there were."""
    _check_kind(kind)
    return store.remove_value_mappings(school_id, kind, sis_ids)
