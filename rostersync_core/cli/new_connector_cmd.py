"""CLI commands: new connector (not written yet)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
