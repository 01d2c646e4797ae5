"""Storage on both databases: what goes in comes out the same, on SQLite and on PostgreSQL.

Every test here runs twice, ``[sqlite]`` and ``[postgresql]`` (a throwaway
server, see tests/pgserver.py; its time zone is Europe/Vilnius, not UTC).
"""

from __future__ import annotations

import dataclasses
import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from routeplanner import jobs, store
from routeplanner.store import JobRow, PlanRow, ScenarioRow, StopRow, utcnow
from routeplanner.web import db
from routeplanner.web import jobs as web_jobs

pytestmark = pytest.mark.both_databases

SAMPLE_ID = 1
NAME_300 = ("Žiobiškio bibliotekos maršrutas 📚 ąčęėįšųūž " * 10)[:300]  # the longest name allowed


def count(app, model) -> int:
    with db.new_session(app) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_the_database_is_the_one_asked_for(app, db_backend):
    assert app.extensions["routeplanner.engine"].dialect.name == db_backend


def test_scenarios_and_stops_round_trip(app):
    with db.new_session(app) as s:
        sample = s.get(ScenarioRow, SAMPLE_ID).to_model()
    stops = list(sample.stops)
    stops[0] = dataclasses.replace(stops[0], id="i" * 200, name="Kamajų seniūnija — „Saulutė“ 📚" + "ž" * 269,
                                   address="Vilniaus g. 1,\tRokiškis\nLT-42100", must=True)
    stops[1] = dataclasses.replace(stops[1], lat=55.123456789012345, lon=-0.1 - 0.2, loans_per_visit=12.75,
                                   window_start_min=None, window_end_min=None, days=("Tue", "Thu"))
    scenario = dataclasses.replace(sample, name=NAME_300, stops=tuple(stops))
    with db.new_session(app) as s:
        row = ScenarioRow(copied_from_id=SAMPLE_ID)
        row.set_from_model(scenario)
        s.add(row)
        s.commit()
        sid = row.id
    with db.new_session(app) as s:
        row = s.get(ScenarioRow, sid)
        assert row.to_model() == dataclasses.replace(scenario, source=f"scenario {sid}")
        assert [st.position for st in row.stops] == list(range(len(stops)))
        assert row.stops[0].must is True and row.stops[1].must is False
        assert row.stops[1].lat == 55.123456789012345 and row.stops[1].lon == -0.1 - 0.2
        assert isinstance(row.created_at, datetime) and row.created_at.tzinfo is None
        assert abs(row.created_at - utcnow()) < timedelta(minutes=1)  # UTC, whatever the server's zone


def test_plans_and_jobs_round_trip(app):
    document = {
        "scenario": "Rokiškis — „ruduo“ 📚",
        "totals": {"distance_km": 0.1 + 0.2, "visits": 2**53 + 1, "loans_served": 1e-7},
        "routes": [{"visits": [{"stop": "žąsys", "arrival": "08:05", "loans": None, "flags": [True, False]}]}],
        "nested": {"a": [[], {}, ""]},
    }
    started = datetime(2026, 3, 29, 0, 30, 15, 123456)  # the night Vilnius moves its clocks forward
    with db.new_session(app) as s:
        plan = PlanRow(scenario_id=SAMPLE_ID, label="l" * 300, plan=document, scenario_snapshot={"name": "x"},
                       params={"time_limit_s": 2.5, "work_limit": None}, solver_version="OR-Tools 9.15",
                       run_time_s=1.25, distance_km=123.456, stops_served=52, stops_total=53)
        s.add(plan)
        s.flush()
        job = JobRow(scenario_id=SAMPLE_ID, status=jobs.DONE, params={"label": "ž"}, plan_id=plan.id,
                     best_cost=2**62 + 12345, started_at=started, heartbeat_at=started,
                     finished_at=started + timedelta(hours=1), cancel_requested=True, attempts=1)
        s.add(job)
        s.commit()
        plan_id, job_id = plan.id, job.id
    with db.new_session(app) as s:
        plan = s.get(PlanRow, plan_id)
        assert plan.plan == document and plan.plan["totals"]["visits"] == 2**53 + 1
        assert (plan.label, plan.params, plan.run_time_s, plan.distance_km) == ("l" * 300, {"time_limit_s": 2.5,
                                                                               "work_limit": None}, 1.25, 123.456)
        job = s.get(JobRow, job_id)
        assert job.best_cost == 2**62 + 12345  # OR-Tools costs with drop penalties: beyond 32 bits
        assert (job.started_at, job.finished_at) == (started, started + timedelta(hours=1))
        assert job.started_at.tzinfo is None
        assert job.cancel_requested is True and job.plan_id == plan_id
        status = web_jobs.job_status(job)
        assert (status["started_at"], status["elapsed_s"]) == ("2026-03-29T00:30:15Z", 3600.0)


def test_deletes_cascade_and_links_are_cleared(app, client):
    copy = client.post(f"/api/scenarios/{SAMPLE_ID}/copy").get_json()
    with db.new_session(app) as s:
        plans = [PlanRow(scenario_id=sid, plan={}, scenario_snapshot={}) for sid in (SAMPLE_ID, SAMPLE_ID, copy["id"])]
        s.add_all(plans)
        s.flush()
        job = JobRow(scenario_id=SAMPLE_ID, status=jobs.DONE, params={}, plan_id=plans[0].id)
        s.add_all([job, JobRow(scenario_id=copy["id"], status=jobs.QUEUED, params={})])
        s.commit()
        s.delete(plans[0])  # a plan deleted: its job stays, without the link
        s.commit()
        assert s.get(JobRow, job.id, populate_existing=True).plan_id is None
    assert client.delete(f"/api/scenarios/{SAMPLE_ID}").status_code == 204
    with db.new_session(app) as s:
        assert s.get(ScenarioRow, copy["id"]).copied_from_id is None  # the copy outlives its source
        assert s.scalars(select(StopRow.scenario_id).distinct()).all() == [copy["id"]]
        assert s.scalars(select(PlanRow.scenario_id)).all() == [copy["id"]]
        assert s.scalars(select(JobRow.scenario_id)).all() == [copy["id"]]


def test_processes_starting_together_on_an_empty_database_make_it_once(db_url):
    """A web server and workers starting at once on an empty database: one schema, one sample, no crash."""
    from startup_race import start_together

    assert start_together(db_url, 4) == []
    engine = store.make_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(ScenarioRow)) == 1
    finally:
        engine.dispose()


UNSTORABLE = ["a\x00b", "bell\x07", "half \ud800 pair", "red \x1b[31m text", "csi \x9b2J", "Kamajai\u202elmth.exe",
               "isolate \u2067x\u2069"]


@pytest.mark.parametrize("bad", UNSTORABLE, ids=["nul", "bell", "surrogate", "escape", "c1-csi", "rtl-override",
                                                 "isolate"])
def test_text_no_database_can_store_is_refused_everywhere(app, client, bad):
    """PostgreSQL refuses NUL; no UTF-8 database stores a lone surrogate; terminal escapes and
    bidirectional overrides make a name show as something else: 422, never a 500."""
    scenarios, job_count = count(app, ScenarioRow), count(app, JobRow)
    # the API
    response = client.post(f"/api/scenarios/{SAMPLE_ID}/copy", json={"name": bad})
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["problems"][0]["expected"] == "text without control characters"
    response = client.post(f"/api/scenarios/{SAMPLE_ID}/solve", json={"label": bad, "time_limit_s": 1})
    assert response.status_code == 422, response.get_data(as_text=True)
    document = client.get(f"/api/scenarios/{SAMPLE_ID}").get_json()
    document["stops"] = document["stops"][:3]
    for change in (lambda d: d.update(name=bad), lambda d: d["depot"].update(name=bad),
                   lambda d: d["vehicles"][0].update(name=bad), lambda d: d["stops"][1].update(address=bad)):
        doc = {**document, "depot": dict(document["depot"]), "vehicles": [dict(document["vehicles"][0])],
               "stops": [dict(st) for st in document["stops"]]}
        change(doc)
        response = client.post("/api/scenarios", json=doc)
        assert response.status_code == 422, response.get_data(as_text=True)
    assert (count(app, ScenarioRow), count(app, JobRow)) == (scenarios, job_count)
    if "\ud800" in bad:  # forms and files are bytes (UTF-8, Windows-1257): no half characters there
        return
    # the pages
    from test_pages import HEADER, SETTINGS

    def upload(csv_text=HEADER + "k,Kamajai,55.82,25.50,30,weekly,,,,,\n", **fields):
        data = {**SETTINGS, **fields, "stops_file": (io.BytesIO(csv_text.encode("utf-8")), "s.csv")}
        return client.post("/scenarios/new", data=data, content_type="multipart/form-data")

    for response in (upload(name=bad), upload(depot_name=bad), upload(**{"vehicle-0-name": bad}),
                     client.post(f"/scenarios/{SAMPLE_ID}/copy", data={"name": bad}),
                     client.post(f"/scenarios/{SAMPLE_ID}/plan", data={"label": bad, "time_limit_s": "1"})):
        assert response.status_code == 422, response.get_data(as_text=True)[:2000]
        assert "text without control characters" in response.get_data(as_text=True)
    response = upload(HEADER + f"k,Kam{bad}ajai,55.82,25.50,30,weekly,,,,,\n")
    assert response.status_code == 422, response.get_data(as_text=True)[:2000]
    assert (count(app, ScenarioRow), count(app, JobRow)) == (scenarios, job_count)


def test_ids_are_never_reused_after_a_delete(app, client):
    """Point 11: a link to a deleted scenario, plan or job must never open a newer one."""
    newest = client.post("/api/scenarios/1/copy").get_json()["id"]
    assert client.delete(f"/api/scenarios/{newest}").status_code == 204
    again = client.post("/api/scenarios/1/copy").get_json()["id"]
    assert again > newest
    assert client.get(f"/api/scenarios/{newest}").status_code == 404

    with db.new_session(app) as s:
        plan = PlanRow(scenario_id=1, plan={}, scenario_snapshot={})
        job = JobRow(scenario_id=1, status="done", params={})
        s.add_all([plan, job])
        s.commit()
        plan_id, job_id = plan.id, job.id
        s.delete(plan)
        s.delete(job)
        s.commit()
        plan, job = PlanRow(scenario_id=1, plan={}, scenario_snapshot={}), JobRow(scenario_id=1, status="done",
                                                                                    params={})
        s.add_all([plan, job])
        s.commit()
        assert (plan.id > plan_id, job.id > job_id) == (True, True)
