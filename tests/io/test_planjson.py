"""The plan JSON contract, on the hand-made meridian plan (tests/meridian.py)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from meridian import KM_PER_TENTH, make_plan, whole_metres
from routeplanner import published
from routeplanner.errors import InputError
from routeplanner.io.planjson import plan_from_dict, plan_to_dict, read_plan_json, write_plan_json
from routeplanner.model import Cycle, Travel

# --- JSON --------------------------------------------------------------------------


def test_plan_dict_validates_against_the_contract(validate_plan):
    doc = json.loads(json.dumps(plan_to_dict(make_plan())))
    assert validate_plan(doc) == []
    doc_without_dates = plan_to_dict(dataclasses.replace(make_plan(), cycle=Cycle(4, ("Tue", "Thu"))))
    assert validate_plan(doc_without_dates) == []


def test_plan_dict_content():
    d = plan_to_dict(make_plan())
    assert d["cycle"] == {"weeks": 4, "days": ["Tue", "Thu"], "start_date": "2026-12-01"}
    r0 = d["routes"][0]
    assert (r0["start"], r0["end"], r0["date"], r0["day"]) == ("08:00", "11:05", "2026-12-01", "Tue")
    assert r0["distance_km"] == round(6 * KM_PER_TENTH, 3)
    assert r0["drive_minutes"] == 60
    assert r0["breaks"] == [{"start": "09:50", "minutes": 45}]
    v0 = r0["visits"][0]
    assert (v0["arrival"], v0["departure"], v0["loans"]) == ("08:10", "08:40", 40)
    assert (v0["leg_km"], v0["leg_minutes"], v0["week"], v0["day"]) == (round(KM_PER_TENTH, 3), 10, 1, "Tue")
    assert d["unserved"][0]["suggestion"] == "start from Obeliai instead"
    assert d["solver"]["objective"] == 1234
    assert d["totals"]["visits"] == 8


def test_no_suggestion_key_when_empty():
    plan = make_plan()
    plan.unserved[0].suggestion = ""
    assert "suggestion" not in plan_to_dict(plan)["unserved"][0]


def test_round_trip_is_exact():
    # A plan from the solver has no published timetable of its own: the document
    # carries the derived one, and reading it back gives the plan with it.
    plan = whole_metres(make_plan())
    assert plan.timetable == []
    with_timetable = dataclasses.replace(plan, timetable=published.timetable(plan))
    assert plan_from_dict(plan_to_dict(plan)) == with_timetable
    assert plan_from_dict(json.loads(json.dumps(plan_to_dict(plan)))) == with_timetable
    assert plan_from_dict(plan_to_dict(with_timetable)) == with_timetable


# --- the published timetable (contract v1.1) -----------------------------------------


def test_timetable_in_the_document_validates_and_says_when(validate_plan):
    doc = json.loads(json.dumps(plan_to_dict(make_plan())))
    assert validate_plan(doc) == []
    assert [(e["stop_id"], e["opens"], e["closes"], e["text"]) for e in doc["timetable"]] == [
        ("A", "08:10", "08:40", "Every other Tuesday, 08:10–08:40"),
        ("B", "08:50", "09:10", "Every Tuesday, 08:50–09:10"),
        ("C", "09:20", "09:50", "Every other Tuesday, 09:20–09:50"),
    ]
    assert doc["timetable"][1]["slots"] == [{"week": w, "day": "Tue"} for w in (1, 2, 3, 4)]
    assert doc["timetable_unpublished"] == []


def test_a_stop_without_a_common_window_round_trips_as_unpublished(validate_plan):
    plan = whole_metres(make_plan())
    b_week2 = plan.routes[1].visits[0]
    b_week2.arrival_min, b_week2.departure_min = 545, 565  # B: 08:50-09:10 on three visits, 09:05-09:25 on one
    doc = json.loads(json.dumps(plan_to_dict(plan)))
    assert validate_plan(doc) == []
    assert "B" not in {e["stop_id"] for e in doc["timetable"]}
    (entry,) = doc["timetable_unpublished"]
    assert entry["stop_id"] == "B" and "share no 10-minute window" in entry["reason"]
    assert entry["text"] == "Every Tuesday, at the times of each date"
    back = plan_from_dict(doc)
    assert {e.stop_id: e.has_window for e in back.timetable} == {"A": True, "C": True, "B": False}
    assert plan_to_dict(back) == doc


def test_a_malformed_timetable_entry_is_refused_with_its_path():
    doc = plan_to_dict(make_plan())
    doc["timetable"][0]["opens"] = "08:61"
    doc["timetable"][1]["slots"] = [{"week": 0, "day": "Tue"}]
    doc["timetable"][2]["slots"] = []
    with pytest.raises(InputError) as exc:
        plan_from_dict(doc)
    assert {p.column for p in exc.value.problems} == {
        "timetable[0].opens", "timetable[1].slots[0].week", "timetable[2].slots"}


def test_round_trip_of_any_plan_is_stable():
    # Sub-metre precision is dropped once; after that the document is a fixed point.
    d = plan_to_dict(make_plan())
    assert plan_to_dict(plan_from_dict(d)) == d


def test_json_file_round_trip(tmp_path):
    plan = whole_metres(make_plan())
    plan.timetable = published.timetable(plan)
    path = tmp_path / "plan.json"
    write_plan_json(plan, path)
    assert "Rokiškis" in path.read_text(encoding="utf-8")  # names kept readable, not \u-escaped
    assert read_plan_json(path) == plan


def test_minimal_foreign_plan_is_read():
    # Only the contract's required keys: no breaks, no extras.
    doc = {
        "scenario": "published",
        "cycle": {"weeks": 2, "days": ["Mon"]},
        "travel": {"method": "haversine", "speed_kmh": 40},
        "routes": [
            {
                "vehicle": "Van", "week": 1, "day": "Mon", "start": "09:00", "end": "12:00", "distance_km": 12.5,
                "depot": {"name": "Town", "lat": 55, "lon": 24},
                "visits": [{"stop_id": "x", "name": "X", "lat": 55.1, "lon": 24, "arrival": "09:30",
                            "departure": "10:00", "loans": 12}],
            }
        ],
        "unserved": [],
        "totals": {"distance_km": 12.5, "drive_minutes": 30, "service_minutes": 30, "visits": 1,
                   "stops_served": 1, "stops_total": 1, "loans_served": 12, "loans_total": 12},
        "solver": "not ours",  # an extra key used differently by another tool
    }
    plan = plan_from_dict(doc)
    assert plan.routes[0].distance_m == 12500
    assert plan.routes[0].visits[0].arrival_min == 9 * 60 + 30
    assert plan.routes[0].breaks == [] and plan.travel.circuity == Travel().circuity


def test_malformed_plan_names_every_json_path():
    d = plan_to_dict(make_plan())
    d["routes"][3]["visits"][0]["arrival"] = "25:00"
    d["routes"][1]["day"] = "Tuesday"
    d["routes"][0]["breaks"][0]["minutes"] = 0
    del d["totals"]["visits"]
    d["unserved"][0]["reason"] = ""
    with pytest.raises(InputError) as info:
        plan_from_dict(d, source="published.json")
    columns = {p.column for p in info.value.problems}
    assert columns == {
        "routes[3].visits[0].arrival",
        "routes[1].day",
        "routes[0].breaks[0].minutes",
        "totals.visits",
        "unserved[0].reason",
    }
    assert all(p.file == "published.json" for p in info.value.problems)
    assert "routes[3].visits[0].arrival" in str(info.value) and "25:00" in str(info.value)


def test_missing_section_is_one_problem():
    d = plan_to_dict(make_plan())
    del d["totals"]
    with pytest.raises(InputError) as info:
        plan_from_dict(d)
    assert [p.column for p in info.value.problems] == ["totals"]


def test_not_an_object():
    with pytest.raises(InputError):
        plan_from_dict([1, 2, 3])


def test_unreadable_json_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"scenario": "x", ', encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_plan_json(path)
    assert str(path) in str(info.value)
