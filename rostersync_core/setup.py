"""Setup, once per school: bind a platform school to one SIS school through a connector.

:func:`setup_school` validates the config, verifies the credentials against the SIS at
once, lists the SIS's schools and binds one. Nothing is saved unless all of that worked.
Running it again replaces the connection (credentials included); grade and subject
mappings, links and exclusions are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from rostersync_core.errors import ConfigError, UnknownSchoolError
from rostersync_core.model import School
from rostersync_core.platform.protocol import Platform
from rostersync_core.plugins import PluginHost
from rostersync_core.state import SchoolConnection
from rostersync_core.store import StateStore

__all__ = ["SchoolChoiceNeededError", "SetupResult", "list_sis_schools", "setup_school"]


class SchoolChoiceNeededError(ConfigError):
    """The SIS lists several schools and none was chosen. ``schools`` lists them."""

    def __init__(self, schools: tuple[School, ...]) -> None:
        super().__init__(
            f"the SIS lists {len(schools)} schools; choose the one to bind",
            field="sis_school_id",
            hint="pass the SIS school id (--sis-school ID); the SIS lists: "
            + ", ".join(f"{s.sis_id} ({s.name})" for s in schools[:20])
            + (" ..." if len(schools) > 20 else ""),
        )
        self.schools = schools


@attrs.frozen
class SetupResult:
    """What setup did: the saved connection (``config`` hidden from ``repr``), the SIS's
    schools, whether an existing connection was replaced, and the config fit to show."""

    connection: SchoolConnection
    sis_schools: tuple[School, ...]
    replaced: bool
    public_config: Mapping[str, Any]

    def describe(self) -> dict[str, Any]:
        """Plain data for ``--json`` (secrets hidden)."""
        return {
            "school_id": self.connection.school_id,
            "connector": self.connection.connector,
            "sis_school_id": self.connection.sis_school_id,
            "sis_school_name": self.connection.sis_school_name,
            "replaced": self.replaced,
            "config": dict(self.public_config),
            "sis_schools": [{"sis_id": s.sis_id, "name": s.name} for s in self.sis_schools],
        }


def list_sis_schools(
    host: PluginHost, connector_name: str, config: Mapping[str, Any]
) -> list[School]:
    """Verify ``config`` against the SIS and list the schools its credentials can see."""
    connector = host.connector(connector_name)
    session = connector.authenticate(config)
    return connector.list_schools(session)


def _choose(
    schools: list[School], wanted: str | None, previous: str | None
) -> School:
    if wanted:
        for school in schools:
            if wanted in (school.sis_id, school.identifier):
                return school
        raise UnknownSchoolError(
            f"the SIS has no school {wanted!r}",
            hint="it lists: " + (", ".join(f"{s.sis_id} ({s.name})" for s in schools[:20])
                                 or "no school at all"),
        )
    if previous:
        for school in schools:
            if school.sis_id == previous:
                return school
    if len(schools) == 1:
        return schools[0]
    if not schools:
        raise UnknownSchoolError(
            "the SIS lists no school for these credentials",
            hint="check that the credentials have access to at least one school",
        )
    raise SchoolChoiceNeededError(tuple(schools))


def setup_school(
    store: StateStore,
    host: PluginHost,
    platform: Platform,
    school_id: str,
    connector_name: str,
    config: Mapping[str, Any],
    sis_school_id: str | None = None,
) -> SetupResult:
    """Bind platform school ``school_id`` to an SIS school through ``connector_name``.

    ``sis_school_id`` may be left out when the SIS lists exactly one school, or on a
    re-run (the school bound before is kept).

    Raises :class:`UnknownSchoolError` (no such platform school or SIS school),
    :class:`~rostersync_core.errors.UnknownConnectorError`, :class:`ConfigError` (naming
    the field, secrets hidden), :class:`SchoolChoiceNeededError`,
    :class:`~rostersync_core.errors.AuthenticationError` (wrong credentials) or
    :class:`~rostersync_core.errors.SisUnavailableError`. Nothing is saved then.
    """
    if platform.get_school(school_id) is None:
        raise UnknownSchoolError(
            f"the platform has no school {school_id!r}",
            hint=f"create it first: rostersync setup {school_id} --create-school NAME ..., "
            f"rostersync platform create-school {school_id} NAME, or rostersync platform "
            "seed FILE",
        )
    connector = host.connector(connector_name)
    connector.validate_config(config)
    session = connector.authenticate(config)
    schools = connector.list_schools(session)
    previous: str | None = None
    replaced = store.has_connection(school_id)
    if replaced:  # read without the key: a config this machine cannot open is replaced
        [old] = store.describe_connections(school_id)
        if old["connector"] == connector_name:
            previous = old["sis_school_id"]
    chosen = _choose(schools, sis_school_id, previous)
    public = connector.redact(config)
    saved = store.save_connection(
        SchoolConnection(
            school_id=school_id,
            connector=connector_name,
            config=dict(config),
            sis_school_id=chosen.sis_id,
            sis_school_name=chosen.name,
        ),
        public_config=public,
    )
    return SetupResult(saved, tuple(schools), replaced, public)
