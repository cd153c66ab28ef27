"""Every hook is documented in docs/hooks.md, with each of its arguments."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from rostersync_core import hookspecs

DOC = Path(__file__).resolve().parents[2] / "docs" / "hooks.md"
HOOKS = sorted(
    name for name, fn in vars(hookspecs).items()
    if name.startswith("rostersync_") and callable(fn)
)


def _section(name: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(rf"^### `?{name}`?.*?$(.*?)(?=^### |\Z)", text, re.M | re.S)
    return match.group(1) if match else ""


def test_the_hook_list_is_complete() -> None:
    assert set(HOOKS) == set(hookspecs.CONNECTOR_HOOKS) | set(hookspecs.EXTENSION_HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented(hook: str) -> None:
    section = _section(hook)
    assert section, f"docs/hooks.md has no '### {hook}' section: document the hook"
    for arg in inspect.signature(getattr(hookspecs, hook)).parameters:
        assert f"`{arg}`" in section, f"docs/hooks.md: {hook} does not describe argument {arg!r}"
    for word in ("Called", "Returns", "Since"):
        assert word in section, f"docs/hooks.md: {hook} does not say '{word}'"
