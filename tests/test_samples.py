"""The shipped sample scenarios plan cleanly: every stop accounted for, the checker agrees.

One test per sample solves once and asserts everything about that plan (a
shared fixture would be solved again on each xdist worker).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from routeplanner.checker import check_plan
from routeplanner.io import load_scenario, read_stops
from routeplanner.io.planjson import plan_to_dict
from routeplanner.solver import solve

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize("sample", ["rokiskis", "ogre"])
def test_sample_plans_account_for_every_stop_and_pass_the_checker(sample, validate_plan):
    scenario = load_scenario(DATA / sample / "scenario.toml")
    assert len(scenario.stops) > 30
    plan = solve(scenario, time_limit_s=10)

    visits = Counter(v.stop_id for r in plan.routes for v in r.visits)
    unserved = {u.stop_id: u for u in plan.unserved}
    weeks = scenario.cycle.weeks
    for stop in scenario.stops:
        required = stop.frequency.visits_per_cycle(weeks)
        if stop.id in unserved:
            u = unserved[stop.id]
            assert u.reason.strip(), f"{stop.id} is unserved without a reason"
            assert visits[stop.id] == 0, f"{stop.id} is both partly visited and listed as unserved"
            assert u.missing_visits == required
        else:
            assert visits[stop.id] == required, f"{stop.id}: {visits[stop.id]} of {required} visits"
    assert set(visits) | set(unserved) == {s.id for s in scenario.stops}
    for stop in scenario.stops:
        if stop.must:
            assert stop.id not in unserved, f"must stop {stop.id} is unserved"

    report = check_plan(scenario, plan)
    assert report.violations == [], "\n".join(str(v) for v in report.violations)
    assert report.totals.stops_served == plan.totals.stops_served == len(scenario.stops) - len(unserved)
    assert report.totals.distance_km == pytest.approx(plan.totals.distance_km, rel=1e-6)

    doc = plan_to_dict(plan)
    assert validate_plan(doc) == []
    assert doc["totals"]["stops_total"] == len(scenario.stops)
    if scenario.cycle.start_date is not None:
        assert all("date" in r for r in doc["routes"])


def test_latvian_locale_stops_file_reads_the_same_stops():
    canonical = read_stops(DATA / "ogre" / "stops.csv")
    raw = (DATA / "ogre" / "stops_lv.csv").read_bytes()
    # the fixture really is the Latvian spreadsheet variant, not a copy
    header = raw.splitlines()[0].decode("cp1257")
    assert header.startswith("id;nosaukums;platums;garums;izsniegumi")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert b";56," in raw  # decimal comma
    latvian = read_stops(DATA / "ogre" / "stops_lv.csv")
    assert len(latvian) == len(canonical) == 37
    for a, b in zip(latvian, canonical):
        assert a == b, (a, b)
    assert latvian == canonical
    assert any(s.frequency.period_weeks == 4 for s in canonical)
    assert any(not s.name.isascii() for s in canonical), "names keep their diacritics"
