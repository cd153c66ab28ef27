"""Recorded HTTP cassettes for the contract suite (vcrpy): replay by default, record on demand.

Replay (the default) never touches the network: a request with no recorded answer fails.
``pytest --rostersync-record`` re-records every cassette against the SIS the config points
at. Before anything is written, secrets are scrubbed: ``Authorization`` and cookie headers
are dropped, every secret config value (raw or URL-encoded) is replaced by ``<secret>`` in
URLs and bodies, and token fields in JSON answers (``access_token``...) are replaced by
``<redacted>``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = ["SCRUBBED", "cassette", "scan_for_secrets", "secret_forms", "shows_secret"]

SCRUBBED = "<secret>"
_TOKEN_FIELD = re.compile(
    rb'("(?:access_token|refresh_token|id_token|token|client_secret|password)"\s*:\s*")[^"]*"'
)
_SECRET_HEADERS = ["authorization", "cookie", "set-cookie", "x-api-key", "proxy-authorization"]


def secret_forms(secret: str) -> list[str]:
    """``secret`` as it may be sent: raw, and URL-encoded in a path, a query string or a
    form body (``+``, ``/`` and ``=`` of generated secrets are encoded), longest first."""
    forms = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret)}
    return sorted(forms, key=len, reverse=True)


def shows_secret(text: str, secret: str) -> bool:
    """Whether ``text`` holds ``secret`` in any of its :func:`secret_forms`."""
    return any(form in text for form in secret_forms(secret))


def _scrub_bytes(data: Any, secrets: Iterable[str]) -> Any:
    if data is None:
        return None
    raw = data.encode() if isinstance(data, str) else bytes(data)
    for secret in secrets:
        for form in secret_forms(secret):
            raw = raw.replace(form.encode(), SCRUBBED.encode())
    raw = _TOKEN_FIELD.sub(rb'\1<redacted>"', raw)
    return raw.decode() if isinstance(data, str) else raw


def _scrubbers(secrets: set[str]) -> tuple[Any, Any]:
    def before_request(request: Any) -> Any:
        for secret in secrets:
            for form in secret_forms(secret):
                request.uri = request.uri.replace(form, SCRUBBED)
        for name, value in list(request.headers.items()):  # an SIS's own key header
            if isinstance(value, str | bytes):
                request.headers[name] = _scrub_bytes(value, secrets)
        request.body = _scrub_bytes(request.body, secrets)
        return request

    def before_response(response: dict[str, Any]) -> dict[str, Any]:
        body = response.get("body", {})
        if "string" in body:
            body["string"] = _scrub_bytes(body["string"], secrets)
        headers = response.get("headers", {})
        for name in list(headers):
            if name.lower() in _SECRET_HEADERS:
                del headers[name]
        return response

    return before_request, before_response


@contextlib.contextmanager
def cassette(path: Path, *, record: bool, secrets: set[str]) -> Iterator[None]:
    """Replay (or, with ``record``, re-record) the HTTP traffic of one test from ``path``."""
    try:
        import vcr
    except ImportError:  # pragma: no cover - vcrpy is a dev dependency
        raise RuntimeError(
            "the contract suite's cassettes need vcrpy: pip install vcrpy"
        ) from None
    if not record and not path.exists():
        raise FileNotFoundError(
            f"no recorded cassette at {path}; record it once against a test SIS with "
            "`pytest --rostersync-record` (see docs/contract-suite.md)"
        )
    before_request, before_response = _scrubbers(secrets)
    recorder = vcr.VCR(
        record_mode="all" if record else "none",
        filter_headers=_SECRET_HEADERS,
        before_record_request=before_request,
        before_record_response=before_response,
        decode_compressed_response=True,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with recorder.use_cassette(str(path), allow_playback_repeats=True):
        yield


def scan_for_secrets(directory: Path, secrets: set[str]) -> list[tuple[Path, str]]:
    """``(file, secret)`` for each secret value found in a cassette under ``directory``."""
    found = []
    for file in sorted(directory.rglob("*")):
        if file.is_file():
            text = file.read_bytes()
            found += [
                (file, s)
                for s in sorted(secrets)
                if any(form.encode() in text for form in secret_forms(s))
            ]
    return found
