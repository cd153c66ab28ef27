"""Small SQL helpers shared by the store and the reference platform (both dialects)."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

__all__ = ["as_utc", "chunked", "executemany", "now", "upsert"]

T = TypeVar("T")

#: Rows per statement when a list of ids goes into ``IN (...)`` or a multi-row insert.
CHUNK = 500


def now() -> dt.datetime:
    """The current time, in UTC."""
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """A stored timestamp as an aware UTC datetime (SQLite hands back naive ones)."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def chunked(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """``items`` in lists of at most ``size``."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def upsert(
    conn: sa.Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    keys: Sequence[str],
    update: Sequence[str],
) -> None:
    """Insert ``rows``; where a row with the same ``keys`` exists, overwrite ``update``."""
    if not rows:
        return
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(table)
    if update:
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys), set_={c: stmt.excluded[c] for c in update}
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    for batch in chunked(rows):
        conn.execute(stmt, batch)


def executemany(
    conn: sa.Connection,
    stmt: sa.Insert | sa.Update,
    rows: Sequence[Mapping[str, Any]] | Sequence[tuple[Any, ...]],
    names: Sequence[str] | None = None,
) -> int:
    """Run ``stmt`` once per row through the DB-API ``executemany``; return rows affected.

    For bulk writes: the statement is compiled once and the rows go to the driver as they
    are, skipping SQLAlchemy's per-row parameter processing. Values must already be what
    the driver takes (str, int, bool, date, None). ``stmt``'s parameters must be
    ``bindparam``s named like the row keys; rows may also be tuples of the values of
    ``names``, in that order (fastest on positional drivers such as sqlite3).
    """
    if not rows:
        return 0
    compiled = stmt.compile(dialect=conn.dialect)
    params: Any
    if names is not None:
        tuples = cast(Sequence[tuple[Any, ...]], rows)
        if not compiled.positional:
            params = [dict(zip(names, row, strict=True)) for row in tuples]
        elif list(compiled.positiontup or []) == list(names):
            params = tuples
        else:
            where = {name: i for i, name in enumerate(names)}
            params = list(map(_picker([where[n] for n in compiled.positiontup or []]), tuples))
    else:
        mappings = cast(Sequence[Mapping[str, Any]], rows)
        if compiled.positional:
            params = list(map(_picker(list(compiled.positiontup or [])), mappings))
        else:
            params = [dict(row) for row in mappings]
    result = conn.exec_driver_sql(str(compiled), params)
    return int(result.rowcount)


def _picker(keys: list[Any]) -> Any:
    """A C-speed function from a row to the tuple of its values at ``keys``."""
    if len(keys) == 1:
        only = keys[0]
        return lambda row: (row[only],)
    return operator.itemgetter(*keys)
