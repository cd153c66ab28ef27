"""The command line, installed connector and all: setup and grade fetch against the fake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rostersync_core.cli.main import cli
from rostersync_powerschool.testing import FAKE_CLIENT_SECRET, FakePowerSchool


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    from cryptography.fernet import Fernet

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("ROSTERSYNC_HOME", str(home))
    monkeypatch.setenv("ROSTERSYNC_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("ROSTERSYNC_DB", f"sqlite:///{tmp_path / 'state.db'}")
    return {"ROSTERSYNC_SECRET_CLIENT_SECRET": FAKE_CLIENT_SECRET}


def test_a_school_is_set_up_and_its_grades_fetched_from_the_command_line(
    ps: FakePowerSchool, cli_env: dict[str, str]
) -> None:
    runner = CliRunner()
    setup = runner.invoke(cli, [
        "setup", "maple", "--connector", "powerschool", "--create-school", "Maple",
        "--set", f"base_url={ps.url}", "--set", f"client_id={ps.client_id}",
        "--set", "max_concurrency=2", "--sis-school", "100",
    ], env=cli_env)
    assert setup.exit_code == 0, setup.output
    assert FAKE_CLIENT_SECRET not in setup.output
    shown = runner.invoke(cli, ["connection", "show", "maple", "--json"])
    assert shown.exit_code == 0, shown.output
    assert FAKE_CLIENT_SECRET not in shown.output
    fetched = runner.invoke(cli, ["grades", "fetch", "maple", "--json"])
    assert fetched.exit_code == 0, fetched.output
    grades = [g["sis_id"] for g in json.loads(fetched.output)["new"]]
    assert grades == [str(level) for level in range(6)]  # integer grade levels, unmapped
