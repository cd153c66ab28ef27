"""Requests and responses as the fake SIS base sees them (see :mod:`.fake_sis`)."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

import attrs

__all__ = ["FakeRequest", "FakeResponse", "LoggedRequest"]


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
