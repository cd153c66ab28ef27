"""Offset paging that survives real servers (OneRoster-style ``limit``/``offset``).

Stops on whichever comes first: an empty page, a short page, the total from a count
header reached (a count smaller than what was already read is wrong and ignored), or
``max_records`` read. A page identical to the one before (a server that ignores the
offset) is :class:`InvalidSisDataError`, not an endless loop. A server that caps ``limit``
below what was asked looks like a short first page: when the count header or a
``Link: rel="next"`` says more is coming, or (with neither) one probe at the next offset
finds more, the cap is adopted as the page size. Header names are matched in any case;
both headers may be absent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from rostersync_core.errors import InvalidSisDataError
from rostersync_core.http.client import Params, SisClient, SisResponse
from rostersync_core.http.errors import where

__all__ = ["items_under", "iter_offset_pages"]


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
) -> Iterator[Sequence[Any]]:
    """Yield each non-empty page's items of ``path``.

    ``items`` is the key holding the list (``"users"``) or a function
    ``(body, response) -> list``. ``params`` are sent with every page (for OneRoster:
    ``sort=sourcedId``, ``orderBy=asc``, ``filter=...``).
    """
    extract = items_under(items) if isinstance(items, str) else items
    base = list(params.items()) if isinstance(params, dict) else list(params or ())
    limit = page_size
    offset = 0
    first = True
    previous: Sequence[Any] = ()
    for _ in range(max_pages):
        response = client.get(path, params=[*base, (limit_param, limit), (offset_param, offset)])
        page = extract(response.json(), response)
        if not page:
            return
        if page == previous:
            # Without a count, a server that ignores the offset would be paged forever.
            raise InvalidSisDataError(
                f"the SIS answered {where(response.method, response.host, response.path)} "
                f"at offset {offset} with the same page again: it ignores '{offset_param}'",
                hint="tell the SIS vendor; paging cannot work against this server",
            )
        previous = page
        if max_records is not None and offset + len(page) > max_records:
            page = page[: max(0, max_records - offset)]
        yield page
        offset += len(page)
        total = _total(response, total_header)
        if total is not None and offset > total:
            total = None  # more records than the count says: the count is wrong, ignore it
        if max_records is not None and offset >= max_records:
            return
        if total is not None and offset >= total:
            return
        if len(page) < limit:
            if not first:
                return
            # A short first page: the end, or a server cap on the page size.
            more_known = "next" in response.links() or (total is not None and offset < total)
            unknown = total is None and "next" not in response.links()
            if not (more_known or unknown):
                return
            limit = len(page)  # adopt the cap (or probe once when nothing says)
        first = False
