"""Misbehaviours a fake SIS can be told to serve (see :mod:`.fake_sis`)."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

import attrs

from rostersync_core.testing.fake_sis_http import FakeResponse

__all__ = ["Fault", "FaultPlan"]


@attrs.define
class Fault:
    """A misbehaviour for matching requests.

    - ``status`` (+ ``retry_after``, ``body``, ``headers``): answer this instead.
    - ``delay``: wait this many seconds before answering (combines with the others).
    - ``truncate``: send half the real body with the full ``Content-Length``, then hang up
      (a short read). ``malformed``: send half the body with a matching length (bad JSON).
    - ``drop``: hang up without answering.
    - ``path`` / ``method``: a regex searched in the path, and a method; None matches all.
    - ``skip``: let this many matching requests through first.
    - ``times``: how many requests it affects (None: all of them, for ever).
    """

    status: int | None = None
    retry_after: str | None = None
    body: Any = None
    headers: Mapping[str, str] = attrs.field(factory=dict)
    delay: float = 0.0
    truncate: bool = False
    malformed: bool = False
    drop: bool = False
    path: str | None = None
    method: str | None = None
    skip: int = 0
    times: int | None = 1
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path is None or re.search(self.path, path) is not None

    def response(self) -> FakeResponse:
        """The answer for a ``status`` fault."""
        assert self.status is not None
        headers = dict(self.headers)
        if self.retry_after is not None:
            headers["Retry-After"] = self.retry_after
        body = self.body if self.body is not None else {"error": f"injected {self.status}"}
        return FakeResponse.json(body, self.status, headers)


class FaultPlan:
    """The faults in force, applied in the order they were added (thread safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> list[Fault]:
        """The faults that hit this request (each counted); spent faults are dropped."""
        hit: list[Fault] = []
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                if fault.times is not None:
                    if fault.times <= 0:
                        continue
                    fault.times -= 1
                fault.hits += 1
                hit.append(fault)
            self._faults = [f for f in self._faults if f.times is None or f.times > 0]
        return hit
