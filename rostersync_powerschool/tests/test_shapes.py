"""PowerSchool's JSON quirks, read the same whatever form a value arrives in."""

from __future__ import annotations

import datetime as dt

import pytest

from rostersync_core.errors import InvalidSisDataError
from rostersync_powerschool.shapes import (
    as_list,
    extension_fields,
    int_or_none,
    parse_date,
    text,
    unwrap_list,
    wrapped_count,
)


def test_a_single_result_is_an_object_and_reads_as_a_list_of_one() -> None:
    body = {"students": {"@expansions": "contact", "student": {"id": 1}}}
    assert unwrap_list(body, "students", "student") == [{"id": 1}]


def test_several_results_read_as_a_list() -> None:
    body = {"staffs": {"staff": [{"id": 1}, {"id": 2}]}}
    assert unwrap_list(body, "staffs", "staff") == [{"id": 1}, {"id": 2}]


@pytest.mark.parametrize("body", [{"students": ""}, {"students": None}, {}, {"students": {}},
                                  {"students": {"student": ""}}, ""],
                         ids=["empty string", "null", "absent", "no inner", "inner empty",
                              "body empty"])
def test_an_empty_list_may_be_absent_null_or_the_empty_string(body: object) -> None:
    assert unwrap_list(body, "students", "student") == []


@pytest.mark.parametrize(
    "body",
    [{"message": "Access denied"}, [], 5, {"students": 5}, {"students": ["a"]},
     {"students": {"student": [{"id": 1}, "junk"]}}],
    ids=["another key", "a list", "a number", "outer not an object", "outer a list",
         "an item not an object"],
)
def test_an_answer_of_another_shape_is_invalid_data_not_an_empty_list(body: object) -> None:
    # Read as "no students", it would make every student look gone.
    with pytest.raises(InvalidSisDataError):
        unwrap_list(body, "students", "student")


@pytest.mark.parametrize("value", [None, "", {}, []])
def test_empties_read_as_no_items(value: object) -> None:
    assert as_list(value) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [(987654321, "987654321"), ("Jeremy.Johnson", "Jeremy.Johnson"), (5551234.0, "5551234"),
     (" 42 ", "42"), (None, ""), (True, ""), ({"a": 1}, "")],
)
def test_numbers_and_strings_both_read_as_strings(value: object, expected: str) -> None:
    assert text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3), ("3", 3), ("-1", -1), (0, 0), (2.0, 2), ("K", None), (None, None)],
)
def test_grade_levels_read_as_integers_whatever_their_form(
    value: object, expected: int | None
) -> None:
    assert int_or_none(value) == expected


def test_a_count_reads_from_resource_counts_and_powerquery_counts() -> None:
    assert wrapped_count({"resource": {"count": 423}}) == 423
    assert wrapped_count({"count": "17"}) == 17
    assert wrapped_count({"nothing": 1}) is None


def test_extension_fields_read_whether_tables_and_fields_are_objects_or_lists() -> None:
    single = {"_extension_data": {"_table_extension": {
        "name": "S_CRS_X", "recordFound": True,
        "_field": {"name": "SCED_Code", "type": "String", "value": "02001"}}}}
    several = {"_extension_data": {"_table_extension": [
        {"name": "s_crs_x", "_field": [{"name": "sced_code", "value": 2001},
                                       {"name": "level", "value": "B"}]},
        {"name": "u_other", "_field": []}]}}
    assert extension_fields(single) == {"s_crs_x.sced_code": "02001"}
    assert extension_fields(several) == {"s_crs_x.sced_code": "2001", "s_crs_x.level": "B"}
    assert extension_fields({"_extension_data": ""}) == {}


def test_dates_read_from_days_and_timestamps() -> None:
    assert parse_date("2026-08-20") == dt.date(2026, 8, 20)
    assert parse_date("2026-08-20T00:00:00") == dt.date(2026, 8, 20)
    assert parse_date("") is None and parse_date("0000-00-00") is None
