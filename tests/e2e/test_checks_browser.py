"""Issue 14 in a real browser: a stop with swapped coordinates is seen far away, corrected, and planned.

A coordinator places the depot by clicking a map, uploads the Rokiškis
stops with one row's latitude and longitude swapped, sees that stop drawn far
from the others on the map of the stops with the warning beside it (and in
its popup), corrects the two cells in the stops table, sees the warning gone,
and plans.  The maps draw with no tiles (offline), and every frame is watched
for script errors.
"""

from __future__ import annotations

import json
import math
import re
import urllib.request
from pathlib import Path

from playwright.sync_api import expect
from test_browser import plan_it

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "rokiskis" / "stops.csv"
SWAPPED_ROW = 6  # Augustinava, the spreadsheet's row 6: the editor's row 5


def api(base: str, path: str) -> dict:
    with urllib.request.urlopen(base + path, timeout=10) as r:
        return json.loads(r.read())


def swapped_stops() -> tuple[bytes, str, str]:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    cells = lines[SWAPPED_ROW - 1].split(",")
    lat, lon = cells[2], cells[3]
    cells[2], cells[3] = lon, lat
    lines[SWAPPED_ROW - 1] = ",".join(cells)
    return ("\n".join(lines) + "\n").encode("utf-8"), lat, lon


def framed(page, path: str):
    """The frame whose address contains ``path``, once Leaflet has drawn in it."""
    page.wait_for_selector(f'iframe[src*="{path}"]')
    page.frame_locator(f'iframe[src*="{path}"]').locator(".leaflet-container").wait_for()
    return next(f for f in page.frames if path in f.url)


def centre(box: dict) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_a_swapped_stop_is_seen_far_away_corrected_and_planned(tab, server):
    t = tab()
    page = t.page
    page.goto(server + "/scenarios/new")

    # --- the depot: a click on the map (it opens on the depot of the scenario there is) ----------------
    picker = framed(page, "/scenarios/depot-map")
    box = picker.locator(".leaflet-container").bounding_box()
    picker.locator(".leaflet-container").click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    expect(page.locator("#f-depot_lat")).not_to_have_value("")
    lat, lon = float(page.input_value("#f-depot_lat")), float(page.input_value("#f-depot_lon"))
    assert abs(lat - 55.9644) < 0.01 and abs(lon - 25.5912) < 0.01, (lat, lon)
    assert picker.locator("path.depot-pick").count() == 1  # the map shows where the depot now is
    assert page.inner_text(".depot-picked") == f"{lat:.5f}, {lon:.5f}"
    t.shot("11-new-scenario-depot-picked")

    # --- the upload, one stop's coordinates swapped -------------------------------------------------------
    data, real_lat, real_lon = swapped_stops()
    page.fill("#f-name", "Rokiškis, checked")
    page.fill("#f-depot_name", "Rokiškio biblioteka")
    page.fill("#f-cycle_weeks", "2")
    page.set_input_files("#f-stops_file", files=[{"name": "stops.csv", "mimeType": "text/csv", "buffer": data}])
    page.click("form[enctype] button[type=submit]")
    page.wait_for_url(re.compile(r"/scenarios/\d+$"))
    scenario_id = int(page.url.rsplit("/", 1)[1])
    assert "1 warning about the data" in page.inner_text(".flashes")
    check = page.inner_text("#check")
    assert "latitude and longitude look swapped" in check and f"{real_lat}, {real_lon}" in check
    assert page.locator("#check table.warnings-table tbody tr").count() == 1

    # --- far away on the map, with the warning -----------------------------------------------------------
    page.locator("#check iframe").scroll_into_view_if_needed()
    frame = framed(page, f"/scenarios/{scenario_id}/check-map")
    frame.locator("path.stop-warning").wait_for()
    assert frame.locator("path.stop-warning").count() == 1
    others = frame.locator("path.stop")
    assert others.count() == 52
    view = frame.locator(".leaflet-container").bounding_box()
    far = centre(frame.locator("path.stop-warning").bounding_box())
    points = [centre(others.nth(i).bounding_box()) for i in range(others.count())]
    for x, y in points + [far]:  # every stop is in view, the far one too
        assert view["x"] - 1 <= x <= view["x"] + view["width"] + 1 and view["y"] - 1 <= y <= view["y"] + view["height"] + 1
    mid = (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))
    spread = max(math.dist(p, mid) for p in points)
    assert math.dist(far, mid) > 10 * spread, (far, mid, spread)  # the others are a dot beside it
    frame.locator("path.stop-warning").dispatch_event("click")
    popup = frame.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("look swapped")
    assert "Augustinava" in popup.inner_text()
    t.shot("12-check-swapped")

    # --- corrected in the stops table --------------------------------------------------------------------
    row = page.locator("#stops tr.has-warning")
    assert row.count() == 1 and row.locator("td").first.inner_text() == "5"
    row.locator("input[name$='-lat']").fill(real_lat)
    row.locator("input[name$='-lon']").fill(real_lon)
    page.click("#stops-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/scenarios/{scenario_id}#stops$"))
    assert "Stops saved" in page.inner_text(".flashes")
    assert "No warnings" in page.inner_text("#check")
    assert page.locator("#stops tr.has-warning").count() == 0
    page.locator("#check iframe").scroll_into_view_if_needed()
    frame = framed(page, f"/scenarios/{scenario_id}/check-map")
    frame.locator("path.stop").first.wait_for()
    assert frame.locator("path.stop").count() == 53 and frame.locator("path.stop-warning").count() == 0
    t.shot("13-check-corrected")

    # --- and planned: the stop is where it belongs, not "too far" ---------------------------------------
    plan_id = plan_it(page, "10", "corrected")
    plan = api(server, f"/api/plans/{plan_id}")
    assert not [u for u in plan["unserved"] if u["reason"].startswith("too far")], plan["unserved"]
    visits = [v for r in plan["routes"] for v in r["visits"] if v["stop_id"] == "augustinava"]
    unserved = [u["stop_id"] for u in plan["unserved"]]
    assert visits or "augustinava" in unserved
    for v in visits:
        assert (v["lat"], v["lon"]) == (float(real_lat), float(real_lon))
    assert not t.all_errors(), t.all_errors()
