"""A OneRoster connection's config: its JSON Schema and how a source is built from it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rostersync_core.http import (
    OAuth1Signing,
    OAuth2ClientCredentials,
    RequestLimits,
    RetryPolicy,
    SisAuth,
    SisClient,
)
from rostersync_oneroster.csv_source import CsvSource
from rostersync_oneroster.rest import RestSource
from rostersync_oneroster.shared_users import DEFAULT_MAX_AGE, UsersShare, secret_digest
from rostersync_oneroster.source import RosterSource

__all__ = ["BASE_PATHS", "CONFIG_SCHEMA", "DEFAULT_SCOPES", "build_source"]

#: The REST service root under the server address, per OneRoster version.
BASE_PATHS = {"1.2": "/ims/oneroster/rostering/v1p2", "1.1": "/ims/oneroster/v1p1"}
#: Scopes asked for by default with OAuth 2 (read-only rostering).
DEFAULT_SCOPES = {
    "1.2": ("https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly",),
    "1.1": (),
}

CONFIG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "source": {
            "type": "string",
            "enum": ["rest", "csv"],
            "default": "rest",
            "description": "Read the REST rostering service, or a OneRoster CSV zip/folder.",
        },
        "base_url": {
            "type": "string",
            "pattern": "^https?://",
            "description": "The SIS server address, e.g. https://sis.example.org.",
        },
        "version": {
            "type": "string",
            "enum": ["1.1", "1.2"],
            "default": "1.2",
            "description": "OneRoster version.",
        },
        "base_path": {
            "type": "string",
            "description": "The service root under base_url (default: the version's standard "
            "path, /ims/oneroster/rostering/v1p2 or /ims/oneroster/v1p1).",
        },
        "auth": {
            "type": "string",
            "enum": ["oauth2", "oauth1"],
            "default": "oauth2",
            "description": "OAuth 2 client credentials, or OAuth 1.0a request signing.",
        },
        "client_id": {"type": "string", "minLength": 1, "description": "Client id / key."},
        "client_secret": {
            "type": "string",
            "minLength": 1,
            "writeOnly": True,
            "description": "Client secret (kept encrypted, never shown).",
        },
        "oauth_url": {
            "type": "string",
            "description": "OAuth 2 token endpoint (default: <base_url>/oauth/token).",
        },
        "scopes": {
            "type": "array",
            "items": {"type": "string"},
            "description": "OAuth 2 scopes (default for 1.2: roster-core.readonly).",
        },
        "signature_method": {
            "type": "string",
            "enum": ["HMAC-SHA256", "HMAC-SHA1"],
            "default": "HMAC-SHA256",
        },
        "page_size": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100},
        "max_concurrency": {"type": "integer", "minimum": 1, "maximum": 20, "default": 5},
        "requests_per_second": {"type": "number", "exclusiveMinimum": 0},
        "timeout_seconds": {"type": "number", "exclusiveMinimum": 0, "default": 30},
        "shared_users_max_age_seconds": {
            "type": "number",
            "minimum": 0,
            "maximum": 86400,
            "default": DEFAULT_MAX_AGE,
            "description": "How long one district-wide read of users may serve the syncs "
            "of the district's other schools in the same process (each school at most "
            "once); 0 reads users for every school.",
        },
        "path": {"type": "string", "minLength": 1, "description": "CSV zip file or folder."},
    },
    "additionalProperties": False,
    "if": {"properties": {"source": {"const": "csv"}}, "required": ["source"]},
    "then": {"required": ["path"]},
    "else": {"required": ["base_url", "client_id", "client_secret"]},
}


def build_source(config: Mapping[str, Any], *, retry: RetryPolicy | None = None) -> RosterSource:
    """The source a (validated) config describes. Makes no request."""
    if config.get("source", "rest") == "csv":
        return CsvSource(str(config["path"]))
    version = str(config.get("version", "1.2"))
    base_url = str(config["base_url"]).rstrip("/")
    base_path = str(config.get("base_path") or BASE_PATHS[version])
    service_url = base_url + "/" + base_path.strip("/")
    auth: SisAuth
    # What decides which records the service gives: a users read is shared only among
    # sources agreeing on all of it (the secret as a keyed digest, never in clear).
    share_key: tuple[str, ...] = (service_url, version, str(config["client_id"]))
    if config.get("auth", "oauth2") == "oauth1":
        signature_method = str(config.get("signature_method", "HMAC-SHA256"))
        auth = OAuth1Signing(
            str(config["client_id"]),
            str(config["client_secret"]),
            signature_method=signature_method,
        )
        share_key += ("oauth1", signature_method)
    else:
        scopes = config.get("scopes")
        token_url = str(config.get("oauth_url") or f"{base_url}/oauth/token")
        auth = OAuth2ClientCredentials(
            token_url,
            str(config["client_id"]),
            str(config["client_secret"]),
            scopes=tuple(scopes) if scopes is not None else DEFAULT_SCOPES[version],
        )
        share_key += ("oauth2", token_url, " ".join(auth.scopes))
    share_key += (secret_digest(str(config["client_secret"])),)
    max_age = float(config.get("shared_users_max_age_seconds", DEFAULT_MAX_AGE))
    limits = RequestLimits(
        max_concurrency=int(config.get("max_concurrency", 5)),
        requests_per_second=config.get("requests_per_second"),
    )
    client = SisClient(
        service_url,
        auth=auth,
        retry=retry,
        limits=limits,
        timeout=float(config.get("timeout_seconds", 30)),
        user_agent="rostersync-oneroster",
    )
    return RestSource(
        client,
        version=version,
        page_size=int(config.get("page_size", 100)),
        users_share=UsersShare(share_key, max_age) if max_age > 0 else None,
    )
