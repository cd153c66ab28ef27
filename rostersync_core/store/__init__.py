"""The state store: SQL state (SQLite or PostgreSQL) with versioned migrations.

``StateStore.open(url)`` creates or upgrades the schema; ``tables.metadata`` is the one
SQLAlchemy ``MetaData`` (the sync engine adds its tables in ``sync_tables``).
"""

from __future__ import annotations

import importlib
import importlib.util

from rostersync_core.store.credentials import CredentialBox, load_key
from rostersync_core.store.engine import create_state_engine, safe_url
from rostersync_core.store.state_store import SIDES, StateStore
from rostersync_core.store.tables import metadata

# The sync engine's tables join the same metadata when its module is present.
if importlib.util.find_spec("rostersync_core.store.sync_tables") is not None:
    importlib.import_module("rostersync_core.store.sync_tables")

__all__ = [
    "SIDES",
    "CredentialBox",
    "StateStore",
    "create_state_engine",
    "load_key",
    "metadata",
    "safe_url",
]
