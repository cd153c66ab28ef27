"""How hard a client may push an SIS: requests per second and requests in flight.

Districts ask for serial requests at peak and at most 5 concurrent off-peak; the default
is conservative. Both limits are shared by every thread using one client.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import attrs

__all__ = ["RateLimiter", "RequestLimits"]


@attrs.frozen
class RequestLimits:
    """``max_concurrency`` requests in flight at most; ``requests_per_second`` (None: no cap)."""

    max_concurrency: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    requests_per_second: float | None = None

    @classmethod
    def serial(cls, requests_per_second: float | None = None) -> RequestLimits:
        """One request at a time (what districts ask for at peak hours)."""
        return cls(max_concurrency=1, requests_per_second=requests_per_second)


class RateLimiter:
    """Spaces request starts at least ``1 / requests_per_second`` apart (thread safe)."""

    def __init__(
        self,
        limits: RequestLimits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_start = 0.0
        self._in_flight = threading.BoundedSemaphore(limits.max_concurrency)
        rate = limits.requests_per_second
        self._interval = 1.0 / rate if rate else 0.0

    def _wait_for_slot(self) -> None:
        if not self._interval:
            return
        with self._lock:
            now = self._clock()
            start = max(now, self._next_start)
            self._next_start = start + self._interval
        if start > now:
            self._sleep(start - now)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one in-flight slot, started no sooner than the rate allows."""
        with self._in_flight:
            self._wait_for_slot()
            yield
