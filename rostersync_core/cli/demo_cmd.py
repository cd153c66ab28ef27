"""CLI command: ``rostersync demo`` (the whole cycle on a bundled sample district)."""

from __future__ import annotations

from pathlib import Path

import click

from rostersync_core.cli.common import console

__all__ = ["COMMANDS"]


@click.command("demo")
@click.option(
    "--dir",
    "home",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the demo's database here (default: a new temporary folder).",
)
@click.option(
    "--connector",
    type=click.Choice(["oneroster", "memory"]),
    help="Use this SIS: the bundled OneRoster sample, or the in-memory district.",
)
def demo_cmd(home: Path | None, connector: str | None) -> None:
    """Run setup, mapping, review, approval and apply on a sample district, offline."""
    from rostersync_core.demo import run_demo

    run_demo(home, out=console, connector=connector)


COMMANDS: list[click.Command] = [demo_cmd]
