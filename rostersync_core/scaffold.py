"""Create a new connector distribution from the template (``rostersync new-connector``).

The template (``rostersync_core/templates/connector/``) is a complete connector over the
core's HTTP toolkit: an entry point, a config schema with its secret marked, every hook,
a fake SIS server, and tests that already run the contract suite and pass.
"""

from __future__ import annotations

import re
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from rostersync_core import __version__
from rostersync_core.errors import ConfigError

__all__ = ["NAME_PATTERN", "ConnectorNames", "connector_names", "create_connector"]

#: What a connector name may look like: it is typed by admins and used in package names.
NAME_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")

_TEMPLATE_SUFFIX = ".tmpl"
_PACKAGE_DIR = "__package__"


class ConnectorNames:
    """Every name derived from a connector name (``acme-sis``)."""

    def __init__(self, name: str) -> None:
        self.name = name
        words = re.split(r"[-_]", name)
        self.package = "rostersync_" + "_".join(words)
        self.distribution = "rostersync-" + "-".join(words)
        self.title = " ".join(w.capitalize() for w in words)
        self.class_prefix = "".join(w.capitalize() for w in words)

    def substitutions(self) -> dict[str, str]:
        return {
            "{{name}}": self.name,
            "{{package}}": self.package,
            "{{distribution}}": self.distribution,
            "{{title}}": self.title,
            "{{class_prefix}}": self.class_prefix,
            "{{core_version}}": __version__,
        }


def connector_names(name: str) -> ConnectorNames:
    """The names for ``name``; :class:`ConfigError` (field ``name``) when it is not usable."""
    if not NAME_PATTERN.fullmatch(name):
        raise ConfigError(
            f"{name!r} cannot be a connector name",
            field="name",
            hint="use lower-case letters and digits, words joined by '-' (e.g. acme-sis)",
        )
    return ConnectorNames(name)


def _template() -> Traversable:
    return resources.files("rostersync_core").joinpath("templates", "connector")


def _render(source: Traversable, target: Path, subs: dict[str, str]) -> None:
    for entry in sorted(source.iterdir(), key=lambda e: e.name):
        if entry.name in ("__pycache__",):
            continue
        name = subs["{{package}}"] if entry.name == _PACKAGE_DIR else entry.name
        if entry.is_dir():
            (target / name).mkdir()
            _render(entry, target / name, subs)
            continue
        if not name.endswith(_TEMPLATE_SUFFIX):
            continue
        text = entry.read_text(encoding="utf-8")
        for placeholder, value in subs.items():
            text = text.replace(placeholder, value)
        (target / name.removesuffix(_TEMPLATE_SUFFIX)).write_text(text, encoding="utf-8")


def create_connector(name: str, directory: str | Path = ".") -> Path:
    """Write the distribution ``rostersync-<name>`` into ``directory``; return its folder.

    Raises :class:`ConfigError` for an unusable name or when the folder already exists
    (nothing is overwritten).
    """
    names = connector_names(name)
    target = Path(directory) / names.distribution
    if target.exists():
        raise ConfigError(
            f"{target} already exists", field="directory", hint="choose another directory"
        )
    target.mkdir(parents=True)
    _render(_template(), target, names.substitutions())
    return target
