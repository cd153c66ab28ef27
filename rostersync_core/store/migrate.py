"""Schema versions: upgrade a state database to this code's head, refuse a newer one.

Migrations are Alembic revisions shipped inside the package (``migrations/versions``).
``0001_setup`` creates the store and reference platform tables; later revisions build on it.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from rostersync_core.errors import StateStoreError

__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "current_revisions",
    "head_revisions",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

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


def head_revisions() -> frozenset[str]:
    """The newest revisions this code knows."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def _known_revisions() -> frozenset[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(rev.revision for rev in script.walk_revisions())


def current_revisions(connection: sa.Connection) -> frozenset[str]:
    """The revisions the database is stamped with (empty for a new database)."""
    return frozenset(MigrationContext.configure(connection).get_current_heads())


def upgrade(engine: sa.Engine, *, target: str = "head") -> None:
    """Bring the database at ``engine`` to ``target`` (default: this code's head).

    Raises :class:`StateStoreError` when the database was written by a newer rostersync
    (a revision this code does not know).
    """
    where = engine.url.render_as_string(hide_password=True)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        current = current_revisions(conn)
        unknown = current - _known_revisions()
        if unknown:
            raise StateStoreError(
                f"the state database {where} has schema revision "
                f"{', '.join(sorted(unknown))}, which is newer than this rostersync-core knows",
                hint="upgrade rostersync-core (pip install -U rostersync-core), "
                "or point --db / ROSTERSYNC_DB at another database",
            )
        if target == "head" and current == head_revisions():
            return
        command.upgrade(alembic_config(conn), target)
