"""``rostersync check-connector``: the contract's rules against a live SIS, outside pytest."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rostersync_core import PluginHost
from rostersync_core.cli.main import cli
from rostersync_core.testing.contract_check import check_connector
from rostersync_csvdir.sample import API_KEY, write_district


def _config_file(tmp_path: Path, config: dict[str, Any]) -> str:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return str(path)


def test_a_connector_that_keeps_the_rules_passes(tmp_path: Path) -> None:
    folder = write_district(tmp_path / "district")
    config = _config_file(tmp_path, {"folder": str(folder), "api_key": API_KEY})
    result = CliRunner().invoke(
        cli, ["check-connector", "csvdir", "--config", config, "--school", "S1", "--json"],
        env={"ROSTERSYNC_PLUGINS": "csvdir"},
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["problems"] == []
    assert report["counts"]["student"] == 5


def test_broken_rules_are_reported_with_advice_and_exit_status_1(
    tmp_path: Path, tiny: Any
) -> None:
    connector = PluginHost(load_entry_points=False).register_connector(
        tiny.TinyConnector(tiny.TinySis(), frozenset({"duplicate-id", "dangling-enrolment"}))
    )
    report = check_connector(connector, {"api_key": tiny.GOOD_KEY}, "S1")
    assert not report.ok
    rules = {p.rule for p in report.problems}
    assert {"unique-ids", "references"} <= rules
    assert any(p.where == "enrolment 'GHOST|st1'" for p in report.problems)


def test_a_school_the_sis_does_not_have_is_reported_as_not_listed(tmp_path: Path) -> None:
    folder = write_district(tmp_path / "district")
    config = _config_file(tmp_path, {"folder": str(folder), "api_key": API_KEY})
    result = CliRunner().invoke(
        cli, ["check-connector", "csvdir", "--config", config, "--school", "S9"],
        env={"ROSTERSYNC_PLUGINS": "csvdir"},
    )
    assert result.exit_code == 1
    output = " ".join(result.output.split())  # as read, whatever the terminal's width
    assert "[schools] school 'S9': is not among the 2 schools rostersync_list_schools lists" in (
        output
    )
    assert "1 contract rule(s) broken" in output
    assert "records" not in output  # no empty table of records per kind


@pytest.fixture
def installed_wrong_connector(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The tiny connector, installed (a dist-info with an entry point on ``sys.path``) as
    ``tiny``, making two mistakes: a duplicate student and a dangling enrolment."""
    site = tmp_path / "site"
    dist_info = site / "rostersync_tiny-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: rostersync-tiny\nVersion: 1.0\n"
    )
    (dist_info / "entry_points.txt").write_text(
        "[rostersync.connectors]\ntiny = kit_installed_tiny:plugin\n"
    )
    shutil.copy(Path(__file__).parent / "tiny_connector.py", site / "kit_tiny_source.py")
    (site / "kit_installed_tiny.py").write_text(
        "from kit_tiny_source import TinyConnector, TinySis\n"
        "plugin = TinyConnector(TinySis(), frozenset({'duplicate-id', 'dangling-enrolment'}))\n"
    )
    monkeypatch.syspath_prepend(str(site))
    for module in ("kit_installed_tiny", "kit_tiny_source"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    return "tiny"


def test_the_command_lists_broken_rules_and_exits_1(
    tmp_path: Path, tiny: Any, installed_wrong_connector: str
) -> None:
    config = _config_file(tmp_path, {"api_key": tiny.GOOD_KEY})
    result = CliRunner().invoke(
        cli, ["check-connector", installed_wrong_connector, "--config", config, "--school", "S1"],
        env={"ROSTERSYNC_PLUGINS": installed_wrong_connector},
    )
    assert result.exit_code == 1, result.output
    assert "[unique-ids] student 'st1': is yielded 2 times" in result.output
    assert "[references] enrolment 'GHOST|st1': refers to class 'GHOST'" in result.output
    assert tiny.GOOD_KEY not in result.output


def test_the_config_file_is_never_echoed(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"folder": "x", "api_key": "sekrit-value-123"')  # not valid JSON
    result = CliRunner().invoke(
        cli, ["check-connector", "csvdir", "--config", str(path), "--school", "S1"],
        env={"ROSTERSYNC_PLUGINS": "csvdir"},
    )
    assert result.exit_code != 0
    assert "sekrit-value-123" not in result.output
    assert "sekrit-value-123" not in str(result.exception)
