"""The plan JSON contract, on the hand-made meridian plan (tests/meridian.py)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from meridian import KM_PER_TENTH, make_plan, whole_metres
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
    plan = whole_metres(make_plan())
    assert plan_from_dict(plan_to_dict(plan)) == plan
    assert plan_from_dict(json.loads(json.dumps(plan_to_dict(plan)))) == plan


def test_round_trip_of_any_plan_is_stable():
    # Sub-metre precision is dropped once; after that the document is a fixed point.
    d = plan_to_dict(make_plan())
    assert plan_to_dict(plan_from_dict(d)) == d


def test_json_file_round_trip(tmp_path):
    plan = whole_metres(make_plan())
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
