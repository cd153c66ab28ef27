"""The contract suite replays recorded HTTP by default and records only when asked, and a
recorded cassette never holds the credentials."""

from __future__ import annotations

from pathlib import Path

import pytest

# vcrpy (and the yaml C extension under it) is imported once here, so the in-process
# pytester runs below reuse it: yaml cannot be imported afresh after pytester forgets it.
vcr = pytest.importorskip("vcr")

Recorded = tuple[pytest.Pytester, str]

RECORDED_SUITE = """
import os

import rostersync_demo.connector as demo_connector
from rostersync_core.testing.contract import connector_contract_suite

BASE = os.environ["DEMO_BASE_URL"]

TestRecorded = connector_contract_suite(
    plugin=demo_connector,
    config={
        "base_url": BASE,
        "api_key": os.environ.get("DEMO_API_KEY", "replayed-key-0000"),
        "page_size": 2,
    },
    bad_config={"base_url": BASE, "api_key": "wrong-key-1234"},
    sis_school_id="S1",
    expected_counts={"class": 3, "student": 3, "staff": 2, "enrolment": 7},
    cassette_dir="cassettes",
)
"""


@pytest.fixture
def recorded_suite(
    generated_connector: Path,
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    contract_checks: int,
) -> Recorded:
    """The suite recorded once against the generated connector's fake SIS (then stopped)."""
    from rostersync_demo.testing import API_KEY, FakeDemoSis

    pytester.makepyfile(test_recorded=RECORDED_SUITE)
    with FakeDemoSis() as sis:
        monkeypatch.setenv("DEMO_BASE_URL", sis.api_url)
        monkeypatch.setenv("DEMO_API_KEY", API_KEY)
        recording = pytester.runpytest("-p", "no:cacheprovider", "--rostersync-record")
    monkeypatch.delenv("DEMO_API_KEY")
    # no fault injection in cassette mode: the two retry checks skip
    recording.assert_outcomes(passed=contract_checks - 2, skipped=2)
    return pytester, API_KEY


def test_recording_writes_one_cassette_per_test(recorded_suite: Recorded) -> None:
    pytester, _ = recorded_suite
    cassettes = sorted(p.name for p in (pytester.path / "cassettes").iterdir())
    assert "test_every_reference_resolves.yaml" in cassettes
    assert "test_wrong_credentials_raise_authentication_error.yaml" in cassettes


def test_recorded_cassettes_hold_no_credentials(recorded_suite: Recorded) -> None:
    pytester, api_key = recorded_suite
    for cassette in (pytester.path / "cassettes").iterdir():
        text = cassette.read_text()
        assert api_key not in text
        assert "wrong-key-1234" not in text
        assert "Bearer" not in text


def test_the_suite_replays_without_the_sis(
    recorded_suite: Recorded, contract_checks: int
) -> None:
    pytester, _ = recorded_suite
    # The fake SIS is stopped and the real key is gone: every answer comes from cassettes.
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=contract_checks - 2, skipped=2)


def test_a_missing_cassette_fails_with_how_to_record_it(
    recorded_suite: Recorded,
) -> None:
    pytester, _ = recorded_suite
    (pytester.path / "cassettes" / "test_paging_is_complete.yaml").unlink()
    result = pytester.runpytest("-p", "no:cacheprovider", "-k", "paging")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no recorded cassette at*pytest --rostersync-record*"])


def test_the_environment_variable_records_like_the_option(
    generated_connector: Path, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rostersync_demo.testing import API_KEY, FakeDemoSis

    pytester.makepyfile(test_recorded=RECORDED_SUITE)
    with FakeDemoSis() as sis:
        monkeypatch.setenv("DEMO_BASE_URL", sis.api_url)
        monkeypatch.setenv("DEMO_API_KEY", API_KEY)
        monkeypatch.setenv("ROSTERSYNC_RECORD_CASSETTES", "1")
        result = pytester.runpytest("-p", "no:cacheprovider", "-k", "school_is_listed")
    result.assert_outcomes(passed=1)
    assert (pytester.path / "cassettes" / "test_the_school_is_listed.yaml").is_file()


# A generated secret often holds '+', '/' or '='; in a query string or a form body (an OAuth
# token request) it is sent URL-encoded, so the raw value never appears in the cassette.
ENCODED_SECRET = "s3cr+t/Key=="


def test_a_secret_sent_url_encoded_is_scrubbed_from_the_cassette(tmp_path: Path) -> None:
    from urllib.parse import quote, quote_plus

    import requests

    from rostersync_core.testing.contract_cassettes import cassette
    from rostersync_core.testing.fake_sis import FakeResponse, FakeSisServer

    path = tmp_path / "token.yaml"
    with FakeSisServer() as server:
        server.add_route("POST", r"/token", lambda request: FakeResponse.json({"ok": True}))
        with cassette(path, record=True, secrets={ENCODED_SECRET}):
            requests.post(
                server.url + "/token",
                params={"client_secret": ENCODED_SECRET},
                data={"grant_type": "client_credentials", "client_secret": ENCODED_SECRET},
                timeout=10,
            )
    text = path.read_text()
    for form in (ENCODED_SECRET, quote(ENCODED_SECRET, safe=""), quote_plus(ENCODED_SECRET)):
        assert form not in text


def test_the_cassette_scan_finds_a_url_encoded_secret(tmp_path: Path) -> None:
    from urllib.parse import quote_plus

    from rostersync_core.testing.contract_cassettes import scan_for_secrets

    (tmp_path / "old.yaml").write_text(
        f"uri: https://sis.example.test/token?client_secret={quote_plus(ENCODED_SECRET)}\n"
    )
    assert scan_for_secrets(tmp_path, {ENCODED_SECRET}) == [
        (tmp_path / "old.yaml", ENCODED_SECRET)
    ]


def test_a_secret_in_an_sis_s_own_key_header_is_scrubbed_from_the_cassette(
    tmp_path: Path,
) -> None:
    import requests

    from rostersync_core.testing.contract_cassettes import cassette
    from rostersync_core.testing.fake_sis import FakeResponse, FakeSisServer

    path = tmp_path / "schools.yaml"
    with FakeSisServer() as server:
        server.add_route("GET", r"/schools", lambda request: FakeResponse.json([]))
        with cassette(path, record=True, secrets={"acme-live-key-7f3a"}):
            requests.get(
                server.url + "/schools", headers={"X-Acme-Key": "acme-live-key-7f3a"}, timeout=10
            )
    text = path.read_text()
    assert "acme-live-key-7f3a" not in text
    assert "X-Acme-Key" in text  # the header stays (replays match), its value does not


def test_a_recorded_json_answer_loses_its_password_fields_and_token_values(
    tmp_path: Path,
) -> None:
    import requests

    from rostersync_core.testing.cassettes import cassette
    from rostersync_core.testing.fake_sis import FakeResponse, FakeSisServer

    answer = {"access_token": "tok-4f1e", "users": [{"sourcedId": "u1", "password": "pw-9"}]}
    path = tmp_path / "users.yaml"
    with FakeSisServer() as server:
        server.add_route("GET", r"/users", lambda request: FakeResponse.json(answer))
        with cassette(path, record=True):
            requests.get(server.url + "/users", timeout=10)
    text = path.read_text()
    assert "pw-9" not in text and "password" not in text
    assert "tok-4f1e" not in text
    assert "u1" in text  # the rest of the answer is kept


def test_a_cassette_matched_on_method_path_and_query_replays_on_another_port(
    tmp_path: Path,
) -> None:
    import requests

    from rostersync_core.testing.cassettes import MATCH_ANY_ADDRESS, cassette
    from rostersync_core.testing.fake_sis import FakeResponse, FakeSisServer

    path = tmp_path / "schools.yaml"
    with FakeSisServer() as server:
        server.add_route("GET", r"/schools", lambda request: FakeResponse.json(["S1"]))
        with cassette(path, record=True, match_on=MATCH_ANY_ADDRESS):
            requests.get(server.url + "/schools?limit=1", timeout=10)
    with cassette(path, record=False, match_on=MATCH_ANY_ADDRESS):
        replayed = requests.get("http://127.0.0.1:9/schools?limit=1", timeout=10)
    assert replayed.json() == ["S1"]


def test_the_problems_scan_names_a_leftover_without_quoting_it(tmp_path: Path) -> None:
    from urllib.parse import quote_plus

    from rostersync_core.testing.cassettes import cassette_problems

    (tmp_path / "old.yaml").write_text(
        f"uri: https://sis.example.test/token?client_secret={quote_plus(ENCODED_SECRET)}\n"
        "headers:\n  Authorization:\n  - Basic dXNlcjpwdw==\n"
        'body: \'{"password": "pw-1", "refresh_token": "r-77"}\'\n'
    )
    problems = cassette_problems(tmp_path, [ENCODED_SECRET])
    assert problems == [
        "old.yaml: an Authorization header",
        "old.yaml: a bearer or basic credential",
        "old.yaml: secret #1 of those given",
        "old.yaml: a password field",
        "old.yaml: a value in the refresh_token field",
    ]
    assert not any(leak in " ".join(problems) for leak in ("pw-1", "r-77", "dXNlcjpwdw"))
