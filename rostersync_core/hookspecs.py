"""The hooks rostersync calls. Every hook is documented in ``docs/hooks.md``.

Connector hooks (``rostersync_connector_info`` .. ``rostersync_fetch_enrolments``) are
called on one connector only: the one a school's connection names. Extension hooks
(``rostersync_adjust_records``, ``rostersync_job_state_changed``) reach every plugin.

Plugin authors import the marker from the core: ``from rostersync_core import hookimpl``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import pluggy

from rostersync_core.connector_info import ConnectorInfo
from rostersync_core.events import SyncJobEvent
from rostersync_core.fetch import FetchContext
from rostersync_core.model import (
    AcademicSession,
    Course,
    Enrolment,
    FamilyLink,
    Grade,
    Person,
    Record,
    School,
    SchoolClass,
    Subject,
)

PROJECT_NAME = "rostersync"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

CONNECTOR_HOOKS = (
    "rostersync_connector_info",
    "rostersync_authenticate",
    "rostersync_list_schools",
    "rostersync_fetch_grades",
    "rostersync_fetch_subjects",
    "rostersync_fetch_classes",
    "rostersync_fetch_people",
    "rostersync_fetch_enrolments",
)
EXTENSION_HOOKS = ("rostersync_adjust_records", "rostersync_job_state_changed")


# -- connector hooks ---------------------------------------------------------------------


@hookspec(firstresult=True)
def rostersync_connector_info() -> ConnectorInfo:  # type: ignore[empty-body]
    """Describe the connector: name, version, plugin API version, config JSON Schema.

    Called once when the connector is loaded. Secret config fields carry
    ``"writeOnly": true`` in the schema. Must not do I/O.
    """


@hookspec(firstresult=True)
def rostersync_authenticate(config: Mapping[str, Any]) -> object:
    """Verify the credentials in ``config`` against the SIS and return a session.

    Called at setup (to verify) and at the start of every sync. ``config`` has already been
    validated against the connector's schema. The returned object is opaque to the core and
    is handed back to every other connector hook.

    Raises :class:`~rostersync_core.errors.AuthenticationError` when the SIS refuses the
    credentials, :class:`~rostersync_core.errors.SisUnavailableError` when it cannot be
    reached, :class:`~rostersync_core.errors.ConfigError` for unusable settings.
    """


@hookspec(firstresult=True)
def rostersync_list_schools(session: Any) -> Iterable[School]:  # type: ignore[empty-body]
    """List the schools the credentials can see. Called by setup to bind a school."""


@hookspec(firstresult=True)
def rostersync_fetch_grades(  # type: ignore[empty-body]
    session: Any, context: FetchContext
) -> Iterable[Grade]:
    """Yield the grade levels the SIS uses in the school, as the SIS spells them."""


@hookspec(firstresult=True)
def rostersync_fetch_subjects(  # type: ignore[empty-body]
    session: Any, context: FetchContext
) -> Iterable[Subject]:
    """Yield the subjects the SIS uses in the school."""


@hookspec(firstresult=True)
def rostersync_fetch_classes(  # type: ignore[empty-body]
    session: Any, context: FetchContext
) -> Iterable[AcademicSession | Course | SchoolClass]:
    """Yield the school's classes, with the courses and terms they refer to."""


@hookspec(firstresult=True)
def rostersync_fetch_people(  # type: ignore[empty-body]
    session: Any, context: FetchContext
) -> Iterable[Person]:
    """Yield the school's students, staff and family members."""


@hookspec(firstresult=True)
def rostersync_fetch_enrolments(  # type: ignore[empty-body]
    session: Any, context: FetchContext
) -> Iterable[Enrolment | FamilyLink]:
    """Yield the school's enrolments (person in class) and family links."""


# -- extension hooks ---------------------------------------------------------------------


@hookspec
def rostersync_adjust_records(  # type: ignore[empty-body]
    records: Iterator[Record], school_id: str, connector: str
) -> Iterator[Record]:
    """Adjust or drop normalised records before mapping.

    Called once per fetched stream. Every implementation is chained: each receives the
    stream the previous one returned, and returns a stream (a generator is best). Drop a
    record by not yielding it; change one by yielding an ``attrs.evolve``-d copy.
    """


@hookspec
def rostersync_job_state_changed(event: SyncJobEvent) -> None:
    """Told of every sync job state change. All implementations are called.

    An exception raised here is logged and never fails the sync.
    """
