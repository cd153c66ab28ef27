"""A sync request's content: one :class:`Change` per record to create, update, archive or
restore (or link), grouped in a :class:`ChangeSet` with counts per kind.

Change values are in *platform space* (see :mod:`rostersync_core.platform.protocol`): mapped
grade and subject ids, and for enrolments and family links the platform ids of the class and
people they join. A join whose class or person is created by the same request cannot know
that platform id yet: the field then holds the SIS id and is named in :attr:`Change.refs`,
to be resolved when the request is applied.

Values are stored as compact JSON lists (type name, then field values in order), written
by :func:`encode_column` (a column of a request at a time) or :func:`encode_values`, read by
:func:`decode_values`: msgspec in the hot path, the stdlib for what it cannot carry.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import itertools
import json
import operator
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import attrs
import msgspec

from rostersync_core.fetch import InvalidRow
from rostersync_core.model import Enrolment, FamilyLink, Person, RecordKind, SchoolClass
from rostersync_core.platform.protocol import SYNCED_KINDS, PlatformValues

__all__ = [
    "ACTIONS",
    "DIFF_FIELDS",
    "KIND_BY_LABEL",
    "KIND_LABELS",
    "AmbiguousRecord",
    "Change",
    "ChangeSet",
    "SyncAction",
    "decode_values",
    "empty_counts",
    "encode_column",
    "encode_values",
    "kind_from_label",
    "new_change",
]


class SyncAction(enum.StrEnum):
    """What a change does. ``link`` only records an automatic match (nothing is written to
    the platform); the others are :class:`~rostersync_core.platform.ChangeAction` s."""

    CREATE = "create"
    UPDATE = "update"
    ARCHIVE = "archive"
    RESTORE = "restore"
    LINK = "link"


#: The counted outcomes per kind, in display order.
ACTIONS: tuple[str, ...] = (
    "create",
    "update",
    "archive",
    "restore",
    "link",
    "unchanged",
    "skipped",
)

#: The label of each synced kind, as counts, settings and the CLI spell it.
KIND_LABELS: dict[RecordKind, str] = {
    RecordKind.CLASS: "classes",
    RecordKind.STUDENT: "students",
    RecordKind.STAFF: "staff",
    RecordKind.FAMILY: "family",
    RecordKind.ENROLMENT: "enrolments",
    RecordKind.FAMILY_LINK: "family_links",
}
KIND_BY_LABEL: dict[str, RecordKind] = {label: kind for kind, label in KIND_LABELS.items()}
#: Labels by the kind's plain value (a str key hashes in C; an enum key in Python).
_LABELS: dict[str, str] = {kind.value: label for kind, label in KIND_LABELS.items()}

_VALUE_TYPES: dict[str, type] = {
    cls.__name__: cls for cls in (SchoolClass, Person, Enrolment, FamilyLink)
}

#: Fields compared by the diff (and that updates may write), per value type: everything but
#: the ids that say *which* record it is.
DIFF_FIELDS: dict[type, tuple[str, ...]] = {
    SchoolClass: tuple(f.name for f in attrs.fields(SchoolClass) if f.name != "sis_id"),
    Person: tuple(f.name for f in attrs.fields(Person) if f.name not in ("sis_id", "kind")),
    Enrolment: ("role", "primary", "begin_date", "end_date"),
    FamilyLink: ("relationship",),
}


def kind_from_label(label: str) -> RecordKind:
    """``"students"`` (or ``"student"``) -> :attr:`RecordKind.STUDENT`; ValueError otherwise."""
    if label in KIND_BY_LABEL:
        return KIND_BY_LABEL[label]
    try:
        kind = RecordKind(label)
    except ValueError:
        kind = None
    if kind is None or kind not in SYNCED_KINDS:
        raise ValueError(f"unknown kind {label!r} (one of {', '.join(KIND_BY_LABEL)})")
    return kind


def empty_counts() -> dict[str, dict[str, int]]:
    """Zero counts for every synced kind and action."""
    return {label: dict.fromkeys(ACTIONS, 0) for label in KIND_LABELS.values()}


# -- compact value codec ------------------------------------------------------------------


def _field_decoder(tp: Any) -> Callable[[Any], Any] | None:
    """How to turn a JSON value back into a field of annotated type ``tp`` (None: as is)."""
    origin = typing.get_origin(tp)
    if origin is tuple:
        return tuple
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if args and origin is not None:  # Optional[...] / X | None
        inner = _field_decoder(args[0])
        if inner is None:
            return None
        return lambda v: None if v is None else inner(v)
    if tp is dt.date:
        return dt.date.fromisoformat
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp
    return None


_Decoder = Callable[[Any], Any] | None


def _build_codecs() -> dict[str, tuple[type, tuple[str, ...], tuple[_Decoder, ...]]]:
    codecs = {}
    for name, cls in _VALUE_TYPES.items():
        hints = typing.get_type_hints(cls)
        names = tuple(f.name for f in attrs.fields(cls))
        codecs[name] = (cls, names, tuple(_field_decoder(hints[n]) for n in names))
    return codecs


_CODECS = _build_codecs()


def _json_default(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__}")


#: The stdlib encoder, for text msgspec refuses (a lone surrogate: json.loads accepts
#: ``"\ud800"`` in an SIS page, and UTF-8 cannot carry it raw).
_JSON = json.JSONEncoder(separators=(",", ":"), default=_json_default, check_circular=False)


def _plain(value: object) -> object:
    """What msgspec cannot write itself, as the stdlib encoder wrote it: a subclass of
    str, int or float (lxml's text results, an ORM's string types...) as its plain value;
    anything else is refused, as before."""
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int.__index__(value)
    if isinstance(value, float):
        return float.__float__(value)
    return _json_default(value)


#: The types of field values a stored request carries as they are. msgspec would also
#: write bytes (as base64), UUIDs, decimals, sets...: stored silently, they would read back
#: as other values and be applied so; :func:`_refuse_unstorable` refuses them as the stdlib
#: encoder did.
_STORABLE = frozenset({str, int, bool, type(None), tuple, dt.date})


def _refuse_unstorable(rows: Sequence[tuple[Any, ...] | None]) -> None:
    """Raise ``TypeError("cannot store X")`` for a field value ``_plain`` would not store
    as the stdlib encoder did (one C pass over the values' types; a few odd types are
    looked at one by one)."""
    for odd in set(map(type, itertools.chain.from_iterable(filter(None, rows)))) - _STORABLE:
        if not issubclass(odd, (str, int, float, dt.date)):  # enums are str subclasses
            raise TypeError(f"cannot store {odd.__name__}")


#: msgspec writes dates (ISO), enums (their value), tuples and bools natively, ten times
#: faster than the stdlib; non-ASCII text is stored as UTF-8 rather than ``\u`` escapes,
#: which :func:`decode_values` reads the same. ``_plain`` is called only for other types.
_MSGSPEC = msgspec.json.Encoder(enc_hook=_plain)
#: Per value type: its type name, then its fields, as one tuple (one C call).
_ROWS: dict[type, Callable[[Any], tuple[Any, ...] | None]] = {
    cls: operator.attrgetter("__class__.__name__", *names) for cls, names, _ in _CODECS.values()
}
#: ``None`` stays ``None`` (a C callable, so a whole column is mapped without Python code).
_ROWS[type(None)] = {None: None}.get
_NULL = {"null": None}


def encode_values(values: PlatformValues | None, *, ascii_only: bool = False) -> str | None:
    """``values`` as a compact JSON list: ``["Person", field1, field2, ...]`` (with
    ``ascii_only``, non-ASCII text as ``\\u`` escapes: see :func:`encode_column`)."""
    if values is None:
        return None
    row = _ROWS[type(values)](values)
    assert row is not None
    _refuse_unstorable((row,))
    if ascii_only:
        return _JSON.encode(row)
    try:
        return _MSGSPEC.encode(row).decode()
    except UnicodeEncodeError:
        return _JSON.encode(row)


def encode_column(
    values: Sequence[PlatformValues | None], *, ascii_only: bool = False
) -> list[str | None]:
    """:func:`encode_values` of each of ``values``, in one pass of C code: one JSON line per
    value (``null`` for ``None``), cut at the newlines (JSON escapes those inside strings).

    ``ascii_only``: non-ASCII text as ``\\u`` escapes (what earlier versions always wrote),
    for a database that does not store UTF-8 (PostgreSQL created as LATIN1, WIN1252...)."""
    if not any(values):  # all None (values are never falsy): creates' before-values
        return [None] * len(values)
    rows = list(map(operator.call, map(_ROWS.__getitem__, map(type, values)), values))
    _refuse_unstorable(rows)
    try:
        text = _MSGSPEC.encode_lines(rows).decode()
    except UnicodeEncodeError:  # a lone surrogate somewhere: value by value
        return [encode_values(v, ascii_only=ascii_only) for v in values]
    if ascii_only and not text.isascii():
        return [None if row is None else _JSON.encode(row) for row in rows]
    lines = text.split("\n")
    lines.pop()  # after the last newline
    return list(map(_NULL.get, lines, lines))


def _typed_decoders() -> dict[str, tuple[type, msgspec.json.Decoder[tuple[Any, ...]]]]:
    """Per value type name: the type, and a decoder of its stored list straight into a
    tuple of typed fields (dates, enums and tuples built by msgspec, in C)."""
    decoders = {}
    for name, (cls, names, _) in _CODECS.items():
        hints = typing.get_type_hints(cls)
        row_type: Any = tuple.__class_getitem__((str, *(hints[n] for n in names)))
        decoders[name] = (cls, msgspec.json.Decoder(row_type))
    return decoders


_TYPED = _typed_decoders()


def decode_values(text: str | None) -> PlatformValues | None:
    """The inverse of :func:`encode_values` (also of the stdlib encoder's text, written by
    earlier versions)."""
    if text is None:
        return None
    typed = _TYPED.get(text[2 : text.find('"', 2)])
    if typed is not None:
        try:
            row = typed[1].decode(text)
        except msgspec.DecodeError:  # not the usual form (a lone surrogate...): read slowly
            pass
        else:
            values: PlatformValues = typed[0](*row[1:])
            return values
    return _decode_slowly(text)


def _decode_slowly(text: str) -> PlatformValues:
    row = json.loads(text)
    cls, _, decoders = _CODECS[row[0]]
    args = [v if d is None else d(v) for v, d in zip(row[1:], decoders, strict=True)]
    values: PlatformValues = cls(*args)
    return values


# -- changes -------------------------------------------------------------------------------


class Change(NamedTuple):
    """One change of a sync request (a named tuple: requests hold a million of them).

    - ``seq``: its position in the request (changes apply in this order, kind by kind).
    - ``sis_id``: the SIS key of the record (``class|person`` for an enrolment,
      ``family|student`` for a family link).
    - ``platform_id``: the platform record changed (``""`` for a create).
    - ``before`` / ``after``: the platform's values before, and the values wanted after
      (platform space; ``after`` is ``None`` for an archive, ``before`` for a create).
    - ``fields``: the fields an update (or restore) writes.
    - ``refs``: fields of ``after`` that still hold SIS ids of records this request creates.
    - ``applied`` / ``result_id`` / ``reverted``: progress of apply and revert.
    """

    seq: int
    kind: RecordKind
    action: SyncAction
    sis_id: str
    platform_id: str = ""
    before: PlatformValues | None = None
    after: PlatformValues | None = None
    fields: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()
    applied: bool = False
    result_id: str = ""
    reverted: bool = False

    @property
    def label(self) -> str:
        """The kind's label (``"students"``...)."""
        return KIND_LABELS[self.kind]

    def field_diffs(self) -> list[tuple[str, Any, Any]]:
        """``(field, before, after)`` for each field this change writes."""
        return [
            (name, getattr(self.before, name, None), getattr(self.after, name, None))
            for name in self.fields
        ]


#: A :class:`Change` from all its twelve values in order, built in C (the named tuple's own
#: constructor is Python code): for the diff's hot loops, which give ``seq`` as the change's
#: position in :attr:`ChangeSet.changes` and count it with :meth:`ChangeSet.count`.
new_change = typing.cast(
    Callable[[tuple[Any, ...]], Change], functools.partial(tuple.__new__, Change)
)


_ACTION_OF = operator.itemgetter(Change._fields.index("action"))


@attrs.frozen
class AmbiguousRecord:
    """An SIS record that matches more than one platform record: a person must decide."""

    kind: RecordKind
    sis_id: str
    platform_ids: tuple[str, ...]
    reason: str = ""


@attrs.define
class ChangeSet:
    """Everything one sync run found: changes, counts per kind, and what it could not do.

    - ``counts``: per kind label, per action (plus ``unchanged`` and ``skipped``).
    - ``invalid``: SIS rows that failed validation (unknown, never archived).
    - ``ambiguous``: SIS records with several possible platform matches (not created).
    - ``notes``: why records were skipped (excluded, creation turned off, preserved...).
    - ``population`` / ``feed``: per kind label, the SIS-linked active platform records
      before the sync, and the records the SIS sent (used by the hold rules).
    """

    changes: list[Change] = attrs.field(factory=list)
    counts: dict[str, dict[str, int]] = attrs.field(factory=empty_counts)
    invalid: list[InvalidRow] = attrs.field(factory=list)
    ambiguous: list[AmbiguousRecord] = attrs.field(factory=list)
    notes: list[str] = attrs.field(factory=list)
    population: dict[str, int] = attrs.field(factory=dict)
    feed: dict[str, int] = attrs.field(factory=dict)
    delta_kinds: set[str] = attrs.field(factory=set)

    def add(
        self,
        kind: RecordKind,
        action: SyncAction,
        sis_id: str,
        *,
        platform_id: str = "",
        before: PlatformValues | None = None,
        after: PlatformValues | None = None,
        fields: tuple[str, ...] = (),
        refs: tuple[str, ...] = (),
    ) -> None:
        """Append one change (its ``seq`` is its position) and count it."""
        self.changes.append(
            Change(
                len(self.changes), kind, action, sis_id, platform_id, before, after, fields, refs
            )
        )
        self.counts[_LABELS[kind._value_]][action._value_] += 1

    def count(self, kind: RecordKind, outcome: str, n: int = 1) -> None:
        """Count ``n`` records of ``kind`` with ``outcome``: unchanged, skipped, or the action
        of changes appended without :meth:`add`."""
        self.counts[_LABELS[kind._value_]][outcome] += n

    def of_kind(self, kind: RecordKind) -> Iterator[Change]:
        return (c for c in self.changes if c.kind is kind)

    @property
    def total_changes(self) -> int:
        """Changes that write to the platform (links excluded)."""
        return len(self.changes) - operator.countOf(map(_ACTION_OF, self.changes), SyncAction.LINK)


def counts_total(counts: Mapping[str, Mapping[str, int]], action: str) -> int:
    """Sum of one action over every kind."""
    return sum(per.get(action, 0) for per in counts.values())
