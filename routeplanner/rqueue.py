"""Solves on several machines: RQ jobs on Redis, run by ``routeplanner worker`` processes.

With ``ROUTEPLANNER_REDIS_URL`` set, a solve is still a job row in the
database (:mod:`routeplanner.jobs`: its status, progress, cancel and plan live
there, so pages and the API see no difference), and it is also put on the RQ
queue :data:`QUEUE`.  Any number of ``routeplanner worker`` processes, on any
machines that share Redis and the database, take jobs from that queue.  RQ
runs each in a forked work horse; the horse claims the job row (a job
cancelled while queued, or claimed elsewhere, is skipped), solves it in a
spawned child as the embedded runner does (:meth:`routeplanner.jobs.Runner.run_one`:
heartbeat, cancel, a child that dies) and returns when the row is finished.

Redis carries only the job's id: the database address and its password stay
in each worker's own settings.  Without ``ROUTEPLANNER_REDIS_URL`` nothing here
runs and the web service solves in its own worker process, as before.
"""

from __future__ import annotations

import logging
from typing import Callable

from redis import Redis
from rq import Queue, Worker

from routeplanner import limits, store
from routeplanner.config import Settings

log = logging.getLogger(__name__)

#: The RQ queue of solves.
QUEUE = "routeplanner-solves"
#: RQ's own time limit of a job: the longest solve allowed, and time to store its plan.
JOB_TIMEOUT_S = int(limits.MAX_TIME_LIMIT_S) + 600


def connect(redis_url: str) -> Redis:
    return Redis.from_url(redis_url)


def enqueue(redis_url: str, job_id: int) -> str:
    """Put job ``job_id`` (a queued job row) on the RQ queue; returns the RQ job id."""
    with connect(redis_url) as redis:
        queue = Queue(QUEUE, connection=redis)
        job = queue.enqueue(solve_job, job_id, job_id=f"routeplanner-solve-{job_id}", job_timeout=JOB_TIMEOUT_S,
                            result_ttl=3600, failure_ttl=7 * 24 * 3600)
        return job.id


def dispatcher(redis_url: str | None) -> Callable[[int], None] | None:
    """What queues a job row for the workers: RQ with a Redis URL; None (the embedded runner
    finds queued rows itself) without."""
    if not redis_url:
        return None

    def dispatch(job_id: int) -> None:
        enqueue(redis_url, job_id)

    return dispatch


def solve_job(job_id: int) -> str | None:
    """The RQ job: solve job row ``job_id`` of the worker's database to its end (its final status,
    or None when it was no longer queued)."""
    from routeplanner.jobs import Runner

    url = Settings.from_env().database(create_folder=True)
    engine, sessions = store.open_sessions(url)
    try:
        return Runner(url, sessions, 1).run_one(job_id)
    finally:
        engine.dispose()


def work(redis_url: str, *, burst: bool = False, name: str | None = None) -> None:
    """An RQ worker on the solve queue, in the foreground (``routeplanner worker`` with Redis).

    ``burst``: return when the queue is empty (tests).  Ctrl-C or SIGTERM: RQ's warm shutdown
    lets the running solve finish; a second Ctrl-C ends it (its job row is then failed by the
    heartbeat sweep, as with the embedded runner)."""
    with connect(redis_url) as redis:
        worker = Worker([Queue(QUEUE, connection=redis)], connection=redis, name=name)
        worker.work(burst=burst, with_scheduler=False, logging_level="INFO")
