"""The csvdir connector's hooks: the module registered under ``rostersync.connectors``.

Copy this shape for your own connector: ``rostersync_connector_info`` describes it,
``rostersync_authenticate`` checks the config and returns a session, and each fetch hook
yields records for ``context.sis_school_id``, reporting rows it skips.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from rostersync_core import (
    PLUGIN_API_VERSION,
    AcademicSession,
    ConfigError,
    ConnectorInfo,
    Course,
    Enrolment,
    FamilyLink,
    FetchContext,
    Grade,
    Person,
    RecordKind,
    School,
    SchoolClass,
    Subject,
    hookimpl,
)
from rostersync_csvdir import __version__, rows
from rostersync_csvdir.school import SchoolRoster, load_school
from rostersync_csvdir.tables import CsvDirSession, check_key, read_table

CONFIG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "folder": {
            "type": "string",
            "minLength": 1,
            "description": "The folder holding schools.csv, people.csv, ...",
        },
        "api_key": {
            "type": "string",
            "writeOnly": True,
            "description": "The access key stored in the folder's .api_key file, if it has one.",
        },
    },
    "required": ["folder"],
    "additionalProperties": False,
}


@hookimpl
def rostersync_connector_info() -> ConnectorInfo:
    return ConnectorInfo(
        name="csvdir",
        version=__version__,
        plugin_api=PLUGIN_API_VERSION,
        config_schema=CONFIG_SCHEMA,
        title="Folder of CSV files",
        description="Reads schools.csv, people.csv, classes.csv, ... from a folder.",
    )


@hookimpl
def rostersync_authenticate(config: Mapping[str, Any]) -> CsvDirSession:
    folder = Path(config["folder"]).expanduser()
    if not folder.is_dir():
        raise ConfigError(f"the folder {str(folder)!r} does not exist", field="folder")
    session = CsvDirSession(folder=folder, api_key=config.get("api_key", ""))
    check_key(session)
    return session


@hookimpl
def rostersync_list_schools(session: CsvDirSession) -> Iterator[School]:
    for row in read_table(session, "schools", rows.COLUMNS["schools"]):
        try:
            yield rows.school(row)
        except rows.BadRow:
            continue


def _school(session: CsvDirSession, context: FetchContext, kinds: set[RecordKind]) -> SchoolRoster:
    """The school's roster; reports the skipped rows of ``kinds`` (each hook its own)."""
    roster = load_school(session, context.sis_school_id, context.limit)
    for bad in roster.invalid:
        if bad.kind in kinds:
            context.report_invalid(bad.kind, bad.sis_id, bad.reason)
    return roster


@hookimpl
def rostersync_fetch_grades(session: CsvDirSession, context: FetchContext) -> Iterator[Grade]:
    yield from _school(session, context, {RecordKind.GRADE}).grades


@hookimpl
def rostersync_fetch_subjects(session: CsvDirSession, context: FetchContext) -> Iterator[Subject]:
    yield from _school(session, context, {RecordKind.SUBJECT}).subjects


@hookimpl
def rostersync_fetch_classes(
    session: CsvDirSession, context: FetchContext
) -> Iterator[AcademicSession | Course | SchoolClass]:
    kinds = {RecordKind.SESSION, RecordKind.COURSE, RecordKind.CLASS}
    roster = _school(session, context, kinds)
    yield from roster.terms
    yield from roster.courses
    yield from roster.classes
    context.progress(RecordKind.CLASS, len(roster.classes))


@hookimpl
def rostersync_fetch_people(session: CsvDirSession, context: FetchContext) -> Iterator[Person]:
    kinds = {RecordKind.STUDENT, RecordKind.STAFF, RecordKind.FAMILY}
    yield from _school(session, context, kinds).people


@hookimpl
def rostersync_fetch_enrolments(
    session: CsvDirSession, context: FetchContext
) -> Iterator[Enrolment | FamilyLink]:
    roster = _school(session, context, {RecordKind.ENROLMENT, RecordKind.FAMILY_LINK})
    yield from roster.enrolments
    yield from roster.family_links
