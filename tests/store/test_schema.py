"""The state database schema: created, upgraded, and refused when newer than the code."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from rostersync_core.errors import StateStoreError
from rostersync_core.model import RecordKind
from rostersync_core.store import StateStore, create_state_engine
from rostersync_core.store.migrate import alembic_config, current_revisions, head_revisions
from rostersync_core.store.tables import STORE_TABLES, metadata


def test_opening_a_new_database_creates_the_schema_at_head(store_url: str) -> None:
    with StateStore.open(store_url) as store, store.engine.connect() as conn:
        assert current_revisions(conn) == head_revisions()
        assert set(STORE_TABLES) <= set(sa.inspect(conn).get_table_names())


def _ours(obj: object, name: str | None, type_: str, _reflected: bool, _other: object) -> bool:
    if type_ == "table":
        return name in STORE_TABLES
    table = getattr(obj, "table", None)
    return table is None or table.name in STORE_TABLES


def test_the_migrations_create_exactly_the_tables_the_code_declares(store_url: str) -> None:
    with StateStore.open(store_url) as store, store.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": _ours}
        )
        assert compare_metadata(context, metadata) == []


def test_an_older_database_is_upgraded_and_keeps_its_rows(store_url: str, secret_key: str) -> None:
    engine = create_state_engine(store_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001_setup")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO record_links (school_id, kind, sis_id, platform_id) "
                "VALUES ('school-1', 'student', 'S-1', 'P-1')"
            )
        )
    engine.dispose()

    with StateStore.open(store_url) as store:
        with store.engine.connect() as conn:
            assert current_revisions(conn) == head_revisions()
        assert store.links("school-1", RecordKind.STUDENT) == {"S-1": "P-1"}


def test_a_database_newer_than_the_code_is_refused(store_url: str) -> None:
    StateStore.open(store_url).close()
    engine = create_state_engine(store_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()

    with pytest.raises(StateStoreError, match="newer than this rostersync-core") as info:
        StateStore.open(store_url)
    assert "9999_future" in str(info.value)


def test_opening_twice_is_harmless(store_url: str) -> None:
    StateStore.open(store_url).close()
    with StateStore.open(store_url) as store, store.engine.connect() as conn:
        assert current_revisions(conn) == head_revisions()


def test_an_unsupported_url_is_refused_clearly() -> None:
    with pytest.raises(StateStoreError, match="unsupported state database") as info:
        StateStore.open("mysql://root:hunter2@localhost/x")
    assert "hunter2" not in str(info.value)


def test_an_unreachable_server_is_a_clear_error_without_the_password() -> None:
    with pytest.raises(StateStoreError, match="cannot be opened") as info:
        StateStore.open("postgresql+psycopg://admin:pa55word-x@127.0.0.1:1/nowhere")
    assert "pa55word-x" not in str(info.value)


def test_an_unreachable_server_says_why(pg_database: str) -> None:
    url = sa.make_url(pg_database).set(database="rostersync_no_such_db", password="pa55word-y")
    with pytest.raises(StateStoreError) as info:
        StateStore.open(url.render_as_string(hide_password=False))
    assert 'database "rostersync_no_such_db" does not exist' in str(info.value)
    assert "pa55word-y" not in str(info.value)


def test_a_sqlite_file_in_a_folder_that_cannot_be_made_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(StateStoreError, match="cannot be created") as info:
        StateStore.open(f"sqlite:///{blocker / 'sub' / 'state.db'}")
    assert "--db" in str(info.value)


def test_several_processes_opening_a_new_database_at_once_all_succeed(store_url: str) -> None:
    import threading

    failures: list[BaseException] = []

    def open_once() -> None:
        try:
            StateStore.open(store_url).close()
        except BaseException as exc:  # collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=open_once) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_a_database_error_never_quotes_the_values_it_was_given(store_url: str) -> None:
    from rostersync_core.store import tables

    row = {"school_id": "north", "kind": "student", "sis_id": "S-1",
           "platform_id": "Ada Lovelace <ada@example.org>"}
    with (
        StateStore.open(store_url) as store,
        pytest.raises(sa.exc.IntegrityError) as info,
        store.engine.begin() as conn,
    ):
        conn.execute(tables.record_links.insert(), [row, row])
    assert "ada@example.org" not in str(info.value)


def test_opening_a_database_at_head_logs_nothing(
    store_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    StateStore.open(store_url).close()
    with caplog.at_level("INFO"):
        StateStore.open(store_url).close()
    assert [r.getMessage() for r in caplog.records if r.name.startswith("alembic")] == []
