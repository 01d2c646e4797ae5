"""Background solves: real runner threads, real spawned worker processes, real OR-Tools.

Every solve has a time limit of one to two seconds, except the ones that
are cancelled or killed on purpose (60 s limits that never run out).  Where
the checker must accept the plan, a work limit bounds the search too, so the
plan does not depend on how busy the machine is.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from routeplanner import jobs
from routeplanner.checker import check_plan
from routeplanner.errors import InputError
from routeplanner.io.jsonform import scenario_from_dict
from routeplanner.io.planjson import plan_from_dict
from routeplanner.model import SolveProgress, parse_hhmm
from routeplanner.store import JobRow, PlanRow, ScenarioRow, utcnow
from routeplanner.web import db
from routeplanner.web import jobs as web_jobs

SAMPLE_ID = 1
ROOT = Path(__file__).resolve().parents[2]
BRIEF_KEYS = {"id", "scenario_id", "status", "phase", "elapsed_s", "time_limit_s", "best_cost", "message", "plan_id",
              "created_at", "started_at", "finished_at"}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purposes
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def plan_count(app) -> int:
    with db.new_session(app) as s:
        return s.scalar(select(func.count()).select_from(PlanRow))


def scenario_document(client) -> dict:
    return client.get(f"/api/scenarios/{SAMPLE_ID}").get_json()


# --- the interface -----------------------------------------------------------------------


@pytest.mark.both_databases
def test_submit_validates_and_job_status_has_the_promised_keys(app):
    with db.new_session(app) as s:
        job = jobs.submit(s, SAMPLE_ID, time_limit_s=2, label="  spaced  ")
        status = web_jobs.job_status(job)
        assert BRIEF_KEYS <= set(status)
        assert json.loads(json.dumps(status)) == status
        assert (status["status"], status["time_limit_s"], status["label"]) == ("queued", 2.0, "spaced")
        assert job.params == {"time_limit_s": 2.0, "work_limit": None, "label": "spaced"}
        with pytest.raises(InputError) as err:
            jobs.submit(s, SAMPLE_ID, time_limit_s=0, work_limit=-1)
        assert [p.column for p in err.value.problems] == ["time_limit_s", "work_limit"]
        with pytest.raises(jobs.JobNotFound):
            jobs.submit(s, 999)
        with pytest.raises(jobs.JobNotFound):
            jobs.request_cancel(s, 999)
        # a finished job is left as it is
        done = JobRow(scenario_id=SAMPLE_ID, status=jobs.DONE, params={})
        s.add(done)
        s.commit()
        assert jobs.request_cancel(s, done.id).status == jobs.DONE


@pytest.mark.both_databases
def test_a_solve_runs_in_a_child_and_stores_a_checked_plan(app, client, live_runner, wait_job, validate_plan):
    # the work limit makes the plan independent of how busy the machine is
    body = {"time_limit_s": 2, "work_limit": 50, "label": "first"}
    job = client.post(f"/api/scenarios/{SAMPLE_ID}/solve", json=body).get_json()
    status = wait_job(client, job["id"], until=lambda st: st["status"] != "queued", timeout=20)
    pid = live_runner.pids().get(job["id"])
    assert pid is None or pid != os.getpid()  # (None: already finished)
    status = wait_job(client, job["id"], timeout=60)
    assert status["status"] == "done", status
    assert (status["progress"], status["phase"], status["message"]) == (1.0, "done", "")
    assert status["started_at"] and status["finished_at"] and status["best_cost"] is not None
    # the finished solve's figures are its plan's, in a librarian's terms
    with db.new_session(app) as s:
        plan = s.get(PlanRow, status["plan_id"]).plan
    duty = sum(parse_hhmm(r["end"]) - parse_hhmm(r["start"]) for r in plan["routes"] if r["visits"])
    assert (status["stops_served"], status["stops_total"], status["duty_minutes"]) == (
        plan["totals"]["stops_served"], plan["totals"]["stops_total"], duty)
    assert status["distance_km"] == pytest.approx(plan["totals"]["distance_km"], abs=0.05)
    assert status["runs"] == 3 and status["run"] == 3
    assert status["best_text"].startswith(f"{status['stops_served']} of {status['stops_total']} stops, ")
    assert status["best_text"].endswith(" on duty · run 3 of 3")

    with db.new_session(app) as s:
        row = s.get(PlanRow, status["plan_id"])
        assert row.label == "first"
        assert row.params == {"time_limit_s": 2.0, "work_limit": 50, "label": "first", "job_id": job["id"]}
        assert row.plan["solver"]["work_limit"] == 50
        assert row.solver_version == row.plan["solver"]["solver"] and "OR-Tools" in row.solver_version
        assert row.run_time_s > 0
        totals = row.plan["totals"]
        assert (row.distance_km, row.stops_served, row.stops_total, row.loans_served, row.loans_total) == (
            pytest.approx(totals["distance_km"], abs=1e-3), totals["stops_served"], totals["stops_total"],
            pytest.approx(totals["loans_served"]), pytest.approx(totals["loans_total"]))
        assert validate_plan(row.plan) == []
        scenario = scenario_from_dict(row.scenario_snapshot)
        assert scenario == dataclasses.replace(s.get(ScenarioRow, SAMPLE_ID).to_model(), source="")
        report = check_plan(scenario, plan_from_dict(row.plan))
        assert report.ok, [str(v) for v in report.violations]
    assert wait_for(lambda: not live_runner.pids(), 30, "the runner to let the child go")


@pytest.mark.both_databases
def test_progress_moves_and_a_long_solve_cancels(app, client, live_runner, wait_job):
    job = client.post(f"/api/scenarios/{SAMPLE_ID}/solve", json={"time_limit_s": 60}).get_json()
    seen = []

    def moving(status):
        seen.append(status)
        running = [st for st in seen if st["status"] == "running"]
        return len({st["elapsed_s"] for st in running}) >= 4 and any(st["stops_served"] is not None for st in running)

    wait_job(client, job["id"], until=moving, timeout=30)
    running = [st for st in seen if st["status"] == "running"]
    elapsed = [st["elapsed_s"] for st in running]
    assert elapsed == sorted(elapsed)
    assert {"patterns", "timetable"} & {st["phase"] for st in running}
    assert all(0 <= st["progress"] < 1 for st in running)
    assert running[-1]["progress"] > 0
    # while it runs: the best plan so far in a librarian's terms, and which run of how many
    figures = [st for st in running if st["stops_served"] is not None]
    assert all(0 < st["stops_served"] <= st["stops_total"] and st["distance_km"] > 0 and st["duty_minutes"] > 0
               and 1 <= st["run"] <= st["runs"] == 3 for st in figures)
    assert "stops, " in figures[-1]["best_text"] and "on duty" in figures[-1]["best_text"]

    pid = live_runner.pids()[job["id"]]
    asked = time.monotonic()
    response = client.post(f"/api/jobs/{job['id']}/cancel")
    assert response.status_code == 200 and response.get_json()["cancel_requested"]
    status = wait_job(client, job["id"], timeout=10)
    assert status["status"] == "cancelled", status
    assert time.monotonic() - asked < 5
    assert status["plan_id"] is None and status["finished_at"]
    wait_for(lambda: not alive(pid), 30, "the child to end")
    assert plan_count(app) == 0


@pytest.mark.both_databases
def test_a_killed_child_fails_its_job_and_the_runner_goes_on(app, client, live_runner, wait_job):
    before = scenario_document(client)
    job = client.post(f"/api/scenarios/{SAMPLE_ID}/solve", json={"time_limit_s": 60}).get_json()
    wait_job(client, job["id"], until=lambda st: st["status"] == "running" and st["phase"] != "starting", timeout=20)
    os.kill(live_runner.pids()[job["id"]], signal.SIGKILL)
    status = wait_job(client, job["id"], timeout=10)
    assert status["status"] == "failed"
    assert status["message"] == jobs.MSG_CHILD_DIED and "scenario is intact" in status["message"]
    assert "Traceback" not in status["message"]
    assert scenario_document(client) == before
    assert plan_count(app) == 0
    # the next solve runs as usual
    again = client.post(f"/api/scenarios/{SAMPLE_ID}/solve", json={"time_limit_s": 1}).get_json()
    assert wait_job(client, again["id"])["status"] == "done"


@pytest.mark.both_databases
def test_deleting_a_scenario_ends_its_solve(app, client, live_runner, wait_job):
    copy = client.post(f"/api/scenarios/{SAMPLE_ID}/copy").get_json()
    job = client.post(f"/api/scenarios/{copy['id']}/solve", json={"time_limit_s": 60}).get_json()
    wait_job(client, job["id"], until=lambda st: st["status"] == "running")
    pid = wait_for(lambda: live_runner.pids().get(job["id"]), 5, "the child")
    assert client.delete(f"/api/scenarios/{copy['id']}").status_code == 204
    wait_for(lambda: not alive(pid), 30, "the child to end")
    assert client.get(f"/api/jobs/{job['id']}").status_code == 404
    assert plan_count(app) == 0


def test_a_scenario_that_cannot_be_planned_fails_with_a_readable_message(app, client, live_runner, wait_job):
    with db.new_session(app) as s:  # stored by some other means than the API, which refuses it
        row = s.get(ScenarioRow, SAMPLE_ID)
        row.settings = {**row.settings, "travel": {**row.settings["travel"], "method": "teleport"}}
        s.commit()
    job = client.post(f"/api/scenarios/{SAMPLE_ID}/solve", json={"time_limit_s": 1}).get_json()
    status = wait_job(client, job["id"])
    assert status["status"] == "failed"
    assert status["message"].startswith("the scenario cannot be planned") and "travel.method" in status["message"]


# --- several servers, restarts -----------------------------------------------------------------


@pytest.mark.both_databases
def test_two_runners_on_one_database_never_run_a_job_twice(app, make_app, client):
    other = make_app()  # a second web process on the same database
    with db.new_session(app) as s:
        ids = [jobs.submit(s, SAMPLE_ID, time_limit_s=1).id for _ in range(3)]
    web_jobs.start_runner(app)
    web_jobs.start_runner(other)
    with db.new_session(app) as s:
        wait_for(lambda: s.scalar(select(func.count()).select_from(JobRow).where(JobRow.status == jobs.DONE)) == 3,
                 120, "three jobs done")
        rows = s.scalars(select(JobRow).where(JobRow.id.in_(ids))).all()
        assert [j.attempts for j in rows] == [1, 1, 1]
        assert len({j.plan_id for j in rows}) == 3
    assert plan_count(app) == 3


@pytest.mark.both_databases
def test_restart_fails_jobs_of_a_vanished_server_and_spares_live_ones(app, make_app, client):
    with db.new_session(app) as s:
        lost = JobRow(scenario_id=SAMPLE_ID, status=jobs.RUNNING, params={"time_limit_s": 30},
                      started_at=utcnow() - timedelta(hours=1), heartbeat_at=utcnow() - timedelta(minutes=59))
        live = JobRow(scenario_id=SAMPLE_ID, status=jobs.RUNNING, params={"time_limit_s": 30},
                      started_at=utcnow(), heartbeat_at=utcnow())
        s.add_all([lost, live])
        s.commit()
        lost_id, live_id = lost.id, live.id
    before = scenario_document(client)

    restarted = make_app(JOB_STALE_S=20)  # init_app recovers at start
    c2 = restarted.test_client()
    lost_status = c2.get(f"/api/jobs/{lost_id}").get_json()
    assert lost_status["status"] == "failed"
    assert lost_status["message"] == jobs.MSG_SERVER_STOPPED
    assert c2.get(f"/api/jobs/{live_id}").get_json()["status"] == "running"  # another server's heartbeat is fresh
    assert scenario_document(c2) == before

    # nobody beats for that one any more: a running runner's sweep fails it soon
    quick = make_app(JOB_STALE_S=0.5, START_RUNNER=True)
    assert wait_for(lambda: quick.test_client().get(f"/api/jobs/{live_id}").get_json()["status"] == "failed",
                    10, "the sweep")


SERVER = textwrap.dedent(
    """
    import sys, time
    from routeplanner.web import create_app
    if __name__ == "__main__":
        app = create_app({"DATABASE_URL": sys.argv[1], "START_RUNNER": True, "JOB_POLL_S": 0.1})
        client = app.test_client()
        job = client.post("/api/scenarios/1/solve", json={"time_limit_s": 60}).get_json()
        runner = app.extensions["routeplanner.runner"]
        while job["id"] not in runner.pids():
            time.sleep(0.05)
        print(runner.pids()[job["id"]], job["id"], flush=True)
        time.sleep(120)
    """
)


@pytest.mark.both_databases
def test_a_server_killed_mid_solve_takes_its_solve_along_and_the_next_start_fails_the_job(
    tmp_path, db_url, make_app
):
    url = db_url  # empty: the server loads the sample
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    server = subprocess.Popen([sys.executable, str(script), url], stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        child_pid, job_id = map(int, server.stdout.readline().split())
        assert alive(child_pid)
        os.kill(server.pid, signal.SIGKILL)  # no clean-up at all
        server.wait(10)
        wait_for(lambda: not alive(child_pid), 30, "the orphaned solve to end with its server")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)
    restarted = make_app(JOB_STALE_S=1, START_RUNNER=True)
    client = restarted.test_client()
    status = wait_for(lambda: (st := client.get(f"/api/jobs/{job_id}").get_json())["status"] == "failed" and st,
                      10, "recovery")
    assert status["message"] == jobs.MSG_SERVER_STOPPED
    assert len(client.get("/api/scenarios/1").get_json()["stops"]) == 53
    assert client.get("/api/scenarios/1/plans").get_json() == {"plans": []}


@pytest.mark.both_databases
def test_stopping_the_runner_fails_its_running_jobs(app, client, wait_job):
    runner = web_jobs.start_runner(app)
    job = client.post(f"/api/scenarios/{SAMPLE_ID}/solve", json={"time_limit_s": 60}).get_json()
    pid = wait_for(lambda: runner.pids().get(job["id"]), 10, "the child")
    web_jobs.stop_runner(app)  # what `routeplanner serve` does on Ctrl-C / SIGTERM
    assert not alive(pid)
    status = client.get(f"/api/jobs/{job['id']}").get_json()
    assert (status["status"], status["message"]) == ("failed", jobs.MSG_SERVER_STOPPED)


# --- OR-Tools stays out of the web process --------------------------------------------------------


WEB_ONLY = textwrap.dedent(
    """
    import json, sys, time
    from routeplanner.web import create_app
    if __name__ == "__main__":
        app = create_app({"DATABASE_URL": sys.argv[1], "START_RUNNER": True, "SOLVE_WORKERS": 2, "JOB_POLL_S": 0.1})
        c = app.test_client()
        assert c.get("/api/scenarios").status_code == 200
        assert c.get("/api/openapi.json").status_code == 200
        copy = c.post("/api/scenarios/1/copy").get_json()
        limits = {"time_limit_s": 2, "work_limit": 50}  # the checker below must accept the plans
        ids = [c.post(f"/api/scenarios/{sid}/solve", json=limits).get_json()["id"] for sid in (1, copy["id"])]
        plans = []
        for jid in ids:
            while (st := c.get(f"/api/jobs/{jid}").get_json())["status"] in ("queued", "running"):
                time.sleep(0.1)
            assert st["status"] == "done", st
            plans.append(st["plan_id"])
        assert c.get(f"/api/plans/{plans[0]}").status_code == 200
        assert c.get(f"/api/plans/{plans[0]}/check").get_json()["ok"]
        assert c.get(f"/api/compare?plans={plans[0]},{plans[1]}").status_code == 200
        for url in ("/", f"/api/scenarios/1", f"/api/scenarios/1/plans"):
            c.get(url)
        print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "ortools" or m == "routeplanner.solver")))
    """
)


def test_the_web_process_never_imports_ortools(tmp_path):
    script = tmp_path / "web_only.py"
    script.write_text(WEB_ONLY)
    url = "sqlite:///" + str(tmp_path / "web.sqlite")
    out = subprocess.run([sys.executable, str(script), url], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


# --- the commands ---------------------------------------------------------------------------------


def _command(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "routeplanner"), *args]


def _http(url: str, body: dict | None = None) -> dict:
    import urllib.request

    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_routeplanner_serve_serves_solves_and_stops_cleanly(tmp_path):
    url = "sqlite:///" + str(tmp_path / "served.sqlite")
    env = {**os.environ, "ROUTEPLANNER_DATABASE_URL": url}
    server = subprocess.Popen(_command("serve", "--host", "127.0.0.1", "--port", "0"), env=env, cwd=tmp_path,
                              stderr=subprocess.PIPE, text=True)
    try:
        line = ""
        while "serving on" not in line:
            line = server.stderr.readline()
            assert line, "the server ended before serving"
        base = line.split("serving on ")[1].split()[0].rstrip("/")
        assert _http(base + "/api/scenarios")["scenarios"][0]["stops_count"] == 53
        quick = _http(base + "/api/scenarios/1/solve", {"time_limit_s": 1})
        wait_for(lambda: _http(f"{base}/api/jobs/{quick['id']}")["status"] == "done", 20, "the quick solve")
        long = _http(base + "/api/scenarios/1/solve", {"time_limit_s": 60})
        wait_for(lambda: _http(f"{base}/api/jobs/{long['id']}")["status"] == "running", 20, "the long solve")
        server.send_signal(signal.SIGTERM)
        assert server.wait(15) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)
    from routeplanner.web import create_app

    app = create_app({"DATABASE_URL": url, "START_RUNNER": False})
    try:
        with db.new_session(app) as s:
            job = s.get(JobRow, long["id"])
            assert (job.status, job.message) == (jobs.FAILED, jobs.MSG_SERVER_STOPPED)
            assert s.get(JobRow, quick["id"]).status == jobs.DONE
    finally:
        app.extensions["routeplanner.engine"].dispose()


@pytest.mark.both_databases
def test_routeplanner_worker_solves_what_the_web_queued_without_flask(app, client, wait_job, tmp_path):
    # PYTHONPROFILEIMPORTTIME: every module the worker and its solve processes import, on stderr.
    env = {**os.environ, "ROUTEPLANNER_DATABASE_URL": app.config["DATABASE_URL"], "PYTHONPROFILEIMPORTTIME": "1"}
    job = client.post(f"/api/scenarios/{SAMPLE_ID}/solve", json={"time_limit_s": 1}).get_json()
    log = tmp_path / "imports.txt"
    with log.open("w") as err:
        worker = subprocess.Popen(_command("worker"), env=env, stderr=err)
        try:
            assert wait_job(client, job["id"], timeout=30)["status"] == "done"
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(15) == 0
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait(10)
    imported = {line.rsplit("|", 1)[-1].strip() for line in log.read_text().splitlines() if line.startswith("import time:")}
    assert "routeplanner.jobs" in imported and "ortools" in imported  # the log is real
    assert not {m for m in imported if m.split(".")[0] in {"flask", "werkzeug", "routeplanner.web"}
                or m.startswith("routeplanner.web")}


def test_progress_figures_in_words(app):
    figures = {"stops_total": 53, **jobs.progress_figures(SolveProgress("patterns", 3.0, 10**9, 2, 3, 51, 612.84, 2300))}
    assert figures == {"stops_total": 53, "run": 2, "runs": 3, "stops_served": 51, "distance_km": 612.8,
                       "duty_minutes": 2300}
    with app.test_request_context():
        assert web_jobs.best_text(figures) == "51 of 53 stops, 612.8 km, 38 h 20 min on duty · run 2 of 3"
        assert web_jobs.best_text({**figures, "runs": 1, "run": 1}) == "51 of 53 stops, 612.8 km, 38 h 20 min on duty"
        # before the first complete plan: only the run
        assert web_jobs.best_text(jobs.progress_figures(SolveProgress("patterns", 0.5, 0, 1, 3))) == "run 1 of 3"
        assert web_jobs.best_text({}) == ""
