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

import re
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import attrs

from rostersync_core.testing.fake_sis_faults import Fault, FaultPlan
from rostersync_core.testing.fake_sis_http import FakeRequest, FakeResponse, LoggedRequest
from rostersync_core.testing.fake_sis_oauth import OAuth2TokenIssuer

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


@attrs.frozen
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Callable[..., FakeResponse]


Guard = Callable[[FakeRequest], FakeResponse | None]


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


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
