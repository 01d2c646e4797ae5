"""Issue 12 in a real browser: a coordinator pins a stop, re-plans from the published plan and
publishes the new plan; a patron at the scenario's stable address sees the stop's new time.

The scenario is small (the eight sample stops nearest the depot, weekly, a one-week cycle) and
its solver settings carry a work limit, so every solve is short and does not depend on how busy
the machine is.  The pin is chosen against the published plan: another weekday than the stop
has there, at 11:00, so the patron's line can only come from the new plan.
"""

from __future__ import annotations

import json
import math
import re
import urllib.request

from playwright.sync_api import expect

from test_browser import api, plan_it

PINNED_TIME = "11:00"
SERVICE_MINUTES = 20


def post_json(base: str, path: str, body: dict) -> dict:
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def small_scenario(base: str) -> dict:
    """The sample's eight stops nearest its depot, each weekly, in a one-week cycle, with a work limit."""
    sample = api(base, "/api/scenarios/1")
    depot = sample["depot"]
    near = sorted(sample["stops"], key=lambda s: math.hypot(s["lat"] - depot["lat"], s["lon"] - depot["lon"]))[:8]
    for stop in near:
        stop.update(frequency="weekly", days=[], weeks=[], opens=None, window_start=None, window_end=None,
                    priority="", service_minutes=SERVICE_MINUTES)
    body = {k: sample[k] for k in ("depot", "vehicles", "travel", "calendar")}
    body.update(name="Pins and re-plans", stops=near, cycle={**sample["cycle"], "weeks": 1},
                solver={**sample["solver"], "work_limit": 20})
    return post_json(base, "/api/scenarios", body)


def publish_from_plan_page(page) -> None:
    page.click("#publish button.primary")
    page.wait_for_url(re.compile(r"/scenarios/\d+#published$"))
    assert "is published" in page.inner_text(".flashes")


def test_pin_replan_publish_and_the_patron_sees_the_new_time(tab, server):
    created = small_scenario(server)
    sid = created["id"]
    t = tab()
    page = t.page

    # --- a first plan, published --------------------------------------------------------------------
    page.goto(server + f"/scenarios/{sid}")
    assert page.locator("#f-base_plan_id").count() == 0  # nothing to re-plan from yet
    first = plan_it(page, "10", "first")
    publish_from_plan_page(page)
    base = api(server, f"/api/plans/{first}")
    visited = {v["stop_id"]: r["day"] for r in base["routes"] for v in r["visits"]}
    stop = next(s for s in created["stops"] if s["id"] in visited)
    day = "Wed" if visited[stop["id"]] != "Wed" else "Thu"
    weekday = {"Wed": "Wednesday", "Thu": "Thursday"}[day]

    # --- the coordinator pins one stop in the editor: another weekday, a fixed opening time -------------
    page.goto(server + f"/scenarios/{sid}#stops")
    name = page.locator(f"#stop-rows input[name$='-id'][value='{stop['id']}']").get_attribute("name")
    i = name.split("-")[1]
    page.fill(f"input[name=stop-{i}-days]", day)
    page.fill(f"input[name=stop-{i}-opens]", PINNED_TIME)
    page.click("#stops-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/scenarios/{sid}#stops$"))
    assert "Stops saved" in page.inner_text(".flashes")
    saved = next(s for s in api(server, f"/api/scenarios/{sid}/stops")["stops"] if s["id"] == stop["id"])
    assert (saved["days"], saved["opens"]) == ([day], PINNED_TIME), saved

    # --- re-plans from the published plan (chosen for them), keeping what still works ------------------
    assert page.input_value("#f-base_plan_id") == str(first)
    expect(page.locator("input[name=replan][value=keep]")).to_be_checked()
    t.shot("20-replan-form")
    second = plan_it(page, "10", "pinned")
    changes = page.inner_text("#changes")
    assert f"Re-planned from plan {first}" in changes
    assert stop["name"] in changes  # the pinned stop moved, and the page says so
    t.shot("21-replanned-plan")
    plan = api(server, f"/api/plans/{second}")
    assert plan["changes"]["mode"] == "keep"
    assert stop["id"] in {m["stop_id"] for m in plan["changes"]["moved"]}
    publish_from_plan_page(page)

    # --- a patron opens the stable address and finds the stop at its new time ---------------------------
    patron = tab().page
    patron.goto(server + f"/scenarios/{sid}/timetable")
    item = patron.locator("#stop-list > li").filter(has=patron.get_by_role("heading", name=stop["name"], exact=True))
    line = item.locator("ul.when li").first.inner_text()
    assert re.fullmatch(rf"Every {weekday}, {PINNED_TIME}–11:\d\d", line), line
    assert not t.all_errors(), t.all_errors()
