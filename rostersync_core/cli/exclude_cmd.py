"""``rostersync exclude``: records the sync must leave alone, on either side.

``--side platform`` takes platform ids; ``--side sis`` takes SIS ids, or ``--search TEXT``
to pick from the SIS records fetched by ``rostersync match fetch``.
"""

from __future__ import annotations

import click
from rich.table import Table

from rostersync_core.cli.common import AppContext, console, emit_json, json_option, pass_app
from rostersync_core.cli.platform_cmd import opened
from rostersync_core.exclusions import (
    KIND_NAMES,
    SIDES,
    add_exclusions,
    list_exclusions,
    parse_kind,
    remove_exclusions,
    search_sis,
)
from rostersync_core.store.sis_records import sis_labels

__all__ = ["COMMANDS"]

_KIND = click.Choice(list(KIND_NAMES), case_sensitive=False)
_SIDE = click.Choice(list(SIDES))


@click.group()
def exclude() -> None:
    """Exclusions: records a sync never creates, modifies or archives."""


@exclude.command("add")
@click.argument("school_id")
@click.argument("record_ids", nargs=-1, metavar="ID...")
@click.option("--side", type=_SIDE, required=True, help="platform ids or SIS ids.")
@click.option("--kind", "kind_name", type=_KIND, required=True, help="The records' kind.")
@click.option("--search", "search_text", metavar="TEXT",
              help="SIS side: exclude the fetched SIS records whose name or id contains TEXT.")
@click.option("--yes", is_flag=True, help="Do not ask before excluding several search hits.")
@pass_app
def add(app: AppContext, school_id: str, record_ids: tuple[str, ...], side: str,
        kind_name: str, search_text: str | None, yes: bool) -> None:
    """Exclude records of one kind."""
    kind = parse_kind(kind_name)
    ids = list(record_ids)
    with opened(app, known=school_id) as (store, ref):
        if search_text is not None:
            if side != "sis":
                raise click.UsageError("--search picks SIS records: use it with --side sis")
            hits = search_sis(store, school_id, search_text, kind, limit=500)
            if not hits:
                raise click.UsageError(
                    f"no fetched SIS {kind_name} match {search_text!r} "
                    f"(fetch them first: rostersync match fetch {school_id})")
            for hit in hits:
                console.print(f"  {hit.sis_id}  {hit.label}", highlight=False)
            if len(hits) > 1 and not yes:
                click.confirm(f"exclude these {len(hits)} records?", abort=True)
            ids += [hit.sis_id for hit in hits]
        if not ids:
            raise click.UsageError("give the ids to exclude (or --search TEXT)")
        added = add_exclusions(store, school_id, side, kind, ids)
        unknown: list[str] = []
        if side == "platform":
            known = {r.platform_id for r in ref.list_records(school_id, kind)}
            unknown = [i for i in ids if i not in known]
        elif search_sis(store, school_id, "", kind, limit=1):  # SIS records were fetched
            labels = sis_labels(store.engine, school_id, kind, ids)
            unknown = [i for i in ids if i not in labels]
    console.print(f"{added} {kind_name} record(s) excluded on the {side} side", highlight=False)
    if unknown:
        where = "the platform has" if side == "platform" else "the last `match fetch` found"
        console.print(f"[yellow]note:[/] {where} no {kind_name} record "
                      + ", ".join(unknown) + " (yet): excluded anyway", highlight=False)


@exclude.command("remove")
@click.argument("school_id")
@click.argument("record_ids", nargs=-1, required=True, metavar="ID...")
@click.option("--side", type=_SIDE, required=True, help="platform ids or SIS ids.")
@click.option("--kind", "kind_name", type=_KIND, required=True, help="The records' kind.")
@pass_app
def remove(app: AppContext, school_id: str, record_ids: tuple[str, ...], side: str,
           kind_name: str) -> None:
    """Lift exclusions (they apply to future syncs only)."""
    with opened(app, known=school_id) as (store, _):
        removed = remove_exclusions(store, school_id, side, parse_kind(kind_name), record_ids)
    console.print(f"{removed} exclusion(s) removed", highlight=False)


@exclude.command("list")
@click.argument("school_id")
@click.option("--side", type=_SIDE, help="Only this side.")
@click.option("--kind", "kind_name", type=_KIND, help="Only this kind.")
@json_option
@pass_app
def list_(app: AppContext, school_id: str, side: str | None, kind_name: str | None,
          as_json: bool) -> None:
    """List the exclusions in force."""
    kind = parse_kind(kind_name) if kind_name else None
    with opened(app, known=school_id) as (store, _):
        found = list_exclusions(store, school_id, side, kind)
    if as_json:
        emit_json(found)
        return
    table = Table(title=f"Exclusions of {school_id}")
    for column in ("side", "kind", "id", "SIS record"):
        table.add_column(column)
    for e in found:
        table.add_row(e.side, str(e.kind), e.record_id, e.label)
    console.print(table)


@exclude.command("search")
@click.argument("school_id")
@click.argument("text")
@click.option("--kind", "kind_name", type=_KIND, help="Only this kind.")
@json_option
@pass_app
def search(app: AppContext, school_id: str, text: str, kind_name: str | None,
           as_json: bool) -> None:
    """Find fetched SIS records by name, id or e-mail (to exclude them)."""
    kind = parse_kind(kind_name) if kind_name else None
    with opened(app, known=school_id) as (store, _):
        hits = search_sis(store, school_id, text, kind)
    if as_json:
        emit_json(hits)
        return
    table = Table(title=f"SIS records matching {text!r}")
    for column in ("kind", "SIS id", "record"):
        table.add_column(column)
    for hit in hits:
        table.add_row(str(hit.kind), hit.sis_id, hit.label)
    console.print(table)


COMMANDS: list[click.Command] = [exclude]
