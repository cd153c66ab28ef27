"""The PowerSchool connector: rostersync's hooks over PowerSchool's REST API.

Installed through the entry point ``rostersync.connectors: powerschool``; the core never
imports it. A session is a :class:`PowerSchoolSession` (one authenticated API connection
and the per-school feeds of one sync).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from rostersync_core import hookimpl
from rostersync_core.connector_info import PLUGIN_API_VERSION, ConnectorInfo
from rostersync_core.errors import ConfigError
from rostersync_core.fetch import FetchContext
from rostersync_core.http import OAuth2ClientCredentials, RetryPolicy, SisNotFoundError
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
from rostersync_powerschool import __version__
from rostersync_powerschool.api import PowerSchoolApi, token_auth
from rostersync_powerschool.roster import SchoolFeed
from rostersync_powerschool.settings import CONFIG_SCHEMA, PowerSchoolSettings
from rostersync_powerschool.shapes import text

__all__ = ["NON_SCHOOL_IDS", "PowerSchoolConnector", "PowerSchoolSession", "plugin"]

#: PowerSchool "schools" that are not schools: the district office and graduated students.
NON_SCHOOL_IDS = frozenset({"0", "999999"})


@attrs.define(eq=False)
class PowerSchoolSession:
    """What :meth:`PowerSchoolConnector.rostersync_authenticate` returns."""

    api: PowerSchoolApi
    feeds: dict[tuple[str, int | None], SchoolFeed] = attrs.field(factory=dict)

    def __repr__(self) -> str:
        return f"PowerSchoolSession({self.api.settings.base_url!r})"

    def feed(self, context: FetchContext) -> SchoolFeed:
        key = (context.sis_school_id, context.limit)
        if key not in self.feeds:
            self.feeds[key] = SchoolFeed(self.api, context.sis_school_id, context.limit)
        return self.feeds[key]


def _counted(records: Iterator[Any], context: FetchContext) -> Iterator[Any]:
    """Yield ``records``, then tell the engine how many of each kind were read."""
    counts: dict[RecordKind, int] = {}
    for record in records:
        kind = record_kind(record)
        counts[kind] = counts.get(kind, 0) + 1
        yield record
    for kind, count in counts.items():
        context.progress(kind, count)


class PowerSchoolConnector:
    """The connector. ``retry`` and ``timeout`` tune the HTTP client (tests pass
    ``RetryPolicy.fast()``); the defaults suit real servers."""

    def __init__(self, *, retry: RetryPolicy | None = None, timeout: float = 30.0) -> None:
        self.retry = retry
        self.timeout = timeout
        # One token per set of credentials, reused by later sessions until it expires:
        # PowerSchool answers 429 to clients that ask for tokens too often.
        self._auths: dict[tuple[str, str, str], OAuth2ClientCredentials] = {}
        self._auths_lock = threading.Lock()

    def _auth_for(self, settings: PowerSchoolSettings) -> OAuth2ClientCredentials:
        digest = hashlib.blake2b(settings.client_secret.encode(), digest_size=16).hexdigest()
        key = (settings.base_url, settings.client_id, digest)
        with self._auths_lock:
            if key not in self._auths:
                if len(self._auths) >= 64:
                    self._auths.pop(next(iter(self._auths)))
                self._auths[key] = token_auth(settings)
            return self._auths[key]

    @hookimpl
    def rostersync_connector_info(self) -> ConnectorInfo:
        """Name ``powerschool``, the config schema (``client_secret`` is write-only)."""
        return ConnectorInfo(
            name="powerschool",
            version=__version__,
            plugin_api=PLUGIN_API_VERSION,
            config_schema=CONFIG_SCHEMA,
            title="PowerSchool SIS",
            description="Students, staff, sections, enrolments and guardians from "
            "PowerSchool's REST API (plugin client credentials).",
        )

    @hookimpl
    def rostersync_authenticate(self, config: Mapping[str, Any]) -> PowerSchoolSession:
        """Fetch a token and ``/ws/v1/metadata``; raise ``AuthenticationError`` for refused
        credentials, ``ConfigError(field="base_url")`` for an address that is not PowerSchool,
        ``SisUnavailableError`` when it cannot be reached."""
        settings = PowerSchoolSettings.from_config(config)
        api = PowerSchoolApi(settings, retry=self.retry, timeout=self.timeout,
                             auth=self._auth_for(settings))
        try:
            api.check()
        except SisNotFoundError:
            api.close()
            raise ConfigError(
                "the server at this address does not answer like PowerSchool "
                "(no /ws/v1/metadata)",
                field="base_url",
                hint="use the PowerSchool server's address, e.g. https://ps.district.example.org",
            ) from None
        except BaseException:
            api.close()
            raise
        return PowerSchoolSession(api)

    @hookimpl
    def rostersync_list_schools(self, session: PowerSchoolSession) -> list[School]:
        """Every school of the district but the district office (0) and graduates (999999)."""
        schools = []
        rows = session.api.list_records("ws/v1/district/school", "schools", "school",
                                        resource="school")
        for row in rows:
            sis_id = text(row.get("id"))
            if not sis_id or sis_id in NON_SCHOOL_IDS:
                continue
            schools.append(School(sis_id, text(row.get("name")) or sis_id,
                                  identifier=text(row.get("school_number"))))
        return schools

    @hookimpl
    def rostersync_fetch_grades(
        self, session: PowerSchoolSession, context: FetchContext
    ) -> Iterator[Grade]:
        """The school's grade levels, ``low_grade`` to ``high_grade``, as integer strings."""
        return _counted(iter(session.feed(context).grades()), context)

    @hookimpl
    def rostersync_fetch_subjects(
        self, session: PowerSchoolSession, context: FetchContext
    ) -> Iterator[Subject]:
        """The subjects (``sched_department``) of the school's courses."""
        return _counted(iter(session.feed(context).subjects()), context)

    @hookimpl
    def rostersync_fetch_classes(
        self, session: PowerSchoolSession, context: FetchContext
    ) -> Iterator[AcademicSession | Course | SchoolClass]:
        """Terms, courses (not homeroom courses) and sections as classes."""
        return _counted(session.feed(context).classes(context), context)

    @hookimpl
    def rostersync_fetch_people(
        self, session: PowerSchoolSession, context: FetchContext
    ) -> Iterator[Person]:
        """Synced students (by enrolment status), active staff, and guardians."""
        return _counted(session.feed(context).people(context), context)

    @hookimpl
    def rostersync_fetch_enrolments(
        self, session: PowerSchoolSession, context: FetchContext
    ) -> Iterator[Enrolment | FamilyLink]:
        """Teachers (lead primary, co-teachers not), students (``dropped`` skipped) and
        family links."""
        return _counted(session.feed(context).enrolments(context), context)


#: The object the entry point names.
plugin = PowerSchoolConnector()
