"""Deprecating hooks and hook arguments without breaking connectors that still use them.

A deprecated hook (or argument) keeps working until the next major plugin API; a plugin
that implements it gets a :class:`PluginDeprecationWarning` when it is registered, pointing
at the plugin's own function. pluggy does the work (``warn_on_impl`` and
``warn_on_impl_args`` of a hookspec); this module writes the warnings so they all read the
same and name the replacement::

    @hookspec(
        firstresult=True,
        warn_on_impl=deprecated_hook(
            "rostersync_fetch_people", since="1.3", removed_in="2.0",
            instead="rostersync_fetch_persons",
        ),
    )
    def rostersync_fetch_people(session, context): ...

    @hookspec(warn_on_impl_args={"school_id": deprecated_argument(
        "rostersync_adjust_records", "school_id", since="1.2", removed_in="2.0",
        instead="context.sis_school_id")})
    def rostersync_adjust_records(records, school_id, connector, context): ...

:func:`register_noting_deprecations` registers a plugin and returns the deprecation
messages it triggered, so the host can show them (``rostersync connectors list``).
"""

from __future__ import annotations

import warnings

import pluggy

__all__ = [
    "PluginDeprecationWarning",
    "deprecated_argument",
    "deprecated_hook",
    "register_noting_deprecations",
]


class PluginDeprecationWarning(DeprecationWarning):
    """A plugin uses a hook or argument that a later plugin API will remove."""


def deprecated_hook(
    hook: str, *, since: str, removed_in: str, instead: str = ""
) -> PluginDeprecationWarning:
    """The warning for ``@hookspec(warn_on_impl=...)`` of a deprecated hook."""
    advice = f"; implement {instead} instead" if instead else ""
    return PluginDeprecationWarning(
        f"{hook} is deprecated since plugin API {since} and will be removed in plugin API "
        f"{removed_in}{advice} (see docs/plugin-api-versions.md)"
    )


def deprecated_argument(
    hook: str, argument: str, *, since: str, removed_in: str, instead: str = ""
) -> PluginDeprecationWarning:
    """The warning for ``@hookspec(warn_on_impl_args={argument: ...})``."""
    advice = f"; use {instead} instead" if instead else ""
    return PluginDeprecationWarning(
        f"the argument {argument!r} of {hook} is deprecated since plugin API {since} and "
        f"will be removed in plugin API {removed_in}{advice} (see docs/plugin-api-versions.md)"
    )


def register_noting_deprecations(
    pm: pluggy.PluginManager, plugin: object, name: str
) -> list[str]:
    """``pm.register(plugin, name=name)``; return the deprecation messages it raised.

    The warnings are re-issued too (so plugin authors see them in their test runs), and
    every other warning passes through untouched.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PluginDeprecationWarning)
        pm.register(plugin, name=name)
    messages: list[str] = []
    for item in caught:
        if issubclass(item.category, PluginDeprecationWarning):
            messages.append(str(item.message))
        warnings.warn_explicit(
            item.message,
            item.category,
            item.filename,
            item.lineno,
            source=getattr(item, "source", None),
        )
    return messages
