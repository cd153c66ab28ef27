"""What a scheduler or a worker process runs syncs with: the plugin host and the platform.

Both default to what the command line uses: every installed plugin
(:class:`~rostersync_core.plugins.PluginHost`) and the reference platform on the state
database. A platform that embeds rostersync names its own factories, as ``module:callable``:

- ``$ROSTERSYNC_HOST_FACTORY``: a callable with no arguments returning a ``PluginHost``;
- ``$ROSTERSYNC_PLATFORM_FACTORY``: a callable taking the ``StateStore`` and returning the
  :class:`~rostersync_core.platform.Platform` to sync into.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any, cast

from rostersync_core.errors import ConfigError
from rostersync_core.platform.protocol import Platform
from rostersync_core.plugins import PluginHost
from rostersync_core.store import StateStore

__all__ = ["HOST_FACTORY_ENV", "PLATFORM_FACTORY_ENV", "load_host", "load_platform"]

HOST_FACTORY_ENV = "ROSTERSYNC_HOST_FACTORY"
PLATFORM_FACTORY_ENV = "ROSTERSYNC_PLATFORM_FACTORY"


def _factory(spec: str, variable: str) -> Callable[..., Any]:
    module_name, _, attribute = spec.partition(":")
    try:
        if not module_name or not attribute:
            raise ValueError(spec)
        found = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError):
        raise ConfigError(
            f"{variable}={spec!r} does not name an importable module:callable",
            field=variable,
            hint="e.g. myplatform.rostersync:make_platform",
        ) from None
    if not callable(found):
        raise ConfigError(f"{variable}={spec!r} is not callable", field=variable)
    return cast(Callable[..., Any], found)


def load_host() -> PluginHost:
    """The plugin host: ``$ROSTERSYNC_HOST_FACTORY()`` or every installed plugin."""
    spec = os.environ.get(HOST_FACTORY_ENV, "").strip()
    if not spec:
        return PluginHost()
    host = _factory(spec, HOST_FACTORY_ENV)()
    if not isinstance(host, PluginHost):
        raise ConfigError(f"{HOST_FACTORY_ENV} did not return a PluginHost",
                          field=HOST_FACTORY_ENV)
    return host


def load_platform(store: StateStore) -> Platform:
    """The platform: ``$ROSTERSYNC_PLATFORM_FACTORY(store)`` or the reference platform."""
    spec = os.environ.get(PLATFORM_FACTORY_ENV, "").strip()
    if not spec:
        from rostersync_core.platform.reference import ReferencePlatform

        return ReferencePlatform(store.engine)
    return cast(Platform, _factory(spec, PLATFORM_FACTORY_ENV)(store))
