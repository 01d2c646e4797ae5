"""Limits hold before the work on the web too (issue 9, points 3, 4 and 6).

Uploads are counted while they are read and refused at the first row past a
limit; a refusal lists at most 100 problems and says how many there were; every
number of a scenario is bounded in the API and the pages as in the files; and a
solve is queued only for a scenario that can run, whatever the database holds.

What is asserted is the work done (rows, memory traced, problems kept), not
seconds: timing belongs to ``benchmarks/limits.py``.
"""

from __future__ import annotations

import copy
import io
import tracemalloc

import pytest
from builders import STOP_ROW_XML, TEN_CELLS_XML, xlsx_bomb
from sqlalchemy import func, select

from routeplanner import jobs
from routeplanner.errors import InputError
from routeplanner.store import JobRow, ScenarioRow, StopRow
from routeplanner.web import db

SAMPLE_ID = 1  # the sample scenario of a fresh database
FORM = {"name": "Upload", "depot_lat": "55.96", "depot_lon": "25.59"}
HEADER = "name,lat,lon,loans_per_visit,frequency\n"
BAD_ROW = ",abc,abc,-1,daily\n"  # five problems


def count(app, model) -> int:
    with db.new_session(app) as s:
        return s.scalar(select(func.count()).select_from(model))


def upload(client, blob: bytes, filename: str):
    data = dict(FORM, stops=(io.BytesIO(blob), filename))
    return client.post("/api/scenarios", data=data, content_type="multipart/form-data")


def json_422(response) -> dict:
    assert response.status_code == 422, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "application/json"
    return response.get_json()


def traced(call):
    """(what ``call()`` returned, peak traced memory in MB)."""
    tracemalloc.start()
    try:
        return call(), tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


# --- uploads: counted while read --------------------------------------------------------------


def test_the_xlsx_bomb_is_refused_with_one_problem_and_little_memory(app, client):
    data = xlsx_bomb(300_000, TEN_CELLS_XML)  # the 195 kB workbook: 110 s and 2 GB before
    response, peak_mb = traced(lambda: upload(client, data, "bomb.xlsx"))
    body = json_422(response)
    assert [(p["file"], p["row"]) for p in body["problems"]] == [("bomb.xlsx", None)]
    assert "unpack to at most 32 MB" in body["problems"][0]["expected"]
    assert (body["problems_total"], body["problems_omitted"]) == (1, 0)
    assert peak_mb < 100
    assert count(app, ScenarioRow) == 1


def test_an_xlsx_within_the_size_limits_is_read_only_up_to_the_first_stop_too_many(app, client):
    data = xlsx_bomb(100_000, STOP_ROW_XML)
    response, peak_mb = traced(lambda: upload(client, data, "many.xlsx"))
    body = json_422(response)
    assert [(p["row"], p["value"]) for p in body["problems"]] == [(2002, "stop 2,001")]
    assert peak_mb < 100


def test_a_10_mb_csv_of_bad_rows_answers_with_one_short_problem(app, client):
    # Before: 2,854,730 problems, a 426 MB answer after 134 s.
    blob = HEADER.encode() + BAD_ROW.encode() * (10_000_000 // len(BAD_ROW))
    response, peak_mb = traced(lambda: upload(client, blob, "bad.csv"))
    body = json_422(response)
    assert [(p["row"], p["value"]) for p in body["problems"]] == [(2002, "stop 2,001")]
    assert "at most 2,000 stops" in body["problems"][0]["expected"]
    assert len(response.data) < 5_000
    assert peak_mb < 100


def test_a_refusal_lists_a_hundred_problems_and_counts_them_all(app, client):
    body = json_422(upload(client, (HEADER + BAD_ROW * 2000).encode(), "bad.csv"))
    assert len(body["problems"]) == 100
    assert (body["problems_total"], body["problems_omitted"]) == (10_000, 9_900)
    assert "10000 problem(s)" in body["error"]
    assert count(app, ScenarioRow) == 1


def test_a_json_stops_list_past_the_stop_limit_is_refused(app, client):
    stops = [{"name": f"S{i}", "lat": 55.0, "lon": 25.0, "loans_per_visit": 1} for i in range(2500)]
    body = json_422(client.put(f"/api/scenarios/{SAMPLE_ID}/stops", json={"stops": stops}))
    assert [(p["file"], p["row"]) for p in body["problems"]] == [("stops", 2002)]
    assert len(client.get(f"/api/scenarios/{SAMPLE_ID}/stops").get_json()["stops"]) < 100


def test_a_scenario_toml_upload_over_1_mb_or_nested_too_deeply_is_a_problem(client):
    stops = b"name,lat,lon,loans_per_visit\nA,55,25,1\n"
    for toml, expected in ((b"# " + b"x" * (1024 * 1024) + b"\n", "a scenario file of at most 1 MB"),
                           (b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested at most")):
        data = {"stops": (io.BytesIO(stops), "s.csv"), "scenario": (io.BytesIO(toml), "s.toml")}
        body = json_422(client.post("/api/scenarios", data=data, content_type="multipart/form-data"))
        assert [p["file"] for p in body["problems"]] == ["s.toml"]
        assert expected in body["problems"][0]["expected"]


def test_the_pages_say_how_many_more_problems_there_are(app, client):
    data = {"name": "Many", "depot_lat": "55.9", "depot_lon": "25.5", "cycle_weeks": "1",
            "stops_file": (io.BytesIO((HEADER + BAD_ROW * 2000).encode()), "bad.csv")}
    response = client.post("/scenarios/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "10000 problems — nothing was saved" in page
    assert "… and 9900 more problems, not listed" in page
    assert page.count('<td data-label="Where">') == 100
    assert count(app, ScenarioRow) == 1


# --- every number of a scenario, through the API and the pages ------------------------------------

# (where in the scenario document, value, the problem's column, a piece of the expected text)
BOUNDS = [
    (("solver", "time_limit_s"), 1e12, "solver.time_limit_s", "more than 0 and at most 3,600"),
    (("solver", "work_limit"), 10**7, "solver.work_limit", "1 to 1,000,000"),
    (("solver", "stable_minutes"), 10**6, "solver.stable_minutes", "0 to 1,440"),
    (("vehicles", 0, "capacity_books"), 1e30, "vehicles[1].capacity_books", "0 to 100,000"),
    (("vehicles", 0, "capacity_books"), 10**9, "vehicles[1].capacity_books", "0 to 100,000"),
    (("vehicles", 0, "break_minutes"), 10**6, "vehicles[1].break_minutes", "0 to 1,440"),
    (("vehicles", 0, "break_after_minutes"), 10**6, "vehicles[1].break_after_minutes", "1 to 1,440"),
    (("travel", "speed_kmh"), 1e9, "travel.speed_kmh", "1 to 200"),
    (("travel", "circuity"), 1e300, "travel.circuity", "1 to 3"),
    (("stops", 0, "frequency"), "99999999999999999999", "frequency", "visits per cycle, 1 to 364"),
    (("stops", 0, "loans_per_visit"), 1e300, "loans_per_visit", "0 to 1,000"),
    (("stops", 0, "service_minutes"), 10**6, "service_minutes", "1 to 1,440"),
]


def _set(doc: dict, where: tuple, value) -> dict:
    doc = copy.deepcopy(doc)
    target = doc
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    return doc


@pytest.mark.parametrize("method", ["put", "post"])
@pytest.mark.parametrize("where, value, column, expected", BOUNDS, ids=[f"{c[2]}={c[1]}" for c in BOUNDS])
def test_every_number_of_a_scenario_is_bounded_in_the_api(app, client, method, where, value, column, expected):
    before = client.get(f"/api/scenarios/{SAMPLE_ID}").get_json()
    doc = _set(before, where, value)
    url = f"/api/scenarios/{SAMPLE_ID}" if method == "put" else "/api/scenarios"
    body = json_422(getattr(client, method)(url, json=doc))
    assert [(p["column"], p["row"]) for p in body["problems"]] == [(column, 2 if where[0] == "stops" else None)]
    assert expected in body["problems"][0]["expected"]
    assert client.get(f"/api/scenarios/{SAMPLE_ID}").get_json() == before
    assert count(app, ScenarioRow) == 1


def test_route_days_and_visits_are_bounded_in_the_api(client):
    doc = client.get(f"/api/scenarios/{SAMPLE_ID}").get_json()
    doc["cycle"] = {"weeks": 52, "days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], "start_date": None}
    van = doc["vehicles"][0]
    # The issue: 300 vans x 52 weeks x 7 days grew a worker to 5.1 GB.
    body = json_422(client.put(f"/api/scenarios/{SAMPLE_ID}", json=dict(doc, vehicles=[dict(van, name=f"V{i}")
                                                                                      for i in range(300)])))
    assert [(p["column"], p["value"]) for p in body["problems"]] == [("vehicles", "300 vehicles")]
    body = json_422(client.put(f"/api/scenarios/{SAMPLE_ID}", json=dict(doc, vehicles=[dict(van, name=f"V{i}")
                                                                                      for i in range(20)])))
    assert [p["value"] for p in body["problems"]] == ["20 vehicles x 52 weeks x 7 days = 7,280 route-days"]
    stops = [dict(s, frequency="364") for s in doc["stops"][:6]]
    body = json_422(client.put(f"/api/scenarios/{SAMPLE_ID}", json=dict(doc, stops=stops)))
    assert [(p["column"], p["value"]) for p in body["problems"]] == [("frequency", "2,184 visits in the 52-week cycle")]


def test_the_settings_page_refuses_a_time_limit_past_the_bound(app, client):
    response = client.post(f"/scenarios/{SAMPLE_ID}/settings", data={"solver_time_limit_s": "1e12"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "solver.time_limit_s" in page and "seconds, more than 0 and at most 3,600" in page


# --- a solve is queued only when it can run -------------------------------------------------------


def _store(app, **settings) -> None:
    """Write settings straight into the database, as an older version could have."""
    with db.new_session(app) as s:
        row = s.get(ScenarioRow, SAMPLE_ID)
        row.settings = {**row.settings, **settings}
        s.commit()


@pytest.mark.both_databases
def test_submit_refuses_a_stored_time_limit_of_1e12(app, client):
    _store(app, solver={"time_limit_s": 1e12, "stable_minutes": 15, "work_limit": None})
    with db.new_session(app) as s:
        with pytest.raises(InputError) as err:
            jobs.submit(s, SAMPLE_ID)
    assert [(p.file, p.column, p.value) for p in err.value.problems] == [
        ("scenario 1", "solver.time_limit_s", "1000000000000.0")]
    assert "at most 3,600" in err.value.problems[0].expected
    body = json_422(client.post(f"/api/scenarios/{SAMPLE_ID}/solve", json={"time_limit_s": 5}))
    assert [p["column"] for p in body["problems"]] == ["solver.time_limit_s"]
    response = client.post(f"/scenarios/{SAMPLE_ID}/plan", data={"time_limit_s": "5"})
    assert response.status_code == 422 and "solver.time_limit_s" in response.get_data(as_text=True)
    assert count(app, JobRow) == 0


def test_submit_refuses_stored_fleets_and_stops_past_the_bounds(app):
    van = {"name": "V", "capacity_books": 2500, "shift_start": "08:00", "shift_end": "17:00",
           "break_minutes": 45, "break_after_minutes": 270}
    _store(app, vehicles=[dict(van, name="V0", capacity_books=10**30)] + [dict(van, name=f"V{i}") for i in range(1, 300)],
           cycle={"weeks": 52, "days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], "start_date": None})
    with db.new_session(app) as s:
        s.execute(StopRow.__table__.update().where(StopRow.position == 2).values(loans_per_visit=1e300))
        s.commit()
        with pytest.raises(InputError) as err:
            jobs.submit(s, SAMPLE_ID)
    got = {(p.column, p.row) for p in err.value.problems}
    assert {("vehicles[1].capacity_books", None), ("vehicles", None), ("loans_per_visit", 4)} <= got
    assert any("route-days" in p.expected for p in err.value.problems)
    assert count(app, JobRow) == 0


def test_a_job_queued_by_an_older_version_fails_without_solving(app, client, live_runner, wait_job):
    _store(app, solver={"time_limit_s": 1e12, "stable_minutes": 15, "work_limit": None})
    with db.new_session(app) as s:  # queued without submit(), as an older version did
        job = JobRow(scenario_id=SAMPLE_ID, status=jobs.QUEUED, params={"time_limit_s": 1e12, "work_limit": None},
                     phase="", message="")
        s.add(job)
        s.commit()
        job_id = job.id
    status = wait_job(client, job_id)
    assert status["status"] == "failed" and status["plan_id"] is None
    assert status["message"].startswith("the scenario cannot be planned") and "at most 3,600" in status["message"]


def test_submit_names_a_stored_stop_whose_frequency_cannot_be_read(app):
    with db.new_session(app) as s:
        s.execute(StopRow.__table__.update().where(StopRow.position == 0).values(frequency="99999999999999999999"))
        s.commit()
        with pytest.raises(InputError) as err:
            jobs.submit(s, SAMPLE_ID)
    assert [(p.file, p.row) for p in err.value.problems] == [("scenario 1 stops", 2)]
    assert "1 to 364" in err.value.problems[0].value
    assert count(app, JobRow) == 0


def test_a_json_list_of_a_million_items_is_refused_by_counting_them_first(app, client):
    # A 10 MB body of tiny items: each would be a problem ("a stop object") if they were looked at.
    body = b'{"stops": [' + b",".join([b"1"] * 1_000_000) + b"]}"
    response, peak_mb = traced(lambda: client.put(f"/api/scenarios/{SAMPLE_ID}/stops", data=body,
                                                  content_type="application/json"))
    problems = json_422(response)["problems"]
    assert [(p["row"], p["value"]) for p in problems] == [(2002, "stop 2,001")]
    assert peak_mb < 200  # the parsed body itself is most of it
