"""Reading the folder: one CSV file at a time, retrying brief I/O failures, checking the key.

Every read checks the folder's access key again, the way an SIS checks a token on every
request: a key changed mid-sync fails the sync with an AuthenticationError at once.
"""

from __future__ import annotations

import csv
import errno
import hmac
import io
import time
from collections.abc import Iterator
from pathlib import Path

import attrs

from rostersync_core import AuthenticationError, InvalidSisDataError, SisUnavailableError

__all__ = ["KEY_FILE", "RETRY_DELAYS", "CsvDirSession", "Row", "read_table"]

#: The file in the folder holding the access key a config's ``api_key`` must match.
KEY_FILE = ".api_key"
#: Seconds to wait before each retry of a read that failed for a passing reason.
RETRY_DELAYS = (0.05, 0.25, 1.0)
#: ``OSError``s that will not go away by waiting: never retried.
_PERMANENT = (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)


@attrs.frozen
class CsvDirSession:
    """What ``rostersync_authenticate`` returns: the folder and the key it was opened with."""

    folder: Path
    api_key: str = attrs.field(default="", repr=False)


@attrs.frozen
class Row:
    """One CSV row: its line number (for messages) and its cells by column name."""

    line: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return (self.cells.get(column) or "").strip()

    def many(self, column: str) -> tuple[str, ...]:
        """A multi-valued cell (``"09;10"``), as a sorted tuple without blanks."""
        return tuple(sorted({v.strip() for v in self.get(column).split(";") if v.strip()}))


def _read_file(path: Path) -> bytes:
    """The one place the connector touches the disk (tests inject faults here)."""
    return path.read_bytes()


def _read_with_retries(path: Path) -> bytes | None:
    """The file's bytes, ``None`` when it does not exist; brief failures are retried."""
    for delay in (*RETRY_DELAYS, None):
        try:
            return _read_file(path)
        except FileNotFoundError:
            return None
        except _PERMANENT as exc:
            raise SisUnavailableError(f"cannot read {path.name}: {exc.strerror}") from None
        except OSError as exc:
            if delay is None:
                reason = exc.strerror or errno.errorcode.get(exc.errno or 0, "I/O error")
                raise SisUnavailableError(
                    f"cannot read {path.name} after {len(RETRY_DELAYS) + 1} attempts: {reason}",
                    hint="check the folder's network share, then run the sync again",
                ) from None
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def check_key(session: CsvDirSession) -> None:
    """Raise :class:`AuthenticationError` unless the session's key opens the folder."""
    stored = _read_with_retries(session.folder / KEY_FILE)
    if stored is None:
        return  # an open folder: no key needed
    if not hmac.compare_digest(stored.decode("utf-8").strip(), session.api_key):
        raise AuthenticationError(
            "the folder's access key does not match the configured api_key",
            hint=f"copy the key from the folder's {KEY_FILE} file into the connection's api_key",
        )


def read_table(session: CsvDirSession, name: str, required: tuple[str, ...]) -> Iterator[Row]:
    """The rows of ``<name>.csv`` (none when the file is absent). The key is checked first.

    Raises :class:`InvalidSisDataError` when a required column is missing or the file is
    not UTF-8 CSV.
    """
    check_key(session)
    data = _read_with_retries(session.folder / f"{name}.csv")
    if data is None:
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidSisDataError(f"{name}.csv is not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidSisDataError(
            f"{name}.csv lacks the column(s) {', '.join(missing)}",
            hint="see the rostersync-csvdir README for each file's columns",
        )
    try:
        for row in reader:
            yield Row(reader.line_num, {k: v for k, v in row.items() if k is not None})
    except csv.Error as exc:
        raise InvalidSisDataError(f"{name}.csv line {reader.line_num}: {exc}") from None
