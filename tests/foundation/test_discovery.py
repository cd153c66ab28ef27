"""Connectors installed as distributions are found by entry point; broken ones are named.

The plugins here are laid out on disk exactly as pip installs them (a module plus a
``*.dist-info`` folder with ``entry_points.txt``) in a folder put on ``PYTHONPATH`` of a
real ``rostersync`` process, so the shared virtual environment is never modified.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

GOOD = '''
from rostersync_core.districts import generate_district
from rostersync_core.testing.memory import MemoryConnector
plugin = MemoryConnector(generate_district(students=5), name="goodsis")
'''
IMPORT_ERROR = '''
import rostersync_no_such_module  # the plugin's author forgot a dependency
plugin = None
'''
MISSPELT_ARG = '''
from rostersync_core import hookimpl
from rostersync_core.districts import generate_district
from rostersync_core.testing.memory import MemoryConnector

class Misspelt(MemoryConnector):
    @hookimpl
    def rostersync_fetch_people(self, sesion, context):
        return iter(())

plugin = Misspelt(generate_district(students=5), name="typosis")
'''
EXTENSION = '''
from rostersync_core import hookimpl

@hookimpl
def rostersync_job_state_changed(event):
    pass
'''


def _install(site: Path, dist: str, module: str, source: str, group: str, ep: str) -> None:
    (site / f"{module}.py").write_text(textwrap.dedent(source))
    info = site / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    target = module if group == "rostersync.plugins" else f"{module}:plugin"
    (info / "entry_points.txt").write_text(f"[{group}]\n{ep} = {target}\n")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    _install(site, "rostersync-goodsis", "goodsis_plugin", GOOD, "rostersync.connectors",
             "goodsis")
    _install(site, "rostersync-broken", "broken_plugin", IMPORT_ERROR, "rostersync.connectors",
             "broken")
    _install(site, "rostersync-typosis", "typo_plugin", MISSPELT_ARG, "rostersync.connectors",
             "typosis")
    _install(site, "rostersync-audit", "audit_plugin", EXTENSION, "rostersync.plugins", "audit")
    return site


def _connectors_list(site: Path, *args: str, env: dict[str, str] | None = None,
                     ) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "ROSTERSYNC_PLUGINS"}
    environ.update({"PYTHONPATH": str(site), **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "rostersync_core", "connectors", "list", *args],
        capture_output=True, text=True, env=environ, timeout=120,
    )


def test_broken_plugins_are_named_and_the_command_still_works(site: Path) -> None:
    result = _connectors_list(site, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    names = {c["name"] for c in data["connectors"]}
    assert "goodsis" in names
    failures = {f["name"]: f for f in data["failures"]}
    assert "cannot be imported" in failures["broken"]["reason"]
    assert "rostersync_no_such_module" in failures["broken"]["reason"]
    assert failures["broken"]["distribution"] == "rostersync-broken"
    assert "wrong signature" in failures["typosis"]["reason"]
    assert "sesion" in failures["typosis"]["reason"]
    assert "typosis" not in names


def test_an_installed_connector_is_described(site: Path) -> None:
    result = _connectors_list(site, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    good = next(c for c in data["connectors"] if c["name"] == "goodsis")
    assert good["distribution"] == "rostersync-goodsis"
    assert "rostersync_fetch_people" in good["hooks"]
    token = next(f for f in good["config_fields"] if f["name"] == "token")
    assert token["secret"] is True


def test_extension_plugins_are_listed(site: Path) -> None:
    result = _connectors_list(site, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    audit = next(e for e in data["extensions"] if e["name"] == "audit")
    assert audit["hooks"] == ["rostersync_job_state_changed"]


def test_the_table_names_the_broken_plugins_too(site: Path) -> None:
    result = _connectors_list(site)
    assert result.returncode == 0
    assert "failed to load" in result.stdout and "broken" in result.stdout


def test_an_allow_list_restricts_what_loads(site: Path) -> None:
    result = _connectors_list(site, "--json", env={"ROSTERSYNC_PLUGINS": "goodsis"})
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [c["name"] for c in data["connectors"]] == ["goodsis"]
    assert data["failures"] == []
    assert data["extensions"] == []


def test_connectors_installed_with_pip_are_found_and_called(tmp_path: Path) -> None:
    """The example connector, installed into this environment by pip like any third-party
    plugin, is discovered by entry point and answers through the core's routing."""
    from rostersync_core import FetchContext, PluginHost

    result = _connectors_list(tmp_path, "--json")
    assert result.returncode == 0, result.stderr
    listed = {c["name"]: c for c in json.loads(result.stdout)["connectors"]}
    assert listed["csvdir"]["distribution"] == "rostersync-csvdir"
    assert {"oneroster", "powerschool"} <= set(listed)

    from rostersync_csvdir.sample import write_district

    folder = write_district(tmp_path / "sis", api_key="example-key-for-tests")
    csvdir = PluginHost().connector("csvdir")
    session = csvdir.authenticate({"folder": str(folder), "api_key": "example-key-for-tests"})
    school = csvdir.list_schools(session)[0]
    assert list(csvdir.fetch_people(session, FetchContext(school.sis_id)))
