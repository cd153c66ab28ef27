"""``rostersync setup`` and ``rostersync connection``: bind a school to its SIS, and show it.

Config comes from ``--config FILE`` (JSON) and ``--set key=value``; a secret field still
missing is read from ``$ROSTERSYNC_SECRET_<FIELD>`` or, at a terminal, a hidden prompt.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from rostersync_core.cli.common import AppContext, console, emit_json, json_option, pass_app
from rostersync_core.cli.platform_cmd import opened
from rostersync_core.connector import Connector
from rostersync_core.errors import ConfigError
from rostersync_core.schedule.timing import parse_timezone
from rostersync_core.setup import setup_school

__all__ = ["COMMANDS", "SECRET_ENV_PREFIX", "build_config"]

SECRET_ENV_PREFIX = "ROSTERSYNC_SECRET_"


def _typed(connector: Connector, key: str, raw: str) -> Any:
    spec = connector.info.config_schema.get("properties", {}).get(key, {})
    kind = spec.get("type") if isinstance(spec, dict) else None
    if kind in ("integer", "number", "boolean", "array", "object"):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw  # validation names the field
    return raw


def build_config(
    connector: Connector,
    config_file: Path | None,
    settings: tuple[str, ...],
    *,
    interactive: bool,
) -> dict[str, Any]:
    """The config from a file, ``key=value`` settings, env vars and (maybe) prompts."""
    config: dict[str, Any] = {}
    if config_file is not None:
        try:
            loaded = json.loads(config_file.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            raise ConfigError(f"the config file {config_file} is not valid JSON",
                              field="--config") from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"the config file {config_file} must hold a JSON object",
                              field="--config")
        config.update(loaded)
    for setting in settings:
        key, sep, value = setting.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects key=value, got {key.strip()!r}", field="--set")
        config[key.strip()] = _typed(connector, key.strip(), value)
    for field in sorted(connector.info.secret_fields):
        if config.get(field) not in (None, ""):
            continue
        from_env = os.environ.get(SECRET_ENV_PREFIX + field.upper())
        if from_env:
            config[field] = from_env
        elif interactive:
            config[field] = click.prompt(f"{field} (hidden)", hide_input=True)
    return config


def _with_secret_hint(
    exc: ConfigError, connector: Connector, config: dict[str, Any]
) -> ConfigError:
    """A missing secret (no terminal to prompt at): say the ways to give it."""
    field = exc.field
    if field not in connector.info.secret_fields or config.get(field) not in (None, ""):
        return exc
    return ConfigError(
        exc.message, field=field,
        hint=f"set ${SECRET_ENV_PREFIX}{field.upper()}, run setup at a terminal to be "
        "prompted (hidden), or put it in the --config file",
    )


@click.command("setup")
@click.argument("school_id")
@click.option("--connector", "connector_name", required=True, help="The SIS connector's name.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="A JSON file with the connection config.")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="One config value (repeatable); overrides --config.")
@click.option("--sis-school", "sis_school_id", help="The SIS school to bind (its SIS id).")
@click.option("--create-school", "create_name", metavar="NAME",
              help="Create the platform school with this name if it does not exist.")
@click.option("--timezone", default="UTC", show_default=True,
              help="Time zone of a school made by --create-school.")
@json_option
@pass_app
def setup(
    app: AppContext, school_id: str, connector_name: str, config_file: Path | None,
    settings: tuple[str, ...], sis_school_id: str | None, create_name: str | None,
    timezone: str, as_json: bool,
) -> None:
    """Connect platform school SCHOOL_ID to its SIS: verify credentials and bind a school.

    Secrets can also come from ROSTERSYNC_SECRET_<FIELD> or a hidden prompt. Running it
    again replaces the credentials; mappings, links and exclusions are kept.
    """
    connector = app.host.connector(connector_name)
    config = build_config(connector, config_file, settings, interactive=sys.stdin.isatty())
    if create_name:
        timezone = parse_timezone(timezone).key
    with opened(app) as (store, ref):
        if create_name and ref.get_school(school_id) is None:
            ref.add_school(school_id, create_name, timezone)
        try:
            result = setup_school(store, app.host, ref, school_id, connector_name, config,
                                  sis_school_id)
        except ConfigError as exc:
            raise _with_secret_hint(exc, connector, config) from None
    if as_json:
        emit_json(result.describe())
        return
    verb = "updated" if result.replaced else "set up"
    connection = result.connection
    console.print(
        f"[green]{school_id}[/] {verb}: {connector_name} school "
        f"{connection.sis_school_id} ({connection.sis_school_name}); credentials verified",
        highlight=False,
    )


@click.group("connection")
def connection() -> None:
    """The schools that are set up, and their connections (secrets hidden)."""


@connection.command("show")
@click.argument("school_id")
@json_option
@pass_app
def show(app: AppContext, school_id: str, as_json: bool) -> None:
    """Show SCHOOL_ID's connection (secret values hidden)."""
    with opened(app) as (store, _):
        [data] = store.describe_connections(school_id)
    if as_json:
        emit_json(data)
        return
    table = Table(title=f"Connection of {school_id}", show_header=False)
    for key in ("connector", "sis_school_id", "sis_school_name", "updated_at"):
        table.add_row(key, str(data[key]))
    for key, value in data["config"].items():
        table.add_row(f"config.{key}", str(value))
    console.print(table)


@connection.command("list")
@json_option
@pass_app
def list_connections(app: AppContext, as_json: bool) -> None:
    """List every school that is set up."""
    with opened(app) as (store, _):
        data = store.describe_connections()
    if as_json:
        emit_json(data)
        return
    table = Table(title="Schools set up")
    for column in ("school", "connector", "SIS school"):
        table.add_column(column)
    for row in data:
        table.add_row(row["school_id"], row["connector"],
                      f"{row['sis_school_id']} ({row['sis_school_name']})")
    console.print(table)


COMMANDS: list[click.Command] = [setup, connection]
