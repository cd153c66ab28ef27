"""The OneRoster REST rostering service (1.1 and 1.2) over the core's HTTP toolkit."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

from msgspec import Struct

from rostersync_core.errors import InvalidSisDataError, UnknownSchoolError
from rostersync_core.http import (
    SisClient,
    SisNotFoundError,
    SisRequestRejectedError,
    iter_offset_pages,
    segment,
)
from rostersync_oneroster.shared_users import UsersShare
from rostersync_oneroster.typed import page_decoder

__all__ = ["DELTA_COLLECTIONS", "RestSource", "delta_filter"]

log = logging.getLogger(__name__)

#: Collections fetched as deltas when a cursor is given (the big ones); the rest are
#: always read in full so grades, subjects, terms and classes stay complete.
DELTA_COLLECTIONS = frozenset({"users", "enrollments"})
#: Collections read under ``/schools/{id}/``; the others are district-wide.
_SCHOOL_SCOPED = frozenset({"classes", "courses", "enrollments"})
#: Collections paged speculatively (:func:`~rostersync_core.http.iter_offset_pages`).
_MANY_PAGES = frozenset({"users", "enrollments"})


def delta_filter(since: dt.datetime) -> str:
    """``dateLastModified>'2026-01-01T00:00:00Z'`` for a cursor (UTC)."""
    if since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    stamp = since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"dateLastModified>'{stamp}'"


class RestSource:
    """Reads a OneRoster REST service through a :class:`~rostersync_core.http.SisClient`
    whose ``base_url`` is the service root (``.../ims/oneroster/rostering/v1p2``).

    Collections are paged concurrently once the first page's ``X-Total-Count`` is known
    (up to the client's ``max_concurrency`` in flight, its rate limit honoured, records
    yielded in order, page by page); without a count, one page at a time.

    With ``users_share``, the district-wide ``users`` read is shared with the other
    schools' syncs in this process (:mod:`rostersync_oneroster.shared_users`):
    :meth:`records` then gives a school the users the feed can keep for it."""

    def __init__(
        self,
        client: SisClient,
        *,
        version: str,
        page_size: int = 100,
        users_share: UsersShare | None = None,
    ) -> None:
        self.client = client
        self.version = version
        self.page_size = page_size
        self.users_share = users_share
        #: How many schools the service lists (``None``: not known). With one, a users
        #: read has no one to be shared with and is not indexed.
        self.school_count: int | None = None
        self.description = f"OneRoster {version} REST at {client.host}"
        self._filter_refused: set[str] = set()

    def note_school_count(self, header: str | None) -> None:
        """Keep the school count a ``schools`` page's ``X-Total-Count`` gives."""
        try:
            self.school_count = int(header.strip()) if header else None
        except ValueError:
            self.school_count = None

    def _pages(
        self, path: str, key: str, *, filter_: str | None = None, limit: int | None = None
    ) -> Iterator[Any]:
        """The records of ``path``: dicts, or for ``users`` and ``enrollments`` typed
        structs (a page that does not fit the types comes as dicts: see :mod:`.typed`)."""
        params: list[tuple[str, str | int | float]] = [("sort", "sourcedId"), ("orderBy", "asc")]
        if filter_:
            params.append(("filter", filter_))
        seen: set[str] = set()
        for page in iter_offset_pages(
            self.client,
            path,
            items=key,
            params=params,
            page_size=self.page_size,
            max_records=limit,
            concurrent=True,
            # A school's users and enrolments span many pages: ask for the first pages
            # at once instead of waiting for the first page's count.
            speculative=key in _MANY_PAGES,
            decode=page_decoder(key),
        ):
            for record in page:
                if isinstance(record, Struct):
                    sourced_id = getattr(record, "sourcedId", None) or ""
                elif isinstance(record, dict):
                    sourced_id = str(record.get("sourcedId") or "")
                else:
                    raise InvalidSisDataError(
                        f"{self.description} sent a '{key}' entry that is not an object "
                        f"(GET /{path})"
                    )
                if sourced_id and sourced_id in seen:
                    continue  # rows added mid-fetch shift offsets: a repeat is skipped
                seen.add(sourced_id)
                yield record

    def schools(self) -> Iterator[dict[str, Any]]:
        return self._pages("schools", "orgs")

    def require_school(self, school_id: str) -> None:
        try:
            body = self.client.get_json(f"schools/{segment(school_id)}")
        except SisNotFoundError:
            raise UnknownSchoolError(
                f"{self.description} has no school with id {school_id!r}",
                hint="pick the school again with `rostersync setup`",
            ) from None
        org = body.get("org") if isinstance(body, dict) else None
        if not isinstance(org, dict):
            raise InvalidSisDataError(
                f"{self.description} answered GET /schools/{{id}} without an 'org' object"
            )

    def is_delta(self, collection: str, since: dt.datetime | None) -> bool:
        return (
            since is not None
            and collection in DELTA_COLLECTIONS
            and collection not in self._filter_refused
        )

    def _delta_or_full(self, path: str, key: str, filter_: str) -> Iterator[Any]:
        rows = self._pages(path, key, filter_=filter_)
        try:
            first = next(rows, None)
        except SisRequestRejectedError as exc:
            log.warning(
                "%s refused the delta filter on /%s (%s): reading it in full",
                self.description,
                path,
                exc.status,
            )
            self._filter_refused.add(key)
            yield from self._pages(path, key)
            return
        if first is not None:
            yield first
            yield from rows

    def records(
        self, collection: str, *, school_id: str, since: dt.datetime | None
    ) -> Iterator[Any]:
        if (
            collection == "users"
            and since is None  # a delta is read at its own fetch: see _shared_users
            and self.users_share is not None
            and self.school_count != 1
        ):
            return self._shared_users(self.users_share, school_id)
        path = collection
        if collection in _SCHOOL_SCOPED:
            path = f"schools/{segment(school_id)}/{collection}"
        if since is not None and self.is_delta(collection, since):
            return self._delta_or_full(path, collection, delta_filter(since))
        return self._pages(path, collection)

    def _shared_users(self, share: UsersShare, school_id: str) -> Iterator[Any]:
        """The district's users of a full read, shared (:mod:`.shared_users`).

        A delta (``since``) is never served from a shared read: that read began before this
        fetch, and a caller takes its next cursor from when this fetch began, so a change
        made in between would be in no delta ever."""
        yield from share.reads.users_of(
            share.key, school_id, share.max_age, self._read_users, lambda delta: None
        )

    def _read_users(self) -> tuple[Iterator[Any], bool]:
        """The district's users, in full (not a delta)."""
        return self._pages("users", "users"), False

    def close(self) -> None:
        self.client.close()
