"""The contract suite's fixtures and helpers: loading the connector, resolving the target,
cassettes, the session, and fetching.

Every fixture can be overridden in a subclass of the generated test class.
"""

from __future__ import annotations

import datetime as dt
import inspect
import os
import re
from collections.abc import Callable, Iterator, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar, NoReturn, TypeVar

import pytest

from rostersync_core.connector import Connector
from rostersync_core.errors import RostersyncError
from rostersync_core.plugins import CONNECTOR_GROUP, PluginHost, PluginRefusedError
from rostersync_core.testing import contract_compare as compare
from rostersync_core.testing.contract_cassettes import cassette, secret_forms
from rostersync_core.testing.contract_fetch import FetchedRoster, fetch_roster
from rostersync_core.testing.contract_hooks import check_hook_signatures
from rostersync_core.testing.contract_problems import format_problems
from rostersync_core.testing.contract_target import ContractTarget

__all__ = [
    "RECORD_ENV",
    "ContractFixtures",
    "attempt",
    "load_connector",
    "resolve_with_fixtures",
    "shown",
]

T = TypeVar("T")

#: Set to 1 to record cassettes, like ``pytest --rostersync-record``.
RECORD_ENV = "ROSTERSYNC_RECORD_CASSETTES"


def attempt(action: Callable[[], T]) -> tuple[T | None, RostersyncError | None]:
    """Run ``action``; return its result or the rostersync error it raised (so a test can
    fail outside the ``except`` block, without the error's traceback in the report)."""
    try:
        return action(), None
    except RostersyncError as exc:
        return None, exc


def shown(exc: BaseException, secrets: set[str]) -> str:
    """``Type: message (raised from Type: message)``, secrets replaced by ``<secret>``."""
    text = f"{type(exc).__name__}: {exc}"
    cause = exc.__cause__
    if cause is not None:
        text += f" (raised from {type(cause).__name__}: {cause})"
    for secret in secrets:
        for form in secret_forms(secret):
            text = text.replace(form, "<secret>")
    return text


def resolve_with_fixtures(value: Any, request: pytest.FixtureRequest) -> Any:
    """``value`` itself, or — if it is a function — its result, called with the fixtures
    named by its parameters (``lambda fake_sis: {...}`` gets the ``fake_sis`` fixture)."""
    if callable(value) and not isinstance(value, Mapping | type):
        params = inspect.signature(value).parameters
        return value(**{name: request.getfixturevalue(name) for name in params})
    return value


def load_connector(plugin: object) -> Connector:
    """Register ``plugin`` (a module, an object, a class, or an installed entry point name)
    in a fresh host, exactly as the core would; fail the test with the host's reason."""
    if isinstance(plugin, str):
        host = PluginHost(allow=[plugin])
        for failure in host.failures:
            _refuse(f"connector entry point {plugin!r} failed to load", failure.reason,
                    _entry_point_object(plugin))
        if not host.connectors:
            pytest.fail(
                f"no entry point {plugin!r} in group {CONNECTOR_GROUP!r}: is the distribution "
                "installed (pip install -e .) and its [project.entry-points] table right?",
                pytrace=False,
            )
        return next(iter(host.connectors.values()))
    if isinstance(plugin, type):
        plugin = plugin()
    if type(plugin).__hash__ is None:
        pytest.fail(
            f"the plugin object {type(plugin).__name__} is not hashable, so pluggy cannot "
            "call it; with attrs use @attrs.define(eq=False), with dataclasses eq=False",
            pytrace=False,
        )
    host = PluginHost(load_entry_points=False)
    refusal = ""
    try:
        return host.register_connector(plugin)
    except PluginRefusedError as exc:
        refusal = str(exc)
    _refuse("the core refuses this connector", refusal, plugin)


def _entry_point_object(name: str) -> object | None:
    """What the connector entry point ``name`` loads (an instance for a class), or None."""
    for ep in metadata.entry_points(group=CONNECTOR_GROUP, name=name):
        try:
            loaded: object = ep.load()
            return loaded() if isinstance(loaded, type) else loaded
        except Exception:  # the host's reason already says why it cannot be loaded
            return None
    return None


def _refuse(headline: str, reason: str, plugin: object | None) -> NoReturn:
    """Fail with advice per hook when the hooks explain the refusal, else the host's reason."""
    problems = check_hook_signatures(plugin) if plugin is not None else []
    if problems:
        # the core's reason in one line (pluggy's details, with its internal plugin id, are
        # what the problems below say better), then each broken hook with its fix
        summary = re.sub(r"Plugin '[^']*' for hook", "hook", reason.splitlines()[0])
        pytest.fail(format_problems(f"{headline}: {summary}", problems), pytrace=False)
    pytest.fail(f"{headline}: {reason}", pytrace=False)


class ContractFixtures:
    """The fixtures every contract check uses; the checks live in ``ConnectorContractSuite``."""

    contract_plugin: ClassVar[object] = None
    contract_target_source: ClassVar[Any] = None
    contract_cassette_dir: ClassVar[str | Path | None] = None

    # -- fixtures (override any of them in a subclass if you need to) -------------------------

    @pytest.fixture
    def contract_target(self, request: pytest.FixtureRequest) -> ContractTarget:
        source = self.contract_target_source
        if isinstance(source, str):
            source = request.getfixturevalue(source)
        target = resolve_with_fixtures(source, request)
        if not isinstance(target, ContractTarget):
            pytest.fail(
                "connector_contract_suite needs target=ContractTarget(...) or config= and "
                f"sis_school_id=; got {type(target).__name__}"
            )
        return target

    @pytest.fixture
    def contract_connector(self, request: pytest.FixtureRequest) -> Connector:
        plugin = self.contract_plugin
        if inspect.isfunction(plugin):  # a function of fixtures that builds the plugin
            plugin = resolve_with_fixtures(plugin, request)
        return load_connector(plugin)

    @pytest.fixture
    def contract_secrets(
        self, contract_connector: Connector, contract_target: ContractTarget
    ) -> set[str]:
        configs = [contract_target.config, contract_target.bad_config or {}]
        return compare.secret_values(contract_connector.info.config_schema, configs)

    @pytest.fixture
    def contract_secret_names(
        self, contract_connector: Connector, contract_target: ContractTarget
    ) -> dict[str, str]:
        """Each secret value -> the config field it came from (``"config['api_key']"``)."""
        configs = {"config": contract_target.config, "bad_config": contract_target.bad_config}
        return compare.secret_names(
            contract_connector.info.config_schema,
            {label: config for label, config in configs.items() if config is not None},
        )

    @pytest.fixture
    def contract_recording(
        self, request: pytest.FixtureRequest, contract_secrets: set[str]
    ) -> Iterator[None]:
        """Inside a vcrpy cassette when the suite was given ``cassette_dir``."""
        if self.contract_cassette_dir is None:
            yield
            return
        try:
            record = bool(request.config.getoption("--rostersync-record"))
        except ValueError:  # the pytest plugin is disabled
            record = False
        record = record or os.environ.get(RECORD_ENV, "").lower() in ("1", "true", "yes")
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        path = Path(request.path).parent / self.contract_cassette_dir / f"{name}.yaml"
        if not record and not path.exists():
            pytest.fail(
                f"no recorded cassette at {path}; record it once against a test SIS with "
                "`pytest --rostersync-record` (see docs/contract-suite.md)",
                pytrace=False,
            )
        with cassette(path, record=record, secrets=contract_secrets):
            yield

    @pytest.fixture
    def contract_session(
        self,
        contract_connector: Connector,
        contract_target: ContractTarget,
        contract_recording: None,
        contract_secrets: set[str],
    ) -> object:
        session, error = attempt(lambda: contract_connector.authenticate(contract_target.config))
        if error is not None:
            pytest.fail(
                "authenticating with the suite's good config failed: "
                f"{shown(error, contract_secrets)} (is the fake SIS running, and does the "
                "config point at it?)",
                pytrace=False,
            )
        return session

    @pytest.fixture
    def contract_fetch(
        self, contract_connector: Connector, contract_session: object,
        contract_target: ContractTarget,
    ) -> Callable[..., FetchedRoster]:
        def fetch(limit: int | None = None, since: dt.datetime | None = None) -> FetchedRoster:
            return fetch_roster(
                contract_connector,
                contract_session,
                contract_target.sis_school_id,
                limit=limit,
                since=since,
            )

        return fetch

    @pytest.fixture
    def contract_roster(
        self, contract_fetch: Callable[..., FetchedRoster], contract_secrets: set[str]
    ) -> FetchedRoster:
        roster, error = attempt(contract_fetch)
        if error is not None or roster is None:
            assert error is not None
            pytest.fail(
                f"fetching the school's records failed: {shown(error, contract_secrets)}; "
                "every fetch hook must run to the end on the fake SIS",
                pytrace=False,
            )
        return roster
