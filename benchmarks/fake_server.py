"""The OneRoster fake server for benchmarks: the test kit's server, with its lists cached.

:class:`~rostersync_oneroster.testing.FakeOneRosterServer` used to filter and sort the
whole collection on every page request (quadratic at 100k students; the kit caches since
48af46f). This subclass keeps each view's filtered, sorted list until the dataset changes
and counts the records it serves; otherwise it answers exactly as the kit's server does.

``python -m benchmarks.fake_server --students N --seed S [--one-school] [--delay S]
[--cache-pages]``
serves a generated district on loopback in its own process (so the server neither shares
the client's GIL nor counts in its memory), prints one JSON line with its ``config`` and
reads commands on stdin: ``publish <new> <withdrawn> <teacher changes> <seed>`` serves a
later snapshot (:func:`~rostersync_core.districts.evolve_district`), ``stats`` prints the
request count, ``delay <seconds>`` replaces the injected delay, ``quit`` (or end of input) stops it.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from typing import Any

import attrs

from rostersync_core.districts import District, evolve_district, generate_district
from rostersync_core.testing.fake_sis import FakeRequest, FakeResponse, Fault
from rostersync_oneroster.testing import FakeOneRosterServer
from rostersync_oneroster.testing.server import _VIEWS, imsx_error

__all__ = ["BenchOneRosterServer", "main"]


class BenchOneRosterServer(FakeOneRosterServer):
    """:class:`FakeOneRosterServer` answering from cached, sorted views."""

    def __init__(self, district: Any, *, cache_pages: bool = False, **kwargs: Any) -> None:
        super().__init__(district, **kwargs)
        #: Answer a page rendered before from memory (``--cache-pages``).
        self.cache_pages = cache_pages
        self._pages: dict[tuple[Any, ...], FakeResponse] = {}
        self._views: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        self._sorted: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        #: Records served in pages since the last ``stats`` (for records per second).
        self.records_served = 0
        self._count_lock = threading.Lock()  # pages are served from several threads

    def publish(self, district: District, *, modified: str) -> None:
        super().publish(district, modified=modified)
        self._views.clear()
        self._sorted.clear()
        self._pages.clear()

    def _view(self, view: str, school: str | None) -> list[dict[str, Any]]:
        key = (id(self.dataset), view, school)
        records = self._views.get(key)
        if records is None:
            collection, _, keep = _VIEWS[view]
            if school is None:
                records = self.dataset.records(collection)
            else:
                records = list(self.dataset.school_records(collection, school))
            if keep is not None:
                records = [r for r in records if keep(r)]
            self._views[key] = records
        return records

    def _collection(self, request: FakeRequest, view: str) -> FakeResponse:
        return self._page(request, self._view(view, None), _VIEWS[view][1])

    def _per_school(self, request: FakeRequest, school: str, view: str) -> FakeResponse:
        org = self.dataset.collections["orgs"].get(school)
        if org is None or org.get("type") != "school":
            return imsx_error(404, "unknownobject", "no such school")
        return self._page(request, self._view(view, school), _VIEWS[view][1])

    def _page(self, request: FakeRequest, records: list[dict[str, Any]], key: str) -> FakeResponse:
        sort = request.arg("sort")
        if not sort or request.arg("filter"):
            return super()._page(request, records, key)
        order = request.arg("orderBy")
        cache_key = (id(records), sort, order)
        ordered = self._sorted.get(cache_key)
        if ordered is None:
            ordered = sorted(records, key=lambda r: str(r.get(sort, "")), reverse=order == "desc")
            self._sorted[cache_key] = ordered
        query = {k: v for k, v in request.query.items() if k not in ("sort", "orderBy")}
        page_key = (cache_key, key, request.arg("limit"), request.arg("offset"))
        response = self._pages.get(page_key) if self.cache_pages else None
        if response is None:
            response = super()._page(attrs.evolve(request, query=query), ordered, key)
            if self.cache_pages:
                self._pages[page_key] = response
        try:
            limit = int(request.arg("limit", "100") or 100)
            offset = int(request.arg("offset", "0") or 0)
            with self._count_lock:
                self.records_served += max(0, min(limit, len(ordered) - offset))
        except ValueError:
            pass
        return response


def build_district(students: int, seed: int, one: bool) -> District:
    from benchmarks.roster import one_school

    district = generate_district(students, seed=seed)
    return one_school(district) if one else district


def evolved(
    students: int, seed: int, one: bool, new: int, withdrawn: int, teachers: int, later_seed: int
) -> District:
    """The later snapshot the server publishes (the client process builds the same one)."""
    from benchmarks.roster import one_school

    district = evolve_district(
        generate_district(students, seed=seed),
        seed=later_seed,
        new_students=new,
        withdrawals=withdrawn,
        teacher_changes=teachers,
    )
    return one_school(district) if one else district


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--one-school", action="store_true")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds added per request")
    parser.add_argument("--cache-pages", action="store_true",
                        help="answer a page rendered before from memory (its CPU then stays "
                        "off the client's cores, as a real SIS's does)")
    args = parser.parse_args(argv)
    district = build_district(args.students, args.seed, args.one_school)
    server = BenchOneRosterServer(district, link_header=False, cache_pages=args.cache_pages)
    del district
    if args.delay:
        server.inject(Fault(delay=args.delay, times=None, path=r"/ims/"))
    with server:
        print(json.dumps({"config": server.config()}), flush=True)
        for line in sys.stdin:
            words = line.split()
            if not words or words[0] == "quit":
                break
            if words[0] == "publish":
                new, withdrawn, teachers, later_seed = (int(w) for w in words[1:5])
                later = evolved(
                    args.students, args.seed, args.one_school, new, withdrawn, teachers, later_seed
                )
                server.publish(later, modified="2026-09-01T00:00:00.000Z")
                print(json.dumps({"published": True}), flush=True)
            elif words[0] == "delay":
                server.faults.clear()
                if float(words[1]):
                    server.inject(Fault(delay=float(words[1]), times=None, path=r"/ims/"))
                print(json.dumps({"delay": float(words[1])}), flush=True)
            elif words[0] == "stats":
                stats = {"requests": len(server.requests), "records": server.records_served,
                         "cpu_s": round(time.process_time(), 3)}
                print(json.dumps(stats), flush=True)
                server.clear_log()
                server.records_served = 0


if __name__ == "__main__":
    main()
