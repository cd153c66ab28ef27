"""Next-run times: a wall-clock time in the school's own IANA time zone, DST-correct."""

from __future__ import annotations

import datetime as dt

import pytest

from rostersync_core.errors import ConfigError
from rostersync_core.schedule import next_run_after, parse_time_of_day, parse_timezone

UTC = dt.UTC


def at(text: str) -> dt.time:
    return parse_time_of_day(text)


def test_the_next_run_is_later_today_when_the_time_has_not_come() -> None:
    after = dt.datetime(2026, 1, 15, 10, 0, tzinfo=UTC)  # 04:00 in Chicago
    assert next_run_after(at("06:00"), "America/Chicago", after) == dt.datetime(
        2026, 1, 15, 12, 0, tzinfo=UTC
    )


def test_the_next_run_is_tomorrow_once_the_time_has_passed() -> None:
    after = dt.datetime(2026, 1, 15, 12, 0, tzinfo=UTC)  # exactly 06:00 in Chicago
    assert next_run_after(at("06:00"), "America/Chicago", after) == dt.datetime(
        2026, 1, 16, 12, 0, tzinfo=UTC
    )


def test_the_time_follows_the_school_zone_not_utc() -> None:
    after = dt.datetime(2026, 1, 15, 0, 0, tzinfo=UTC)
    tokyo = next_run_after(at("06:00"), "Asia/Tokyo", after)
    berlin = next_run_after(at("06:00"), "Europe/Berlin", after)
    assert tokyo == dt.datetime(2026, 1, 15, 21, 0, tzinfo=UTC)
    assert berlin == dt.datetime(2026, 1, 15, 5, 0, tzinfo=UTC)


def test_the_local_time_stays_the_same_across_the_spring_change() -> None:
    after = dt.datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
    runs = []
    for _ in range(3):
        after = next_run_after(at("06:00"), "America/New_York", after)
        runs.append(after)
    assert [r.astimezone(parse_timezone("America/New_York")).hour for r in runs] == [6, 6, 6]
    # 06:00 EST is 11:00 UTC before the change, 06:00 EDT is 10:00 UTC after it.
    assert [r.hour for r in runs] == [11, 10, 10]


def test_the_local_time_stays_the_same_across_the_autumn_change() -> None:
    after = dt.datetime(2026, 10, 23, 12, 0, tzinfo=UTC)
    runs = []
    for _ in range(3):
        after = next_run_after(at("07:30"), "Europe/Berlin", after)
        runs.append(after)
    assert [r.hour for r in runs] == [5, 6, 6]  # CEST +2 until 25 October, then CET +1
    assert all(r.minute == 30 for r in runs)


def test_a_time_skipped_by_the_spring_change_runs_when_the_gap_ends() -> None:
    # On 8 March 2026 New York clocks jump from 02:00 to 03:00: 02:30 does not exist.
    after = dt.datetime(2026, 3, 8, 0, 0, tzinfo=UTC)
    run = next_run_after(at("02:30"), "America/New_York", after)
    assert run == dt.datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT
    following = next_run_after(at("02:30"), "America/New_York", run)
    assert following == dt.datetime(2026, 3, 9, 6, 30, tzinfo=UTC)  # 02:30 EDT


def test_a_time_repeated_by_the_autumn_change_runs_once() -> None:
    # On 1 November 2026 New York clocks go back from 02:00 to 01:00: 01:30 happens twice.
    after = dt.datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
    first = next_run_after(at("01:30"), "America/New_York", after)
    assert first == dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT, the first one
    following = next_run_after(at("01:30"), "America/New_York", first)
    assert following == dt.datetime(2026, 11, 2, 6, 30, tzinfo=UTC)  # not 06:30 the same day


def test_a_half_hour_change_is_handled_too() -> None:
    # Lord Howe Island moves its clocks by 30 minutes (02:00 -> 02:30 on 4 October 2026).
    after = dt.datetime(2026, 10, 3, 0, 0, tzinfo=UTC)
    run = next_run_after(at("02:15"), "Australia/Lord_Howe", after)
    local = run.astimezone(parse_timezone("Australia/Lord_Howe"))
    assert (local.date(), local.hour, local.minute) == (dt.date(2026, 10, 4), 2, 30)


@pytest.mark.parametrize("text", ["6", "25:00", "06:60", "six", "06:00:00", ""])
def test_an_unreadable_time_is_refused_naming_the_option(text: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_time_of_day(text)
    assert info.value.field == "at"


@pytest.mark.parametrize("name", ["Mars/Olympus", "EST5EDT6", "../etc/passwd", ""])
def test_an_unknown_time_zone_is_refused_naming_the_option(name: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_timezone(name)
    assert info.value.field == "tz"
