"""Why the core refuses a connector's hooks, as advice: misspelt names, misspelt arguments,
functions left without ``@hookimpl``, hooks not implemented; and hooks that return nothing.

pluggy's own message for a wrong signature names an internal plugin id and the raw
argument sets; :func:`check_hook_signatures` says which function, what is wrong, and what
the hook's arguments are, so the author can fix it without reading pluggy.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from typing import Any

from rostersync_core import hookspecs
from rostersync_core.connector import Connector
from rostersync_core.fetch import FetchContext
from rostersync_core.testing.contract_fetch import FETCH_HOOKS
from rostersync_core.testing.contract_problems import Problem

__all__ = ["HOOK_ARGUMENTS", "check_hook_results", "check_hook_signatures"]

_MARK = f"{hookspecs.PROJECT_NAME}_impl"

#: Every hook the core calls, and the arguments its spec offers, in order.
HOOK_ARGUMENTS: dict[str, tuple[str, ...]] = {
    name: tuple(inspect.signature(getattr(hookspecs, name)).parameters)
    for name in (*hookspecs.CONNECTOR_HOOKS, *hookspecs.EXTENSION_HOOKS)
}


def _required_arguments(function: Callable[..., Any]) -> tuple[str, ...]:
    """The arguments pluggy will pass by name: positional ones without a default."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return ()
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return tuple(
        p.name for p in parameters if p.kind in kinds and p.default is inspect.Parameter.empty
    )


def _closest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return match[0] if match else ""


def _call(name: str, arguments: tuple[str, ...]) -> str:
    return f"{name}({', '.join(arguments)})"


def check_hook_signatures(plugin: object, *, connector: bool = True) -> list[Problem]:
    """Every hook-shaped attribute of ``plugin`` (a module or an object) checked against the
    core's hook specs; with ``connector``, also every connector hook it lacks."""
    problems: list[Problem] = []
    present: set[str] = set()
    guessed: set[str] = set()
    for attr in sorted(dir(plugin)):
        if not attr.startswith(f"{hookspecs.PROJECT_NAME}_"):
            continue
        function = getattr(plugin, attr, None)
        if not callable(function) or isinstance(function, type):
            continue
        marked = getattr(function, _MARK, None) is not None
        if attr not in HOOK_ARGUMENTS:
            if marked:
                guess = _closest(attr, list(HOOK_ARGUMENTS))
                guessed.add(guess)
                problems.append(
                    Problem(
                        "hook-name",
                        f"{attr}",
                        "is marked @hookimpl but rostersync has no hook of that name",
                        f"rename it to {guess}" if guess else "see docs/hooks.md for the names",
                    )
                )
            continue
        present.add(attr)
        spec = HOOK_ARGUMENTS[attr]
        taken = _required_arguments(function)
        if not marked:
            problems.append(
                Problem(
                    "hook-marker",
                    _call(attr, taken),
                    "is not marked @hookimpl, so rostersync never calls it",
                    "decorate it: `from rostersync_core import hookimpl`, then `@hookimpl`",
                )
            )
            continue
        for argument in taken:
            if argument in spec:
                continue
            guess = _closest(argument, spec)
            problems.append(
                Problem(
                    "hook-signature",
                    _call(attr, taken),
                    f"takes {argument!r}, which is not an argument of this hook"
                    + (f" (did you mean {guess!r}?)" if guess else ""),
                    f"name the arguments as the hook does: {_call(attr, spec)}; you may "
                    "leave some out, never rename or add one (see docs/hooks.md)",
                )
            )
    if connector:
        for name in hookspecs.CONNECTOR_HOOKS:
            if name not in present and name not in guessed:
                problems.append(
                    Problem(
                        "hook-missing",
                        name,
                        "is not implemented",
                        f"add `@hookimpl def {_call(name, HOOK_ARGUMENTS[name])}`: a connector "
                        "implements all eight connector hooks (docs/hooks.md)",
                    )
                )
    return problems


def check_hook_results(connector: Connector, session: object, sis_school_id: str) -> list[Problem]:
    """Each fetch hook (and ``rostersync_list_schools``) returns an iterable.

    The core reads a hook that returns ``None`` as "no records" — the usual cause is a
    function that builds a generator and forgets ``yield from``, which a sync would then
    read as an empty SIS. Hooks are called directly on the plugin, each with the arguments
    it names; a generator is closed unread, and failures are left to the other checks.
    """
    context = FetchContext(sis_school_id=sis_school_id)
    offered: dict[str, object] = {"session": session, "context": context}
    problems: list[Problem] = []
    for hook in ("rostersync_list_schools", *(f"rostersync_{h}" for h in FETCH_HOOKS)):
        function = getattr(connector.plugin, hook, None)
        if not callable(function):
            continue
        arguments = {a: offered[a] for a in _required_arguments(function) if a in offered}
        try:
            result = function(**arguments)
        except Exception:  # reported, with the core's wrapping, by the fetching checks
            continue
        close = getattr(result, "close", None)
        if callable(close):
            close()
        if result is None or isinstance(result, str | bytes) or not hasattr(result, "__iter__"):
            got = "None" if result is None else f"a {type(result).__name__}"
            problems.append(
                Problem(
                    "hook-result",
                    hook,
                    f"returned {got}, which rostersync reads as no records at all",
                    "yield the records (`yield from ...`) or return a list; a function "
                    "that only builds a generator without `yield from` returns None",
                )
            )
    return problems
