"""The plugin host of the Celery worker processes started by ``test_celery.py``.

Named by ``ROSTERSYNC_HOST_FACTORY=schedule_worker_host:make_host`` (this directory on the
workers' ``PYTHONPATH``). The memory connector serves the same generated district as the
test process. While the file named by ``$ROSTERSYNC_TEST_GATE`` exists, fetching people
waits (at most a minute): the test holds one sync inside its lock that way.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

from rostersync_core.districts import generate_district
from rostersync_core.fetch import FetchContext
from rostersync_core.hookspecs import hookimpl
from rostersync_core.model import Person
from rostersync_core.plugins import PluginHost
from rostersync_core.testing.memory import MemoryConnector

GATE_ENV = "ROSTERSYNC_TEST_GATE"
STUDENTS = 30
SEED = 8


class GatedConnector(MemoryConnector):
    @hookimpl
    def rostersync_fetch_people(self, session: object, context: FetchContext) -> Iterator[Person]:
        gate = os.environ.get(GATE_ENV, "")
        deadline = time.monotonic() + 60
        while gate and Path(gate).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        yield from super().rostersync_fetch_people(session, context)


def make_host() -> PluginHost:
    host = PluginHost(load_entry_points=False)
    host.register_connector(GatedConnector(generate_district(students=STUDENTS, seed=SEED)))
    return host
