"""Open the state database by URL: SQLite (a file) or PostgreSQL, one code path.

Statement parameters (student names, e-mails...) are never put in SQL error messages or
logs (``hide_parameters``). SQLite gets foreign keys, WAL journaling, a busy timeout and
real transactions (an explicit ``BEGIN``, so DDL and DML are all-or-nothing;
``BEGIN IMMEDIATE`` with the :data:`IMMEDIATE_OPTION` execution option); its parent
directory is created.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from rostersync_core.errors import StateStoreError

__all__ = ["IMMEDIATE_OPTION", "create_state_engine", "safe_url"]

#: Execution option: on SQLite, begin the transaction with ``BEGIN IMMEDIATE`` (take the
#: write lock at once, waiting for the busy timeout) instead of a deferred ``BEGIN``. Use
#: it for read-then-write transactions that other processes may run at the same time:
#: ``engine.connect().execution_options(rostersync_immediate=True)``. Ignored elsewhere.
IMMEDIATE_OPTION = "rostersync_immediate"

_SQLITE_BUSY_MS = 30_000


def safe_url(url: str | sa.URL) -> str:
    """``url`` fit to show: the password hidden."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(an unreadable database URL)"


def _use_wal(cursor: Any) -> None:
    """Switch the database to WAL journaling (persistent: once per database file).

    Switching takes an exclusive lock and SQLite answers "database is locked" at once,
    without waiting for the busy timeout, when another connection switches it at the same
    moment (processes opening a new database together): so wait and try again.
    """
    deadline = time.monotonic() + _SQLITE_BUSY_MS / 1000
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                return
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _sqlite_events(engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy (not the sqlite3 module) decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_MS}")
        _use_wal(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get(IMMEDIATE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_state_engine(url: str) -> sa.Engine:
    """A SQLAlchemy engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``)."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise StateStoreError(
            "the state database URL cannot be read",
            hint="use sqlite:///path/to/state.db or postgresql+psycopg://user@host/db",
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            folder = Path(database).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StateStoreError(
                    f"the folder {folder} of the state database cannot be created "
                    f"({exc.strerror or type(exc).__name__})",
                    hint="point --db / ROSTERSYNC_DB at a writable place "
                    "(sqlite:///path/to/state.db)",
                ) from None
        engine = sa.create_engine(parsed, hide_parameters=True)
        _sqlite_events(engine)
        return engine
    if backend == "postgresql":
        return sa.create_engine(parsed, pool_pre_ping=True, hide_parameters=True)
    raise StateStoreError(
        f"unsupported state database {safe_url(parsed)!r}",
        hint="rostersync supports SQLite (sqlite:///path) and PostgreSQL (postgresql+psycopg://)",
    )
