"""A base for fake SIS servers: a real HTTP server on loopback that can be told to misbehave.

Connector test kits (``rostersync_oneroster.testing``, ``rostersync_powerschool.testing``)
build their fakes on :class:`FakeSisServer`: register routes, optionally guard them with
OAuth 2 (:class:`OAuth2TokenIssuer`), and let tests inject faults::

    from rostersync_core.testing.fake_sis import (
        FakeResponse, FakeSisServer, Fault, OAuth2TokenIssuer,
    )

    class MySis(FakeSisServer):
        def __init__(self) -> None:
            super().__init__()
            self.use_oauth2(OAuth2TokenIssuer("id", "secret", expires_in_as_string=True),
                            token_path="/oauth/access_token")
            self.add_route("GET", r"/ws/v1/school/(?P<school>[^/]+)/student", self.students)

        def students(self, request, school):
            page = int(request.arg("page", "1"))
            return FakeResponse.json({"students": {"student": [...]}})

    with MySis() as sis:                       # started on 127.0.0.1, a free port
        sis.inject(Fault(status=429, times=2, retry_after="1", path=r"/student"))
        sis.inject(Fault(delay=0.05, times=None))          # every request slow
        sis.inject(Fault(truncate=True, path=r"/student"))  # half a body, then hang up
        client = SisClient(sis.url, ...)
        ...
        assert [r.path for r in sis.requests] == [...]      # the request log
        sis.issuer.expire_all()                              # the next call gets a 401

Routes are regular expressions matched against the whole (percent-decoded) path; named
groups become keyword arguments of the handler. A handler returns a :class:`FakeResponse`;
an exception in a handler becomes a 500. Unknown paths answer 404.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import attrs

__all__ = [
    "FakeRequest",
    "FakeResponse",
    "FakeSisServer",
    "Fault",
    "FaultPlan",
    "LoggedRequest",
    "OAuth2TokenIssuer",
    "Route",
]


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


@attrs.frozen
class FakeRequest:
    """A request as a handler sees it. ``headers`` keys are lower-case."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    url: str  # absolute, as the client addressed it (OAuth 1 verification needs it)
    raw_path: str = ""

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter ``name``."""
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        """The form-encoded body, first value per name."""
        return {k: v[0] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}

    def basic_auth(self) -> tuple[str, str] | None:
        """``(user, password)`` from an ``Authorization: Basic`` header, or None."""
        value = self.header("authorization")
        if not value.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(value[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user, password

    def bearer(self) -> str | None:
        value = self.header("authorization")
        return value[7:] if value.lower().startswith("bearer ") else None


@attrs.frozen
class FakeResponse:
    """What a handler answers. ``headers`` are sent as given (case preserved)."""

    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def json(
        cls, data: Any, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> FakeResponse:
        body = json.dumps(data).encode()
        return cls(status, body, (("Content-Type", "application/json"), *(headers or {}).items()))

    @classmethod
    def text(
        cls, text: str, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> FakeResponse:
        return cls(
            status, text.encode(), (("Content-Type", "text/plain"), *(headers or {}).items())
        )

    @classmethod
    def empty(cls, status: int = 204, headers: Mapping[str, str] | None = None) -> FakeResponse:
        return cls(status, b"", tuple((headers or {}).items()))

    def with_headers(self, headers: Mapping[str, str]) -> FakeResponse:
        return attrs.evolve(self, headers=(*self.headers, *headers.items()))


@attrs.frozen
class LoggedRequest:
    """One request the server received (method, path, query, headers; no body)."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@attrs.define
class Fault:
    """A misbehaviour for matching requests.

    - ``status`` (+ ``retry_after``, ``body``, ``headers``): answer this instead.
    - ``delay``: wait this many seconds before answering (combines with the others).
    - ``truncate``: send half the real body with the full ``Content-Length``, then hang up
      (a short read). ``malformed``: send half the body with a matching length (bad JSON).
    - ``drop``: hang up without answering.
    - ``path`` / ``method``: a regex searched in the path, and a method; None matches all.
    - ``skip``: let this many matching requests through first.
    - ``times``: how many requests it affects (None: all of them, for ever).
    """

    status: int | None = None
    retry_after: str | None = None
    body: Any = None
    headers: Mapping[str, str] = attrs.field(factory=dict)
    delay: float = 0.0
    truncate: bool = False
    malformed: bool = False
    drop: bool = False
    path: str | None = None
    method: str | None = None
    skip: int = 0
    times: int | None = 1
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path is None or re.search(self.path, path) is not None

    def response(self) -> FakeResponse:
        """The answer for a ``status`` fault."""
        assert self.status is not None
        headers = dict(self.headers)
        if self.retry_after is not None:
            headers["Retry-After"] = self.retry_after
        body = self.body if self.body is not None else {"error": f"injected {self.status}"}
        return FakeResponse.json(body, self.status, headers)


class FaultPlan:
    """The faults in force, applied in the order they were added (thread safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> list[Fault]:
        """The faults that hit this request (each counted); spent faults are dropped."""
        hit: list[Fault] = []
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                if fault.times is not None:
                    if fault.times <= 0:
                        continue
                    fault.times -= 1
                fault.hits += 1
                hit.append(fault)
            self._faults = [f for f in self._faults if f.times is None or f.times > 0]
        return hit


class OAuth2TokenIssuer:
    """Issues and checks OAuth 2 client-credentials tokens for a fake server.

    - ``expires_in_as_string``: answer ``"expires_in": "3600"`` (PowerSchool) not ``3600``.
    - ``refusal_status`` / ``refusal_body``: the answer to bad credentials (PowerSchool
      style: ``refusal_status=200`` with ``{"error": ...}``).
    - ``required_scopes``: scopes the token request must ask for.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        lifetime: float = 3600.0,
        expires_in_as_string: bool = False,
        refusal_status: int = 401,
        refusal_body: Mapping[str, Any] | None = None,
        required_scopes: tuple[str, ...] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.lifetime = lifetime
        self.expires_in_as_string = expires_in_as_string
        self.refusal_status = refusal_status
        self.refusal_body = dict(refusal_body or {"error": "invalid_client"})
        self.required_scopes = required_scopes
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}
        self.tokens_issued = 0

    def token_endpoint(self, request: FakeRequest) -> FakeResponse:
        """Handle ``POST token_url`` (Basic auth, ``grant_type=client_credentials``)."""
        form = request.form()
        if request.basic_auth() != (self.client_id, self.client_secret):
            return FakeResponse.json(self.refusal_body, self.refusal_status)
        if form.get("grant_type") != "client_credentials":
            return FakeResponse.json({"error": "unsupported_grant_type"}, 400)
        asked = set(form.get("scope", "").split())
        if not set(self.required_scopes) <= asked:
            return FakeResponse.json({"error": "invalid_scope"}, 400)
        token = secrets.token_hex(16)
        with self._lock:
            self._tokens[token] = self._clock() + self.lifetime
            self.tokens_issued += 1
        expires: int | str = int(self.lifetime)
        if self.expires_in_as_string:
            expires = str(expires)
        return FakeResponse.json(
            {"access_token": token, "token_type": "Bearer", "expires_in": expires}
        )

    def check(self, request: FakeRequest) -> bool:
        """True when the request carries a token this issuer gave and that has not expired."""
        token = request.bearer()
        with self._lock:
            expires = self._tokens.get(token or "")
        return expires is not None and self._clock() < expires

    def expire_all(self) -> None:
        """Every token issued so far stops working (the next call answers 401)."""
        with self._lock:
            self._tokens.clear()


@attrs.frozen
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Callable[..., FakeResponse]


Guard = Callable[[FakeRequest], FakeResponse | None]


class FakeSisServer:
    """A threaded HTTP/1.1 server on ``127.0.0.1`` (a free port) with routes and faults.

    - :attr:`url`: ``http://127.0.0.1:PORT`` (no trailing slash).
    - :meth:`add_route`, :meth:`set_guard` / :meth:`use_oauth2`: what it serves.
    - :attr:`faults` / :meth:`inject`: misbehaviours (see :class:`Fault`).
    - :attr:`requests`: every request received, in order (:class:`LoggedRequest`).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._address = (host, port)
        self._routes: list[Route] = []
        self._guard: Guard | None = None
        self._open_paths: set[str] = set()
        self._log_lock = threading.Lock()
        self._log: list[LoggedRequest] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.faults = FaultPlan()
        self.issuer: OAuth2TokenIssuer | None = None

    # -- set-up ------------------------------------------------------------------------------

    def add_route(self, method: str, pattern: str, handler: Callable[..., FakeResponse]) -> None:
        """Serve ``method`` on paths fully matching ``pattern``; groups become kwargs."""
        self._routes.append(Route(method.upper(), re.compile(pattern), handler))

    def set_guard(self, guard: Guard | None, *, open_paths: tuple[str, ...] = ()) -> None:
        """Call ``guard`` before every route except ``open_paths``; a response it returns
        is sent instead (e.g. a 401)."""
        self._guard = guard
        self._open_paths = set(open_paths)

    def use_oauth2(
        self, issuer: OAuth2TokenIssuer, *, token_path: str = "/oauth/token"
    ) -> OAuth2TokenIssuer:
        """Serve tokens at ``token_path`` and require a valid bearer token everywhere else."""
        self.issuer = issuer
        self.add_route("POST", re.escape(token_path), issuer.token_endpoint)

        def guard(request: FakeRequest) -> FakeResponse | None:
            if issuer.check(request):
                return None
            return self.unauthorized(request)

        self.set_guard(guard, open_paths=(token_path,))
        return issuer

    def unauthorized(self, request: FakeRequest) -> FakeResponse:
        """The 401 for a missing, unknown or expired token (override for another shape)."""
        return FakeResponse.json(
            {"error": "invalid_token"},
            401,
            {
                "WWW-Authenticate": 'Bearer error="invalid_token", '
                'error_description="The access token has expired"'
            },
        )

    def inject(self, fault: Fault) -> Fault:
        """Add a fault to the plan (see :class:`Fault`)."""
        return self.faults.add(fault)

    # -- the log -----------------------------------------------------------------------------

    @property
    def requests(self) -> list[LoggedRequest]:
        with self._log_lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._log_lock:
            self._log.clear()

    # -- life --------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the fake SIS server is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeSisServer:
        if self._httpd is not None:
            return self
        handler = _make_handler(self)
        self._httpd = ThreadingHTTPServer(self._address, handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> FakeSisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- serving -----------------------------------------------------------------------------

    def dispatch(self, request: FakeRequest) -> FakeResponse:
        """Route ``request`` (guard first); 404 when no route matches, 405 for a wrong method."""
        methods_seen = False
        for route in self._routes:
            match = route.pattern.fullmatch(request.path)
            if match is None:
                continue
            methods_seen = True
            if route.method != request.method:
                continue
            if self._guard is not None and request.path not in self._open_paths:
                refused = self._guard(request)
                if refused is not None:
                    return refused
            try:
                return route.handler(request, **match.groupdict())
            except Exception as exc:  # a broken handler is a 500, like a real server
                return FakeResponse.json({"error": f"handler failed: {type(exc).__name__}"}, 500)
        if methods_seen:
            return FakeResponse.json({"error": "method not allowed"}, 405)
        return FakeResponse.json({"error": "not found"}, 404)

    def _record(self, request: FakeRequest) -> None:
        with self._log_lock:
            self._log.append(
                LoggedRequest(request.method, request.path, request.query, dict(request.headers))
            )


def _make_handler(server: FakeSisServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # answers go out at once (no 40 ms stalls)

        def log_message(self, format: str, *args: Any) -> None:
            return  # keep test output clean

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            headers = _lower(dict(self.headers.items()))
            request = FakeRequest(
                method=self.command,
                path=unquote(parts.path),
                raw_path=parts.path,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers=headers,
                body=body,
                url=f"http://{headers.get('host', '127.0.0.1')}{self.path}",
            )
            server._record(request)
            faults = server.faults.take(request.method, request.path)
            for fault in faults:
                if fault.delay:
                    time.sleep(fault.delay)
            if any(f.drop for f in faults):
                self.close_connection = True
                return
            status_fault = next((f for f in faults if f.status is not None), None)
            response = (
                status_fault.response() if status_fault is not None else server.dispatch(request)
            )
            payload = response.body
            declared = len(payload)
            if any(f.malformed for f in faults):
                payload = payload[: len(payload) // 2]
                declared = len(payload)
            truncate = any(f.truncate for f in faults)
            if truncate:
                payload = payload[: len(payload) // 2]
            self.send_response_only(response.status)
            for name, value in response.headers:
                if name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(declared))
            if truncate:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
            if truncate:
                self.close_connection = True

        do_GET = _serve
        do_POST = _serve
        do_PUT = _serve
        do_DELETE = _serve
        do_PATCH = _serve
        do_HEAD = _serve

    return Handler
