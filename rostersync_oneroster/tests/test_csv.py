"""The CSV source: zip or folder, 1.1 and 1.2 layouts, manifest modes, BOM, safety."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from rostersync_core.districts import District, evolve_district
from rostersync_core.errors import ConfigError, InvalidSisDataError, UnknownSchoolError
from rostersync_core.model import Enrolment, Person, PersonKind, RecordKind
from rostersync_oneroster.connector import OneRosterConnector
from rostersync_oneroster.testing import csv_files, dataset_from_district, write_csv
from rostersync_oneroster.testing.fetching import Fetched, fetch_school, oneroster_family_links


def fetch_csv(path: Path, school_id: str, **context: object) -> Fetched:
    connector = OneRosterConnector()
    session = connector.rostersync_authenticate({"source": "csv", "path": str(path)})
    return fetch_school(connector, session, school_id, **context)


def assert_same_as_district(fetched: Fetched, district: District, school_id: str) -> None:
    roster = district.school(school_id)
    assert fetched.of(Person) == set(roster.people)
    assert fetched.of(Enrolment) == set(roster.enrolments)
    assert set(roster.classes) <= set(fetched.classes)
    assert {e for e in fetched.enrolments if type(e) is not Enrolment} == oneroster_family_links(
        district, school_id
    )
    assert fetched.context.invalid == []
    assert fetched.context.delta_kinds == set()


@pytest.mark.parametrize("version", ["1.1", "1.2"])
@pytest.mark.parametrize("name", ["folder", "exchange.zip"])
def test_a_bulk_exchange_gives_the_district_school(
    tmp_path: Path, district: District, school_id: str, version: str, name: str
) -> None:
    path = write_csv(district, tmp_path / name, version=version)
    assert_same_as_district(fetch_csv(path, school_id), district, school_id)


def test_files_with_a_byte_order_mark_are_read(
    tmp_path: Path, district: District, school_id: str
) -> None:
    folder = write_csv(district, tmp_path / "bom")
    for file in folder.glob("*.csv"):
        file.write_bytes(b"\xef\xbb\xbf" + file.read_bytes())
    assert_same_as_district(fetch_csv(folder, school_id), district, school_id)


def test_an_exchange_without_a_manifest_is_read_as_bulk(
    tmp_path: Path, district: District, school_id: str
) -> None:
    folder = write_csv(district, tmp_path / "plain")
    (folder / "manifest.csv").unlink()
    assert_same_as_district(fetch_csv(folder, school_id), district, school_id)


def test_files_inside_one_folder_of_the_zip_are_found(
    tmp_path: Path, district: District, school_id: str
) -> None:
    path = tmp_path / "nested.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in csv_files(dataset_from_district(district, version="1.1")).items():
            archive.writestr(f"export-2026/{name}", text)
    assert_same_as_district(fetch_csv(path, school_id), district, school_id)


def test_metadata_columns_are_kept(tmp_path: Path, district: District, school_id: str) -> None:
    """1.1 has no preferredFirstName; the writer puts it in ``metadata.preferredFirstName``."""
    folder = write_csv(district, tmp_path / "meta", version="1.1")
    header = (folder / "users.csv").read_text().splitlines()[0]
    assert header.endswith("metadata.preferredFirstName")
    staff = [p for p in fetch_csv(folder, school_id).people if p.kind is PersonKind.STAFF]
    assert staff and all(p.preferred_name for p in staff)


def test_multi_value_cells_are_split(tmp_path: Path, district: District, school_id: str) -> None:
    folder = write_csv(district, tmp_path / "multi")
    classes = (folder / "classes.csv").read_text()
    assert '","' in classes or ',"' in classes  # quoted comma lists are in the file
    scheduled = [c for c in fetch_csv(folder, school_id).classes if getattr(c, "term_sis_ids", ())]
    assert any(len(c.term_sis_ids) == 2 for c in scheduled)  # type: ignore[union-attr]


def test_a_delta_exchange_reports_changes_and_removals(
    tmp_path: Path, district: District, school_id: str
) -> None:
    later = evolve_district(district, new_students=2, withdrawals=1, teacher_changes=1)
    stamp = "2026-09-01T00:00:00.000Z"
    dataset = dataset_from_district(district).evolve(dataset_from_district(later), modified=stamp)
    folder = write_csv(dataset, tmp_path / "delta", delta_since="2026-08-15T00:00:00Z")
    fetched = fetch_csv(folder, school_id)
    ctx = fetched.context
    assert {RecordKind.STUDENT, RecordKind.ENROLMENT, RecordKind.FAMILY_LINK} <= ctx.delta_kinds
    before = {p.sis_id for p in district.school(school_id).students()}
    after = {p.sis_id for p in later.school(school_id).students()}
    assert ctx.removed[RecordKind.STUDENT] == before - after
    new_students = {p.sis_id for p in fetched.people if p.kind is PersonKind.STUDENT}
    assert new_students == after - before
    assert ctx.removed[RecordKind.ENROLMENT]  # the withdrawn student's and the old teacher's
    new_enrolments = set(later.school(school_id).enrolments) - set(
        district.school(school_id).enrolments
    )
    assert fetched.of(Enrolment) == new_enrolments
    assert ctx.invalid == []


def test_a_delta_row_without_status_is_invalid_not_absent(
    tmp_path: Path, district: District, school_id: str
) -> None:
    later = evolve_district(district, new_students=1, withdrawals=0, teacher_changes=0)
    dataset = dataset_from_district(district).evolve(
        dataset_from_district(later), modified="2026-09-01T00:00:00.000Z"
    )
    folder = write_csv(dataset, tmp_path / "delta", delta_since="2026-08-15T00:00:00Z")
    users = folder / "users.csv"
    lines = users.read_text().splitlines()
    lines[1] = lines[1].replace(",active,", ",,", 1)
    users.write_text("\r\n".join(lines) + "\r\n")
    fetched = fetch_csv(folder, school_id)
    assert [r.reason for r in fetched.context.invalid] == [
        "a delta row needs status and dateLastModified"
    ]


def test_a_file_the_manifest_calls_absent_is_unchanged_not_empty(
    tmp_path: Path, district: District, school_id: str
) -> None:
    folder = write_csv(district, tmp_path / "absent")
    manifest = folder / "manifest.csv"
    manifest.write_text(manifest.read_text().replace("file.users,bulk", "file.users,absent"))
    fetched = fetch_csv(folder, school_id)
    assert fetched.people == []
    assert RecordKind.STUDENT in fetched.context.delta_kinds  # nothing is archived


def test_the_wrong_school_id_is_named(tmp_path: Path, district: District) -> None:
    folder = write_csv(district, tmp_path / "x")
    with pytest.raises(UnknownSchoolError):
        fetch_csv(folder, "no-such-school")


def test_a_missing_path_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        OneRosterConnector().rostersync_authenticate(
            {"source": "csv", "path": str(tmp_path / "nothing.zip")}
        )
    assert caught.value.field == "path"


# -- files from outside are checked --------------------------------------------------------


def zip_with(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def open_csv(path: Path) -> None:
    OneRosterConnector().rostersync_authenticate({"source": "csv", "path": str(path)})


@pytest.mark.parametrize("entry", ["../users.csv", "/etc/users.csv", "a/../../users.csv"])
def test_a_zip_entry_escaping_the_folder_is_refused(tmp_path: Path, entry: str) -> None:
    with pytest.raises(InvalidSisDataError, match="escapes the folder"):
        open_csv(zip_with(tmp_path / "evil.zip", {entry: b"sourcedId\r\n"}))


def test_a_zip_bomb_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = zip_with(tmp_path / "bomb.zip", {"users.csv": b"0" * 5_000_000})
    with pytest.raises(InvalidSisDataError, match=r"users\.csv inflates"):
        open_csv(path)


def test_an_absurdly_large_file_is_refused(
    tmp_path: Path, district: District, school_id: str
) -> None:
    from rostersync_oneroster.csv_source import CsvSource

    path = write_csv(district, tmp_path / "big.zip")
    with pytest.raises(InvalidSisDataError, match="larger than the 1000 allowed"):
        CsvSource(path, max_file_bytes=1000)


def test_a_file_that_is_not_what_the_manifest_says_is_refused(tmp_path: Path) -> None:
    path = zip_with(
        tmp_path / "odd.zip",
        {
            "manifest.csv": b"propertyName,value\r\nfile.users,bulk\r\n",
            "users.csv": b"name,colour\r\nann,red\r\n",
        },
    )
    connector = OneRosterConnector()
    session = connector.rostersync_authenticate({"source": "csv", "path": str(path)})
    with pytest.raises(InvalidSisDataError, match=r"users\.csv is not a OneRoster users file"):
        fetch_school(connector, session, "100")


def test_a_file_the_manifest_lists_but_the_zip_lacks_is_refused(tmp_path: Path) -> None:
    path = zip_with(
        tmp_path / "short.zip",
        {"manifest.csv": b"propertyName,value\r\nfile.enrollments,bulk\r\n"},
    )
    with pytest.raises(
        InvalidSisDataError, match=r"enrollments\.csv as bulk but the file is missing"
    ):
        open_csv(path)


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = zip_with(
        tmp_path / "latin.zip",
        {"orgs.csv": "sourcedId,name,type\r\n1,Écol\xe9,school\r\n".encode("latin-1")},
    )
    connector = OneRosterConnector()
    with pytest.raises(InvalidSisDataError, match=r"orgs\.csv is not UTF-8"):
        connector.rostersync_list_schools(
            connector.rostersync_authenticate({"source": "csv", "path": str(path)})
        )


def test_a_file_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fake.zip"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(InvalidSisDataError, match="not a readable zip"):
        open_csv(path)


def test_a_damaged_zip_entry_is_invalid_data_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "damaged.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("orgs.csv", b"sourcedId,name,type\r\n100,North School,school\r\n")
    data = bytearray(path.read_bytes())
    at = data.find(b"North School")
    data[at] = ord("n")  # the stored bytes no longer match their CRC
    path.write_bytes(bytes(data))
    connector = OneRosterConnector()
    session = connector.rostersync_authenticate({"source": "csv", "path": str(path)})
    with pytest.raises(InvalidSisDataError, match=r"orgs\.csv is damaged or unreadable"):
        connector.rostersync_list_schools(session)
