"""Every command of setup, mapping, matching, exclusions and the platform is documented."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from rostersync_core.cli import exclude_cmd, mapping_cmd, match_cmd, platform_cmd, setup_cmd

DOCS = Path(__file__).resolve().parents[2] / "docs"
TEXT = " ".join(
    (DOCS / name).read_text(encoding="utf-8")
    for name in ("setup-and-mapping.md", "platform.md", "storage.md")
)


def _commands() -> list[str]:
    found = []
    for module in (setup_cmd, mapping_cmd, match_cmd, exclude_cmd, platform_cmd):
        for command in module.COMMANDS:
            if isinstance(command, click.Group):
                found += [f"{command.name} {sub}" for sub in command.commands]
            else:
                found.append(str(command.name))
    return found


@pytest.mark.parametrize("command", _commands())
def test_each_command_is_documented(command: str) -> None:
    group = command.partition(" ")[0]
    if group == "subjects":
        assert "rostersync subjects fetch|show|suggest|map|unmap" in TEXT
        return
    assert f"rostersync {command}" in TEXT


@pytest.mark.parametrize("name", ["get_school", "list_grades", "list_subjects", "list_records",
                                  "apply_changes", "seed_from_file", "export_roster",
                                  "add_school", "add_grade", "add_subject"])
def test_each_platform_method_is_documented(name: str) -> None:
    assert f"{name}(" in TEXT
