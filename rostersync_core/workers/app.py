"""The Celery application: ``celery -A rostersync_core.workers.app worker|beat``.

Configured from the environment:

- ``$ROSTERSYNC_CELERY_BROKER``: the broker URL (default ``redis://127.0.0.1:6379/0``);
- ``$ROSTERSYNC_CELERY_QUEUE``: the queue the tasks go to (default ``rostersync``);
- ``$ROSTERSYNC_DISPATCH_SECONDS``: how often beat runs the dispatcher (default 60);
- ``$ROSTERSYNC_DB`` (the state database, PostgreSQL for many machines),
  ``$ROSTERSYNC_SECRET_KEY``, ``$ROSTERSYNC_SMTP_URL``... as for the command line.

Tasks are acknowledged after they ran (``acks_late``) with one message per worker at a time,
so a long sync never sits on tasks another worker could run, and a task lost with its
worker is delivered again (the school's lock then refuses a second run of the same school).
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery

from rostersync_core.workers import tasks

__all__ = ["BROKER_ENV", "DISPATCH_SECONDS_ENV", "QUEUE_ENV", "app", "create_app"]

BROKER_ENV = "ROSTERSYNC_CELERY_BROKER"
QUEUE_ENV = "ROSTERSYNC_CELERY_QUEUE"
DISPATCH_SECONDS_ENV = "ROSTERSYNC_DISPATCH_SECONDS"
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
DEFAULT_QUEUE = "rostersync"


def create_app(
    broker: str | None = None, *, queue: str | None = None, dispatch_seconds: float | None = None
) -> Any:
    """A Celery app with the dispatcher and run-school tasks, and beat's schedule."""
    broker = broker or os.environ.get(BROKER_ENV) or DEFAULT_BROKER
    queue = queue or os.environ.get(QUEUE_ENV) or DEFAULT_QUEUE
    every = dispatch_seconds or float(os.environ.get(DISPATCH_SECONDS_ENV) or 60)
    celery = Celery("rostersync", broker=broker)
    celery.conf.update(
        task_default_queue=queue,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 6 * 3600},
        timezone="UTC",
        beat_schedule={
            "rostersync-dispatch-due": {
                "task": tasks.DISPATCH_TASK,
                "schedule": every,
                "options": {"queue": queue, "expires": every},
            }
        },
    )

    def run_school(school_id: str, due_at: str | None = None) -> dict[str, Any]:
        return tasks.run_school(school_id, due_at)

    run_task = celery.task(name=tasks.RUN_SCHOOL_TASK)(run_school)

    def enqueue(school_id: str, due_at: str) -> object:
        return run_task.apply_async((school_id, due_at), queue=queue)

    def dispatch_due(now: str | None = None) -> list[str]:
        return tasks.dispatch_due(enqueue, now=now)

    celery.task(name=tasks.DISPATCH_TASK)(dispatch_due)
    return celery


#: The app ``celery -A rostersync_core.workers.app`` finds.
app = create_app()
