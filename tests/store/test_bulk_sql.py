"""The bulk write helpers of ``rostersync_core.store.sql`` on both backends: ``insert_many``
(COPY on PostgreSQL) and ``update_many`` (one UPDATE ... FROM unnest on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from rostersync_core.store import StateStore
from rostersync_core.store import tables as t
from rostersync_core.store.sql import insert_many, is_one_of, update_many, upsert_many

SCHOOL = "sch-1"


def _people(store: StateStore) -> dict[str, tuple[Any, ...]]:
    c = t.ref_people.c
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(c.id, c.given_name, c.roles, c.enabled, c.archived).order_by(c.id)
        ).all()
    return {r.id: tuple(r[1:]) for r in rows}


@pytest.fixture
def people(store: StateStore) -> StateStore:
    names = ("id", "school_id", "kind", "given_name", "roles", "enabled", "archived")
    rows = [
        ("p1", SCHOOL, "student", "Ana", "[]", True, False),
        ("p2", SCHOOL, "staff", "Bo, \"the\"\tteacher\n", '["teacher"]', False, False),
        ("p3", SCHOOL, "family", "Zoë \\ N", "[]", True, True),
    ]
    with store.engine.begin() as conn:
        conn.execute(sa.insert(t.ref_schools).values(id=SCHOOL, name="School"))
        insert_many(conn, t.ref_people, names, rows)
    return store


def test_insert_many_writes_every_value_as_given(people: StateStore) -> None:
    assert _people(people) == {
        "p1": ("Ana", "[]", True, False),
        "p2": ("Bo, \"the\"\tteacher\n", '["teacher"]', False, False),
        "p3": ("Zoë \\ N", "[]", True, True),
    }


def test_insert_many_writes_dates_and_nulls(people: StateStore) -> None:
    names = ("id", "school_id", "sis_id", "title")
    with people.engine.begin() as conn:
        insert_many(conn, t.ref_classes, names, [("c1", SCHOOL, "C-1", "Maths")])
        insert_many(
            conn,
            t.ref_enrolments,
            ("id", "school_id", "class_id", "person_id", "role", "is_primary", "begin_date",
             "end_date"),
            [
                ("e1", SCHOOL, "c1", "p1", "student", False, dt.date(2026, 9, 1), None),
                ("e2", SCHOOL, "c1", "p2", "teacher", True, None, dt.date(2027, 6, 30)),
            ],
        )
    c = t.ref_enrolments.c
    with people.engine.connect() as conn:
        rows = conn.execute(
            sa.select(c.id, c.is_primary, c.begin_date, c.end_date).order_by(c.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("e1", False, dt.date(2026, 9, 1), None),
        ("e2", True, None, dt.date(2027, 6, 30)),
    ]


def test_insert_many_is_part_of_the_transaction(people: StateStore) -> None:
    names = ("id", "school_id", "kind", "given_name")
    with pytest.raises(RuntimeError), people.engine.begin() as conn:
        insert_many(conn, t.ref_people, names, [("p4", SCHOOL, "student", "Cy")])
        seen = conn.execute(sa.select(t.ref_people.c.id).where(t.ref_people.c.id == "p4"))
        assert seen.scalar() == "p4"  # visible inside the transaction
        raise RuntimeError("roll back")
    assert "p4" not in _people(people)


def test_insert_many_of_a_duplicate_key_fails(people: StateStore) -> None:
    names = ("id", "school_id", "kind", "given_name")
    with pytest.raises(sa.exc.IntegrityError), people.engine.begin() as conn:
        insert_many(conn, t.ref_people, names, [("p1", SCHOOL, "student", "Again")])
    assert _people(people)["p1"][0] == "Ana"


def test_update_many_sets_columns_and_constants_by_key(people: StateStore) -> None:
    with people.engine.begin() as conn:
        count = update_many(
            conn,
            t.ref_people,
            [("p1", SCHOOL, "Anna", '["x"]'), ("p3", SCHOOL, "Zed", "[]")],
            keys=("id", "school_id"),
            columns=("given_name", "roles"),
            constants={"archived": sa.true()},
        )
    assert count == 2
    assert _people(people) == {
        "p1": ("Anna", '["x"]', True, True),
        "p2": ("Bo, \"the\"\tteacher\n", '["teacher"]', False, False),
        "p3": ("Zed", "[]", True, True),
    }


def test_update_many_counts_only_rows_that_exist(people: StateStore) -> None:
    with people.engine.begin() as conn:
        count = update_many(
            conn,
            t.ref_people,
            [("p1", SCHOOL), ("nobody", SCHOOL), ("p2", "other-school")],
            keys=("id", "school_id"),
            constants={"enabled": sa.false()},
        )
    assert count == 1
    assert [v[2] for v in _people(people).values()] == [False, False, True]


def test_update_many_applies_repeated_keys_in_order(people: StateStore) -> None:
    with people.engine.begin() as conn:
        update_many(
            conn,
            t.ref_people,
            [("p1", "first"), ("p2", "other"), ("p1", "last")],
            keys=("id",),
            columns=("given_name",),
        )
    assert _people(people)["p1"][0] == "last"
    assert _people(people)["p2"][0] == "other"


def test_bulk_helpers_do_nothing_without_rows(people: StateStore) -> None:
    with people.engine.begin() as conn:
        insert_many(conn, t.ref_people, ("id",), [])
        assert update_many(conn, t.ref_people, [], keys=("id",), columns=("given_name",)) == 0
    assert len(_people(people)) == 3


def test_update_many_writes_dates_booleans_and_nulls(people: StateStore) -> None:
    with people.engine.begin() as conn:
        insert_many(conn, t.ref_classes, ("id", "school_id", "title"), [("c1", SCHOOL, "M")])
        insert_many(
            conn,
            t.ref_enrolments,
            ("id", "school_id", "class_id", "person_id", "begin_date", "end_date"),
            [
                ("e1", SCHOOL, "c1", "p1", dt.date(2026, 9, 1), dt.date(2027, 6, 30)),
                ("e2", SCHOOL, "c1", "p2", None, None),
            ],
        )
        count = update_many(
            conn,
            t.ref_enrolments,
            [
                ("e1", True, None, dt.date(2027, 1, 31), "Zoë \"x\" \u00e9"),
                ("e2", False, dt.date(2026, 9, 2), None, ""),
            ],
            keys=("id",),
            columns=("is_primary", "begin_date", "end_date", "sis_id"),
        )
    assert count == 2
    c = t.ref_enrolments.c
    with people.engine.connect() as conn:
        rows = conn.execute(
            sa.select(c.id, c.is_primary, c.begin_date, c.end_date, c.sis_id).order_by(c.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("e1", True, None, dt.date(2027, 1, 31), "Zoë \"x\" \u00e9"),
        ("e2", False, dt.date(2026, 9, 2), None, ""),
    ]


def test_is_one_of_matches_exactly_the_values_given(people: StateStore) -> None:
    c = t.ref_people.c
    with people.engine.connect() as conn:

        def ids(values: list[str]) -> list[str]:
            query = sa.select(c.id).where(is_one_of(conn, c.id, values)).order_by(c.id)
            return list(conn.execute(query).scalars())

        assert ids(["p3", "p1", "nobody", "p1"]) == ["p1", "p3"]
        assert ids([]) == []
        assert ids(['p2"', "P2", "p2 "]) == []


_LINK = ("school_id", "kind", "sis_id", "platform_id")


def _links(store: StateStore) -> list[tuple[Any, ...]]:
    c = t.record_links.c
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(c.sis_id, c.platform_id).order_by(c.sis_id)).all()
    return [tuple(r) for r in rows]


def test_upsert_many_inserts_and_overwrites(store: StateStore) -> None:
    with store.engine.begin() as conn:
        upsert_many(conn, t.record_links, _LINK, [(SCHOOL, "student", "S-1", "p1")],
                    keys=_LINK[:3], update=("platform_id",))
        upsert_many(
            conn,
            t.record_links,
            _LINK,
            [(SCHOOL, "student", "S-1", "p9"), (SCHOOL, "student", "S-2", "p2")],
            keys=_LINK[:3],
            update=("platform_id",),
        )
    assert _links(store) == [("S-1", "p9"), ("S-2", "p2")]


def test_upsert_many_with_a_repeated_key_keeps_the_last(store: StateStore) -> None:
    with store.engine.begin() as conn:
        upsert_many(
            conn,
            t.record_links,
            _LINK,
            [(SCHOOL, "student", "S-1", "first"), (SCHOOL, "student", "S-1", "last")],
            keys=_LINK[:3],
            update=("platform_id",),
        )
    assert _links(store) == [("S-1", "last")]


def test_upsert_many_without_update_keeps_what_is_there(store: StateStore) -> None:
    with store.engine.begin() as conn:
        upsert_many(conn, t.record_links, _LINK, [(SCHOOL, "student", "S-1", "p1")],
                    keys=_LINK[:3], update=())
        upsert_many(
            conn,
            t.record_links,
            _LINK,
            [(SCHOOL, "student", "S-1", "other"), (SCHOOL, "staff", "T-1", "t1")],
            keys=_LINK[:3],
            update=(),
        )
    assert _links(store) == [("S-1", "p1"), ("T-1", "t1")]
