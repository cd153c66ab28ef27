"""The one ``cattrs`` converter for every conversion to and from JSON-ready data.

Used at the edges (stored requests, config, ``--json`` output), not per record in the hot
path. Dates and datetimes become ISO 8601 strings; enums their values; tuples lists.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

import cattrs

from rostersync_core.model import (
    AcademicSession,
    Course,
    Enrolment,
    FamilyLink,
    Grade,
    Person,
    Record,
    School,
    SchoolClass,
    Subject,
)

__all__ = [
    "RECORD_TYPES",
    "converter",
    "record_from_json",
    "record_to_json",
    "structure",
    "unstructure",
]

T = TypeVar("T")

converter = cattrs.Converter()
converter.register_unstructure_hook(dt.date, lambda d: d.isoformat())
converter.register_structure_hook(dt.date, lambda v, _: dt.date.fromisoformat(v))
converter.register_unstructure_hook(dt.datetime, lambda d: d.isoformat())
converter.register_structure_hook(dt.datetime, lambda v, _: dt.datetime.fromisoformat(v))

#: Record types by name, for tagged JSON (``{"_type": "Person", ...}``).
RECORD_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        School,
        Grade,
        Subject,
        AcademicSession,
        Course,
        SchoolClass,
        Person,
        Enrolment,
        FamilyLink,
    )
}


def unstructure(obj: Any) -> Any:
    """Any attrs object (or container of them) as JSON-ready data."""
    return converter.unstructure(obj)


def structure(data: Any, cls: type[T]) -> T:
    """JSON-ready data back into ``cls``."""
    return converter.structure(data, cls)


def record_to_json(record: Record) -> dict[str, Any]:
    """A record as a JSON object tagged with its type (key ``_type``)."""
    data: dict[str, Any] = converter.unstructure(record)
    data["_type"] = type(record).__name__
    return data


def record_from_json(data: dict[str, Any]) -> Record:
    """The inverse of :func:`record_to_json`."""
    fields = dict(data)
    cls = RECORD_TYPES[fields.pop("_type")]
    record: Record = converter.structure(fields, cls)
    return record
