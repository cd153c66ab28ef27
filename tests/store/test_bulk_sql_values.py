"""Values that must survive the bulk helpers of ``rostersync_core.store.sql`` exactly, or be
refused as before (never truncated or altered), on both backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from rostersync_core.store import StateStore
from rostersync_core.store import tables as t
from rostersync_core.store.sql import insert_many, is_one_of, update_many, upsert_many

SCHOOL = "sch-1"
_LINK = ("school_id", "kind", "sis_id", "platform_id")

AWKWARD = [
    "Zoë 李 😀",
    "007",
    "",
    " padded ",
    "quote ' \" back \\ slash, comma",
    "line\nbreak\ttab\r",
    "\\N",
    "true",
    "null",
    "x" * 200,
]


@pytest.fixture
def people(store: StateStore) -> StateStore:
    with store.engine.begin() as conn:
        conn.execute(sa.insert(t.ref_schools).values(id=SCHOOL, name="School"))
        insert_many(
            conn, t.ref_people, ("id", "school_id", "kind", "given_name"),
            [(f"p{i}", SCHOOL, "student", "x") for i in range(len(AWKWARD))],
        )
    return store


def _names(store: StateStore) -> list[str]:
    c = t.ref_people.c
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(c.id, c.given_name)).all()
    return [name for _, name in sorted(rows, key=lambda r: int(r[0][1:]))]


def test_update_many_keeps_awkward_values_exactly(people: StateStore) -> None:
    rows = [(f"p{i}", SCHOOL, v) for i, v in enumerate(AWKWARD)]
    with people.engine.begin() as conn:
        assert update_many(conn, t.ref_people, rows, keys=("id", "school_id"),
                           columns=("given_name",)) == len(rows)
    assert _names(people) == AWKWARD


def test_insert_many_keeps_awkward_values_exactly(store: StateStore) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.insert(t.ref_schools).values(id=SCHOOL, name="School"))
        insert_many(
            conn, t.ref_people, ("id", "school_id", "kind", "given_name"),
            [(f"p{i}", SCHOOL, "student", v) for i, v in enumerate(AWKWARD)],
        )
    assert _names(store) == AWKWARD


def test_update_many_never_cuts_a_value_too_long_for_its_column(people: StateStore) -> None:
    """given_name is VARCHAR(200): a longer name is refused (PostgreSQL) or kept whole
    (SQLite ignores lengths), never silently cut to 200 characters."""
    try:
        with people.engine.begin() as conn:
            update_many(conn, t.ref_people, [("p0", SCHOOL, "y" * 201)],
                        keys=("id", "school_id"), columns=("given_name",))
    except sa.exc.DBAPIError:
        assert _names(people)[0] == "x"
    else:
        assert _names(people)[0] == "y" * 201


def test_update_many_does_not_match_a_too_long_key_by_its_prefix(people: StateStore) -> None:
    """id is VARCHAR(255): a longer id names no row (it must not match its first 255)."""
    long_id = "q" * 255
    with people.engine.begin() as conn:
        insert_many(conn, t.ref_people, ("id", "school_id", "kind", "given_name"),
                    [(long_id, SCHOOL, "student", "x")])
        count = update_many(conn, t.ref_people, [(long_id + "z", SCHOOL, "changed")],
                            keys=("id", "school_id"), columns=("given_name",))
    assert count == 0
    c = t.ref_people.c
    with people.engine.connect() as conn:
        name = conn.execute(sa.select(c.given_name).where(c.id == long_id)).scalar()
    assert name == "x"


def test_upsert_many_never_cuts_a_sis_id_too_long_for_its_column(store: StateStore) -> None:
    """record_links.sis_id is VARCHAR(600): two ids sharing their first 600 characters must
    not become one link (the second overwriting the first): refused, or kept whole."""
    base = "s" * 600
    expected: list[tuple[str, str]] = []
    for sis_id, pid in ((base + "1", "p1"), (base + "2", "p2")):
        try:
            with store.engine.begin() as conn:
                upsert_many(conn, t.record_links, _LINK, [(SCHOOL, "student", sis_id, pid)],
                            keys=_LINK[:3], update=("platform_id",))
        except sa.exc.DBAPIError:
            continue
        expected.append((sis_id, pid))
    c = t.record_links.c
    with store.engine.connect() as conn:
        stored = conn.execute(sa.select(c.sis_id, c.platform_id).order_by(c.sis_id)).all()
    assert [tuple(r) for r in stored] == expected


@pytest.mark.parametrize("value", AWKWARD)
def test_upsert_many_and_is_one_of_keep_awkward_keys(store: StateStore, value: str) -> None:
    with store.engine.begin() as conn:
        upsert_many(conn, t.record_links, _LINK,
                    [(SCHOOL, "student", value, "p1"), (SCHOOL, "student", value + "2", "p2")],
                    keys=_LINK[:3], update=("platform_id",))
    c = t.record_links.c
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(c.sis_id, c.platform_id)).all()
        found = conn.execute(
            sa.select(c.sis_id).where(is_one_of(conn, c.sis_id, [value, value.upper()]))
        ).scalars().all()
    assert sorted(tuple(r) for r in rows) == sorted([(value, "p1"), (value + "2", "p2")])
    assert value in found
    assert set(found) <= {value, value.upper()}


def test_two_is_one_of_in_one_statement_keep_their_own_values(people: StateStore) -> None:
    c = t.ref_people.c
    with people.engine.connect() as conn:
        query = sa.select(c.id).where(
            is_one_of(conn, c.id, ["p1", "p2"]), is_one_of(conn, c.kind, ["student"])
        )
        assert sorted(conn.execute(query).scalars()) == ["p1", "p2"]


def test_is_one_of_does_not_match_a_value_cut_at_a_nul(store: StateStore) -> None:
    """SQLite's JSON functions end a string at a NUL: ``a\\0b`` must not find ``a``."""
    c = t.record_links.c
    stored = ["a", "a\x00b"] if store.engine.dialect.name == "sqlite" else ["a"]
    with store.engine.begin() as conn:
        upsert_many(conn, t.record_links, _LINK,
                    [(SCHOOL, "student", s, "p") for s in stored],
                    keys=_LINK[:3], update=("platform_id",))
    try:
        with store.engine.connect() as conn:
            found = conn.execute(
                sa.select(c.sis_id).where(is_one_of(conn, c.sis_id, ["a\x00b"]))
            ).scalars().all()
    except sa.exc.DBAPIError:  # PostgreSQL: text cannot hold a NUL
        assert store.engine.dialect.name == "postgresql"
        return
    assert found == stored[1:]


@pytest.fixture
def latin1_store(latin1_url: str) -> Iterator[StateStore]:
    """A state store on a fresh PostgreSQL database created as LATIN1."""
    store = StateStore.open(latin1_url)
    try:
        yield store
    finally:
        store.close()


def test_a_one_byte_database_takes_the_text_it_can_spell(latin1_store: StateStore) -> None:
    """A LATIN1 database stores "Zoë" through every helper, as it did through bound
    parameters (the JSON of the bulk paths must not escape it as ``\\u00eb``, which
    PostgreSQL decodes only in a UTF8 database); text it cannot spell is still refused."""
    store = latin1_store
    with store.engine.begin() as conn:
        conn.execute(sa.insert(t.ref_schools).values(id=SCHOOL, name="School"))
        insert_many(conn, t.ref_people, ("id", "school_id", "kind", "given_name"),
                    [("pë", SCHOOL, "student", "x"), ("p2", SCHOOL, "student", "x")])
        assert update_many(conn, t.ref_people, [("pë", SCHOOL, "Zoë"), ("p2", SCHOOL, "Ó")],
                           keys=("id", "school_id"), columns=("given_name",)) == 2
        upsert_many(conn, t.record_links, _LINK,
                    [(SCHOOL, "student", "Zoë-1", "pë"), (SCHOOL, "student", "s2", "p2")],
                    keys=_LINK[:3], update=("platform_id",))
        c = t.ref_people.c
        found = conn.execute(sa.select(c.id).where(is_one_of(conn, c.id, ["pë", "nobody"])))
        assert found.scalars().all() == ["pë"]
    c = t.ref_people.c
    with store.engine.connect() as conn:
        names = {i: n for i, n in conn.execute(sa.select(c.id, c.given_name))}
        links = {
            s: p for s, p in conn.execute(
                sa.select(t.record_links.c.sis_id, t.record_links.c.platform_id)
            )
        }
    assert names == {"pë": "Zoë", "p2": "Ó"}
    assert links == {"Zoë-1": "pë", "s2": "p2"}
    with pytest.raises((sa.exc.DBAPIError, UnicodeEncodeError)), store.engine.begin() as conn:
        update_many(conn, t.ref_people, [("pë", SCHOOL, "雪"), ("p2", SCHOOL, "y")],
                    keys=("id", "school_id"), columns=("given_name",))
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(c.given_name).where(c.id == "p2")).scalar() == "Ó"


def test_update_many_counts_every_update_when_keys_repeat(people: StateStore) -> None:
    """The executemany path (a row named twice) counts both updates, as the reference
    platform's check for missing records expects; a missing row still counts nothing."""
    rows = [("p0", SCHOOL, "first"), ("p1", SCHOOL, "other"), ("p0", SCHOOL, "last"),
            ("nobody", SCHOOL, "x")]
    with people.engine.begin() as conn:
        count = update_many(conn, t.ref_people, rows, keys=("id", "school_id"),
                            columns=("given_name",))
    assert count == 3
    assert _names(people)[:2] == ["last", "other"]
