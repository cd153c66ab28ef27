"""Fixtures for the csvdir connector's tests: a district folder, and a flaky disk."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

import rostersync_csvdir.tables as tables
from rostersync_core.testing.contract import ContractFault
from rostersync_csvdir.sample import write_district


class FlakyDisk:
    """A :class:`~rostersync_core.testing.contract.FaultInjector` for a folder.

    It sits where the connector touches the disk: a transient fault is an I/O error (a
    network share hiccup); a credentials fault is a folder whose key has just changed.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._fault: ContractFault | None = None
        self._left = 0
        self._served = 0
        real_read = tables._read_file

        def read(path: Path) -> bytes:
            if self._left and self._fault is ContractFault.TRANSIENT:
                self._left -= 1
                self._served += 1
                raise OSError(errno.EIO, "Input/output error")
            revoked = self._fault is ContractFault.CREDENTIALS and path.name == tables.KEY_FILE
            if self._left and revoked:
                self._left -= 1
                self._served += 1
                return b"a-key-that-was-changed"
            return real_read(path)

        monkeypatch.setattr(tables, "_read_file", read)
        monkeypatch.setattr(tables, "RETRY_DELAYS", (0.0, 0.0, 0.0))

    def inject(self, fault: ContractFault, times: int) -> None:
        self._fault, self._left, self._served = fault, times, 0

    def served(self) -> int:
        return self._served


@pytest.fixture
def district(tmp_path: Path) -> Path:
    """A folder holding the test district, with an access key."""
    return write_district(tmp_path / "district")


@pytest.fixture
def flaky_disk(monkeypatch: pytest.MonkeyPatch) -> FlakyDisk:
    return FlakyDisk(monkeypatch)
