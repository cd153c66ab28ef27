"""Settings for every test in the repository (core, connectors, example plugin).

The test session gets its own ``ROSTERSYNC_HOME`` (so no test reads or writes the
developer's ``~/.rostersync``: state database, credentials key) and does not inherit the
developer's plugin allow-list, database URL, key or SMTP settings. Set once at start, so
fixtures and tests remain free to set their own.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

pytest_plugins = ["pytester"]

_INHERITED = (
    "ROSTERSYNC_DB",
    "ROSTERSYNC_SECRET_KEY",
    "ROSTERSYNC_PLUGINS",
    "ROSTERSYNC_SMTP_URL",
    "ROSTERSYNC_SMTP_PASSWORD",
)
_home: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _home
    _home = tempfile.mkdtemp(prefix="rostersync-test-home-")
    os.environ["ROSTERSYNC_HOME"] = _home
    for name in _INHERITED:
        os.environ.pop(name, None)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _home is not None:
        shutil.rmtree(_home, ignore_errors=True)
