"""The scheduler's sense of time, injectable so that tests never sleep through real days."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Protocol

__all__ = ["Clock", "FakeClock", "SystemClock"]


class Clock(Protocol):
    """What the scheduler asks of time."""

    def now(self) -> dt.datetime:
        """The current instant, timezone-aware."""
        ...

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        """Wait ``seconds`` or until ``stop`` is set; return whether ``stop`` is set."""
        ...


class SystemClock:
    """The real clock (UTC)."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        return stop.wait(max(seconds, 0.0))


class FakeClock:
    """A clock that only moves when told (or when waited on: a wait jumps ahead at once)."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self.current = start.astimezone(dt.UTC)
        self.waits: list[float] = []

    def now(self) -> dt.datetime:
        return self.current

    def advance(self, delta: dt.timedelta | None = None, **kwargs: float) -> dt.datetime:
        """Move the clock forward (``advance(hours=3)``); return the new time."""
        self.current += delta if delta is not None else dt.timedelta(**kwargs)
        return self.current

    def set(self, when: dt.datetime) -> None:
        """Jump to ``when`` (aware)."""
        self.current = when.astimezone(dt.UTC)

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        self.waits.append(seconds)
        if stop.is_set():
            return True
        self.current += dt.timedelta(seconds=max(seconds, 0.0))
        return stop.is_set()
