"""``rostersync new-connector NAME``: start a connector distribution from the template."""

from __future__ import annotations

from pathlib import Path

import click

from rostersync_core.cli.common import console, emit_json, json_option
from rostersync_core.scaffold import connector_names, create_connector

__all__ = ["COMMANDS"]


@click.command("new-connector")
@click.argument("name")
@click.option(
    "-d",
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where to create the distribution folder rostersync-NAME.",
)
@json_option
def new_connector(name: str, directory: Path, as_json: bool) -> None:
    """Create the connector distribution rostersync-NAME, ready to test and publish.

    It holds the entry point, a config schema, every hook over the core's HTTP toolkit, a
    fake SIS server, and tests that run the contract suite. See docs/writing-a-connector.md.
    """
    names = connector_names(name)
    path = create_connector(name, directory)
    if as_json:
        emit_json(
            {
                "name": names.name,
                "distribution": names.distribution,
                "package": names.package,
                "path": str(path),
            }
        )
        return
    console.print(f"Created [bold]{names.distribution}[/] in {path}", highlight=False)
    console.print("Next:", highlight=False)
    console.print(f"  cd {path}", highlight=False)
    console.print('  pip install -e ".[test]"', markup=False, highlight=False)
    console.print("  pytest                      # the contract suite, against the fake SIS")
    console.print(f"  rostersync connectors list  # shows {names.name}", highlight=False)


COMMANDS: list[click.Command] = [new_connector]
