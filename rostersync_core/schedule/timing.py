"""When a daily sync runs next: a wall-clock time in an IANA time zone, DST-correct.

- A time that does not exist on a day (it falls in the gap when clocks go forward, e.g.
  02:30 in ``America/New_York`` on the second Sunday of March) runs at the end of the gap,
  the first instant the clock shows a later time (03:00 there).
- A time that happens twice (clocks go back, e.g. 01:30 on the first Sunday of November)
  runs once, at its first occurrence.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from rostersync_core.errors import ConfigError

__all__ = ["next_run_after", "parse_time_of_day", "parse_timezone"]

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_time_of_day(text: str) -> dt.time:
    """``"06:30"`` -> ``time(6, 30)``; :class:`ConfigError` (field ``at``) otherwise."""
    match = _TIME.match(text.strip())
    if match is None:
        raise ConfigError(
            f"the time of day must be HH:MM on a 24-hour clock, not {text!r}",
            field="at",
            hint="e.g. --at 06:00",
        )
    return dt.time(int(match.group(1)), int(match.group(2)))


def parse_timezone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA time zone ``name`` (``Area/City``); :class:`ConfigError` (field ``tz``)."""
    cleaned = name.strip()
    try:
        if not cleaned or cleaned.startswith("/") or ".." in cleaned:
            raise ValueError(cleaned)
        return zoneinfo.ZoneInfo(cleaned)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{name!r} is not an IANA time zone",
            field="tz",
            hint="use Area/City, e.g. America/Chicago, Europe/Berlin or UTC",
        ) from None


def _exists(local: dt.datetime, zone: zoneinfo.ZoneInfo) -> bool:
    there = local.replace(tzinfo=zone)
    back = there.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None)
    return back == local


def _occurrence(day: dt.date, at: dt.time, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The UTC instant the clocks in ``zone`` first show ``at`` on ``day`` (or, in a gap,
    the instant the gap ends)."""
    local = dt.datetime.combine(day, at)
    if _exists(local, zone):
        return local.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)
    # In a gap: fold=1 reads the wall time with the offset in force before the change and
    # lands before the gap ends; fold=0 with the offset after and lands after. The end of
    # the gap lies between: find it to the second.
    low = local.replace(tzinfo=zone, fold=1).astimezone(dt.UTC)
    high = local.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)
    if low > high:
        low, high = high, low
    while high - low > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).replace(tzinfo=None) >= local:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def next_run_after(at: dt.time, timezone: str, after: dt.datetime) -> dt.datetime:
    """The first daily run at wall-clock ``at`` in ``timezone`` strictly after ``after``.

    ``after`` must be timezone-aware; the result is in UTC.
    """
    if after.tzinfo is None:
        raise ValueError("next_run_after needs an aware datetime")
    zone = parse_timezone(timezone)
    day = after.astimezone(zone).date() - dt.timedelta(days=1)
    for _ in range(4):
        when = _occurrence(day, at, zone)
        if when > after:
            return when
        day += dt.timedelta(days=1)
    raise AssertionError("unreachable: a daily time occurs within two days")  # pragma: no cover
