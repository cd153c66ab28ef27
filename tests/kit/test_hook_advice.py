"""A connector the core refuses for its hooks is told which function is wrong and how to
fix it (the hook's real name or arguments), not pluggy's internal message."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rostersync_core import FetchContext, Subject, hookimpl
from rostersync_core.testing.contract import load_connector


def _refusal(plugin: object) -> str:
    with pytest.raises(pytest.fail.Exception) as failed:
        load_connector(plugin)
    return str(failed.value)


def test_a_misspelt_argument_is_named_with_the_hook_s_real_arguments(tiny: Any) -> None:
    class Misspelt(tiny.TinyConnector):  # type: ignore[misc]
        @hookimpl
        def rostersync_fetch_subjects(
            self, session: str, contxt: FetchContext
        ) -> Iterator[Subject]:
            yield Subject("MATH", "Mathematics")

    message = _refusal(Misspelt(tiny.TinySis()))
    assert (
        "[hook-signature] rostersync_fetch_subjects(session, contxt): takes 'contxt', which is "
        "not an argument of this hook (did you mean 'context'?)" in message
    )
    assert "name the arguments as the hook does: rostersync_fetch_subjects(session, context)" in (
        message
    )
    assert "connector-" not in message  # no internal plugin id


def test_a_hook_left_without_hookimpl_is_named(tiny: Any) -> None:
    class Unmarked(tiny.TinyConnector):  # type: ignore[misc]
        def rostersync_fetch_subjects(
            self, session: str, context: FetchContext
        ) -> Iterator[Subject]:
            yield Subject("MATH", "Mathematics")

    message = _refusal(Unmarked(tiny.TinySis()))
    assert "[hook-marker] rostersync_fetch_subjects(session, context): is not marked @hookimpl" in (
        message
    )


def test_a_misspelt_hook_name_suggests_the_real_one(tiny: Any) -> None:
    class Renamed(tiny.TinyConnector):  # type: ignore[misc]
        rostersync_fetch_people = None

        @hookimpl
        def rostersync_fetch_peoples(self, session: str, context: FetchContext) -> list[Any]:
            return []

    message = _refusal(Renamed(tiny.TinySis()))
    assert "[hook-name] rostersync_fetch_peoples: is marked @hookimpl but rostersync has no" in (
        message
    )
    assert "fix: rename it to rostersync_fetch_people" in message
    assert "[hook-missing] rostersync_fetch_people" not in message  # said once, as the rename


CONNECTOR_WITH_A_TYPO = '''
from rostersync_core import PLUGIN_API_VERSION, ConnectorInfo, hookimpl

@hookimpl
def rostersync_connector_info():
    return ConnectorInfo(name="typo", version="1.0", plugin_api=PLUGIN_API_VERSION,
                         config_schema={"type": "object", "properties": {}})

@hookimpl
def rostersync_authenticate(confg):
    return None

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


def test_an_installed_connector_with_a_misspelt_argument_gets_the_same_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "rostersync_typo.py").write_text(CONNECTOR_WITH_A_TYPO, encoding="utf-8")
    dist_info = tmp_path / "rostersync_typo-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: rostersync-typo\nVersion: 1.0\n", encoding="utf-8"
    )
    (dist_info / "entry_points.txt").write_text(
        textwrap.dedent("""
            [rostersync.connectors]
            typo = rostersync_typo
        """),
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    message = _refusal("typo")
    assert message.startswith(
        "connector entry point 'typo' failed to load: has a hook with a wrong signature: "
        "rostersync_authenticate(confg) takes 'confg'"
    )
    assert "did you mean 'config'?" in message
    assert "rostersync_authenticate(config)" in message
