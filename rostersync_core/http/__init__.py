"""The shared HTTP toolkit every connector builds on.

- :class:`SisClient` — a ``requests`` session to one SIS: retries with backoff that honour
  ``Retry-After``, bounded in attempts and total time (:class:`RetryPolicy`); request rate
  and concurrency limits (:class:`RequestLimits`, default 5 in flight); auth applied and
  refreshed once on 401/403; failures classified (see :mod:`rostersync_core.http.errors`);
  :meth:`SisClient.map` / :meth:`SisClient.imap` for many requests at once, in order.
- Auth: :class:`OAuth2ClientCredentials`, :class:`OAuth1Signing`, :class:`StaticBearerToken`.
- Paging: :func:`iter_offset_pages` (``limit``/``offset`` with count headers, links, caps).
- Errors: :class:`SisNotFoundError` (404), :class:`SisRequestRejectedError` (other 4xx);
  the core's ``AuthenticationError``, ``SisUnavailableError``, ``InvalidSisDataError``.

Documented in ``docs/http-toolkit.md``.
"""

from rostersync_core.http.auth import (
    OAuth1Signing,
    OAuth2ClientCredentials,
    SisAuth,
    StaticBearerToken,
)
from rostersync_core.http.client import Params, SisClient, SisResponse, segment
from rostersync_core.http.errors import SisNotFoundError, SisRequestRejectedError
from rostersync_core.http.limits import RateLimiter, RequestLimits
from rostersync_core.http.paging import items_under, iter_offset_pages
from rostersync_core.http.retry import DEFAULT_RETRY_STATUSES, RetryPolicy, parse_retry_after

__all__ = [
    "DEFAULT_RETRY_STATUSES",
    "OAuth1Signing",
    "OAuth2ClientCredentials",
    "Params",
    "RateLimiter",
    "RequestLimits",
    "RetryPolicy",
    "SisAuth",
    "SisClient",
    "SisNotFoundError",
    "SisRequestRejectedError",
    "SisResponse",
    "StaticBearerToken",
    "items_under",
    "iter_offset_pages",
    "parse_retry_after",
    "segment",
]
