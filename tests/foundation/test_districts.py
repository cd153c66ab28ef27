"""The district generator's messiness knobs: students entered twice."""

from __future__ import annotations

from rostersync_core.districts import District, Messiness, generate_district
from rostersync_core.matching import match_records
from rostersync_core.model import Person, PersonKind, RecordKind
from rostersync_core.platform.protocol import PlatformRecord


def students(district: District) -> list[Person]:
    return [p for roster in district.schools.values() for p in roster.students()]


def test_a_zero_rate_leaves_the_district_as_it_was() -> None:
    plain = generate_district(200, seed=3)
    knob = generate_district(200, seed=3, messiness=Messiness(duplicate_people=0.0))
    assert plain == knob


def test_duplicates_are_second_records_of_real_students_in_no_class() -> None:
    district = generate_district(300, seed=3, messiness=Messiness(duplicate_people=0.1))
    plain = generate_district(300, seed=3)
    assert len(students(district)) > len(students(plain))
    by_id = {p.sis_id: p for p in students(district)}
    originals = {p.sis_id for p in students(plain)}
    extra = [p for p in students(district) if p.sis_id not in originals]
    assert 10 <= len(extra) <= 60
    enrolled = {e.person_sis_id for r in district.schools.values() for e in r.enrolments}
    linked = {f.student_sis_id for r in district.schools.values() for f in r.family_links}
    for copy in extra:
        twins = [
            p for p in by_id.values()
            if p.sis_id in originals
            and (p.given_name, p.family_name, p.grade_id, p.email)
            == (copy.given_name, copy.family_name, copy.grade_id, copy.email)
        ]
        assert twins, f"{copy.sis_id} duplicates no student"
        assert copy.sis_id not in enrolled and copy.sis_id not in linked


def test_matching_links_neither_record_of_a_student_entered_twice() -> None:
    district = generate_district(300, seed=3, messiness=Messiness(duplicate_people=0.1))
    plain_ids = {p.sis_id for p in students(generate_district(300, seed=3))}
    copy = next(p for p in students(district) if p.sis_id not in plain_ids)
    original = next(
        p for p in students(district)
        if p.sis_id in plain_ids and p.email == copy.email and p.given_name == copy.given_name
    )
    existing = PlatformRecord(
        RecordKind.STUDENT,
        "plat-1",
        Person("", PersonKind.STUDENT, original.given_name, original.family_name,
               email=original.email, grade_id="g"),
    )
    result = match_records(RecordKind.STUDENT, [original, copy], [existing], {}, {})
    assert not result.matched
    assert set(result.ambiguous) == {original.sis_id, copy.sis_id}
