"""Where rostersync keeps its files by default."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DB_ENV", "HOME_ENV", "default_db_url", "home"]

HOME_ENV = "ROSTERSYNC_HOME"
DB_ENV = "ROSTERSYNC_DB"


def home() -> Path:
    """``$ROSTERSYNC_HOME``, else ``~/.rostersync``; created (mode 0700) on first use."""
    path = Path(os.environ.get(HOME_ENV) or Path.home() / ".rostersync")
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def default_db_url() -> str:
    """``$ROSTERSYNC_DB``, else a SQLite file in :func:`home`."""
    return os.environ.get(DB_ENV) or f"sqlite:///{home() / 'state.db'}"
