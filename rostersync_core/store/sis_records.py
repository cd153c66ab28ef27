"""SIS classes and people as last fetched for existing-data mapping, searchable by name or id.

Kept so that a person can review matches and choose SIS-side exclusions without asking
the SIS again. Replaced per kind by every ``match fetch``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import attrs
import sqlalchemy as sa

from rostersync_core.convert import record_from_json, record_to_json
from rostersync_core.model import Person, RecordKind, SchoolClass
from rostersync_core.store import tables as t
from rostersync_core.store.sql import chunked, now

__all__ = ["SisRecordSummary", "label_of", "load_sis_records", "replace_sis_records",
           "search_sis_records", "sis_labels"]


@attrs.frozen
class SisRecordSummary:
    """One fetched SIS record, as a person picks it: id, kind and a readable label."""

    kind: RecordKind
    sis_id: str
    label: str
    email: str = ""


def label_of(record: Person | SchoolClass) -> str:
    """How a record is shown: a class's title (and code), a person's name (and number)."""
    if isinstance(record, SchoolClass):
        return f"{record.title} [{record.code}]" if record.code else record.title
    name = " ".join(p for p in (record.given_name, record.family_name) if p)
    return f"{name} #{record.identifier}" if record.identifier else name


def replace_sis_records(
    conn: sa.Connection,
    school_id: str,
    kind: RecordKind,
    records: Sequence[Person | SchoolClass],
) -> None:
    """Store ``records`` as the school's fetched SIS records of ``kind`` (replacing them)."""
    c = t.sis_records.c
    conn.execute(sa.delete(t.sis_records).where(c.school_id == school_id, c.kind == str(kind)))
    stamp = now()
    rows = [
        {
            "school_id": school_id, "kind": str(kind), "sis_id": r.sis_id,
            "label": label_of(r)[:1000],
            "email": (r.email.strip().casefold() if isinstance(r, Person) else "")[:500],
            "data": json.dumps(record_to_json(r)), "fetched_at": stamp,
        }
        for r in {r.sis_id: r for r in records}.values()
    ]
    for batch in chunked(rows):
        conn.execute(t.sis_records.insert(), batch)


def load_sis_records(
    engine: sa.Engine, school_id: str, kind: RecordKind
) -> list[Person | SchoolClass]:
    """The fetched SIS records of ``kind``."""
    c = t.sis_records.c
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(c.data).where(c.school_id == school_id, c.kind == str(kind))
            .order_by(c.sis_id)
        ).scalars().all()
    records: list[Person | SchoolClass] = []
    for data in rows:
        record = record_from_json(json.loads(data))
        if isinstance(record, Person | SchoolClass):
            records.append(record)
    return records


def sis_labels(
    engine: sa.Engine, school_id: str, kind: RecordKind, sis_ids: Iterable[str]
) -> dict[str, str]:
    """Labels of the given fetched SIS records (missing ones are left out)."""
    c = t.sis_records.c
    found: dict[str, str] = {}
    with engine.connect() as conn:
        for batch in chunked(sis_ids):
            rows = conn.execute(
                sa.select(c.sis_id, c.label).where(
                    c.school_id == school_id, c.kind == str(kind), c.sis_id.in_(batch)
                )
            )
            found.update({r.sis_id: r.label for r in rows})
    return found


def search_sis_records(
    engine: sa.Engine,
    school_id: str,
    text: str,
    kind: RecordKind | None = None,
    *,
    limit: int = 50,
) -> list[SisRecordSummary]:
    """Fetched SIS records whose id, name/title or e-mail contains ``text`` (any case)."""
    c = t.sis_records.c
    needle = text.strip().casefold()
    query = sa.select(c.kind, c.sis_id, c.label, c.email).where(c.school_id == school_id)
    if kind is not None:
        query = query.where(c.kind == str(kind))
    if needle:
        pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            sa.or_(
                sa.func.lower(c.sis_id).like(pattern, escape="\\"),
                sa.func.lower(c.label).like(pattern, escape="\\"),
                c.email.like(pattern, escape="\\"),
            )
        )
    query = query.order_by(c.kind, c.label, c.sis_id).limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [SisRecordSummary(RecordKind(r.kind), r.sis_id, r.label, r.email) for r in rows]
