"""The HTML pages, through Flask's test client: every route, bad input, unknown ids, hostile names.

Plans are made here in the test process with the solver on small scenarios
(the pages never import it), stored as the runner stores them.
"""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from routeplanner import jobs, store
from routeplanner.io import read_stops_bytes
from routeplanner.io.jsonform import scenario_to_dict
from routeplanner.io.planjson import plan_to_dict
from routeplanner.web import db
from routeplanner.web.pages import PAGE_BLUEPRINTS

SAMPLE_ID = 1

HOSTILE = ("<img src=x onerror=alert(1)>", "Vila ${alert(1)}", "C:\\users\\x")
HOSTILE_ESCAPED = ("&lt;img src=x onerror=alert(1)&gt;", "Vila ${alert(1)}", "C:\\users\\x")

HEADER = "id,name,lat,lon,loans_per_visit,frequency,service_minutes,window_start,window_end,days,priority\n"
STOPS_CSV = HEADER + (
    'img,"<img src=x onerror=alert(1)>",55.98,25.60,20,weekly,,,,,\n'
    'vila,"Vila ${alert(1)}",55.95,25.65,15,fortnightly,,,,,\n'
    'path,"C:\\users\\x",55.99,25.55,10,fortnightly,,,,,\n'
    "kamajai,Kamajai,55.82,25.50,30,weekly,,,,,\n"
    "obeliai,Obeliai,55.94,25.80,25,fortnightly,,09:00,13:00,,must\n"
    "far,Faraway,57.5,27.0,5,,,,,,\n"
)

SETTINGS = {
    "name": "Hostile <b>test</b> ${x}",
    "depot_name": "Depot <i>1</i>",
    "depot_lat": "55,9644",  # a decimal comma, as typed on a Lithuanian laptop
    "depot_lon": "25.5912",
    "cycle_weeks": "2",
    "cycle_days_sent": "1",  # the hidden field beside the day checkboxes
    "cycle_days": ["Mon", "Tue", "Wed"],
    "cycle_start_date": "2026-11-30",
    "vehicle-0-name": "Van `one`",
    "vehicle-0-capacity_books": "2000",
    "vehicle-0-shift_start": "08:00",
    "vehicle-0-shift_end": "17:00",
    "vehicle-0-break_minutes": "45",
    "vehicle-0-break_after_minutes": "270",
}


# --- helpers ---------------------------------------------------------------------------


def count(app, model) -> int:
    with db.new_session(app) as s:
        return s.scalar(select(func.count()).select_from(model))


def upload(client, csv_text: str = STOPS_CSV, filename: str = "stops.csv", **overrides):
    data = dict(SETTINGS)
    data.update(overrides)
    data["stops_file"] = (io.BytesIO(csv_text.encode("utf-8")), filename)
    return client.post("/scenarios/new", data=data, content_type="multipart/form-data")


def new_scenario(client, **overrides) -> int:
    response = upload(client, **overrides)
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def add_plan(app, scenario_id: int, label: str = "", *, time_limit_s: float = 5.0, work_limit: int = 60,
             vehicles=None) -> int:
    """Solve in this process and store the plan as the runner would."""
    import dataclasses

    from routeplanner.solver import solve

    with db.new_session(app) as s:
        row = s.get(store.ScenarioRow, scenario_id)
        scenario = row.to_model()
        if vehicles is not None:
            scenario = dataclasses.replace(scenario, vehicles=vehicles)
        plan = solve(scenario, time_limit_s=time_limit_s, work_limit=work_limit)
        t = plan.totals
        prow = store.PlanRow(
            scenario_id=scenario_id, label=label, plan=plan_to_dict(plan), scenario_snapshot=scenario_to_dict(scenario),
            params={"time_limit_s": time_limit_s, "work_limit": work_limit}, solver_version=plan.info.solver,
            run_time_s=plan.info.run_time_s, distance_km=t.distance_km, stops_served=t.stops_served,
            stops_total=t.stops_total, loans_served=t.loans_served, loans_total=t.loans_total,
        )
        s.add(prow)
        s.commit()
        return prow.id


def store_hand_plan(app, plan, scenario, label: str = "hand") -> int:
    """Store a hand-made plan (tests/meridian.py) of ``scenario`` under the sample scenario; its id."""
    t = plan.totals
    with db.new_session(app) as s:
        row = store.PlanRow(scenario_id=SAMPLE_ID, label=label, plan=plan_to_dict(plan),
                            scenario_snapshot=scenario_to_dict(scenario), params={}, solver_version="test",
                            run_time_s=1.0, distance_km=t.distance_km, stops_served=t.stops_served,
                            stops_total=t.stops_total, loans_served=t.loans_served, loans_total=t.loans_total)
        s.add(row)
        s.commit()
        return row.id


def text(response) -> str:
    return response.get_data(as_text=True)


def assert_friendly(response, status: int) -> str:
    assert response.status_code == status, text(response)[:500]
    body = text(response)
    assert response.mimetype == "text/html"
    assert "<!doctype html>" in body and "Traceback" not in body
    return body


def assert_hostile_escaped(body: str) -> None:
    assert "<img src=x" not in body
    assert "<b>test</b>" not in body and "<i>1</i>" not in body


@pytest.fixture
def hostile(app, client):
    """A scenario with the three hostile stop names, and two plans of it."""
    sid = new_scenario(client)
    p1 = add_plan(app, sid, "first <script>alert(2)</script>")
    p2 = add_plan(app, sid, "second", work_limit=5)
    return sid, p1, p2


# --- scenario list and upload ------------------------------------------------------------


def test_index_lists_the_sample_with_actions(client):
    body = assert_friendly(client.get("/"), 200)
    assert "Rokiškis mobile library" in body
    assert 'action="/scenarios/1/plan"' in body and 'action="/scenarios/1/copy"' in body
    assert "not planned yet" in body


def test_index_shows_last_plan_kpis(app, client, hostile):
    sid, p1, p2 = hostile
    body = text(client.get("/"))
    assert f'href="/plans/{p2}"' in body
    assert "km" in body


def test_new_scenario_form(client):
    body = assert_friendly(client.get("/scenarios/new"), 200)
    assert 'enctype="multipart/form-data"' in body
    for name in ("name", "depot_name", "depot_lat", "depot_lon", "cycle_weeks", "cycle_days", "cycle_start_date",
                 "vehicle-0-name", "vehicle-0-capacity_books", "vehicle-0-shift_start", "vehicle-0-shift_end",
                 "vehicle-0-break_minutes", "stops_file", "copy_from"):
        assert f'name="{name}"' in body, name


@pytest.mark.both_databases
def test_upload_creates_the_scenario(app, client):
    sid = new_scenario(client)
    with db.new_session(app) as s:
        row = s.get(store.ScenarioRow, sid)
        model = row.to_model()
    assert model.name == SETTINGS["name"]
    assert model.depot.lat == pytest.approx(55.9644)
    assert model.cycle.weeks == 2 and model.cycle.days == ("Mon", "Tue", "Wed")
    assert model.cycle.start_date == date(2026, 11, 30)
    assert model.vehicles[0].name == "Van `one`" and model.vehicles[0].capacity_books == 2000
    assert [s.name for s in model.stops][:3] == list(HOSTILE)
    assert model.stop("obeliai").must and model.stop("obeliai").window_start_min == 9 * 60
    page = client.get(f"/scenarios/{sid}")
    assert_friendly(page, 200)
    assert "Scenario created with 6 stops." in text(page)


def test_upload_xlsx(app, client):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for line in STOPS_CSV.strip().splitlines():
        import csv

        sheet.append(next(csv.reader([line])))
    buf = io.BytesIO()
    book.save(buf)
    data = dict(SETTINGS, stops_file=(io.BytesIO(buf.getvalue()), "stops.xlsx"))
    response = client.post("/scenarios/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 303, text(response)
    assert count(app, store.StopRow) > 53


def test_bad_upload_lists_every_problem_and_saves_nothing(app, client):
    before = (count(app, store.ScenarioRow), count(app, store.StopRow))
    bad = HEADER + (
        "a,Alpha,55.9,25.6,many,weekly,,,,,\n"
        "b,Beta,95,25.6,10,sometimes,,,,,\n"
        "c,,55.9,25.6,10,,,25:00,,Xyz,maybe\n"
    )
    response = upload(client, bad, filename="my <stops>.csv", depot_lat="95", cycle_days=[])
    body = assert_friendly(response, 422)
    assert "nothing was saved" in body
    rows = re.findall(r'<tr>\s*<td[^>]*>(.*?)</td>\s*<td class="num"[^>]*>(.*?)</td>\s*<td[^>]*><code>(.*?)</code></td>',
                      body, re.S)
    cells = {(where.strip(), row.strip(), col.strip()) for where, row, col in rows}
    assert ("my &lt;stops&gt;.csv", "2", "loans_per_visit") in cells
    assert ("my &lt;stops&gt;.csv", "3", "lat") in cells
    assert ("my &lt;stops&gt;.csv", "3", "frequency") in cells
    assert ("my &lt;stops&gt;.csv", "4", "name") in cells
    assert ("my &lt;stops&gt;.csv", "4", "window_start") in cells
    assert ("my &lt;stops&gt;.csv", "4", "days") in cells
    assert ("my &lt;stops&gt;.csv", "4", "priority") in cells
    assert ("settings", "—", "depot.lat") in cells
    assert ("settings", "—", "cycle.days") in cells
    assert (count(app, store.ScenarioRow), count(app, store.StopRow)) == before
    # what was typed stays in the form
    assert 'value="95"' in body and "Hostile &lt;b&gt;test&lt;/b&gt;" in body


@pytest.mark.parametrize(
    "payload",
    [
        {},  # no file at all
        {"stops_file": (io.BytesIO(b""), "")},  # the file button left empty
        {"stops_file": (io.BytesIO(b""), "empty.csv")},
        {"stops_file": (io.BytesIO(b"\x00\x01binary\xff\xfe"), "x.xlsx")},
        {"stops_file": (io.BytesIO(b"a;b;c\n1;2;3\n"), "other.csv")},
        {"stops_file": (io.BytesIO(b"whatever"), "old.xls")},
    ],
)
def test_bad_files_are_refused_cleanly(app, client, payload):
    before = count(app, store.ScenarioRow)
    data = dict(SETTINGS)
    data.update(payload)
    response = client.post("/scenarios/new", data=data, content_type="multipart/form-data")
    body = assert_friendly(response, 422)
    assert "problem" in body
    assert count(app, store.ScenarioRow) == before


def test_too_large_upload_gets_a_page(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    data = dict(SETTINGS, stops_file=(io.BytesIO(b"x" * 4096), "big.csv"))
    response = client.post("/scenarios/new", data=data, content_type="multipart/form-data")
    assert_friendly(response, 413)


@pytest.mark.both_databases
def test_copy_scenario(app, client):
    response = client.post(f"/scenarios/{SAMPLE_ID}/copy", data={"name": "Copy <two>"})
    assert response.status_code == 303
    new_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with db.new_session(app) as s:
        row = s.get(store.ScenarioRow, new_id)
        assert row.copied_from_id == SAMPLE_ID and row.name == "Copy <two>"
        assert len(row.stops) == len(s.get(store.ScenarioRow, SAMPLE_ID).stops)
    response = client.post("/scenarios/copy", data={"copy_from": str(SAMPLE_ID), "name": ""})
    assert response.status_code == 303
    body = text(client.get(response.headers["Location"]))
    assert "(sample) (copy)" in body  # one rule for every copy (routeplanner.services.copy_name)


def test_copy_unknown_or_bad(client):
    assert_friendly(client.post("/scenarios/999/copy"), 404)
    assert_friendly(client.post("/scenarios/copy", data={"copy_from": "abc"}), 422)
    assert_friendly(client.post("/scenarios/copy", data={"copy_from": "999"}), 404)


# --- one scenario: stops and settings --------------------------------------------------------


def stops_form(client, sid: int) -> dict[str, str]:
    """The stops editor's fields as the browser would send them untouched."""
    body = text(client.get(f"/scenarios/{sid}"))
    form = body[body.index('id="stops-form"'):body.index("</form>", body.index('id="stops-form"'))]
    form = form[:form.index("<template")] if "<template" in form else form
    data: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        if 'type="checkbox"' in tag:
            if "checked" in tag:
                data[name.group(1)] = value.group(1)
        else:
            import html

            data[name.group(1)] = html.unescape(value.group(1)) if value else ""
    return data


def test_scenario_page(client):
    body = assert_friendly(client.get(f"/scenarios/{SAMPLE_ID}"), 200)
    for part in ('id="plan"', 'id="plans"', 'id="stops"', 'id="settings"', 'name="stop-0-loans_per_visit"',
                 'name="vehicle-1-name"', 'name="travel_speed_kmh"', 'name="solver_time_limit_s"'):
        assert part in body


def test_unknown_scenario_is_a_friendly_404(client):
    body = assert_friendly(client.get("/scenarios/12345"), 404)
    assert "no scenario number 12345" in body


@pytest.mark.both_databases
def test_edit_stops_saves_all_changes(app, client):
    data = stops_form(client, SAMPLE_ID)
    n = sum(1 for k in data if k.endswith("-name")) - 1  # the blank new row
    first_id = data["stop-0-id"]
    data.update({
        "stop-0-loans_per_visit": "99,5",
        "stop-0-frequency": "weekly",
        "stop-0-window_start": "10:00",
        "stop-0-window_end": "14:00",
        "stop-0-days": "Tue;Thu",
        "stop-0-priority": "must",
        "stop-1-delete": "1",
        f"stop-{n}-name": "Naujas <stop>",
        f"stop-{n}-lat": "55.9",
        f"stop-{n}-lon": "25.6",
        f"stop-{n}-loans_per_visit": "12",
    })
    response = client.post(f"/scenarios/{SAMPLE_ID}/stops", data=data)
    assert response.status_code == 303, text(response)[:2000]
    with db.new_session(app) as s:
        model = s.get(store.ScenarioRow, SAMPLE_ID).to_model()
    assert len(model.stops) == n  # one deleted, one added
    first = model.stop(first_id)
    assert first.loans_per_visit == 99.5 and first.frequency.period_weeks == 1
    assert (first.window_start_min, first.window_end_min) == (600, 840)
    assert first.days == ("Tue", "Thu") and first.must
    assert model.stops[-1].name == "Naujas <stop>" and model.stops[-1].id == "naujas-stop"
    assert "Naujas &lt;stop&gt;" in text(client.get(f"/scenarios/{SAMPLE_ID}"))


def test_edit_stops_with_problems_saves_nothing(app, client):
    with db.new_session(app) as s:
        before = s.get(store.ScenarioRow, SAMPLE_ID).to_model()
    data = stops_form(client, SAMPLE_ID)
    data.update({
        "stop-2-loans_per_visit": "lots",
        "stop-4-window_start": "14:00",
        "stop-4-window_end": "10:00",
        "stop-6-frequency": "every now and then",
        "stop-7-days": "Funday",
        "stop-8-id": data["stop-9-id"],
    })
    response = client.post(f"/scenarios/{SAMPLE_ID}/stops", data=data)
    body = assert_friendly(response, 422)
    for shown_row in ("3", "5", "7", "8", "10"):
        assert re.search(rf'<td class="num"[^>]*>{shown_row}</td>\s*<td[^>]*><code>', body), shown_row
    assert "row 9 already has id" in body  # rows named in messages are the editor's rows too
    assert body.count('class="has-problem') >= 5
    assert 'value="lots"' in body  # the coordinator's typing is kept
    with db.new_session(app) as s:
        assert s.get(store.ScenarioRow, SAMPLE_ID).to_model() == before


def test_deleting_every_stop_is_refused(app, client):
    data = stops_form(client, SAMPLE_ID)
    for key in list(data):
        if key.endswith("-id") and data[key]:
            data[key.replace("-id", "-delete")] = "1"
    body = assert_friendly(client.post(f"/scenarios/{SAMPLE_ID}/stops", data=data), 422)
    assert "at least one stop" in body
    assert count(app, store.StopRow) == 53


@pytest.mark.both_databases
def test_settings_add_a_second_vehicle_and_change_everything(app, client):
    data = {
        "name": "Two vans",
        "depot_name": "Library",
        "depot_lat": "55.96",
        "depot_lon": "25.59",
        "cycle_weeks": "4",
        "cycle_days_sent": "1",
        "cycle_days": ["Mon", "Wed", "Fri"],
        "cycle_start_date": "2027-01-04",
        "vehicle-0-name": "Bibliobusas",
        "vehicle-0-capacity_books": "2500",
        "vehicle-0-shift_start": "07:30",
        "vehicle-0-shift_end": "16:00",
        "vehicle-0-break_minutes": "30",
        "vehicle-0-break_after_minutes": "240",
        "vehicle-1-name": "Second van",
        "vehicle-1-capacity_books": "800",
        "vehicle-1-shift_start": "09:00",
        "vehicle-1-shift_end": "15:00",
        "vehicle-1-break_minutes": "",
        "vehicle-1-break_after_minutes": "",
        "travel_method": "geodesic",
        "travel_circuity": "1,4",
        "travel_speed_kmh": "50",
        "solver_time_limit_s": "12",
        "solver_stable_minutes": "10",
        "solver_work_limit": "500",
    }
    response = client.post(f"/scenarios/{SAMPLE_ID}/settings", data=data)
    assert response.status_code == 303, text(response)[:3000]
    with db.new_session(app) as s:
        model = s.get(store.ScenarioRow, SAMPLE_ID).to_model()
    assert model.name == "Two vans" and model.depot.name == "Library"
    assert model.cycle.weeks == 4 and model.cycle.days == ("Mon", "Wed", "Fri")
    assert model.cycle.start_date == date(2027, 1, 4)
    assert [v.name for v in model.vehicles] == ["Bibliobusas", "Second van"]
    assert model.vehicles[0].shift_start_min == 450 and model.vehicles[0].break_minutes == 30
    assert model.vehicles[1].capacity_books == 800 and model.vehicles[1].break_minutes == 45  # default
    assert model.travel.method == "geodesic" and model.travel.circuity == 1.4 and model.travel.speed_kmh == 50
    assert model.solver.time_limit_s == 12 and model.solver.stable_minutes == 10 and model.solver.work_limit == 500
    assert len(model.stops) == 53
    # remove the second vehicle again
    data["vehicle-1-delete"] = "1"
    assert client.post(f"/scenarios/{SAMPLE_ID}/settings", data=data).status_code == 303
    with db.new_session(app) as s:
        assert len(s.get(store.ScenarioRow, SAMPLE_ID).to_model().vehicles) == 1


def test_bad_settings_save_nothing(app, client):
    with db.new_session(app) as s:
        before = s.get(store.ScenarioRow, SAMPLE_ID).settings
    data = {
        "name": "",
        "depot_lat": "north",
        "cycle_weeks": "0",
        "cycle_days_sent": "1",
        "cycle_days": ["Mon", "Tue"],
        "cycle_start_date": "2026-12-01",  # a Tuesday, the cycle starts on Monday
        "vehicle-0-name": "A",
        "vehicle-0-shift_start": "17:00",
        "vehicle-0-shift_end": "08:00",
        "vehicle-1-name": "A",
        "travel_speed_kmh": "0",
        "solver_time_limit_s": "-1",
    }
    body = assert_friendly(client.post(f"/scenarios/{SAMPLE_ID}/settings", data=data), 422)
    for key in ("name", "depot.lat", "cycle.weeks", "vehicles[1].shift_end", "vehicles[2].name", "travel.speed_kmh",
                "solver.time_limit_s"):
        assert f"<code>{key}</code>" in body, key
    assert 'value="north"' in body
    with db.new_session(app) as s:
        assert s.get(store.ScenarioRow, SAMPLE_ID).settings == before


def test_only_travel_methods_that_plan_are_offered(app, client):
    """A method the solver cannot use (``osrm`` was offered once) is neither offered nor accepted."""
    body = assert_friendly(client.get(f"/scenarios/{SAMPLE_ID}"), 200)
    select = re.search(r'<select id="f-travel_method".*?</select>', body, re.S).group(0)
    assert re.findall(r'<option value="([^"]+)"', select) == ["haversine", "geodesic"]
    data = {"vehicle-0-name": "Bibliobusas", "travel_method": "osrm"}
    body = assert_friendly(client.post(f"/scenarios/{SAMPLE_ID}/settings", data=data), 422)
    assert "<code>travel.method</code>" in body
    response = client.put(f"/api/scenarios/{SAMPLE_ID}",
                          json={**client.get(f"/api/scenarios/{SAMPLE_ID}").get_json(), "travel": {"method": "osrm"}})
    assert response.status_code == 422 and response.get_json()["problems"][0]["column"] == "travel.method"


def test_removing_every_vehicle_is_refused(client):
    data = {"vehicle-0-name": "Bibliobusas", "vehicle-0-delete": "1"}
    body = assert_friendly(client.post(f"/scenarios/{SAMPLE_ID}/settings", data=data), 422)
    assert "<code>vehicles</code>" in body


def test_garbage_forms_never_500(client):
    for url in (f"/scenarios/{SAMPLE_ID}/stops", f"/scenarios/{SAMPLE_ID}/settings"):
        for data in ({}, {"stop-x-name": "a", "vehicle-y-name": "b"}, {"stop-0-lat": "1e999", "cycle_weeks": "1e999"},
                     {"stop-0-name": "\x00", "stop-0-lat": "nan", "stop-0-lon": "inf", "stop-0-loans_per_visit": "-1"}):
            response = client.post(url, data=data)
            assert response.status_code in (303, 422), (url, data, response.status_code)


def test_download_stops_csv(client):
    response = client.get(f"/scenarios/{SAMPLE_ID}/stops.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    stops = read_stops_bytes(response.data, "stops.csv")
    assert len(stops) == 53
    assert client.get("/scenarios/999/stops.csv").status_code == 404


@pytest.mark.both_databases
def test_delete_scenario(app, client, hostile):
    sid, p1, _p2 = hostile
    response = client.post(f"/scenarios/{sid}/delete")
    assert response.status_code == 303
    assert client.get(f"/scenarios/{sid}").status_code == 404
    assert client.get(f"/plans/{p1}").status_code == 404
    assert_friendly(client.post("/scenarios/999/delete"), 404)


def test_get_on_a_post_route_is_a_friendly_405(client):
    assert_friendly(client.get(f"/scenarios/{SAMPLE_ID}/delete"), 405)


# --- planning --------------------------------------------------------------------------------


def test_plan_button_queues_a_solve_and_shows_progress(app, client):
    response = client.post(f"/scenarios/{SAMPLE_ID}/plan", data={"time_limit_s": "7", "label": "quick <one>"})
    assert response.status_code == 303
    job_url = response.headers["Location"]
    job_id = int(job_url.rsplit("/", 1)[1])
    with db.new_session(app) as s:
        job = s.get(store.JobRow, job_id)
        assert job.status == "queued" and job.params["time_limit_s"] == 7.0 and job.params["label"] == "quick <one>"
    body = assert_friendly(client.get(job_url), 200)
    assert f'data-job-url="/api/jobs/{job_id}"' in body
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in body
    assert "<progress" in body and "quick &lt;one&gt;" in body
    assert 'action="/jobs/%d/cancel"' % job_id in body
    # the scenario page shows it too
    assert f'data-job-url="/api/jobs/{job_id}"' in text(client.get(f"/scenarios/{SAMPLE_ID}"))
    # cancel without JavaScript
    response = client.post(f"/jobs/{job_id}/cancel")
    assert response.status_code == 303
    body = text(client.get(job_url))
    assert "cancelled" in body and "<noscript><meta" not in body


@pytest.mark.parametrize("limit", ["abc", "0", "-5", "99999999"])
def test_plan_with_a_bad_time_limit(app, client, limit):
    before = count(app, store.JobRow)
    body = assert_friendly(client.post(f"/scenarios/{SAMPLE_ID}/plan", data={"time_limit_s": limit}), 422)
    assert "time_limit_s" in body
    assert count(app, store.JobRow) == before


def test_plan_unknown_scenario_and_job(client):
    assert_friendly(client.post("/scenarios/999/plan"), 404)
    assert_friendly(client.get("/jobs/999"), 404)
    assert_friendly(client.post("/jobs/999/cancel"), 404)


def test_plan_runs_in_the_real_runner(app, client, live_runner, wait_job):
    response = client.post(f"/scenarios/{SAMPLE_ID}/plan", data={"time_limit_s": "3"})
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    status = wait_job(client, job_id, timeout=90)
    assert status["status"] == jobs.DONE, status
    body = text(client.get(f"/jobs/{job_id}"))
    assert f'href="/plans/{status["plan_id"]}"' in body
    assert_friendly(client.get(f"/plans/{status['plan_id']}"), 200)


# --- plan pages --------------------------------------------------------------------------------


def test_plan_page(client, hostile):
    sid, p1, p2 = hostile
    body = assert_friendly(client.get(f"/plans/{p1}"), 200)
    assert f'<iframe class="map" src="/plans/{p1}/map"' in body
    for link in (f"/plans/{p1}/driver", f"/plans/{p1}/timetable", f"/plans/{p1}/poster", f"/compare?plan={p2}"):
        assert link in body, link
    assert "Stops served" in body and "Timetable" in body
    assert "Faraway" in body and "not served" in body  # unserved list with the reason
    assert "first &lt;script&gt;alert(2)&lt;/script&gt;" in body
    assert_friendly(client.get("/plans/999"), 404)


def test_plan_map_page(client, hostile):
    sid, p1, _ = hostile
    response = client.get(f"/plans/{p1}/map")
    assert response.status_code == 200 and response.mimetype == "text/html"
    body = text(response)
    assert re.search(r'<script nonce="[^"]+" src="/static/vendor/leaflet/leaflet.js"></script>', body)
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', body)
    assert "L.control.layers" in body and "feature_group" in body
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert client.get("/plans/999/map").status_code == 404


def test_driver_pages(client, hostile):
    sid, p1, _ = hostile
    body = assert_friendly(client.get(f"/plans/{p1}/driver"), 200)
    assert f"/plans/{p1}/driver/1" in body and f"/plans/{p1}/driver/week/1" in body
    sheet = assert_friendly(client.get(f"/plans/{p1}/driver/1"), 200)
    assert "<svg" in sheet and "<polyline" in sheet and "Arrive" in sheet and "Leg km" in sheet
    assert "leave the depot" in sheet and "back at the depot" in sheet
    assert "Mon 30 Nov 2026" in sheet
    week = assert_friendly(client.get(f"/plans/{p1}/driver/week/1"), 200)
    assert week.count('<article class="sheet"') >= 1
    assert_friendly(client.get(f"/plans/{p1}/driver/0"), 404)
    assert_friendly(client.get(f"/plans/{p1}/driver/999"), 404)
    assert_friendly(client.get(f"/plans/{p1}/driver/week/9"), 404)
    assert_friendly(client.get(f"/plans/{p1}/driver/week/1?vehicle=nobody"), 404)
    assert_friendly(client.get("/plans/999/driver/1"), 404)


def test_print_css_has_page_breaks_and_a4():
    from pathlib import Path

    import routeplanner.web

    css = (Path(routeplanner.web.__file__).parent / "static" / "css" / "app.css").read_text()
    assert "@page { size: A4" in css and "page-break-after: always" in css and "@media print" in css


def test_patron_timetable_and_poster(client, hostile):
    sid, p1, _ = hostile
    body = assert_friendly(client.get(f"/plans/{p1}/timetable"), 200)
    assert re.search(r"(Every|Mondays|Tuesdays|Wednesdays|Monday|Tuesday|Wednesday)[^<]*\d\d:\d\d–\d\d:\d\d", body)
    assert "of the cycle" in body or "Every" in body
    assert "Next dates" in body and "2026" in body
    assert f"/plans/{p1}/calendar?stop=kamajai" in body
    assert "Not in this timetable" in body and "Faraway" in body
    poster = assert_friendly(client.get(f"/plans/{p1}/poster"), 200)
    assert "poster-table" in poster and "Kamajai" in poster
    assert_friendly(client.get("/plans/999/timetable"), 404)
    assert_friendly(client.get("/plans/999/poster"), 404)


def test_calendar_file(client, hostile):
    from icalendar import Calendar

    sid, p1, _ = hostile
    assert client.get(f"/plans/{p1}/calendar/kamajai").data == client.get(f"/plans/{p1}/calendar?stop=kamajai").data
    response = client.get(f"/plans/{p1}/calendar?stop=kamajai")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    cal = Calendar.from_ical(response.data)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 2  # weekly in a 2-week cycle: week 1 and week 2, each repeating every 2 weeks
    for e in events:
        assert e["RRULE"]["FREQ"] == ["WEEKLY"] and e["RRULE"]["INTERVAL"] == [2]
        assert e.decoded("dtstart").date() >= date(2026, 11, 30)
        assert "Kamajai" in str(e["SUMMARY"])
    # a hostile stop: the name is data in the file, the filename is made safe
    response = client.get(f"/plans/{p1}/calendar/img")
    assert response.status_code == 200
    assert re.fullmatch(r'attachment; filename="[A-Za-z0-9._-]+"', response.headers["Content-Disposition"])
    assert_friendly(client.get(f"/plans/{p1}/calendar/far"), 404)  # not served
    assert_friendly(client.get(f"/plans/{p1}/calendar/nope"), 404)
    assert_friendly(client.get(f"/plans/{p1}/calendar?stop=nope"), 404)
    assert_friendly(client.get(f"/plans/{p1}/calendar"), 404)  # which stop?


def test_calendar_without_start_date_is_a_friendly_404(app, client):
    sid = new_scenario(client, cycle_start_date="")
    pid = add_plan(app, sid)
    body = assert_friendly(client.get(f"/plans/{pid}/calendar/kamajai"), 404)
    assert "no start date" in body
    assert "Add to my calendar" not in text(client.get(f"/plans/{pid}/timetable"))


# --- comparing --------------------------------------------------------------------------------


def test_compare_two_plans(app, client, hostile):
    from routeplanner.model import Vehicle

    sid, p1, p2 = hostile
    p3 = add_plan(app, sid, "two vans", vehicles=(Vehicle("A", 2500, 480, 1020), Vehicle("B", 2500, 600, 900)))
    body = assert_friendly(client.get(f"/compare?plan={p1}&plan={p3}"), 200)
    assert "Distance" in body and "Stops served" in body and "Loans served" in body and "Stops not served" in body
    assert "Driving" in body and "Doors open" in body
    assert f'src="/compare/map?plan={p1}&amp;plan={p3}"' in body
    assert "moved day or time" in body
    assert_hostile_escaped(body)
    three = assert_friendly(client.get(f"/compare?plans={p1},{p2},{p3}"), 200)
    assert three.count('<th scope="col"><span class="swatch') == 3
    response = client.get(f"/compare/map?plan={p1}&plan={p3}")
    assert response.status_code == 200 and "L.control.layers" in text(response)


def test_compare_highlights_differences():
    from routeplanner.model import Cycle, Place, Plan, Route, Totals, Travel, Visit
    from routeplanner.web.pages_text import compare_metrics, moved_stops

    depot = Place("D", 55.0, 25.0)

    def plan(day: str, arrival: int, km: float) -> Plan:
        visit = Visit("s", "Stop", 55.1, 25.1, arrival, arrival + 20, 10)
        route = Route("V", 1, day, depot, 480, 900, [visit], distance_m=km * 1000)
        return Plan("x", Cycle(1, ("Mon", "Tue")), Travel(), [route], [],
                    Totals(km, 60, 20, 1, 1, 1, 10, 10))

    a, b = plan("Mon", 600, 100), plan("Tue", 630, 80)
    distance = compare_metrics([a, b])[0]
    assert distance.cells[1].css == "better" and distance.cells[1].diff == "−20 km"
    moved = moved_stops([a, b])
    assert len(moved) == 1 and moved[0].cells[1].css == "changed"
    assert "Tue" in moved[0].cells[1].text and "10:30" in moved[0].cells[1].text
    assert moved_stops([a, plan("Mon", 600, 90)]) == []


def test_compare_needs_two_known_plans(client, hostile):
    sid, p1, p2 = hostile
    body = assert_friendly(client.get("/compare"), 200)
    assert f'value="{p1}"' in body and f'value="{p2}"' in body
    assert "at least two" in assert_friendly(client.get(f"/compare?plan={p1}"), 400)
    assert_friendly(client.get(f"/compare?plan={p1}&plan={p1}"), 400)
    assert_friendly(client.get(f"/compare?plan={p1}&plan=999"), 404)
    assert_friendly(client.get(f"/compare?plan={p1}&plan=abc"), 400)
    assert_friendly(client.get("/compare?plans=1,2,3,4,5,6,7"), 400)
    assert client.get("/compare/map").status_code == 400
    assert client.get("/compare/map?plan=999").status_code == 404


# --- safety across every page -------------------------------------------------------------------


@pytest.mark.both_databases
def test_hostile_names_are_text_on_every_page(app, client, hostile):
    sid, p1, p2 = hostile
    listing_every_stop = [f"/scenarios/{sid}", f"/plans/{p1}", f"/plans/{p1}/timetable", f"/plans/{p1}/poster"]
    others = [
        "/", f"/plans/{p1}/driver", f"/plans/{p1}/driver/1", f"/plans/{p1}/driver/week/1",
        f"/plans/{p1}/driver/week/2", f"/compare?plan={p1}&plan={p2}", "/compare",
    ]
    sheets = ""
    for url in listing_every_stop + others:
        body = assert_friendly(client.get(url), 200)
        assert_hostile_escaped(body)
        assert "<script>alert(2)" not in body
        if url in listing_every_stop:
            for name in HOSTILE_ESCAPED:
                assert name in body, (url, name)
        if "/driver/week/" in url:
            sheets += body
    for name in HOSTILE_ESCAPED:  # each is visited somewhere in the cycle
        assert name in sheets, name
    for url in (f"/plans/{p1}/map", f"/compare/map?plan={p1}&plan={p2}"):
        body = text(client.get(url))
        assert "<img src=x" not in body and "${alert" not in body and "C:\\users" not in body
        assert "&lt;img src=x onerror=alert(1)&gt;" in body or "\\u0026lt;img" in body
        assert "Vila &#36;&#123;alert(1)&#125;" in body or "Vila \\u0026#36;\\u0026#123;alert(1)\\u0026#125;" in body
        assert "C:&#92;users&#92;x" in body or "C:\\u0026#92;users\\u0026#92;x" in body


def test_every_page_route_is_reachable(app, client, hostile):
    """Every GET route of the pages answers (200, or a clean 4xx), never a 500."""
    sid, p1, p2 = hostile
    with db.new_session(app) as s:
        job_id = jobs.submit(s, sid).id
    values = {"scenario_id": sid, "plan_id": p1, "job_id": job_id, "number": 1, "week": 1, "stop_id": "kamajai",
              "fmt": "xlsx"}
    assert client.post(f"/plans/{p1}/publish").status_code == 303  # the patrons' stable addresses answer
    seen = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in PAGE_BLUEPRINTS or "GET" not in rule.methods:
            continue
        url = rule.rule
        for key, value in values.items():
            url = re.sub(rf"<(?:\w+:)?{key}>", str(value), url)
        assert "<" not in url, url
        query = f"?plan={p1}&plan={p2}" if "compare" in url else "?stop=kamajai" if url.endswith("/calendar") else ""
        response = client.get(url + query)
        assert response.status_code == 200, (url, response.status_code)
        seen.add(rule.endpoint)
    assert len(seen) >= 15, seen


def test_unknown_address_is_friendly_and_api_stays_json(client):
    assert "no page at this address" in assert_friendly(client.get("/no/such/page"), 404)
    response = client.get("/api/no/such/thing")
    assert response.status_code == 404 and response.is_json


# --- translations -----------------------------------------------------------------------------------


def test_visible_strings_are_in_the_english_catalogue():
    """``make messages`` is up to date: every string marked for translation is in messages.pot."""
    from pathlib import Path

    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[2]
    translations = root / "routeplanner" / "web" / "translations"
    with open(translations / "messages.pot", "rb") as fh:
        pot = read_po(fh)
    with open(translations / "en" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        po = read_po(fh)
    method_map = [("routeplanner/web/pages*.py", "python"), ("routeplanner/web/maps.py", "python"),
                  ("templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(root), method_map):
        found.add(message if isinstance(message, str) else message[0])
    missing_pot = sorted(m for m in found if m not in pot)
    missing_po = sorted(m for m in found if m not in po)
    assert not missing_pot, f"run `make messages`: {missing_pot[:10]}"
    assert not missing_po, f"run `make messages`: {missing_po[:10]}"


def _patron_plan(weeks: int, visits: list[tuple[str, str, int, str, int, int]]):
    """A plan of ``(stop id, name, week, day, arrival, departure)`` visits, one route per (week, day)."""
    from routeplanner.model import Cycle, Place, Plan, Route, Totals, Travel, Visit

    depot = Place("Depot", 55.0, 25.0)
    routes: dict[tuple[int, str], Route] = {}
    for sid, name, week, day, a, b in visits:
        route = routes.setdefault((week, day), Route("Van", week, day, depot, 480, 1020))
        route.visits.append(Visit(sid, name, 55.0, 25.0, a, b, 10.0))
    cycle = Cycle(weeks, ("Mon", "Tue", "Wed", "Thu", "Fri"), date(2026, 11, 30))
    return Plan("Patrons", cycle, Travel(), list(routes.values()), [], Totals(0, 0, 0, 0, 0, 0, 0, 0))


def test_patron_timetable_one_line_per_stop_with_the_published_window(app):
    from routeplanner.web.pages_text import patron_timetable

    plan = _patron_plan(4, [
        # weekly, arriving at odd and different minutes: one line, the window open on all four visits
        *[("obeliai", "Obeliai", w, "Tue", a, a + 35) for w, a in [(1, 759), (2, 744), (3, 759), (4, 750)]],
        ("kamajai", "Kamajai", 1, "Wed", 600, 645), ("kamajai", "Kamajai", 3, "Wed", 600, 645),
        ("juodupe", "Juodupė", 2, "Mon", 603, 633),
    ])
    with app.test_request_context():
        stops = {t.stop_id: t for t in patron_timetable(plan, None, today=date(2026, 11, 30))}
    assert stops["obeliai"].lines == ["Every Tuesday, 12:40–12:55"]
    assert stops["kamajai"].lines == ["Every other Wednesday, 10:00–10:45"]
    assert stops["juodupe"].lines == ["Every fourth Monday, 10:05–10:30"]
    assert {t for _d, t in stops["obeliai"].dates} == {"12:40–12:55"}
    assert [d for d, _t in stops["juodupe"].dates][:2] == [date(2026, 12, 7), date(2027, 1, 4)]


def test_patron_timetable_without_a_common_window_dates_each_visit(app):
    from routeplanner.web.pages_text import patron_timetable

    plan = _patron_plan(2, [("obeliai", "Obeliai", 1, "Tue", 600, 615), ("obeliai", "Obeliai", 2, "Tue", 612, 627)])
    with app.test_request_context():
        (stop,) = patron_timetable(plan, None, today=date(2026, 11, 30))
    assert stop.lines == ["Every Tuesday, at the times of each date"]
    assert stop.dates[:2] == [(date(2026, 12, 1), "10:00–10:15"), (date(2026, 12, 8), "10:12–10:27")]


@pytest.mark.parametrize(
    "names, expected",
    [
        # Lithuanian: C, Č, D ... S, Š ... Z, Ž, and Y with I
        (["Žiobiškis", "Zarasai", "Čedasai", "Cypliai", "Dauliai", "Šetekšnai", "Salos", "Ylakiai", "Jūžintai",
          "Ignalina", "Ąžuolai", "Bajorai", "Kėdainiai"],
         ["Ąžuolai", "Bajorai", "Cypliai", "Čedasai", "Dauliai", "Ignalina", "Ylakiai", "Jūžintai", "Kėdainiai",
          "Salos", "Šetekšnai", "Zarasai", "Žiobiškis"]),
        # Latvian: C, Č ... G, Ģ ... K, Ķ ... L, Ļ ... N, Ņ ... S, Š ... Z, Ž
        (["Ģipka", "Gaujiena", "Ķegums", "Kalnciems", "Ļaudona", "Lielvārde", "Ņukši", "Nīca", "Šķibe", "Suntaži",
          "Žūrnieki", "Zaube", "Čiekurkalns", "Cesvaine", "Ādaži", "Baldone"],
         ["Ādaži", "Baldone", "Cesvaine", "Čiekurkalns", "Gaujiena", "Ģipka", "Kalnciems", "Ķegums", "Lielvārde",
          "Ļaudona", "Nīca", "Ņukši", "Suntaži", "Šķibe", "Zaube", "Žūrnieki"]),
    ],
)
def test_patron_timetable_lists_stops_in_the_local_alphabet(app, names, expected):
    from routeplanner.web.pages_text import patron_timetable

    plan = _patron_plan(1, [(f"s{i}", n, 1, "Mon", 600 + 30 * i, 620 + 30 * i) for i, n in enumerate(names)])
    with app.test_request_context():
        assert [t.name for t in patron_timetable(plan, None)] == expected


def test_repeated_dates():
    from routeplanner.model import Cycle
    from routeplanner.web.pages_text import repeated_dates, slot_date

    cycle = Cycle(2, ("Mon", "Tue"), date(2026, 11, 30))
    assert slot_date(cycle, 2, "Tue") == date(2026, 12, 8)
    got = repeated_dates(cycle, 1, "Tue", since=date(2026, 12, 2), weeks_ahead=6)
    assert got == [date(2026, 12, 15), date(2026, 12, 29), date(2027, 1, 12)]
    assert repeated_dates(Cycle(2, ("Mon",)), 1, "Mon", since=date(2026, 1, 1)) == []


@pytest.mark.both_databases
def test_text_longer_than_storage_is_refused(app, client):
    before = count(app, store.ScenarioRow)
    long_csv = HEADER + f"x,{'N' * 301},55.9,25.6,10,,,,,,\n" + f"{'i' * 201},Short,55.9,25.6,10,,,,,,\n"
    body = assert_friendly(upload(client, long_csv, name="n" * 301), 422)
    assert "at most 300 characters" in body and "at most 200 characters" in body
    assert count(app, store.ScenarioRow) == before


def test_loans_are_whole_numbers_on_every_page(app, client):
    """Plan, driver sheets, map popups, the scenario's plan list and compare: "13", never "12.5"."""
    from meridian import SCENARIO, make_plan

    plan = make_plan()
    for r in plan.routes:
        for v in r.visits:
            v.loans += 0.5  # 40.5, 20.5, 30.5
    t = plan.totals
    t.loans_served, t.loans_total = 220.5, 230.5
    ids = [store_hand_plan(app, plan, SCENARIO, label) for label in ("a", "b")]
    pages = [f"/plans/{ids[0]}", f"/plans/{ids[0]}/driver/1", f"/plans/{ids[0]}/driver/week/1",
             f"/plans/{ids[0]}/map", f"/scenarios/{SAMPLE_ID}", "/", f"/compare?plans={ids[0]},{ids[1]}"]
    for url in pages:
        body = client.get(url).get_data(as_text=True)
        assert not re.search(r"\b(40|20|30|220|230)\.5\b", body), url
    assert re.search(r">\s*41\s*<", client.get(f"/plans/{ids[0]}").get_data(as_text=True))
    assert "221 / 231" in client.get(f"/plans/{ids[0]}").get_data(as_text=True)


def test_plan_page_names_the_stops_without_one_published_time(app, client):
    from meridian import SCENARIO, make_plan

    plan = make_plan()
    b_week2 = plan.routes[1].visits[0]
    b_week2.arrival_min, b_week2.departure_min = 542, 562  # Obeliai: 08:50-09:10 and 09:02-09:22
    plan_id = store_hand_plan(app, plan, SCENARIO)
    body = text(client.get(f"/plans/{plan_id}"))
    assert "1 stop without one published time" in body
    assert "Obeliai" in body and "08:50-09:10, 09:02-09:22" in body
    patrons = text(client.get(f"/plans/{plan_id}/timetable"))
    assert "Every Tuesday, at the times of each date" in patrons and "Every other Tuesday, 08:10–08:40" in patrons
    # a plan whose every stop has its window says nothing of the kind
    assert "published time" not in text(client.get(f"/plans/{store_hand_plan(app, make_plan(), SCENARIO)}"))


def test_driver_sheet_shows_each_wait_with_its_reason(app):
    from builders import DEPOT, scenario, stop

    from routeplanner.model import Break, Route, Visit
    from routeplanner.web.pages_text import driver_rows

    school = stop("school", 0.1, service=40, window=(10 * 60, 13 * 60))
    village = stop("village", 0.2, service=20)
    other = stop("other", 0.3, service=20)
    visits = [
        # out 08:50, 10 min drive: 50 min early for the school's window
        Visit("school", "School", school.lat, school.lon, 600, 640, 30, leg_drive_min=9.2),
        # 640 + 10 drive + 45 break = 695: opens at 700 to keep its time (5 min wait)
        Visit("village", "Village", village.lat, village.lon, 700, 720, 10, leg_drive_min=10.0),
        # 720 + 3 drive = 723: opens at 725 (2 min: rounding, not shown)
        Visit("other", "Other", other.lat, other.lon, 725, 745, 10, leg_drive_min=3.0),
    ]
    route = Route("Van", 1, "Tue", DEPOT, 530, 760, visits, [Break(645, 45)])
    sc = scenario([school, village, other])
    with app.test_request_context():
        rows = driver_rows(route, sc)
    waits = [r for r in rows if r.kind == "wait"]
    assert [(w.start, w.end, w.name) for w in waits] == [("09:00", "10:00", "Wait (60 min)"),
                                                        ("11:35", "11:40", "Wait (5 min)")]
    assert "may open only from 10:00" in waits[0].notes[0]
    assert "same time on every visit" in waits[1].notes[0]
    kinds = [r.kind for r in rows]
    assert kinds == ["depart", "wait", "visit", "break", "wait", "visit", "visit", "return"]
