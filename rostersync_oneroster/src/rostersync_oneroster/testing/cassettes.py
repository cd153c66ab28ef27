"""vcrpy cassettes of the connector's HTTP traffic, recorded from the fake server.

Replay is the default and never touches the network; set ``ROSTERSYNC_RECORD_CASSETTES=1``
to re-record against a live :class:`FakeOneRosterServer`. Requests are matched on method,
path and query (not host or port: the fake server's port changes every run).

Before anything is written: ``Authorization`` (and cookie) headers are dropped, tokens in
a JSON body become ``<redacted>``, password fields are removed, and the client secret is
replaced wherever it appears. :func:`cassette_problems` checks a folder for leftovers.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["RECORD_ENV", "cassette_problems", "recording", "use_cassette"]

RECORD_ENV = "ROSTERSYNC_RECORD_CASSETTES"
_SECRET_HEADERS = ["authorization", "cookie", "set-cookie", "proxy-authorization"]
_TOKEN_KEYS = frozenset({"access_token", "refresh_token", "id_token", "client_secret"})
_SECRET_FIELD = re.compile(
    rb'("(?:access_token|refresh_token|id_token|client_secret|password)"\s*:\s*")[^"]*"'
)


def recording() -> bool:
    """True when cassettes are to be re-recorded."""
    return os.environ.get(RECORD_ENV, "") not in ("", "0")


def _clean(value: Any) -> Any:
    """A JSON value without password fields and with tokens redacted."""
    if isinstance(value, dict):
        return {
            k: ("<redacted>" if k in _TOKEN_KEYS else _clean(v))
            for k, v in value.items()
            if k != "password"
        }
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _scrub(data: Any, secrets: Iterable[str]) -> Any:
    if data is None:
        return None
    raw = data.encode() if isinstance(data, str) else bytes(data)
    for secret in secrets:
        raw = raw.replace(secret.encode(), b"<secret>")
    try:
        raw = json.dumps(_clean(json.loads(raw))).encode()
    except (ValueError, UnicodeDecodeError):
        raw = _SECRET_FIELD.sub(rb'\1<redacted>"', raw)
    return raw.decode() if isinstance(data, str) else raw


@contextlib.contextmanager
def use_cassette(path: Path, *, secrets: Iterable[str] = ()) -> Iterator[None]:
    """Record (when :func:`recording`) or replay the HTTP traffic inside the block."""
    import vcr

    record = recording()
    if not record and not path.exists():
        raise FileNotFoundError(f"no cassette at {path}: record it with {RECORD_ENV}=1 pytest ...")
    hidden = [s for s in secrets if s]

    def before_request(request: Any) -> Any:
        request.body = _scrub(request.body, hidden)
        return request

    def before_response(response: dict[str, Any]) -> dict[str, Any]:
        body = response.get("body", {})
        if "string" in body:
            body["string"] = _scrub(body["string"], hidden)
        headers = response.get("headers", {})
        for name in list(headers):
            if name.lower() in _SECRET_HEADERS:
                del headers[name]
        return response

    recorder = vcr.VCR(
        record_mode="all" if record else "none",
        match_on=["method", "path", "query"],
        filter_headers=_SECRET_HEADERS,
        before_record_request=before_request,
        before_record_response=before_response,
        decode_compressed_response=True,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with recorder.use_cassette(str(path), allow_playback_repeats=True):
        yield


def cassette_problems(folder: Path, secrets: Iterable[str]) -> list[str]:
    """What in the cassettes under ``folder`` must not be there (empty when clean)."""
    problems: list[str] = []
    for file in sorted(folder.rglob("*.yaml")):
        text = file.read_text()
        lowered = text.lower()
        if re.search(r"^\s*-?\s*authorization:", lowered, re.M):
            problems.append(f"{file.name}: an Authorization header")
        if re.search(r"\bbearer\s+[a-z0-9]", lowered) or "basic " in lowered:
            problems.append(f"{file.name}: a bearer or basic credential")
        for secret in secrets:
            if secret and secret in text:
                problems.append(f"{file.name}: the client secret")
        if re.search(r'\\?"password\\?"\s*:', text):
            problems.append(f"{file.name}: a password field")
        for field in ("access_token", "client_secret"):
            for match in re.finditer(rf'\\?"{field}\\?"\s*:\s*\\?"([^"\\]*)', text):
                if match.group(1) not in ("<redacted>", ""):
                    problems.append(f"{file.name}: a {field} value")
    return problems
