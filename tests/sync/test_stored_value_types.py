"""Values of subclasses of the plain types (lxml's text results are str subclasses, ORMs
have their own string and number types) are stored as their plain values, as earlier
versions stored them, and read back equal; other types are still refused by name."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from typing import Any

import attrs
import pytest

from rostersync_core.model import Enrolment, FamilyLink, Person, PersonKind, RecordKind
from rostersync_core.platform.protocol import PlatformValues
from rostersync_core.sync.changes import (
    ChangeSet,
    SyncAction,
    decode_values,
    encode_column,
    encode_values,
)
from rostersync_core.sync.jobs import get_job, iter_changes
from rostersync_core.sync.transitions import insert_job, save_request


class Text(str):
    """A str subclass, as lxml's ``_ElementUnicodeResult``."""


class Number(int):
    pass


class Ratio(float):
    pass


class Day(dt.date):
    pass


def _as_written_before(values: Any) -> str:
    """The stdlib encoder of earlier versions (dates by ``isoformat``)."""
    fields = [getattr(values, f.name) for f in attrs.fields(type(values))]
    plain = [v.isoformat() if isinstance(v, dt.date) else v for v in fields]
    return json.dumps([type(values).__name__, *plain], separators=(",", ":"))


def _subclassed() -> list[PlatformValues | None]:
    return [
        Person(Text("7"), PersonKind.STUDENT, Text("Zoë"), Text("Ó'Brien"), roles=(Text("a"),)),
        None,
        Enrolment(Text("c1"), Text("7"), begin_date=Day(2026, 9, 1)),
        FamilyLink(Text("f1"), "7", Text("mother")),
    ]


def _plain() -> list[PlatformValues | None]:
    return [
        Person("7", PersonKind.STUDENT, "Zoë", "Ó'Brien", roles=("a",)),
        None,
        Enrolment("c1", "7", begin_date=dt.date(2026, 9, 1)),
        FamilyLink("f1", "7", "mother"),
    ]


def test_subclasses_of_str_and_dates_are_stored_as_their_plain_values() -> None:
    values, plain = _subclassed(), _plain()
    assert [encode_values(v) for v in values] == [encode_values(v) for v in plain]
    assert encode_column(values) == encode_column(plain)
    assert [decode_values(t) for t in encode_column(values)] == plain
    for text, value in zip(encode_column(values), values, strict=True):
        if value is not None:
            assert text is not None
            assert json.loads(text) == json.loads(_as_written_before(value))


def test_numbers_of_subclassed_types_are_stored_as_before() -> None:
    # not what a connector should send (the model's fields are text), but earlier
    # versions stored and read them back, and a run must not fail on them now
    person = Person("8", PersonKind.STAFF, "A", "B", identifier=Number(42), phone=Ratio(1.5))  # type: ignore[arg-type]
    text = encode_values(person)
    assert text == _as_written_before(person)
    assert encode_column([person]) == [text]
    assert decode_values(text) == person


def test_a_type_with_no_plain_value_is_still_refused_by_name() -> None:
    person = Person("9", PersonKind.STAFF, "A", "B", identifier=object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cannot store object"):
        encode_values(person)
    with pytest.raises(TypeError, match="cannot store object"):
        encode_column([person])


def test_a_request_with_subclassed_text_is_saved_and_reads_back(store: Any) -> None:
    with store.engine.begin() as conn:
        job_id = insert_job(conn, "maple", "manual")
    cs = ChangeSet()
    for i, value in enumerate(_subclassed()):
        if value is not None:
            cs.add(RecordKind.STUDENT, SyncAction.CREATE, f"s{i}", after=value)
    save_request(store, None, get_job(store, job_id), cs, frozen={}, hold_reasons=[])
    assert [c.after for c in iter_changes(store, job_id)] == [v for v in _plain() if v]


@pytest.mark.parametrize(
    "odd",
    [b"\x00raw", uuid.UUID(int=7), decimal.Decimal("1.5"), frozenset({"a"}), dt.time(8, 0)],
    ids=["bytes", "uuid", "decimal", "frozenset", "time"],
)
def test_values_msgspec_would_write_as_something_else_are_refused_by_name(odd: Any) -> None:
    # msgspec writes these natively (bytes as base64...): stored, they would read back as
    # other values and be applied so. The stdlib encoder refused them; so do we.
    person = Person("9", PersonKind.STAFF, "A", "B", phone=odd)
    name = type(odd).__name__
    with pytest.raises(TypeError, match=f"cannot store {name}"):
        encode_values(person)
    with pytest.raises(TypeError, match=f"cannot store {name}"):
        encode_column([None, person])
