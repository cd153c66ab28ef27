"""OAuth 1.0a request signing (RFC 5849), as OneRoster 1.1 servers expect it.

One-legged: a consumer key and secret, no token. Every query parameter (and every
form-encoded body parameter) is covered by the signature; HMAC-SHA256 by default,
HMAC-SHA1 for older servers. Written here on ``hmac``/``hashlib`` (it is short) rather
than pulling in a dependency. The fake servers use :func:`signature` to verify requests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import parse_qsl, quote, urlsplit

__all__ = [
    "SIGNATURE_METHODS",
    "authorization_header",
    "base_string",
    "normalised_url",
    "parse_authorization_header",
    "percent_encode",
    "signature",
]

SIGNATURE_METHODS: Mapping[str, Callable[..., object]] = {
    "HMAC-SHA256": hashlib.sha256,
    "HMAC-SHA1": hashlib.sha1,
}


def percent_encode(value: str) -> str:
    """RFC 3986 encoding: everything but unreserved characters (``A-Za-z0-9-._~``)."""
    return quote(value, safe="-._~")


def normalised_url(url: str) -> str:
    """Scheme and host lower-cased, default port dropped, no query or fragment."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is not None and not (
        (scheme == "http" and port == 80) or (scheme == "https" and port == 443)
    ):
        host = f"{host}:{port}"
    return f"{scheme}://{host}{parts.path or '/'}"


def base_string(method: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """The signature base string: method, URL and every parameter, sorted and encoded."""
    encoded = sorted((percent_encode(k), percent_encode(v)) for k, v in params)
    normalised = "&".join(f"{k}={v}" for k, v in encoded)
    return "&".join(
        (method.upper(), percent_encode(normalised_url(url)), percent_encode(normalised))
    )


def signature(
    method: str,
    url: str,
    params: Iterable[tuple[str, str]],
    consumer_secret: str,
    *,
    token_secret: str = "",
    signature_method: str = "HMAC-SHA256",
) -> str:
    """The base64 HMAC signature of a request.

    ``url`` may carry a query string: its parameters are signed along with ``params``
    (which holds the ``oauth_*`` parameters, minus ``oauth_signature``, and any form body).
    """
    digest = SIGNATURE_METHODS.get(signature_method)
    if digest is None:
        raise ValueError(f"unsupported OAuth 1 signature method {signature_method!r}")
    all_params = [*parse_qsl(urlsplit(url).query, keep_blank_values=True), *params]
    key = f"{percent_encode(consumer_secret)}&{percent_encode(token_secret)}"
    text = base_string(method, url, all_params)
    mac = hmac.new(key.encode(), text.encode(), digest)  # type: ignore[arg-type]
    return base64.b64encode(mac.digest()).decode()


def authorization_header(
    method: str,
    url: str,
    *,
    consumer_key: str,
    consumer_secret: str,
    signature_method: str = "HMAC-SHA256",
    body_params: Iterable[tuple[str, str]] = (),
    nonce: str | None = None,
    timestamp: int | None = None,
) -> str:
    """The ``Authorization: OAuth ...`` value signing one request."""
    oauth = {
        "oauth_consumer_key": consumer_key,
        "oauth_nonce": nonce or secrets.token_hex(16),
        "oauth_signature_method": signature_method,
        "oauth_timestamp": str(timestamp if timestamp is not None else int(time.time())),
        "oauth_version": "1.0",
    }
    oauth["oauth_signature"] = signature(
        method,
        url,
        [*oauth.items(), *body_params],
        consumer_secret,
        signature_method=signature_method,
    )
    fields = ", ".join(f'{k}="{percent_encode(v)}"' for k, v in sorted(oauth.items()))
    return f"OAuth {fields}"


def parse_authorization_header(value: str) -> dict[str, str]:
    """The ``oauth_*`` parameters of an ``Authorization: OAuth ...`` value (decoded)."""
    from urllib.parse import unquote

    if not value.startswith("OAuth "):
        return {}
    result: dict[str, str] = {}
    for part in value[len("OAuth ") :].split(","):
        name, _, quoted = part.strip().partition("=")
        if name and quoted.startswith('"') and quoted.endswith('"'):
            result[name] = unquote(quoted[1:-1])
    return result
