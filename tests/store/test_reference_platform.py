"""The reference platform: the Platform protocol on the state database."""

from __future__ import annotations

import json
from pathlib import Path

import attrs
import pytest

from rostersync_core.model import Enrolment, Person, PersonKind, RecordKind, SchoolClass
from rostersync_core.platform.protocol import ChangeAction, Platform, PlatformChange
from rostersync_core.platform.reference import ReferencePlatform, ReferencePlatformError

ADA = Person(sis_id="S-1", kind=PersonKind.STUDENT, given_name="Ada", family_name="Lovelace",
             email="ada@example.org", grade_id="g-1")


def _create(key: str, values: Person | SchoolClass | Enrolment, kind: RecordKind) -> PlatformChange:
    return PlatformChange(key=key, kind=kind, action=ChangeAction.CREATE, values=values)


@pytest.fixture
def school(platform: ReferencePlatform) -> str:
    platform.add_school("north", "North High")
    platform.add_grade("g-1", "Grade 1")
    platform.add_subject("math", "Mathematics")
    return "north"


def test_the_reference_platform_is_a_platform(platform: ReferencePlatform) -> None:
    assert isinstance(platform, Platform)


def test_a_created_student_is_listed_with_its_values(
    platform: ReferencePlatform, school: str
) -> None:
    [pid] = platform.apply_changes(school, [_create("job-1/1", ADA, RecordKind.STUDENT)])
    [record] = platform.list_records(school, RecordKind.STUDENT)
    assert record.platform_id == pid
    assert record.values == ADA
    assert not record.archived
    assert platform.list_records(school, RecordKind.STAFF) == []


def test_applying_a_change_key_twice_creates_one_record(
    platform: ReferencePlatform, school: str
) -> None:
    first = platform.apply_changes(school, [_create("job-1/1", ADA, RecordKind.STUDENT)])
    again = platform.apply_changes(school, [_create("job-1/1", ADA, RecordKind.STUDENT)])
    assert again == first
    assert len(platform.list_records(school, RecordKind.STUDENT)) == 1


def test_a_failing_batch_applies_nothing(platform: ReferencePlatform, school: str) -> None:
    bad_update = PlatformChange(key="job-1/2", kind=RecordKind.STUDENT,
                                action=ChangeAction.UPDATE, platform_id="stu_missing",
                                values=ADA, fields=("email",))
    with pytest.raises(ReferencePlatformError, match="stu_missing"):
        platform.apply_changes(school, [_create("job-1/1", ADA, RecordKind.STUDENT), bad_update])
    assert platform.list_records(school, RecordKind.STUDENT) == []
    # and the key of the change that was rolled back is not remembered
    [pid] = platform.apply_changes(school, [_create("job-1/1", ADA, RecordKind.STUDENT)])
    assert pid.startswith("stu_")


def test_an_update_writes_only_its_fields(platform: ReferencePlatform, school: str) -> None:
    [pid] = platform.apply_changes(school, [_create("c/1", ADA, RecordKind.STUDENT)])
    changed = attrs.evolve(ADA, email="ada.l@example.org", given_name="Augusta")
    platform.apply_changes(school, [PlatformChange(
        key="c/2", kind=RecordKind.STUDENT, action=ChangeAction.UPDATE, platform_id=pid,
        values=changed, fields=("email",))])
    [record] = platform.list_records(school, RecordKind.STUDENT)
    assert isinstance(record.values, Person)
    assert record.values.email == "ada.l@example.org"
    assert record.values.given_name == "Ada"


def test_an_archived_record_is_kept_and_can_be_restored(
    platform: ReferencePlatform, school: str
) -> None:
    [pid] = platform.apply_changes(school, [_create("c/1", ADA, RecordKind.STUDENT)])
    platform.apply_changes(school, [PlatformChange(
        key="c/2", kind=RecordKind.STUDENT, action=ChangeAction.ARCHIVE, platform_id=pid)])
    [record] = platform.list_records(school, RecordKind.STUDENT)
    assert record.archived
    platform.apply_changes(school, [PlatformChange(
        key="c/3", kind=RecordKind.STUDENT, action=ChangeAction.RESTORE, platform_id=pid)])
    [record] = platform.list_records(school, RecordKind.STUDENT)
    assert not record.archived


def test_enrolments_join_platform_ids(platform: ReferencePlatform, school: str) -> None:
    maths = SchoolClass(sis_id="C-1", title="Maths 1", grade_ids=("g-1",), subject_ids=("math",))
    [cid] = platform.apply_changes(school, [_create("c/1", maths, RecordKind.CLASS)])
    [sid] = platform.apply_changes(school, [_create("c/2", ADA, RecordKind.STUDENT)])
    enrolment = Enrolment(class_sis_id=cid, person_sis_id=sid)
    platform.apply_changes(school, [_create("c/3", enrolment, RecordKind.ENROLMENT)])
    [record] = platform.list_records(school, RecordKind.ENROLMENT)
    assert record.values == enrolment
    assert platform.export_roster(school)["enrolments"] == [
        ["Maths 1", "ada@example.org", "student"]
    ]


def test_many_changes_apply_in_one_batch(platform: ReferencePlatform, school: str) -> None:
    people = [attrs.evolve(ADA, sis_id=f"S-{i}", email=f"s{i}@example.org") for i in range(300)]
    ids = platform.apply_changes(
        school, [_create(f"c/{i}", p, RecordKind.STUDENT) for i, p in enumerate(people)])
    assert len(set(ids)) == 300
    archive = [PlatformChange(key=f"a/{i}", kind=RecordKind.STUDENT,
                              action=ChangeAction.ARCHIVE, platform_id=pid)
               for i, pid in enumerate(ids)]
    platform.apply_changes(school, archive)
    assert all(r.archived for r in platform.list_records(school, RecordKind.STUDENT))


SEED = {
    "schools": [{"id": "north", "name": "North High", "timezone": "America/Chicago"}],
    "grades": [{"id": "g-1", "name": "Grade 1"}],
    "subjects": [{"id": "math", "name": "Mathematics"}],
    "classes": [{"id": "c-1", "title": "Maths 1", "grades": ["g-1"], "subjects": ["math"]}],
    "students": [{"id": "p-1", "given_name": "Ada", "family_name": "Lovelace",
                  "email": " Ada@Example.org", "grade": "g-1", "sis_id": "S-1"}],
    "staff": [{"id": "t-1", "given_name": "Alan", "family_name": "Turing",
               "email": "alan@example.org", "roles": ["teacher"]}],
    "family": [{"id": "f-1", "given_name": "Anne", "family_name": "Lovelace"},
               {"id": "f-2", "given_name": "Old", "family_name": "Guardian", "archived": True}],
    "enrolments": [{"class": "c-1", "person": "p-1"},
                   {"class": "c-1", "person": "t-1", "role": "teacher"}],
    "family_links": [{"family": "f-1", "student": "p-1", "relationship": "mother"}],
}


def test_a_seed_file_creates_existing_data(platform: ReferencePlatform, tmp_path: Path) -> None:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(SEED))
    counts = platform.seed_from_file(path)
    assert counts["students"] == 1 and counts["enrolments"] == 2
    school = platform.get_school("north")
    assert school is not None and school.timezone == "America/Chicago"
    [student] = platform.list_records("north", RecordKind.STUDENT)
    assert student.platform_id == "p-1"
    assert isinstance(student.values, Person) and student.values.sis_id == "S-1"


def test_the_roster_export_ignores_ids_and_archived_records(
    platform: ReferencePlatform, tmp_path: Path
) -> None:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(SEED))
    platform.seed_from_file(path)
    roster = platform.export_roster("north")
    assert roster == {
        "classes": [{"title": "Maths 1", "grades": ["Grade 1"], "subjects": ["Mathematics"]}],
        "students": [{"given_name": "Ada", "family_name": "Lovelace",
                      "email": "ada@example.org", "grade": "Grade 1"}],
        "staff": [{"given_name": "Alan", "family_name": "Turing", "email": "alan@example.org"}],
        "family": [{"given_name": "Anne", "family_name": "Lovelace", "email": ""}],
        "enrolments": [["Maths 1", "ada@example.org", "student"],
                       ["Maths 1", "alan@example.org", "teacher"]],
        "family_links": [["Anne Lovelace", "ada@example.org", "mother"]],
    }
