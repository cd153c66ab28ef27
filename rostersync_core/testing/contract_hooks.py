"""Why the core refuses a connector's hooks, as advice: misspelt names, misspelt arguments,
functions left without ``@hookimpl``, hooks not implemented.

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
from rostersync_core.testing.contract_problems import Problem

__all__ = ["HOOK_ARGUMENTS", "check_hook_signatures"]

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
