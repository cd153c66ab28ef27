"""Find, validate and load plugins; route connector calls to one connector.

Connectors are found through the entry point group ``rostersync.connectors``, extension
plugins through ``rostersync.plugins``. Each entry point is loaded on its own: one that
fails to import, targets another plugin API, implements a hook that does not exist or with
a wrong signature, is recorded in :attr:`PluginHost.failures` and skipped.

``ROSTERSYNC_PLUGINS`` (comma-separated entry point names) restricts what loads.
"""

from __future__ import annotations

import difflib
import inspect
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from importlib import metadata
from typing import Any, cast

import attrs
import pluggy

from rostersync_core import hookspecs
from rostersync_core.connector import Connector
from rostersync_core.connector_info import PLUGIN_API_VERSION, ConnectorInfo, is_compatible
from rostersync_core.deprecations import register_noting_deprecations
from rostersync_core.errors import PluginError, UnknownConnectorError
from rostersync_core.events import SyncJobEvent
from rostersync_core.model import Record

__all__ = [
    "CONNECTOR_GROUP",
    "EXTENSION_GROUP",
    "PLUGINS_ENV",
    "PluginFailure",
    "PluginHost",
    "PluginRefusedError",
]

log = logging.getLogger(__name__)

CONNECTOR_GROUP = "rostersync.connectors"
EXTENSION_GROUP = "rostersync.plugins"
PLUGINS_ENV = "ROSTERSYNC_PLUGINS"


@attrs.frozen
class PluginFailure:
    """A plugin that was skipped, and why."""

    name: str
    group: str
    distribution: str
    reason: str


@attrs.frozen
class ExtensionPlugin:
    name: str
    distribution: str
    version: str
    hooks: tuple[str, ...]


def _allowed_from_env() -> frozenset[str] | None:
    raw = os.environ.get(PLUGINS_ENV, "").strip()
    if not raw:
        return None
    return frozenset(n.strip() for n in raw.split(",") if n.strip())


def _dist_of(ep: metadata.EntryPoint) -> tuple[str, str]:
    dist = ep.dist
    if dist is None:
        return "", ""
    return dist.metadata["Name"] or "", dist.version or ""


class PluginHost:
    """The plugin manager of one process: connectors by name, extensions for all.

    ``PluginHost()`` loads every installed plugin; ``PluginHost(load_entry_points=False)``
    starts empty (tests register plugins in process with :meth:`register_connector` and
    :meth:`register_extension`).
    """

    def __init__(
        self, *, load_entry_points: bool = True, allow: Iterable[str] | None = None
    ) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.connectors: dict[str, Connector] = {}
        self.extensions: list[ExtensionPlugin] = []
        self.failures: list[PluginFailure] = []
        #: Registration name -> deprecation messages its hooks triggered.
        self.deprecations: dict[str, list[str]] = {}
        self._allow = frozenset(allow) if allow is not None else _allowed_from_env()
        if load_entry_points:
            self.load_entry_points()

    # -- loading ---------------------------------------------------------------------------

    def load_entry_points(self) -> None:
        """Load every connector and extension entry point, each on its own."""
        eps = metadata.entry_points()
        for ep in sorted(eps.select(group=CONNECTOR_GROUP), key=lambda e: e.name):
            if self._allow is None or ep.name in self._allow:
                self._load_one(ep, CONNECTOR_GROUP)
        for ep in sorted(eps.select(group=EXTENSION_GROUP), key=lambda e: e.name):
            if self._allow is None or ep.name in self._allow:
                self._load_one(ep, EXTENSION_GROUP)

    def _load_one(self, ep: metadata.EntryPoint, group: str) -> None:
        dist, version = _dist_of(ep)
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken plugin must never take the host down
            self._fail(ep.name, group, dist, f"cannot be imported: {type(exc).__name__}: {exc}")
            return
        if isinstance(plugin, type):
            try:
                plugin = plugin()
            except Exception as exc:
                self._fail(ep.name, group, dist, f"cannot be created: {type(exc).__name__}: {exc}")
                return
        try:
            if group == CONNECTOR_GROUP:
                self.register_connector(plugin, distribution=dist, version=version)
            else:
                self.register_extension(plugin, name=ep.name, distribution=dist, version=version)
        except _Refused as exc:
            self._fail(ep.name, group, dist, str(exc))

    def _fail(self, name: str, group: str, dist: str, reason: str) -> None:
        log.warning("plugin %r (%s) skipped: %s", name, group, reason)
        self.failures.append(PluginFailure(name, group, dist, reason))

    def _register_checked(self, plugin: object, name: str) -> tuple[tuple[str, ...], list[str]]:
        """Register ``plugin``; return its hook names and the deprecation messages its
        hooks triggered, or raise :class:`_Refused` (leaving nothing registered)."""
        if type(plugin).__hash__ is None:
            raise _Refused(
                "is not hashable (pluggy keeps plugins in sets); "
                "with attrs use @attrs.define(eq=False)"
            )
        if self.pm.is_registered(plugin) or self.pm.has_plugin(name):
            raise _Refused(f"a plugin named {name!r} is already registered")
        try:
            deprecations = register_noting_deprecations(self.pm, plugin, name)
        except pluggy.PluginValidationError:
            raise _Refused(
                "has a hook with a wrong signature: " + _signature_advice(plugin)
            ) from None
        except ValueError as exc:
            raise _Refused(str(exc)) from None
        hooks: list[str] = []
        unknown: list[str] = []
        for caller in self.pm.get_hookcallers(plugin) or []:
            if caller.spec is None:
                unknown.append(caller.name)
            else:
                hooks.append(caller.name)
        for attr in dir(plugin):
            if (
                attr.startswith("rostersync_")
                and attr not in hooks
                and attr not in unknown
                and callable(getattr(plugin, attr, None))
                and not hasattr(hookspecs, attr)
            ):
                unknown.append(attr)
        if unknown:
            self.pm.unregister(plugin)
            raise _Refused(
                "implements hooks that do not exist: "
                + ", ".join(sorted(unknown))
                + " (misspelt? see docs/hooks.md)"
            )
        return tuple(sorted(hooks)), deprecations

    def register_connector(
        self, plugin: object, *, distribution: str = "", version: str = ""
    ) -> Connector:
        """Register one connector plugin (a module or an object with hook implementations).

        Raises :class:`PluginRefusedError` (a :class:`~rostersync_core.errors.PluginError`) when
        the plugin is unusable; the host is unchanged then.
        """
        probe_name = f"connector-{id(plugin)}"
        hooks, deprecations = self._register_checked(plugin, probe_name)
        try:
            missing = [h for h in hookspecs.CONNECTOR_HOOKS if h not in hooks]
            if missing:
                raise _Refused("does not implement the connector hooks " + ", ".join(missing))
            info = plugin.rostersync_connector_info()  # type: ignore[attr-defined]
            if not isinstance(info, ConnectorInfo):
                raise _Refused("rostersync_connector_info did not return a ConnectorInfo")
            if not is_compatible(info.plugin_api):
                raise _Refused(
                    f"connector {info.name!r} targets plugin API {info.plugin_api}, "
                    f"but this rostersync-core offers plugin API {PLUGIN_API_VERSION}"
                )
            if info.name in self.connectors:
                raise _Refused(f"a connector named {info.name!r} is already installed")
        except _Refused:
            self.pm.unregister(plugin)
            raise
        except Exception as exc:
            self.pm.unregister(plugin)
            reason = f"rostersync_connector_info failed: {type(exc).__name__}: {exc}"
            raise _Refused(reason) from None
        connector = Connector(
            info=info,
            plugin=plugin,
            host=self,
            distribution=distribution,
            distribution_version=version,
            hooks=hooks,
        )
        self.connectors[info.name] = connector
        if deprecations:
            self.deprecations[info.name] = deprecations
        return connector

    def register_extension(
        self, plugin: object, *, name: str = "", distribution: str = "", version: str = ""
    ) -> None:
        """Register an extension plugin; its extension hooks are called with every other's."""
        name = name or getattr(plugin, "__name__", "") or type(plugin).__name__
        hooks, deprecations = self._register_checked(plugin, f"extension-{name}")
        connector_hooks = [h for h in hooks if h in hookspecs.CONNECTOR_HOOKS]
        if connector_hooks:
            self.pm.unregister(plugin)
            raise _Refused(
                "an extension plugin may not implement connector hooks ("
                + ", ".join(connector_hooks)
                + "); register it under 'rostersync.connectors'"
            )
        self.extensions.append(ExtensionPlugin(name, distribution, version, hooks))
        if deprecations:
            self.deprecations[name] = deprecations

    # -- use ---------------------------------------------------------------------------------

    def connector(self, name: str) -> Connector:
        """The installed connector called ``name``."""
        try:
            return self.connectors[name]
        except KeyError:
            known = ", ".join(sorted(self.connectors)) or "none"
            broken = [f.name for f in self.failures if f.group == CONNECTOR_GROUP]
            hint = f"installed connectors: {known}"
            if broken:
                hint += f"; failed to load: {', '.join(broken)} (see `rostersync connectors list`)"
            raise UnknownConnectorError(f"no connector named {name!r}", hint=hint) from None

    def connector_plugins(self) -> list[object]:
        return [c.plugin for c in self.connectors.values()]

    def adjust_records(
        self, records: Iterable[Record], *, school_id: str, connector: str
    ) -> Iterator[Record]:
        """Chain every ``rostersync_adjust_records`` implementation over ``records``."""
        stream: Iterator[Record] = iter(records)
        kwargs: dict[str, Any] = {"school_id": school_id, "connector": connector}
        # pluggy lists implementations in reverse call order; run them in call order.
        for impl in reversed(self.pm.hook.rostersync_adjust_records.get_hookimpls()):
            args = {"records": stream, **kwargs}
            result = impl.function(**{a: args[a] for a in impl.argnames})
            stream = iter(cast(Iterable[Record], result))
        return stream

    def job_state_changed(self, event: SyncJobEvent) -> None:
        """Tell every plugin of a job state change; a failing plugin is logged, not raised."""
        for impl in reversed(self.pm.hook.rostersync_job_state_changed.get_hookimpls()):
            try:
                impl.function(**{a: event for a in impl.argnames})
            except Exception:
                log.exception("plugin %r failed in rostersync_job_state_changed", impl.plugin_name)

    def describe(self) -> Mapping[str, Any]:
        """Installed connectors, extensions and failures, as plain data (for ``--json``)."""
        return {
            "plugin_api": PLUGIN_API_VERSION,
            "connectors": [self.connectors[name].describe() for name in sorted(self.connectors)],
            "extensions": [attrs.asdict(e) for e in self.extensions],
            "failures": [attrs.asdict(f) for f in self.failures],
            "deprecations": {name: list(msgs) for name, msgs in sorted(self.deprecations.items())},
        }


def _signature_advice(plugin: object) -> str:
    """Which hook implementations take arguments their hook does not offer, and what the
    hook's arguments are (pluggy's own message names an internal plugin id)."""
    problems: list[str] = []
    for attr in dir(plugin):
        spec = getattr(hookspecs, attr, None)
        function = getattr(plugin, attr, None)
        if not attr.startswith("rostersync_") or spec is None or not callable(function):
            continue
        offered = list(inspect.signature(spec).parameters)
        try:
            params = inspect.signature(function).parameters.values()
        except (TypeError, ValueError):
            continue
        taken = [p.name for p in params if p.default is inspect.Parameter.empty
                 and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        for arg in taken:
            if arg not in offered:
                close = difflib.get_close_matches(arg, offered, n=1)
                guess = f" (did you mean {close[0]!r}?)" if close else ""
                problems.append(
                    f"{attr}({', '.join(taken)}) takes {arg!r}, which is not an argument of "
                    f"this hook{guess}; its arguments are ({', '.join(offered)})"
                )
    return "; ".join(problems) or "see docs/hooks.md"


class PluginRefusedError(PluginError):
    """A plugin was refused at registration; the message says why."""


_Refused = PluginRefusedError
