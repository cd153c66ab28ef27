"""Offset paging that survives real servers (OneRoster-style ``limit``/``offset``).

Stops on whichever comes first: an empty page, a short page, the total from a count
header reached (a count smaller than what was already read is wrong and ignored), or
``max_records`` read. A page identical to the one before (a server that ignores the
offset) is :class:`InvalidSisDataError`, not an endless loop. A server that caps ``limit``
below what was asked looks like a short first page: when the count header or a
``Link: rel="next"`` says more is coming, or (with neither) one probe at the next offset
finds more, the cap is adopted as the page size. Header names are matched in any case;
both headers may be absent.

With ``concurrent=True``, once the first page gave a believable count and kept the page
size (the ``limit`` asked for, or the server's cap found on that page), the remaining
offsets up to it are fetched through :meth:`SisClient.imap` (the client's
``max_concurrency`` in flight, its rate limit honoured, pages yielded in order and a few
pages ahead at most). The same stop conditions apply to each page in order; when the last
planned page is full and the newest count says more (rows added while paging), paging goes
on one page at a time. Without a count, paging is sequential.

With ``speculative=True`` as well, the first ``max_concurrency`` pages are asked for at once
instead of the first page alone, and a server without a count is read that many pages at a
time (see :func:`iter_offset_pages`).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Sequence
from functools import partial
from typing import Any, cast

from rostersync_core.errors import InvalidSisDataError
from rostersync_core.http.client import Params, SisClient, SisResponse
from rostersync_core.http.errors import where

__all__ = ["items_under", "iter_offset_pages"]

_Page = tuple[Sequence[Any], SisResponse]


def items_under(key: str) -> Callable[[Any, SisResponse], Sequence[Any]]:
    """An extractor for pages shaped ``{key: [...]}`` (a missing key is invalid data)."""

    def extract(body: Any, response: SisResponse) -> Sequence[Any]:
        if not isinstance(body, dict) or key not in body:
            raise InvalidSisDataError(
                f"the SIS answered {where(response.method, response.host, response.path)} "
                f"without the expected '{key}' list"
            )
        items = body[key]
        if not isinstance(items, list):
            raise InvalidSisDataError(
                f"the SIS answered {where(response.method, response.host, response.path)} "
                f"with '{key}' that is not a list"
            )
        return items

    return extract


def _total(response: SisResponse, header: str) -> int | None:
    value = response.header(header)
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


class _OffsetPaging:
    """Where paging stands, and the stop conditions applied to each page in order."""

    def __init__(
        self, *, page_size: int, max_records: int | None, offset_param: str, total_header: str
    ) -> None:
        self.limit = page_size
        self.max_records = max_records
        self.offset_param = offset_param
        self.total_header = total_header
        self.offset = 0
        self.total: int | None = None
        self.first = True
        self.previous: Sequence[Any] = ()

    def take(self, page: Sequence[Any], response: SisResponse, at: int) -> Sequence[Any] | None:
        """The part of ``page`` (read at offset ``at``) to yield; None: paging ends here."""
        if not page:
            return None
        if page == self.previous:
            # Without a count, a server that ignores the offset would be paged forever.
            raise InvalidSisDataError(
                f"the SIS answered {where(response.method, response.host, response.path)} "
                f"at offset {at} with the same page again: it ignores '{self.offset_param}'",
                hint="tell the SIS vendor; paging cannot work against this server",
            )
        self.previous = page
        if self.max_records is not None and at + len(page) > self.max_records:
            page = page[: max(0, self.max_records - at)]
        return page

    def more(self, page: Sequence[Any], response: SisResponse, at: int) -> bool:
        """After ``page`` (read at ``at``) was yielded: advance; is there more to read?"""
        self.offset = at + len(page)
        total = _total(response, self.total_header)
        if total is not None and self.offset > total:
            total = None  # more records than the count says: the count is wrong, ignore it
        self.total = total
        if self.max_records is not None and self.offset >= self.max_records:
            return False
        if total is not None and self.offset >= total:
            return False
        if len(page) < self.limit:
            if not self.first:
                return False
            # A short first page: the end, or a server cap on the page size.
            links = response.links()
            more_known = "next" in links or (total is not None and self.offset < total)
            unknown = total is None and "next" not in links
            if not (more_known or unknown):
                return False
            self.limit = len(page)  # adopt the cap (or probe once when nothing says)
        self.first = False
        return True

    def planned(self, max_pages: int) -> range:
        """The offsets left up to the count (and ``max_records``), one per page."""
        assert self.total is not None
        end = self.total if self.max_records is None else min(self.total, self.max_records)
        offsets = range(self.offset, end, self.limit)
        return offsets[:max_pages]


def iter_offset_pages(
    client: SisClient,
    path: str,
    *,
    items: str | Callable[[Any, SisResponse], Sequence[Any]],
    params: Params | None = None,
    page_size: int = 100,
    max_records: int | None = None,
    offset_param: str = "offset",
    limit_param: str = "limit",
    total_header: str = "X-Total-Count",
    max_pages: int = 1_000_000,
    concurrent: bool = False,
    speculative: bool = False,
    decode: Callable[[SisResponse], Any] | None = None,
) -> Iterator[Sequence[Any]]:
    """Yield each non-empty page's items of ``path``.

    ``items`` is the key holding the list (``"users"``) or a function
    ``(body, response) -> list``. ``params`` are sent with every page (for OneRoster:
    ``sort=sourcedId``, ``orderBy=asc``, ``filter=...``). ``concurrent=True`` fetches the
    pages after the first through :meth:`SisClient.imap` when the first page gave a count
    (see the module docstring); pages are yielded in order either way.

    ``speculative=True`` (with ``concurrent``) does not wait for the first page's count:
    the first ``max_concurrency`` pages are asked for at once, and a server that sends no
    count is read that many pages at a time. Meant for collections expected to span many
    pages (a school's users and enrolments): a short collection costs up to
    ``max_concurrency - 1`` requests more. When the first page shows a server cap on
    ``limit``, the pages asked for beyond it are dropped and paging goes on at the cap.

    ``decode`` turns a response into its body (default :meth:`SisResponse.json`), e.g. a
    typed decoder; ``items`` then reads what it returns.
    """
    extract = items_under(items) if isinstance(items, str) else items
    body_of = decode if decode is not None else SisResponse.json
    base = list(params.items()) if isinstance(params, dict) else list(params or ())
    paging = _OffsetPaging(
        page_size=page_size,
        max_records=max_records,
        offset_param=offset_param,
        total_header=total_header,
    )
    workers = client.limits.max_concurrency if concurrent else 1
    window = workers if speculative else 1
    if max_records is not None:
        window = max(1, min(window, -(-max_records // page_size)))
    pages_read = 0
    planned = False  # the offsets up to a count are planned once; later pages one by one
    regular = True  # every page so far held exactly the limit asked for

    def fetch(offset: int, limit: int) -> _Page:
        response = client.get(path, params=[*base, (limit_param, limit), (offset_param, offset)])
        return extract(body_of(response), response), response

    def consume(
        offsets: Sequence[int], fetched: Iterator[_Page], limit: int
    ) -> Generator[Sequence[Any], None, bool]:
        """Yield the pages read at ``offsets`` in order; True when paging is over."""
        nonlocal pages_read
        for at, (page, response) in zip(offsets, fetched, strict=False):
            pages_read += 1
            kept = paging.take(page, response, at)
            if kept is None:
                return True
            yield kept
            if not paging.more(kept, response, at) or pages_read >= max_pages:
                return True
            if len(kept) != limit:
                # A server cap found, or pages bigger than asked: the offsets asked for
                # after this page are wrong, and so would be any planned from the count.
                nonlocal regular
                regular = len(kept) == paging.limit  # a cap is regular from here on
                return False
        return False

    while True:
        limit = paging.limit
        offsets: Sequence[int]
        if workers > 1 and not planned and paging.total is not None and regular:
            planned = True
            offsets = paging.planned(max_pages - pages_read)
        elif window > 1 and paging.total is None and regular:
            count = min(window, max_pages - pages_read)
            offsets = range(paging.offset, paging.offset + count * limit, limit)
        else:
            offsets = [paging.offset]
        if len(offsets) > 1:
            fetched = cast(
                Generator[_Page, None, None], client.imap(partial(fetch, limit=limit), offsets)
            )
            try:
                done = yield from consume(offsets, fetched, limit)
            finally:
                fetched.close()
        else:
            done = yield from consume(offsets, iter([fetch(offsets[0], limit)]), limit)
        if done:
            return
