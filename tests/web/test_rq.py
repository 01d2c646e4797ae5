"""Solves on RQ workers: a real redis-server, real ``routeplanner worker`` processes, PostgreSQL.

With ``REDIS_URL`` the web app runs no solve itself: it queues the job row for
RQ, and any number of ``routeplanner worker`` processes (here two, as on two
machines sharing Redis and the database) take jobs from the queue.  The plan
of a reproducible solve (a work limit) is the same as the embedded runner's,
cancel and progress work through the job row as they do without Redis.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from redis import Redis
from redisserver import RedisServer, RedisUnavailable
from rq import Worker
from rq.job import Job
from sqlalchemy import func, select

from routeplanner import jobs, rqueue
from routeplanner.store import JobRow, PlanRow
from routeplanner.web import db
from routeplanner.web import jobs as web_jobs

SAMPLE_ID = 1
REPRODUCIBLE = {"time_limit_s": 120, "work_limit": 60}


@pytest.fixture(scope="session")
def redis_server():
    try:
        server = RedisServer().start()
    except RedisUnavailable as exc:
        pytest.fail(f"Redis is needed for the RQ tests and could not be started: {exc}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    redis_server.flush()
    return redis_server.url


@pytest.fixture
def rq_workers(app, redis_url):
    """Start ``n`` ``routeplanner worker`` processes on the app's database and Redis; ended afterwards."""
    started: list[subprocess.Popen] = []
    env = {**os.environ, "ROUTEPLANNER_DATABASE_URL": app.config["DATABASE_URL"], "ROUTEPLANNER_REDIS_URL": redis_url}

    def start(n: int) -> list[subprocess.Popen]:
        for _ in range(n):
            started.append(subprocess.Popen([sys.executable, "-m", "routeplanner", "worker"], env=env,
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with Redis.from_url(redis_url) as r:
            deadline = time.monotonic() + 60
            while len(Worker.all(connection=r)) < len(started):  # listening on the queue
                assert time.monotonic() < deadline, "the RQ workers did not start"
                assert all(p.poll() is None for p in started), "an RQ worker ended at start"
                time.sleep(0.1)
        return started

    yield start
    for proc in started:
        proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGINT)  # RQ: the second one ends a running job at once
    for proc in started:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _visits(app, plan_id: int) -> list[tuple]:
    with db.new_session(app) as s:
        plan = s.get(PlanRow, plan_id).plan
    return [(r["week"], r["day"], r["vehicle"], [(v["stop_id"], v["arrival"]) for v in r["visits"]])
            for r in plan["routes"]]


@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
def test_two_rq_workers_plan_what_the_embedded_runner_plans(app, make_app, client, wait_job, redis_url, rq_workers):
    # The embedded default: the app's own runner solves in a child process.
    runner = web_jobs.start_runner(app)
    try:
        embedded = client.post(f"/api/scenarios/{SAMPLE_ID}/solve", json=REPRODUCIBLE).get_json()
        embedded = wait_job(client, embedded["id"], timeout=300)
    finally:
        web_jobs.stop_runner(app)
    assert embedded["status"] == "done", embedded
    assert not runner.running

    # The same database behind a web app with Redis: two jobs, two workers.
    rq_app = make_app(REDIS_URL=redis_url, START_RUNNER=True)
    assert web_jobs.get_runner(rq_app) is None  # with Redis no solve runs in the web process
    rq_client = rq_app.test_client()
    rq_workers(2)
    queued = [rq_client.post(f"/api/scenarios/{SAMPLE_ID}/solve", json=REPRODUCIBLE).get_json() for _ in range(2)]
    seen = []
    done = [wait_job(rq_client, j["id"], until=lambda st: seen.append(st) or st["status"] in jobs.FINISHED,
                     timeout=300) for j in queued]
    assert [d["status"] for d in done] == ["done", "done"], done
    assert any(st["status"] == "running" and st["phase"] for st in seen)  # progress through the job row
    expected = _visits(app, embedded["plan_id"])
    assert expected and all(_visits(app, d["plan_id"]) == expected for d in done)
    with Redis.from_url(redis_url) as r:
        ran = [Job.fetch(f"routeplanner-solve-{j['id']}", connection=r) for j in queued]
        deadline = time.monotonic() + 30  # the task returns a moment after its job row is done
        while [job.get_status(refresh=True) for job in ran] != ["finished", "finished"]:
            assert time.monotonic() < deadline, [job.get_status() for job in ran]
            time.sleep(0.1)
        assert [job.return_value() for job in ran] == ["done", "done"]
        assert len({job.worker_name for job in ran}) == 2  # one job on each worker


@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
def test_a_solve_on_an_rq_worker_cancels_and_the_worker_goes_on(app, make_app, wait_job, redis_url, rq_workers):
    rq_app = make_app(REDIS_URL=redis_url, START_RUNNER=True)
    client = rq_app.test_client()
    rq_workers(1)
    long = client.post(f"/api/scenarios/{SAMPLE_ID}/solve", json={"time_limit_s": 300}).get_json()
    wait_job(client, long["id"], until=lambda st: st["status"] == "running" and st["stops_served"] is not None,
             timeout=120)
    asked = time.monotonic()
    assert client.post(f"/api/jobs/{long['id']}/cancel").status_code == 200
    status = wait_job(client, long["id"], timeout=30)
    assert status["status"] == "cancelled" and status["plan_id"] is None, status
    assert time.monotonic() - asked < 30
    # the one worker is free again: the next job runs to its plan
    short = client.post(f"/api/scenarios/{SAMPLE_ID}/solve", json={"time_limit_s": 2, "work_limit": 20}).get_json()
    assert wait_job(client, short["id"], timeout=120)["status"] == "done"
    with db.new_session(rq_app) as s:
        assert s.scalar(select(func.count()).select_from(PlanRow)) == 1  # the short job's only


def test_a_queue_that_cannot_be_reached_fails_the_job_with_the_reason(make_app, tmp_path):
    rq_app = make_app(REDIS_URL=f"unix://{tmp_path}/no-such.sock", START_RUNNER=True)
    client = rq_app.test_client()
    response = client.post(f"/api/scenarios/{SAMPLE_ID}/solve", json={"time_limit_s": 2})
    assert response.status_code == 202
    status = response.get_json()
    assert status["status"] == "failed" and "Redis" in status["message"], status
    with db.new_session(rq_app) as s:
        assert s.get(JobRow, status["id"]).status == jobs.FAILED


def test_a_job_no_longer_queued_is_skipped_by_the_rq_task(app, client, monkeypatch):
    # Cancelled while it waited in Redis: the worker's task finds it finished and runs nothing.
    job = client.post(f"/api/scenarios/{SAMPLE_ID}/solve", json={"time_limit_s": 2}).get_json()
    client.post(f"/api/jobs/{job['id']}/cancel")
    monkeypatch.setenv("ROUTEPLANNER_DATABASE_URL", app.config["DATABASE_URL"])
    assert rqueue.solve_job(job["id"]) is None
    with db.new_session(app) as s:
        assert s.get(JobRow, job["id"]).status == jobs.CANCELLED
