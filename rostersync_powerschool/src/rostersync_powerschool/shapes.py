"""Reading PowerSchool's JSON shapes, whatever form a value arrives in.

PowerSchool's quirks, handled here once so the normalisers stay plain:

- lists are wrapped twice (``{"students": {"student": [...]}}``);
- a single result is an *object*, not a one-element list, at every level;
- an empty list may be absent, ``null`` or the empty string ``""``;
- fields with no value are left out;
- numbers and strings mix: ids, ``local_id``, phones and postal codes may be numbers;
- extension fields sit in ``_extension_data._table_extension[]._field[]``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from rostersync_core.errors import InvalidSisDataError

__all__ = [
    "as_list",
    "as_mapping",
    "extension_fields",
    "int_or_none",
    "parse_date",
    "text",
    "unwrap_list",
    "wrapped_count",
]


def as_list(value: Any) -> list[Any]:
    """``value`` as a list: a list stays, an object becomes ``[object]``, empties ``[]``.

    Empties are ``None``, ``""`` and ``{}``.
    """
    if value is None or value == "" or value == {}:
        return []
    if isinstance(value, list):
        return [v for v in value if v is not None and v != ""]
    return [value]


def as_mapping(value: Any) -> Mapping[str, Any]:
    """``value`` when it is an object, else ``{}`` (``""`` stands for an empty object too)."""
    return value if isinstance(value, Mapping) else {}


def text(value: Any) -> str:
    """A field as a trimmed string: numbers become their digits, missing becomes ``""``.

    Integral floats lose their ``.0`` (``5551234.0`` -> ``"5551234"``); booleans and
    objects are not text and give ``""``.
    """
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return ""


def int_or_none(value: Any) -> int | None:
    """An integer field (``3``, ``"3"``, ``"-1"``, ``3.0``), or ``None`` when unreadable."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def parse_date(value: Any) -> dt.date | None:
    """A ``YYYY-MM-DD`` date (a timestamp's date part is accepted), or ``None``."""
    raw = text(value)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw[:10])
    except ValueError:
        return None


def unwrap_list(
    body: Any, plural: str, singular: str, *, where: str = "PowerSchool's answer"
) -> list[Mapping[str, Any]]:
    """The records of a doubly wrapped list answer, e.g. ``{"students": {"student": ...}}``.

    Tolerates every quirk: the inner value an object or a list, an absent or ``""`` outer
    or inner value (no records). An answer of another shape (another top-level key, a
    list, a number) or an item that is not an object raises
    :class:`~rostersync_core.errors.InvalidSisDataError` (``where`` names the request):
    read as "no records", it would make everyone look gone.
    """
    if isinstance(body, Mapping):
        outer = body.get(plural)
        unexpected = bool(body) and plural not in body
    else:
        outer, unexpected = None, body not in (None, "")
    if not unexpected and outer not in (None, "") and not isinstance(outer, Mapping):
        unexpected = True
    if unexpected:
        raise InvalidSisDataError(f"{where} is not a '{plural}' list")
    items = as_list(as_mapping(outer).get(singular))
    if any(not isinstance(item, Mapping) for item in items):
        raise InvalidSisDataError(f"{where} holds a '{singular}' entry that is not an object")
    return items


def wrapped_count(body: Any) -> int | None:
    """The count of a count answer: ``{"resource": {"count": 4}}`` or ``{"count": 4}``."""
    top = as_mapping(body)
    if "count" in top:
        return int_or_none(top["count"])
    for value in top.values():
        inner = as_mapping(value)
        if "count" in inner:
            return int_or_none(inner["count"])
    return None


def extension_fields(record: Mapping[str, Any]) -> dict[str, str]:
    """Extension values as ``{"table.field": "value"}`` (names lower-cased).

    Reads ``_extension_data._table_extension[{name, _field[{name, value}]}]``, where both
    lists may be a single object.
    """
    found: dict[str, str] = {}
    data = as_mapping(record.get("_extension_data"))
    for table in as_list(data.get("_table_extension")):
        table_map = as_mapping(table)
        table_name = text(table_map.get("name")).lower()
        for field in as_list(table_map.get("_field")):
            field_map = as_mapping(field)
            name = text(field_map.get("name")).lower()
            if name:
                found[f"{table_name}.{name}"] = text(field_map.get("value"))
    return found
