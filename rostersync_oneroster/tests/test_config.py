"""The connection config: what is required for each source, and secrets kept hidden."""

from __future__ import annotations

import pytest

from rostersync_core.config import redact, validate_config, validate_schema
from rostersync_core.errors import ConfigError
from rostersync_oneroster.config import CONFIG_SCHEMA, build_source
from rostersync_oneroster.csv_source import CsvSource
from rostersync_oneroster.rest import RestSource

REST = {
    "base_url": "https://sis.example.org",
    "client_id": "abc",
    "client_secret": "very-secret-value",
}


def test_the_schema_is_valid_json_schema() -> None:
    validate_schema(CONFIG_SCHEMA)


def test_a_rest_config_needs_an_address_and_credentials() -> None:
    validate_config(REST, CONFIG_SCHEMA)
    with pytest.raises(ConfigError) as caught:
        validate_config({"base_url": "https://sis.example.org", "client_id": "abc"}, CONFIG_SCHEMA)
    assert caught.value.field == "client_secret"


def test_a_csv_config_needs_a_path_only() -> None:
    validate_config({"source": "csv", "path": "/srv/export.zip"}, CONFIG_SCHEMA)
    with pytest.raises(ConfigError) as caught:
        validate_config({"source": "csv"}, CONFIG_SCHEMA)
    assert caught.value.field == "path"


def test_a_bad_secret_is_named_without_its_value() -> None:
    with pytest.raises(ConfigError) as caught:
        validate_config({**REST, "client_secret": ""}, CONFIG_SCHEMA)
    assert caught.value.field == "client_secret"


def test_the_secret_is_redacted_when_shown() -> None:
    assert redact(REST, CONFIG_SCHEMA)["client_secret"] == "********"


def test_an_unknown_setting_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        validate_config({**REST, "pagesize": 10}, CONFIG_SCHEMA)
    assert caught.value.field == "pagesize"


def test_the_version_picks_the_standard_base_path() -> None:
    one_one = build_source({**REST, "version": "1.1", "auth": "oauth1"})
    one_two = build_source(REST)
    assert isinstance(one_one, RestSource) and isinstance(one_two, RestSource)
    assert one_one.client.base_url == "https://sis.example.org/ims/oneroster/v1p1/"
    assert one_two.client.base_url == "https://sis.example.org/ims/oneroster/rostering/v1p2/"
    assert "very-secret-value" not in repr(one_two.client.auth)


def test_a_csv_source_is_built_for_a_folder(tmp_path: object) -> None:
    assert isinstance(build_source({"source": "csv", "path": str(tmp_path)}), CsvSource)
