"""How a client proves who it is: OAuth 2 client credentials and OAuth 1.0a signing.

An auth object is handed to :class:`~rostersync_core.http.client.SisClient`; the client
calls :meth:`SisAuth.apply` on every attempt of every request, and
:meth:`SisAuth.refresh` once when the SIS answers 401/403 (a second refusal is an
:class:`~rostersync_core.errors.AuthenticationError`).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qsl, urlsplit

import requests

from rostersync_core.errors import AuthenticationError, InvalidSisDataError
from rostersync_core.http import oauth1

if TYPE_CHECKING:
    from rostersync_core.http.client import SisClient

__all__ = ["OAuth1Signing", "OAuth2ClientCredentials", "SisAuth", "StaticBearerToken"]

_CREDENTIALS_HINT = "check the client id and secret, then run setup again"


class SisAuth(Protocol):
    """What :class:`SisClient` needs from an auth scheme."""

    def apply(self, request: requests.PreparedRequest, client: SisClient) -> None:
        """Add credentials to ``request`` (called before every attempt)."""

    def refresh(self, request: requests.PreparedRequest, client: SisClient) -> bool:
        """The SIS refused ``request``'s credentials: renew them if possible.

        Return True when a retry with fresh credentials makes sense.
        """


class StaticBearerToken:
    """A fixed bearer token (an API key); cannot be refreshed."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "StaticBearerToken(<hidden>)"

    def apply(self, request: requests.PreparedRequest, client: SisClient) -> None:
        request.headers["Authorization"] = f"Bearer {self._token}"

    def refresh(self, request: requests.PreparedRequest, client: SisClient) -> bool:
        return False


def _expires_in(value: Any, default: float) -> float:
    """``expires_in`` as seconds: a number or a string of digits (PowerSchool)."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return default
    return default


def _oauth_error_code(body: Any) -> str:
    """The RFC 6749 ``error`` code of a token answer (``invalid_client``...), or ``""``.

    Only a short lower-case code is kept: the value comes from outside and may be anything.
    """
    code = body.get("error") if isinstance(body, dict) else None
    if isinstance(code, str) and re.fullmatch(r"[a-z_]{1,40}", code):
        return code
    return ""


class OAuth2ClientCredentials:
    """OAuth 2 client credentials grant, the token cached until it expires.

    ``token_url`` is absolute, or a path on the client's base URL. The token request is a
    ``POST`` with ``Authorization: Basic base64(id:secret)`` and the form body
    ``grant_type=client_credentials`` (plus ``scope`` when ``scopes`` are given). The
    answer's ``expires_in`` may be a number or a string; a JSON body carrying an ``error``
    key is a refusal even with HTTP 200. Refusals raise
    :class:`~rostersync_core.errors.AuthenticationError`; an unreachable token endpoint
    :class:`~rostersync_core.errors.SisUnavailableError` (after retries).
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        scopes: Sequence[str] = (),
        default_lifetime: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.scopes = tuple(scopes)
        self.default_lifetime = default_lifetime
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        #: How many tokens were fetched (tests and logs use it; never the token itself).
        self.tokens_fetched = 0

    def __repr__(self) -> str:
        return f"OAuth2ClientCredentials(token_url={self.token_url!r}, client_id=<hidden>)"

    def _fetch(self, client: SisClient) -> None:
        form = {"grant_type": "client_credentials"}
        if self.scopes:
            form["scope"] = " ".join(self.scopes)
        response = client.request(
            "POST",
            self.token_url,
            data=form,
            headers={"Accept": "application/json"},
            basic_auth=(self.client_id, self._client_secret),
            authenticate=False,
            check_status=False,
        )
        where = f"the token endpoint {response.path} on {response.host}"
        body: Any = None
        if response.content.strip():
            try:
                body = response.json()
            except InvalidSisDataError:
                body = None
        has_error = isinstance(body, dict) and "error" in body
        refused = response.status in (400, 401, 403) or (response.ok and has_error)
        if refused:
            code = _oauth_error_code(body)
            if code == "invalid_scope":
                raise AuthenticationError(
                    f"the SIS refused the scopes asked for ({where} answered "
                    f"{response.status}, invalid_scope)",
                    hint="check the scopes the connection asks for against those the SIS "
                    "granted this client, then run setup again",
                )
            with_error = f" with error {code}" if code else (" with an error" if has_error else "")
            raise AuthenticationError(
                f"the SIS refused the client id and secret ({where} answered "
                f"{response.status}{with_error})",
                hint=_CREDENTIALS_HINT,
            )
        client.raise_for_status(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise InvalidSisDataError(f"{where} answered without an access token")
        lifetime = _expires_in(body.get("expires_in"), self.default_lifetime)
        leeway = min(60.0, lifetime * 0.1)
        self._token = token
        self._expires_at = self._clock() + lifetime - leeway
        self.tokens_fetched += 1

    def token(self, client: SisClient) -> str:
        """The cached token, fetched anew when missing or about to expire."""
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at:
                self._token = None
                self._fetch(client)
            assert self._token is not None
            return self._token

    def apply(self, request: requests.PreparedRequest, client: SisClient) -> None:
        request.headers["Authorization"] = f"Bearer {self.token(client)}"

    def refresh(self, request: requests.PreparedRequest, client: SisClient) -> bool:
        used = request.headers.get("Authorization", "")
        with self._lock:
            # Another thread may already have replaced the refused token.
            if self._token is not None and used == f"Bearer {self._token}":
                self._token = None
        return True

    def invalidate(self) -> None:
        """Forget the cached token (the next request fetches a new one)."""
        with self._lock:
            self._token = None


class OAuth1Signing:
    """OAuth 1.0a one-legged signing (HMAC-SHA256 or HMAC-SHA1) of every request.

    The signature covers the method, the URL and every query (and form body) parameter;
    a fresh nonce and timestamp are used for every attempt.
    """

    def __init__(
        self, consumer_key: str, consumer_secret: str, *, signature_method: str = "HMAC-SHA256"
    ) -> None:
        if signature_method not in oauth1.SIGNATURE_METHODS:
            raise ValueError(f"unsupported OAuth 1 signature method {signature_method!r}")
        self.consumer_key = consumer_key
        self._consumer_secret = consumer_secret
        self.signature_method = signature_method

    def __repr__(self) -> str:
        return f"OAuth1Signing(signature_method={self.signature_method!r}, consumer_key=<hidden>)"

    def apply(self, request: requests.PreparedRequest, client: SisClient) -> None:
        body_params: list[tuple[str, str]] = []
        content_type = request.headers.get("Content-Type", "")
        if content_type.startswith("application/x-www-form-urlencoded") and request.body:
            body = request.body if isinstance(request.body, str) else request.body.decode()
            body_params = parse_qsl(body, keep_blank_values=True)
        url = request.url or ""
        request.headers["Authorization"] = oauth1.authorization_header(
            (request.method or "GET"),
            url,
            consumer_key=self.consumer_key,
            consumer_secret=self._consumer_secret,
            signature_method=self.signature_method,
            body_params=body_params,
        )
        assert urlsplit(url).scheme  # signed URLs are absolute

    def refresh(self, request: requests.PreparedRequest, client: SisClient) -> bool:
        return False
