"""How the reference platform's records map to its ``ref_*`` table rows."""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from rostersync_core.model import (
    ClassType,
    Enrolment,
    EnrolmentRole,
    FamilyLink,
    Person,
    PersonKind,
    RecordKind,
    SchoolClass,
)
from rostersync_core.platform.protocol import PlatformRecord, PlatformValues
from rostersync_core.store import tables as t

__all__ = [
    "COLUMNS",
    "ID_PREFIX",
    "PERSON_KIND",
    "TABLES",
    "ReferencePlatformError",
    "column_names",
    "column_tuple",
    "column_values",
    "read_columns",
    "records_from_rows",
    "row_values",
]


class ReferencePlatformError(ValueError):
    """A change or seed the reference platform cannot apply (unknown record, wrong kind...)."""


TABLES: dict[RecordKind, sa.Table] = {
    RecordKind.CLASS: t.ref_classes,
    RecordKind.STUDENT: t.ref_people,
    RecordKind.STAFF: t.ref_people,
    RecordKind.FAMILY: t.ref_people,
    RecordKind.ENROLMENT: t.ref_enrolments,
    RecordKind.FAMILY_LINK: t.ref_family_links,
}

ID_PREFIX: dict[RecordKind, str] = {
    RecordKind.CLASS: "cls",
    RecordKind.STUDENT: "stu",
    RecordKind.STAFF: "stf",
    RecordKind.FAMILY: "fam",
    RecordKind.ENROLMENT: "enr",
    RecordKind.FAMILY_LINK: "lnk",
}

#: The person kind stored for each person record kind.
PERSON_KIND: dict[RecordKind, str] = {
    RecordKind.STUDENT: "student",
    RecordKind.STAFF: "staff",
    RecordKind.FAMILY: "family",
}

_CLASS = {
    "sis_id": "sis_id", "title": "title", "code": "code", "class_type": "class_type",
    "course_sis_id": "course_sis_id", "term_sis_ids": "term_sis_ids",
    "grade_ids": "grade_ids", "subject_ids": "subject_ids", "location": "location",
}
_PERSON = {
    name: name
    for name in (
        "sis_id", "given_name", "family_name", "middle_name", "preferred_name", "email",
        "username", "identifier", "grade_id", "phone", "roles", "enabled",
    )
}
_ENROLMENT = {
    "class_sis_id": "class_id", "person_sis_id": "person_id", "role": "role",
    "primary": "is_primary", "begin_date": "begin_date", "end_date": "end_date",
    "sis_id": "sis_id",
}
_FAMILY_LINK = {
    "family_sis_id": "family_id", "student_sis_id": "student_id",
    "relationship": "relationship",
}

#: Writable record attribute -> column, per kind (``PlatformChange.fields`` use attributes).
COLUMNS: dict[RecordKind, dict[str, str]] = {
    RecordKind.CLASS: _CLASS,
    RecordKind.STUDENT: _PERSON,
    RecordKind.STAFF: _PERSON,
    RecordKind.FAMILY: _PERSON,
    RecordKind.ENROLMENT: _ENROLMENT,
    RecordKind.FAMILY_LINK: _FAMILY_LINK,
}

_JSON_COLUMNS = frozenset({"term_sis_ids", "grade_ids", "subject_ids", "roles"})
_EXPECTED: dict[RecordKind, type] = {
    RecordKind.CLASS: SchoolClass,
    RecordKind.STUDENT: Person,
    RecordKind.STAFF: Person,
    RecordKind.FAMILY: Person,
    RecordKind.ENROLMENT: Enrolment,
    RecordKind.FAMILY_LINK: FamilyLink,
}


_ENUM_COLUMNS = frozenset({"class_type", "role"})


def _plan(kind: RecordKind) -> tuple[Any, tuple[int, ...], tuple[int, ...], tuple[str, ...]]:
    """(getter of every attribute at once, JSON positions, enum positions, extra values)."""
    getter = operator.attrgetter(*COLUMNS[kind])
    columns = list(COLUMNS[kind].values())
    json_at = tuple(i for i, col in enumerate(columns) if col in _JSON_COLUMNS)
    enum_at = tuple(i for i, col in enumerate(columns) if col in _ENUM_COLUMNS)
    extra = (PERSON_KIND[kind],) if kind in PERSON_KIND else ()
    return getter, json_at, enum_at, extra


_PLANS = {kind: _plan(kind) for kind in COLUMNS}


def _json_list(value: Any) -> str:
    return json.dumps(list(value)) if value else "[]"


def column_names(kind: RecordKind) -> tuple[str, ...]:
    """The columns :func:`column_tuple` fills, in order."""
    names = tuple(COLUMNS[kind].values())
    return (*names, "kind") if kind in PERSON_KIND else names


def column_tuple(kind: RecordKind, values: PlatformValues) -> tuple[Any, ...]:
    """Every writable column of a ``kind`` record (platform space), in :func:`column_names`
    order. The bulk path: one attribute read per field, no dict."""
    if type(values) is not _EXPECTED[kind]:
        raise ReferencePlatformError(f"a {kind} change carries a {type(values).__name__}")
    getter, json_at, enum_at, extra = _PLANS[kind]
    out = list(getter(values))
    for i in json_at:
        out[i] = _json_list(out[i])
    for i in enum_at:
        out[i] = out[i]._value_
    return (*out, *extra)


def column_values(kind: RecordKind, values: PlatformValues) -> dict[str, Any]:
    """Every writable column of a ``kind`` record, from its values (platform space)."""
    return dict(zip(column_names(kind), column_tuple(kind, values), strict=True))


def row_values(row: sa.Row[Any]) -> dict[str, Any]:
    """A row as a plain mapping."""
    return dict(row._mapping)


# -- reading rows back as records ----------------------------------------------------------
#
# Reading every record back is the bulk of a no-change re-sync (131,000 records for a
# 10,000-student school), so each kind selects only the columns its record needs, in the
# record's field order, and builds records in one comprehension that unpacks each row:
# no per-row function call, enum values by dict look-up, each distinct JSON list decoded
# once per read.

_CLASS_TYPES = {c.value: c for c in ClassType}
_ROLES = {r.value: r for r in EnrolmentRole}
_PERSON_KINDS = {
    RecordKind.STUDENT: PersonKind.STUDENT,
    RecordKind.STAFF: PersonKind.STAFF,
    RecordKind.FAMILY: PersonKind.FAMILY,
}


class _JsonTuples(dict[str, tuple[str, ...]]):
    """JSON list text -> tuple, decoding each distinct text once (most repeat: ``[]``)."""

    def __missing__(self, text: str) -> tuple[str, ...]:
        value = self[text] = tuple(json.loads(text))
        return value


def _columns(table: sa.Table, *names: str) -> tuple[sa.ColumnElement[Any], ...]:
    return (table.c.id, table.c.archived, *(table.c[n] for n in names))


_Rows = Sequence[Sequence[Any]]


def _classes(kind: RecordKind, rows: _Rows) -> list[PlatformRecord]:
    lists, types = _JsonTuples(), _CLASS_TYPES
    return [
        PlatformRecord(
            kind,
            id,
            SchoolClass(
                sis_id, title, code, types[class_type], course, lists[terms], lists[grades],
                lists[subjects], location,
            ),
            archived,
        )
        for (
            id, archived, sis_id, title, code, class_type, course, terms, grades, subjects,
            location,
        ) in rows
    ]


def _people(kind: RecordKind, rows: _Rows) -> list[PlatformRecord]:
    lists, person_kind = _JsonTuples(), _PERSON_KINDS[kind]
    return [
        PlatformRecord(
            kind,
            id,
            Person(
                sis_id, person_kind, given, family, middle, preferred, email, username,
                identifier, grade_id, phone, lists[roles], enabled,
            ),
            archived,
        )
        for (
            id, archived, sis_id, given, family, middle, preferred, email, username, identifier,
            grade_id, phone, roles, enabled,
        ) in rows
    ]


def _enrolments(kind: RecordKind, rows: _Rows) -> list[PlatformRecord]:
    roles = _ROLES
    return [
        PlatformRecord(
            kind,
            id,
            Enrolment(class_id, person_id, roles[role], primary, begin, end, sis_id),
            archived,
        )
        for id, archived, class_id, person_id, role, primary, begin, end, sis_id in rows
    ]


def _family_links(kind: RecordKind, rows: _Rows) -> list[PlatformRecord]:
    return [
        PlatformRecord(kind, id, FamilyLink(family_id, student_id, relationship), archived)
        for id, archived, family_id, student_id, relationship in rows
    ]


_PERSON_COLUMNS = _columns(t.ref_people, *_PERSON)
_READERS: dict[
    RecordKind,
    tuple[tuple[sa.ColumnElement[Any], ...], Callable[[RecordKind, _Rows], list[PlatformRecord]]],
] = {
    RecordKind.CLASS: (_columns(t.ref_classes, *_CLASS), _classes),
    RecordKind.STUDENT: (_PERSON_COLUMNS, _people),
    RecordKind.STAFF: (_PERSON_COLUMNS, _people),
    RecordKind.FAMILY: (_PERSON_COLUMNS, _people),
    RecordKind.ENROLMENT: (_columns(t.ref_enrolments, *_ENROLMENT.values()), _enrolments),
    RecordKind.FAMILY_LINK: (
        _columns(t.ref_family_links, *_FAMILY_LINK.values()), _family_links
    ),
}


def read_columns(kind: RecordKind) -> tuple[sa.ColumnElement[Any], ...]:
    """The columns :func:`records_from_rows` reads for ``kind``, in order: ``id``,
    ``archived``, then the record's fields."""
    return _READERS[kind][0]


def records_from_rows(kind: RecordKind, rows: _Rows) -> list[PlatformRecord]:
    """Records of ``kind`` from rows of :func:`read_columns` (booleans and dates already
    converted by the column types)."""
    return _READERS[kind][1](kind, rows)
