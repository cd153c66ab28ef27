"""The same district through every OneRoster source gives the same normalised records."""

from __future__ import annotations

from pathlib import Path

from rostersync_core.districts import District, generate_district
from rostersync_core.model import Person
from rostersync_oneroster.connector import OneRosterConnector
from rostersync_oneroster.testing import FakeOneRosterServer, write_csv
from rostersync_oneroster.testing.fetching import Fetched, fetch_school


def every_source(
    connector: OneRosterConnector, district: District, school: str, tmp_path: Path
) -> dict[str, Fetched]:
    fetched: dict[str, Fetched] = {}
    for version, auth in (("1.2", "oauth2"), ("1.1", "oauth1")):
        with FakeOneRosterServer(district, version=version, auth=auth, limit_cap=50) as sis:
            session = connector.rostersync_authenticate(sis.config())
            fetched[f"rest-{version}-{auth}"] = fetch_school(connector, session, school)
    for version, name in (("1.1", "folder-1.1"), ("1.2", "zip-1.2.zip")):
        path = write_csv(district, tmp_path / name, version=version)
        session = connector.rostersync_authenticate({"source": "csv", "path": str(path)})
        fetched[f"csv-{name}"] = fetch_school(connector, session, school)
    return fetched


def test_rest_and_csv_in_both_versions_give_the_same_records(
    connector: OneRosterConnector, tmp_path: Path
) -> None:
    district = generate_district(students=900, seed=11)  # three schools
    school = sorted(district.schools)[1]
    fetched = every_source(connector, district, school, tmp_path)
    reference = fetched.pop("rest-1.2-oauth2")
    assert reference.of(Person) == set(district.school(school).people)
    for name, other in fetched.items():
        assert other.records() == reference.records(), name
        assert other.grades == reference.grades, name
        assert other.subjects == reference.subjects, name
        assert other.context.invalid == [] and other.context.delta_kinds == set(), name
