"""What the csvdir connector reads from a folder, and what it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

import rostersync_csvdir.connector
from rostersync_core import (
    ConfigError,
    Connector,
    Enrolment,
    FetchContext,
    InvalidSisDataError,
    PersonKind,
    PluginHost,
    RecordKind,
    UnknownSchoolError,
)
from rostersync_csvdir.sample import API_KEY, write_district


@pytest.fixture
def csvdir() -> Connector:
    return PluginHost(load_entry_points=False).register_connector(rostersync_csvdir.connector)


def _people(connector: Connector, folder: Path, school: str = "S1") -> dict[str, PersonKind]:
    session = connector.authenticate({"folder": str(folder), "api_key": API_KEY})
    people = connector.fetch_people(session, FetchContext(sis_school_id=school))
    return {p.sis_id: p.kind for p in people}


def test_an_installed_csvdir_is_found_by_the_core() -> None:
    assert "csvdir" in PluginHost(allow=["csvdir"]).connectors


def test_a_folder_that_does_not_exist_is_a_config_error_naming_the_field(
    csvdir: Connector, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError) as caught:
        csvdir.authenticate({"folder": str(tmp_path / "nowhere")})
    assert caught.value.field == "folder"


def test_a_folder_without_a_key_file_needs_no_api_key(csvdir: Connector, tmp_path: Path) -> None:
    folder = write_district(tmp_path / "open", api_key=None)
    session = csvdir.authenticate({"folder": str(folder)})
    assert [s.sis_id for s in csvdir.list_schools(session)] == ["S1", "S2"]


def test_a_school_gets_its_own_people_and_its_students_family(
    csvdir: Connector, district: Path
) -> None:
    people = _people(csvdir, district)
    assert people["f1"] is PersonKind.FAMILY  # linked to st1, who is at S1
    assert people["t3"] is PersonKind.STAFF  # works at S1 and S2
    assert "st9" not in people  # a student of S2
    assert "f9" not in people  # family of an S2 student only


def test_a_grade_in_use_but_not_listed_is_still_offered_for_mapping(
    csvdir: Connector, district: Path
) -> None:
    session = csvdir.authenticate({"folder": str(district), "api_key": API_KEY})
    grades = [g.sis_id for g in csvdir.fetch_grades(session, FetchContext(sis_school_id="S1"))]
    assert "03" in grades  # st5's grade; grades.csv forgot it


def test_unreadable_rows_are_reported_and_never_yielded(csvdir: Connector, district: Path) -> None:
    with (district / "people.csv").open("a", encoding="utf-8") as people:
        people.write("st1,student,S1,Ada,Again,,,,KG,,true\n")  # the id appears twice
        people.write("x1,visitor,S1,Val,Visitor,,,,,,true\n")  # an unknown kind
    with (district / "enrolments.csv").open("a", encoding="utf-8") as enrolments:
        enrolments.write("M1,nobody,student,,,\n")  # a person who does not exist
    session = csvdir.authenticate({"folder": str(district), "api_key": API_KEY})
    context = FetchContext(sis_school_id="S1")
    people = list(csvdir.fetch_people(session, context))
    enrolments = list(csvdir.fetch_enrolments(session, context))
    reported = {(bad.kind, bad.sis_id) for bad in context.invalid}
    assert (RecordKind.STUDENT, "st1") in reported
    assert (RecordKind.STUDENT, "x1") in reported
    assert (RecordKind.ENROLMENT, "M1|nobody") in reported
    assert [p.family_name for p in people if p.sis_id == "st1"] == ["Lovelace"]
    assert all(e.person_sis_id != "nobody" for e in enrolments if isinstance(e, Enrolment))


def test_a_file_missing_a_required_column_is_invalid_data_naming_it(
    csvdir: Connector, district: Path
) -> None:
    (district / "classes.csv").write_text("id,school_id\nK1,S1\n", encoding="utf-8")
    session = csvdir.authenticate({"folder": str(district), "api_key": API_KEY})
    with pytest.raises(InvalidSisDataError, match=r"classes.csv lacks the column\(s\) title"):
        list(csvdir.fetch_classes(session, FetchContext(sis_school_id="S1")))


def test_an_unknown_school_is_named(csvdir: Connector, district: Path) -> None:
    session = csvdir.authenticate({"folder": str(district), "api_key": API_KEY})
    with pytest.raises(UnknownSchoolError, match="S7"):
        list(csvdir.fetch_people(session, FetchContext(sis_school_id="S7")))


def test_a_key_changed_mid_sync_fails_loudly(csvdir: Connector, district: Path) -> None:
    from rostersync_core import AuthenticationError

    session = csvdir.authenticate({"folder": str(district), "api_key": API_KEY})
    (district / ".api_key").write_text("a-new-key\n", encoding="utf-8")
    with pytest.raises(AuthenticationError):
        list(csvdir.fetch_people(session, FetchContext(sis_school_id="S1")))
