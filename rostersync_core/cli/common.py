"""Shared pieces of the command line: the app context, ``--json`` output, errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import cached_property
from typing import Any, TypeVar

import attrs
import click
from rich.console import Console

from rostersync_core.convert import unstructure
from rostersync_core.paths import default_db_url
from rostersync_core.plugins import PluginHost

__all__ = ["AppContext", "console", "emit_json", "err_console", "json_option", "pass_app"]

F = TypeVar("F", bound=Callable[..., Any])

console = Console()
err_console = Console(stderr=True)


@attrs.define
class AppContext:
    """What every command gets: the state database URL and the plugin host (lazy)."""

    db_url: str | None = None

    @property
    def database_url(self) -> str:
        return self.db_url or default_db_url()

    @cached_property
    def host(self) -> PluginHost:
        return PluginHost()


pass_app = click.make_pass_decorator(AppContext, ensure=True)


def json_option(func: F) -> F:
    """``--json``: print machine-readable JSON instead of tables."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")(
        func
    )


def emit_json(data: Any) -> None:
    """Print ``data`` (attrs objects allowed) as indented JSON on stdout."""
    sys.stdout.write(json.dumps(unstructure(data), indent=2, sort_keys=False, default=str) + "\n")
