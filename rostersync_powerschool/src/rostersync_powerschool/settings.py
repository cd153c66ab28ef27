"""A PowerSchool connection's settings: the config JSON Schema and its typed form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

__all__ = [
    "CONFIG_SCHEMA",
    "DEFAULT_STAFF_ROLES",
    "ContactsMode",
    "PowerSchoolSettings",
]

#: ``school_affiliation.type`` -> the staff role rostersync records.
#: 1 teacher, 2 staff (office and administration), 3 lunch staff, 4 substitute.
DEFAULT_STAFF_ROLES: Mapping[str, str] = {
    "1": "teacher",
    "2": "administrator",
    "3": "aide",
    "4": "teacher",
}

ContactsMode = str  # "auto" | "contacts_api" | "expansion"

CONFIG_SCHEMA: Mapping[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "title": "PowerSchool connection",
    "properties": {
        "base_url": {
            "type": "string",
            "pattern": "^https?://",
            "description": "The PowerSchool server, e.g. https://ps.district.example.org",
        },
        "client_id": {
            "type": "string",
            "minLength": 1,
            "description": "The plugin's client id (System > Plugin Management > Data Access).",
        },
        "client_secret": {
            "type": "string",
            "minLength": 1,
            "writeOnly": True,
            "description": "The plugin's client secret.",
        },
        "max_concurrency": {
            "type": "integer",
            "minimum": 1,
            "maximum": 20,
            "default": 5,
            "description": "Requests in flight at most (the district may ask for 1 at peak).",
        },
        "requests_per_second": {
            "type": "number",
            "exclusiveMinimum": 0,
            "description": "Requests started per second at most (no cap when absent).",
        },
        "enroll_statuses": {
            "type": "array",
            "items": {"type": "integer"},
            "minItems": 1,
            "default": [0, -1],
            "description": "Student enroll_status_code values to sync: 0 active, "
            "-1 pre-registered, 2 transferred out, 3 graduated, 4 historical.",
        },
        "contacts": {
            "type": "string",
            "enum": ["auto", "contacts_api", "expansion"],
            "default": "auto",
            "description": "Where guardians come from: the Contacts API (PowerSchool 12+), "
            "the student 'contact' expansion (older servers), or auto (the API, falling "
            "back to the expansion when the server has no Contacts API).",
        },
        "staff_roles": {
            "type": "object",
            "additionalProperties": {"type": "string", "minLength": 1},
            "description": "school_affiliation type -> staff role "
            '(default {"1": "teacher", "2": "administrator", "3": "aide", "4": "teacher"}).',
        },
        "homeroom_course_prefixes": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "default": ["HR"],
            "description": "Sections of courses whose course number starts with one of "
            "these are homerooms (their course is not synced as a course).",
        },
        "page_size": {
            "type": "integer",
            "minimum": 1,
            "description": "Records per page; never above the plugin's maximum page size "
            "(which is the default).",
        },
    },
    "required": ["base_url", "client_id", "client_secret"],
    "additionalProperties": False,
}


@attrs.frozen
class PowerSchoolSettings:
    """A validated config, typed. Build it with :meth:`from_config`."""

    base_url: str
    client_id: str
    client_secret: str = attrs.field(repr=False)
    max_concurrency: int = 5
    requests_per_second: float | None = None
    enroll_statuses: frozenset[int] = frozenset({0, -1})
    contacts: ContactsMode = "auto"
    staff_roles: Mapping[str, str] = attrs.field(factory=lambda: dict(DEFAULT_STAFF_ROLES))
    homeroom_course_prefixes: tuple[str, ...] = ("HR",)
    page_size: int | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> PowerSchoolSettings:
        """Settings from a config already validated against :data:`CONFIG_SCHEMA`."""
        roles = dict(DEFAULT_STAFF_ROLES)
        roles.update({str(k): str(v) for k, v in dict(config.get("staff_roles") or {}).items()})
        rps = config.get("requests_per_second")
        return cls(
            base_url=str(config["base_url"]).rstrip("/"),
            client_id=str(config["client_id"]),
            client_secret=str(config["client_secret"]),
            max_concurrency=int(config.get("max_concurrency", 5)),
            requests_per_second=float(rps) if rps is not None else None,
            enroll_statuses=frozenset(int(s) for s in config.get("enroll_statuses", [0, -1])),
            contacts=str(config.get("contacts", "auto")),
            staff_roles=roles,
            homeroom_course_prefixes=tuple(config.get("homeroom_course_prefixes", ["HR"])),
            page_size=config.get("page_size"),
        )
