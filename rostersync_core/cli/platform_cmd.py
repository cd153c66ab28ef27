"""``rostersync platform``: the reference platform (schools, grades, subjects, seed, roster).

Also :func:`opened`, which the setup, mapping, match and exclude commands use to open the
state store and the reference platform on it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from rostersync_core.cli.common import AppContext, console, emit_json, json_option, pass_app
from rostersync_core.errors import ConfigError, UnknownSchoolError
from rostersync_core.platform.protocol import SYNCED_KINDS
from rostersync_core.platform.reference import ReferencePlatform
from rostersync_core.platform.reference_rows import ReferencePlatformError
from rostersync_core.platform.reference_seed import seed as seed_platform
from rostersync_core.schedule.timing import parse_timezone
from rostersync_core.store import StateStore

__all__ = ["COMMANDS", "opened"]


@contextmanager
def opened(
    app: AppContext, *, set_up: str | None = None, known: str | None = None
) -> Iterator[tuple[StateStore, ReferencePlatform]]:
    """The state store at ``--db`` and the reference platform on the same database.

    ``set_up``: that school must be set up; ``known``: it must be set up or exist on the
    platform. Otherwise :class:`UnknownSchoolError`, so a mistyped school is named instead
    of showing nothing or saving under a wrong id.
    """
    store = StateStore.open(app.database_url)
    try:
        platform = ReferencePlatform(store.engine)
        if set_up is not None:
            store.require_connection(set_up)
        if known is not None and not store.has_connection(known) and (
            platform.get_school(known) is None
        ):
            raise UnknownSchoolError(
                f"the platform has no school {known!r} and it is not set up",
                hint="check the school id (rostersync platform show lists the platform's "
                "schools, rostersync connection list the schools set up)",
            )
        yield store, platform
    finally:
        store.close()


_SEED_FORMAT = "the seed format is in docs/platform.md"


def _seed_data(file: Path) -> dict[str, Any]:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"the seed file {file} is not valid JSON ({exc.msg}, line "
                          f"{exc.lineno})", field="FILE") from None
    except UnicodeDecodeError:
        raise ConfigError(f"the seed file {file} is not UTF-8 text", field="FILE") from None
    if not isinstance(data, dict):
        raise ConfigError(f"the seed file {file} must hold a JSON object (schools, grades, "
                          "subjects, classes, students, staff, family...)", field="FILE",
                          hint=_SEED_FORMAT)
    return data


@click.group()
def platform() -> None:
    """The reference platform: schools, grades, subjects and existing records."""


@platform.command("seed")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
@pass_app
def seed(app: AppContext, file: Path, as_json: bool) -> None:
    """Load schools, grades, subjects and existing records from a JSON FILE."""
    data = _seed_data(file)
    with opened(app) as (_, ref):
        try:
            counts = seed_platform(ref, data)
        except ReferencePlatformError as exc:
            raise ConfigError(f"the seed file {file}: {exc}", field="FILE",
                              hint=_SEED_FORMAT) from None
        except (KeyError, TypeError, AttributeError) as exc:
            missing = f"the field {exc} is missing" if isinstance(exc, KeyError) else str(exc)
            raise ConfigError(f"the seed file {file} is not in the seed format: {missing}",
                              field="FILE", hint=_SEED_FORMAT) from None
    if as_json:
        emit_json(counts)
        return
    console.print("seeded: " + ", ".join(f"{n} {k}" for k, n in counts.items() if n))


@platform.command("create-school")
@click.argument("school_id")
@click.argument("name")
@click.option("--timezone", default="UTC", show_default=True, help="IANA time zone.")
@pass_app
def create_school(app: AppContext, school_id: str, name: str, timezone: str) -> None:
    """Create (or rename) the platform school SCHOOL_ID called NAME.

    Example: rostersync platform create-school maple "Maple School" --timezone America/Chicago
    """
    timezone = parse_timezone(timezone).key
    with opened(app) as (_, ref):
        ref.add_school(school_id, name, timezone)
    console.print(f"school {school_id} ({name}, {timezone}) is ready")


@platform.command("add-grade")
@click.argument("grade_id")
@click.argument("name")
@pass_app
def add_grade(app: AppContext, grade_id: str, name: str) -> None:
    """Create (or rename) platform grade GRADE_ID called NAME (shared by every school).

    Example: rostersync platform add-grade g-1 "Grade 1"
    """
    with opened(app) as (_, ref):
        ref.add_grade(grade_id, name)
    console.print(f"grade {grade_id} ({name}) is ready")


@platform.command("add-subject")
@click.argument("subject_id")
@click.argument("name")
@pass_app
def add_subject(app: AppContext, subject_id: str, name: str) -> None:
    """Create (or rename) platform subject SUBJECT_ID called NAME (shared by every school).

    Example: rostersync platform add-subject math Mathematics
    """
    with opened(app) as (_, ref):
        ref.add_subject(subject_id, name)
    console.print(f"subject {subject_id} ({name}) is ready")


@platform.command("show")
@click.argument("school_id", required=False)
@json_option
@pass_app
def show(app: AppContext, school_id: str | None, as_json: bool) -> None:
    """Schools, grades and subjects; with SCHOOL_ID, that school's record counts."""
    with opened(app) as (_, ref):
        data: dict[str, object] = {
            "schools": ref.list_schools(),
            "grades": ref.list_grades(),
            "subjects": ref.list_subjects(),
        }
        if school_id is not None:
            school = ref.get_school(school_id)
            if school is None:
                raise UnknownSchoolError(f"the platform has no school {school_id!r}")
            counts = {}
            for kind in SYNCED_KINDS:
                records = ref.list_records(school_id, kind)
                active = sum(1 for r in records if not r.archived)
                counts[str(kind)] = {"active": active, "archived": len(records) - active}
            data = {"school": school, "records": counts, **data}
    if as_json:
        emit_json(data)
        return
    table = Table(title="Platform")
    table.add_column("what")
    table.add_column("values")
    for key in ("schools", "grades", "subjects"):
        items = data[key]
        assert isinstance(items, list)
        table.add_row(key, ", ".join(f"{i.id} ({i.name})" for i in items) or "-")
    console.print(table)
    counts_of = data.get("records")
    if isinstance(counts_of, dict):
        counts_table = Table(title=f"School {school_id}")
        for column in ("kind", "active", "archived"):
            counts_table.add_column(column)
        for kind_name, count in counts_of.items():
            counts_table.add_row(kind_name, str(count["active"]), str(count["archived"]))
        console.print(counts_table)


@platform.command("export")
@click.argument("school_id")
@pass_app
def export(app: AppContext, school_id: str) -> None:
    """Print SCHOOL_ID's active roster as canonical JSON (no ids)."""
    with opened(app) as (_, ref):
        if ref.get_school(school_id) is None:
            raise UnknownSchoolError(f"the platform has no school {school_id!r}")
        emit_json(ref.export_roster(school_id))


COMMANDS: list[click.Command] = [platform]
