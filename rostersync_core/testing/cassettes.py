"""Recorded HTTP cassettes (vcrpy), scrubbed of every credential: one implementation for the
contract suite and the connectors' own tests.

:func:`cassette` replays a cassette (the default; a request with no recorded answer fails and
nothing touches the network) or, with ``record=True``, records it. Before anything is
written:

- secret-bearing headers (``Authorization``, cookies, ``X-Api-Key``...) are dropped, and every
  secret value (raw or URL-encoded, see :func:`secret_forms`) is replaced by ``<secret>`` in
  the URI, in the remaining headers (an SIS's own key header keeps its name, not its value)
  and in bodies;
- in a JSON body, ``password`` fields are removed and token fields (``access_token``,
  ``client_secret``...) become ``<redacted>``; in any other body their values are redacted.

:func:`cassette_problems` reads a folder of cassettes back and names whatever must not be
there (an empty list when clean).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = [
    "MATCH_ANY_ADDRESS",
    "MATCH_EXACT",
    "REDACTED",
    "SCRUBBED",
    "cassette",
    "cassette_problems",
    "env_asks_to_record",
    "scrub_body",
    "secret_forms",
    "shows_secret",
]

SCRUBBED = "<secret>"
REDACTED = "<redacted>"
#: vcrpy's default matching: the same address (scheme, host, port), path and query.
MATCH_EXACT: tuple[str, ...] = ("method", "scheme", "host", "port", "path", "query")
#: For a fake server whose port changes every run: method, path and query only.
MATCH_ANY_ADDRESS: tuple[str, ...] = ("method", "path", "query")

SECRET_HEADERS = ("authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key")
TOKEN_FIELDS = frozenset(
    {"access_token", "refresh_token", "id_token", "token", "client_secret"}
)
PASSWORD_FIELD = "password"
_FIELD_VALUE = re.compile(
    rb'("(?:' + b"|".join(re.escape(f.encode()) for f in sorted(TOKEN_FIELDS | {"password"}))
    + rb')"\s*:\s*")[^"]*"'
)


def secret_forms(secret: str) -> list[str]:
    """``secret`` as it may be sent: raw, and URL-encoded in a path, a query string or a
    form body (``+``, ``/`` and ``=`` of generated secrets are encoded), longest first."""
    forms = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret)}
    return sorted(forms, key=len, reverse=True)


def shows_secret(text: str, secret: str) -> bool:
    """Whether ``text`` holds ``secret`` in any of its :func:`secret_forms`."""
    return any(form in text for form in secret_forms(secret))


def env_asks_to_record(name: str) -> bool:
    """Whether the environment variable ``name`` asks for re-recording (``1``/``true``/``yes``)."""
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


def _clean(value: Any) -> Any:
    """A JSON value without password fields and with token fields redacted."""
    if isinstance(value, dict):
        return {
            k: (REDACTED if k in TOKEN_FIELDS else _clean(v))
            for k, v in value.items()
            if k != PASSWORD_FIELD
        }
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _replace_secrets(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        for form in secret_forms(secret):
            text = text.replace(form, SCRUBBED)
    return text


def scrub_body(data: Any, secrets: Iterable[str]) -> Any:
    """``data`` (str, bytes or None, kept as such) with secrets replaced, password fields
    removed and token fields redacted. A JSON body is rewritten only when something in it
    changed, so a clean answer is stored byte for byte."""
    if data is None:
        return None
    raw = data.encode() if isinstance(data, str) else bytes(data)
    for secret in secrets:
        for form in secret_forms(secret):
            raw = raw.replace(form.encode(), SCRUBBED.encode())
    try:
        parsed = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raw = _FIELD_VALUE.sub(rb'\1' + REDACTED.encode() + rb'"', raw)
    else:
        cleaned = _clean(parsed)
        if cleaned != parsed:
            raw = json.dumps(cleaned).encode()
    return raw.decode() if isinstance(data, str) else raw


def _scrubbers(secrets: Sequence[str], uri_aliases: Mapping[str, str]) -> tuple[Any, Any]:
    def before_request(request: Any) -> Any:
        for live, stored in uri_aliases.items():
            request.uri = request.uri.replace(live, stored)
        request.uri = _replace_secrets(request.uri, secrets)
        for name, value in list(request.headers.items()):  # an SIS's own key header
            if isinstance(value, str | bytes):
                request.headers[name] = scrub_body(value, secrets)
        request.body = scrub_body(request.body, secrets)
        return request

    def before_response(response: dict[str, Any]) -> dict[str, Any]:
        body = response.get("body", {})
        if "string" in body:
            body["string"] = scrub_body(body["string"], secrets)
        headers = response.get("headers", {})
        for name in list(headers):
            if name.lower() in SECRET_HEADERS:
                del headers[name]
        return response

    return before_request, before_response


@contextlib.contextmanager
def cassette(
    path: Path,
    *,
    record: bool,
    secrets: Iterable[str] = (),
    match_on: Sequence[str] = MATCH_EXACT,
    uri_aliases: Mapping[str, str] | None = None,
    allow_playback_repeats: bool = True,
    how_to_record: str = "once against a test SIS with `pytest --rostersync-record` "
    "(see docs/contract-suite.md)",
) -> Iterator[None]:
    """Replay (or, with ``record``, record) the HTTP traffic inside the block from ``path``.

    ``secrets`` are scrubbed from what is recorded; ``match_on`` names what a request must
    share with a recorded one (:data:`MATCH_EXACT` or :data:`MATCH_ANY_ADDRESS`);
    ``uri_aliases`` maps a live address prefix to the one stored (``{server.url:
    "http://sis.test"}``); ``how_to_record`` ends the error for a missing cassette.
    """
    try:
        import vcr
    except ImportError:  # pragma: no cover - vcrpy is a dev dependency
        raise RuntimeError("recorded cassettes need vcrpy: pip install vcrpy") from None
    if not record and not path.exists():
        raise FileNotFoundError(f"no recorded cassette at {path}; record it {how_to_record}")
    before_request, before_response = _scrubbers(
        [s for s in secrets if s], uri_aliases or {}
    )
    recorder = vcr.VCR(
        record_mode="all" if record else "none",
        match_on=list(match_on),
        filter_headers=list(SECRET_HEADERS),
        before_record_request=before_request,
        before_record_response=before_response,
        decode_compressed_response=True,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with recorder.use_cassette(str(path), allow_playback_repeats=allow_playback_repeats):
        yield


_AUTHORIZATION = re.compile(r"^\s*-?\s*(?:proxy-)?authorization:", re.I | re.M)
#: ``Bearer abc123``, not a ``WWW-Authenticate: Bearer realm="..."`` challenge.
_BEARER = re.compile(r'\bbearer\s+(?![a-z_-]+\s*=\s*")[a-z0-9]', re.I)
_HEX_TOKEN = re.compile(r"\b[0-9a-fA-F]{32,}\b")
_PASSWORD = re.compile(r'\\?"password\\?"\s*:')
_FIELD_VALUES = [
    (field, re.compile(rf'\\?"{field}\\?"\s*:\s*\\?"([^"\\]*)')) for field in sorted(TOKEN_FIELDS)
]


def cassette_problems(folder: Path, secrets: Iterable[str]) -> list[str]:
    """What in the cassettes under ``folder`` must not be there, one readable line each
    (empty when clean): an Authorization header, a bearer or basic credential, a secret
    (raw or URL-encoded; pass an encoded credential such as a Basic ``id:secret`` as a
    secret too), a password field, a token field's value, a bare token-like hex string.
    Never quotes what it found."""
    wanted = sorted({s for s in secrets if s})
    problems: list[str] = []
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = file.relative_to(folder).as_posix()
        text = file.read_text(errors="replace")
        if _AUTHORIZATION.search(text):
            problems.append(f"{name}: an Authorization header")
        if _BEARER.search(text) or "basic " in text.lower():
            problems.append(f"{name}: a bearer or basic credential")
        problems += [
            f"{name}: secret #{number} of those given"
            for number, secret in enumerate(wanted, 1)
            if shows_secret(text, secret)
        ]
        if _PASSWORD.search(text):
            problems.append(f"{name}: a password field")
        for field, pattern in _FIELD_VALUES:
            if any(m.group(1) not in (REDACTED, SCRUBBED, "") for m in pattern.finditer(text)):
                problems.append(f"{name}: a value in the {field} field")
        if _HEX_TOKEN.search(text):
            problems.append(f"{name}: a token-like hex string")
    return problems
