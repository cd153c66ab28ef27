"""One installed connector, with its hooks routed to it alone."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

import attrs

from rostersync_core.config import redact, validate_config
from rostersync_core.connector_info import ConnectorInfo
from rostersync_core.errors import AuthenticationError, InvalidSisDataError, RostersyncError
from rostersync_core.fetch import FetchContext
from rostersync_core.model import (
    AcademicSession,
    Course,
    Enrolment,
    FamilyLink,
    Grade,
    Person,
    School,
    SchoolClass,
    Subject,
)

if TYPE_CHECKING:
    from rostersync_core.plugins import PluginHost

__all__ = ["Connector"]


@attrs.define(eq=False)
class Connector:
    """An installed connector. Its methods call this connector's hooks and no other's.

    Errors that are not :class:`~rostersync_core.errors.RostersyncError` are wrapped in
    :class:`~rostersync_core.errors.InvalidSisDataError` naming the connector, so a bug in
    a plugin reaches the admin as a clear message.
    """

    info: ConnectorInfo
    plugin: object
    host: PluginHost
    distribution: str = ""
    distribution_version: str = ""
    hooks: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.info.name

    def _call(self, hook: str, **kwargs: Any) -> Any:
        # Connector hooks are called a handful of times per sync (fetch hooks return
        # streams), so the subset caller is built afresh: it always excludes every other
        # connector registered so far.
        others = [p for p in self.host.connector_plugins() if p is not self.plugin]
        caller = self.host.pm.subset_hook_caller(hook, remove_plugins=others)
        try:
            return caller(**kwargs)
        except RostersyncError:
            raise
        except Exception as exc:
            raise InvalidSisDataError(
                f"connector {self.name!r} failed in {hook}: {type(exc).__name__}"
            ) from exc

    def _stream(self, hook: str, **kwargs: Any) -> Iterator[Any]:
        """Iterate a fetch hook's result, wrapping a plugin's own failures as above."""
        result = self._call(hook, **kwargs)
        if result is None:
            # Read as "no records", a forgotten ``return`` would look like an empty SIS
            # and archive everyone: refuse it.
            raise InvalidSisDataError(
                f"connector {self.name!r} returned nothing from {hook} (a missing return?)"
            )
        try:
            # ``yield from`` hands each record on in C (a connector yields millions); a
            # failure inside the plugin's iterator still surfaces here.
            yield from result
        except RostersyncError:
            raise
        except Exception as exc:
            raise InvalidSisDataError(
                f"connector {self.name!r} failed while reading {hook[len('rostersync_'):]}:"
                f" {type(exc).__name__}"
            ) from exc

    # -- the connector's operations --------------------------------------------------------

    def validate_config(self, config: Mapping[str, Any]) -> None:
        """Raise :class:`~rostersync_core.errors.ConfigError` naming the bad field."""
        validate_config(config, self.info.config_schema)

    def redact(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """``config`` with secret values hidden."""
        return redact(config, self.info.config_schema)

    def authenticate(self, config: Mapping[str, Any]) -> object:
        """Validate ``config`` and verify its credentials; return the connector's session."""
        self.validate_config(config)
        session = self._call("rostersync_authenticate", config=config)
        if session is None:
            raise AuthenticationError(f"connector {self.name!r} returned no session")
        return cast(object, session)

    def list_schools(self, session: object) -> list[School]:
        return list(self._stream("rostersync_list_schools", session=session))

    def fetch_grades(self, session: object, context: FetchContext) -> Iterator[Grade]:
        return self._stream("rostersync_fetch_grades", session=session, context=context)

    def fetch_subjects(self, session: object, context: FetchContext) -> Iterator[Subject]:
        return self._stream("rostersync_fetch_subjects", session=session, context=context)

    def fetch_classes(
        self, session: object, context: FetchContext
    ) -> Iterator[AcademicSession | Course | SchoolClass]:
        return self._stream("rostersync_fetch_classes", session=session, context=context)

    def fetch_people(self, session: object, context: FetchContext) -> Iterator[Person]:
        return self._stream("rostersync_fetch_people", session=session, context=context)

    def fetch_enrolments(
        self, session: object, context: FetchContext
    ) -> Iterator[Enrolment | FamilyLink]:
        return self._stream("rostersync_fetch_enrolments", session=session, context=context)

    def describe(self) -> dict[str, Any]:
        """Name, version, distribution, hooks and config fields (secrets marked)."""
        props = self.info.config_schema.get("properties", {})
        required = set(self.info.config_schema.get("required", []))
        secrets = self.info.secret_fields
        return {
            "name": self.name,
            "title": self.info.title,
            "version": self.info.version,
            "plugin_api": self.info.plugin_api,
            "distribution": self.distribution,
            "distribution_version": self.distribution_version,
            "hooks": list(self.hooks),
            "config_fields": [
                {
                    "name": field,
                    "type": spec.get("type", "") if isinstance(spec, Mapping) else "",
                    "required": field in required,
                    "secret": field in secrets,
                    "description": spec.get("description", "") if isinstance(spec, Mapping) else "",
                }
                for field, spec in props.items()
            ],
        }
