"""The fake SIS server base that connector test kits build on."""

from __future__ import annotations

import requests

from rostersync_core.testing.fake_sis import Fault, OAuth2TokenIssuer

from .conftest import CLIENT_ID, CLIENT_SECRET, PupilsSis


def test_it_serves_routes_on_a_free_loopback_port(sis: PupilsSis) -> None:
    assert sis.url.startswith("http://127.0.0.1:")
    assert requests.get(sis.url + "/pupils/p001", timeout=5).json() == {"pupil": {"id": "p001"}}


def test_unknown_paths_are_404_and_wrong_methods_405(sis: PupilsSis) -> None:
    assert requests.get(sis.url + "/nowhere", timeout=5).status_code == 404
    assert requests.post(sis.url + "/echo", timeout=5).status_code == 405


def test_it_logs_method_path_query_and_headers(sis: PupilsSis) -> None:
    requests.get(sis.url + "/pupils", params={"limit": "5"}, headers={"X-Probe": "1"}, timeout=5)
    [logged] = sis.requests
    assert (logged.method, logged.path, logged.arg("limit")) == ("GET", "/pupils", "5")
    assert logged.headers["x-probe"] == "1"


def test_a_fault_lets_skipped_requests_through_then_hits_as_many_times_as_told(
    sis: PupilsSis,
) -> None:
    fault = sis.inject(Fault(status=503, retry_after="7", skip=1, times=2, path="/echo"))
    statuses = [requests.get(sis.url + "/echo", timeout=5) for _ in range(4)]
    assert [r.status_code for r in statuses] == [200, 503, 503, 200]
    assert statuses[1].headers["Retry-After"] == "7"
    assert fault.hits == 2


def test_a_fault_can_be_limited_to_a_method(sis: PupilsSis) -> None:
    sis.inject(Fault(status=500, times=None, method="POST"))
    assert requests.get(sis.url + "/echo", timeout=5).status_code == 200


def test_a_malformed_body_keeps_an_honest_length(sis: PupilsSis) -> None:
    sis.inject(Fault(malformed=True))
    response = requests.get(sis.url + "/pupils", timeout=5)
    assert int(response.headers["Content-Length"]) == len(response.content)
    assert response.content.startswith(b'{"pupils"') and not response.content.endswith(b"}")


def test_the_token_issuer_gives_tokens_for_the_right_credentials_only() -> None:
    server = PupilsSis()
    issuer = server.use_oauth2(
        OAuth2TokenIssuer(CLIENT_ID, CLIENT_SECRET, expires_in_as_string=True),
        token_path="/oauth/access_token",
    )
    with server:
        wrong = requests.post(
            server.url + "/oauth/access_token",
            auth=(CLIENT_ID, "wrong"),
            data={"grant_type": "client_credentials"},
            timeout=5,
        )
        assert wrong.status_code == 401
        right = requests.post(
            server.url + "/oauth/access_token",
            auth=(CLIENT_ID, CLIENT_SECRET),
            data={"grant_type": "client_credentials"},
            timeout=5,
        ).json()
        assert isinstance(right["expires_in"], str)
        bearer = {"Authorization": f"Bearer {right['access_token']}"}
        assert requests.get(server.url + "/echo", headers=bearer, timeout=5).status_code == 200
        issuer.expire_all()
        refused = requests.get(server.url + "/echo", headers=bearer, timeout=5)
        assert refused.status_code == 401
        assert "invalid_token" in refused.headers["WWW-Authenticate"]
