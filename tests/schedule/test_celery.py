"""Daily syncs on real Celery workers (subprocesses) with a real Redis broker and the state
database on PostgreSQL: the dispatcher enqueues every due school, each runs exactly once,
and two enqueues of one school make one sync and one clear "already running".

Redis at 127.0.0.1:6379: when it is unreachable these tests fail if ``CI`` is set and are
skipped otherwise. Each session uses its own queue (and a Redis database number of its own
choosing), so parallel runs do not see each other's tasks.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rostersync_core.districts import District, generate_district
from rostersync_core.events import JobState
from rostersync_core.platform.reference import ReferencePlatform
from rostersync_core.schedule import (
    RunOutcome,
    ScheduledRun,
    enable_schedule,
    get_schedule,
    list_scheduled_runs,
)
from rostersync_core.store import StateStore
from rostersync_core.sync import list_jobs
from tests.conftest import _require_pg, create_pg_database, drop_pg_database
from tests.schedule.conftest import set_up_school
from tests.schedule.schedule_worker_host import GATE_ENV, SEED, STUDENTS

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

HERE = Path(__file__).resolve().parent
REDIS = "127.0.0.1", 6379
WAIT = 60.0


def _require_redis() -> None:
    import redis

    try:
        redis.Redis(*REDIS, socket_connect_timeout=2).ping()
    except Exception as exc:  # any failure to connect means "not reachable"
        message = f"Redis not reachable at {REDIS[0]}:{REDIS[1]}: {type(exc).__name__}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _forget_queue(broker: str, queue: str) -> None:
    """Remove what this session's queue left in Redis."""
    import redis

    client = redis.Redis.from_url(broker)
    try:
        keys = list(client.scan_iter(match=f"*{queue}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


class Workers:
    """Celery worker subprocesses on one private queue; always stopped at teardown."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp = tmp
        self.env = env
        self.procs: list[tuple[subprocess.Popen[bytes], Path]] = []
        self.app: Any = None

    def start(self, count: int) -> None:
        for n in range(count):
            log = self.tmp / f"worker-{n}.log"
            name = f"w{n}-{secrets.token_hex(3)}@%h"
            with log.open("wb") as output:  # the child keeps its own copy of the handle
                proc = subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", "rostersync_core.workers.app",
                     "worker", "--pool=solo", "-Q", self.env["ROSTERSYNC_CELERY_QUEUE"],
                     "-n", name, "--without-gossip", "--without-mingle", "--without-heartbeat",
                     "-l", "info"],
                    env=self.env, stdout=output, stderr=subprocess.STDOUT,
                )
            self.procs.append((proc, log))

    def logs(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for _, log in self.procs)

    def stop(self) -> None:
        for proc, _ in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc, _ in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture(scope="module")
def celery_setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A PostgreSQL state database, a private queue and two workers, for this module."""
    _require_redis()
    _require_pg()
    from cryptography.fernet import Fernet

    tmp = tmp_path_factory.mktemp("celery")
    db_url = create_pg_database()
    queue = f"rostersync-test-{os.getpid()}-{secrets.token_hex(4)}"
    broker = f"redis://{REDIS[0]}:{REDIS[1]}/{1 + os.getpid() % 15}"
    env = {
        **os.environ,
        "ROSTERSYNC_DB": db_url,
        "ROSTERSYNC_SECRET_KEY": Fernet.generate_key().decode(),
        "ROSTERSYNC_HOME": str(tmp / "home"),
        "ROSTERSYNC_CELERY_BROKER": broker,
        "ROSTERSYNC_CELERY_QUEUE": queue,
        "ROSTERSYNC_HOST_FACTORY": "schedule_worker_host:make_host",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
        GATE_ENV: str(tmp / "gate"),
    }
    env.pop("ROSTERSYNC_SMTP_URL", None)
    workers = Workers(tmp, env)
    saved = {k: os.environ.get(k) for k in ("ROSTERSYNC_SECRET_KEY", "ROSTERSYNC_HOME")}
    os.environ["ROSTERSYNC_SECRET_KEY"] = env["ROSTERSYNC_SECRET_KEY"]
    os.environ["ROSTERSYNC_HOME"] = env["ROSTERSYNC_HOME"]
    store = StateStore.open(db_url)
    try:
        from rostersync_core.workers.app import create_app

        app = create_app(broker, queue=queue)
        workers.start(2)
        yield {"store": store, "app": app, "workers": workers, "gate": tmp / "gate",
               "queue": queue}
    finally:
        workers.stop()
        store.close()
        drop_pg_database(db_url)
        _forget_queue(broker, queue)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def district() -> District:
    return generate_district(students=STUDENTS, seed=SEED)


def wait_for(what: Callable[[], bool], workers: Workers, reason: str) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if what():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {reason}\n{workers.logs()}")


def finished(store: StateStore, school: str) -> list[ScheduledRun]:
    return [r for r in list_scheduled_runs(store, school) if r.finished_at is not None]


def add_school(store: StateStore, district: District, school: str) -> None:
    platform = ReferencePlatform(store.engine)
    set_up_school(store, platform, district, school)


def test_the_dispatcher_runs_every_due_school_exactly_once(
    celery_setup: dict[str, Any], district: District
) -> None:
    store, app, workers = celery_setup["store"], celery_setup["app"], celery_setup["workers"]
    due_schools = ["ash", "birch", "cedar"]
    now = dt.datetime.now(dt.UTC)
    for school in [*due_schools, "later"]:
        add_school(store, district, school)
    for school in due_schools:  # enabled three days ago: due since, missed runs included
        enable_schedule(store, school, at="00:00", timezone="UTC",
                        now=now - dt.timedelta(days=3))
    enable_schedule(store, "later", at="00:00", timezone="UTC", now=now)  # due tomorrow

    # Two dispatcher ticks (as if two beats ran): still one run per due school.
    app.send_task("rostersync.dispatch_due", queue=celery_setup["queue"])
    app.send_task("rostersync.dispatch_due", queue=celery_setup["queue"])

    wait_for(lambda: all(finished(store, s) for s in due_schools), workers,
             "the due schools to run")
    time.sleep(0.5)  # a second run, if one were wrongly enqueued, would have started
    for school in due_schools:
        runs = list_scheduled_runs(store, school)
        assert [r.outcome for r in runs] == [RunOutcome.PENDING_REVIEW], workers.logs()
        jobs = list_jobs(store, school)
        assert [(j.state, j.trigger) for j in jobs] == [(JobState.PENDING_REVIEW, "schedule")]
        schedule = get_schedule(store, school)
        assert schedule is not None and schedule.next_run_at is not None
        assert schedule.next_run_at > now
    assert list_scheduled_runs(store, "later") == []
    assert list_jobs(store, "later") == []


def test_two_enqueues_of_one_school_make_one_sync_and_one_already_running(
    celery_setup: dict[str, Any], district: District
) -> None:
    store, app, workers = celery_setup["store"], celery_setup["app"], celery_setup["workers"]
    gate: Path = celery_setup["gate"]
    add_school(store, district, "oak")
    gate.touch()  # the first sync to take the lock waits inside it until the gate opens
    try:
        for _ in range(2):
            app.send_task("rostersync.run_school", args=("oak",), queue=celery_setup["queue"])
        wait_for(lambda: bool(finished(store, "oak")), workers, "one of the two runs to end")
    finally:
        gate.unlink(missing_ok=True)
    wait_for(lambda: len(finished(store, "oak")) == 2, workers, "both runs to end")

    runs = {r.outcome: r for r in list_scheduled_runs(store, "oak")}
    assert set(runs) == {RunOutcome.PENDING_REVIEW, RunOutcome.ALREADY_RUNNING}, workers.logs()
    jobs = list_jobs(store, "oak")
    assert len(jobs) == 1
    refused = runs[RunOutcome.ALREADY_RUNNING]
    assert refused.message.startswith(f"a sync is already running for oak (job {jobs[0].id},")
    assert refused.runner != runs[RunOutcome.PENDING_REVIEW].runner  # two workers raced
