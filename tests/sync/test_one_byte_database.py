"""A state database on PostgreSQL created with a one-byte encoding (LATIN1 here; WIN1252 is
the default of a PostgreSQL installed on Windows) stores a request whose names it cannot
spell: the values are written with ``\\u`` escapes there, as earlier versions always wrote
them, and read back equal. UTF-8 databases store the text as UTF-8."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from rostersync_core.model import Enrolment, FamilyLink, Person, PersonKind, RecordKind
from rostersync_core.store.sync_tables import sync_changes
from rostersync_core.sync.changes import (
    ChangeSet,
    SyncAction,
    decode_values,
    encode_column,
    encode_values,
)
from rostersync_core.sync.jobs import get_job, iter_changes
from rostersync_core.sync.transitions import insert_job, save_request, stores_utf8

NAMES = ("Ngữ 雪", "Zoë", "\ud800 broken")  # not LATIN1, LATIN1, a lone surrogate


def _request() -> ChangeSet:
    cs = ChangeSet()
    for i, name in enumerate(NAMES):
        person = Person(f"s{i}", PersonKind.STUDENT, name, "Ó'Brien")
        cs.add(RecordKind.STUDENT, SyncAction.CREATE, f"s{i}", after=person)
        cs.add(
            RecordKind.FAMILY_LINK,
            SyncAction.UPDATE,
            f"f{i}|s{i}",
            platform_id=f"p{i}",
            before=FamilyLink(f"f{i}", f"s{i}", "guardian"),
            after=FamilyLink(f"f{i}", f"s{i}", name),
            fields=("relationship",),
        )
    cs.add(RecordKind.ENROLMENT, SyncAction.CREATE, "c|s0", after=Enrolment("c", "s0"))
    return cs


def test_a_request_with_names_latin1_cannot_spell_is_saved_there(latin1_url: str) -> None:
    from rostersync_core.store import StateStore

    store = StateStore.open(latin1_url)
    try:
        with store.engine.begin() as conn:
            assert not stores_utf8(conn)
            job_id = insert_job(conn, "maple", "manual")
        cs = _request()
        save_request(store, None, get_job(store, job_id), cs, frozen={}, hold_reasons=[])
        assert list(iter_changes(store, job_id)) == cs.changes
        with store.engine.connect() as conn:
            stored = conn.execute(sa.select(sync_changes.c.after)).scalars().all()
        assert all(text.isascii() for text in stored)
    finally:
        store.close()


def test_utf8_databases_store_text_as_utf8(store: Any) -> None:
    with store.engine.begin() as conn:
        assert stores_utf8(conn)
        job_id = insert_job(conn, "maple", "manual")
    cs = _request()
    save_request(store, None, get_job(store, job_id), cs, frozen={}, hold_reasons=[])
    assert list(iter_changes(store, job_id)) == cs.changes
    with store.engine.connect() as conn:
        stored = conn.execute(
            sa.select(sync_changes.c.after).where(sync_changes.c.seq == 0)
        ).scalar_one()
    assert "Ngữ 雪" in stored


def test_ascii_only_values_read_the_same_as_utf8_ones() -> None:
    values = [c.after for c in _request().changes] + [None]
    escaped = encode_column(values, ascii_only=True)
    assert all(text is None or text.isascii() for text in escaped)
    assert escaped == [encode_values(v, ascii_only=True) for v in values]
    assert not all(text is None or text.isascii() for text in encode_column(values))
    assert [decode_values(text) for text in escaped] == values
    assert [decode_values(text) for text in encode_column(values)] == values
