"""The sync and settings commands, a thin layer over the Python API."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner

from rostersync_core.cli.main import cli
from rostersync_core.events import JobState
from rostersync_core.model import RecordKind
from rostersync_core.sync import get_job, load_settings, run_sync


def invoke(url: str, *args: str) -> Any:
    result = CliRunner().invoke(cli, ["--db", url, *args], catch_exceptions=False)
    return result


def test_sync_list_and_show_print_the_request_as_json(
    store_url: str, store: Any, platform: Any, host: Any, school: str
) -> None:
    job = run_sync(store, host, platform, school)
    listed = json.loads(invoke(store_url, "sync", "list", school, "--json").output)
    assert [j["id"] for j in listed] == [job.id]
    shown = json.loads(invoke(store_url, "sync", "show", str(job.id), "--json").output)
    assert shown["job"]["state"] == "pending_review"
    students = shown["changes"]["students"]
    assert len(students) == job.counts["students"]["create"]
    assert students[0]["description"].startswith("new ")


def test_sync_show_json_names_the_inputs_the_request_froze(
    store_url: str, store: Any, platform: Any, host: Any, school: str
) -> None:
    store.add_exclusions(school, "sis", RecordKind.STUDENT, ["3000001"])
    job = run_sync(store, host, platform, school)
    store.remove_exclusions(school, "sis", RecordKind.STUDENT, ["3000001"])
    shown = json.loads(invoke(store_url, "sync", "show", str(job.id), "--json").output)
    assert shown["exclusions"]["sis"] == {"student": ["3000001"]}
    assert shown["grade_mappings"] == dict(store.grade_mappings(school))


def test_sync_show_prints_tables_per_kind(
    store_url: str, store: Any, platform: Any, host: Any, school: str
) -> None:
    job = run_sync(store, host, platform, school)
    output = invoke(store_url, "sync", "show", str(job.id), "--limit", "2").output
    assert "students:" in output and "more (--limit 0 shows all)" in output


def test_approve_reject_and_delete_from_the_command_line(
    store_url: str, store: Any, platform: Any, host: Any, school: str
) -> None:
    first = run_sync(store, host, platform, school)
    result = invoke(store_url, "sync", "reject", str(first.id), "--by", "grace", "--json")
    assert json.loads(result.output)["rejected_by"] == "grace"
    invoke(store_url, "sync", "delete", str(first.id))
    second = run_sync(store, host, platform, school)
    result = invoke(store_url, "sync", "approve", str(second.id), "--by", "ada", "--json")
    assert json.loads(result.output)["state"] == "completed"
    assert get_job(store, second.id).approved_by == "ada"


def test_deleting_a_pending_job_is_refused_with_a_clear_message(
    store_url: str, store: Any, platform: Any, host: Any, school: str
) -> None:
    job = run_sync(store, host, platform, school)
    result = CliRunner().invoke(cli, ["--db", store_url, "sync", "delete", str(job.id)])
    assert result.exit_code != 0
    assert "only rejected or failed jobs can be deleted" in str(result.exception)
    assert get_job(store, job.id).state is JobState.PENDING_REVIEW


def test_settings_set_and_show(store_url: str, store: Any, school: str) -> None:
    invoke(
        store_url,
        "settings",
        "set",
        school,
        "--kind",
        "students",
        "missing=preserve",
        "update_fields=email,grade_id",
    )
    invoke(store_url, "settings", "set", school, "hold_archive_percent=5")
    shown = json.loads(invoke(store_url, "settings", "show", school, "--json").output)
    assert shown["kinds"]["students"]["missing"] == "preserve"
    assert shown["kinds"]["students"]["update_fields"] == ["email", "grade_id"]
    assert shown["kinds"]["staff"]["hold_archive_percent"] == 5
    assert load_settings(store, school).allowed_fields(RecordKind.STUDENT) == ("email", "grade_id")


def test_an_unknown_setting_is_named(store_url: str, store: Any, school: str) -> None:
    result = CliRunner().invoke(cli, ["--db", store_url, "settings", "set", school, "colour=red"])
    assert result.exit_code != 0
    assert "unknown setting 'colour'" in str(result.exception)


def test_sync_run_reads_an_installed_connector_and_prints_json(
    sqlite_url: str, secret_key: str, tmp_path: Any
) -> None:
    """`rostersync sync run` through the oneroster plugin on the bundled sample."""
    import pytest

    pytest.importorskip("rostersync_oneroster")
    from rostersync_core.demo import sample_snapshots
    from rostersync_core.mapping import accept_suggestions, fetch_values
    from rostersync_core.platform.reference import ReferencePlatform
    from rostersync_core.plugins import PluginHost
    from rostersync_core.setup import setup_school
    from rostersync_core.store import StateStore

    snapshots = sample_snapshots()
    if snapshots is None:
        pytest.skip("the bundled OneRoster sample is missing")
    store = StateStore.open(sqlite_url)
    platform = ReferencePlatform(store.engine)
    platform.add_school("demo", "Demo")
    platform.add_grade("k", "Kindergarten")
    for n in range(1, 13):
        platform.add_grade(f"g{n}", f"Grade {n}")
    for name in (
        "English Language Arts",
        "Mathematics",
        "Science",
        "Social Studies",
        "Visual Arts",
        "World Languages",
        "Physical Education",
        "Computer Science",
    ):
        platform.add_subject(name.lower(), name)
    host = PluginHost()
    config = {"source": "csv", "path": str(snapshots[0])}
    sis_school = host.connector("oneroster").list_schools(
        host.connector("oneroster").authenticate(config)
    )[0]
    setup_school(store, host, platform, "demo", "oneroster", config, sis_school.sis_id)
    for kind in (RecordKind.GRADE, RecordKind.SUBJECT):
        fetch_values(store, host, "demo", kind)
        accept_suggestions(store, platform, "demo", kind)
    store.close()
    result = invoke(sqlite_url, "sync", "run", "demo", "--json")
    data = json.loads(result.output)
    assert data["state"] == "pending_review"
    assert data["counts"]["students"]["create"] > 0


def test_settings_of_a_school_not_set_up_are_refused_and_nothing_is_saved(
    store_url: str, store: Any, school: str
) -> None:
    result = CliRunner().invoke(cli, ["--db", store_url, "settings", "set", "mapel", "create=no"])
    assert result.exit_code != 0
    assert "mapel" in str(result.exception) and "not set up" in str(result.exception)
    shown = CliRunner().invoke(cli, ["--db", store_url, "settings", "show", "mapel"])
    assert shown.exit_code != 0
    from rostersync_core.store.sync_tables import sync_settings

    with store.engine.connect() as conn:
        assert conn.execute(sync_settings.select()).all() == []
