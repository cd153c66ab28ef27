"""How a connector describes itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from rostersync_core.config import secret_fields

__all__ = ["PLUGIN_API_VERSION", "ConnectorInfo", "is_compatible"]

#: The plugin API this core offers, as ``"MAJOR.MINOR"``. A connector targeting the same
#: major and a minor no greater than ours is compatible.
PLUGIN_API_VERSION = "1.0"


@attrs.frozen
class ConnectorInfo:
    """What ``rostersync_connector_info`` returns.

    - ``name``: the connector's name as users type it (``oneroster``, ``powerschool``).
    - ``version``: the connector's own version.
    - ``plugin_api``: the plugin API version it targets (``"1.0"``).
    - ``config_schema``: JSON Schema of a connection's config; secret fields carry
      ``"writeOnly": true``.
    - ``title`` / ``description``: shown to admins.
    """

    name: str
    version: str
    plugin_api: str
    config_schema: Mapping[str, Any] = attrs.field(factory=dict)
    title: str = ""
    description: str = ""

    @property
    def secret_fields(self) -> frozenset[str]:
        """Config fields whose values are secrets (``"writeOnly": true``)."""
        return secret_fields(self.config_schema)


def _parse(version: str) -> tuple[int, int]:
    major, _, minor = version.partition(".")
    return int(major), int(minor or 0)


def is_compatible(target: str, offered: str = PLUGIN_API_VERSION) -> bool:
    """True when a plugin targeting ``target`` can run on a core offering ``offered``."""
    try:
        t_major, t_minor = _parse(target)
    except ValueError:
        return False
    o_major, o_minor = _parse(offered)
    return t_major == o_major and t_minor <= o_minor
