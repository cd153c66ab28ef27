"""The command line for setup, grades, subjects, match, exclude and platform."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from rostersync_core.cli import common
from rostersync_core.cli.main import cli
from rostersync_core.plugins import PluginHost

from .conftest import CONFIG, SECRET

SEED = {
    "schools": [{"id": "north", "name": "North High"}],
    "grades": [{"id": "g-k", "name": "Kindergarten"}, {"id": "g-1", "name": "Grade 1"}],
    "subjects": [{"id": "math", "name": "Mathematics"}, {"id": "ela", "name": "ELA"}],
    "students": [{"id": "p-ada", "given_name": "Ada", "family_name": "Lovelace",
                  "email": "ada@example.org", "grade": "g-1"}],
}


@pytest.fixture
def run(store_url: str, secret_key: str, host: PluginHost,
        monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run ``rostersync --db URL ARGS...`` in process, with the fake SIS installed."""
    monkeypatch.setattr(common, "PluginHost", lambda: host)
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None, ok: bool = True) -> Result:
        result = runner.invoke(cli, ["--db", store_url, *args], env=env)
        if ok:
            assert result.exit_code == 0, (result.output, result.exception)
        return result

    return invoke


@pytest.fixture
def seeded(run: Any, tmp_path: Path) -> str:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(SEED))
    run("platform", "seed", str(path))
    return "north"


def _set_up(run: Any, school: str = "north") -> Result:
    return run("setup", school, "--connector", "fakesis", "--set", "base_url=https://sis.example.org",
               "--set", "client_id=rostersync", "--sis-school", "sis-north",
               env={"ROSTERSYNC_SECRET_CLIENT_SECRET": SECRET})


def test_setup_takes_the_secret_from_the_environment(run: Any, seeded: str) -> None:
    result = _set_up(run)
    assert "credentials verified" in result.output
    shown = run("connection", "show", "north", "--json").output
    assert json.loads(shown)["config"]["client_secret"] == "********"
    assert SECRET not in result.output + shown


def test_setup_from_a_config_file(run: Any, seeded: str, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(CONFIG))
    out = run("setup", "north", "--connector", "fakesis", "--config", str(path),
              "--sis-school", "sis-north", "--json").output
    assert json.loads(out)["sis_school_name"] == "North High"


def test_setup_with_wrong_credentials_fails_and_saves_nothing(run: Any, seeded: str) -> None:
    result = run("setup", "north", "--connector", "fakesis", "--set", "base_url=https://x.org",
                 "--set", "client_id=a", "--set", "client_secret=wrong-secret-1",
                 "--sis-school", "sis-north", ok=False)
    assert result.exit_code != 0
    assert "refused" in str(result.exception)
    assert json.loads(run("connection", "list", "--json").output) == []


def test_setup_of_a_missing_school_says_how_to_create_it(run: Any) -> None:
    result = run("setup", "north", "--connector", "fakesis", "--set", "base_url=https://x.org",
                 "--set", "client_id=a", env={"ROSTERSYNC_SECRET_CLIENT_SECRET": SECRET}, ok=False)
    assert "--create-school" in str(result.exception)
    assert "rostersync platform create-school north NAME" in str(result.exception)


def test_setup_can_create_the_platform_school(run: Any) -> None:
    run("setup", "north", "--connector", "fakesis", "--set", "base_url=https://x.org",
        "--set", "client_id=a", "--sis-school", "sis-north", "--create-school", "North High",
        env={"ROSTERSYNC_SECRET_CLIENT_SECRET": SECRET})
    schools = json.loads(run("platform", "show", "--json").output)["schools"]
    assert schools == [{"id": "north", "name": "North High", "timezone": "UTC"}]


def test_grades_fetch_suggest_and_accept(run: Any, seeded: str) -> None:
    _set_up(run)
    fetched = json.loads(run("grades", "fetch", "north", "--json").output)
    assert {v["sis_id"] for v in fetched["new"]} == {"KG", "01", "-1"}
    suggestions = json.loads(run("grades", "suggest", "north", "--json").output)
    assert {s["sis_id"]: s["platform_id"] for s in suggestions} == {
        "KG": "g-k", "01": "g-1", "-1": ""}
    shown = json.loads(run("grades", "show", "north", "--json").output)
    assert all(v["platform_id"] == "" for v in shown)
    run("grades", "map", "north", "--accept-suggestions")
    shown = json.loads(run("grades", "show", "north", "--json").output)
    assert {v["sis_id"]: v["platform_id"] for v in shown} == {"KG": "g-k", "01": "g-1", "-1": ""}


def test_subjects_map_and_unmap(run: Any, seeded: str) -> None:
    _set_up(run)
    run("subjects", "fetch", "north")
    run("subjects", "map", "north", "sub-m=Mathematics", "sub-e=ela")
    mapped = json.loads(run("subjects", "map", "north", "sub-m=math", "--json").output)
    assert mapped == {"sub-m": "math"}
    run("subjects", "unmap", "north", "sub-e")
    shown = json.loads(run("subjects", "show", "north", "--json").output)
    assert {v["sis_id"]: v["platform_id"] for v in shown} == {"sub-e": "", "sub-m": "math"}


def test_match_fetch_show_link_and_unlink(run: Any, seeded: str) -> None:
    _set_up(run)
    summary = json.loads(run("match", "fetch", "north", "--json").output)
    assert summary["student"]["matched"] == 1
    rows = json.loads(run("match", "show", "north", "--kind", "students", "--status", "matched",
                          "--json").output)
    assert [(r["sis_id"], r["platform_id"]) for r in rows] == [("S-1", "p-ada")]
    assert "e-mail" in rows[0]["candidates"][0]["reason"]
    run("match", "link", "north", "--accept")
    rows = json.loads(run("match", "show", "north", "--status", "linked", "--json").output)
    assert [r["sis_id"] for r in rows] == ["S-1"]
    run("match", "unlink", "north", "--kind", "students", "S-1")
    run("match", "link", "north", "--kind", "students", "S-2=p-ada")
    rows = json.loads(run("match", "show", "north", "--status", "linked", "--json").output)
    assert [(r["sis_id"], r["platform_id"]) for r in rows] == [("S-2", "p-ada")]


def test_exclude_add_by_search_list_and_remove(run: Any, seeded: str) -> None:
    _set_up(run)
    run("match", "fetch", "north")
    run("exclude", "add", "north", "--side", "sis", "--kind", "students", "--search", "lovelace")
    run("exclude", "add", "north", "--side", "platform", "--kind", "staff", "stf_1")
    listed = json.loads(run("exclude", "list", "north", "--json").output)
    assert [(e["side"], e["kind"], e["record_id"], e["label"]) for e in listed] == [
        ("platform", "staff", "stf_1", ""), ("sis", "student", "S-1", "Ada Lovelace #1001")]
    run("exclude", "remove", "north", "--side", "platform", "--kind", "staff", "stf_1")
    listed = json.loads(run("exclude", "list", "north", "--side", "platform", "--json").output)
    assert listed == []
    hits = json.loads(run("exclude", "search", "north", "grace", "--json").output)
    assert [h["sis_id"] for h in hits] == ["T-1"]


def test_platform_show_counts_a_schools_records(run: Any, seeded: str) -> None:
    data = json.loads(run("platform", "show", "north", "--json").output)
    assert data["records"]["student"] == {"active": 1, "archived": 0}


def test_the_installed_command_works_in_a_real_process(
    store_url: str, secret_key: str, tmp_path: Path
) -> None:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(SEED))
    env = {**os.environ, "ROSTERSYNC_DB": store_url}
    exe = [sys.executable, "-m", "rostersync_core.cli.main"]
    cmd = Path(sys.executable).parent / "rostersync"
    if cmd.exists():
        exe = [str(cmd)]
    subprocess.run([*exe, "platform", "seed", str(path)], env=env, check=True,
                   capture_output=True)
    subprocess.run([*exe, "exclude", "add", "north", "--side", "platform", "--kind", "students",
                    "p-ada"], env=env, check=True, capture_output=True)
    out = subprocess.run([*exe, "exclude", "list", "north", "--json"], env=env, check=True,
                         capture_output=True, text=True).stdout
    assert [e["record_id"] for e in json.loads(out)] == ["p-ada"]
    missing = subprocess.run([*exe, "connection", "show", "north"], env=env,
                             capture_output=True, text=True)
    assert missing.returncode == 1
    assert "not set up" in missing.stderr


def test_a_missing_secret_is_prompted_for_hidden_at_a_terminal(
    host: PluginHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rostersync_core.cli import setup_cmd

    asked: list[tuple[str, bool]] = []

    def prompt(text: str, hide_input: bool = False) -> str:
        asked.append((text, hide_input))
        return SECRET

    monkeypatch.setattr(setup_cmd.click, "prompt", prompt)
    monkeypatch.delenv("ROSTERSYNC_SECRET_CLIENT_SECRET", raising=False)
    config = setup_cmd.build_config(host.connector("fakesis"), None,
                                    ("base_url=https://x.org", "client_id=a"), interactive=True)
    assert config["client_secret"] == SECRET
    assert asked == [("client_secret (hidden)", True)]


def test_no_prompt_when_not_at_a_terminal(
    host: PluginHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rostersync_core.cli import setup_cmd

    monkeypatch.delenv("ROSTERSYNC_SECRET_CLIENT_SECRET", raising=False)
    config = setup_cmd.build_config(host.connector("fakesis"), None, ("client_id=a",),
                                    interactive=False)
    assert "client_secret" not in config


@pytest.mark.parametrize("command", [
    ("grades", "show"), ("grades", "suggest"), ("subjects", "show"), ("match", "show"),
    ("exclude", "list"), ("exclude", "search", "ada"),
])
def test_a_read_of_a_school_that_is_not_set_up_names_it_instead_of_showing_nothing(
    run: Any, seeded: str, command: tuple[str, ...]
) -> None:
    _set_up(run)
    group, action, *rest = command
    result = run(group, action, "nrth", *rest, "--json", ok=False)
    assert result.exit_code != 0
    assert "school 'nrth'" in str(result.exception)
    assert "not set up" in str(result.exception)


def test_a_mapping_or_exclusion_is_never_saved_under_a_school_that_is_not_set_up(
    run: Any, seeded: str
) -> None:
    _set_up(run)
    assert run("grades", "map", "nrth", "01=g-1", ok=False).exit_code != 0
    assert run("exclude", "add", "nrth", "--side", "platform", "--kind", "students", "p-ada",
               ok=False).exit_code != 0
    assert run("exclude", "list", "north", "--json").output.strip() == "[]"


def test_suggestions_with_no_platform_value_that_fits_say_how_to_make_one(
    run: Any, tmp_path: Path
) -> None:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"schools": [{"id": "north", "name": "North High"}]}))
    run("platform", "seed", str(path))
    _set_up(run)
    run("grades", "fetch", "north")
    out = run("grades", "suggest", "north").output
    assert "rostersync platform add-grade ID NAME" in " ".join(out.split())


def test_a_missing_secret_without_a_terminal_says_how_to_give_it(
    run: Any, seeded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ROSTERSYNC_SECRET_CLIENT_SECRET", raising=False)
    result = run("setup", "north", "--connector", "fakesis", "--set",
                 "base_url=https://sis.example.org", "--set", "client_id=rostersync", ok=False)
    assert result.exit_code != 0
    assert "client_secret" in str(result.exception)
    assert "$ROSTERSYNC_SECRET_CLIENT_SECRET" in str(result.exception)


def test_mapping_a_value_the_sis_never_listed_is_saved_with_a_note(run: Any, seeded: str) -> None:
    _set_up(run)
    run("grades", "fetch", "north")
    out = " ".join(run("grades", "map", "north", "1=g-1").output.split())
    assert "1 grade mapping(s) saved" in out
    assert "the SIS has not listed '1'" in out
    listed = " ".join(run("grades", "map", "north", "01=g-1").output.split())
    assert "not listed" not in listed


def test_an_sis_exclusion_of_an_id_the_fetch_did_not_find_is_kept_with_a_note(
    run: Any, seeded: str
) -> None:
    _set_up(run)
    run("match", "fetch", "north")
    out = " ".join(run("exclude", "add", "north", "--side", "sis", "--kind", "students",
                       "S-1", "S-99").output.split())
    assert "2 students record(s) excluded on the sis side" in out
    assert "the last `match fetch` found no students record S-99" in out


@pytest.mark.parametrize(("content", "says"), [
    ("{bad", "is not valid JSON"),
    ("[1, 2]", "must hold a JSON object"),
    ('{"schools": [{"id": "x"}]}', "the field 'name' is missing"),
    ('{"students": [{"given_name": "A", "family_name": "B"}]}', "names no school"),
])
def test_a_malformed_seed_file_is_a_clear_error(
    run: Any, tmp_path: Path, content: str, says: str
) -> None:
    path = tmp_path / "seed.json"
    path.write_text(content)
    result = run("platform", "seed", str(path), ok=False)
    assert result.exit_code != 0
    assert says in str(result.exception)
    assert str(path) in str(result.exception)


def test_a_school_with_an_unknown_time_zone_is_refused(run: Any) -> None:
    result = run("platform", "create-school", "north", "North", "--timezone", "Mars/Base",
                 ok=False)
    assert "'Mars/Base' is not an IANA time zone" in str(result.exception)
    assert json.loads(run("platform", "show", "--json").output)["schools"] == []
