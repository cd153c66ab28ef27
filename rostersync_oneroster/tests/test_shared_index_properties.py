"""What a school's feed makes of the users a shared read serves it is what it makes of the
whole district's users: checked on many small random districts of odd users (roles at
several orgs or none, family linked from one side, removed users, ids with spaces, rows
read typed or as dicts), for every school, full and delta, limited or not."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest

from rostersync_core.fetch import FetchContext
from rostersync_oneroster.feed import SchoolFeed
from rostersync_oneroster.shared_index import IndexBuilder
from rostersync_oneroster.typed import User

IDS: list[Any] = ["u1", "u2", " u3", "u4", "u5", "u6", 5]
ORGS: list[Any] = ["s1", "s2", " s1", "district", "", None]
ROLES: list[Any] = ["student", "teacher", "guardian", "parent", "relative", "aide", "odd", None]


class ListSource:
    """A source answering ``users`` from a list (the feed's view of a REST source)."""

    def __init__(self, rows: list[Any], delta: bool) -> None:
        self.rows, self.delta = rows, delta

    def require_school(self, school_id: str) -> None:
        pass

    def records(self, collection: str, *, school_id: str, since: Any) -> Iterator[Any]:
        return iter(self.rows)

    def is_delta(self, collection: str, since: Any) -> bool:
        return self.delta


def random_user(rng: random.Random, v12: bool) -> dict[str, Any]:
    def ref(value: Any) -> Any:
        return rng.choice([value, {"sourcedId": value}])

    user: dict[str, Any] = {
        "sourcedId": rng.choice(IDS),
        "status": rng.choice(["active", "active", "tobedeleted", None]),
        "givenName": rng.choice(["G", "", None]),
        "familyName": rng.choice(["F", "", None]),
    }
    if v12 or rng.random() < 0.2:
        user["roles"] = [
            {
                "role": rng.choice(ROLES),
                **({"org": ref(rng.choice(ORGS))} if rng.random() < 0.8 else {}),
            }
            for _ in range(rng.randint(0, 3))
        ]
    if not v12 or rng.random() < 0.2:
        user["role"] = rng.choice(ROLES)
        if rng.random() < 0.8:
            user["orgs"] = [ref(rng.choice(ORGS)) for _ in range(rng.randint(0, 2))]
    if rng.random() < 0.3:
        user["primaryOrg"] = ref(rng.choice(ORGS))
    if rng.random() < 0.6:
        user["agents"] = [ref(rng.choice(IDS)) for _ in range(rng.randint(0, 2))]
    if rng.random() < 0.1:
        user["enabledUser"] = 1  # not typed: read as a dict
    return user


def as_read(users: list[dict[str, Any]]) -> list[Any]:
    """The users as the REST source yields them: repeats skipped, typed when they fit."""
    seen: set[str] = set()
    rows: list[Any] = []
    for user in users:
        sis_id = str(user.get("sourcedId") or "")
        if sis_id and sis_id in seen:
            continue
        seen.add(sis_id)
        try:
            rows.append(msgspec.json.decode(json.dumps(user).encode(), type=User))
        except msgspec.DecodeError:
            rows.append(user)
    return rows


def people(rows: list[Any], school: str, delta: bool, limit: int | None) -> tuple[Any, ...]:
    context = FetchContext(sis_school_id=school, limit=limit, since=dt.datetime(2026, 1, 1))
    read = SchoolFeed(ListSource(rows, delta), context).people(context)
    return read.people, read.links, context.invalid, context.removed


@pytest.mark.parametrize("seed", range(4))
def test_a_school_served_from_the_index_reads_what_it_reads_from_the_district(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(250):
        rows = as_read([random_user(rng, rng.random() < 0.5) for _ in range(rng.randint(1, 8))])
        delta = rng.random() < 0.5
        index = IndexBuilder.build(iter(rows), delta=delta)
        for school in ("s1", "s2", "district"):
            served = list(index.iter_users(school))
            for limit in (None, 1):
                assert people(served, school, delta, limit) == people(rows, school, delta, limit)
