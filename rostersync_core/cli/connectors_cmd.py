"""``rostersync connectors``: what connectors are installed, and what failed to load."""

from __future__ import annotations

import click
from rich.table import Table

from rostersync_core.cli.common import AppContext, console, emit_json, json_option, pass_app

__all__ = ["COMMANDS"]


@click.group()
def connectors() -> None:
    """Installed SIS connectors."""


@connectors.command("list")
@json_option
@pass_app
def list_connectors(app: AppContext, as_json: bool) -> None:
    """List installed connectors and any plugin that failed to load (with the reason)."""
    data = app.host.describe()
    if as_json:
        emit_json(data)
        return
    table = Table(title=f"Connectors (plugin API {data['plugin_api']})")
    for column in ("name", "version", "distribution", "hooks", "config fields"):
        table.add_column(column)
    for c in data["connectors"]:
        fields = ", ".join(
            f["name"] + (" (secret)" if f["secret"] else "") + ("" if f["required"] else "?")
            for f in c["config_fields"]
        )
        hooks = ", ".join(h.removeprefix("rostersync_") for h in c["hooks"])
        table.add_row(c["name"], c["version"], c["distribution"], hooks, fields)
    console.print(table)
    if not data["connectors"]:
        console.print("No connector is installed. Install one with pip, e.g. rostersync-oneroster.")
    for e in data["extensions"]:
        console.print(f"extension plugin [bold]{e['name']}[/] ({e['distribution']}): "
                      + ", ".join(e["hooks"]))
    for name, messages in data["deprecations"].items():
        for message in messages:
            console.print(f"[yellow]deprecated[/] in {name}: {message}", highlight=False)
    for f in data["failures"]:
        console.print(
            f"[bold red]failed to load[/] {f['name']} ({f['group']}"
            + (f", {f['distribution']}" if f["distribution"] else "")
            + f"): {f['reason']}",
            highlight=False,
        )


COMMANDS: list[click.Command] = [connectors]
