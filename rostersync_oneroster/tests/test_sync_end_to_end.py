"""A full sync through the core (state store, engine, reference platform) from each
OneRoster source gives the same platform roster; every misbehaviour either completes with
the right data or fails clearly, never leaving a request that archives anyone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from rostersync_core.districts import District, evolve_district
from rostersync_core.errors import AuthenticationError, InvalidSisDataError, SisUnavailableError
from rostersync_core.events import JobState
from rostersync_core.http import RetryPolicy
from rostersync_core.model import RecordKind
from rostersync_core.platform.reference import ReferencePlatform
from rostersync_core.plugins import PluginHost
from rostersync_core.state import SchoolConnection
from rostersync_core.store import StateStore
from rostersync_core.sync import approve_job, get_request, run_sync
from rostersync_core.testing.memory import MEMORY_TOKEN, MemoryConnector
from rostersync_oneroster.connector import OneRosterConnector
from rostersync_oneroster.testing import FakeOneRosterServer, Fault, write_csv
from rostersync_oneroster.testing.fetching import oneroster_family_links

SCHOOL = "maple"


@attrs.define
class Core:
    store: StateStore
    platform: ReferencePlatform
    host: PluginHost


@pytest.fixture
def core(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Core]:
    from cryptography.fernet import Fernet

    monkeypatch.setenv("ROSTERSYNC_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("ROSTERSYNC_HOME", str(tmp_path / "home"))
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    host = PluginHost(load_entry_points=False)
    host.register_connector(OneRosterConnector(retry=RetryPolicy.fast()))
    try:
        yield Core(store, ReferencePlatform(store.engine), host)
    finally:
        store.close()


def set_up(core: Core, district: District, connector: str, config: dict[str, Any]) -> None:
    sis_school_id = sorted(district.schools)[0]
    roster = district.schools[sis_school_id]
    core.platform.add_school(SCHOOL, roster.school.name)
    for grade in roster.grades:
        core.platform.add_grade(f"grade-{grade.sis_id}", grade.name)
    for subject in roster.subjects:
        core.platform.add_subject(f"subject-{subject.sis_id}", subject.name)
    core.store.save_value_mappings(
        SCHOOL, RecordKind.GRADE, {g.sis_id: f"grade-{g.sis_id}" for g in roster.grades}
    )
    core.store.save_value_mappings(
        SCHOOL, RecordKind.SUBJECT, {s.sis_id: f"subject-{s.sis_id}" for s in roster.subjects}
    )
    public = core.host.connector(connector).redact(config)
    core.store.save_connection(
        SchoolConnection(SCHOOL, connector, config, sis_school_id), public_config=public
    )


def sync(core: Core) -> Any:
    job = run_sync(core.store, core.host, core.platform, SCHOOL)
    assert job.state in (JobState.PENDING_REVIEW, JobState.HELD), job
    return approve_job(core.store, core.host, core.platform, job.id, actor="admin@example.org")


def exported(core: Core) -> dict[str, Any]:
    return core.platform.export_roster(SCHOOL)


def memory_roster(tmp: Core, district: District) -> dict[str, Any]:
    """The roster a sync of the same district gives through the in-memory connector
    (family links carrying the single role OneRoster has for each family member)."""
    copy = district.copy()
    school = sorted(copy.schools)[0]
    copy.schools[school].family_links = sorted(
        oneroster_family_links(district, school), key=lambda link: link.key
    )
    tmp.host.register_connector(MemoryConnector(copy))
    set_up(tmp, copy, "memory", {"token": MEMORY_TOKEN})
    sync(tmp)
    return exported(tmp)


@pytest.fixture
def expected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, district: District) -> Any:
    from cryptography.fernet import Fernet

    monkeypatch.setenv("ROSTERSYNC_SECRET_KEY", Fernet.generate_key().decode())
    store = StateStore.open(f"sqlite:///{tmp_path / 'memory.db'}")
    try:
        host = PluginHost(load_entry_points=False)
        return memory_roster(Core(store, ReferencePlatform(store.engine), host), district)
    finally:
        store.close()


@pytest.mark.parametrize(
    ("version", "auth"), [("1.2", "oauth2"), ("1.1", "oauth1")], ids=["1.2-oauth2", "1.1-oauth1"]
)
def test_a_sync_over_rest_gives_the_districts_roster(
    core: Core, district: District, expected: Any, version: str, auth: str
) -> None:
    with FakeOneRosterServer(district, version=version, auth=auth) as sis:
        set_up(core, district, "oneroster", sis.config())
        sync(core)
    roster = exported(core)
    assert roster == expected
    assert roster["students"] and roster["enrolments"] and roster["family_links"]


@pytest.mark.parametrize(
    ("version", "name"), [("1.1", "folder"), ("1.2", "export.zip")], ids=["1.1-folder", "1.2-zip"]
)
def test_a_sync_from_csv_gives_the_districts_roster(
    core: Core, district: District, expected: Any, tmp_path: Path, version: str, name: str
) -> None:
    path = write_csv(district, tmp_path / name, version=version)
    set_up(core, district, "oneroster", {"source": "csv", "path": str(path)})
    sync(core)
    assert exported(core) == expected


def test_a_changed_snapshot_is_synced_from_csv(
    core: Core, district: District, tmp_path: Path
) -> None:
    later = evolve_district(district, new_students=2, withdrawals=1, teacher_changes=1)
    folder = tmp_path / "feed"
    write_csv(district, folder)
    set_up(core, district, "oneroster", {"source": "csv", "path": str(folder)})
    sync(core)
    write_csv(later, folder)
    job = sync(core)
    assert job.counts["students"]["create"] == 2
    assert job.counts["students"]["archive"] == 1


# -- misbehaviours: complete with the right data, or fail and archive no one ---------------


@pytest.fixture
def synced_once(core: Core, district: District) -> Iterator[tuple[Core, FakeOneRosterServer]]:
    with FakeOneRosterServer(district, version="1.2", auth="oauth2") as sis:
        set_up(core, district, "oneroster", sis.config())
        sync(core)
        sis.clear_log()
        yield core, sis


@pytest.mark.parametrize(
    "fault",
    [
        Fault(status=429, retry_after="1", times=3, path="/users"),
        Fault(status=500, times=2, path="/enrollments"),
        Fault(delay=0.01, times=None, path="/classes"),
        Fault(truncate=True, times=1, skip=1, path="/users"),
        Fault(drop=True, times=1, path="/enrollments"),
    ],
    ids=["429-retry-after", "500s", "slow-pages", "truncated-body", "dropped-connection"],
)
def test_a_transient_misbehaviour_still_syncs_the_same_roster(
    synced_once: tuple[Core, FakeOneRosterServer], fault: Fault
) -> None:
    core, sis = synced_once
    before = exported(core)
    sis.inject(fault)
    job = sync(core)
    assert fault.hits >= 1
    assert exported(core) == before
    assert job.change_count == 0


def test_an_expiring_token_is_renewed_and_the_sync_completes(
    synced_once: tuple[Core, FakeOneRosterServer],
) -> None:
    core, sis = synced_once
    before = exported(core)
    sis.tokens.lifetime = 0.02
    sis.tokens.expire_all()
    sync(core)
    assert exported(core) == before


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault(status=503, times=None, path="/users"), SisUnavailableError),
        (Fault(malformed=True, times=None, path="/enrollments"), InvalidSisDataError),
        (Fault(status=401, times=None, path="/users"), AuthenticationError),
    ],
    ids=["sis-down", "corrupt-pages", "credentials-revoked"],
)
def test_a_lasting_failure_fails_the_job_and_archives_no_one(
    synced_once: tuple[Core, FakeOneRosterServer], fault: Fault, error: type[Exception]
) -> None:
    core, sis = synced_once
    before = exported(core)
    sis.inject(fault)
    with pytest.raises(error):
        run_sync(core.store, core.host, core.platform, SCHOOL)
    job = run_sync(core.store, core.host, core.platform, SCHOOL, raise_errors=False)
    assert job.state is JobState.FAILED
    assert not any(counts.get("archive") for counts in job.counts.values())
    assert exported(core) == before


def test_wrong_credentials_fail_the_sync_loudly(
    synced_once: tuple[Core, FakeOneRosterServer], district: District
) -> None:
    core, sis = synced_once
    set_up_again = sis.bad_config()
    public = core.host.connector("oneroster").redact(set_up_again)
    core.store.save_connection(
        SchoolConnection(SCHOOL, "oneroster", set_up_again, sorted(district.schools)[0]),
        public_config=public,
    )
    job = run_sync(core.store, core.host, core.platform, SCHOOL, raise_errors=False)
    assert job.state is JobState.FAILED and job.error_kind
    assert "not-the-right-secret" not in job.reason


def test_a_csv_delta_exchange_applies_only_the_changes(
    core: Core, district: District, tmp_path: Path
) -> None:
    from rostersync_oneroster.testing import dataset_from_district

    later = evolve_district(district, new_students=2, withdrawals=1, teacher_changes=1)
    folder = tmp_path / "feed"
    write_csv(district, folder)
    set_up(core, district, "oneroster", {"source": "csv", "path": str(folder)})
    sync(core)
    delta = dataset_from_district(district, version="1.1").evolve(
        dataset_from_district(later, version="1.1"), modified="2026-09-01T00:00:00.000Z"
    )
    write_csv(delta, folder, delta_since="2026-08-15T00:00:00Z")
    job = sync(core)
    assert job.counts["students"]["create"] == 2
    assert job.counts["students"]["archive"] == 1
    assert job.counts["family_links"]["archive"] >= 1  # the withdrawn student's
    assert not job.counts["classes"].get("archive")
    assert not job.counts["staff"].get("archive")
    # The platform now holds what a full sync of the later snapshot would give.
    full = tmp_path / "full"
    write_csv(later, full)
    core.store.save_connection(
        SchoolConnection(
            SCHOOL, "oneroster", {"source": "csv", "path": str(full)}, sorted(district.schools)[0]
        ),
        public_config={"source": "csv", "path": str(full)},
    )
    assert sync(core).change_count == 0


@pytest.mark.parametrize(
    ("version", "auth"), [("1.2", "oauth2"), ("1.1", "oauth1")], ids=["1.2-oauth2", "1.1-oauth1"]
)
def test_a_synced_student_whose_row_loses_its_orgs_is_unknown_not_archived(
    core: Core, district: District, version: str, auth: str
) -> None:
    """A role naming no org places the student at no school (it no longer counts
    everywhere); the row is invalid, so the student and their enrolments stay as synced."""
    with FakeOneRosterServer(district, version=version, auth=auth) as sis:
        set_up(core, district, "oneroster", sis.config())
        sync(core)
        before = exported(core)
        users = sis.dataset.collections["users"]
        student = next(
            u for _, u in sorted(users.items()) if "student" in str(u.get("roles") or u.get("role"))
        )
        if version == "1.2":
            roles = student["roles"]
            student["roles"] = [{k: v for k, v in r.items() if k != "org"} for r in roles]
        else:
            student["orgs"] = []
        sis.dataset.forget()
        job = sync(core)
    assert job.counts.get("students", {}).get("archive", 0) == 0
    assert job.change_count == 0
    assert exported(core) == before
    assert student["email"] in str(before["students"])  # synced before, still there
    invalid = get_request(core.store, job.id).invalid
    assert {(r.kind, r.sis_id) for r in invalid} >= {(RecordKind.STUDENT, student["sourcedId"])}
