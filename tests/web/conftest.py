"""Fixtures of the web tests (flaskr style), shared by the API, jobs and pages tests.

* ``app``: the app on a fresh SQLite file in ``tmp_path``, the Rokiškis sample
  loaded (scenario id 1), the solve runner NOT started;
* ``client``: its test client; ``runner``: its CLI runner (flaskr's name);
* ``live_runner``: starts the real solve runner for ``app`` (spawned worker
  processes, real OR-Tools) and stops it afterwards; use with ``wait_job``;
* ``wait_job(client, job_id, until=..., timeout=...)``: poll ``/api/jobs/<id>``.

* ``make_app(**config)``: another app on the same database as ``app`` (a
  second web process, a restarted server), closed afterwards.

The sample scenario is id 1 in a fresh database.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import pytest

from routeplanner.web import create_app, jobs

def _make_app(tmp_path: Path, **config: Any):
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "DATABASE_URL": "sqlite:///" + str(tmp_path / "routeplanner-test.sqlite"),
        "LOAD_SAMPLE": True,
        "START_RUNNER": False,
        "SOLVE_WORKERS": 1,
        "JOB_POLL_S": 0.1,
    }
    settings.update(config)
    return create_app(settings)


def _close_app(app) -> None:
    jobs.stop_runner(app)
    app.extensions["routeplanner.engine"].dispose()


@pytest.fixture
def app(tmp_path):
    app = _make_app(tmp_path)
    yield app
    _close_app(app)


@pytest.fixture
def make_app(tmp_path):
    """More apps on the database of ``app`` (same ``tmp_path``), closed afterwards."""
    made = []

    def make(**config: Any):
        made.append(_make_app(tmp_path, **config))
        return made[-1]

    yield make
    for other in made:
        _close_app(other)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def live_runner(app):
    """The app's real solve runner, started; stopped (children ended) afterwards."""
    r = jobs.start_runner(app)
    yield r
    jobs.stop_runner(app)


def _wait_job(client, job_id: int, until: Callable[[dict], bool] | None = None, timeout: float = 60.0) -> dict:
    """Poll the job until ``until(status)`` (default: finished); fail on timeout."""
    until = until or (lambda st: st["status"] in jobs.FINISHED)
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/api/jobs/{job_id}")
        assert response.status_code == 200, response.get_data(as_text=True)
        status = response.get_json()
        if until(status):
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {status} after {timeout} s")
        time.sleep(0.1)


@pytest.fixture
def wait_job():
    return _wait_job
