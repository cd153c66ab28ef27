"""A district's OneRoster pages rendered once, as bytes, and replayed to the connector.

:func:`render_pages` asks the benchmark fake server's own routes (no socket) for every
page the OneRoster connector requests while syncing one school, and keeps each answer's
body and headers. :class:`ReplayClient` stands in for the connector's ``SisClient``: it
answers ``get(path, params)`` from those bytes, so a sync runs the connector's real paging
(``RestSource`` over ``iter_offset_pages``), JSON decoding and normalisation, and the
engine behind it, with no network. :class:`ReplayConnector` is the OneRoster connector
whose sessions use a :class:`ReplayClient`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

from requests.structures import CaseInsensitiveDict

from benchmarks.fake_server import BenchOneRosterServer
from rostersync_core import hookimpl
from rostersync_core.districts import District
from rostersync_core.http import RequestLimits, SisResponse
from rostersync_core.testing.fake_sis import FakeRequest
from rostersync_oneroster.connector import OneRosterConnector, OneRosterSession
from rostersync_oneroster.rest import RestSource

__all__ = ["REPLAY_CONFIG", "Page", "ReplayClient", "ReplayConnector", "render_pages"]

#: A config that passes the OneRoster schema; the replay connector never uses it.
REPLAY_CONFIG = {
    "source": "rest",
    "base_url": "http://replay.invalid",
    "client_id": "bench",
    "client_secret": "bench-secret-not-used",
}

Page = tuple[bytes, dict[str, str], int]  # body, headers, records in it
PageKey = tuple[str, int, int]  # path, limit, offset


def _fake_request(server: BenchOneRosterServer, path: str, params: Mapping[str, str]) -> Any:
    full = f"{server.base_path}/{path}"
    query = {k: [v] for k, v in params.items()}
    return FakeRequest("GET", full, query, {}, b"", f"http://replay{full}", full)


def _paths(school_id: str) -> list[tuple[str, str]]:
    """(path, answer key) of every paged collection the connector reads for a school."""
    s = quote(school_id, safe="")
    return [
        (f"schools/{s}/classes", "classes"),
        (f"schools/{s}/courses", "courses"),
        ("academicSessions", "academicSessions"),
        ("users", "users"),
        (f"schools/{s}/enrollments", "enrollments"),
        ("schools", "orgs"),
    ]


def render_pages(
    district: District, school_ids: list[str], page_size: int = 100
) -> dict[PageKey, Page]:
    """Every page the connector asks for while syncing ``school_ids`` (district-wide
    collections once), rendered by the fake server's routes."""
    server = BenchOneRosterServer(district, link_header=False)
    server.set_guard(None)
    pages: dict[PageKey, Page] = {}
    for school_id in school_ids:
        for path, key in _paths(school_id):
            offset = 0
            while (path, page_size, offset) not in pages:
                params = {"sort": "sourcedId", "orderBy": "asc", "limit": str(page_size),
                          "offset": str(offset)}
                response = server.dispatch(_fake_request(server, path, params))
                count = len(json.loads(response.body)[key])
                pages[(path, page_size, offset)] = (response.body, dict(response.headers), count)
                if count < page_size:
                    break
                offset += count
        one = f"schools/{quote(school_id, safe='')}"
        response = server.dispatch(_fake_request(server, one, {}))
        pages[(one, 0, 0)] = (response.body, dict(response.headers), 1)
    return pages


class ReplayClient:
    """Answers the connector's GETs from rendered pages; logs which pages it served."""

    host = "replay.invalid"
    base_url = "http://replay.invalid/"

    #: One request at a time: the pages are in memory, concurrency would only add threads.
    limits = RequestLimits(max_concurrency=1)

    def __init__(self, pages: dict[PageKey, Page]) -> None:
        self.pages = pages
        self.served: list[PageKey] = []
        self.missing: list[str] = []

    def get(self, path: str, *, params: Any = None, headers: Any = None) -> SisResponse:
        args = dict(params.items() if isinstance(params, Mapping) else (params or ()))
        key = (path, int(args.get("limit", 0)), int(args.get("offset", 0)))
        page = self.pages.get(key)
        if page is None:
            self.missing.append(f"{path} limit={key[1]} offset={key[2]}")
            page = (b'{"orgs": []}', {}, 0)
        else:
            self.served.append(key)
        body, head, _ = page
        return SisResponse("GET", self.host, "/" + path, 200, CaseInsensitiveDict(head), body)

    def get_json(self, path: str, *, params: Any = None) -> Any:
        return self.get(path, params=params).json()

    def imap(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        """Like ``SisClient.imap`` with ``max_concurrency=1``: in order, one at a time."""
        return (fn(item) for item in items)

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        return list(self.imap(fn, items))

    def close(self) -> None:
        pass


class ReplayConnector(OneRosterConnector):
    """The OneRoster connector reading a :class:`ReplayClient` instead of the network."""

    def __init__(self, client: ReplayClient, page_size: int = 100) -> None:
        super().__init__()
        self.client = client
        self.page_size = page_size

    @hookimpl
    def rostersync_authenticate(self, config: Mapping[str, Any]) -> OneRosterSession:
        source = RestSource(self.client, version="1.2", page_size=self.page_size)
        return OneRosterSession(source)
