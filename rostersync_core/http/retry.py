"""When and how long to retry: bounded in attempts *and* in total time.

A :class:`RetryPolicy` is plain data; :class:`~rostersync_core.http.client.SisClient`
turns it into a ``tenacity`` retry loop. Waits grow exponentially with jitter, except when
the SIS says how long to wait (``Retry-After`` in seconds or as an HTTP date, on 429 and
503): then that is honoured. A wait that would overrun the total time budget stops the
retries at once.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import time
from collections.abc import Callable

import attrs

__all__ = ["DEFAULT_RETRY_STATUSES", "RetryPolicy", "parse_retry_after"]

#: Statuses retried by default: rate limited, and the server errors that are usually brief.
DEFAULT_RETRY_STATUSES: frozenset[int] = frozenset({429, 500, 502, 503, 504})


@attrs.frozen
class RetryPolicy:
    """How a client retries transient failures.

    - ``max_attempts``: attempts in all (the first one included).
    - ``max_total_seconds``: a retry whose wait would end after this many seconds since the
      first attempt is not made.
    - ``initial_wait`` / ``max_wait`` / ``jitter``: exponential backoff
      (``initial_wait * 2**n`` capped at ``max_wait``, plus up to ``jitter`` seconds).
    - ``max_retry_after``: a ``Retry-After`` longer than this is not waited for.
    - ``retry_statuses``: statuses that are retried (connection failures always are).
    - ``sleep``: the sleeping function (tests pass one that records instead of sleeping).
    """

    max_attempts: int = 5
    max_total_seconds: float = 120.0
    initial_wait: float = 0.5
    max_wait: float = 30.0
    jitter: float = 0.5
    max_retry_after: float = 120.0
    retry_statuses: frozenset[int] = DEFAULT_RETRY_STATUSES
    sleep: Callable[[float], None] = attrs.field(default=time.sleep, eq=False, repr=False)

    @classmethod
    def fast(
        cls, *, max_attempts: int = 4, sleep: Callable[[float], None] | None = None
    ) -> RetryPolicy:
        """A policy for tests: it never really sleeps (pass a ``sleep`` that records the
        waits to assert them); backoff waits are tiny, ``Retry-After`` is honoured up to 5 s
        and the waits may add up to 30 s."""
        return cls(
            max_attempts=max_attempts,
            max_total_seconds=30.0,
            initial_wait=0.001,
            max_wait=0.01,
            jitter=0.001,
            max_retry_after=5.0,
            sleep=sleep or (lambda _seconds: None),
        )

    @classmethod
    def never(cls) -> RetryPolicy:
        """One attempt, no retries."""
        return cls(max_attempts=1, sleep=lambda _seconds: None)


def parse_retry_after(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP date), or None.

    A date in the past gives ``0.0``; an unreadable value gives ``None``.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is unreadable
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, when.timestamp() - now())
