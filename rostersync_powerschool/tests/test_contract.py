"""The connector contract suite, against the fake PowerSchool (small pages)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rostersync_core.districts import District
from rostersync_core.http import RetryPolicy
from rostersync_core.model import record_kind
from rostersync_core.testing.contract import (
    ContractTarget,
    ServerFaults,
    connector_contract_suite,
)
from rostersync_powerschool.connector import PowerSchoolConnector
from rostersync_powerschool.testing import FakePowerSchool
from rostersync_powerschool.testing.expected import expected_records


@pytest.fixture
def fake_powerschool(district: District) -> Iterator[FakePowerSchool]:
    with FakePowerSchool(district, max_page_size=7) as server:
        yield server  # type: ignore[misc]


def target(fake_powerschool: FakePowerSchool, district: District) -> ContractTarget:
    counts: dict[str, int] = {}
    for record in expected_records(district.school("100")):
        kind = record_kind(record).value
        counts[kind] = counts.get(kind, 0) + 1
    return ContractTarget(
        config=fake_powerschool.config(),
        bad_config=fake_powerschool.config(client_secret="wrong-secret-for-the-suite"),
        sis_school_id="100",
        expected_counts=counts,
        faults=ServerFaults(fake_powerschool),
        limit=3,
    )


TestPowerSchoolContract = connector_contract_suite(
    PowerSchoolConnector(retry=RetryPolicy.fast()), target=target
)
