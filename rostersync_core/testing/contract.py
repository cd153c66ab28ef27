"""The connector contract suite: a whole pytest class from one line.

In a connector's tests (``tests/test_contract.py``)::

    from rostersync_core.testing.contract import ContractTarget, connector_contract_suite

    TestContract = connector_contract_suite(
        plugin="csvdir",                                  # entry point name, or the module
        target=lambda fake_sis: ContractTarget(           # parameters are fixture names
            config={"base_url": fake_sis.url, "api_key": "k-good"},
            bad_config={"base_url": fake_sis.url, "api_key": "k-wrong"},
            sis_school_id="S1",
            expected_counts=fake_sis.counts,
            faults=ServerFaults(fake_sis),               # optional: retry checks
        ),
    )

``fake_sis`` is the connector's own fixture (here a ``FakeSisServer`` subclass with a
``counts`` attribute); :class:`ServerFaults` adapts any ``FakeSisServer`` to the
:class:`FaultInjector` protocol.

See ``docs/contract-suite.md`` for every check and how to read a failure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from rostersync_core.testing.contract_faults import ServerFaults
from rostersync_core.testing.contract_fetch import FetchedRoster, fetch_roster
from rostersync_core.testing.contract_problems import Problem
from rostersync_core.testing.contract_suite import (
    ConnectorContractSuite,
    load_connector,
    resolve_with_fixtures,
)
from rostersync_core.testing.contract_target import ContractFault, ContractTarget, FaultInjector

__all__ = [
    "ConnectorContractSuite",
    "ContractFault",
    "ContractTarget",
    "FaultInjector",
    "FetchedRoster",
    "Problem",
    "ServerFaults",
    "connector_contract_suite",
    "fetch_roster",
    "load_connector",
]


def connector_contract_suite(
    plugin: object,
    *,
    target: ContractTarget | Callable[..., ContractTarget] | str | None = None,
    config: Mapping[str, Any] | Callable[..., Mapping[str, Any]] | None = None,
    sis_school_id: str | None = None,
    bad_config: Mapping[str, Any] | Callable[..., Mapping[str, Any]] | None = None,
    expected_counts: Mapping[str, int] | Callable[..., Mapping[str, int]] | None = None,
    faults: FaultInjector | Callable[..., FaultInjector] | None = None,
    limit: int = 2,
    cassette_dir: str | Path | None = None,
    name: str = "TestConnectorContract",
) -> type[ConnectorContractSuite]:
    """Build the contract test class for one connector. Assign it to a ``Test*`` name.

    - ``plugin``: the connector — an installed entry point name (``"csvdir"``: also proves
      the distribution is discoverable), or the module/object/class with the hooks, or a
      function of fixtures returning such an object (``lambda fake_sis: MyPlugin(...)``).
    - ``target``: a :class:`ContractTarget`, a function returning one whose parameters are
      fixture names, or the name of a fixture returning one. Or, instead of ``target``,
      give its fields one by one (``config``, ``sis_school_id``, ``bad_config``,
      ``expected_counts``, ``faults``, ``limit``); each value may also be such a function.
    - ``cassette_dir``: replay each test's HTTP from ``<cassette_dir>/<test>.yaml``
      (relative to the test file); ``pytest --rostersync-record`` records them.
    """
    if target is None:
        if config is None or sis_school_id is None:
            raise TypeError("connector_contract_suite needs target= or config= and sis_school_id=")
        parts: dict[str, Any] = {
            "config": config,
            "bad_config": bad_config,
            "expected_counts": expected_counts,
            "faults": faults,
        }

        def build(request: Any) -> ContractTarget:
            resolved = {key: resolve_with_fixtures(v, request) for key, v in parts.items()}
            return ContractTarget(sis_school_id=sis_school_id, limit=limit, **resolved)

        target = build
    return type(
        name,
        (ConnectorContractSuite,),
        {
            # staticmethod: a function stored on a class must not become a method
            "contract_plugin": staticmethod(plugin),  # type: ignore[arg-type]
            "contract_target_source": staticmethod(target),  # type: ignore[arg-type]
            "contract_cassette_dir": cassette_dir,
            "__module__": _caller_module(),
            "__doc__": f"The rostersync connector contract suite for {plugin!r}.",
        },
    )


def _caller_module() -> str:
    import inspect

    frame = inspect.currentframe()
    caller = frame.f_back.f_back if frame and frame.f_back else None
    return str(caller.f_globals.get("__name__", __name__)) if caller else __name__
