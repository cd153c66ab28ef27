"""The connector contract suite, against the fake server (1.2 / OAuth 2, small pages)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rostersync_core.districts import District
from rostersync_core.http import RetryPolicy
from rostersync_core.plugins import PluginHost
from rostersync_core.testing.contract import ContractTarget, connector_contract_suite
from rostersync_oneroster.connector import OneRosterConnector
from rostersync_oneroster.testing import FakeOneRosterServer


@pytest.fixture
def fake_oneroster(district: District) -> Iterator[FakeOneRosterServer]:
    with FakeOneRosterServer(district, version="1.2", auth="oauth2") as sis:
        yield sis


def target(fake_oneroster: FakeOneRosterServer, district: District) -> ContractTarget:
    school = sorted(district.schools)[0]
    return ContractTarget(
        config=fake_oneroster.config(page_size=10),
        bad_config=fake_oneroster.bad_config(),
        sis_school_id=school,
        expected_counts=fake_oneroster.counts(school, district),
        faults=fake_oneroster.contract_faults(),
        limit=3,
    )


TestOneRosterContract = connector_contract_suite(
    OneRosterConnector(retry=RetryPolicy.fast()), target=target
)


def test_the_installed_distribution_registers_the_connector() -> None:
    host = PluginHost(allow=["oneroster"])
    assert host.failures == []
    assert host.connector("oneroster").info.secret_fields == {"client_secret"}
