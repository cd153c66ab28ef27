"""OAuth 2 client-credentials tokens for fake SIS servers (see :mod:`.fake_sis`)."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from rostersync_core.testing.fake_sis_http import FakeRequest, FakeResponse

__all__ = ["OAuth2TokenIssuer"]


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
