"""Paging by ``page``/``pagesize``, bounded by the plugin's maximum, guided by counts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rostersync_core.errors import InvalidSisDataError
from rostersync_core.model import PersonKind
from rostersync_core.testing.contract_fetch import FetchedRoster
from rostersync_powerschool.testing import FakePowerSchool, Fault

STUDENTS = "/ws/v1/school/100/student"


def _students(roster: FetchedRoster) -> list[str]:
    return [p.sis_id for p in roster.by_hook["fetch_people"] if p.kind is PersonKind.STUDENT]


def test_pages_are_never_larger_than_the_plugins_maximum_page_size(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    fetch(ps, page_size=1000)
    sizes = {r.arg("pagesize") for r in ps.requests if r.arg("pagesize")}
    assert sizes == {"7"}  # the metadata's maximum


def test_a_smaller_page_size_can_be_configured(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    fetch(ps, page_size=4)
    assert {r.arg("pagesize") for r in ps.requests if r.arg("pagesize")} == {"4"}


def test_every_student_is_read_once_across_pages(
    district, ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    students = _students(fetch(ps))
    assert sorted(students) == sorted(p.sis_id for p in district.school("100").students())
    pages = [r.arg("page") for r in ps.requests if r.path == STUDENTS]
    # pages are fetched concurrently: each once, in any order
    assert sorted(pages, key=int) == [str(n) for n in range(1, -(-len(students) // 7) + 1)]


def test_a_last_page_holding_one_record_as_an_object_is_read(
    district, make_server: Callable[..., FakePowerSchool], fetch: Callable[..., FetchedRoster]
) -> None:
    count = len(district.school("100").students())
    server = make_server(district, max_page_size=count - 1)  # the last page holds one
    assert len(_students(fetch(server))) == count


def test_reading_stops_at_the_count_even_if_more_pages_follow(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    total = len(ps.data.schools[100].students)
    ps.count_skew = -8  # the count says 8 fewer than the list holds
    assert len(_students(fetch(ps))) == total - 8


def test_reading_stops_at_an_empty_page_when_the_count_is_too_high(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    total = len(ps.data.schools[100].students)
    ps.count_skew = 20
    assert len(_students(fetch(ps))) == total
    empty = -(-total // 7) + 1
    last = max(int(r.arg("page") or 0) for r in ps.requests if r.path == STUDENTS)
    assert last <= empty + 3  # it stopped near the first empty page


def test_without_count_endpoints_pages_are_read_until_a_short_one(
    district, ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    ps.count_skew = None  # every /count answers 404
    assert sorted(_students(fetch(ps))) == sorted(
        p.sis_id for p in district.school("100").students())


def test_counts_are_asked_for_before_the_lists(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    fetch(ps)
    paths = [r.path for r in ps.requests]
    assert paths.index(STUDENTS + "/count") < paths.index(STUDENTS)


def test_a_record_limit_keeps_every_enrolment_pointing_at_a_fetched_record(
    connector, ps: FakePowerSchool
) -> None:
    from rostersync_core.model import Enrolment, FamilyLink, Person, SchoolClass
    from rostersync_core.testing.contract_fetch import fetch_roster

    session = connector.authenticate(ps.config())
    roster = fetch_roster(connector, session, "100", limit=3)
    people = {p.sis_id for p in roster.by_hook["fetch_people"] if isinstance(p, Person)}
    classes = {c.sis_id for c in roster.by_hook["fetch_classes"] if isinstance(c, SchoolClass)}
    assert len(classes) == 3 and len(_students(roster)) == 3
    for record in roster.by_hook["fetch_enrolments"]:
        if isinstance(record, Enrolment):
            assert record.class_sis_id in classes and record.person_sis_id in people
        elif isinstance(record, FamilyLink):
            assert {record.family_sis_id, record.student_sis_id} <= people


def test_a_server_capping_pages_below_its_advertised_maximum_loses_nothing(
    district, ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    ps.page_cap = 3  # the metadata says 7
    assert sorted(_students(fetch(ps))) == sorted(
        p.sis_id for p in district.school("100").students())


def test_a_sections_enrolments_are_read_without_asking_for_a_count(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    fetch(ps)
    assert not [r for r in ps.requests if r.path.endswith("/section_enrollment/count")]
    assert [r for r in ps.requests if r.path.endswith("/section_enrollment")]


@pytest.mark.parametrize("counts", [True, False])
def test_a_server_that_ignores_the_page_number_is_invalid_data_not_an_endless_read(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster], counts: bool
) -> None:
    ps.ignores_page = True
    if not counts:
        ps.count_skew = None  # no count to stop at: only the repeat tells
    with pytest.raises(InvalidSisDataError, match="same page again"):
        fetch(ps)


def test_a_count_of_zero_is_checked_against_the_first_page(
    district, ps: FakePowerSchool, fetch: Callable[..., FetchedRoster]
) -> None:
    # A wrong "no students" would make every student look gone.
    ps.inject(Fault(status=200, body={"resource": {"count": 0}}, path=STUDENTS + "/count$"))
    assert sorted(_students(fetch(ps))) == sorted(
        p.sis_id for p in district.school("100").students())


def test_a_server_capping_pages_loses_no_section_enrolment_either(
    ps: FakePowerSchool, fetch: Callable[..., FetchedRoster], district_fingerprints
) -> None:
    # Section enrolments are read without a count: the cap learnt from the counted lists
    # tells a capped full page from the last one.
    ps.page_cap = 2  # the metadata says 7; sections hold 3 students
    assert fetch(ps).fingerprints() == district_fingerprints
