"""Today's timetable through the web service (issue 14): uploaded on the scenario page or through the API, stored
as a plan of the scenario, checked, compared, re-planned from; and every plan downloaded in the five formats."""

from __future__ import annotations

import io
import json
import re

import gpxpy
import openpyxl
import pytest

SAMPLE_ID = 1  # the Rokiškis sample in a fresh database

# As a Lithuanian spreadsheet writes it: semicolons, Lithuanian headers and weekday letters, Windows-1257.
TODAY = """\
Transportas;Diena;Savaitės;Stotelė;Atvykimas;Išvykimas
Bibliobusas;Pr;1 2;Kavoliškis;09:00;10:15
Bibliobusas;Pr;1 2;Kamajai;11:00;11:40
Bibliobusas;An;1 2;Obeliai;09:30;10:35
""".encode("cp1257")

BAD = """\
Transportas;Diena;Savaitės;Stotelė;Atvykimas;Išvykimas
Bibliobusas;Pr;1;Kavoliškis;09:00;10:15
Bibliobusas;Pr;1;Niekur;11:00;11:40
Autobusas;An;1;Obeliai;09:30;10:35
Bibliobusas;An;3;Kamajai;9.30;
""".encode("cp1257")


def _upload(client, data: bytes, name: str = "siandien.csv", **form):
    return client.post(f"/scenarios/{SAMPLE_ID}/timetable", data={"timetable_file": (io.BytesIO(data), name), **form},
                       content_type="multipart/form-data")


def _plans(client) -> list[dict]:
    return client.get(f"/api/scenarios/{SAMPLE_ID}/plans").get_json()["plans"]


@pytest.mark.both_databases
def test_the_scenario_page_imports_a_timetable_as_a_plan_to_check_and_download(client):
    page = client.get(f"/scenarios/{SAMPLE_ID}").get_data(as_text=True)
    assert 'name="timetable_file"' in page
    response = _upload(client, TODAY, label="today")
    assert response.status_code == 303, response.get_data(as_text=True)
    plan_id = int(re.search(r"/plans/(\d+)$", response.headers["Location"]).group(1))
    shown = client.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert "imported from siandien.csv" in shown and "Timetable imported as plan" in shown
    for fmt in ("xlsx", "csv", "geojson", "gpx", "pdf"):
        assert f"/plans/{plan_id}/export/{fmt}" in shown
    doc = client.get(f"/api/plans/{plan_id}").get_json()
    visits = sorted((r["week"], r["day"], v["stop_id"], v["arrival"]) for r in doc["routes"] for v in r["visits"])
    assert visits == [(1, "Mon", "kamajai", "11:00"), (1, "Mon", "kavoliskis", "09:00"), (1, "Tue", "obeliai", "09:30"),
                      (2, "Mon", "kamajai", "11:00"), (2, "Mon", "kavoliskis", "09:00"), (2, "Tue", "obeliai", "09:30")]
    summary = _plans(client)[-1]
    assert (summary["id"], summary["label"], summary["params"]) == (plan_id, "today", {"imported": "siandien.csv"})
    assert summary["stops_served"] == 3 and summary["stops_total"] > 3
    # The checker judges it against the scenario: the other stops are listed as not in the timetable, so
    # only the must stop left out is a broken rule, and nothing about the three stops that are there.
    report = client.get(f"/api/plans/{plan_id}/check").get_json()
    assert {v["kind"] for v in report["violations"]} == {"must-unserved"}
    gpx = client.get(f"/plans/{plan_id}/export/gpx")
    assert gpx.status_code == 200 and gpx.mimetype == "application/gpx+xml"
    assert gpx.headers["Content-Disposition"] == f'attachment; filename="plan-{plan_id}.gpx"'
    assert len(gpxpy.parse(gpx.get_data(as_text=True)).routes) == 4
    assert client.get(f"/plans/{plan_id}/export/docx").status_code == 404


@pytest.mark.both_databases
def test_a_bad_timetable_is_listed_whole_on_the_page_and_nothing_is_stored(client):
    before = len(_plans(client))
    response = _upload(client, BAD)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "nothing was saved" in page
    cells = re.findall(r'data-label="Row">(\d+)</td>\s*<td data-label="Column or setting"><code>([^<]+)</code>', page)
    assert set(cells) == {("3", "Stotelė"), ("4", "Transportas"), ("5", "Išvykimas")}
    assert len(_plans(client)) == before
    empty = client.post(f"/scenarios/{SAMPLE_ID}/timetable", data={}, content_type="multipart/form-data")
    assert empty.status_code == 422 and len(_plans(client)) == before


@pytest.mark.both_databases
def test_the_api_imports_a_timetable_and_exports_every_plan_in_five_formats(client):
    response = client.post(f"/api/scenarios/{SAMPLE_ID}/plans",
                           data={"timetable": (io.BytesIO(TODAY), "today.csv"), "label": "api"},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/plans/{body['id']}")
    assert body["label"] == "api" and body["notes"] == [] and body["params"] == {"imported": "today.csv"}
    types = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv",
             "geojson": "application/geo+json", "gpx": "application/gpx+xml", "pdf": "application/pdf"}
    files = {}
    for fmt, media in types.items():
        got = client.get(f"/api/plans/{body['id']}/export.{fmt}")
        assert got.status_code == 200 and got.mimetype == media
        files[fmt] = got.data
    book = openpyxl.load_workbook(io.BytesIO(files["xlsx"]))
    assert book.sheetnames[:1] == ["Timetable"] and len(book.sheetnames) == 1 + 4 + 1  # + "Not served"
    assert len(json.loads(files["geojson"])["features"]) == 4 + 6
    assert files["pdf"].startswith(b"%PDF")
    assert client.get("/api/plans/999999/export.gpx").status_code == 404


@pytest.mark.both_databases
def test_the_api_lists_every_problem_of_a_timetable_and_stores_nothing(client):
    before = len(_plans(client))
    response = client.post(f"/api/scenarios/{SAMPLE_ID}/plans", data={"timetable": (io.BytesIO(BAD), "bad.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    problems = response.get_json()["problems"]
    assert {(p["file"], p["row"], p["column"]) for p in problems} == {
        ("bad.csv", 3, "Stotelė"), ("bad.csv", 4, "Transportas"), ("bad.csv", 5, "Išvykimas")}
    missing = client.post(f"/api/scenarios/{SAMPLE_ID}/plans", json={"timetable": "x"})
    assert missing.status_code == 422 and missing.get_json()["problems"][0]["file"] == "timetable"
    assert len(_plans(client)) == before
    assert client.post("/api/scenarios/999999/plans", data={"timetable": (io.BytesIO(TODAY), "t.csv")},
                       content_type="multipart/form-data").status_code == 404


def test_an_imported_timetable_is_a_replan_base_and_sits_beside_the_replan_on_the_compare_page(
        client, live_runner, wait_job):
    # The library's timetable today, kept in Excel: a plan made elsewhere, as the export writes it.
    from routeplanner.io import load_scenario
    from routeplanner.io.planxlsx import plan_xlsx_bytes
    from routeplanner.solver import solve

    today = solve(load_scenario("data/rokiskis/scenario.toml"), work_limit=20)
    response = _upload(client, plan_xlsx_bytes(today), "siandien.xlsx", label="today")
    assert response.status_code == 303, response.get_data(as_text=True)
    base = int(re.search(r"/plans/(\d+)$", response.headers["Location"]).group(1))
    page = client.get(f"/scenarios/{SAMPLE_ID}").get_data(as_text=True)
    assert re.search(rf'<option value="{base}"[^>]*>Plan {base} — today', page)  # offered under "Re-plan from"
    job = client.post(f"/api/scenarios/{SAMPLE_ID}/solve",
                      json={"work_limit": 20, "base_plan_id": base, "replan": "keep", "label": "re-planned"}).get_json()
    status = wait_job(client, job["id"], timeout=180)
    assert status["status"] == "done", status
    new = status["plan_id"]

    def slots(doc):
        out: dict[str, set] = {}
        for r in doc["routes"]:
            for v in r["visits"]:
                out.setdefault(v["stop_id"], set()).add((r["week"], r["day"], v["arrival"]))
        return out

    plan = client.get(f"/api/plans/{new}").get_json()
    before, after = slots(client.get(f"/api/plans/{base}").get_json()), slots(plan)
    assert plan["changes"]["mode"] == "keep"
    moved = {m["stop_id"] for m in plan["changes"]["moved"]}
    # keep: the timetable's stops stay where they are, unless the rules move them; the plan says which moved.
    assert moved == {s for s in set(before) | set(after) if before.get(s) != after.get(s)}
    assert len(moved) <= len(before) // 4, moved
    shown = client.get(f"/plans/{new}").get_data(as_text=True)
    assert f'href="/plans/{base}"' in shown  # the base plan, linked from the re-plan's changes
    compared = client.get(f"/compare?plan={base}&plan={new}")
    assert compared.status_code == 200
    text = compared.get_data(as_text=True)
    assert f"Plan {base}" in text and f"Plan {new}" in text and "today" in text
    api = client.get(f"/api/compare?plans={base},{new}").get_json()
    assert [p["id"] for p in api["plans"]] == [base, new]
