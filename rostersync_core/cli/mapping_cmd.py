"""``rostersync grades`` and ``rostersync subjects``: fetch, show, suggest, map, unmap.

Both groups are built by one factory over :mod:`rostersync_core.mapping`.
"""

from __future__ import annotations

import click
from rich.table import Table

from rostersync_core.cli.common import AppContext, console, emit_json, json_option, pass_app
from rostersync_core.cli.platform_cmd import opened
from rostersync_core.errors import ConfigError
from rostersync_core.mapping import (
    accept_suggestions,
    fetch_values,
    fetched_ids,
    list_values,
    map_values,
    suggest_values,
    unmap_values,
)
from rostersync_core.model import RecordKind

__all__ = ["COMMANDS"]


def _pairs(values: tuple[str, ...]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in values:
        sis_id, sep, target = item.partition("=")
        if not sep or not sis_id.strip() or not target.strip():
            raise ConfigError(f"expected SIS=PLATFORM, got {item!r}", field=item)
        pairs[sis_id.strip()] = target.strip()
    return pairs


def mapping_group(kind: RecordKind) -> click.Group:
    """The ``grades`` or ``subjects`` command group."""
    noun = "grade" if kind is RecordKind.GRADE else "subject"
    plural = f"{noun}s"

    @click.group(plural, help=f"Map the SIS's {plural} to the platform's {plural}.")
    def group() -> None:
        pass

    @group.command("fetch")
    @click.argument("school_id")
    @json_option
    @pass_app
    def fetch(app: AppContext, school_id: str, as_json: bool) -> None:
        """Fetch the SIS's values; show what is new and what vanished since last time."""
        with opened(app, set_up=school_id) as (store, _):
            report = fetch_values(store, app.host, school_id, kind)
        if as_json:
            emit_json(report)
            return
        console.print(
            f"{len(report.new) + len(report.unchanged)} SIS {plural}: "
            f"{len(report.new)} new, {len(report.vanished)} vanished", highlight=False)
        for value in report.new:
            console.print(f"  [green]new[/] {value.sis_id} {value.name}", highlight=False)
        for value in report.vanished:
            console.print(f"  [red]vanished[/] {value.sis_id} {value.name}", highlight=False)

    @group.command("show")
    @click.argument("school_id")
    @json_option
    @pass_app
    def show(app: AppContext, school_id: str, as_json: bool) -> None:
        """Show each SIS value and what it is mapped to."""
        with opened(app, set_up=school_id) as (store, ref):
            values = list_values(store, school_id, kind, ref)
        if as_json:
            emit_json(values)
            return
        table = Table(title=f"{plural.capitalize()} of {school_id}")
        for column in (f"SIS {noun}", "SIS name", f"platform {noun}", "in SIS"):
            table.add_column(column)
        for v in values:
            target = f"{v.platform_id} ({v.platform_name})" if v.platform_id else "[red]unmapped"
            table.add_row(v.sis_id, v.name, target, "yes" if v.present else "no")
        console.print(table)

    @group.command("suggest")
    @click.argument("school_id")
    @click.option("--all", "include_mapped", is_flag=True, help="Also for mapped values.")
    @json_option
    @pass_app
    def suggest(app: AppContext, school_id: str, include_mapped: bool, as_json: bool) -> None:
        """Suggest mappings for unmapped values (nothing is saved)."""
        with opened(app, set_up=school_id) as (store, ref):
            suggestions = suggest_values(store, ref, school_id, kind,
                                         include_mapped=include_mapped)
        if as_json:
            emit_json(suggestions)
            return
        table = Table(title=f"Suggested {noun} mappings (save with: {plural} map "
                            f"{school_id} --accept-suggestions)")
        for column in (f"SIS {noun}", f"platform {noun}", "why"):
            table.add_column(column)
        for s in suggestions:
            target = f"{s.platform_id} ({s.platform_name})" if s.platform_id else "-"
            label = s.sis_id if s.sis_name in ("", s.sis_id) else f"{s.sis_id} ({s.sis_name})"
            table.add_row(label, target, s.reason)
        console.print(table)
        if suggestions and not any(s.platform_id for s in suggestions):
            console.print(
                f"no platform {noun} fits: create the platform's {plural} "
                f"(rostersync platform add-{noun} ID NAME), or map by hand "
                f"(rostersync {plural} map {school_id} SIS=PLATFORM)", highlight=False)

    @group.command("map")
    @click.argument("school_id")
    @click.argument("pairs", nargs=-1, metavar="SIS=PLATFORM...")
    @click.option("--accept-suggestions", "accept", is_flag=True,
                  help="Save every suggestion for the unmapped values.")
    @json_option
    @pass_app
    def map_(app: AppContext, school_id: str, pairs: tuple[str, ...],
             accept: bool, as_json: bool) -> None:
        """Save mappings: SIS=PLATFORM pairs (platform id or name), and/or the suggestions."""
        if not pairs and not accept:
            raise click.UsageError("give SIS=PLATFORM pairs or --accept-suggestions")
        saved: dict[str, str] = {}
        with opened(app, set_up=school_id) as (store, ref):
            if accept:
                saved.update(accept_suggestions(store, ref, school_id, kind))
            if pairs:
                saved.update(map_values(store, ref, school_id, kind, _pairs(pairs)))
            listed = fetched_ids(store, school_id, kind)
        if as_json:
            emit_json(saved)
            return
        for sis_id, platform_id in saved.items():
            console.print(f"{sis_id} -> {platform_id}", highlight=False)
        console.print(f"{len(saved)} {noun} mapping(s) saved")
        unlisted = [s for s in saved if s not in listed]
        if unlisted:
            console.print(
                f"[yellow]note:[/] the SIS has not listed {', '.join(map(repr, unlisted))} "
                f"(yet): check the spelling against `rostersync {plural} show {school_id}` "
                f"(after `{plural} fetch`)", highlight=False)

    @group.command("unmap")
    @click.argument("school_id")
    @click.argument("sis_ids", nargs=-1, required=True, metavar="SIS...")
    @pass_app
    def unmap(app: AppContext, school_id: str, sis_ids: tuple[str, ...]) -> None:
        """Forget the mappings of SIS values."""
        with opened(app, set_up=school_id) as (store, _):
            removed = unmap_values(store, school_id, kind, sis_ids)
        console.print(f"{removed} {noun} mapping(s) removed")

    return group


COMMANDS: list[click.Command] = [mapping_group(RecordKind.GRADE), mapping_group(RecordKind.SUBJECT)]
