"""The connector contract suite: one pytest class, one behaviour per test.

Do not use :class:`ConnectorContractSuite` directly: build a test class for your connector
with :func:`rostersync_core.testing.contract.connector_contract_suite`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from rostersync_core.connector import Connector
from rostersync_core.errors import AuthenticationError, RostersyncError
from rostersync_core.model import RecordKind
from rostersync_core.testing import contract_compare as compare
from rostersync_core.testing import contract_records as records
from rostersync_core.testing.contract_cassettes import scan_for_secrets, shows_secret
from rostersync_core.testing.contract_fetch import FetchedRoster, fetch_roster
from rostersync_core.testing.contract_fixtures import (
    ContractFixtures,
    attempt,
    load_connector,
    resolve_with_fixtures,
    shown,
)
from rostersync_core.testing.contract_hooks import check_hook_results
from rostersync_core.testing.contract_problems import Problem, format_problems
from rostersync_core.testing.contract_target import ContractFault, ContractTarget

__all__ = ["ConnectorContractSuite", "load_connector", "resolve_with_fixtures", "shown"]

#: Kinds a useful fake SIS must hold for the suite to prove anything.
_NEEDED_KINDS = (RecordKind.CLASS, RecordKind.STUDENT, RecordKind.STAFF, RecordKind.ENROLMENT)


_ACCEPTED_WRONG_CREDENTIALS = (
    "wrong credentials (bad_config) were accepted: rostersync_authenticate must verify "
    "them against the SIS and raise AuthenticationError, so setup names a wrong one at once"
)


def _fail_on(headline: str, problems: Sequence[Problem]) -> None:
    if problems:
        pytest.fail(format_problems(headline, problems), pytrace=False)


@pytest.mark.contract
class ConnectorContractSuite(ContractFixtures):
    """Every rule a connector must keep. Subclassed by ``connector_contract_suite``."""

    # -- the connector and its config -----------------------------------------------------------

    def test_config_schema_is_valid_and_marks_secrets(
        self, contract_connector: Connector, contract_target: ContractTarget
    ) -> None:
        configs = {"config": contract_target.config}
        if contract_target.bad_config is not None:
            configs["bad_config"] = contract_target.bad_config
        problems = compare.check_config_schema(contract_connector.info.config_schema, configs)
        _fail_on("the config schema breaks the contract", problems)

    def test_the_school_is_listed(
        self, contract_connector: Connector, contract_session: object,
        contract_target: ContractTarget,
    ) -> None:
        schools = contract_connector.list_schools(contract_session)
        ids = [s.sis_id for s in schools]
        assert contract_target.sis_school_id in ids, (
            f"rostersync_list_schools did not list school {contract_target.sis_school_id!r} "
            f"(it listed {len(ids)}); setup binds a school from this list"
        )
        assert len(ids) == len(set(ids)), "rostersync_list_schools lists a school twice"

    def _wrong_credentials_error(
        self, connector: Connector, target: ContractTarget
    ) -> RostersyncError:
        if target.bad_config is None:
            pytest.skip("the connector has no credentials (give bad_config= to check them)")
        bad = target.bad_config
        _, error = attempt(lambda: connector.authenticate(bad))
        if error is None:
            pytest.fail(_ACCEPTED_WRONG_CREDENTIALS, pytrace=False)
        return error

    def test_wrong_credentials_raise_authentication_error(
        self, contract_connector: Connector, contract_target: ContractTarget,
        contract_recording: None, contract_secrets: set[str],
    ) -> None:
        error = self._wrong_credentials_error(contract_connector, contract_target)
        if not isinstance(error, AuthenticationError):
            pytest.fail(
                f"wrong credentials raised {shown(error, contract_secrets)}; raise "
                "AuthenticationError so the admin is told to fix the credentials (and it is "
                "never retried)",
                pytrace=False,
            )

    def test_authentication_error_contains_no_secret(
        self, contract_connector: Connector, contract_target: ContractTarget,
        contract_secrets: set[str], contract_secret_names: dict[str, str],
        contract_recording: None,
    ) -> None:
        error = self._wrong_credentials_error(contract_connector, contract_target)
        _fail_on(
            "the error for wrong credentials shows a secret",
            compare.find_secrets(error, contract_secrets, contract_secret_names),
        )

    def test_logs_hold_no_secret(
        self, contract_connector: Connector, contract_target: ContractTarget,
        contract_secrets: set[str], contract_secret_names: dict[str, str],
        contract_recording: None, caplog: pytest.LogCaptureFixture,
    ) -> None:
        with caplog.at_level(logging.DEBUG):
            session, _ = attempt(lambda: contract_connector.authenticate(contract_target.config))
            if contract_target.bad_config is not None:
                bad = contract_target.bad_config
                attempt(lambda: contract_connector.authenticate(bad))
            if session is not None:
                attempt(lambda: fetch_roster(
                    contract_connector, session, contract_target.sis_school_id, limit=1
                ))
        leaked = sorted(s for s in contract_secrets if shows_secret(caplog.text, s))
        problems = [
            Problem(
                "secret-in-log",
                "the log (DEBUG and above) of authenticating and fetching",
                "contains " + compare.which_secret(s, contract_secret_names),
                "never log configs, headers, tokens or URLs carrying credentials; log the "
                "host, method, path and status instead",
            )
            for s in leaked
        ]
        _fail_on("a secret reaches the logs", problems)

    # -- what the fetch hooks yield --------------------------------------------------------------

    def test_the_fake_sis_holds_every_kind(self, contract_roster: FetchedRoster) -> None:
        counts = contract_roster.counts()
        empty = [k.value for k in _NEEDED_KINDS if not counts.get(k)]
        assert not empty, (
            f"the school yields no {', '.join(empty)} records: give the fake SIS (or cassette) "
            "a few of each kind, or the other checks prove nothing"
        )

    def test_each_fetch_hook_returns_records_not_none(
        self, contract_connector: Connector, contract_session: object,
        contract_target: ContractTarget,
    ) -> None:
        _fail_on(
            "a hook returns nothing",
            check_hook_results(contract_connector, contract_session, contract_target.sis_school_id),
        )

    def test_each_hook_yields_its_own_record_types(self, contract_roster: FetchedRoster) -> None:
        _fail_on("a fetch hook yields the wrong things", records.check_hook_types(contract_roster))

    def test_record_fields_have_the_model_types(self, contract_roster: FetchedRoster) -> None:
        _fail_on("records hold values of the wrong type",
                 records.check_field_types(contract_roster))

    def test_required_fields_are_present(self, contract_roster: FetchedRoster) -> None:
        _fail_on("records lack required values", records.check_required_fields(contract_roster))

    def test_ids_are_unique_per_kind(self, contract_roster: FetchedRoster) -> None:
        _fail_on("records are yielded more than once", records.check_unique_ids(contract_roster))

    def test_grades_subjects_and_roles_are_known(self, contract_roster: FetchedRoster) -> None:
        _fail_on("values fall outside the known vocabularies",
                 records.check_vocabularies(contract_roster))

    def test_every_reference_resolves(self, contract_roster: FetchedRoster) -> None:
        _fail_on("records refer to records that were not yielded",
                 records.check_references(contract_roster))

    def test_paging_is_complete(
        self, contract_roster: FetchedRoster, contract_target: ContractTarget
    ) -> None:
        if contract_target.expected_counts is None:
            pytest.skip("give expected_counts= (records per kind in the fake SIS) to check paging")
        _fail_on("paging lost or repeated records",
                 compare.check_counts(contract_roster, contract_target.expected_counts))

    def test_unchanged_data_fetches_identically(
        self, contract_roster: FetchedRoster, contract_fetch: Callable[..., FetchedRoster]
    ) -> None:
        _fail_on("two fetches of unchanged data differ",
                 compare.check_same_records(contract_roster, contract_fetch()))

    def test_limit_keeps_what_others_depend_on(
        self, contract_roster: FetchedRoster, contract_fetch: Callable[..., FetchedRoster],
        contract_target: ContractTarget,
    ) -> None:
        limited = contract_fetch(limit=contract_target.limit)
        _fail_on("a context.limit run cuts off records others depend on",
                 compare.check_limited_subset(limited, contract_roster))

    def test_limit_makes_the_fetch_smaller(
        self, contract_roster: FetchedRoster, contract_fetch: Callable[..., FetchedRoster],
        contract_target: ContractTarget,
    ) -> None:
        limited = contract_fetch(limit=contract_target.limit)
        _fail_on("context.limit is ignored",
                 compare.check_limit_applies(limited, contract_roster))

    def test_a_delta_fetch_says_what_it_left_out(
        self, contract_roster: FetchedRoster, contract_fetch: Callable[..., FetchedRoster],
        contract_target: ContractTarget,
    ) -> None:
        delta = contract_fetch(since=contract_target.since)
        _fail_on("a delta fetch would archive records",
                 compare.check_delta_marked(delta, contract_roster))

    # -- failures ------------------------------------------------------------------------------

    def test_transient_errors_are_retried(
        self, contract_roster: FetchedRoster, contract_fetch: Callable[..., FetchedRoster],
        contract_target: ContractTarget, contract_secrets: set[str],
    ) -> None:
        faults = contract_target.faults
        if faults is None:
            pytest.skip("give faults= (a FaultInjector for the fake SIS) to check retries")
        faults.inject(ContractFault.TRANSIENT, 2)
        again, error = attempt(contract_fetch)
        if error is not None or again is None:
            assert error is not None
            pytest.fail(
                "two transient failures (e.g. HTTP 503) ended the fetch with "
                f"{shown(error, contract_secrets)}; retry them with backoff "
                "(rostersync_core.http.SisClient retries for you)",
                pytrace=False,
            )
        assert faults.served() == 2, (
            f"the fake SIS served {faults.served()} of 2 injected failures: does inject() "
            "reach the requests the connector makes?"
        )
        _fail_on("records differ after retried failures",
                 compare.check_same_records(contract_roster, again))

    def test_credential_errors_are_not_retried(
        self, contract_session: object, contract_fetch: Callable[..., FetchedRoster],
        contract_target: ContractTarget, contract_secrets: set[str],
        contract_secret_names: dict[str, str],
    ) -> None:
        faults = contract_target.faults
        if faults is None:
            pytest.skip("give faults= (a FaultInjector for the fake SIS) to check retries")
        faults.inject(ContractFault.CREDENTIALS, 10)
        _, error = attempt(contract_fetch)
        if error is None:
            pytest.fail(
                "the fetch succeeded although the SIS refused the credentials: does "
                "inject() reach the requests the connector makes?",
                pytrace=False,
            )
        if not isinstance(error, AuthenticationError):
            pytest.fail(
                f"credentials refused mid-sync raised {shown(error, contract_secrets)}; "
                "raise AuthenticationError so the sync fails loudly and the admin is told to "
                "fix the credentials",
                pytrace=False,
            )
        assert faults.served() <= 2, (
            f"the connector asked {faults.served()} times after the SIS refused its "
            "credentials; never retry a credential error (one token refresh is fine)"
        )
        _fail_on("the error for refused credentials shows a secret",
                 compare.find_secrets(error, contract_secrets, contract_secret_names))

    def test_cassettes_hold_no_secret(
        self, request: pytest.FixtureRequest, contract_secrets: set[str]
    ) -> None:
        if self.contract_cassette_dir is None:
            pytest.skip("the suite runs against a live fake SIS, not recorded cassettes")
        directory = Path(request.path).parent / self.contract_cassette_dir
        found = scan_for_secrets(directory, contract_secrets)
        problems = [
            Problem("secret-in-cassette", str(f), "holds a secret config value",
                    "delete it and re-record; send secrets only in headers or bodies the "
                    "suite scrubs (Authorization, token fields)")
            for f, _ in found
        ]
        _fail_on("recorded cassettes hold secrets", problems)
