"""Plugin credentials: tokens, expiry, refusals, and a config that keeps its secret."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from rostersync_core.config import validate_schema
from rostersync_core.connector import Connector
from rostersync_core.errors import AuthenticationError, ConfigError, SisUnavailableError
from rostersync_core.plugins import PluginHost
from rostersync_core.testing.contract_fetch import FetchedRoster
from rostersync_powerschool.testing import FAKE_CLIENT_SECRET, FakePowerSchool, Fault


def test_the_connector_is_found_by_its_entry_point() -> None:
    host = PluginHost(allow=["powerschool"])
    assert host.connector("powerschool").info.title == "PowerSchool SIS"


def test_the_config_schema_is_valid_and_marks_the_secret(connector: Connector) -> None:
    validate_schema(connector.info.config_schema)
    assert connector.info.secret_fields == {"client_secret"}


def test_a_shown_config_hides_the_client_secret(connector: Connector, ps: FakePowerSchool) -> None:
    shown = connector.redact(ps.config())
    assert FAKE_CLIENT_SECRET not in repr(shown)
    assert shown["client_id"] == ps.client_id


def test_a_config_without_a_secret_is_refused_naming_the_field(connector: Connector) -> None:
    with pytest.raises(ConfigError) as caught:
        connector.validate_config({"base_url": "https://ps.example.org", "client_id": "x"})
    assert caught.value.field == "client_secret"


def test_the_token_is_asked_for_with_basic_auth_and_client_credentials(
    connector: Connector, ps: FakePowerSchool
) -> None:
    connector.authenticate(ps.config())
    token_request = ps.requests[0]
    assert (token_request.method, token_request.path) == ("POST", "/oauth/access_token")
    assert token_request.headers["authorization"].startswith("Basic ")
    assert token_request.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert ps.requests[1].path == "/ws/v1/metadata"


def test_a_token_whose_lifetime_is_a_string_serves_the_whole_sync(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    fetch(ps)
    assert ps.issuer is not None and ps.issuer.tokens_issued == 1


def test_an_expired_token_is_renewed_once_and_the_fetch_completes(
    connector: Connector, ps: FakePowerSchool
) -> None:
    from rostersync_core.testing.contract_fetch import fetch_roster

    session = connector.authenticate(ps.config())
    assert ps.issuer is not None
    ps.issuer.expire_all()
    roster = fetch_roster(connector, session, "100")
    assert roster.invalid == () and roster.counts()
    assert ps.issuer.tokens_issued == 2


def test_a_token_refused_again_after_renewal_fails_as_bad_credentials(
    connector: Connector, ps: FakePowerSchool
) -> None:
    from rostersync_core.testing.contract_fetch import fetch_roster

    session = connector.authenticate(ps.config())
    ps.inject(Fault(status=401, times=None, path=r"/ws/v1/school/"))
    with pytest.raises(AuthenticationError):
        fetch_roster(connector, session, "100")
    refused = [r for r in ps.requests if r.path == "/ws/v1/school/100"]
    assert len(refused) == 2  # the first try and one after a new token, no more


@pytest.mark.parametrize("refusal_status", [401, 200], ids=["status 401", "200 with error"])
def test_wrong_credentials_are_named_and_the_secret_is_not_repeated(
    connector: Connector, make_server: Callable[..., FakePowerSchool], district,
    refusal_status: int,
) -> None:
    server = make_server(district, refusal_status=refusal_status)
    with pytest.raises(AuthenticationError) as caught:
        connector.authenticate(server.config(client_secret="not-the-secret-1234"))
    message = str(caught.value)
    assert "client id and secret" in message
    assert "not-the-secret-1234" not in message
    assert len([r for r in server.requests if r.path == "/oauth/access_token"]) == 1


def test_an_address_that_is_not_powerschool_is_a_config_error(
    connector: Connector, ps: FakePowerSchool
) -> None:
    ps.inject(Fault(status=404, path=r"/ws/v1/metadata", body={"message": "Not Found"}))
    with pytest.raises(ConfigError) as caught:
        connector.authenticate(ps.config())
    assert caught.value.field == "base_url"


def test_a_server_that_does_not_answer_is_unavailable(connector: Connector) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = {"base_url": f"http://127.0.0.1:{port}", "client_id": "a", "client_secret": "b"}
    with pytest.raises(SisUnavailableError):
        connector.authenticate(config)


def test_an_address_without_a_token_endpoint_is_a_config_error(
    connector: Connector, ps: FakePowerSchool
) -> None:
    with pytest.raises(ConfigError) as caught:
        connector.authenticate(ps.config(base_url=ps.url + "/not-powerschool"))
    assert caught.value.field == "base_url"


def test_later_sessions_with_the_same_credentials_reuse_the_token(
    connector: Connector, ps: FakePowerSchool
) -> None:
    connector.authenticate(ps.config())
    connector.authenticate(ps.config(max_concurrency=2))
    assert ps.issuer is not None and ps.issuer.tokens_issued == 1


def test_a_session_and_its_settings_never_show_the_secret(
    connector: Connector, ps: FakePowerSchool
) -> None:
    session = connector.authenticate(ps.config())
    shown = " ".join([repr(session), repr(session.api), repr(session.api.settings),  # type: ignore[attr-defined]
                      repr(session.api.auth)])  # type: ignore[attr-defined]
    assert FAKE_CLIENT_SECRET not in shown
