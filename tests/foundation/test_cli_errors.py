"""The command line turns errors into one readable line and an exit status."""

from __future__ import annotations

import pytest

from rostersync_core.cli import main as cli_main
from rostersync_core.errors import UnknownSchoolError


def _run_raising(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> int:
    def boom(*args: object, **kwargs: object) -> None:
        raise exc

    monkeypatch.setattr(cli_main.cli, "main", boom)
    with pytest.raises(SystemExit) as exit_info:
        cli_main.main()
    return int(exit_info.value.code or 0)


def test_a_rostersync_error_is_one_line_with_its_hint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _run_raising(monkeypatch, UnknownSchoolError("no school 'mapel'", hint="see setup"))
    err = capsys.readouterr().err
    assert code == 1
    assert "no school 'mapel'" in err and "see setup" in err
    assert "Traceback" not in err


def test_a_bug_is_reported_without_its_message_or_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _run_raising(monkeypatch, ValueError("invalid date for student Ava Nguyen"))
    err = capsys.readouterr().err
    assert code == 2
    assert "internal error" in err and "ValueError" in err and "-v" in err
    assert "Ava" not in err and "Traceback" not in err
