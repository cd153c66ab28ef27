"""Schema versions: upgrade a state database to this code's head, refuse a newer one.

Migrations are Alembic revisions shipped inside the package (``migrations/versions``).
``0001_setup`` creates the store and reference platform tables; later revisions build on it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory

from rostersync_core.errors import StateStoreError
from rostersync_core.store.engine import IMMEDIATE_OPTION

__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "current_revisions",
    "head_revisions",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

#: Alembic's version table (its default name).
_VERSION_TABLE = "alembic_version"

#: Key of the PostgreSQL advisory lock held while migrating (one migrator at a time).
_PG_MIGRATION_LOCK = 0x7273_7379_6E63  # "rssync"


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic config for the packaged migrations, bound to ``connection`` if given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def _script() -> ScriptDirectory:
    """The packaged revisions, read once per process."""
    return ScriptDirectory.from_config(alembic_config())


def head_revisions() -> frozenset[str]:
    """The newest revisions this code knows."""
    return frozenset(_script().get_heads())


@functools.cache
def _known_revisions() -> frozenset[str]:
    return frozenset(rev.revision for rev in _script().walk_revisions())


def current_revisions(connection: sa.Connection) -> frozenset[str]:
    """The revisions the database is stamped with (empty for a new database).

    Read from Alembic's version table directly: every command opens the store, and
    Alembic's migration context logs its setup on each open (noise under ``--verbose``).
    """
    if not sa.inspect(connection).has_table(_VERSION_TABLE):
        return frozenset()
    version = sa.table(_VERSION_TABLE, sa.column("version_num"))
    return frozenset(connection.execute(sa.select(version.c.version_num)).scalars())


def upgrade(engine: sa.Engine, *, target: str = "head") -> None:
    """Bring the database at ``engine`` to ``target`` (default: this code's head).

    Raises :class:`StateStoreError` when the database was written by a newer rostersync
    (a revision this code does not know).
    """
    with engine.connect() as conn:  # most opens find the schema at head: just read
        current = current_revisions(conn)
    _refuse_newer(engine, current)
    if target == "head" and current == head_revisions():
        return
    with engine.connect() as conn:
        conn.execution_options(**{IMMEDIATE_OPTION: True})  # SQLite: the write lock first
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK}
                )
            current = current_revisions(conn)  # another process may have migrated meanwhile
            _refuse_newer(engine, current)
            if target == "head" and current == head_revisions():
                return
            _run_upgrade(conn, target)


def _refuse_newer(engine: sa.Engine, current: frozenset[str]) -> None:
    unknown = current - _known_revisions()
    if unknown:
        where = engine.url.render_as_string(hide_password=True)
        raise StateStoreError(
            f"the state database {where} has schema revision "
            f"{', '.join(sorted(unknown))}, which is newer than this rostersync-core knows",
            hint="upgrade rostersync-core (pip install -U rostersync-core), "
            "or point --db / ROSTERSYNC_DB at another database",
        )


def _run_upgrade(conn: sa.Connection, target: str) -> None:
    """``alembic upgrade target`` on ``conn``, with the revisions read once per process."""
    script = _script()

    def steps(revision: Any, _context: Any) -> Any:
        return script._upgrade_revs(target, revision)

    with EnvironmentContext(
        alembic_config(conn), script, fn=steps, as_sql=False, starting_rev=None,
        destination_rev=target,
    ):
        script.run_env()
