"""The roster model: keys, kinds, fingerprints and JSON conversion."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import attrs
import pytest

from rostersync_core import (
    Enrolment,
    EnrolmentRole,
    FamilyLink,
    Person,
    PersonKind,
    RecordKind,
    SchoolClass,
    fingerprint,
    record_kind,
)
from rostersync_core.convert import record_from_json, record_to_json
from rostersync_core.districts import generate_district

STUDENT = Person("3000001", PersonKind.STUDENT, "Ava", "Nguyen", email="ava@example.org",
                 grade_id="03")


def test_equal_records_have_equal_fingerprints() -> None:
    twin = Person("3000001", PersonKind.STUDENT, "Ava", "Nguyen", email="ava@example.org",
                  grade_id="03")
    assert fingerprint(STUDENT) == fingerprint(twin)


@pytest.mark.parametrize(
    "change",
    [{"given_name": "Eva"}, {"email": ""}, {"grade_id": "04"}, {"roles": ("teacher",)},
     {"enabled": False}],
)
def test_any_field_change_changes_the_fingerprint(change: dict[str, object]) -> None:
    assert fingerprint(attrs.evolve(STUDENT, **change)) != fingerprint(STUDENT)


def test_records_of_different_types_with_equal_values_differ() -> None:
    assert fingerprint(SchoolClass("1", "x")) != fingerprint(
        FamilyLink("1", "x", relationship="guardian")
    )


def test_fingerprint_is_the_same_in_another_process() -> None:
    code = (
        "from rostersync_core import Person, PersonKind, fingerprint;"
        "print(fingerprint(Person('3000001', PersonKind.STUDENT, 'Ava', 'Nguyen',"
        " email='ava@example.org', grade_id='03')))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == fingerprint(STUDENT)


def test_enrolment_and_family_link_keys_join_both_ends() -> None:
    assert Enrolment("c1", "p1").key == "c1|p1"
    assert FamilyLink("f1", "s1").key == "f1|s1"


def test_a_persons_record_kind_follows_its_person_kind() -> None:
    assert record_kind(STUDENT) is RecordKind.STUDENT
    assert record_kind(attrs.evolve(STUDENT, kind=PersonKind.FAMILY)) is RecordKind.FAMILY
    assert record_kind(Enrolment("c", "p")) is RecordKind.ENROLMENT


def test_every_generated_record_survives_a_json_round_trip() -> None:
    district = generate_district(students=40, seed=5)
    for roster in district.schools.values():
        for record in roster.records():
            assert record_from_json(record_to_json(record)) == record


def test_json_form_uses_iso_dates_and_enum_values() -> None:
    data = record_to_json(Enrolment("c", "p", EnrolmentRole.TEACHER, True, dt.date(2026, 9, 1)))
    assert data["begin_date"] == "2026-09-01"
    assert data["role"] == "teacher"
    assert data["_type"] == "Enrolment"
