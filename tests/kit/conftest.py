"""Fixtures for the connector authors' kit tests.

``pytester`` (enabled by the repository's top-level ``conftest.py``) runs the contract suite
in a throw-away pytest session, so a failing run can be asserted.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from rostersync_core.testing.contract_suite import ConnectorContractSuite

#: How many checks the contract suite has (each a test method).
CHECKS = sum(name.startswith("test_") for name in dir(ConnectorContractSuite))


@pytest.fixture
def contract_checks() -> int:
    """The number of checks in the contract suite."""
    return CHECKS


TINY_SOURCE = (Path(__file__).parent / "tiny_connector.py").read_text(encoding="utf-8")

TEST_FILE = """
import pytest
from rostersync_core.testing.contract import connector_contract_suite
from tiny_connector import COUNTS, GOOD_KEY, WRONG_KEY, TinyConnector, TinySis


@pytest.fixture
def tiny_sis():
    return TinySis()


TestTiny = connector_contract_suite(
    plugin=lambda tiny_sis: TinyConnector(tiny_sis, frozenset({mistakes!r})),
    config={{"api_key": GOOD_KEY}},
    bad_config={{"api_key": WRONG_KEY}},
    sis_school_id="S1",
    expected_counts=COUNTS,
    faults=lambda tiny_sis: tiny_sis,
)
"""

_RESULT_LINE = re.compile(r"^(FAILED|PASSED|SKIPPED|ERROR) \S*::TestTiny::(\w+)", re.M)


@attrs.frozen
class ContractRun:
    """The outcome of the contract suite on the tiny connector, test by test."""

    outcomes: dict[str, str]
    output: str
    #: The secret values of the configs the suite was given (they must never be printed).
    secrets: tuple[str, ...] = ("tiny-key-0a1b2c3d", "tiny-key-wrong-99")

    def failed(self) -> set[str]:
        return {name for name, outcome in self.outcomes.items() if outcome != "PASSED"
                and outcome != "SKIPPED"}


@pytest.fixture
def run_contract(pytester: pytest.Pytester) -> Callable[..., ContractRun]:
    """Run the contract suite on the tiny connector making ``mistakes``; return the outcomes."""
    pytester.makepyfile(tiny_connector=TINY_SOURCE)
    pytester.syspathinsert()

    def run(*mistakes: str) -> ContractRun:
        pytester.makepyfile(test_tiny=TEST_FILE.format(mistakes=set(mistakes) or set()))
        result = pytester.runpytest("-rA", "-p", "no:cacheprovider", "-p", "no:randomly")
        output = result.stdout.str()
        outcomes = {name: outcome for outcome, name in _RESULT_LINE.findall(output)}
        return ContractRun(outcomes, output)

    return run


@pytest.fixture
def generated_connector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A connector ``rostersync-demo`` generated from the template, importable in process
    (its ``src`` on ``sys.path``; its modules forgotten afterwards)."""
    from rostersync_core.scaffold import create_connector

    path = create_connector("demo", tmp_path / "work")
    monkeypatch.syspath_prepend(str(path / "src"))
    yield path
    for module in [m for m in sys.modules if m.startswith("rostersync_demo")]:
        del sys.modules[module]


@pytest.fixture
def tiny() -> Any:
    """The tiny connector module (``tests/kit/tiny_connector.py``), imported by path."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "kit_tiny_connector", Path(__file__).parent / "tiny_connector.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
