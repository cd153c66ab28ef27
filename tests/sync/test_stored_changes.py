"""A request's changes as stored: the compact value codec, the rows written, and reading
them back (from a request this version wrote, and from one an older version wrote)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs
import pytest

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
from rostersync_core.platform.protocol import PlatformValues
from rostersync_core.sync.changes import (
    ChangeSet,
    SyncAction,
    decode_values,
    encode_column,
    encode_values,
)
from rostersync_core.sync.jobs import get_job, iter_changes
from rostersync_core.sync.transitions import change_rows, insert_job, save_request

S, C, E, L = RecordKind.STUDENT, RecordKind.CLASS, RecordKind.ENROLMENT, RecordKind.FAMILY_LINK

AWKWARD = 'Zoë "Z" \\ Ó\'Brien\nline two\ttab\x00\x1f \u2028 雪'


def _values() -> list[PlatformValues | None]:
    return [
        None,
        Person("1", PersonKind.STUDENT, AWKWARD, "Ngữ", roles=("a", "b"), enabled=False),
        SchoolClass("c1", "Math 1", class_type=ClassType.HOMEROOM, term_sis_ids=("t1", "t2")),
        Enrolment("c1", "1", EnrolmentRole.TEACHER, True, dt.date(2026, 9, 1), None, "e1"),
        FamilyLink("f1", "1", "mother"),
        None,
        Person("2", PersonKind.STAFF, "", ""),
    ]


def test_every_value_type_survives_the_codec_one_by_one_and_as_a_column() -> None:
    values = _values()
    one_by_one = [encode_values(v) for v in values]
    assert encode_column(values) == one_by_one
    assert [decode_values(text) for text in one_by_one] == values
    assert one_by_one[0] is None
    assert one_by_one[4] == '["FamilyLink","f1","1","mother"]'


def test_a_column_of_nothing_but_creates_before_values_is_all_none() -> None:
    assert encode_column([None, None, None]) == [None, None, None]
    assert encode_column([]) == []


def test_text_utf8_cannot_carry_is_still_stored_and_read_back() -> None:
    # json.loads turns "\ud800" in an SIS page into a lone surrogate
    person = Person("9", PersonKind.STUDENT, "broken \ud800 name", "X")
    values: list[PlatformValues | None] = [None, person, FamilyLink("f", "9")]
    text = encode_values(person)
    assert text is not None and decode_values(text) == person
    column = encode_column(values)
    assert column == [None, text, encode_values(values[2])]
    assert [decode_values(t) for t in column] == values


def _as_written_before(values: Any) -> str:
    """How earlier versions stored values: the stdlib encoder (ASCII escapes, ISO dates)."""
    fields = [getattr(values, f.name) for f in attrs.fields(type(values))]
    plain = [v.isoformat() if isinstance(v, dt.date) else v for v in fields]
    return json.dumps([type(values).__name__, *plain], separators=(",", ":"))


def test_values_stored_by_the_stdlib_encoder_of_earlier_versions_still_read() -> None:
    stored = [_as_written_before(v) for v in _values() if v is not None]
    assert "\\u00eb" in stored[0]  # the old escapes, not UTF-8
    assert [decode_values(text) for text in stored] == [v for v in _values() if v is not None]


def _request(n: int) -> ChangeSet:
    """``n`` changes of every kind and action, with fields, refs and awkward text."""
    cs = ChangeSet()
    for i in range(n):
        person = Person(f"s{i}", PersonKind.STUDENT, AWKWARD if i % 7 == 0 else "Ada", "L")
        if i % 5 == 0:
            cs.add(S, SyncAction.CREATE, f"s{i}", after=person)
        elif i % 5 == 1:
            before = Person(f"s{i}", PersonKind.STUDENT, "Old", "L")
            cs.add(
                S,
                SyncAction.UPDATE,
                f"s{i}",
                platform_id=f"p{i}",
                before=before,
                after=person,
                fields=("given_name",),
            )
        elif i % 5 == 2:
            cs.add(S, SyncAction.ARCHIVE, f"s{i}", platform_id=f"p{i}", before=person)
        elif i % 5 == 3:
            enrolment = Enrolment("c1", f"s{i}", begin_date=dt.date(2026, 1, 5))
            cs.add(
                E,
                SyncAction.CREATE,
                f"c1|s{i}",
                after=enrolment,
                refs=("class_sis_id", "person_sis_id"),
            )
        else:
            cs.add(
                L,
                SyncAction.LINK,
                f"f{i}|s{i}",
                platform_id=f"pl{i}",
                before=FamilyLink(f"f{i}", f"s{i}"),
            )
    return cs


@pytest.mark.parametrize("n", [3, 50, 5003])  # a part of a batch, one batch, many chunks
def test_a_saved_request_reads_back_change_for_change(store: Any, n: int) -> None:
    with store.engine.begin() as conn:
        job_id = insert_job(conn, "maple", "manual")
    cs = _request(n)
    saved = save_request(store, None, get_job(store, job_id), cs, frozen={}, hold_reasons=[])
    assert saved.change_count == sum(1 for c in cs.changes if c.action is not SyncAction.LINK)
    assert list(iter_changes(store, job_id)) == cs.changes


def test_the_rows_of_a_request_hold_each_changes_columns_in_order() -> None:
    cs = _request(5002)
    rows = list(change_rows(12, cs.changes))
    assert len(rows) == 5002
    for change, row in zip(cs.changes, rows, strict=True):
        assert row == (
            12,
            change.seq,
            change.kind.value,
            change.action.value,
            change.sis_id,
            change.platform_id,
            ",".join(change.fields),
            ",".join(change.refs),
            encode_values(change.before),
            encode_values(change.after),
        )
        assert type(row[2]) is str and type(row[3]) is str  # plain text, not enums


def test_stored_values_in_another_json_layout_read_the_same() -> None:
    spaced = '["Enrolment", "c1", "1", "teacher", true, "2026-09-01", null, "e1"]'
    assert decode_values(spaced) == Enrolment(
        "c1", "1", EnrolmentRole.TEACHER, True, dt.date(2026, 9, 1), None, "e1"
    )


def test_a_stored_value_no_longer_valid_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'nonsense' is not a valid EnrolmentRole"):
        decode_values('["Enrolment","c1","1","nonsense",true,null,null,""]')
