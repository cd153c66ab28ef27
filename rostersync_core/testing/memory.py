"""An in-process connector that serves a generated :class:`~rostersync_core.districts.District`.

For tests of the engine (and of platforms embedding it): no network, and the district can
be changed between two syncs::

    district = generate_district(students=60, seed=3)
    connector = MemoryConnector(district)
    host = PluginHost(load_entry_points=False)
    host.register_connector(connector)
    ...                                   # setup with config {"district": "...", "token": "s3cret"}
    connector.district = evolve_district(district)   # the next sync sees the new snapshot

Faults: ``fail_auth`` (credentials refused), ``unavailable`` (SIS down), ``invalid_rows``
(rows reported through ``FetchContext.report_invalid`` and held back from the feed).
``name`` lets two memory connectors be installed side by side.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from rostersync_core.connector_info import PLUGIN_API_VERSION, ConnectorInfo
from rostersync_core.districts import District, SchoolRoster
from rostersync_core.errors import AuthenticationError, SisUnavailableError, UnknownSchoolError
from rostersync_core.fetch import FetchContext
from rostersync_core.hookspecs import hookimpl
from rostersync_core.model import (
    AcademicSession,
    Course,
    Enrolment,
    FamilyLink,
    Grade,
    Person,
    RecordKind,
    School,
    SchoolClass,
    Subject,
    record_kind,
)

__all__ = ["MEMORY_TOKEN", "MemoryConnector", "MemorySession"]

#: The credential a :class:`MemoryConnector` accepts unless told otherwise.
MEMORY_TOKEN = "memory-connector-token"


@attrs.frozen
class MemorySession:
    district_name: str


class MemoryConnector:
    """A connector whose SIS is a :class:`District` held in memory."""

    def __init__(
        self,
        district: District,
        *,
        name: str = "memory",
        token: str = MEMORY_TOKEN,
    ) -> None:
        self.district = district
        self.name = name
        self.token = token
        self.fail_auth = False
        self.unavailable = False
        #: ``(kind, sis_id, reason)``: reported as invalid and left out of the feed.
        self.invalid_rows: list[tuple[RecordKind, str, str]] = []
        #: Hook name -> number of calls, so tests can see routing.
        self.calls: dict[str, int] = {}

    def _count(self, hook: str) -> None:
        self.calls[hook] = self.calls.get(hook, 0) + 1

    def _roster(self, context: FetchContext) -> SchoolRoster:
        if self.unavailable:
            raise SisUnavailableError(f"the {self.name} SIS is not answering")
        try:
            return self.district.school(context.sis_school_id)
        except KeyError:
            raise UnknownSchoolError(
                f"the SIS has no school {context.sis_school_id!r}"
            ) from None

    def _feed(self, records: list[Any], context: FetchContext) -> Iterator[Any]:
        invalid = {(kind, sis_id): reason for kind, sis_id, reason in self.invalid_rows}
        count = 0
        for record in records:
            key = (record_kind(record), record.key)
            if key in invalid:
                context.report_invalid(key[0], key[1], invalid[key])
                continue
            count += 1
            yield record
        context.progress(record_kind(records[0]) if records else RecordKind.SCHOOL, count)

    @hookimpl
    def rostersync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(
            name=self.name,
            version="1.0",
            plugin_api=PLUGIN_API_VERSION,
            title="In-memory test SIS",
            config_schema={
                "type": "object",
                "properties": {
                    "district": {"type": "string", "description": "Any name."},
                    "token": {"type": "string", "writeOnly": True, "minLength": 1},
                },
                "required": ["token"],
                "additionalProperties": False,
            },
        )

    @hookimpl
    def rostersync_authenticate(self, config: Mapping[str, Any]) -> MemorySession:
        self._count("authenticate")
        if self.unavailable:
            raise SisUnavailableError(f"the {self.name} SIS is not answering")
        if self.fail_auth or config.get("token") != self.token:
            raise AuthenticationError(f"the {self.name} SIS refused the token")
        return MemorySession(self.district.name)

    @hookimpl
    def rostersync_list_schools(self, session: MemorySession) -> list[School]:
        self._count("list_schools")
        return [roster.school for roster in self.district.schools.values()]

    @hookimpl
    def rostersync_fetch_grades(
        self, session: MemorySession, context: FetchContext
    ) -> Iterator[Grade]:
        self._count("fetch_grades")
        return self._feed(self._roster(context).grades, context)

    @hookimpl
    def rostersync_fetch_subjects(
        self, session: MemorySession, context: FetchContext
    ) -> Iterator[Subject]:
        self._count("fetch_subjects")
        return self._feed(self._roster(context).subjects, context)

    @hookimpl
    def rostersync_fetch_classes(
        self, session: MemorySession, context: FetchContext
    ) -> Iterator[AcademicSession | Course | SchoolClass]:
        self._count("fetch_classes")
        roster = self._roster(context)
        return self._feed([*roster.sessions, *roster.courses, *roster.classes], context)

    @hookimpl
    def rostersync_fetch_people(
        self, session: MemorySession, context: FetchContext
    ) -> Iterator[Person]:
        self._count("fetch_people")
        return self._feed(self._roster(context).people, context)

    @hookimpl
    def rostersync_fetch_enrolments(
        self, session: MemorySession, context: FetchContext
    ) -> Iterator[Enrolment | FamilyLink]:
        self._count("fetch_enrolments")
        roster = self._roster(context)
        return self._feed([*roster.enrolments, *roster.family_links], context)


def set_up_memory_school(
    store: Any,
    platform: Any,
    district: District,
    school_id: str = "maple",
    *,
    timezone: str = "UTC",
    connector: str = "memory",
    token: str = MEMORY_TOKEN,
) -> str:
    """Make ``school_id`` ready to sync from ``district`` without the setup workflow.

    Creates the school, one platform grade and subject per SIS value (mapped one to one) on
    the reference ``platform``, and saves the connection to the district's first school in
    ``store``. Returns that school's SIS id. For tests and demos only.
    """
    from rostersync_core.state import SchoolConnection

    sis_school_id = sorted(district.schools)[0]
    roster = district.schools[sis_school_id]
    platform.add_school(school_id, roster.school.name, timezone)
    for grade in roster.grades:
        platform.add_grade(f"grade-{grade.sis_id}", grade.name or grade.sis_id)
    for subject in roster.subjects:
        platform.add_subject(f"subject-{subject.sis_id}", subject.name)
    store.save_value_mappings(
        school_id, RecordKind.GRADE, {g.sis_id: f"grade-{g.sis_id}" for g in roster.grades}
    )
    store.save_value_mappings(
        school_id, RecordKind.SUBJECT, {s.sis_id: f"subject-{s.sis_id}" for s in roster.subjects}
    )
    store.save_connection(
        SchoolConnection(school_id, connector, {"token": token}, sis_school_id,
                         roster.school.name),
        public_config={"token": "********"},
    )
    return sis_school_id
