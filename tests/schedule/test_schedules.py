"""Schedules in the state store: enable, disable, next runs persisted, due runs claimed once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from rostersync_core.errors import ConfigError, UnknownSchoolError
from rostersync_core.schedule import (
    claim_due_runs,
    disable_schedule,
    enable_schedule,
    get_schedule,
    list_schedules,
    sync_admins,
)
from rostersync_core.store import StateStore, metadata
from rostersync_core.store.schedule_tables import SCHEDULE_TABLES
from tests.schedule.conftest import ADMINS, START, sqlite_only

UTC = dt.UTC


def test_the_migration_creates_exactly_the_schedule_tables_the_code_declares(
    store: StateStore,
) -> None:
    def ours(obj: object, name: str | None, type_: str, _r: bool, _o: object) -> bool:
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in SCHEDULE_TABLES

    with store.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": ours}
        )
        assert compare_metadata(context, metadata) == []
        assert set(SCHEDULE_TABLES) <= set(sa.inspect(conn).get_table_names())


def test_enabling_stores_the_time_zone_admins_and_the_next_run(store: Any, school: str) -> None:
    enable_schedule(store, school, at="06:00", timezone="America/Chicago", admins=ADMINS,
                    now=START)

    found = get_schedule(store, school)
    assert found is not None and found.enabled
    assert (found.at_text, found.timezone, found.admins) == ("06:00", "America/Chicago", ADMINS)
    assert found.next_run_at == dt.datetime(2026, 3, 3, 12, 0, tzinfo=UTC)  # 06:00 CST
    assert sync_admins(store, school) == ADMINS


@sqlite_only
def test_a_school_that_is_not_set_up_cannot_be_scheduled(store: Any) -> None:
    with pytest.raises(UnknownSchoolError, match="not set up"):
        enable_schedule(store, "nowhere", at="06:00", timezone="UTC", now=START)


@sqlite_only
def test_the_first_enable_needs_a_time_and_a_zone(store: Any, school: str) -> None:
    with pytest.raises(ConfigError) as info:
        enable_schedule(store, school, timezone="UTC", now=START)
    assert info.value.field == "at"
    with pytest.raises(ConfigError) as info:
        enable_schedule(store, school, at="06:00", now=START)
    assert info.value.field == "tz"


@sqlite_only
def test_a_malformed_admin_address_is_refused(store: Any, school: str) -> None:
    with pytest.raises(ConfigError, match="not an e-mail address") as info:
        enable_schedule(store, school, at="06:00", timezone="UTC", admins=["head at school"],
                        now=START)
    assert info.value.field == "admin"
    assert get_schedule(store, school) is None


def test_disabling_keeps_time_and_admins_and_re_enabling_reuses_them(
    store: Any, school: str
) -> None:
    enable_schedule(store, school, at="05:45", timezone="Europe/Berlin", admins=ADMINS,
                    now=START)
    off = disable_schedule(store, school, now=START)
    assert not off.enabled and off.next_run_at is None
    assert off.admins == ADMINS

    on = enable_schedule(store, school, now=START)
    assert (on.enabled, on.at_text, on.timezone, on.admins) == (
        True, "05:45", "Europe/Berlin", ADMINS,
    )


@sqlite_only
def test_disabling_a_school_without_a_schedule_says_so(store: Any, school: str) -> None:
    with pytest.raises(UnknownSchoolError, match="no daily sync"):
        disable_schedule(store, school)


def test_nothing_is_due_before_its_time(store: Any, school: str) -> None:
    enable_schedule(store, school, at="06:00", timezone="UTC", now=START)
    assert claim_due_runs(store, now=START + dt.timedelta(hours=17)) == []


def test_a_due_run_is_claimed_once(store: Any, school: str) -> None:
    enable_schedule(store, school, at="06:00", timezone="UTC", now=START)
    due_time = dt.datetime(2026, 3, 3, 6, 0, tzinfo=UTC)

    claimed = claim_due_runs(store, now=due_time)
    assert [(c.school_id, c.due_at) for c in claimed] == [(school, due_time)]
    assert claim_due_runs(store, now=due_time) == []
    found = get_schedule(store, school)
    assert found is not None
    assert found.next_run_at == dt.datetime(2026, 3, 4, 6, 0, tzinfo=UTC)


def test_runs_missed_during_downtime_are_claimed_once_not_once_per_day(
    store: Any, school: str
) -> None:
    enable_schedule(store, school, at="06:00", timezone="UTC", now=START)
    back = dt.datetime(2026, 3, 7, 9, 0, tzinfo=UTC)  # four daily runs missed

    claimed = claim_due_runs(store, now=back)
    assert len(claimed) == 1
    assert claimed[0].due_at == dt.datetime(2026, 3, 3, 6, 0, tzinfo=UTC)
    assert claim_due_runs(store, now=back) == []
    found = get_schedule(store, school)
    assert found is not None
    assert found.next_run_at == dt.datetime(2026, 3, 8, 6, 0, tzinfo=UTC)


def test_a_disabled_schedule_is_never_due(store: Any, school: str) -> None:
    enable_schedule(store, school, at="06:00", timezone="UTC", now=START)
    disable_schedule(store, school, now=START)
    assert claim_due_runs(store, now=START + dt.timedelta(days=3)) == []
    assert list_schedules(store, enabled_only=True) == []
    assert [s.school_id for s in list_schedules(store)] == [school]


def test_a_database_of_the_previous_revision_gains_the_schedule_tables(
    sqlite_url: str, secret_key: str
) -> None:
    from alembic import command

    from rostersync_core.store import create_state_engine
    from rostersync_core.store.migrate import alembic_config

    engine = create_state_engine(sqlite_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0002_sync")
        assert "sync_schedules" not in sa.inspect(conn).get_table_names()
    engine.dispose()

    with StateStore.open(sqlite_url) as store, store.engine.connect() as conn:
        assert set(SCHEDULE_TABLES) <= set(sa.inspect(conn).get_table_names())
