"""``rostersync match``: link SIS records to records the platform already has.

``fetch`` proposes matches (nothing is linked), ``show`` lists them with the reason,
``link`` saves a person's choices (or every unambiguous match with ``--accept``),
``unlink`` forgets links.
"""

from __future__ import annotations

import click
from rich.table import Table

from rostersync_core.cli.common import AppContext, console, emit_json, json_option, pass_app
from rostersync_core.cli.platform_cmd import opened
from rostersync_core.errors import ConfigError
from rostersync_core.exclusions import KIND_NAMES, parse_kind
from rostersync_core.model import RecordKind
from rostersync_core.store.existing_data import (
    MATCHED_KINDS,
    accept_matches,
    fetch_existing_data,
    link_records,
    match_overview,
    unlink_records,
)

__all__ = ["COMMANDS"]

_KIND_CHOICE = click.Choice(list(KIND_NAMES), case_sensitive=False)
_STATUSES = ("linked", "matched", "ambiguous", "unmatched")


def _kinds(names: tuple[str, ...]) -> list[RecordKind]:
    return [parse_kind(n) for n in names] if names else list(MATCHED_KINDS)


@click.group()
def match() -> None:
    """Existing-data mapping: link SIS records to existing platform records."""


@match.command("fetch")
@click.argument("school_id")
@click.option("--kind", "kinds", multiple=True, type=_KIND_CHOICE,
              help="Only these kinds (repeatable). Default: all.")
@json_option
@pass_app
def fetch(app: AppContext, school_id: str, kinds: tuple[str, ...], as_json: bool) -> None:
    """Fetch SIS classes and people and propose matches (nothing is linked yet)."""
    with opened(app, set_up=school_id) as (store, ref):
        results = fetch_existing_data(store, app.host, ref, school_id, _kinds(kinds))
    summary = {
        str(kind): {
            "linked": sum(1 for c in r.matched.values() if c.rule == "link"),
            "matched": sum(1 for c in r.matched.values() if c.rule != "link"),
            "ambiguous": len(r.ambiguous),
            "unmatched": len(r.unmatched),
        }
        for kind, r in results.items()
    }
    if as_json:
        emit_json(summary)
        return
    table = Table(title=f"Existing data of {school_id}")
    for column in ("kind", *_STATUSES):
        table.add_column(column)
    for kind_name, counts in summary.items():
        table.add_row(kind_name, *(str(counts[s]) for s in _STATUSES))
    console.print(table)
    console.print(f"review: rostersync match show {school_id}; "
                  f"accept the matches: rostersync match link {school_id} --accept")


@match.command("show")
@click.argument("school_id")
@click.option("--kind", "kinds", multiple=True, type=_KIND_CHOICE, help="Only these kinds.")
@click.option("--status", "statuses", multiple=True, type=click.Choice(_STATUSES),
              help="Only records with this status (repeatable).")
@json_option
@pass_app
def show(app: AppContext, school_id: str, kinds: tuple[str, ...], statuses: tuple[str, ...],
         as_json: bool) -> None:
    """Show each fetched SIS record: linked, matched (and why), ambiguous or unmatched."""
    with opened(app, set_up=school_id) as (store, _):
        rows = [r for r in match_overview(store, school_id, _kinds(kinds))
                if not statuses or r.status in statuses]
    if as_json:
        emit_json(rows)
        return
    table = Table(title=f"Matches of {school_id}")
    for column in ("kind", "SIS record", "status", "platform record", "why"):
        table.add_column(column)
    for row in rows:
        if row.candidates:
            for i, cand in enumerate(row.candidates):
                head = (str(row.kind), f"{row.sis_id} {row.label}", row.status) if i == 0 else (
                    "", "", "")
                table.add_row(*head, cand.platform_id, cand.reason)
        else:
            table.add_row(str(row.kind), f"{row.sis_id} {row.label}", row.status,
                          row.platform_id or "-", "")
    console.print(table)


@match.command("link")
@click.argument("school_id")
@click.argument("pairs", nargs=-1, metavar="SIS=PLATFORM...")
@click.option("--kind", "kind_name", type=_KIND_CHOICE, help="Kind of the SIS=PLATFORM pairs.")
@click.option("--accept", is_flag=True, help="Link every unambiguous match of the last fetch.")
@json_option
@pass_app
def link(app: AppContext, school_id: str, pairs: tuple[str, ...], kind_name: str | None,
         accept: bool, as_json: bool) -> None:
    """Link SIS records to platform records: explicit pairs, or the proposed matches."""
    if not pairs and not accept:
        raise click.UsageError("give SIS=PLATFORM pairs (with --kind) or --accept")
    if pairs and kind_name is None:
        raise click.UsageError("--kind is required with SIS=PLATFORM pairs")
    linked: dict[str, dict[str, str]] = {}
    with opened(app, set_up=school_id) as (store, ref):
        if accept:
            kinds = [parse_kind(kind_name)] if kind_name and not pairs else list(MATCHED_KINDS)
            for kind, done in accept_matches(store, school_id, kinds).items():
                linked.setdefault(str(kind), {}).update(done)
        if pairs:
            assert kind_name is not None
            kind = parse_kind(kind_name)
            chosen: dict[str, str] = {}
            for item in pairs:
                sis_id, sep, platform_id = item.partition("=")
                if not sep or not sis_id or not platform_id:
                    raise ConfigError(f"expected SIS=PLATFORM, got {item!r}", field=item)
                chosen[sis_id] = platform_id
            linked.setdefault(str(kind), {}).update(
                link_records(store, ref, school_id, kind, chosen))
    if as_json:
        emit_json(linked)
        return
    total = sum(len(v) for v in linked.values())
    console.print(f"{total} link(s) saved", highlight=False)


@match.command("unlink")
@click.argument("school_id")
@click.argument("sis_ids", nargs=-1, required=True, metavar="SIS...")
@click.option("--kind", "kind_name", type=_KIND_CHOICE, required=True, help="The records' kind.")
@pass_app
def unlink(app: AppContext, school_id: str, sis_ids: tuple[str, ...], kind_name: str) -> None:
    """Forget the links of SIS records."""
    with opened(app, set_up=school_id) as (store, _):
        removed = unlink_records(store, school_id, parse_kind(kind_name), sis_ids)
    console.print(f"{removed} link(s) removed", highlight=False)


COMMANDS: list[click.Command] = [match]
