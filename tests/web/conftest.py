"""Fixtures of the web tests (flaskr style), shared by the API, jobs and pages tests.

* ``app``: the app on a fresh database (``db_url``), the Rokiškis sample
  loaded (scenario id 1), the solve runner NOT started;
* ``db_url``: that database: a SQLite file in ``tmp_path``; for tests marked
  ``@pytest.mark.both_databases`` also a new database on a throwaway
  PostgreSQL server (``tests/pgserver.py``, one per test process), so those
  tests run twice, ``[sqlite]`` and ``[postgresql]``.  When PostgreSQL cannot
  be started, the ``[postgresql]`` tests fail and say why; they never skip.
  ``ROUTEPLANNER_TEST_DATABASE=postgresql`` runs every web test on PostgreSQL.
* ``client``: its test client (:class:`FormClient`: page forms carry a valid
  CSRF token, as the browser's do); ``runner``: its CLI runner (flaskr's name);
* ``live_runner``: starts the real solve runner for ``app`` (spawned worker
  processes, real OR-Tools) and stops it afterwards; use with ``wait_job``;
* ``wait_job(client, job_id, until=..., timeout=...)``: poll ``/api/jobs/<id>``.

* ``make_app(**config)``: another app on the same database as ``app`` (a
  second web process, a restarted server), closed afterwards.
* ``postgres_server``: the throwaway PostgreSQL server of this test process.

The sample scenario is id 1 in a fresh database.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any, Callable

import pytest
from flask.testing import FlaskClient
from pgserver import EXTERNAL_URL_VARIABLE, PostgresServer, PostgresUnavailable

from routeplanner import jobs
from routeplanner.web import create_app
from routeplanner.web import jobs as web_jobs

DATABASES = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc):
    if metafunc.definition.get_closest_marker("both_databases") and "db_backend" in metafunc.fixturenames:
        metafunc.parametrize("db_backend", DATABASES, indirect=True)


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server for this test process (xdist: one per worker), stopped at the end."""
    try:
        server = PostgresServer(os.environ.get(EXTERNAL_URL_VARIABLE) or None).start()
    except PostgresUnavailable as exc:
        pytest.fail(f"PostgreSQL is needed for the [postgresql] tests and could not be started: {exc}",
                    pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def db_backend(request) -> str:
    """The parameter of a ``both_databases`` test; else ``sqlite``, or what
    ``ROUTEPLANNER_TEST_DATABASE`` says (``postgresql``: the whole web suite on PostgreSQL)."""
    default = os.environ.get("ROUTEPLANNER_TEST_DATABASE") or "sqlite"
    if default not in DATABASES:
        pytest.fail(f"ROUTEPLANNER_TEST_DATABASE={default!r}: expected one of {', '.join(DATABASES)}", pytrace=False)
    return getattr(request, "param", default)


@pytest.fixture
def db_url(request, db_backend, tmp_path):
    """A fresh, empty database of ``db_backend``: its SQLAlchemy URL."""
    if db_backend == "sqlite":
        yield "sqlite:///" + str(tmp_path / "routeplanner-test.sqlite")
        return
    server = request.getfixturevalue("postgres_server")
    name = server.create_database()
    yield server.url(name)
    server.drop_database(name)


class FormClient(FlaskClient):
    """A test client that sends page forms as the browser does: with the session's CSRF token.

    The tests of the pages post their forms as a coordinator's browser
    would, so they keep CSRF protection on (``WTF_CSRF_ENABLED`` stays True,
    the app under test is the app that is served) and this client adds the
    hidden ``csrf_token`` field the form would carry, taken from a page of
    this client's own session.  A page request (not ``/api``) that changes
    something and sends form fields, or nothing, gets it; raw bodies, JSON
    and requests that already name a ``csrf_token`` are sent as they are.
    The refusals are tested in ``test_security.py`` with a plain
    ``FlaskClient``.
    """

    _token: str | None = None

    def csrf_token(self) -> str:
        """The token of this client's session, as the new-scenario page shows it ("" when it has none)."""
        if self._token is None:
            page = super().open("/scenarios/new").get_data(as_text=True)
            match = re.search(r'name="csrf_token" value="([^"]+)"', page)
            self._token = match.group(1) if match else ""
        return self._token

    def open(self, *args: Any, **kwargs: Any):
        path = args[0] if args and isinstance(args[0], str) else kwargs.get("path")
        method = (kwargs.get("method") or "GET").upper()
        data = kwargs.get("data")
        if (isinstance(path, str) and not path.startswith("/api") and method in ("POST", "PUT", "PATCH", "DELETE")
                and "json" not in kwargs and (data is None or isinstance(data, dict)) and "csrf_token" not in (data or {})):
            token = self.csrf_token()
            if token:
                kwargs["data"] = {**(data or {}), "csrf_token": token}
        return super().open(*args, **kwargs)


def _make_app(db_url: str, **config: Any):
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "DATABASE_URL": db_url,
        "LOAD_SAMPLE": True,
        "START_RUNNER": False,
        "SOLVE_WORKERS": 1,
        "JOB_POLL_S": 0.1,
    }
    settings.update(config)
    app = create_app(settings)
    app.test_client_class = FormClient
    return app


def _close_app(app) -> None:
    web_jobs.stop_runner(app)
    app.extensions["routeplanner.engine"].dispose()


@pytest.fixture
def app(db_url):
    app = _make_app(db_url)
    yield app
    _close_app(app)


@pytest.fixture
def make_app(db_url):
    """More apps on the database of ``app`` (``db_url``), closed afterwards."""
    made = []

    def make(**config: Any):
        made.append(_make_app(db_url, **config))
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
    r = web_jobs.start_runner(app)
    yield r
    web_jobs.stop_runner(app)


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
