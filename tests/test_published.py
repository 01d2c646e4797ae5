"""The published timetable: one window per stop, on 5-minute steps, open on every visit, worded for patrons."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from meridian import SCENARIO, make_plan
from routeplanner import published
from routeplanner.checker import check_plan
from routeplanner.io import load_scenario
from routeplanner.io.planjson import plan_from_dict, plan_to_dict
from routeplanner.model import Cycle, Published
from routeplanner.solver import solve

DATA = Path(__file__).resolve().parents[1] / "data"


def assert_windows_hold(plan, timetable):
    """Every window on 5-minute steps, its slots the stop's visits, the door open for all of it on each."""
    visits = {}
    for r in plan.routes:
        for v in r.visits:
            visits.setdefault(v.stop_id, []).append(((r.week, r.day), v))
    for e in timetable:
        if not e.has_window:
            continue
        assert e.opens_min % 5 == 0 and e.closes_min % 5 == 0, e
        assert e.closes_min - e.opens_min >= published.MIN_WINDOW_MIN, e
        assert sorted(e.slots) == sorted(slot for slot, _v in visits[e.stop_id]), e
        for _slot, v in visits[e.stop_id]:
            assert v.arrival_min <= e.opens_min and e.closes_min <= v.departure_min, (e, v)


# --- the window ---------------------------------------------------------------------------


def test_window_is_the_intersection_rounded_inward():
    assert published.window([(602, 640), (610, 651)]) == (610, 640)
    assert published.window([(600, 645)]) == (600, 645)
    assert published.window([(603, 613)]) == (605, 610)
    assert published.window([(600, 615), (614, 629)]) is None  # one minute in common
    assert published.window([]) is None


def test_a_weekly_stop_is_published_once_with_the_window_of_both_weeks():
    # The bug: "Every Tuesday: week 1 12:39-13:14 and week 2 12:24-12:59".
    plan = make_plan()
    b = [v for r in plan.routes for v in r.visits if v.stop_id == "B"]
    for v, (a, d) in zip(b, [(759, 794), (744, 779), (759, 794), (744, 779)]):
        v.arrival_min, v.departure_min = a, d
    entry = next(e for e in published.timetable(plan) if e.stop_id == "B")
    assert (entry.opens_min, entry.closes_min) == (760, 775)
    assert entry.text == "Every Tuesday, 12:40–12:55"


def test_a_window_too_short_is_not_published_and_says_why():
    plan = make_plan()
    b = [v for r in plan.routes for v in r.visits if v.stop_id == "B"]
    b[1].arrival_min, b[1].departure_min = 542, 562  # 09:02-09:22 against 08:50-09:10: 8 min in common
    entry = next(e for e in published.timetable(plan) if e.stop_id == "B")
    assert entry.opens_min is None and entry.closes_min is None
    assert "08:50-09:10, 09:02-09:22" in entry.reason
    assert entry.text == "Every Tuesday, at the times of each date"


def test_the_meridian_plan_windows_hold():
    plan = make_plan()
    timetable = published.timetable(plan)
    assert [e.stop_id for e in timetable] == ["A", "B", "C"]
    assert_windows_hold(plan, timetable)


@pytest.mark.parametrize("sample", ["rokiskis", "ogre"])
def test_sample_plans_publish_windows_the_van_keeps_and_the_checker_agrees(sample, validate_plan):
    scenario = load_scenario(DATA / sample / "scenario.toml")
    plan = solve(scenario, work_limit=150)
    doc = plan_to_dict(plan)
    assert validate_plan(doc) == []
    back = plan_from_dict(doc)
    assert len(back.timetable) == plan.totals.stops_served
    assert sum(e.has_window for e in back.timetable) == len(doc["timetable"]) > 0
    assert_windows_hold(plan, back.timetable)
    assert check_plan(scenario, back).violations == []
    assert all(" of the cycle" not in e.text and "week " not in e.text for e in back.timetable)


# --- the checker --------------------------------------------------------------------------


def checked(timetable):
    plan = dataclasses.replace(make_plan(), timetable=timetable)
    return [(v.kind, v.stop_id) for v in check_plan(SCENARIO, plan).violations]


def test_the_checker_passes_the_derived_timetable():
    assert checked(published.timetable(make_plan())) == []


def test_the_checker_catches_a_window_the_van_is_not_there_for():
    good = published.timetable(make_plan())
    a = good[0]  # Kamajai, weeks 1 and 3 Tue, open 08:10-08:40 on both
    early = dataclasses.replace(a, opens_min=a.opens_min - 5)
    late = dataclasses.replace(a, closes_min=a.closes_min + 5)
    assert checked([early, *good[1:]]) == [("timetable-window", "A")] * 2
    assert checked([late, *good[1:]]) == [("timetable-window", "A")] * 2


def test_the_checker_catches_odd_minutes_and_wrong_slots():
    good = published.timetable(make_plan())
    a = good[0]
    assert checked([dataclasses.replace(a, opens_min=a.opens_min + 2), *good[1:]]) == [("timetable-step", "A")]
    assert checked([dataclasses.replace(a, slots=a.slots + ((2, "Tue"),)), *good[1:]]) == [("timetable-slot", "A")]
    assert checked([dataclasses.replace(a, slots=a.slots[:1]), *good[1:]]) == [("timetable-slot", "A")]
    assert checked([*good, Published("Z", "Nowhere", ((1, "Tue"),), 600, 610)]) == [("timetable-stop", "Z")]
    assert checked([*good, good[0]]) == [("timetable-stop", "A")]


def test_entries_without_a_window_promise_nothing_to_check():
    good = published.timetable(make_plan())
    assert checked([dataclasses.replace(good[0], opens_min=None, closes_min=None), *good[1:]]) == []


# --- the words ----------------------------------------------------------------------------


def when(weeks: int, slots, days=("Mon", "Tue", "Wed", "Thu", "Fri")) -> str:
    return published.when_phrase(Cycle(weeks, days), slots)


@pytest.mark.parametrize(
    ("weeks", "slots", "text"),
    [
        (1, [(1, "Wed")], "every Wednesday"),
        (2, [(1, "Tue"), (2, "Tue")], "every Tuesday"),
        (2, [(2, "Wed")], "every other Wednesday"),
        (4, [(1, "Wed"), (3, "Wed")], "every other Wednesday"),
        (4, [(3, "Mon")], "every fourth Monday"),
        (3, [(2, "Fri")], "every third Friday"),
        (12, [(5, "Fri")], "every 12 weeks on Friday"),
        (1, [(1, "Thu"), (1, "Mon")], "every Monday and Thursday"),
        (2, [(1, "Mon"), (1, "Thu")], "every other Monday and Thursday"),
        (2, [(1, "Mon"), (2, "Thu")], "every other Monday and every other Thursday"),
        (4, [(1, "Wed"), (2, "Wed")], "2 Wednesdays in every 4 weeks"),
        (4, [(1, "Mon"), (2, "Mon"), (1, "Thu"), (2, "Thu")], "2 Mondays and Thursdays in every 4 weeks"),
    ],
)
def test_when_phrase_as_councils_publish_it(weeks, slots, text):
    assert when(weeks, slots) == text


def test_patron_line_is_capitalised_and_translated_through_the_callers_gettext():
    entry = Published("A", "Kamajai", ((2, "Wed"),), 600, 645)
    assert published.patron_line(entry, Cycle(2)) == "Every other Wednesday, 10:00–10:45"
    fake = {"every other %(day)s": "kas antrą %(day)s", "Wednesday": "trečiadienį"}
    assert published.patron_line(entry, Cycle(2), lambda s: fake.get(s, s)) == "Kas antrą trečiadienį, 10:00–10:45"
