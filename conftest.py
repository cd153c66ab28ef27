"""Settings for every test in the repository (core, connectors, example plugin).

Each test gets its own ``ROSTERSYNC_HOME`` (so no test reads or writes the developer's
``~/.rostersync``: state database, credentials key) and none inherits the developer's
plugin allow-list, database URL, key or SMTP settings from the environment.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

_ISOLATED = (
    "ROSTERSYNC_DB",
    "ROSTERSYNC_SECRET_KEY",
    "ROSTERSYNC_PLUGINS",
    "ROSTERSYNC_SMTP_URL",
    "ROSTERSYNC_SMTP_PASSWORD",
)


@pytest.fixture(autouse=True)
def _private_rostersync_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    home = tmp_path_factory.mktemp("rostersync-home")
    monkeypatch.setenv("ROSTERSYNC_HOME", str(home))
    for name in _ISOLATED:
        monkeypatch.delenv(name, raising=False)
    return home
