"""Credentials at rest: a connection's config is sealed with Fernet before it is stored.

The key comes from ``$ROSTERSYNC_SECRET_KEY`` (a Fernet key: 32 url-safe base64 bytes),
else from the key file ``home()/secret.key``, created with mode 0600 on first use.
Neither the key nor a sealed value ever appears in a message.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from rostersync_core.errors import StateStoreError
from rostersync_core.paths import home

__all__ = [
    "KEY_ENV", "KEY_FILE_NAME", "CredentialBox", "key_configured", "key_file", "load_key",
]

KEY_ENV = "ROSTERSYNC_SECRET_KEY"
KEY_FILE_NAME = "secret.key"


def key_file() -> Path:
    """Where the key file lives: ``home()/secret.key``."""
    return home() / KEY_FILE_NAME


def key_configured() -> bool:
    """Whether a key exists: ``$ROSTERSYNC_SECRET_KEY`` set, or the key file present."""
    return bool(os.environ.get(KEY_ENV, "").strip()) or key_file().exists()


def _check(key: bytes, source: str) -> bytes:
    try:
        Fernet(key)
    except (ValueError, TypeError):
        raise StateStoreError(
            f"the credentials key from {source} is not a valid key",
            hint="it must be 32 url-safe base64-encoded bytes (Fernet.generate_key())",
        ) from None
    return key


def load_key() -> bytes:
    """The credentials key: ``$ROSTERSYNC_SECRET_KEY``, else the key file (created 0600)."""
    return _load_key()[0]


def _load_key() -> tuple[bytes, str]:
    """The key and where it came from, in words (for a message: never the key itself)."""
    raw = os.environ.get(KEY_ENV, "").strip()
    if raw:
        return _check(raw.encode(), f"${KEY_ENV}"), f"${KEY_ENV}"
    path = key_file()
    created = False
    if not path.exists():
        key = Fernet.generate_key()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(key + b"\n")
            created = True
    where = f"the key file {path}" + (" (just created: no key was found)" if created else "")
    return _check(path.read_bytes().strip(), f"the key file {path}"), where


class CredentialBox:
    """Seals and opens connection configs with one key."""

    def __init__(self, key: bytes | None = None) -> None:
        if key is None:
            key, self._source = _load_key()
        else:
            self._source = "the key given"
        self._fernet = Fernet(key)

    def __repr__(self) -> str:
        return "CredentialBox(key=hidden)"

    def seal(self, config: Mapping[str, Any]) -> str:
        """``config`` as an encrypted token (text)."""
        return self._fernet.encrypt(json.dumps(dict(config), sort_keys=True).encode()).decode()

    def open(self, token: str, *, school_id: str = "") -> dict[str, Any]:
        """The config sealed in ``token``; :class:`StateStoreError` if the key is wrong."""
        try:
            data = self._fernet.decrypt(token.encode())
        except InvalidToken:
            where = f" of school {school_id!r}" if school_id else ""
            raise StateStoreError(
                f"the stored credentials{where} cannot be decrypted with the key from "
                f"{self._source}",
                hint=f"set ${KEY_ENV} (or the key file {key_file()}) to the key used at "
                "setup, or run setup again",
            ) from None
        config: dict[str, Any] = json.loads(data)
        return config
