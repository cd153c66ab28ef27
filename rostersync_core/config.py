"""Validate a connection's config against its connector's JSON Schema, hiding secrets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

from rostersync_core.errors import ConfigError

__all__ = ["REDACTED", "redact", "secret_fields", "validate_config", "validate_schema"]

REDACTED = "********"


def secret_fields(schema: Mapping[str, Any]) -> frozenset[str]:
    """Top-level config fields whose schema says ``"writeOnly": true``."""
    props = schema.get("properties", {})
    return frozenset(k for k, v in props.items() if isinstance(v, Mapping) and v.get("writeOnly"))


def redact(config: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``config`` fit to show: secret values replaced by ``********``."""
    secrets = secret_fields(schema)
    return {k: (REDACTED if k in secrets and v not in (None, "") else v) for k, v in config.items()}


def validate_schema(schema: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigError` if ``schema`` is not a valid JSON Schema."""
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise ConfigError(f"the connector's config schema is invalid: {exc.message}") from None


def _describe(error: jsonschema.ValidationError, secrets: frozenset[str]) -> tuple[str, str]:
    """(field, message) for one validation error, never quoting a secret value."""
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        instance = error.instance if isinstance(error.instance, Mapping) else {}
        required: list[str] = list(error.validator_value)  # type: ignore[arg-type]
        missing = [f for f in required if f not in instance]
        field = ".".join([*path, missing[0]]) if missing else ".".join(path)
        return field, f"config field '{field}' is required"
    if error.validator == "additionalProperties":
        instance = error.instance if isinstance(error.instance, Mapping) else {}
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        allowed = set(schema.get("properties", {}))
        extra = sorted(k for k in instance if k not in allowed)
        field = ".".join([*path, extra[0]]) if extra else ".".join(path)
        return field, f"config field '{field}' is not a known setting"
    field = ".".join(path) or "(config)"
    top = path[0] if path else ""
    if top in secrets:
        what = {
            "type": f"must be of type {error.validator_value}",
            "minLength": "is too short",
            "maxLength": "is too long",
            "pattern": "does not have the expected form",
            "enum": "is not one of the allowed values",
            "format": f"is not a valid {error.validator_value}",
        }.get(str(error.validator), "is not valid")
        return field, f"config field '{field}' {what} (value hidden: it is a secret)"
    return field, f"config field '{field}': {error.message}"


def validate_config(config: Mapping[str, Any], schema: Mapping[str, Any]) -> None:
    """Check ``config`` against ``schema``.

    Raises :class:`ConfigError` whose ``field`` names the first offending field and whose
    message never contains the value of a secret field.
    """
    validator = jsonschema.Draft202012Validator(schema)
    errors = list(validator.iter_errors(dict(config)))
    if not errors:
        return
    secrets = secret_fields(schema)
    first = best_match(errors)
    field, message = _describe(first, secrets)
    rest = [_describe(e, secrets)[1] for e in errors if e is not first]
    rest = [m for m in dict.fromkeys(rest) if m != message]
    if rest:
        shown = rest[:4]
        more = len(rest) - len(shown)
        message += "; also " + "; ".join(shown) + (f"; and {more} more" if more else "")
    raise ConfigError(message, field=field)
