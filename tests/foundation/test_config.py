"""Connection configs are validated against the connector's schema; secrets never echoed."""

from __future__ import annotations

from typing import Any

import pytest

from rostersync_core import ConfigError, redact, validate_config

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "base_url": {"type": "string", "format": "uri", "pattern": "^https?://"},
        "client_id": {"type": "string", "minLength": 1},
        "client_secret": {"type": "string", "writeOnly": True, "minLength": 12},
        "page_size": {"type": "integer", "minimum": 1, "maximum": 10000},
    },
    "required": ["base_url", "client_id", "client_secret"],
    "additionalProperties": False,
}
GOOD = {"base_url": "https://sis.example.org", "client_id": "abc",
        "client_secret": "hunter2-very-secret"}


def test_a_good_config_passes() -> None:
    validate_config(GOOD, SCHEMA)


def test_a_missing_field_is_named() -> None:
    config = {k: v for k, v in GOOD.items() if k != "client_id"}
    with pytest.raises(ConfigError) as err:
        validate_config(config, SCHEMA)
    assert err.value.field == "client_id"
    assert "client_id" in str(err.value) and "required" in str(err.value)


def test_a_wrong_type_is_named_with_the_field() -> None:
    with pytest.raises(ConfigError) as err:
        validate_config({**GOOD, "page_size": "lots"}, SCHEMA)
    assert err.value.field == "page_size"


def test_an_unknown_setting_is_named() -> None:
    with pytest.raises(ConfigError) as err:
        validate_config({**GOOD, "clientsecret": "typo"}, SCHEMA)
    assert err.value.field == "clientsecret"


@pytest.mark.parametrize("bad_secret", ["short-pw", 123456789012345, ["hunter2-very-secret"]])
def test_a_bad_secret_is_named_but_its_value_is_hidden(bad_secret: object) -> None:
    with pytest.raises(ConfigError) as err:
        validate_config({**GOOD, "client_secret": bad_secret}, SCHEMA)
    message = str(err.value)
    assert err.value.field == "client_secret"
    assert "hidden" in message
    assert str(bad_secret) not in message and "short-pw" not in message
    assert "hunter2" not in repr(err.value.args)


def test_redact_hides_secret_values_only() -> None:
    shown = redact(GOOD, SCHEMA)
    assert shown["client_secret"] == "********"
    assert shown["client_id"] == "abc"
    assert "hunter2" not in str(shown)


def test_every_problem_is_named_not_only_the_first() -> None:
    config = {k: v for k, v in GOOD.items() if k != "client_id"}
    with pytest.raises(ConfigError) as err:
        validate_config({**config, "clientsecret": "typo", "client_secret": "short"}, SCHEMA)
    message = str(err.value)
    assert "client_id" in message and "clientsecret" in message and "client_secret" in message
    assert "short" not in message.replace("too short", "")
