"""Where OneRoster records come from: a REST service or a CSV exchange (zip or folder).

Both sources yield records in the REST JSON shape (dicts; REST ``users`` and
``enrollments`` mostly as the typed structs of :mod:`rostersync_oneroster.typed`);
:mod:`rostersync_oneroster.feed` normalises them the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, Protocol

__all__ = ["COLLECTIONS", "RosterSource"]

#: The collections the connector reads.
COLLECTIONS = ("orgs", "academicSessions", "courses", "classes", "users", "enrollments")


class RosterSource(Protocol):
    """A OneRoster source."""

    #: Says what the source is, for messages (never a secret): ``"OneRoster 1.2 REST at x"``.
    description: str

    def schools(self) -> Iterator[dict[str, Any]]:
        """Every org record of the source (the feed keeps ``type: school``)."""

    def require_school(self, school_id: str) -> None:
        """Raise ``UnknownSchoolError`` when the source has no school ``school_id``."""

    def records(
        self, collection: str, *, school_id: str, since: dt.datetime | None
    ) -> Iterator[Any]:
        """The records of ``collection`` for ``school_id`` (the source may include others:
        the feed filters again), only those changed after ``since`` when it is a delta:
        dicts, or for ``users`` and ``enrollments`` typed structs too."""

    def is_delta(self, collection: str, since: dt.datetime | None) -> bool:
        """True when :meth:`records` gives only the changes for ``collection``."""

    def close(self) -> None:
        """Release connections and files."""
