"""The SIS HTTP client every connector builds on.

>>> client = SisClient(
...     "https://sis.example.org/ims/oneroster/rostering/v1p2",
...     auth=OAuth2ClientCredentials("https://sis.example.org/token", client_id, secret),
...     retry=RetryPolicy(),                       # 5 attempts, 120 s at most
...     limits=RequestLimits(max_concurrency=5, requests_per_second=10),
... )
>>> page = client.get_json("schools/sch-1/classes", params={"limit": 100})
>>> pages = client.map(lambda c: client.get_json(f"classes/{segment(c)}/students"), ids)

Every request: waits for a slot (rate and concurrency limits), applies auth, retries
transient failures (see :mod:`rostersync_core.http.retry`), refreshes auth once on
401/403, and turns what is left into the errors of :mod:`rostersync_core.http.errors`.
Logs carry method, host, path, status and duration: never headers, queries or bodies.
"""

from __future__ import annotations

import json as jsonlib
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import quote, urljoin, urlsplit

import attrs
import requests
import tenacity
from requests.structures import CaseInsensitiveDict
from requests.utils import parse_header_links

from rostersync_core.errors import (
    AuthenticationError,
    ConfigError,
    InvalidSisDataError,
    SisUnavailableError,
)
from rostersync_core.http.auth import SisAuth
from rostersync_core.http.errors import SisNotFoundError, SisRequestRejectedError, where
from rostersync_core.http.limits import RateLimiter, RequestLimits
from rostersync_core.http.retry import RetryPolicy, parse_retry_after

__all__ = ["Params", "SisClient", "SisResponse", "segment"]

log = logging.getLogger("rostersync_core.http")

T = TypeVar("T")
R = TypeVar("R")
Params = Mapping[str, str | int | float] | Sequence[tuple[str, str | int | float]]

_TRANSIENT_EXCEPTIONS = (
    requests.exceptions.ConnectionError,  # refused, reset, DNS, short reads (urllib3)
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


def _host_of(url: str) -> str:
    """``host[:port]`` of ``url``, never its user info (messages and logs name it)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port is not None else host


def segment(value: str) -> str:
    """``value`` escaped as one URL path segment (SIS ids may hold ``/``, ``#``, spaces).

    ``.`` and ``..`` are escaped too: left as they are, URL resolution would remove them
    (``schools/../classes`` is ``classes``, the whole district).
    """
    escaped = quote(value, safe="")
    if escaped in (".", ".."):
        return escaped.replace(".", "%2E")
    return escaped


@attrs.frozen
class SisResponse:
    """One answer from the SIS, fully read. ``headers`` are case-insensitive."""

    method: str
    host: str
    path: str
    status: int
    headers: Mapping[str, str] = attrs.field(repr=False)
    content: bytes = attrs.field(repr=False)
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        """A header's value, whatever case the server used for its name."""
        return self.headers.get(name)

    def json(self) -> Any:
        """The body as JSON; :class:`InvalidSisDataError` when it is not (e.g. truncated)."""
        try:
            return jsonlib.loads(self.content)
        except (ValueError, UnicodeDecodeError):
            raise InvalidSisDataError(
                f"the SIS sent a body that is not valid JSON for "
                f"{where(self.method, self.host, self.path)} (truncated or corrupt)",
                hint="try again later; if it persists, tell the SIS vendor",
            ) from None

    def links(self) -> dict[str, str]:
        """``Link`` header targets by ``rel`` (``{"next": url, ...}``); empty when absent."""
        value = self.header("Link")
        if not value:
            return {}
        return {
            link["rel"]: link["url"]
            for link in parse_header_links(value)
            if "rel" in link and "url" in link
        }


class _Transient(Exception):
    """A failure worth retrying (never leaves this module)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class SisClient:
    """A ``requests`` session to one SIS, with retries, limits, auth and error classes.

    - ``base_url``: requests to relative paths are made under it (a trailing ``/`` is
      added); absolute URLs are used as they are.
    - ``auth``: an :class:`~rostersync_core.http.auth.SisAuth` (OAuth 2, OAuth 1...) or None.
    - ``retry`` / ``limits``: see :class:`RetryPolicy` and :class:`RequestLimits`.
    - ``timeout``: seconds to connect and between bytes read.
    - ``headers``: sent with every request (``Accept: application/json`` by default).
    """

    def __init__(
        self,
        base_url: str,
        *,
        auth: SisAuth | None = None,
        retry: RetryPolicy | None = None,
        limits: RequestLimits | None = None,
        timeout: float = 30.0,
        headers: Mapping[str, str] | None = None,
        user_agent: str = "rostersync",
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                "the SIS address must be an http(s) URL such as https://sis.example.org",
                field="base_url",
            )
        if "@" in parts.netloc:
            # It would reach every message and log line that names the host.
            raise ConfigError(
                "the SIS address must not carry a user name or password",
                field="base_url",
                hint="give the credentials as the client id and secret instead",
            )
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.host = _host_of(base_url)
        self.auth = auth
        self.retry = retry or RetryPolicy()
        self.limits = limits or RequestLimits()
        self.timeout = timeout
        self._limiter = RateLimiter(self.limits)
        self.session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=2, pool_maxsize=max(2, self.limits.max_concurrency)
        )
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = user_agent
        self.session.headers["Accept"] = "application/json"
        self.session.headers.update(headers or {})

    def __repr__(self) -> str:
        return f"SisClient({self.base_url!r})"

    def __enter__(self) -> SisClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` (relative to ``base_url``, or already absolute)."""
        if urlsplit(path).scheme:
            return path
        return urljoin(self.base_url, path.lstrip("/"))

    # -- requests ------------------------------------------------------------------------

    def get(
        self, path: str, *, params: Params | None = None, headers: Mapping[str, str] | None = None
    ) -> SisResponse:
        """``GET path``; raises the classified error unless the answer is 2xx."""
        return self.request("GET", path, params=params, headers=headers)

    def get_json(self, path: str, *, params: Params | None = None) -> Any:
        """``GET path`` and decode the JSON body."""
        return self.get(path, params=params).json()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        data: Mapping[str, str] | bytes | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        basic_auth: tuple[str, str] | None = None,
        authenticate: bool = True,
        check_status: bool = True,
    ) -> SisResponse:
        """Send one request, with retries, limits and one auth refresh on 401/403.

        ``authenticate=False`` skips ``auth`` (token requests use ``basic_auth``);
        ``check_status=False`` returns non-2xx answers instead of raising (transient ones
        are still retried, and raise :class:`SisUnavailableError` once retries are spent).
        """
        request = requests.Request(
            method.upper(),
            self.url(path),
            params=params,
            data=data,
            json=json,
            headers=dict(headers or {}),
            auth=basic_auth,
        )
        refreshed = False
        while True:
            prepared = self.session.prepare_request(request)
            response = self._send_with_retries(prepared, authenticate)
            if (
                response.status in (401, 403)
                and authenticate
                and self.auth is not None
                and not refreshed
                and self.auth.refresh(prepared, self)
            ):
                refreshed = True
                log.info(
                    "%s %s%s answered %s: renewing credentials once",
                    method.upper(),
                    response.host,
                    response.path,
                    response.status,
                )
                continue
            if check_status:
                self.raise_for_status(response)
            return response

    def raise_for_status(self, response: SisResponse) -> None:
        """Raise the classified error for a non-2xx answer (see the module's table)."""
        status = response.status
        if 200 <= status < 400:
            return
        at = where(response.method, response.host, response.path)
        if status in (401, 403):
            raise AuthenticationError(
                f"the SIS refused the credentials ({at} answered {status})",
                hint="check the client id and secret and what they may read, then run setup again",
            )
        if status == 404:
            raise SisNotFoundError(
                f"the SIS has nothing at {at} (404)",
                host=response.host,
                path=response.path,
                hint="check the school id and the SIS address",
            )
        if status == 429 or status >= 500:
            raise SisUnavailableError(
                f"the SIS could not answer {at} ({status})", hint="try again later"
            )
        raise SisRequestRejectedError(
            f"the SIS rejected {at} ({status})",
            status=status,
            host=response.host,
            path=response.path,
            hint="the SIS may not support this request; tell the connector's authors",
        )

    def _attempt(self, prepared: requests.PreparedRequest, authenticate: bool) -> SisResponse:
        path = urlsplit(prepared.url or "").path
        host = _host_of(prepared.url or "") or self.host
        method = prepared.method or "GET"
        if authenticate and self.auth is not None:
            # Before taking a slot: fetching a token is itself a request that needs one.
            self.auth.apply(prepared, self)
        with self._limiter.slot():
            started = time.monotonic()
            try:
                raw = self.session.send(prepared, timeout=self.timeout, allow_redirects=True)
                content = raw.content  # read it all here: a short read is a transient failure
            except _TRANSIENT_EXCEPTIONS as exc:
                elapsed = time.monotonic() - started
                log.info(
                    "%s %s%s failed after %.0f ms: %s",
                    method,
                    host,
                    path,
                    elapsed * 1000,
                    type(exc).__name__,
                )
                raise _Transient(f"the connection failed ({type(exc).__name__})") from None
            except requests.exceptions.RequestException as exc:
                raise ConfigError(
                    f"cannot send {where(method, host, path)}: {type(exc).__name__}",
                    field="base_url",
                ) from None
        elapsed = time.monotonic() - started
        log.debug(
            "%s %s%s -> %s in %.0f ms", method, host, path, raw.status_code, elapsed * 1000
        )
        response = SisResponse(
            method=method,
            host=host,
            path=path,
            status=raw.status_code,
            headers=CaseInsensitiveDict(raw.headers),
            content=content,
            elapsed=elapsed,
        )
        if raw.status_code in self.retry.retry_statuses:
            retry_after = None
            if raw.status_code in (429, 503):
                retry_after = parse_retry_after(response.header("Retry-After"))
            raise _Transient(f"it answered {raw.status_code}", retry_after)
        return response

    def _send_with_retries(
        self, prepared: requests.PreparedRequest, authenticate: bool
    ) -> SisResponse:
        policy = self.retry
        host = _host_of(prepared.url or "") or self.host
        backoff = tenacity.wait_exponential_jitter(
            multiplier=policy.initial_wait, max=policy.max_wait, jitter=policy.jitter
        )

        def wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, _Transient) and exc.retry_after is not None:
                return exc.retry_after
            return float(backoff(state))

        class _OutOfBounds(tenacity.stop.stop_base):
            # Time spent counts the waits themselves, so a sleep that does not really sleep
            # (in tests) is accounted for as if it had.
            def __call__(self, state: tenacity.RetryCallState) -> bool:
                exc = state.outcome.exception() if state.outcome else None
                if (
                    isinstance(exc, _Transient)
                    and exc.retry_after is not None
                    and exc.retry_after > policy.max_retry_after
                ):
                    return True
                spent = max(state.seconds_since_start or 0.0, state.idle_for)
                return spent + (state.upcoming_sleep or 0.0) > policy.max_total_seconds

        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.warning(
                "%s %s%s: %s; retrying in %.2f s (attempt %d of %d)",
                prepared.method,
                host,
                urlsplit(prepared.url or "").path,
                exc,
                state.upcoming_sleep,
                state.attempt_number + 1,
                policy.max_attempts,
            )

        retrying = tenacity.Retrying(
            stop=tenacity.stop_any(
                tenacity.stop_after_attempt(policy.max_attempts),
                _OutOfBounds(),
            ),
            wait=wait,
            retry=tenacity.retry_if_exception_type(_Transient),
            sleep=policy.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        started = time.monotonic()
        try:
            return retrying(self._attempt, prepared, authenticate)
        except _Transient as exc:
            attempts = retrying.statistics.get("attempt_number", 1)
            at = where(prepared.method or "GET", host, urlsplit(prepared.url or "").path)
            detail = (
                f"{attempts} attempt{'s' if attempts != 1 else ''} over "
                f"{time.monotonic() - started:.1f} s"
            )
            if exc.retry_after is not None and exc.retry_after > policy.max_retry_after:
                detail = f"it asked to wait {exc.retry_after:.0f} s"
            raise SisUnavailableError(
                f"the SIS could not answer {at}: {exc.reason} ({detail})",
                hint="try again later",
            ) from None

    # -- many requests at once -------------------------------------------------------------

    def imap(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """``fn`` over ``items`` on up to ``limits.max_concurrency`` threads, in order.

        Results are yielded in the order of ``items`` as they become available; at most a
        few times the concurrency are started ahead. The first failure is raised (in
        order) and pending calls are cancelled.
        """
        workers = self.limits.max_concurrency
        if workers <= 1:
            for item in items:
                yield fn(item)
            return
        window = workers * 4
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sis") as pool:
            pending: deque[Future[R]] = deque()
            try:
                for item in items:
                    pending.append(pool.submit(fn, item))
                    if len(pending) >= window:
                        yield pending.popleft().result()
                while pending:
                    yield pending.popleft().result()
            finally:
                for future in pending:
                    future.cancel()

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Like :meth:`imap`, as a list."""
        return list(self.imap(fn, items))
