"""``rostersync new-connector`` writes a complete connector distribution from the template."""

from __future__ import annotations

import json
import py_compile
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from rostersync_core.cli.main import cli
from rostersync_core.errors import ConfigError
from rostersync_core.scaffold import connector_names, create_connector


def test_the_distribution_has_an_entry_point_for_the_connector(tmp_path: Path) -> None:
    path = create_connector("acme-sis", tmp_path)
    project = tomllib.loads((path / "pyproject.toml").read_text())
    assert project["project"]["name"] == "rostersync-acme-sis"
    entry_points = project["project"]["entry-points"]["rostersync.connectors"]
    assert entry_points == {"acme-sis": "rostersync_acme_sis.connector"}


def test_the_test_extra_takes_the_contract_suite_s_needs_from_the_core(tmp_path: Path) -> None:
    # one place (the core's [testing] extra) says what the contract suite needs, so a
    # connector's tests keep working when the suite needs something new
    from rostersync_core import __version__

    path = create_connector("acme-sis", tmp_path)
    project = tomllib.loads((path / "pyproject.toml").read_text())
    assert project["project"]["optional-dependencies"]["test"] == [
        f"rostersync-core[testing]>={__version__}"
    ]


def test_every_generated_file_is_filled_in_and_python_compiles(tmp_path: Path) -> None:
    path = create_connector("acme-sis", tmp_path)
    files = sorted(p for p in path.rglob("*") if p.is_file())
    assert {p.relative_to(path).as_posix() for p in files} >= {
        "pyproject.toml",
        "README.md",
        "src/rostersync_acme_sis/connector.py",
        "src/rostersync_acme_sis/testing.py",
        "tests/test_contract.py",
    }
    for file in files:
        assert "{{" not in file.read_text(), f"{file} keeps a template placeholder"
        if file.suffix == ".py":
            py_compile.compile(str(file), doraise=True)


def test_a_name_that_cannot_be_a_package_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        create_connector("Acme SIS", tmp_path)
    assert caught.value.field == "name"
    assert not any(tmp_path.iterdir())


def test_an_existing_folder_is_never_overwritten(tmp_path: Path) -> None:
    path = create_connector("acme", tmp_path)
    (path / "README.md").write_text("my notes")
    with pytest.raises(ConfigError):
        create_connector("acme", tmp_path)
    assert (path / "README.md").read_text() == "my notes"


def test_names_are_derived_from_the_connector_name() -> None:
    names = connector_names("acme-sis")
    assert (names.package, names.distribution, names.title, names.class_prefix) == (
        "rostersync_acme_sis",
        "rostersync-acme-sis",
        "Acme Sis",
        "AcmeSis",
    )


def test_the_command_creates_the_connector_and_says_where(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["new-connector", "acme", "-d", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["distribution"] == "rostersync-acme"
    assert Path(data["path"], "src", "rostersync_acme", "connector.py").is_file()


def test_the_generated_connector_passes_the_contract_suite(
    generated_connector: Path, pytester: pytest.Pytester, contract_checks: int
) -> None:
    # The generated test names the installed entry point; in process the connector is not
    # installed, so the copy used here names its hooks module instead (the slow test in
    # test_template_install.py runs the generated tests unchanged in a fresh venv).
    tests = generated_connector / "tests"
    contract = (tests / "test_contract.py").read_text()
    assert 'plugin="demo"' in contract
    contract = contract.replace('plugin="demo"', "plugin=demo_connector").replace(
        "from rostersync_demo.testing import API_KEY",
        "from rostersync_demo.testing import API_KEY\n"
        "import rostersync_demo.connector as demo_connector",
    )
    pytester.makeconftest((tests / "conftest.py").read_text())
    pytester.makepyfile(
        test_contract=contract, test_records=(tests / "test_records.py").read_text()
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    # every check but the cassette scan, and every test of test_records.py
    record_tests = (tests / "test_records.py").read_text().count("\ndef test_")
    result.assert_outcomes(passed=contract_checks - 1 + record_tests, skipped=1)


def test_the_generated_connector_reports_unreadable_rows_without_their_values(
    generated_connector: Path,
) -> None:
    import copy

    import rostersync_demo.connector as demo
    from rostersync_demo.testing import API_KEY, DISTRICT, FakeDemoSis

    from rostersync_core import FetchContext, PluginHost

    district = copy.deepcopy(DISTRICT)
    district["S1"]["people"].append(
        {"id": "st9", "kind": "pupil", "given_name": "Nobody", "family_name": "Known"}
    )
    district["S1"]["enrolments"].append(
        {"class_id": "K1", "person_id": "st3", "role": "student", "begin_date": "05/09/2025"}
    )
    connector = PluginHost(load_entry_points=False).register_connector(demo)
    context = FetchContext(sis_school_id="S1")
    with FakeDemoSis(district) as sis:
        session = connector.authenticate({"base_url": sis.api_url, "api_key": API_KEY})
        list(connector.fetch_people(session, context))
        list(connector.fetch_enrolments(session, context))
    assert [(row.sis_id, row.reason) for row in context.invalid] == [
        ("st9", "cannot read the row: kind must be one of student, staff, family"),
        ("", "cannot read the row: begin_date is not a YYYY-MM-DD date"),
    ]
