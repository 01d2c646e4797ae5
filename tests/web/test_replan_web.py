"""Re-planning from a base plan in the web service: the solve job, the API, the pages (issue 12).

The re-plan itself (what keep and free do) is tested in ``tests/test_replan.py``;
here: a base is checked before anything is queued (it must be a readable plan of
the same scenario), the child re-plans instead of solving and stores a plan that
lists what moved, and the pages offer it and show it.  Solves have small work
limits, so they are quick and do not depend on how busy the machine is.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import func, select

from routeplanner import compare, jobs, store
from routeplanner.errors import InputError
from routeplanner.io.jsonform import scenario_to_dict
from routeplanner.io.planjson import plan_from_dict, plan_to_dict
from routeplanner.model import Changes, Cycle, Plan, Route, StopChange, Visit
from routeplanner.totals import compute_totals
from routeplanner.web import db
from routeplanner.web import jobs as web_jobs

SAMPLE_ID = 1


def job_count(app) -> int:
    with db.new_session(app) as s:
        return s.scalar(select(func.count()).select_from(store.JobRow))


def hand_plan(app, scenario_id: int = SAMPLE_ID, document: dict | None = None, *, day: str = "Mon",
              opens: int = 600, base: int | None = None, mode: str = "keep") -> int:
    """A stored plan of the scenario made by hand (no solve): its first stop on ``day`` of week 1 at
    ``opens``; with ``base`` (a plan id) a re-plan of that plan, with the changes a re-plan lists."""
    with db.new_session(app) as s:
        scenario = s.get(store.ScenarioRow, scenario_id).to_model()
        stop = scenario.stops[0]
        routes = [Route(scenario.vehicles[0].name, 1, day, scenario.depot, opens - 60, opens + 60,
                        [Visit(stop.id, stop.name, stop.lat, stop.lon, opens, opens + 20, 10.0)])]
        plan = Plan(scenario.name, Cycle(scenario.cycle.weeks, scenario.cycle.days), scenario.travel, routes, [],
                    compute_totals(routes, scenario))
        params: dict = {}
        if base is not None:
            before = plan_from_dict(s.get(store.PlanRow, base).plan)
            moved = compare.moved_stops(before, plan)
            plan = dataclasses.replace(plan, changes=Changes(mode, before.totals.distance_km + 12.5,
                                                             [StopChange(m.stop_id, m.changes) for m in moved]))
            params = {"base_plan_id": base, "replan": mode}
        row = store.PlanRow(scenario_id=scenario_id, label="by hand", plan=document or plan_to_dict(plan),
                            scenario_snapshot=scenario_to_dict(scenario), params=params, solver_version="hand",
                            run_time_s=0.0, distance_km=0.0, stops_served=1, stops_total=len(scenario.stops),
                            loans_served=10, loans_total=10)
        s.add(row)
        s.commit()
        return row.id


def other_scenario(client) -> int:
    return client.post(f"/api/scenarios/{SAMPLE_ID}/copy", json={"name": "Another district"}).get_json()["id"]


def columns(err: InputError) -> list[str]:
    return [p.column for p in err.problems]


# --- submit ------------------------------------------------------------------------------


@pytest.mark.both_databases
def test_submit_queues_a_replan_of_a_plan_of_the_same_scenario(app):
    base = hand_plan(app)
    with db.new_session(app) as s:
        job = jobs.submit(s, SAMPLE_ID, work_limit=20, base_plan_id=base)
        assert job.params == {"time_limit_s": 30.0, "work_limit": 20, "label": "", "base_plan_id": base,
                              "replan": "keep"}  # keep: the default with a base
        free = jobs.submit(s, SAMPLE_ID, base_plan_id=base, replan="free")
        assert (free.params["base_plan_id"], free.params["replan"]) == (base, "free")
        plain = jobs.submit(s, SAMPLE_ID)
        assert "base_plan_id" not in plain.params and "replan" not in plain.params


@pytest.mark.both_databases
def test_submit_refuses_a_base_that_is_not_a_plan_of_the_scenario_and_queues_nothing(app, client):
    other = other_scenario(client)
    foreign = hand_plan(app, other)
    unreadable = hand_plan(app, document={"scenario": "x", "routes": "none"})
    before = job_count(app)
    with db.new_session(app) as s:
        for base in (999_999, foreign, "1", True, 0, -3, 2**31, 2**70):
            with pytest.raises(InputError) as err:
                jobs.submit(s, SAMPLE_ID, base_plan_id=base)
            assert columns(err.value) == ["base_plan_id"], base
            assert err.value.problems[0].expected == f"the id of a plan of scenario {SAMPLE_ID}"
        with pytest.raises(InputError) as err:
            jobs.submit(s, SAMPLE_ID, base_plan_id=unreadable)
        assert columns(err.value) == ["base_plan_id"]
        assert err.value.problems[0].expected.startswith("a plan that can be read")
        with pytest.raises(InputError) as err:  # a mode without a base says what is missing
            jobs.submit(s, SAMPLE_ID, replan="keep")
        assert columns(err.value) == ["replan"] and "base_plan_id" in err.value.problems[0].expected
        with pytest.raises(InputError) as err:  # every problem at once
            jobs.submit(s, SAMPLE_ID, base_plan_id=foreign, replan="sideways")
        assert columns(err.value) == ["replan", "base_plan_id"]
        assert err.value.problems[0].expected == "keep or free"
    assert job_count(app) == before


# --- the API -----------------------------------------------------------------------------


@pytest.mark.both_databases
def test_api_solve_takes_a_base_plan_and_a_mode(app, client):
    base = hand_plan(app)
    response = client.post(f"/api/scenarios/{SAMPLE_ID}/solve",
                           json={"work_limit": 20, "base_plan_id": base, "replan": "free"})
    assert response.status_code == 202, response.get_json()
    status = response.get_json()
    assert (status["base_plan_id"], status["replan"]) == (base, "free")
    plain = client.post(f"/api/scenarios/{SAMPLE_ID}/solve", json={"work_limit": 20}).get_json()
    assert (plain["base_plan_id"], plain["replan"]) == (None, None)


def test_api_solve_refuses_bad_bases_with_the_problem_list(app, client):
    foreign = hand_plan(app, other_scenario(client))
    before = job_count(app)
    for body, column in (({"base_plan_id": 999_999}, "base_plan_id"),
                         ({"base_plan_id": foreign}, "base_plan_id"),
                         ({"base_plan_id": "first"}, "base_plan_id"),
                         ({"base_plan_id": hand_plan(app), "replan": "sideways"}, "replan"),
                         ({"replan": "keep"}, "replan")):
        response = client.post(f"/api/scenarios/{SAMPLE_ID}/solve", json=body)
        assert response.status_code == 422, (body, response.get_json())
        problems = response.get_json()["problems"]
        assert [p["column"] for p in problems] == [column], (body, problems)
        assert problems[0]["expected"]
    assert job_count(app) == before


def test_openapi_documents_the_replan_fields(client):
    schema = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    solve = schema["SolveRequest"]["properties"]
    assert solve["replan"]["enum"] == ["keep", "free"] and solve["base_plan_id"]["type"] == "integer"
    assert "changes" in schema["Plan"]["properties"]


# --- the job -------------------------------------------------------------------------------


def test_a_replan_job_stores_a_plan_that_lists_what_moved(app, client, live_runner, wait_job):
    first = client.post(f"/api/scenarios/{SAMPLE_ID}/solve", json={"work_limit": 20}).get_json()
    done = wait_job(client, first["id"], timeout=120)
    assert done["status"] == "done", done
    base = client.get(f"/api/plans/{done['plan_id']}").get_json()
    assert "changes" not in base
    job = client.post(f"/api/scenarios/{SAMPLE_ID}/solve",
                      json={"work_limit": 20, "base_plan_id": done["plan_id"], "label": "again"}).get_json()
    status = wait_job(client, job["id"], timeout=120)
    assert status["status"] == "done", status
    assert status["stops_served"] is not None  # progress in a librarian's terms, as any solve
    plan = client.get(f"/api/plans/{status['plan_id']}").get_json()
    changes = plan["changes"]
    assert changes["mode"] == "keep"
    assert changes["base_km"] == pytest.approx(base["totals"]["distance_km"], abs=0.05)
    assert changes["saved_km"] == pytest.approx(base["totals"]["distance_km"] - plan["totals"]["distance_km"],
                                                abs=0.1)
    for m in changes["moved"]:
        assert set(m["changes"]) <= {"day", "time", "added", "dropped"}
    summary = client.get(f"/api/scenarios/{SAMPLE_ID}/plans").get_json()["plans"][-1]
    assert (summary["params"]["base_plan_id"], summary["params"]["replan"]) == (done["plan_id"], "keep")


def test_a_replan_whose_base_was_deleted_meanwhile_fails_with_the_reason(app, client, wait_job):
    base = hand_plan(app)
    job = client.post(f"/api/scenarios/{SAMPLE_ID}/solve",
                      json={"work_limit": 5, "base_plan_id": base}).get_json()
    with db.new_session(app) as s:  # deleted while the solve waits in the queue
        s.delete(s.get(store.PlanRow, base))
        s.commit()
    web_jobs.start_runner(app)
    try:
        status = wait_job(client, job["id"], timeout=60)
    finally:
        web_jobs.stop_runner(app)
    assert status["status"] == "failed" and status["plan_id"] is None
    assert "base_plan_id" in status["message"] and re.search(rf"\b{base}\b", status["message"])


# --- the pages -----------------------------------------------------------------------------------


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def test_the_plan_form_offers_a_base_with_the_published_plan_chosen(app, client):
    body = page(client, f"/scenarios/{SAMPLE_ID}")
    assert 'name="base_plan_id"' not in body  # nothing to re-plan from yet
    first, second = hand_plan(app), hand_plan(app, day="Tue")
    body = page(client, f"/scenarios/{SAMPLE_ID}")
    assert re.search(r'<option value="" selected>nothing: plan from scratch</option>', body)
    assert 'name="replan" value="keep" checked' in body and 'name="replan" value="free">' in body
    assert client.post(f"/api/plans/{first}/publish", json={}).status_code == 201
    body = page(client, f"/scenarios/{SAMPLE_ID}")
    assert re.search(rf'<option value="{first}" selected>Plan {first} — by hand \(published\)</option>', body)
    assert re.search(rf'<option value="{second}">Plan {second} — by hand</option>', body)


def test_the_plan_form_queues_a_replan_or_a_plain_solve(app, client):
    base = hand_plan(app)
    response = client.post(f"/scenarios/{SAMPLE_ID}/plan",
                           data={"time_limit_s": "5", "base_plan_id": str(base), "replan": "free"})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    plain = client.post(f"/scenarios/{SAMPLE_ID}/plan", data={"time_limit_s": "5", "base_plan_id": "",
                                                                  "replan": "keep"})
    assert plain.status_code == 303
    with db.new_session(app) as s:
        queued = list(s.scalars(select(store.JobRow).order_by(store.JobRow.id)))[-2:]
        assert (queued[0].params["base_plan_id"], queued[0].params["replan"]) == (base, "free")
        assert "base_plan_id" not in queued[1].params  # "nothing": the mode is no re-plan on its own


@pytest.mark.parametrize("value", ["999999", "x1", "１２"])
def test_the_plan_form_refuses_a_base_that_is_no_plan_of_the_scenario(app, client, value):
    hand_plan(app)
    before = job_count(app)
    response = client.post(f"/scenarios/{SAMPLE_ID}/plan", data={"time_limit_s": "5", "base_plan_id": value})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "base_plan_id" in body and "Traceback" not in body
    assert job_count(app) == before


def test_the_page_of_a_replanned_plan_says_what_changed_for_patrons(app, client):
    base = hand_plan(app, day="Mon", opens=600)
    replanned = hand_plan(app, day="Tue", opens=660, base=base)
    body = page(client, f"/plans/{replanned}")
    section = body[body.index('id="changes"'):]
    section = section[:section.index("</section>")]
    assert "Re-planned: 1 stop changed for patrons" in section
    assert f'href="/plans/{base}">Re-planned from plan {base}</a>' in section
    assert "keep: every stop whose visits still work kept its days and times" in section
    assert "12.5 km saved" in section
    assert "another day, another time" in section
    assert "Mon wk 1 10:00–10:20" in section and "Tue wk 1 11:00–11:20" in section
    # the base plan's own page, made from scratch, has no such section
    assert 'id="changes"' not in page(client, f"/plans/{base}")
    # nothing moved: said so
    same = hand_plan(app, day="Mon", opens=600, base=base, mode="free")
    section = page(client, f"/plans/{same}")
    assert "Every stop keeps its days and times." in section and "free: planned for the fewest km" in section


# --- pins are stored (revision 0005) --------------------------------------------------------------


@pytest.mark.both_databases
def test_pins_survive_a_save_through_the_api_and_the_editor(app, client):
    """The stops table stores a stop's pinned weeks and opening time (before revision 0005 a saved
    pin was dropped without a word), and the solve reads them from the stored scenario."""
    from test_pages import stops_form

    stops = client.get(f"/api/scenarios/{SAMPLE_ID}/stops").get_json()["stops"]
    assert all(s["weeks"] == [] and s["opens"] is None for s in stops)  # the sample pins nothing
    stops[0].update(frequency="fortnightly", weeks=[2], opens="10:30")
    response = client.put(f"/api/scenarios/{SAMPLE_ID}/stops", json={"stops": stops})
    assert response.status_code == 200, response.get_json()
    again = client.get(f"/api/scenarios/{SAMPLE_ID}/stops").get_json()["stops"]
    assert (again[0]["weeks"], again[0]["opens"]) == ([2], "10:30")
    assert again[1:] == stops[1:]
    # the editor shows them, and a save from the editor keeps and changes them
    data = stops_form(client, SAMPLE_ID)
    assert (data["stop-0-weeks"], data["stop-0-opens"]) == ("2", "10:30")
    data.update({"stop-1-days": "Wed", "stop-1-opens": "11:00"})
    assert client.post(f"/scenarios/{SAMPLE_ID}/stops", data=data).status_code == 303
    with db.new_session(app) as s:
        model = s.get(store.ScenarioRow, SAMPLE_ID).to_model()
    assert (model.stops[0].weeks, model.stops[0].opens_min) == ((2,), 10 * 60 + 30)
    assert (model.stops[1].days, model.stops[1].opens_min) == (("Wed",), 11 * 60)
    # unpinned again: no pin left behind
    data = stops_form(client, SAMPLE_ID)
    data.update({"stop-0-weeks": "", "stop-0-opens": ""})
    assert client.post(f"/scenarios/{SAMPLE_ID}/stops", data=data).status_code == 303
    first = client.get(f"/api/scenarios/{SAMPLE_ID}/stops").get_json()["stops"][0]
    assert (first["weeks"], first["opens"]) == ([], None)
