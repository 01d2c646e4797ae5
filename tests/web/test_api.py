"""The JSON API through the Flask test client: every endpoint, every way to get it wrong.

Plans come from real solves in spawned worker processes (``live_runner``),
with time limits of one or two seconds and, where the checker must accept
the plan, a work limit too: a time-limited search on a machine busy with the
rest of the suite finds less, and may leave a must stop out.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import jsonschema
import pytest

from routeplanner.store import PlanRow, ScenarioRow
from routeplanner.web import access
from routeplanner.web.openapi import document

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = ROOT / "data" / "rokiskis"
STOPS_CSV = (SAMPLE_DIR / "stops.csv").read_bytes()
SCENARIO_TOML = (SAMPLE_DIR / "scenario.toml").read_bytes()
SAMPLE_ID = 1  # the sample scenario in a fresh database
NASTY_NAMES = ["<img src=x onerror=alert(1)>", "Vila ${alert(1)}", "C:\\users\\x"]


# --- helpers -----------------------------------------------------------------------


def scenario_count(app) -> int:
    from routeplanner.web import db

    with db.new_session(app) as s:
        return s.query(ScenarioRow).count()


def assert_json_error(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["problems"], list)
    for p in body["problems"]:
        assert set(p) == {"file", "row", "column", "value", "expected"}
    return body


def upload(client, files: dict[str, tuple[bytes, str]], form: dict | None = None, url="/api/scenarios",
           method="post"):
    data = dict(form or {})
    for field, (blob, name) in files.items():
        data[field] = (io.BytesIO(blob), name)
    return getattr(client, method)(url, data=data, content_type="multipart/form-data")


FORM = {
    "name": "Form scenario",
    "depot_name": "Library",
    "depot_lat": "55,9644",  # a decimal comma, as a LT locale types it
    "depot_lon": "25.5912",
    "weeks": "2",
    "days": "Mon;Tue;Wed;Thu;Fri",
    "start_date": "2026-11-30",
    "vehicle_name": "Van",
    "shift_start": "08:30",
    "shift_end": "16:30",
}


def validator_for(name: str):
    doc = document()
    return jsonschema.Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": doc["components"]})


def assert_schema(name: str, instance) -> None:
    errors = [f"{list(e.path)}: {e.message}" for e in validator_for(name).iter_errors(instance)]
    assert not errors, errors


# --- scenarios ------------------------------------------------------------------------


def test_list_and_get_the_sample(client):
    body = client.get("/api/scenarios").get_json()
    assert [s["id"] for s in body["scenarios"]] == [SAMPLE_ID]
    summary = body["scenarios"][0]
    assert summary["stops_count"] == 53 and summary["plans_count"] == 0
    assert_schema("ScenarioSummary", summary)

    scenario = client.get(f"/api/scenarios/{SAMPLE_ID}").get_json()
    assert_schema("Scenario", scenario)
    assert scenario["name"].startswith("Rokiškis")
    assert scenario["cycle"] == {"weeks": 2, "days": ["Mon", "Tue", "Wed", "Thu", "Fri"], "start_date": "2026-11-30"}
    assert len(scenario["stops"]) == 53

    stops = client.get(f"/api/scenarios/{SAMPLE_ID}/stops").get_json()
    assert_schema("StopList", stops)
    assert stops["stops"] == scenario["stops"]


@pytest.mark.both_databases
def test_create_from_stops_file_and_scenario_toml(client, app):
    response = upload(client, {"stops": (STOPS_CSV, "stops.csv"), "scenario": (SCENARIO_TOML, "scenario.toml")})
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert response.headers["Location"].endswith(f"/api/scenarios/{created['id']}")
    sample = client.get(f"/api/scenarios/{SAMPLE_ID}").get_json()
    for key in ("name", "depot", "cycle", "vehicles", "travel", "solver", "stops"):
        assert created[key] == sample[key], key
    assert scenario_count(app) == 2


def test_create_from_stops_file_and_form_fields(client):
    response = upload(client, {"stops": (STOPS_CSV, "stops.csv")}, FORM)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["name"] == "Form scenario"
    assert created["depot"] == {"name": "Library", "lat": 55.9644, "lon": 25.5912}
    assert created["vehicles"][0]["name"] == "Van"
    assert (created["vehicles"][0]["shift_start"], created["vehicles"][0]["shift_end"]) == ("08:30", "16:30")
    assert created["vehicles"][0]["capacity_books"] == 2500  # the contract's default
    assert len(created["stops"]) == 53


@pytest.mark.both_databases
def test_create_from_an_xlsx_in_lithuanian(client):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Pavadinimas", "Platuma", "Ilguma", "Skolinimai", "Dažnumas", "Nuo", "Iki"])
    sheet.append(["Kamajai", 55.8167, 25.5, 12, "kas dvi savaites", "09:00", "12:00"])
    sheet.append(["Juodupė", 56.0875, 25.6167, 20, "kas savaitę", None, None])
    blob = io.BytesIO()
    book.save(blob)
    response = upload(client, {"stops": (blob.getvalue(), "stoteles.xlsx")}, FORM)
    assert response.status_code == 201, response.get_json()
    stops = response.get_json()["stops"]
    assert [s["name"] for s in stops] == ["Kamajai", "Juodupė"]
    assert stops[0]["frequency"] == "fortnightly" and stops[0]["window_start"] == "09:00"


@pytest.mark.both_databases
def test_create_from_json_round_trips_what_get_shows(client):
    sample = client.get(f"/api/scenarios/{SAMPLE_ID}").get_json()
    sample["name"] = "JSON copy"
    response = client.post("/api/scenarios", json=sample)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["id"] != SAMPLE_ID and created["name"] == "JSON copy"
    assert created["stops"] == sample["stops"]
    assert created["vehicles"] == sample["vehicles"]


def test_garbage_encoding_is_refused_and_nothing_saved(client, app):
    garbage = bytes([0x81, 0x8A, 0x90, 0xFF, 0x00, 0x9F]) * 50
    body = assert_json_error(upload(client, {"stops": (garbage, "stops.csv")}, FORM), 422)
    assert body["problems"] == [{"file": "stops.csv", "row": None, "column": "", "value": "",
                                 "expected": "a text file in UTF-8 or Windows-1257 encoding"}]
    assert scenario_count(app) == 1


def test_missing_column_is_named(client, app):
    csv_text = "name,lat,lon\nKamajai,55.8,25.5\n"
    body = assert_json_error(upload(client, {"stops": (csv_text.encode(), "stops.csv")}, FORM), 422)
    assert {"file": "stops.csv", "row": 1, "column": "loans_per_visit"} == {
        k: body["problems"][0][k] for k in ("file", "row", "column")}
    assert scenario_count(app) == 1


def test_every_problem_of_rows_and_fields_at_once(client, app):
    csv_text = (
        "id,name,lat,lon,loans_per_visit,frequency,window_start,window_end\n"
        "a,Alpha,north,25.5,10,weekly,,\n"
        "b,Beta,55.9,25.6,10,sometimes,,\n"
        "c,Gamma,55.9,25.7,10,weekly,12:00,09:00\n"
        "a,Delta,55.9,25.8,-3,weekly,,\n"
    )
    form = {**FORM, "depot_lat": "north", "weeks": "0", "shift_end": "07:00"}
    body = assert_json_error(upload(client, {"stops": (csv_text.encode(), "stops.csv")}, form), 422)
    got = {(p["file"], p["row"], p["column"], p["value"]) for p in body["problems"]}
    expected = {
        ("stops.csv", 2, "lat", "north"),
        ("stops.csv", 3, "frequency", "sometimes"),
        ("stops.csv", 4, "window_end", "09:00"),
        ("stops.csv", 5, "loans_per_visit", "-3"),
        ("stops.csv", 5, "id", "a"),
        ("form", None, "depot_lat", "north"),
        ("form", None, "weeks", "0"),
        ("form", None, "shift_end", "07:00"),
    }
    assert expected <= got, got
    assert all(p["expected"] for p in body["problems"])
    assert scenario_count(app) == 1


def test_bad_toml_and_bad_stops_reported_together(client, app):
    csv_text = "name,lat,lon,loans_per_visit\nKamajai,55.8,25.5,many\n"
    response = upload(client, {"stops": (csv_text.encode(), "s.csv"), "scenario": (b"name = [unclosed", "x.toml")})
    body = assert_json_error(response, 422)
    files = {p["file"] for p in body["problems"]}
    assert files == {"x.toml", "s.csv"}
    assert scenario_count(app) == 1


def test_upload_without_stops_file(client, app):
    body = assert_json_error(upload(client, {}, FORM), 422)
    assert body["problems"][0]["file"] == "stops"
    assert scenario_count(app) == 1


def test_server_files_cannot_be_named(client, app):
    sample = client.get(f"/api/scenarios/{SAMPLE_ID}").get_json()
    sample["travel"] = {"method": "matrix", "matrix": "/etc/passwd"}
    body = assert_json_error(client.post("/api/scenarios", json=sample), 422)
    columns = {p["column"] for p in body["problems"]}
    assert {"travel.method", "travel.matrix"} <= columns
    assert not any("passwd" in p["expected"] for p in body["problems"])
    assert scenario_count(app) == 1


def test_put_scenario_settings_keeps_stops(client):
    sample = client.get(f"/api/scenarios/{SAMPLE_ID}").get_json()
    del sample["stops"]
    sample["vehicles"][0]["shift_end"] = "16:00"
    sample["cycle"]["weeks"] = 4
    response = client.put(f"/api/scenarios/{SAMPLE_ID}", json=sample)
    assert response.status_code == 200, response.get_json()
    after = client.get(f"/api/scenarios/{SAMPLE_ID}").get_json()
    assert after["vehicles"][0]["shift_end"] == "16:00" and after["cycle"]["weeks"] == 4
    assert len(after["stops"]) == 53


def test_put_scenario_invalid_changes_nothing(client):
    before = client.get(f"/api/scenarios/{SAMPLE_ID}").get_json()
    bad = json.loads(json.dumps(before))
    bad["vehicles"][0]["shift_end"] = "07:00"
    bad["travel"]["speed_kmh"] = 0
    bad["stops"][3]["window_start"] = "25:99"
    bad["surprise"] = 1
    body = assert_json_error(client.put(f"/api/scenarios/{SAMPLE_ID}", json=bad), 422)
    got = {(p["file"], p["row"], p["column"]) for p in body["problems"]}
    assert {("scenario", None, "vehicles[1].shift_end"), ("scenario", None, "travel.speed_kmh"),
            ("scenario", None, "surprise"), ("stops", 5, "window_start")} <= got, got
    assert client.get(f"/api/scenarios/{SAMPLE_ID}").get_json() == before


@pytest.mark.both_databases
def test_put_stops_whole_list_all_or_nothing(client):
    stops = client.get(f"/api/scenarios/{SAMPLE_ID}/stops").get_json()["stops"]
    stops[0]["loans_per_visit"] = 99
    stops[1]["days"] = ["Tue", "Thu"]
    stops[2]["priority"] = "must"
    for stop, name in zip(stops[3:6], NASTY_NAMES):
        stop["name"] = name
    stops = stops[:-1]
    response = client.put(f"/api/scenarios/{SAMPLE_ID}/stops", json=stops)
    assert response.status_code == 200, response.get_json()
    got = client.get(f"/api/scenarios/{SAMPLE_ID}/stops").get_json()["stops"]
    assert got == stops
    assert [s["name"] for s in got[3:6]] == NASTY_NAMES

    bad = json.loads(json.dumps(stops))
    bad[1]["id"] = bad[0]["id"]
    bad[2]["window_start"], bad[2]["window_end"] = "12:00", "11:00"
    bad.append("not a stop")
    body = assert_json_error(client.put(f"/api/scenarios/{SAMPLE_ID}/stops", json={"stops": bad}), 422)
    rows = {(p["row"], p["column"]) for p in body["problems"]}
    assert {(3, "id"), (4, "window_end"), (len(bad) + 1, "")} <= rows, rows
    assert client.get(f"/api/scenarios/{SAMPLE_ID}/stops").get_json()["stops"] == stops


def test_put_stops_from_an_uploaded_file(client):
    csv_text = "name,lat,lon,loans_per_visit,frequency\nKamajai,55.8167,25.5,12,weekly\n"
    response = upload(client, {"stops": (csv_text.encode(), "new.csv")}, url=f"/api/scenarios/{SAMPLE_ID}/stops",
                      method="put")
    assert response.status_code == 200, response.get_json()
    assert [s["id"] for s in response.get_json()["stops"]] == ["kamajai"]


@pytest.mark.both_databases
def test_copy_and_delete(client, app):
    response = client.post(f"/api/scenarios/{SAMPLE_ID}/copy")
    assert response.status_code == 201
    copy = response.get_json()
    assert copy["copied_from_id"] == SAMPLE_ID and copy["name"].endswith("(copy)")
    assert copy["stops"] == client.get(f"/api/scenarios/{SAMPLE_ID}").get_json()["stops"]
    named = client.post(f"/api/scenarios/{SAMPLE_ID}/copy", json={"name": "Winter"}).get_json()
    assert named["name"] == "Winter"
    assert_json_error(client.post(f"/api/scenarios/{SAMPLE_ID}/copy", json={"name": ""}), 422)

    assert client.delete(f"/api/scenarios/{copy['id']}").status_code == 204
    assert_json_error(client.get(f"/api/scenarios/{copy['id']}"), 404)
    assert scenario_count(app) == 2


def test_every_change_passes_the_permission_check(client, monkeypatch):
    asked = []

    def deny(action, scenario_id=None):
        asked.append((action, scenario_id))
        return action == access.VIEW

    monkeypatch.setattr(access, "can", deny)
    before = client.get(f"/api/scenarios/{SAMPLE_ID}").get_json()
    changes = [
        client.put(f"/api/scenarios/{SAMPLE_ID}", json=before),
        client.put(f"/api/scenarios/{SAMPLE_ID}/stops", json=before["stops"]),
        client.delete(f"/api/scenarios/{SAMPLE_ID}"),
        client.post(f"/api/scenarios/{SAMPLE_ID}/copy"),
        client.post("/api/scenarios", json=before),
        client.post(f"/api/scenarios/{SAMPLE_ID}/solve"),
    ]
    for response in changes:
        assert_json_error(response, 403)
    assert {a for a, _ in asked} >= {access.EDIT, access.DELETE, access.PLAN}
    assert client.get(f"/api/scenarios/{SAMPLE_ID}").get_json() == before
    assert client.get(f"/api/scenarios/{SAMPLE_ID}/jobs").get_json() == {"jobs": []}


# --- solves and plans -------------------------------------------------------------------


@pytest.mark.both_databases
def test_solve_queues_a_job_and_a_queued_job_cancels_at_once(client):
    response = client.post(f"/api/scenarios/{SAMPLE_ID}/solve", json={"time_limit_s": 2, "label": "try"})
    assert response.status_code == 202
    job = response.get_json()
    assert_schema("JobStatus", job)
    assert response.headers["Location"].endswith(f"/api/jobs/{job['id']}")
    assert (job["status"], job["time_limit_s"], job["label"]) == ("queued", 2.0, "try")
    assert client.get(f"/api/jobs/{job['id']}").get_json()["status"] == "queued"
    # no body at all: the scenario's own time limit
    default = client.post(f"/api/scenarios/{SAMPLE_ID}/solve").get_json()
    assert default["time_limit_s"] == 30.0
    listed = client.get(f"/api/scenarios/{SAMPLE_ID}/jobs").get_json()["jobs"]
    assert [j["id"] for j in listed] == [job["id"], default["id"]]

    cancelled = client.post(f"/api/jobs/{job['id']}/cancel").get_json()
    assert cancelled["status"] == "cancelled" and cancelled["finished_at"]


@pytest.mark.parametrize(
    "body, column",
    [
        ({"time_limit_s": -1}, "time_limit_s"),
        ({"time_limit_s": "soon"}, "time_limit_s"),
        ({"time_limit_s": 1e9}, "time_limit_s"),
        ({"work_limit": 2.5}, "work_limit"),
        ({"label": ["x"]}, "label"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_solve_refuses_bad_parameters(client, body, column):
    problems = assert_json_error(client.post(f"/api/scenarios/{SAMPLE_ID}/solve", json=body), 422)["problems"]
    assert [p["column"] for p in problems] == [column]
    assert client.get(f"/api/scenarios/{SAMPLE_ID}/jobs").get_json() == {"jobs": []}


@pytest.mark.both_databases
def test_plans_check_compare_delete(client, app, live_runner, wait_job, validate_plan):
    app.config["SOLVE_WORKERS"] = 2
    live_runner.workers = 2
    # a second scenario whose shifts start an hour later: its stops move in time
    later = client.post(f"/api/scenarios/{SAMPLE_ID}/copy", json={"name": "Later"}).get_json()
    later["vehicles"][0]["shift_start"] = "09:00"
    later["vehicles"][0]["shift_end"] = "18:00"
    assert client.put(f"/api/scenarios/{later['id']}", json=later).status_code == 200
    # a work limit as well as a time limit: the same plans however busy the machine is
    limits = {"time_limit_s": 2, "work_limit": 50}
    job_a = client.post(f"/api/scenarios/{SAMPLE_ID}/solve", json={**limits, "label": "A"}).get_json()
    job_b = client.post(f"/api/scenarios/{later['id']}/solve", json={**limits, "label": "B"}).get_json()
    done_a = wait_job(client, job_a["id"])
    done_b = wait_job(client, job_b["id"])
    assert (done_a["status"], done_b["status"]) == ("done", "done"), (done_a, done_b)

    plans = client.get(f"/api/scenarios/{SAMPLE_ID}/plans").get_json()["plans"]
    assert [p["id"] for p in plans] == [done_a["plan_id"]]
    summary = plans[0]
    assert_schema("PlanSummary", summary)
    assert summary["label"] == "A" and summary["params"]["work_limit"] == 50
    assert summary["solver_version"].startswith("routeplanner") and summary["run_time_s"] > 0

    plan = client.get(f"/api/plans/{done_a['plan_id']}").get_json()
    assert validate_plan(plan) == []
    assert_schema("Plan", plan)
    # the published timetable (contract v1.1): one entry per served stop, with a window or the reason why not
    assert len(plan["timetable"]) + len(plan["timetable_unpublished"]) == plan["totals"]["stops_served"]
    assert all(e["opens"] < e["closes"] and e["text"] for e in plan["timetable"])
    assert (plan["id"], plan["label"], plan["scenario_id"]) == (done_a["plan_id"], "A", SAMPLE_ID)
    assert plan["totals"]["stops_served"] == summary["stops_served"] > 0

    report = client.get(f"/api/plans/{done_a['plan_id']}/check").get_json()
    assert_schema("CheckReport", report)
    assert report["ok"], report["violations"]
    assert report["totals"]["stops_served"] == plan["totals"]["stops_served"]

    # the scenario changes after the plan: the check still judges the plan by its snapshot
    sample = client.get(f"/api/scenarios/{SAMPLE_ID}").get_json()
    sample["vehicles"][0]["shift_end"] = "12:00"
    assert client.put(f"/api/scenarios/{SAMPLE_ID}", json=sample).status_code == 200
    assert client.get(f"/api/plans/{done_a['plan_id']}/check").get_json()["ok"]

    comparison = client.get(f"/api/compare?plans={done_a['plan_id']},{done_b['plan_id']}").get_json()
    assert_schema("Comparison", comparison)
    first, second = comparison["plans"]
    assert first["kpis"]["km"] == plan["totals"]["distance_km"]
    assert first["kpis"]["unserved"] == len(plan["unserved"])
    assert first["kpis"]["cost"] == plan["solver"]["objective"]
    assert all(v in (0, None) for v in first["delta"].values())
    assert second["delta"]["km"] == pytest.approx(second["kpis"]["km"] - first["kpis"]["km"], abs=1e-3)
    moved = comparison["moved"][0]
    assert (moved["from_plan"], moved["to_plan"]) == (done_a["plan_id"], done_b["plan_id"])
    assert moved["stops"] and all(s["changes"] for s in moved["stops"])
    assert any("time" in s["changes"] for s in moved["stops"])

    assert client.delete(f"/api/plans/{done_b['plan_id']}").status_code == 204
    assert_json_error(client.get(f"/api/plans/{done_b['plan_id']}"), 404)
    body = assert_json_error(client.get(f"/api/compare?plans={done_a['plan_id']},{done_b['plan_id']}"), 404)
    assert str(done_b["plan_id"]) in body["error"]
    # the job that made it stays, without its plan
    assert client.get(f"/api/jobs/{job_b['id']}").get_json()["plan_id"] is None


def test_compare_refuses_bad_lists(client):
    for query in ("", "?plans=1", "?plans=1,x", "?plans=2,2", "?plans=" + ",".join(map(str, range(1, 13)))):
        body = assert_json_error(client.get("/api/compare" + query), 422)
        assert body["problems"][0]["column"] == "plans"


def test_moved_stops_names_day_time_added_dropped():
    from routeplanner.web.api_documents import moved_stops

    def doc(*visits):
        routes = {}
        for stop_id, week, day, arrival in visits:
            routes.setdefault((week, day), []).append(
                {"stop_id": stop_id, "name": stop_id.upper(), "arrival": arrival, "departure": arrival}
            )
        return {"routes": [{"week": w, "day": d, "vehicle": "V", "visits": v} for (w, d), v in routes.items()]}

    a = doc(("same", 1, "Mon", "09:00"), ("day", 1, "Mon", "10:00"), ("time", 1, "Tue", "09:00"),
            ("gone", 1, "Wed", "09:00"))
    b = doc(("same", 1, "Mon", "09:00"), ("day", 1, "Thu", "10:00"), ("time", 1, "Tue", "09:30"),
            ("new", 1, "Fri", "09:00"))
    changes = {m["stop_id"]: m["changes"] for m in moved_stops(a, b)}
    assert changes == {"day": ["day"], "time": ["time"], "gone": ["dropped"], "new": ["added"]}


# --- what goes wrong at the HTTP level -----------------------------------------------------


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/api/scenarios/999"),
        ("put", "/api/scenarios/999"),
        ("delete", "/api/scenarios/999"),
        ("post", "/api/scenarios/999/copy"),
        ("get", "/api/scenarios/999/stops"),
        ("put", "/api/scenarios/999/stops"),
        ("post", "/api/scenarios/999/solve"),
        ("get", "/api/scenarios/999/jobs"),
        ("get", "/api/scenarios/999/plans"),
        ("get", "/api/jobs/999"),
        ("post", "/api/jobs/999/cancel"),
        ("get", "/api/plans/999"),
        ("get", "/api/plans/999/check"),
        ("delete", "/api/plans/999"),
        ("get", "/api/compare?plans=998,999"),
        ("get", "/api/nothing/here"),
        ("get", "/api/scenarios/abc"),
    ],
)
def test_unknown_ids_are_json_404(client, method, url):
    kwargs = {"json": []} if method == "put" else {}
    assert_json_error(getattr(client, method)(url, **kwargs), 404)


@pytest.mark.parametrize(
    "method, url",
    [
        ("delete", "/api/scenarios"),
        ("post", "/api/scenarios/1"),
        ("get", "/api/scenarios/1/solve"),
        ("delete", "/api/jobs/1"),
        ("get", "/api/jobs/1/cancel"),
        ("put", "/api/plans/1"),
        ("post", "/api/compare"),
        ("patch", "/api/scenarios/1/stops"),
    ],
)
def test_wrong_methods_are_json_405(client, method, url):
    response = getattr(client, method)(url)
    assert_json_error(response, 405)
    assert response.headers["Allow"]


def test_oversize_upload_is_json_413(client, app):
    big = b"name,lat,lon,loans_per_visit\n" + b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1024)
    assert_json_error(upload(client, {"stops": (big, "big.csv")}, FORM), 413)
    assert_json_error(client.put(f"/api/scenarios/{SAMPLE_ID}/stops", data=big, content_type="application/json"), 413)
    assert scenario_count(app) == 1


@pytest.mark.parametrize(
    "method, url",
    [
        ("post", "/api/scenarios"),
        ("put", f"/api/scenarios/{SAMPLE_ID}"),
        ("put", f"/api/scenarios/{SAMPLE_ID}/stops"),
        ("post", f"/api/scenarios/{SAMPLE_ID}/solve"),
        ("post", f"/api/scenarios/{SAMPLE_ID}/copy"),
    ],
)
@pytest.mark.parametrize("payload", [b'{"name": "x",', b"\xff\xfe not json", b'{"time_limit_s": NaN}'])
def test_malformed_json_is_json_400(client, app, method, url, payload):
    before = client.get(f"/api/scenarios/{SAMPLE_ID}").get_json()
    response = getattr(client, method)(url, data=payload, content_type="application/json")
    assert_json_error(response, 400)
    assert scenario_count(app) == 1
    assert client.get(f"/api/scenarios/{SAMPLE_ID}").get_json() == before


def test_json_of_the_wrong_shape_is_refused(client):
    assert_json_error(client.post("/api/scenarios", json=[1, 2]), 400)
    assert_json_error(client.put(f"/api/scenarios/{SAMPLE_ID}", json="text"), 400)
    body = assert_json_error(client.post("/api/scenarios", json={"name": "no stops"}), 422)
    assert body["problems"][0]["column"] == "stops"
    body = assert_json_error(client.put(f"/api/scenarios/{SAMPLE_ID}/stops", json={"stops": "none"}), 422)
    assert body["problems"][0]["file"] == "stops"


def test_html_pages_keep_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


# --- the OpenAPI document ------------------------------------------------------------------


def _routes(app) -> set[tuple[str, str]]:
    out = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            out.add((path, method.lower()))
    return out


def test_openapi_describes_exactly_the_api(client, app):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    described = {
        (path, method)
        for path, item in doc["paths"].items()
        for method in item
        if method in {"get", "put", "post", "delete", "patch"}
    }
    assert described == _routes(app)
    # every operation answers something, and every $ref resolves
    refs = re.findall(r'"\$ref": "#/components/schemas/([A-Za-z]+)"', json.dumps(doc))
    assert refs and set(refs) <= set(doc["components"]["schemas"])
    for item in doc["paths"].values():
        for method, op in item.items():
            if method != "parameters":
                assert op["responses"] and op["operationId"]
    for name, schema in doc["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_json_answers_are_json_not_html(client):
    stops = client.get(f"/api/scenarios/{SAMPLE_ID}/stops").get_json()["stops"]
    stops[0]["name"] = NASTY_NAMES[0]
    response = client.put(f"/api/scenarios/{SAMPLE_ID}/stops", json=stops)
    assert response.mimetype == "application/json"
    assert response.get_json()["stops"][0]["name"] == NASTY_NAMES[0]


@pytest.mark.both_databases
def test_plan_row_documents_are_unchanged_by_the_api(app, client):
    """GET /api/plans/<id> is the stored document plus four keys, nothing rewritten."""
    from routeplanner.web import db

    document_ = {"scenario": "S", "cycle": {"weeks": 1, "days": ["Mon"]}, "travel": {"method": "haversine",
                 "speed_kmh": 45}, "routes": [], "unserved": [], "totals": {"distance_km": 0, "service_minutes": 0,
                 "visits": 0, "stops_served": 0, "stops_total": 0, "loans_served": 0, "loans_total": 0}}
    with db.new_session(app) as s:
        row = PlanRow(scenario_id=SAMPLE_ID, plan=document_, scenario_snapshot={}, label="hand")
        s.add(row)
        s.commit()
        plan_id = row.id
    got = client.get(f"/api/plans/{plan_id}").get_json()
    assert {k: v for k, v in got.items() if k not in ("id", "scenario_id", "label", "created_at")} == document_


def _fits(container, key) -> bool:
    if isinstance(container, dict):
        return isinstance(key, str)
    return isinstance(container, list) and isinstance(key, int) and key < len(container)


def _put(doc, path, value) -> None:
    """doc[path[0]][path[1]]... = value, when that place exists (else nothing)."""
    target = doc
    for key in path[:-1]:
        if not _fits(target, key) or not isinstance(target[key] if isinstance(target, list) else target.get(key),
                                                    (dict, list)):
            return
        target = target[key]
    if _fits(target, path[-1]):
        target[path[-1]] = value


@pytest.mark.both_databases
def test_scrambled_scenarios_never_make_a_500(client, app):
    """Deterministic fuzzing: each case breaks one part of a valid scenario in a random way."""
    import random

    rng = random.Random(20261130)
    base = client.get(f"/api/scenarios/{SAMPLE_ID}").get_json()
    base["stops"] = base["stops"][:4]
    junk = [None, True, -1, 0, 1e308, "", "x" * 400, "\x00", "25:61", [], [1, "a"], {}, {"a": {"b": 1}},
            "Mon;Tue", ["Mon", "Mon"], "NaN", 3.5, "../../etc/passwd", "<script>"]
    paths = [
        ("name",), ("depot",), ("depot", "lat"), ("depot", "name"), ("cycle",), ("cycle", "weeks"),
        ("cycle", "days"), ("cycle", "start_date"), ("vehicles",), ("vehicles", 0), ("vehicles", 0, "shift_start"),
        ("vehicles", 0, "capacity_books"), ("travel",), ("travel", "method"), ("travel", "matrix"),
        ("solver", "work_limit"), ("stops",), ("stops", 0), ("stops", 1, "lat"), ("stops", 2, "days"),
        ("stops", 3, "frequency"), ("stops", 0, "name"), ("stops", 1, "window_end"), ("stops", 0, "id"),
    ]
    created = 0
    for _ in range(120):
        doc = json.loads(json.dumps(base))
        for _ in range(rng.randint(1, 3)):
            _put(doc, rng.choice(paths), json.loads(json.dumps(rng.choice(junk))))
        response = client.post("/api/scenarios", json=doc)
        assert response.status_code in (201, 422), (doc, response.get_data(as_text=True))
        assert response.mimetype == "application/json"
        created += response.status_code == 201
    assert scenario_count(app) == 1 + created


def test_a_plan_stored_before_v1_1_is_served_with_its_derived_timetable(app, client, validate_plan):
    from meridian import make_plan
    from routeplanner.io.planjson import plan_to_dict
    from routeplanner.web import db

    document = plan_to_dict(make_plan())
    timetable = document.pop("timetable")
    document.pop("timetable_unpublished")
    with db.new_session(app) as s:
        row = PlanRow(scenario_id=SAMPLE_ID, label="old", plan=document, scenario_snapshot={}, params={})
        s.add(row)
        s.commit()
        plan_id = row.id
    served = client.get(f"/api/plans/{plan_id}").get_json()
    assert validate_plan(served) == []
    assert served["timetable"] == timetable and served["timetable_unpublished"] == []
