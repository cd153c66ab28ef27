"""Plugin API versions: incompatible connectors are refused naming both versions, new
optional hook arguments never break old connectors, deprecated hooks warn."""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import pluggy
import pytest
from click.testing import CliRunner

from rostersync_core import (
    PLUGIN_API_VERSION,
    ConnectorInfo,
    FetchContext,
    Grade,
    PluginHost,
    PluginRefusedError,
    hookimpl,
)
from rostersync_core.cli.main import cli
from rostersync_core.connector_info import is_compatible
from rostersync_core.deprecations import (
    PluginDeprecationWarning,
    deprecated_argument,
    deprecated_hook,
    register_noting_deprecations,
)
from rostersync_core.hookspecs import PROJECT_NAME, hookspec


@attrs.define(eq=False)  # plugin objects must stay hashable (pluggy keeps them in sets)
class MinimalConnector:
    """A connector written against plugin API ``plugin_api`` (default: the core's)."""

    plugin_api: str = PLUGIN_API_VERSION
    calls: list[str] = attrs.field(factory=list)

    @hookimpl
    def rostersync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(name="minimal", version="1.0", plugin_api=self.plugin_api)

    @hookimpl
    def rostersync_authenticate(self, config: Mapping[str, Any]) -> str:
        return "session"

    @hookimpl
    def rostersync_list_schools(self, session: str) -> list[Any]:
        return []

    # An "old" implementation: it names only the arguments it uses. Arguments added to
    # the spec later (here: ``context``) are simply not passed to it.
    @hookimpl
    def rostersync_fetch_grades(self, session: str) -> Iterator[Grade]:
        self.calls.append("fetch_grades")
        yield Grade("01", "Grade 1")

    @hookimpl
    def rostersync_fetch_subjects(self, session: str, context: FetchContext) -> list[Any]:
        return []

    @hookimpl
    def rostersync_fetch_classes(self, session: str, context: FetchContext) -> list[Any]:
        return []

    @hookimpl
    def rostersync_fetch_people(self, session: str, context: FetchContext) -> list[Any]:
        return []

    @hookimpl
    def rostersync_fetch_enrolments(self, session: str, context: FetchContext) -> list[Any]:
        return []


def _next_major() -> str:
    return f"{int(PLUGIN_API_VERSION.split('.')[0]) + 1}.0"


def _next_minor() -> str:
    major, minor = PLUGIN_API_VERSION.split(".")
    return f"{major}.{int(minor) + 1}"


# -- versions -----------------------------------------------------------------------------


def test_a_connector_for_another_major_api_is_refused_naming_both_versions() -> None:
    host = PluginHost(load_entry_points=False)
    with pytest.raises(PluginRefusedError) as caught:
        host.register_connector(MinimalConnector(plugin_api=_next_major()))
    message = str(caught.value)
    assert f"targets plugin API {_next_major()}" in message
    assert f"offers plugin API {PLUGIN_API_VERSION}" in message
    assert host.connectors == {}


def test_a_connector_needing_a_newer_minor_api_is_refused() -> None:
    host = PluginHost(load_entry_points=False)
    with pytest.raises(PluginRefusedError, match=rf"targets plugin API {_next_minor()}"):
        host.register_connector(MinimalConnector(plugin_api=_next_minor()))


def test_a_connector_for_an_older_minor_of_the_same_major_is_accepted() -> None:
    assert is_compatible("1.0", offered="1.4")
    assert not is_compatible("1.5", offered="1.4")
    assert not is_compatible("0.9", offered="1.4")
    assert not is_compatible("one", offered="1.4")


# -- optional arguments ----------------------------------------------------------------------


def test_an_implementation_without_a_newer_argument_is_still_called() -> None:
    plugin = MinimalConnector()
    connector = PluginHost(load_entry_points=False).register_connector(plugin)
    grades = list(connector.fetch_grades("session", FetchContext(sis_school_id="S1")))
    assert grades == [Grade("01", "Grade 1")]
    assert plugin.calls == ["fetch_grades"]


class SpecsV1:
    @hookspec(firstresult=True)
    def rostersync_fetch_grades(self, session: Any) -> list[Grade]:  # type: ignore[empty-body]
        """Plugin API 1.0: only the session."""


class SpecsV1Plus:
    @hookspec(firstresult=True)
    def rostersync_fetch_grades(  # type: ignore[empty-body]
        self, session: Any, context: Any, fields: Any
    ) -> list[Grade]:
        """A later minor API: ``context`` and ``fields`` were added."""


class OldPlugin:
    @hookimpl
    def rostersync_fetch_grades(self, session: Any) -> list[Grade]:
        return [Grade(session)]


class NewPlugin:
    @hookimpl
    def rostersync_fetch_grades(self, session: Any, fields: Any) -> list[Grade]:
        return [Grade(session, name=",".join(fields))]


def test_adding_an_argument_to_a_hook_keeps_old_implementations_working() -> None:
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(SpecsV1Plus)
    pm.register(OldPlugin())
    result = pm.hook.rostersync_fetch_grades(session="01", context=None, fields=("name",))
    assert result == [Grade("01")]


def test_a_new_implementation_opts_in_to_the_new_argument() -> None:
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(SpecsV1Plus)
    pm.register(NewPlugin())
    result = pm.hook.rostersync_fetch_grades(session="01", context=None, fields=("name",))
    assert result == [Grade("01", name="name")]


def test_an_implementation_asking_for_an_argument_the_core_lacks_is_refused() -> None:
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(SpecsV1)
    with pytest.raises(pluggy.PluginValidationError, match="fields"):
        pm.register(NewPlugin())


# -- deprecations ------------------------------------------------------------------------------


class DeprecatingSpecs:
    @hookspec(
        warn_on_impl=deprecated_hook(
            "rostersync_old_roster", since="1.1", removed_in="2.0", instead="rostersync_roster"
        )
    )
    def rostersync_old_roster(self, school_id: str) -> None:
        """A hook being phased out."""

    @hookspec(
        warn_on_impl_args={
            "school_id": deprecated_argument(
                "rostersync_roster", "school_id", since="1.1", removed_in="2.0",
                instead="context.sis_school_id",
            )
        }
    )
    def rostersync_roster(self, school_id: str, context: Any) -> None:
        """A hook whose ``school_id`` argument is being phased out."""


class UsesDeprecatedHook:
    @hookimpl
    def rostersync_old_roster(self, school_id: str) -> None:
        return None


class UsesDeprecatedArgument:
    @hookimpl
    def rostersync_roster(self, school_id: str) -> None:
        return None


class UpToDate:
    @hookimpl
    def rostersync_roster(self, context: Any) -> None:
        return None


def _manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(DeprecatingSpecs)
    return pm


def test_implementing_a_deprecated_hook_warns_with_the_replacement() -> None:
    with pytest.warns(PluginDeprecationWarning) as caught:
        _manager().register(UsesDeprecatedHook())
    message = str(caught[0].message)
    assert "rostersync_old_roster is deprecated since plugin API 1.1" in message
    assert "removed in plugin API 2.0; implement rostersync_roster instead" in message
    assert caught[0].filename == __file__  # points at the plugin's own function


def test_asking_for_a_deprecated_argument_warns() -> None:
    with pytest.warns(PluginDeprecationWarning, match="argument 'school_id' of rostersync_roster"):
        _manager().register(UsesDeprecatedArgument())


def test_a_plugin_using_nothing_deprecated_registers_silently() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _manager().register(UpToDate())


def test_the_host_can_list_the_deprecations_a_plugin_triggered() -> None:
    with pytest.warns(PluginDeprecationWarning):
        messages = register_noting_deprecations(_manager(), UsesDeprecatedHook(), "old")
    assert len(messages) == 1
    assert "rostersync_old_roster is deprecated" in messages[0]


# -- end to end: an installed connector for another API ------------------------------------------

OLD_CONNECTOR = '''
from rostersync_core import ConnectorInfo, hookimpl

@hookimpl
def rostersync_connector_info():
    return ConnectorInfo(name="future", version="3.1", plugin_api="{api}")

@hookimpl
def rostersync_authenticate(config):
    return object()

@hookimpl
def rostersync_list_schools(session):
    return []

@hookimpl
def rostersync_fetch_grades(session, context):
    return []

@hookimpl
def rostersync_fetch_subjects(session, context):
    return []

@hookimpl
def rostersync_fetch_classes(session, context):
    return []

@hookimpl
def rostersync_fetch_people(session, context):
    return []

@hookimpl
def rostersync_fetch_enrolments(session, context):
    return []
'''


@pytest.fixture
def installed_future_connector(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A distribution ``rostersync-future`` installed on ``sys.path`` (a real dist-info with
    an entry point) whose connector targets the next major plugin API."""
    site = tmp_path / "site"
    dist_info = site / "rostersync_future-3.1.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: rostersync-future\nVersion: 3.1\n"
    )
    (dist_info / "entry_points.txt").write_text(
        "[rostersync.connectors]\nfuture = rostersync_future_connector\n"
    )
    (site / "rostersync_future_connector.py").write_text(OLD_CONNECTOR.format(api=_next_major()))
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "rostersync_future_connector", raising=False)
    return "future"


def test_an_installed_connector_for_another_api_is_listed_as_failed_naming_both(
    installed_future_connector: str,
) -> None:
    result = CliRunner().invoke(cli, ["connectors", "list", "--json"],
                                env={"ROSTERSYNC_PLUGINS": installed_future_connector})
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert listed["connectors"] == []
    (failure,) = listed["failures"]
    assert failure["name"] == "future"
    assert failure["distribution"] == "rostersync-future"
    assert f"targets plugin API {_next_major()}" in failure["reason"]
    assert f"offers plugin API {PLUGIN_API_VERSION}" in failure["reason"]
