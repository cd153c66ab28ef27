"""The csvdir connector keeps the rostersync connector contract: one statement."""

from rostersync_core.testing.contract import ContractTarget, connector_contract_suite
from rostersync_csvdir.sample import API_KEY, S1_COUNTS

TestCsvdirContract = connector_contract_suite(
    plugin="csvdir",  # the installed entry point: also proves the connector is discoverable
    target=lambda district, flaky_disk: ContractTarget(
        config={"folder": str(district), "api_key": API_KEY},
        bad_config={"folder": str(district), "api_key": "not-the-folder-key"},
        sis_school_id="S1",
        expected_counts=S1_COUNTS,
        faults=flaky_disk,
    ),
)
