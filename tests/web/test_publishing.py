"""Publishing a plan, the patrons' stable addresses, and what they say of holidays and closures (issue 12).

Plans here are made by hand (no solve): stop A of the Rokiškis sample on
every weekday of a one-week cycle, so every public holiday on a weekday
would be a visit, were it not left out.  Dates are in the coming December,
whatever the day the tests run.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import holidays
import pytest
from icalendar import Calendar
from test_pages import assert_friendly, text

from routeplanner import store
from routeplanner.io.jsonform import scenario_to_dict
from routeplanner.io.planjson import plan_to_dict
from routeplanner.model import Cycle, Plan, Route, Visit
from routeplanner.totals import compute_totals
from routeplanner.web import db

SAMPLE_ID = 1
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri")


def december() -> date:
    """1 December of the year whose Christmas is still to come."""
    today = date.today()
    return date(today.year if today < date(today.year, 11, 1) else today.year + 1, 12, 1)


def store_plan(app, *, opens: int = 10 * 60, label: str = "", country: str = "LT", closed=(),
               start: date | None = None) -> int:
    """A plan of the sample visiting its first stop every weekday at ``opens`` (a one-week cycle
    from the Monday ``start``, or without a start date); the sample's [calendar] set to ``country``
    and ``closed`` first."""
    with db.new_session(app) as s:
        row = s.get(store.ScenarioRow, SAMPLE_ID)
        settings = dict(row.settings)
        settings["calendar"] = {"country": country, "timezone": None, "valid_until": None,
                                "closed": [{"date": d.isoformat(), "reason": r} for d, r in closed]}
        row.settings = settings
        s.commit()
        scenario = row.to_model()
        stop = scenario.stops[0]
        routes = [Route(scenario.vehicles[0].name, 1, day, scenario.depot, opens - 30, opens + 60,
                        [Visit(stop.id, stop.name, stop.lat, stop.lon, opens, opens + 20, 10.0)])
                  for day in DAYS]
        plan = Plan(scenario.name, Cycle(1, DAYS, start), scenario.travel, routes, [], compute_totals(routes, scenario))
        prow = store.PlanRow(scenario_id=SAMPLE_ID, label=label, plan=plan_to_dict(plan),
                             scenario_snapshot=scenario_to_dict(scenario), params={}, solver_version="hand",
                             run_time_s=0.0, distance_km=0.0, stops_served=1, stops_total=1, loans_served=10,
                             loans_total=10)
        s.add(prow)
        s.commit()
        return prow.id


def first_stop(app):
    with db.new_session(app) as s:
        return s.get(store.ScenarioRow, SAMPLE_ID).to_model().stops[0]


def publish(client, plan_id: int, when: date | None = None, status: int = 201) -> dict:
    body = {} if when is None else {"effective_from": when.isoformat()}
    response = client.post(f"/api/plans/{plan_id}/publish", json=body)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def feed(client, query: str = "") -> Calendar:
    response = client.get(f"/scenarios/{SAMPLE_ID}/calendar.ics{query}")
    assert response.status_code == 200 and response.mimetype == "text/calendar", text(response)[:300]
    return Calendar.from_ical(response.data)


# --- before anything is published ---------------------------------------------------------------


@pytest.mark.parametrize("address", ["timetable", "poster", "calendar.ics", "calendar.ics?stop=x"])
def test_the_stable_addresses_are_a_clear_404_before_anything_is_published(client, address):
    body = assert_friendly(client.get(f"/scenarios/{SAMPLE_ID}/{address}"), 404)
    assert "has no published timetable yet" in body
    assert_friendly(client.get(f"/scenarios/999/{address}"), 404)


def test_nothing_is_published_after_an_upgrade_or_a_new_scenario(client):
    listing = client.get(f"/api/scenarios/{SAMPLE_ID}/publications").get_json()
    assert listing == {"publications": [], "current": None, "upcoming": None, "addresses": {
        "timetable": "/scenarios/1/timetable", "poster": "/scenarios/1/poster", "calendar": "/scenarios/1/calendar.ics"}}
    assert "Nothing is published yet" in text(client.get(f"/scenarios/{SAMPLE_ID}"))


# --- publishing ----------------------------------------------------------------------------------------


def test_the_stable_address_follows_a_newly_published_plan(app, client):
    first = store_plan(app, opens=10 * 60, label="first")
    second = store_plan(app, opens=13 * 60, label="second")
    today = date.today()
    publish(client, first, today)
    page = assert_friendly(client.get(f"/scenarios/{SAMPLE_ID}/timetable"), 200)
    assert "10:00–10:20" in page and "13:00" not in page
    uids_before = sorted(str(e["uid"]) for e in feed(client).walk("VEVENT"))
    publish(client, second, today)
    page = assert_friendly(client.get(f"/scenarios/{SAMPLE_ID}/timetable"), 200)
    assert "13:00–13:20" in page and "10:00" not in page
    assert "13:00–13:20" in text(client.get(f"/scenarios/{SAMPLE_ID}/poster"))
    events = feed(client).walk("VEVENT")
    # the same events, moved: a phone updates them instead of adding new ones
    assert sorted(str(e["uid"]) for e in events) == uids_before and len(uids_before) == 5
    assert {e.decoded("dtstart").hour for e in events} == {13}
    # made of the scenario, the stop and the slot only
    assert all(re.fullmatch(r"scenario-1-stop-[0-9a-f]{16}-week-1-(mon|tue|wed|thu|fri)@routeplanner", uid)
               for uid in uids_before), uids_before
    listing = client.get(f"/api/scenarios/{SAMPLE_ID}/publications").get_json()
    assert [p["plan_id"] for p in listing["publications"]] == [first, second]
    assert listing["current"] == listing["publications"][1]["id"] and listing["upcoming"] is None
    # the older plan's own pages still work
    assert "10:00–10:20" in assert_friendly(client.get(f"/plans/{first}/timetable"), 200)


def test_a_plan_published_from_a_later_date_takes_over_on_that_date(app, client):
    now, later = store_plan(app, opens=10 * 60), store_plan(app, opens=13 * 60)
    today = date.today()
    publish(client, now, today)
    publish(client, later, today + timedelta(days=14))
    page = assert_friendly(client.get(f"/scenarios/{SAMPLE_ID}/timetable"), 200)
    assert "10:00–10:20" in page and "A new timetable starts on" in page
    events = feed(client).walk("VEVENT")
    # the current plan's events end the day before the next one takes effect
    assert all(e["rrule"]["UNTIL"][0].date() <= today + timedelta(days=14) for e in events)
    scenario_page = text(client.get(f"/scenarios/{SAMPLE_ID}"))
    assert f"Plan {later} replaces it on" in scenario_page


def test_only_a_future_publication_is_shown_as_the_timetable_to_come(app, client):
    pid = store_plan(app)
    start = december()
    publish(client, pid, start)
    page = assert_friendly(client.get(f"/scenarios/{SAMPLE_ID}/timetable"), 200)
    assert "This timetable starts on" in page
    dates = [date.fromisoformat(d) for d in re.findall(r'<time datetime="([0-9-]+)"', page)]
    assert dates and min(dates) >= start
    assert min(e.decoded("dtstart").date() for e in feed(client).walk("VEVENT")) >= start


def test_publishing_from_the_plan_page(app, client):
    today = date.today()
    pid = store_plan(app, start=today - timedelta(days=today.weekday()))
    body = assert_friendly(client.get(f"/plans/{pid}"), 200)
    assert f'action="/plans/{pid}/publish"' in body and "Publish this plan" in body
    response = client.post(f"/plans/{pid}/publish", data={"effective_from": date.today().isoformat()})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/scenarios/{SAMPLE_ID}#published")
    scenario_page = text(client.get(f"/scenarios/{SAMPLE_ID}"))
    assert f"Patrons see plan {pid}" in scenario_page and 'href="/scenarios/1/timetable"' in scenario_page
    # the plan's own patron pages now send patrons to the stable addresses
    own = text(client.get(f"/plans/{pid}/timetable"))
    assert 'href="/scenarios/1/poster"' in own and "/scenarios/1/calendar.ics?stop=" in own
    assert "webcal://" in own
    assert "is the published timetable" in text(client.get(f"/plans/{pid}"))


@pytest.mark.parametrize("value", ["tomorrow", "2026-02-30"])
def test_a_bad_date_is_refused_on_the_page_and_in_the_api(app, client, value):
    pid = store_plan(app)
    body = assert_friendly(client.post(f"/plans/{pid}/publish", data={"effective_from": value}), 422)
    assert "effective_from" in body and "YYYY-MM-DD" in body
    problems = client.post(f"/api/plans/{pid}/publish", json={"effective_from": value}).get_json()["problems"]
    assert problems[0]["column"] == "effective_from"
    assert client.get(f"/api/scenarios/{SAMPLE_ID}/publications").get_json()["publications"] == []


def test_publishing_needs_a_plan_and_keeps_a_published_plan(app, client):
    assert client.post("/api/plans/999/publish", json={}).status_code == 404
    assert_friendly(client.post("/plans/999/publish"), 404)
    pid = store_plan(app)
    publish(client, pid)
    response = client.delete(f"/api/plans/{pid}")
    assert response.status_code == 409 and "published" in response.get_json()["error"]
    assert client.get(f"/api/plans/{pid}").status_code == 200
    other = store_plan(app)
    assert client.delete(f"/api/plans/{other}").status_code == 204  # never published: deleted as before
    # deleting the scenario takes its publications with it
    assert client.delete(f"/api/scenarios/{SAMPLE_ID}").status_code == 204
    with db.new_session(app) as s:
        assert s.query(store.PublicationRow).count() == 0


def test_publishing_is_an_edit_refused_from_another_site(app, client):
    pid = store_plan(app)
    response = client.post(f"/api/plans/{pid}/publish", json={}, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert client.get(f"/api/scenarios/{SAMPLE_ID}/publications").get_json()["publications"] == []


# --- holidays and closures -------------------------------------------------------------------------


def test_holidays_and_closed_dates_are_missing_from_next_dates_and_said_where_patrons_look(app, client):
    start = december()
    stocktaking = next(start + timedelta(days=i) for i in range(7, 14) if (start + timedelta(days=i)).weekday() < 5)
    pid = store_plan(app, closed=[(stocktaking, "Stocktaking")])
    publish(client, pid, start)
    page = assert_friendly(client.get(f"/scenarios/{SAMPLE_ID}/timetable"), 200)
    shown = {date.fromisoformat(d) for d in re.findall(r'<time datetime="([0-9-]+)"', page)}
    national = {d for d in holidays.country_holidays("LT", years=[start.year, start.year + 1])
                if start <= d <= max(shown) and d.weekday() < 5}
    assert national, "a December has a public holiday on a weekday (24-26 Dec)"
    assert not national & shown and stocktaking not in shown
    assert shown  # every other weekday is there
    christmas = date(start.year, 12, 25)
    if christmas.weekday() < 5:
        assert re.search(r"no visit on \w+ 25 Dec \(Christmas Day\)", page)
    assert "(Stocktaking)" in page
    poster = text(client.get(f"/scenarios/{SAMPLE_ID}/poster"))
    assert "(Stocktaking)" in poster and "no visit on" in poster


def test_holidays_are_excluded_from_the_calendar_feeds(app, client):
    from dateutil.rrule import rruleset, rrulestr

    start = december()
    pid = store_plan(app, country="LV")
    publish(client, pid, start)
    stop = first_stop(app)
    cal = feed(client, f"?stop={stop.id}")
    assert [tz["tzid"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Riga"]
    starts = set()
    for e in cal.walk("VEVENT"):
        assert e["dtstart"].params["TZID"] == "Europe/Riga" and "UNTIL" in e["rrule"]
        rules = rruleset()
        rules.rrule(rrulestr(e["rrule"].to_ical().decode(), dtstart=e.decoded("dtstart")))
        exdates = e.get("exdate", [])
        for group in exdates if isinstance(exdates, list) else [exdates]:
            for d in group.dts:
                rules.exdate(d.dt)
        starts |= {d.date() for d in rules}
    latvian = {d for d in holidays.country_holidays("LV", years=range(start.year, start.year + 2))
               if start <= d and d.weekday() < 5}
    assert latvian and not latvian & starts
    assert min(starts) >= start and max(starts) <= date(start.year + 1, 11, 30)  # a year, as documented
    assert len(starts) > 200  # every other weekday of the year
    assert len(feed(client).walk("VEVENT")) == 5  # the scenario's feed: every stop (one here)


def test_a_driver_sheet_for_a_closed_date_says_so(app, client):
    first_monday = date(2026, 11, 30)  # the sheets show the first cycle's dates
    pid = store_plan(app, closed=[(first_monday, "Staff training")], start=first_monday)
    sheet = assert_friendly(client.get(f"/plans/{pid}/driver/1"), 200)
    assert "No visits on" in sheet and "Staff training" in sheet and "do not drive this day" in sheet
    tuesday = assert_friendly(client.get(f"/plans/{pid}/driver/2"), 200)
    assert "do not drive this day" not in tuesday and "Next dates:" in tuesday
