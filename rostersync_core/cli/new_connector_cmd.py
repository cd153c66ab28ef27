"""Commands for connector authors.

- ``rostersync new-connector NAME``: start a connector distribution from the template.
- ``rostersync check-connector NAME --config FILE --school ID``: check an installed
  connector against a live SIS with the contract suite's rules.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table

from rostersync_core.cli.common import AppContext, console, emit_json, json_option, pass_app
from rostersync_core.errors import ConfigError
from rostersync_core.scaffold import connector_names, create_connector
from rostersync_core.testing.contract_check import check_connector

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


@click.command("check-connector")
@click.argument("name")
@click.option(
    "--config",
    "config_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A JSON file holding the connection's config (credentials included).",
)
@click.option("--school", "sis_school_id", required=True, help="The SIS id of a school.")
@click.option("--limit", default=2, show_default=True, help="context.limit of the fast run.")
@json_option
@pass_app
def check_connector_command(
    app: AppContext, name: str, config_file: Path, sis_school_id: str, limit: int,
    as_json: bool,
) -> None:
    """Check installed connector NAME against a live SIS with the contract's rules.

    Fetches one school three times (full, again, and with a limit) and reports every
    broken rule: which record, which rule, what to fix. Exit status 1 when any is broken.
    Wrong credentials, paging counts and retries need a controlled SIS: run the pytest
    contract suite for those (docs/contract-suite.md).
    """
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot read the config file {config_file}: {type(exc).__name__}", field="config"
        ) from None
    if not isinstance(config, dict):
        raise ConfigError("the config file must hold a JSON object", field="config")
    report = check_connector(app.host.connector(name), config, sis_school_id, limit=limit)
    if as_json:
        emit_json(report)
    else:
        if report.counts:
            table = Table(title=f"{report.connector}: school {report.sis_school_id}")
            table.add_column("kind")
            table.add_column("records", justify="right")
            for kind, count in report.counts.items():
                table.add_row(kind, str(count))
            console.print(table)
        if report.invalid_rows:
            console.print(f"{report.invalid_rows} row(s) reported invalid by the connector")
        for problem in report.problems:
            console.print(f"- {problem}", markup=False, highlight=False)
        if report.ok:
            console.print("Every rule holds.")
    if not report.ok:
        raise click.ClickException(f"{len(report.problems)} contract rule(s) broken")


COMMANDS: list[click.Command] = [new_connector, check_connector_command]
