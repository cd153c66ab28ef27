"""Shared database fixtures for every core test.

- ``store_url``: parametrised over SQLite (a file in ``tmp_path``) and PostgreSQL (a fresh
  schema for the test, dropped afterwards, in a uniquely named database created for the
  test session: ``rs_<pid>_<random>``, dropped at the end).
- ``sqlite_url`` / ``pg_url``: one backend only.
- ``store``: a :class:`~rostersync_core.store.StateStore` opened on ``store_url``.
- ``platform``: a :class:`~rostersync_core.platform.reference.ReferencePlatform` on the
  store's engine (same database).

PostgreSQL runs at 127.0.0.1:5432 (user ``postgres``, trust auth). When it is unreachable
the PostgreSQL tests fail if ``CI`` is set in the environment and are skipped otherwise.
Tests never create tables in the shared ``test`` database itself.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
PG_ADMIN_URL = f"{PG_SERVER}/test"

_pg_problem: str | None = None
_pg_checked = False


def _pg_unreachable() -> str | None:
    """``None`` when PostgreSQL answers, else the reason (checked once per session)."""
    global _pg_checked, _pg_problem
    if not _pg_checked:
        _pg_checked = True
        import sqlalchemy as sa

        try:
            engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            engine.dispose()
        except Exception as exc:  # any failure to connect means "not reachable"
            _pg_problem = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    return _pg_problem


def _require_pg() -> None:
    problem = _pg_unreachable()
    if problem is None:
        return
    message = f"PostgreSQL not reachable at 127.0.0.1:5432: {problem}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def create_pg_database() -> str:
    """Create a fresh uniquely named PostgreSQL database; return its URL."""
    import sqlalchemy as sa

    name = f"rs_{os.getpid()}_{secrets.token_hex(4)}"
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return f"{PG_SERVER}/{name}"


def drop_pg_database(url: str) -> None:
    """Drop the database at ``url`` (terminating its connections first)."""
    import sqlalchemy as sa

    name = url.rsplit("/", 1)[1]
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite state database file in the test's temporary directory."""
    return f"sqlite:///{tmp_path / 'state.db'}"


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """One fresh PostgreSQL database for this test session (dropped at the end).

    Each test gets its own schema in it (see ``pg_url``): creating and dropping a schema
    is cheap, while every DROP DATABASE forces a server checkpoint that slows everyone.
    """
    _require_pg()
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture
def pg_url(pg_database: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL schema for this test, as a database URL.

    The URL selects the schema through ``search_path`` (``?options=-csearch_path=...``),
    so every table, the Alembic version table included, lives in it; it is dropped after
    the test.
    """
    import sqlalchemy as sa

    schema = f"t_{secrets.token_hex(6)}"
    admin = sa.create_engine(pg_database, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        # synchronous_commit=off: commits do not wait for the disk (fine for tests).
        yield f"{pg_database}?options=-csearch_path%3D{schema}%20-csynchronous_commit%3Doff"
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND state = 'idle in transaction'"
                )
            )
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"], ids=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> str:
    """The state database URL, once for SQLite and once for PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
def secret_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """A fresh credentials key for the test (and a private ``ROSTERSYNC_HOME``)."""
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    monkeypatch.setenv("ROSTERSYNC_SECRET_KEY", key)
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("ROSTERSYNC_HOME", str(home))
    return key


@pytest.fixture
def store(store_url: str, secret_key: str) -> Iterator[Any]:
    """The state store, schema at head, on SQLite or PostgreSQL."""
    from rostersync_core.store import StateStore

    opened = StateStore.open(store_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def platform(store: Any) -> Any:
    """The reference platform, on the same database as ``store``."""
    from rostersync_core.platform.reference import ReferencePlatform

    return ReferencePlatform(store.engine)


@pytest.fixture
def connector(district: Any) -> Any:
    """An in-memory connector serving the folder's ``district`` fixture."""
    from rostersync_core.testing.memory import MemoryConnector

    return MemoryConnector(district)


@pytest.fixture
def host(connector: Any) -> Any:
    """A plugin host with ``connector`` as its only connector."""
    from rostersync_core.plugins import PluginHost

    plugin_host = PluginHost(load_entry_points=False)
    plugin_host.register_connector(connector)
    return plugin_host


@pytest.fixture
def latin1_url(secret_key: str) -> Iterator[str]:
    """A fresh PostgreSQL database created as LATIN1 (dropped afterwards; WIN1252, alike,
    is the default of a PostgreSQL installed on Windows)."""
    import sqlalchemy as sa

    name = f"rs_latin1_{os.getpid()}_{secrets.token_hex(4)}"
    admin = sa.create_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    f"CREATE DATABASE \"{name}\" ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'"
                    " TEMPLATE template0"
                )
            )
    except sa.exc.OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL not reachable: {type(exc).__name__}")
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
