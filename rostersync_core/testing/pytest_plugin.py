"""The pytest plugin rostersync-core registers (``pytest11`` entry point ``rostersync_contract``).

It is loaded in every pytest run of an environment where rostersync-core is installed, so it
stays light: it only adds the ``--rostersync-record`` option and the ``contract`` marker.
The suite itself lives in :mod:`rostersync_core.testing.contract`.
"""

from __future__ import annotations

import pytest

RECORD_OPTION = "--rostersync-record"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rostersync", "rostersync connector contract suite")
    group.addoption(
        RECORD_OPTION,
        action="store_true",
        default=False,
        help="Record HTTP cassettes for the connector contract suite against the live SIS "
        "(default: replay the recorded cassettes, never touching the network).",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "contract: a check of the rostersync connector contract suite"
    )
