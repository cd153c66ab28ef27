"""Benchmark 3 — fetch concurrency: 20 ms injected per request, sequential vs concurrent,
against the limit (requests x 20 ms / concurrency).

The fake server (its own process) adds ``--delay`` to every rostering request, and answers
a page it rendered before from memory, so its CPU does not compete with the client's on
this machine's cores (an unmeasured first read renders them). Measured:

- ``connector_people``: the OneRoster connector's ``fetch_people`` (its users paging), with
  the config's ``max_concurrency`` — what a sync really does — against the limit at that
  concurrency;
- ``sequential_pages``: the same pages fetched one by one through ``SisClient.get``;
- ``concurrent_pages``: the same pages through ``SisClient.imap`` (the toolkit's concurrent
  fetching), ``max_concurrency`` in flight, once the first page gave the total.

``python -m benchmarks.fetch_concurrency --students 5000 [--concurrency 5] [--out r.json]``
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks.common import base_parser, finish, load_average
from benchmarks.end_to_end import sis_server

TARGET_FACTOR = 1.5


def _params(page_size: int, offset: int) -> list[tuple[str, str | int | float]]:
    return [("sort", "sourcedId"), ("orderBy", "asc"), ("limit", page_size), ("offset", offset)]


def run(students: int, seed: int, *, delay: float, concurrency: int, page_size: int
        ) -> dict[str, Any]:
    from rostersync_core.fetch import FetchContext
    from rostersync_oneroster.connector import plugin as oneroster

    result: dict[str, Any] = {
        "benchmark": "fetch_concurrency", "students": students, "seed": seed,
        "delay_s": delay, "concurrency": concurrency, "page_size": page_size,
        "load_average_before": load_average(), "runs": {},
    }
    runs: dict[str, Any] = result["runs"]
    # Pages are rendered once (by the first run, sequential without the delay) and then
    # answered from memory: the fake server shares the client's 2 cores, a real SIS does not.
    args = ["--students", str(students), "--seed", str(seed), "--one-school",
            "--delay", str(delay), "--cache-pages"]
    with sis_server(args) as sis:
        config = {**sis.config, "page_size": page_size, "max_concurrency": concurrency}
        session = oneroster.rostersync_authenticate(config)
        client = session.source.client
        school = oneroster.rostersync_list_schools(session)[0]
        sis.ask("stats")

        def measure(name: str, in_flight: int, work: Any, wait: float = delay) -> None:
            began = time.perf_counter()
            records = work()
            seconds = time.perf_counter() - began
            requests = sis.ask("stats")["requests"]
            limit = requests * wait / in_flight
            runs[name] = {
                "seconds": round(seconds, 3),
                "requests": requests,
                "records": records,
                "in_flight": in_flight,
                "limit_s": round(limit, 3),
                "factor_of_limit": round(seconds / limit, 2) if limit else None,
                "load_average": load_average(),
            }

        def connector_people() -> int:
            context = FetchContext(sis_school_id=school.sis_id)
            return len(list(oneroster.rostersync_fetch_people(session, context)))

        def sequential() -> int:
            offset = count = 0
            while True:
                page = client.get("users", params=_params(page_size, offset)).json()["users"]
                count += len(page)
                offset += len(page)
                if len(page) < page_size:
                    return count

        def concurrent() -> int:
            first = client.get("users", params=_params(page_size, 0))
            total = int(first.header("X-Total-Count") or 0)
            count = len(first.json()["users"])
            for page in client.imap(
                lambda o: client.get("users", params=_params(page_size, o)).json()["users"],
                range(page_size, total, page_size),
            ):
                count += len(page)
            return count

        sis.ask("delay 0")
        sequential()  # renders every page once (not measured)
        sis.ask("stats")
        measure("sequential_pages_no_delay", 1, sequential, wait=0.0)
        sis.ask(f"delay {delay}")
        measure("connector_people", concurrency, connector_people)
        measure("sequential_pages", 1, sequential)
        measure("concurrent_pages", concurrency, concurrent)
        session.close()
    conc = runs["concurrent_pages"]
    conn = runs["connector_people"]
    result["target_factor"] = TARGET_FACTOR
    result["targets_met"] = {
        "toolkit_concurrent_within_1_5x": (conc["factor_of_limit"] or 99) <= TARGET_FACTOR,
        "connector_concurrent_within_1_5x": (conn["factor_of_limit"] or 99) <= TARGET_FACTOR,
    }
    # What one request costs without the delay (server rendering, client parsing): the
    # part of the gap to the limit that is not waiting.
    base = runs["sequential_pages_no_delay"]
    overhead = base["seconds"] / base["requests"]
    result["overhead_per_request_ms"] = round(1000 * overhead, 1)
    # The same work cannot go faster than its CPU part done one page at a time (one GIL
    # in the client, one in the server): the limit with that floor.
    result["concurrent_floor_with_overhead_s"] = round(
        max(conc["limit_s"], conc["requests"] * overhead), 3
    )
    result["speedup_concurrent_vs_sequential"] = round(
        runs["sequential_pages"]["seconds"] / conc["seconds"], 2
    )
    return result


def main(argv: list[str] | None = None) -> None:
    parser = base_parser(__doc__ or "")
    parser.add_argument("--delay", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=5)
    parser.add_argument("--page-size", type=int, default=100)
    parser.set_defaults(students=5000)
    args = parser.parse_args(argv)
    result = run(args.students, args.seed, delay=args.delay, concurrency=args.concurrency,
                 page_size=args.page_size)
    finish(result, args.out)


if __name__ == "__main__":
    main()
