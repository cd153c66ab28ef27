"""Small SQL helpers shared by the store and the reference platform (both dialects)."""

from __future__ import annotations

import datetime as dt
import json
import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

__all__ = [
    "as_utc",
    "chunked",
    "executemany",
    "insert_many",
    "is_one_of",
    "now",
    "update_many",
    "upsert",
    "upsert_many",
]

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
    if isinstance(items, list):  # slices, not an item at a time
        for start in range(0, len(items), size):
            yield items[start:start + size]
        return
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


def upsert_many(
    conn: sa.Connection,
    table: sa.Table,
    names: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    keys: Sequence[str],
    update: Sequence[str],
) -> None:
    """:func:`upsert` in bulk: ``rows`` are tuples of the ``names`` columns' values, as the
    driver takes them. On PostgreSQL, when no two rows share their ``keys``, one
    ``INSERT ... SELECT`` from the rows sent as one JSON parameter; otherwise, and
    elsewhere, :func:`executemany` in order (a later row wins)."""
    if not rows:
        return
    postgres = conn.dialect.name == "postgresql"
    insert = postgresql.insert if postgres else sqlite.insert
    at = [names.index(k) for k in keys]
    if postgres and len({tuple(row[i] for i in at) for row in rows}) == len(rows):
        given = _json_rows(table, names)
        stmt = insert(table).from_select(list(names), sa.select(*given.c))
        params: Any = {"rows": json.dumps(rows, default=_json_value, separators=(",", ":"))}
    else:
        stmt = insert(table).values({n: sa.bindparam(n) for n in names})
        params = None
    if update:
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys), set_={c: stmt.excluded[c] for c in update}
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    if params is not None:
        conn.execute(stmt, params)
    else:
        executemany(conn, stmt, rows, names)


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


def insert_many(
    conn: sa.Connection, table: sa.Table, names: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert ``rows`` into ``table``: each a tuple of the values of the columns ``names``,
    as the driver takes them (str, int, bool, date, None).

    On PostgreSQL (psycopg 3) the rows go in one ``COPY`` (a tenth of the client CPU of an
    ``executemany``: measured 0.06 s against 0.9 s for 131,000 rows), elsewhere through
    :func:`executemany`. Either way inside ``conn``'s transaction, all or nothing.
    """
    if not rows:
        return
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        quote = conn.dialect.identifier_preparer.quote
        copy_sql = (
            f"COPY {conn.dialect.identifier_preparer.format_table(table)} "
            f"({', '.join(quote(n) for n in names)}) FROM STDIN"
        )
        driver: Any = conn.connection.driver_connection  # psycopg: the transaction's own
        try:
            with driver.cursor() as cursor, cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        except conn.dialect.loaded_dbapi.Error as exc:  # as SQLAlchemy raises it elsewhere
            raise sa.exc.DBAPIError.instance(
                copy_sql, None, exc, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
            ) from exc
        return
    stmt = sa.insert(table).values({n: sa.bindparam(n) for n in names})
    executemany(conn, stmt, rows, names)


def update_many(
    conn: sa.Connection,
    table: sa.Table,
    rows: Sequence[tuple[Any, ...]],
    *,
    keys: Sequence[str],
    columns: Sequence[str] = (),
    constants: Mapping[str, sa.ColumnElement[Any]] | None = None,
) -> int:
    """Update one row of ``table`` per item of ``rows``; return how many rows were updated.

    Each item is a tuple: the values of the ``keys`` columns (which row), then the new values
    of ``columns``, as the driver takes them. ``constants`` are SQL expressions set on every
    row (``{"applied": sa.true()}``). On PostgreSQL, when no two items name the same row,
    one ``UPDATE ... FROM`` the items sent as one JSON parameter does them all (a twelfth of
    the client CPU of an ``executemany``); otherwise, and elsewhere, :func:`executemany`
    runs them in order.
    """
    if not rows:
        return 0
    width = len(keys)
    sets: dict[str, Any] = dict(constants or {})
    if conn.dialect.name == "postgresql" and len({r[:width] for r in rows}) == len(rows):
        given = _json_rows(table, [*keys, *columns])
        stmt = (
            sa.update(table)
            .where(*(table.c[k] == given.c[k] for k in keys))
            .values({**sets, **{c: given.c[c] for c in columns}})
        )
        text = json.dumps(rows, default=_json_value, separators=(",", ":"))
        return int(conn.execute(stmt, {"rows": text}).rowcount)
    stmt = (
        sa.update(table)
        .where(*(table.c[k] == sa.bindparam(f"k_{k}") for k in keys))
        .values({**sets, **{c: sa.bindparam(f"v_{c}") for c in columns}})
    )
    return executemany(conn, stmt, rows, [*(f"k_{k}" for k in keys), *(f"v_{c}" for c in columns)])


def is_one_of(
    conn: sa.Connection, column: sa.ColumnElement[Any], values: Sequence[str]
) -> sa.ColumnElement[bool]:
    """``column IN values`` with the values as one JSON text parameter: a statement with
    hundreds of placeholders costs more CPU to build (SQLAlchemy names each one) and, on
    PostgreSQL, to parse (psycopg does not cache long statements) than the look-up itself."""
    if "\x00" in "".join(values):  # SQLite's JSON functions end a string at a NUL
        return column.in_(list(values))
    # unique: two of these in one statement must not share (silently) one parameter
    keys = sa.bindparam("one_of", json.dumps(list(values)), type_=sa.Text, unique=True)
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import JSON

        listed = sa.select(sa.func.json_array_elements_text(sa.cast(keys, JSON)))
    else:
        listed = sa.select(sa.column("value")).select_from(sa.func.json_each(keys))
    return column.in_(listed.scalar_subquery())


def _json_rows(table: sa.Table, names: Sequence[str]) -> sa.Subquery:
    """PostgreSQL: the rows of the JSON list of lists bound as ``rows``, as a subquery with
    the ``names`` columns of ``table``, each cast to its type (strings to unbounded text).
    One text parameter carries them all: a fifth of the client CPU of one array per column
    (psycopg dumps arrays in Python), and a twelfth of an ``executemany``'s."""
    from sqlalchemy.dialects.postgresql import JSON

    each = (
        sa.func.json_array_elements(sa.cast(sa.bindparam("rows", type_=sa.Text), JSON))
        .table_valued("value")
        .alias("x")
    )
    return (
        sa.select(
            *(
                sa.cast(each.c.value.op("->>")(sa.literal_column(str(i))), _cast_type(table.c[n]))
                .label(n)
                for i, n in enumerate(names)
            )
        )
        .select_from(each)
        .subquery("given")
    )


def _cast_type(column: sa.Column[Any]) -> sa.types.TypeEngine[Any]:
    """The type a JSON text value is cast to for ``column``. Strings stay unbounded text: an
    explicit ``CAST(... AS VARCHAR(n))`` silently cuts a longer value to ``n`` characters
    (a name cut short, an id matching another by its prefix); the assignment to the column
    then refuses it ("value too long"), as a bound parameter is."""
    kind = column.type
    if isinstance(kind, sa.String) and not isinstance(kind, sa.Enum):
        return sa.Text()
    return kind


def _json_value(value: object) -> object:
    if isinstance(value, dt.date):  # datetime too
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


def _picker(keys: list[Any]) -> Any:
    """A C-speed function from a row to the tuple of its values at ``keys``."""
    if len(keys) == 1:
        only = keys[0]
        return lambda row: (row[only],)
    return operator.itemgetter(*keys)
