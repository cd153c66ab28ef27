"""OAuth 2 client credentials and OAuth 1.0a signing, against the fake SIS base."""

from __future__ import annotations

import logging

import pytest

from rostersync_core.errors import AuthenticationError, ConfigError, SisUnavailableError
from rostersync_core.http import (
    OAuth1Signing,
    OAuth2ClientCredentials,
    RetryPolicy,
    SisClient,
    oauth1,
)
from rostersync_core.testing.fake_sis import (
    FakeRequest,
    FakeResponse,
    Fault,
    OAuth2TokenIssuer,
)

from .conftest import CLIENT_ID, CLIENT_SECRET, PupilsSis


def oauth2_client(server: PupilsSis, secret: str = CLIENT_SECRET, **kw: object) -> SisClient:
    auth = OAuth2ClientCredentials("/oauth/token", CLIENT_ID, secret, **kw)  # type: ignore[arg-type]
    return SisClient(server.url, auth=auth, retry=RetryPolicy.fast())


def test_a_token_is_fetched_once_and_reused(oauth_sis: PupilsSis) -> None:
    client = oauth2_client(oauth_sis)
    for _ in range(3):
        client.get_json("echo")
    assert oauth_sis.issuer is not None and oauth_sis.issuer.tokens_issued == 1
    token_requests = [r for r in oauth_sis.requests if r.path == "/oauth/token"]
    assert len(token_requests) == 1
    assert token_requests[0].headers["authorization"].startswith("Basic ")


def test_an_expired_token_is_renewed_once_and_the_request_succeeds(oauth_sis: PupilsSis) -> None:
    client = oauth2_client(oauth_sis)
    client.get_json("echo")
    assert oauth_sis.issuer is not None
    oauth_sis.issuer.expire_all()
    assert client.get_json("echo") == {"ok": True}
    assert oauth_sis.issuer.tokens_issued == 2


def test_a_token_refused_twice_is_an_authentication_error(oauth_sis: PupilsSis) -> None:
    oauth_sis.inject(Fault(status=401, times=None, path="/echo"))
    with pytest.raises(AuthenticationError):
        oauth2_client(oauth_sis).get("echo")
    assert [r.path for r in oauth_sis.requests].count("/echo") == 2


def test_wrong_credentials_are_named_and_the_secret_is_not_in_the_message(
    oauth_sis: PupilsSis,
) -> None:
    with pytest.raises(AuthenticationError) as caught:
        oauth2_client(oauth_sis, secret="wrong-secret-value").get("echo")
    text = str(caught.value)
    assert "refused the client id and secret" in text
    assert "wrong-secret-value" not in text and CLIENT_ID not in text


def test_an_error_key_with_http_200_is_a_refusal() -> None:
    server = PupilsSis()
    server.use_oauth2(
        OAuth2TokenIssuer(
            CLIENT_ID, CLIENT_SECRET, refusal_status=200, refusal_body={"error": "invalid_client"}
        )
    )
    with server, pytest.raises(AuthenticationError):
        oauth2_client(server, secret="nope").get("echo")


def test_expires_in_as_a_string_is_understood() -> None:
    now = [0.0]
    server = PupilsSis()
    server.use_oauth2(
        OAuth2TokenIssuer(CLIENT_ID, CLIENT_SECRET, lifetime=100, expires_in_as_string=True)
    )
    with server:
        auth = OAuth2ClientCredentials(
            "/oauth/token", CLIENT_ID, CLIENT_SECRET, clock=lambda: now[0]
        )
        client = SisClient(server.url, auth=auth, retry=RetryPolicy.fast())
        client.get_json("echo")
        now[0] = 50.0
        client.get_json("echo")
        assert auth.tokens_fetched == 1
        now[0] = 95.0  # inside the renewal margin before expiry
        client.get_json("echo")
        assert auth.tokens_fetched == 2


def test_scopes_are_asked_for() -> None:
    scope = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"
    server = PupilsSis()
    server.use_oauth2(OAuth2TokenIssuer(CLIENT_ID, CLIENT_SECRET, required_scopes=(scope,)))
    with server:
        assert oauth2_client(server, scopes=(scope,)).get_json("echo") == {"ok": True}
        with pytest.raises(AuthenticationError):
            oauth2_client(server).get_json("echo")


def test_an_unavailable_token_endpoint_is_retried_then_unavailable(oauth_sis: PupilsSis) -> None:
    oauth_sis.inject(Fault(status=503, times=None, path="/oauth/token"))
    with pytest.raises(SisUnavailableError):
        oauth2_client(oauth_sis).get("echo")


def test_logs_carry_no_token_and_no_secret(
    oauth_sis: PupilsSis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="rostersync_core.http")
    oauth_sis.inject(Fault(status=503, times=1, path="/echo"))
    client = oauth2_client(oauth_sis)
    client.get_json("echo", params={"filter": "email='ann@example.org'"})
    assert caplog.records, "requests are logged"
    text = caplog.text
    assert CLIENT_SECRET not in text and "Bearer" not in text and "ann@example.org" not in text
    assert "/echo" in text


class SignedSis(PupilsSis):
    """Accepts only requests signed with OAuth 1.0a by the right consumer."""

    def __init__(self, method: str) -> None:
        super().__init__()
        self.set_guard(self.verify)
        self.method = method

    def verify(self, request: FakeRequest) -> FakeResponse | None:
        oauth = oauth1.parse_authorization_header(request.header("authorization"))
        given = oauth.pop("oauth_signature", "")
        expected = (
            oauth1.signature(
                request.method,
                request.url,
                list(oauth.items()),
                CLIENT_SECRET,
                signature_method=oauth.get("oauth_signature_method", ""),
            )
            if oauth.get("oauth_signature_method") == self.method
            else None
        )
        if oauth.get("oauth_consumer_key") == CLIENT_ID and given == expected:
            return None
        return FakeResponse.json({"imsx_codeMajor": "failure"}, 401)


@pytest.mark.parametrize("method", ["HMAC-SHA256", "HMAC-SHA1"])
def test_oauth1_signed_requests_are_accepted_with_every_query_parameter_signed(
    method: str,
) -> None:
    with SignedSis(method) as server:
        client = SisClient(
            server.url,
            auth=OAuth1Signing(CLIENT_ID, CLIENT_SECRET, signature_method=method),
            retry=RetryPolicy.fast(),
        )
        params = {"filter": "dateLastModified>'2025-01-01T00:00:00Z'", "sort": "id", "limit": 5}
        body = client.get_json("pupils", params=params)
        assert len(body["pupils"]) == 5


def test_oauth1_with_a_wrong_secret_is_an_authentication_error() -> None:
    with SignedSis("HMAC-SHA256") as server:
        client = SisClient(
            server.url, auth=OAuth1Signing(CLIENT_ID, "wrong"), retry=RetryPolicy.fast()
        )
        with pytest.raises(AuthenticationError):
            client.get("echo")
        assert len(server.requests) == 1


def test_the_oauth1_signature_matches_the_rfc5849_example() -> None:
    # RFC 5849 section 3.4.1 example parameters, signed with HMAC-SHA1.
    url = "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b"
    params = [
        ("oauth_consumer_key", "9djdj82h48djs9d2"),
        ("oauth_token", "kkk9d7dh3k39sjv7"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "137131201"),
        ("oauth_nonce", "7d8f3e4a"),
        ("c2", ""),
        ("a3", "2 q"),
    ]
    text = oauth1.base_string(
        "POST",
        url,
        [
            *__import__("urllib.parse").parse.parse_qsl(
                "b5=%3D%253D&a3=a&c%40=&a2=r%20b", keep_blank_values=True
            ),
            *params,
        ],
    )
    assert text == (
        "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D"
        "%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_"
        "nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201"
        "%26oauth_token%3Dkkk9d7dh3k39sjv7"
    )


def test_a_token_is_fetched_even_when_only_one_request_may_run_at_a_time(
    oauth_sis: PupilsSis,
) -> None:
    from rostersync_core.http import RequestLimits

    auth = OAuth2ClientCredentials("/oauth/token", CLIENT_ID, CLIENT_SECRET)
    client = SisClient(
        oauth_sis.url, auth=auth, retry=RetryPolicy.fast(), limits=RequestLimits.serial(), timeout=5
    )
    assert client.map(lambda _: client.get_json("echo"), range(3)) == [{"ok": True}] * 3


def test_a_token_endpoint_on_another_host_is_named_by_its_own_host(
    oauth_sis: PupilsSis,
) -> None:
    # The SIS answers as 127.0.0.1; the token endpoint is reached as localhost.
    token_url = oauth_sis.url.replace("127.0.0.1", "localhost") + "/oauth/token"
    auth = OAuth2ClientCredentials(token_url, CLIENT_ID, "wrong-secret-value")
    client = SisClient(oauth_sis.url, auth=auth, retry=RetryPolicy.fast())
    with pytest.raises(AuthenticationError) as caught:
        client.get("echo")
    port = oauth_sis.url.rsplit(":", 1)[1]
    assert f"/oauth/token on localhost:{port}" in str(caught.value)


def test_an_address_carrying_a_password_is_refused_without_repeating_it() -> None:
    with pytest.raises(ConfigError) as caught:
        SisClient("https://district:hunter2-pass@sis.example.org/ims")
    assert caught.value.field == "base_url"
    assert "hunter2-pass" not in str(caught.value)


def test_scopes_the_sis_refuses_are_named_as_scopes_not_as_a_bad_secret() -> None:
    server = PupilsSis()
    server.use_oauth2(OAuth2TokenIssuer(CLIENT_ID, CLIENT_SECRET, required_scopes=("roster",)))
    with server, pytest.raises(AuthenticationError) as caught:
        oauth2_client(server, scopes=["something-else"]).get("echo")
    assert "refused the scopes" in str(caught.value)
    assert "scopes" in caught.value.hint


def test_the_oauth_error_code_is_named_but_nothing_else_from_the_answer() -> None:
    server = PupilsSis()
    server.use_oauth2(
        OAuth2TokenIssuer(
            CLIENT_ID,
            CLIENT_SECRET,
            refusal_status=200,
            refusal_body={"error": "invalid_client", "error_description": "bad secret x9"},
        )
    )
    with server, pytest.raises(AuthenticationError) as caught:
        oauth2_client(server, secret="wrong").get("echo")
    assert "with error invalid_client" in str(caught.value)
    assert "x9" not in str(caught.value)
