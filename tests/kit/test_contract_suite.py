"""The contract suite passes a connector that keeps the contract and fails one that does not,
with messages that say which record, which rule and what to fix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rostersync_core import hookimpl
from rostersync_core.testing.contract import load_connector

RunContract = Callable[..., Any]


def test_a_connector_that_keeps_the_contract_passes_every_check(
    run_contract: RunContract, contract_checks: int
) -> None:
    run = run_contract()
    assert run.failed() == set(), run.output
    # every check passes but the cassette scan (the tiny connector runs live)
    assert f"{contract_checks - 1} passed, 1 skipped" in run.output


def test_the_deliberately_wrong_connector_fails_with_advice(run_contract: RunContract) -> None:
    run = run_contract("duplicate-id", "dangling-enrolment", "secret-in-error")
    assert {
        "test_ids_are_unique_per_kind",
        "test_every_reference_resolves",
        "test_authentication_error_contains_no_secret",
    } <= run.failed()
    assert "[unique-ids] student 'st1': is yielded 2 times" in run.output
    assert "fix: yield each record once" in run.output
    assert (
        "[references] enrolment 'GHOST|st1': refers to class 'GHOST', which was not yielded"
        in run.output
    )
    assert "[secret-in-error] AuthenticationError: the error" in run.output


def test_a_failing_run_never_prints_the_secrets_it_was_given(run_contract: RunContract) -> None:
    run = run_contract("secret-in-error", "unmarked-secret")
    assert "test_authentication_error_contains_no_secret" in run.failed()
    for secret in run.secrets:
        assert secret not in run.output


@pytest.mark.parametrize(
    ("mistake", "failing_test", "advice"),
    [
        ("unmarked-secret", "test_config_schema_is_valid_and_marks_secrets",
         "config field 'api_key': looks like a secret but is not marked"),
        ("auth-not-checked", "test_wrong_credentials_raise_authentication_error",
         "wrong credentials (bad_config) were accepted"),
        ("school-not-listed", "test_the_school_is_listed",
         "rostersync_list_schools did not list school 'S1'"),
        ("wrong-hook", "test_each_hook_yields_its_own_record_types",
         "[hook-types] rostersync_fetch_people: yielded grade '03'; it may only yield Person"),
        ("missing-title", "test_required_fields_are_present",
         "[required-fields] class 'K1': field 'title' is empty"),
        ("wrong-types", "test_record_fields_have_the_model_types",
         "student 'st1': field 'family_name' is a NoneType, expected a str"),
        ("wrong-types", "test_record_fields_have_the_model_types",
         "field 'roles' is a list, expected a tuple of str (not a list)"),
        ("unknown-grade", "test_grades_subjects_and_roles_are_known",
         "student 'st2': grade 'Year 2' is not among the values rostersync_fetch_grades yielded"),
        ("lost-page", "test_paging_is_complete",
         "[paging] student records: 2 yielded but the source holds 3: 1 missing"),
        ("unstable", "test_unchanged_data_fetches_identically",
         "class 'K1': differs between two fetches of unchanged data in ['location']"),
        ("limit-cuts-dependencies", "test_limit_keeps_what_others_depend_on",
         "which was not yielded in a run with context.limit=2"),
        ("ignores-limit", "test_limit_makes_the_fetch_smaller",
         "[limit] a run with context.limit=2: yielded everything although the school holds"),
        ("logs-secret", "test_logs_hold_no_secret",
         "[secret-in-log] the log (DEBUG and above) of authenticating and fetching: contains"),
        ("unmarked-delta", "test_a_delta_fetch_says_what_it_left_out",
         "[delta] student records: a fetch with context.since yielded 1 of 3 without calling"),
        ("no-retry", "test_transient_errors_are_retried",
         "two transient failures (e.g. HTTP 503) ended the fetch with SisUnavailableError"),
        ("retries-credentials", "test_credential_errors_are_not_retried",
         "never retry a credential error"),
        ("forgets-yield", "test_each_fetch_hook_returns_records_not_none",
         "[hook-result] rostersync_fetch_subjects: returned None, which rostersync reads as no "
         "records at all"),
    ],
    ids=lambda value: value if isinstance(value, str) and " " not in value else "",
)
def test_each_mistake_fails_its_check_with_advice(
    run_contract: RunContract, mistake: str, failing_test: str, advice: str
) -> None:
    run = run_contract(mistake)
    assert failing_test in run.failed(), run.output
    assert advice in run.output, run.output


def test_an_unhashable_plugin_object_is_named_with_the_fix() -> None:
    class Unhashable:
        __hash__ = None  # type: ignore[assignment]  # what @attrs.define (eq=True) does

    with pytest.raises(pytest.fail.Exception, match=r"not hashable.*attrs.define\(eq=False\)"):
        load_connector(Unhashable())


def test_a_connector_that_is_not_installed_is_named_with_the_fix() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"no entry point 'not-installed'.*pip"):
        load_connector("not-installed")


def test_a_connector_the_core_refuses_fails_with_the_core_s_reason() -> None:
    class HalfAConnector:
        @hookimpl
        def rostersync_list_schools(self, session: object) -> list[object]:
            return []

    with pytest.raises(pytest.fail.Exception, match="does not implement the connector hooks"):
        load_connector(HalfAConnector())


def test_a_leaked_secret_is_named_by_its_config_field_and_none_of_it_is_shown(
    run_contract: RunContract,
) -> None:
    run = run_contract("secret-in-error", "logs-secret")
    assert (
        "[secret-in-error] AuthenticationError: the error (or an error it was raised from) "
        "contains the value of bad_config['api_key']" in run.output
    )
    assert "contains the value of config['api_key']" in run.output  # the DEBUG log line
    assert "'ti'" not in run.output  # not even the first characters of the key


def test_a_duplicate_and_a_lost_page_name_the_hook_that_yielded_them(
    run_contract: RunContract,
) -> None:
    duplicated, lost = run_contract("duplicate-id"), run_contract("lost-page")
    assert "[unique-ids] student 'st1': is yielded 2 times by rostersync_fetch_people" in (
        duplicated.output
    )
    assert "1 missing (from rostersync_fetch_people)" in lost.output


def test_a_dangling_enrolment_is_told_to_report_a_row_the_sis_cannot_resolve(
    run_contract: RunContract,
) -> None:
    run = run_contract("dangling-enrolment")
    assert "if the SIS itself does not hold it, skip this record and call " in run.output
    assert "context.report_invalid(RecordKind.ENROLMENT, ...)" in run.output


def test_expected_counts_keyed_by_a_wrong_name_are_named_with_the_kinds() -> None:
    from rostersync_core.testing.contract import FetchedRoster
    from rostersync_core.testing.contract_compare import check_counts

    roster = FetchedRoster(sis_school_id="S1", by_hook={})
    [problem] = check_counts(roster, {"students": 3})
    assert problem.where == "expected_counts['students']"
    assert "student, staff, family" in problem.fix


def test_a_secret_url_encoded_into_an_error_is_found() -> None:
    from urllib.parse import quote_plus

    from rostersync_core.errors import SisUnavailableError
    from rostersync_core.testing.contract_compare import find_secrets

    secret = "s3cr+t/Key=="
    error = SisUnavailableError(f"GET /schools?key={quote_plus(secret)} timed out")
    [problem] = find_secrets(error, {secret}, {secret: "config['api_key']"})
    assert problem.what.endswith("contains the value of config['api_key']")
