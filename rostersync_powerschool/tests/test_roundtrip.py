"""Fetching a generated district through the fake PowerSchool gives the district back.

The only differences are PowerSchool's documented limits (see
``rostersync_powerschool.testing.expected``): grade ids are integer grade levels, a
section has one term, staff have no preferred name.
"""

from __future__ import annotations

from collections.abc import Callable

from rostersync_core.districts import Messiness, generate_district
from rostersync_core.model import ClassType, Record, RecordKind, record_kind
from rostersync_core.testing.contract_fetch import FetchedRoster
from rostersync_powerschool.testing import FakePowerSchool
from rostersync_powerschool.testing.expected import expected_records


def _by_key(records: list[Record]) -> dict[tuple[RecordKind, str], Record]:
    return {(record_kind(r), r.key): r for r in records}


def _differences(got: FetchedRoster, expected: list[Record]) -> list[str]:
    fetched = _by_key([r for _, r in got.records()])
    wanted = _by_key(expected)
    return [
        f"{kind.value} {key}: got {fetched.get((kind, key))!r}, "
        f"expected {wanted.get((kind, key))!r}"
        for kind, key in sorted(set(fetched) | set(wanted))
        if fetched.get((kind, key)) != wanted.get((kind, key))
    ]


def test_a_generated_school_comes_back_record_for_record(
    district, ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    got = fetch(ps)
    assert _differences(got, expected_records(district.school("100"))) == []
    assert got.invalid == ()


def test_an_elementary_school_with_homerooms_comes_back(
    make_server: Callable[..., FakePowerSchool], fetch: Callable[..., FetchedRoster]
) -> None:
    district = generate_district(students=850, seed=3)  # elementary, middle and high schools
    got = fetch(make_server(district, max_page_size=100), "100")
    assert _differences(got, expected_records(district.school("100"))) == []
    classes = got.of_kind(RecordKind.CLASS)
    assert any(c.class_type is ClassType.HOMEROOM for c in classes)  # type: ignore[union-attr]


def test_messy_data_comes_back_with_unreadable_students_reported(
    make_server: Callable[..., FakePowerSchool], fetch: Callable[..., FetchedRoster]
) -> None:
    district = generate_district(
        students=40, seed=5, messiness=Messiness(missing_email=0.3, shared_email=0.2, invalid=0.1)
    )
    got = fetch(make_server(district))
    roster = district.school("100")
    nameless = {p.sis_id for p in roster.students() if not p.given_name}
    assert nameless
    assert _differences(got, expected_records(roster)) == []
    reported = {row.sis_id for row in got.invalid if row.kind is RecordKind.STUDENT}
    assert reported == nameless


def test_the_enrolments_and_links_of_an_unreadable_student_are_unknown_not_absent(
    make_server: Callable[..., FakePowerSchool], fetch: Callable[..., FetchedRoster]
) -> None:
    district = generate_district(students=40, seed=5, messiness=Messiness(invalid=0.1))
    got = fetch(make_server(district))
    roster = district.school("100")
    nameless = {p.sis_id for p in roster.students() if not p.given_name}
    unknown = {row.sis_id for row in got.invalid
               if row.kind in (RecordKind.ENROLMENT, RecordKind.FAMILY_LINK)}
    expected = {e.key for e in roster.enrolments if e.person_sis_id in nameless} | {
        f.key for f in roster.family_links if f.student_sis_id in nameless}
    assert expected and unknown == expected


def test_two_fetches_of_unchanged_data_are_identical(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    assert fetch(ps).fingerprints() == fetch(ps).fingerprints()
