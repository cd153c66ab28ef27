"""CLI commands: ``rostersync settings show|set`` (a school's sync settings)."""

from __future__ import annotations

import click
from rich.table import Table

from rostersync_core.cli.common import AppContext, console, emit_json, json_option, pass_app
from rostersync_core.cli.sync_cmd import open_state
from rostersync_core.errors import ConfigError
from rostersync_core.platform.protocol import SYNCED_KINDS
from rostersync_core.sync import KIND_LABELS, SyncSettings, load_settings, set_settings
from rostersync_core.sync.settings import require_school

__all__ = ["COMMANDS"]


def _print(school: str, settings: SyncSettings) -> None:
    console.print(
        f"sync settings of {school}: auto_apply={str(settings.auto_apply).lower()}"
        " (scheduled syncs that are not held apply without a person)",
        highlight=False,
    )
    table = Table(
        "kind", "create", "update_fields", "missing", "hold_archive_percent", "hold_update_percent"
    )
    for kind in SYNCED_KINDS:
        rules = settings.for_kind(kind)
        fields = "all" if rules.update_fields is None else (",".join(rules.update_fields) or "none")
        table.add_row(
            KIND_LABELS[kind],
            str(rules.create).lower(),
            fields,
            str(rules.missing),
            f"{rules.hold_archive_percent:g}",
            f"{rules.hold_update_percent:g}",
        )
    console.print(table)


@click.group("settings")
def settings_group() -> None:
    """Show or change how syncs create, update, archive and hold, per school and kind."""


@settings_group.command("show")
@click.argument("school")
@json_option
@pass_app
def show_cmd(app: AppContext, school: str, as_json: bool) -> None:
    """Show SCHOOL's sync settings."""
    with open_state(app) as (store, _):
        require_school(store, school)
        settings = load_settings(store, school)
    if as_json:
        emit_json(settings.to_json())
    else:
        _print(school, settings)


@settings_group.command("set")
@click.argument("school")
@click.argument("assignments", nargs=-1, required=True, metavar="NAME=VALUE...")
@click.option(
    "--kind",
    type=click.Choice(list(KIND_LABELS.values())),
    help="Change this kind only (default: every kind).",
)
@json_option
@pass_app
def set_cmd(
    app: AppContext, school: str, assignments: tuple[str, ...], kind: str | None, as_json: bool
) -> None:
    """Change settings, e.g. `create=false`, `update_fields=email,grade_id`, `missing=preserve`,
    `hold_archive_percent=5`, `hold_update_percent=50`, `auto_apply=true`.

    Requests already made keep the settings they were made with."""
    values: dict[str, str] = {}
    for item in assignments:
        name, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"expected NAME=VALUE, got {item!r}", field=name)
        values[name.strip()] = value
    with open_state(app) as (store, _):
        settings = set_settings(store, school, values, kind=kind)
    if as_json:
        emit_json(settings.to_json())
    else:
        _print(school, settings)


COMMANDS: list[click.Command] = [settings_group]
