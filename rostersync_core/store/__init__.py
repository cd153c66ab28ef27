"""The state store: SQL state (SQLite or PostgreSQL) with versioned migrations.

``StateStore.open(url)`` creates or upgrades the schema; ``tables.metadata`` is the one
SQLAlchemy ``MetaData`` (the sync engine adds its tables in ``sync_tables``).
"""

from __future__ import annotations

import importlib
import pkgutil

from rostersync_core.store.credentials import CredentialBox, load_key
from rostersync_core.store.engine import create_state_engine, safe_url
from rostersync_core.store.state_store import SIDES, StateStore
from rostersync_core.store.tables import metadata

# Other areas add their tables to the same metadata in ``store/<area>_tables.py``
# (``sync_tables``, ``schedule_tables``...): load them so ``metadata`` is complete.
for _module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _module.name.endswith("_tables"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "SIDES",
    "CredentialBox",
    "StateStore",
    "create_state_engine",
    "load_key",
    "metadata",
    "safe_url",
]
