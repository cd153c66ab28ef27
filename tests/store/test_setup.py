"""Setup: credentials verified at once, one SIS school bound, nothing saved on failure."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from rostersync_core.errors import AuthenticationError, ConfigError, UnknownSchoolError
from rostersync_core.model import RecordKind
from rostersync_core.platform.reference import ReferencePlatform
from rostersync_core.plugins import PluginHost
from rostersync_core.setup import SchoolChoiceNeededError, setup_school
from rostersync_core.store import StateStore

from .conftest import CONFIG, SECRET


def test_setup_binds_the_platform_school_to_the_chosen_sis_school(
    store: StateStore, host: PluginHost, platform: ReferencePlatform, north: str
) -> None:
    result = setup_school(store, host, platform, north, "fakesis", CONFIG, "sis-north")
    connection = store.get_connection(north)
    assert (connection.connector, connection.sis_school_id) == ("fakesis", "sis-north")
    assert connection.sis_school_name == "North High"
    assert connection.config == CONFIG
    assert result.describe()["config"]["client_secret"] == "********"
    assert [c.school_id for c in store.list_connections()] == [north]


def test_wrong_credentials_are_named_and_nothing_is_saved(
    store: StateStore, host: PluginHost, platform: ReferencePlatform, north: str
) -> None:
    wrong = {**CONFIG, "client_secret": "not-the-secret"}
    with pytest.raises(AuthenticationError, match="refused"):
        setup_school(store, host, platform, north, "fakesis", wrong, "sis-north")
    assert store.list_connections() == []


def test_an_invalid_config_names_the_field_without_the_secret(
    store: StateStore, host: PluginHost, platform: ReferencePlatform, north: str
) -> None:
    with pytest.raises(ConfigError) as info:
        setup_school(store, host, platform, north, "fakesis",
                     {**CONFIG, "client_secret": "Qx7_kk"}, "sis-north")
    assert info.value.field == "client_secret"
    assert "Qx7_kk" not in str(info.value)
    assert store.list_connections() == []


def test_several_sis_schools_and_no_choice_asks_for_one(
    store: StateStore, host: PluginHost, platform: ReferencePlatform, north: str
) -> None:
    with pytest.raises(SchoolChoiceNeededError) as info:
        setup_school(store, host, platform, north, "fakesis", CONFIG)
    assert [s.sis_id for s in info.value.schools] == ["sis-north", "sis-south"]
    assert store.list_connections() == []


def test_an_unknown_sis_school_is_refused(
    store: StateStore, host: PluginHost, platform: ReferencePlatform, north: str
) -> None:
    with pytest.raises(UnknownSchoolError, match="sis-east"):
        setup_school(store, host, platform, north, "fakesis", CONFIG, "sis-east")


def test_a_platform_school_that_does_not_exist_is_named(
    store: StateStore, host: PluginHost, platform: ReferencePlatform
) -> None:
    with pytest.raises(UnknownSchoolError, match="no school 'nowhere'") as info:
        setup_school(store, host, platform, "nowhere", "fakesis", CONFIG, "sis-north")
    assert "--create-school" in str(info.value)


def test_running_setup_again_replaces_credentials_and_keeps_mappings(
    store: StateStore, host: PluginHost, platform: ReferencePlatform, connected: str,
    sis: object,
) -> None:
    store.save_value_mappings(connected, RecordKind.GRADE, {"01": "g-1"})
    store.save_links(connected, RecordKind.STUDENT, {"S-1": "p-1"})
    new_config = {**CONFIG, "client_id": "rostersync-2"}
    result = setup_school(store, host, platform, connected, "fakesis", new_config)
    assert result.replaced
    connection = store.get_connection(connected)
    assert connection.config["client_id"] == "rostersync-2"
    assert connection.sis_school_id == "sis-north"  # kept without asking again
    assert store.grade_mappings(connected) == {"01": "g-1"}
    assert store.links(connected, RecordKind.STUDENT) == {"S-1": "p-1"}


def test_the_secret_is_never_in_the_database_file_logs_or_errors(
    sqlite_url: str, secret_key: str, host: PluginHost, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    store = StateStore.open(sqlite_url)
    platform = ReferencePlatform(store.engine)
    platform.add_school("north", "North High")
    result = setup_school(store, host, platform, "north", "fakesis", CONFIG, "sis-north")
    errors = []
    for bad in ({**CONFIG, "client_secret": SECRET + "x"}, {**CONFIG, "base_url": 3}):
        with pytest.raises(Exception) as info:
            setup_school(store, host, platform, "north", "fakesis", bad, "sis-north")
        errors.append(str(info.value) + repr(info.value))
    shown = repr(result) + repr(store.get_connection("north")) + str(result.describe())
    store.close()
    database = sqlite_url.removeprefix("sqlite:///")
    files = b"".join(
        Path(path).read_bytes()
        for path in (database, database + "-wal", database + "-shm")
        if Path(path).exists()
    )
    assert SECRET.encode() not in files
    assert SECRET not in caplog.text
    assert all(SECRET not in e for e in errors)
    assert SECRET not in shown


def _set_up_then_lose_the_key(
    store_url: str, host: PluginHost, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Path:
    with StateStore.open(store_url) as store:
        platform = ReferencePlatform(store.engine)
        platform.add_school("north", "North High")
        setup_school(store, host, platform, "north", "fakesis", CONFIG, "sis-north")
    monkeypatch.delenv("ROSTERSYNC_SECRET_KEY")
    another = tmp_path / "another-machine"
    another.mkdir()
    monkeypatch.setenv("ROSTERSYNC_HOME", str(another))
    return another / "secret.key"


def test_a_missing_key_is_named_and_no_new_key_is_made_up_to_hide_it(
    store_url: str, secret_key: str, host: PluginHost, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from rostersync_core.errors import StateStoreError

    key_file = _set_up_then_lose_the_key(store_url, host, monkeypatch, tmp_path)
    with StateStore.open(store_url) as store, pytest.raises(StateStoreError) as info:
        store.get_connection("north")
    message = str(info.value)
    assert "no credentials key was found" in message
    assert str(key_file) in message
    assert SECRET not in message
    assert not key_file.exists()


def test_setup_again_on_a_machine_without_the_key_replaces_the_credentials(
    store_url: str, secret_key: str, host: PluginHost, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    key_file = _set_up_then_lose_the_key(store_url, host, monkeypatch, tmp_path)
    with StateStore.open(store_url) as store:
        setup_school(store, host, ReferencePlatform(store.engine), "north", "fakesis", CONFIG)
        assert store.get_connection("north").config["client_secret"] == SECRET
    assert key_file.exists()


def test_a_wrong_key_cannot_read_the_credentials(
    store_url: str, secret_key: str, host: PluginHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.fernet import Fernet

    from rostersync_core.errors import StateStoreError

    with StateStore.open(store_url) as store:
        platform = ReferencePlatform(store.engine)
        platform.add_school("north", "North High")
        setup_school(store, host, platform, "north", "fakesis", CONFIG, "sis-north")
    monkeypatch.setenv("ROSTERSYNC_SECRET_KEY", Fernet.generate_key().decode())
    with StateStore.open(store_url) as store, pytest.raises(StateStoreError) as info:
        store.get_connection("north")
    assert "cannot be decrypted" in str(info.value)
    assert SECRET not in str(info.value)
