"""The reference platform: a small learning platform on the state database (``ref_*`` tables).

It implements :class:`~rostersync_core.platform.protocol.Platform` and is what the demo,
the tests and the benchmarks sync into. Schools, grades and subjects are created with
:meth:`ReferencePlatform.add_school` / ``add_grade`` / ``add_subject`` or from a seed file
(:meth:`ReferencePlatform.seed_from_file`, format in ``docs/platform.md``).

Records are never hard deleted: ARCHIVE sets an ``archived`` flag, RESTORE clears it.
``apply_changes`` runs one transaction per batch with one ``executemany`` per run of
similar changes, and remembers each change key with the platform id it produced.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from rostersync_core.model import (
    PersonKind,
    RecordKind,
)
from rostersync_core.platform.protocol import (
    ChangeAction,
    PlatformChange,
    PlatformGrade,
    PlatformRecord,
    PlatformSchool,
    PlatformSubject,
    PlatformValues,
)
from rostersync_core.platform.reference_rows import (
    COLUMNS,
    ID_PREFIX,
    TABLES,
    ReferencePlatformError,
    column_names,
    column_tuple,
    read_columns,
    records_from_rows,
)
from rostersync_core.store import tables as t
from rostersync_core.store.sql import chunked, insert_many, is_one_of, update_many, upsert

__all__ = ["ReferencePlatform", "ReferencePlatformError"]

_PERSON_KINDS = {
    RecordKind.STUDENT: PersonKind.STUDENT,
    RecordKind.STAFF: PersonKind.STAFF,
    RecordKind.FAMILY: PersonKind.FAMILY,
}


def new_id(kind: RecordKind) -> str:
    """A fresh platform id such as ``stu_3f9a1c0b7d2e4a6f8b1c``."""
    return f"{ID_PREFIX[kind]}_{secrets.token_hex(10)}"


class ReferencePlatform:
    """The reference :class:`~rostersync_core.platform.protocol.Platform` on SQL."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def __repr__(self) -> str:
        return f"ReferencePlatform({self.engine.url.render_as_string(hide_password=True)!r})"

    # -- set-up ----------------------------------------------------------------------------

    def add_school(self, id: str, name: str, timezone: str = "UTC") -> PlatformSchool:
        """Create (or rename) a school."""
        with self.engine.begin() as conn:
            upsert(conn, t.ref_schools, [{"id": id, "name": name, "timezone": timezone}],
                   keys=("id",), update=("name", "timezone"))
        return PlatformSchool(id, name, timezone)

    def add_grade(self, id: str, name: str, position: int | None = None) -> PlatformGrade:
        """Create (or rename) a grade; grades list by ``position``, then in creation order."""
        with self.engine.begin() as conn:
            if position is None:
                highest = conn.execute(sa.select(sa.func.max(t.ref_grades.c.position))).scalar()
                position = (highest or 0) + 1
            upsert(conn, t.ref_grades, [{"id": id, "name": name, "position": position}],
                   keys=("id",), update=("name", "position"))
        return PlatformGrade(id, name)

    def add_subject(self, id: str, name: str) -> PlatformSubject:
        """Create (or rename) a subject."""
        with self.engine.begin() as conn:
            upsert(conn, t.ref_subjects, [{"id": id, "name": name}], keys=("id",),
                   update=("name",))
        return PlatformSubject(id, name)

    def seed_from_file(self, path: str | Path) -> dict[str, int]:
        """Load schools, grades, subjects and existing records from a JSON seed file.

        Returns how many of each were loaded. The format is in ``docs/platform.md``.
        """
        from rostersync_core.platform.reference_seed import seed

        return seed(self, json.loads(Path(path).read_text(encoding="utf-8")))

    def export_roster(self, school_id: str) -> dict[str, Any]:
        """The school's active roster, canonical: no SIS ids, no platform ids, sorted."""
        from rostersync_core.platform.reference_seed import export_roster

        return export_roster(self, school_id)

    # -- the Platform protocol -------------------------------------------------------------

    def get_school(self, school_id: str) -> PlatformSchool | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(t.ref_schools).where(t.ref_schools.c.id == school_id)
            ).first()
        return None if row is None else PlatformSchool(row.id, row.name, row.timezone)

    def list_schools(self) -> list[PlatformSchool]:
        """Every school, by id."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.ref_schools).order_by(t.ref_schools.c.id)).all()
        return [PlatformSchool(r.id, r.name, r.timezone) for r in rows]

    def list_grades(self) -> list[PlatformGrade]:
        c = t.ref_grades.c
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(c.id, c.name).order_by(c.position, c.id)).all()
        return [PlatformGrade(r.id, r.name) for r in rows]

    def list_subjects(self) -> list[PlatformSubject]:
        c = t.ref_subjects.c
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(c.id, c.name).order_by(c.name, c.id)).all()
        return [PlatformSubject(r.id, r.name) for r in rows]

    def list_records(self, school_id: str, kind: RecordKind) -> list[PlatformRecord]:
        """Every record of ``kind`` in the school, archived included (read at once)."""
        table = TABLES[kind]
        query = (
            sa.select(*read_columns(kind))
            .where(table.c.school_id == school_id)
            .order_by(table.c.id)
        )
        if kind in _PERSON_KINDS:
            query = query.where(table.c.kind == str(_PERSON_KINDS[kind]))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return records_from_rows(kind, rows)

    def apply_changes(self, school_id: str, changes: Sequence[PlatformChange]) -> list[str]:
        """Apply ``changes`` in one transaction; see the protocol for the rules."""
        if not changes:
            return []
        # One random draw for the batch: 20 hex digits of it for each change, used by creates.
        random_hex = secrets.token_hex(10 * len(changes))
        with self.engine.begin() as conn:
            done = _applied(conn, [c.key for c in changes])
            ids: list[str] = []
            todo: list[tuple[PlatformChange, str]] = []
            for at, change in enumerate(changes):
                if change.key in done:
                    ids.append(done[change.key])
                    continue
                pid = change.platform_id
                if change.action is ChangeAction.CREATE:
                    pid = f"{ID_PREFIX[change.kind]}_{random_hex[20 * at:20 * at + 20]}"
                elif not pid:
                    raise ReferencePlatformError(
                        f"change {change.key!r}: {change.action} needs a platform id"
                    )
                done[change.key] = pid
                ids.append(pid)
                todo.append((change, pid))
            for run in _runs(todo):
                _apply_run(conn, school_id, run)
            insert_many(
                conn, t.ref_applied_changes, ("change_key", "school_id", "platform_id"),
                [(c.key, school_id, pid) for c, pid in todo],
            )
        return ids


def _applied(conn: sa.Connection, keys: Sequence[str]) -> dict[str, str]:
    c = t.ref_applied_changes.c
    found: dict[str, str] = {}
    for batch in chunked(list(dict.fromkeys(keys))):
        rows = conn.execute(
            sa.select(c.change_key, c.platform_id).where(is_one_of(conn, c.change_key, batch))
        )
        found.update({r.change_key: r.platform_id for r in rows})
    return found


def _runs(
    todo: Sequence[tuple[PlatformChange, str]],
) -> Iterator[list[tuple[PlatformChange, str]]]:
    """Consecutive changes of one kind, action and field list (one executemany each)."""
    run: list[tuple[PlatformChange, str]] = []
    for item in todo:
        change = item[0]
        if run and (run[0][0].kind, run[0][0].action, run[0][0].fields) != (
            change.kind, change.action, change.fields
        ):
            yield run
            run = []
        run.append(item)
    if run:
        yield run


def _apply_run(conn: sa.Connection, school_id: str, run: list[tuple[PlatformChange, str]]) -> None:
    first = run[0][0]
    kind, action = first.kind, first.action
    if kind not in TABLES:
        raise ReferencePlatformError(f"change {first.key!r}: cannot apply {kind} records")
    table = TABLES[kind]
    if action is ChangeAction.CREATE:
        names = ("id", "school_id", "archived", *column_names(kind))
        rows = [
            (pid, school_id, False, *column_tuple(kind, _values_of(change)))
            for change, pid in run
        ]
        insert_many(conn, table, names, rows)
        return
    fields = first.fields if action in (ChangeAction.UPDATE, ChangeAction.RESTORE) else ()
    columns = _columns_for(kind, fields, first.key)
    constants: dict[str, sa.ColumnElement[Any]] = {}
    if action is ChangeAction.ARCHIVE:
        constants["archived"] = sa.true()
    elif action is ChangeAction.RESTORE:
        constants["archived"] = sa.false()
    elif not columns:
        constants["id"] = table.c.id  # an UPDATE with no fields: a no-op write
    order = column_names(kind)
    picks = [order.index(col) for col in columns]
    params: list[tuple[Any, ...]] = []
    for change, pid in run:
        picked: tuple[Any, ...] = ()
        if picks:
            full = column_tuple(kind, _values_of(change))
            picked = tuple(full[i] for i in picks)
        params.append((pid, school_id, *picked))
    rowcount = update_many(
        conn, table, params, keys=("id", "school_id"), columns=columns, constants=constants
    )
    if rowcount not in (-1, len(params)):
        missing = _first_missing(conn, table, school_id, [pid for _, pid in run])
        raise ReferencePlatformError(
            f"{action} of {kind} {missing!r}: no such record in school {school_id!r}"
        )


def _first_missing(conn: sa.Connection, table: sa.Table, school_id: str, ids: list[str]) -> str:
    found: set[str] = set()
    for batch in chunked(ids):
        found.update(
            conn.execute(
                sa.select(table.c.id).where(table.c.school_id == school_id, table.c.id.in_(batch))
            ).scalars()
        )
    return next((i for i in ids if i not in found), "?")


def _values_of(change: PlatformChange) -> PlatformValues:
    if change.values is None:
        raise ReferencePlatformError(f"change {change.key!r}: {change.action} needs values")
    return change.values


def _columns_for(kind: RecordKind, fields: Sequence[str], key: str) -> list[str]:
    mapping = COLUMNS[kind]
    unknown = [f for f in fields if f not in mapping]
    if unknown:
        raise ReferencePlatformError(
            f"change {key!r}: {kind} has no writable field {', '.join(unknown)}"
        )
    return [mapping[f] for f in fields]
