"""Run the daily syncs of many schools on Celery workers (``pip install rostersync-core[celery]``).

A periodic dispatcher task (``rostersync.dispatch_due``, run by ``celery beat``) claims
the schools due in the state database and enqueues one ``rostersync.run_school`` task per
school; workers run them. The database's per-school lock keeps one sync per school however
many workers there are. See ``docs/scheduling.md``::

    celery -A rostersync_core.workers.app worker -Q rostersync
    celery -A rostersync_core.workers.app beat
"""

from rostersync_core.workers.tasks import (
    DISPATCH_TASK,
    RUN_SCHOOL_TASK,
    dispatch_due,
    run_school,
)

__all__ = ["DISPATCH_TASK", "RUN_SCHOOL_TASK", "dispatch_due", "run_school"]
