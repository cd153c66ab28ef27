"""Plugins are validated when they load: a bad one is refused by name, the rest keep working."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import pytest

from rostersync_core import (
    PLUGIN_API_VERSION,
    ConnectorInfo,
    FetchContext,
    PluginHost,
    PluginRefusedError,
    hookimpl,
)
from rostersync_core.districts import generate_district
from rostersync_core.testing.memory import MemoryConnector


class _Minimal(MemoryConnector):
    def __init__(self, name: str = "minimal") -> None:
        super().__init__(generate_district(students=10), name=name)


class _MisspeltArgument(_Minimal):
    @hookimpl
    def rostersync_fetch_people(self, sesion: object, context: FetchContext) -> Iterator[Any]:  # type: ignore[override]
        return iter(())


class _MisspeltHook(_Minimal):
    @hookimpl
    def rostersync_fetch_peopel(self, session: object, context: FetchContext) -> Iterator[Any]:
        return iter(())


class _FutureApi(_Minimal):
    @hookimpl
    def rostersync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(name="future", version="9", plugin_api="2.0")


class _NotAConnector:
    @hookimpl
    def rostersync_connector_info(self) -> ConnectorInfo:
        return ConnectorInfo(name="half", version="1", plugin_api=PLUGIN_API_VERSION)

    @hookimpl
    def rostersync_authenticate(self, config: Mapping[str, Any]) -> object:
        return object()


def test_a_hook_with_a_misspelt_argument_is_refused_with_its_signature() -> None:
    host = PluginHost(load_entry_points=False)
    with pytest.raises(PluginRefusedError) as err:
        host.register_connector(_MisspeltArgument())
    assert "wrong signature" in str(err.value)
    assert "sesion" in str(err.value)
    assert host.connectors == {}


def test_a_misspelt_hook_name_is_refused() -> None:
    host = PluginHost(load_entry_points=False)
    with pytest.raises(PluginRefusedError, match="rostersync_fetch_peopel"):
        host.register_connector(_MisspeltHook())


def test_a_connector_for_another_plugin_api_is_refused_naming_both_versions() -> None:
    host = PluginHost(load_entry_points=False)
    with pytest.raises(PluginRefusedError) as err:
        host.register_connector(_FutureApi())
    assert "2.0" in str(err.value) and PLUGIN_API_VERSION in str(err.value)


def test_a_connector_missing_hooks_is_refused_listing_them() -> None:
    host = PluginHost(load_entry_points=False)
    with pytest.raises(PluginRefusedError) as err:
        host.register_connector(_NotAConnector())
    assert "rostersync_fetch_enrolments" in str(err.value)


def test_a_refused_plugin_leaves_the_others_working() -> None:
    host = PluginHost(load_entry_points=False)
    host.register_connector(_Minimal("good"))
    with pytest.raises(PluginRefusedError):
        host.register_connector(_MisspeltArgument("bad"))
    good = host.connector("good")
    session = good.authenticate({"token": good.plugin.token})  # type: ignore[attr-defined]
    assert good.list_schools(session)
    # The refused plugin's hooks are not registered: nothing else is called.
    assert len(host.pm.hook.rostersync_fetch_people.get_hookimpls()) == 1


def test_two_connectors_with_one_name_are_refused() -> None:
    host = PluginHost(load_entry_points=False)
    host.register_connector(_Minimal("same"))
    with pytest.raises(PluginRefusedError, match="already installed"):
        host.register_connector(_Minimal("same"))


def test_an_extension_may_not_implement_connector_hooks() -> None:
    host = PluginHost(load_entry_points=False)
    with pytest.raises(PluginRefusedError, match="connector hooks"):
        host.register_extension(_Minimal("sneaky"), name="sneaky")


def test_a_plugin_bug_reaches_the_admin_as_a_named_error() -> None:
    class Buggy(_Minimal):
        @hookimpl
        def rostersync_list_schools(self, session: object) -> Any:
            raise KeyError("schools")

    host = PluginHost(load_entry_points=False)
    buggy = host.register_connector(Buggy("buggy"))
    from rostersync_core import InvalidSisDataError

    with pytest.raises(InvalidSisDataError, match="connector 'buggy' failed"):
        buggy.list_schools(object())


def test_an_unhashable_plugin_is_refused_with_advice() -> None:
    @attrs.define  # eq=True makes attrs classes unhashable
    class Unhashable(_Minimal):
        pass

    host = PluginHost(load_entry_points=False)
    with pytest.raises(PluginRefusedError, match="not hashable"):
        host.register_connector(Unhashable.__new__(Unhashable))


def test_a_misspelt_argument_is_explained_with_the_hooks_real_arguments() -> None:
    host = PluginHost(load_entry_points=False)
    with pytest.raises(PluginRefusedError) as err:
        host.register_connector(_MisspeltArgument())
    assert "did you mean 'session'?" in str(err.value)
    assert "its arguments are (session, context)" in str(err.value)
    assert "connector-" not in str(err.value)  # no internal registration id


def test_a_fetch_hook_that_returns_nothing_is_an_error_not_an_empty_sis() -> None:
    class Forgetful(_Minimal):
        @hookimpl
        def rostersync_fetch_people(self, session: object, context: FetchContext) -> Any:
            list(super().rostersync_fetch_people(session, context))  # forgot to return it

    host = PluginHost(load_entry_points=False)
    forgetful = host.register_connector(Forgetful("forgetful"))
    from rostersync_core import InvalidSisDataError

    with pytest.raises(InvalidSisDataError, match="returned nothing from rostersync_fetch_people"):
        list(forgetful.fetch_people(object(), FetchContext("100")))


def test_a_connector_failing_mid_stream_is_invalid_sis_data_naming_it() -> None:
    class Crashing(_Minimal):
        @hookimpl
        def rostersync_fetch_people(self, session: object, context: FetchContext) -> Any:
            def people() -> Any:
                yield from super(Crashing, self).rostersync_fetch_people(session, context)
                raise KeyError("sourcedId")  # a plugin bug halfway through the stream

            return people()

    host = PluginHost(load_entry_points=False)
    crashing = host.register_connector(Crashing("crashing"))
    from rostersync_core import InvalidSisDataError

    read: list[object] = []
    with pytest.raises(InvalidSisDataError, match="'crashing' failed while reading fetch_people"):
        for person in crashing.fetch_people(object(), FetchContext("100")):
            read.append(person)
    assert read  # the records before the failure were handed on
