"""The OneRoster connector's hooks. The entry point names :data:`plugin`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from rostersync_core import hookimpl
from rostersync_core.connector_info import PLUGIN_API_VERSION, ConnectorInfo
from rostersync_core.errors import AuthenticationError, ConfigError
from rostersync_core.fetch import FetchContext
from rostersync_core.http import (
    OAuth2ClientCredentials,
    RetryPolicy,
    SisNotFoundError,
    SisRequestRejectedError,
)
from rostersync_core.model import (
    AcademicSession,
    Course,
    Enrolment,
    FamilyLink,
    Grade,
    Person,
    PersonKind,
    RecordKind,
    School,
    SchoolClass,
    Subject,
)
from rostersync_oneroster import __version__
from rostersync_oneroster import normalise as n
from rostersync_oneroster.config import CONFIG_SCHEMA, build_source
from rostersync_oneroster.feed import SchoolFeed
from rostersync_oneroster.rest import RestSource
from rostersync_oneroster.source import RosterSource

__all__ = ["OneRosterConnector", "OneRosterSession", "plugin"]


class OneRosterSession:
    """An authenticated source, and the feed of the fetch in progress."""

    def __init__(self, source: RosterSource) -> None:
        self.source = source
        self._context: FetchContext | None = None
        self._feed: SchoolFeed | None = None

    def __repr__(self) -> str:
        return f"OneRosterSession({self.source.description!r})"

    def feed(self, context: FetchContext) -> SchoolFeed:
        """The feed for ``context`` (one per fetch context: the five hooks share it)."""
        if self._feed is None or self._context is not context:
            self._feed = SchoolFeed(self.source, context)
            self._context = context
        return self._feed

    def close(self) -> None:
        self.source.close()


class OneRosterConnector:
    """OneRoster 1.1/1.2: REST with OAuth 2 or OAuth 1.0a, or CSV bulk/delta."""

    def __init__(self, *, retry: RetryPolicy | None = None) -> None:
        #: The retry policy of REST sources (tests use a fast one).
        self.retry = retry

    @hookimpl
    def rostersync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(
            name="oneroster",
            version=__version__,
            plugin_api=PLUGIN_API_VERSION,
            config_schema=CONFIG_SCHEMA,
            title="OneRoster 1.1 / 1.2",
            description="Any SIS speaking 1EdTech OneRoster: REST (OAuth 2 or OAuth 1.0a) "
            "or a CSV zip/folder (bulk or delta).",
        )

    @hookimpl
    def rostersync_authenticate(self, config: Mapping[str, Any]) -> OneRosterSession:
        source = build_source(config, retry=self.retry)
        if isinstance(source, RestSource):
            where = f"{source.client.base_url}"
            auth = source.client.auth
            token_path = (
                urlsplit(source.client.url(auth.token_url)).path
                if isinstance(auth, OAuth2ClientCredentials)
                else None
            )
            try:
                first = source.client.get("schools", params={"limit": 1, "offset": 0})
            except SisNotFoundError as exc:
                field = "oauth_url" if exc.path == token_path else "base_path"
                source.close()
                raise ConfigError(
                    f"no OneRoster {source.version} service answers at {exc.path} on {exc.host}",
                    field=field,
                    hint="check the address, the version and the base path",
                ) from None
            except SisRequestRejectedError as exc:
                source.close()
                if exc.path == token_path:
                    raise AuthenticationError(
                        f"the SIS token endpoint refused the request ({exc.status})"
                    ) from None
                raise ConfigError(
                    f"the service at {where} refused a standard request ({exc.status})",
                    field="base_url",
                ) from None
            except Exception:
                source.close()
                raise
            source.note_school_count(first.header("X-Total-Count"))
        return OneRosterSession(source)

    @hookimpl
    def rostersync_list_schools(self, session: OneRosterSession) -> list[School]:
        schools = [n.school_from(org) for org in session.source.schools()]
        return sorted((s for s in schools if s is not None), key=lambda s: s.sis_id)

    @hookimpl
    def rostersync_fetch_grades(
        self, session: OneRosterSession, context: FetchContext
    ) -> Iterator[Grade]:
        grades = session.feed(context).classes(context).grades
        context.progress(RecordKind.GRADE, len(grades))
        return iter(grades)

    @hookimpl
    def rostersync_fetch_subjects(
        self, session: OneRosterSession, context: FetchContext
    ) -> Iterator[Subject]:
        subjects = session.feed(context).classes(context).subjects
        context.progress(RecordKind.SUBJECT, len(subjects))
        return iter(subjects)

    @hookimpl
    def rostersync_fetch_classes(
        self, session: OneRosterSession, context: FetchContext
    ) -> Iterator[AcademicSession | Course | SchoolClass]:
        read = session.feed(context).classes(context)
        context.progress(RecordKind.CLASS, len(read.classes))
        return iter([*read.sessions, *read.courses, *read.classes])

    @hookimpl
    def rostersync_fetch_people(
        self, session: OneRosterSession, context: FetchContext
    ) -> Iterator[Person]:
        people = session.feed(context).people(context).people
        for kind, person_kind in (
            (RecordKind.STUDENT, PersonKind.STUDENT),
            (RecordKind.STAFF, PersonKind.STAFF),
            (RecordKind.FAMILY, PersonKind.FAMILY),
        ):
            context.progress(kind, sum(1 for p in people if p.kind is person_kind))
        return iter(people)

    @hookimpl
    def rostersync_fetch_enrolments(
        self, session: OneRosterSession, context: FetchContext
    ) -> Iterator[Enrolment | FamilyLink]:
        feed = session.feed(context)

        def stream() -> Iterator[Enrolment | FamilyLink]:
            count = 0
            for enrolment in feed.enrolments(context):
                count += 1
                yield enrolment
            context.progress(RecordKind.ENROLMENT, count)
            yield from feed.people(context).links

        return stream()


#: The object the ``rostersync.connectors`` entry point loads.
plugin = OneRosterConnector()
