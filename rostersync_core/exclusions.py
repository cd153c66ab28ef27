"""Exclusions, both sides, per kind (classes, students, staff, family members).

A platform-side exclusion names a platform record the sync must never create, modify or
archive; an SIS-side exclusion an SIS record that must never be synced in. The enrolments
and family links of an excluded record are left alone too (the sync engine reads
:meth:`StateStore.exclusions <rostersync_core.store.StateStore.exclusions>`).
Changes apply to future syncs only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import attrs
import sqlalchemy as sa

from rostersync_core.errors import ConfigError
from rostersync_core.model import RecordKind
from rostersync_core.state import EXCLUDABLE_KINDS
from rostersync_core.store import SIDES, StateStore
from rostersync_core.store import tables as t
from rostersync_core.store.sis_records import SisRecordSummary, search_sis_records, sis_labels
from rostersync_core.store.sql import as_utc

__all__ = [
    "KIND_NAMES",
    "SIDES",
    "Exclusion",
    "add_exclusions",
    "list_exclusions",
    "parse_kind",
    "remove_exclusions",
    "search_sis",
]

#: How the CLI names the excludable kinds.
KIND_NAMES: dict[str, RecordKind] = {
    "classes": RecordKind.CLASS,
    "students": RecordKind.STUDENT,
    "staff": RecordKind.STAFF,
    "family": RecordKind.FAMILY,
}
_ALIASES = {
    "class": RecordKind.CLASS, "student": RecordKind.STUDENT, "teachers": RecordKind.STAFF,
    "families": RecordKind.FAMILY, "guardians": RecordKind.FAMILY,
}


def parse_kind(name: str) -> RecordKind:
    """``classes``/``students``/``staff``/``family`` (or the singular) as a RecordKind."""
    key = name.strip().lower()
    kind = KIND_NAMES.get(key) or _ALIASES.get(key)
    if kind is None:
        raise ConfigError(
            f"unknown kind {name!r}", field="kind",
            hint="use one of: " + ", ".join(KIND_NAMES),
        )
    return kind


@attrs.frozen
class Exclusion:
    """One exclusion in force. ``label`` is the SIS record's name when it was fetched."""

    side: str
    kind: RecordKind
    record_id: str
    label: str = ""
    created_at: dt.datetime | None = None


def add_exclusions(
    store: StateStore, school_id: str, side: str, kind: RecordKind, record_ids: Iterable[str]
) -> int:
    """Exclude records; return how many are newly excluded."""
    _check(side, kind)
    return store.add_exclusions(school_id, side, kind, record_ids)


def remove_exclusions(
    store: StateStore, school_id: str, side: str, kind: RecordKind, record_ids: Iterable[str]
) -> int:
    """Lift exclusions; return how many were lifted."""
    _check(side, kind)
    return store.remove_exclusions(school_id, side, kind, record_ids)


def list_exclusions(
    store: StateStore,
    school_id: str,
    side: str | None = None,
    kind: RecordKind | None = None,
) -> list[Exclusion]:
    """The school's exclusions, optionally for one side and/or kind."""
    c = t.exclusions.c
    query = sa.select(t.exclusions).where(c.school_id == school_id)
    if side is not None:
        query = query.where(c.side == side)
    if kind is not None:
        query = query.where(c.kind == str(kind))
    with store.engine.connect() as conn:
        rows = conn.execute(query.order_by(c.side, c.kind, c.record_id)).all()
    labels: dict[RecordKind, dict[str, str]] = {}
    for k in EXCLUDABLE_KINDS:
        ids = [r.record_id for r in rows if r.side == "sis" and r.kind == str(k)]
        if ids:
            labels[k] = sis_labels(store.engine, school_id, k, ids)
    return [
        Exclusion(
            r.side, RecordKind(r.kind), r.record_id,
            labels.get(RecordKind(r.kind), {}).get(r.record_id, "") if r.side == "sis" else "",
            as_utc(r.created_at),
        )
        for r in rows
    ]


def search_sis(
    store: StateStore, school_id: str, text: str, kind: RecordKind | None = None,
    *, limit: int = 50,
) -> list[SisRecordSummary]:
    """Fetched SIS records (from ``match fetch``) whose id, name or e-mail contains ``text``."""
    return search_sis_records(store.engine, school_id, text, kind, limit=limit)


def _check(side: str, kind: RecordKind) -> None:
    if side not in SIDES:
        raise ConfigError(f"unknown side {side!r}", field="side", hint="use platform or sis")
    if kind not in EXCLUDABLE_KINDS:
        raise ConfigError(f"{kind} records cannot be excluded", field="kind",
                          hint="use one of: " + ", ".join(KIND_NAMES))
