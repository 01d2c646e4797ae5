"""Today's timetable imported as a plan: what it says, in the scenario's stops and vans, judged by the checker."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest

from builders import scenario, stop
from routeplanner.checker import check_plan
from routeplanner.errors import InputError
from routeplanner.imported import NOT_IN_TIMETABLE, import_timetable
from routeplanner.io import load_scenario
from routeplanner.io.timetable import read_timetable_bytes
from routeplanner.model import Frequency, Vehicle
from routeplanner.solver import solve


def _csv(rows: list[list], header: list[str]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue().encode()


def _visits_csv(plan, *, vehicle=True) -> bytes:
    """One row per visit of ``plan``: the plainest timetable there is."""
    rows = [[r.vehicle if vehicle else "", r.day, r.week, v.stop_id, f"{v.arrival_min // 60}:{v.arrival_min % 60:02d}",
             f"{v.departure_min // 60}:{v.departure_min % 60:02d}"] for r in plan.routes for v in r.visits]
    return _csv(rows, ["vehicle", "day", "weeks", "stop_id", "arrival", "departure"])


def _shape(plan):
    return sorted((r.vehicle, r.week, r.day, tuple((v.stop_id, v.arrival_min, v.departure_min) for v in r.visits))
                  for r in plan.routes if r.visits)


@pytest.fixture(scope="module")
def rokiskis():
    sc = load_scenario("data/rokiskis/scenario.toml")
    return sc, solve(sc, work_limit=60)


def test_a_timetable_typed_from_a_plan_imports_as_that_plan(rokiskis):
    sc, plan = rokiskis
    got = import_timetable(sc, read_timetable_bytes(_visits_csv(plan), "today.csv")).plan
    assert _shape(got) == _shape(plan)
    assert got.totals.distance_km == pytest.approx(plan.totals.distance_km, rel=1e-9)
    assert {u.stop_id for u in got.unserved} == {u.stop_id for u in plan.unserved}
    assert all(u.reason == NOT_IN_TIMETABLE for u in got.unserved)
    report = check_plan(sc, got)
    # The solver's plan keeps every rule; typed back in, so does the timetable (the break
    # goes in the day's longest wait, where the driver has time).
    assert report.ok, [str(v) for v in report.violations]
    assert report.totals.distance_km == pytest.approx(got.totals.distance_km)
    assert got.info.solver == "imported timetable"
    assert all(r.date is not None for r in got.routes)  # the scenario's cycle has a start date


def _small():
    stops = [stop("a", 0.05), stop("b", 0.10), stop("c", 0.15, frequency=Frequency(period_weeks=2)),
             stop("d", 0.20, frequency=Frequency(period_weeks=2))]
    vans = (Vehicle("Van", 2500, 8 * 60, 17 * 60, 45, 270), Vehicle("Second", 2500, 8 * 60, 17 * 60, 45, 270))
    return scenario(stops, weeks=2, days=("Mon", "Tue"), vehicles=vans)


def test_names_coordinates_and_frequencies_place_the_rows_in_the_cycle():
    sc = _small()
    data = _csv([
        ["Van", "Mon", "", "weekly", "A", "", "", "09:00", "09:20"],
        # the name differs; the coordinates are stop b's
        ["Van", "Mon", "", "", "Bee village", sc.stop("b").lat, sc.stop("b").lon, "09:40", "10:00"],
        # fortnightly without a date: the first week the van is free on Monday (week 1)
        ["Van", "Mon", "", "2", "C", "", "", "10:30", "10:50"],
        # fortnightly on a Tuesday, dated in the second week of the file's dates
        ["Van", "Tue", "2026-12-08", "2", "D", "", "", "09:00", "09:20"],
        ["Van", "Tue", "2026-12-01", "2", "A", "", "", "11:00", "11:20"],
    ], ["vehicle", "day", "date", "frequency", "stop", "lat", "lon", "arrival", "departure"])
    got = import_timetable(sc, read_timetable_bytes(data, "t.csv"))
    shape = _shape(got.plan)
    assert shape == [
        ("Van", 1, "Mon", (("a", 540, 560), ("b", 580, 600), ("c", 630, 650))),
        ("Van", 1, "Tue", (("a", 660, 680),)),
        ("Van", 2, "Mon", (("a", 540, 560), ("b", 580, 600))),
        ("Van", 2, "Tue", (("d", 540, 560),)),
    ]
    assert any("coordinates" in n.note and n.row == 3 for n in got.notes)
    kinds = check_plan(sc, got.plan).kinds()
    # a is weekly in the stops table but the timetable adds Tuesdays: the checker says so.
    assert "frequency" in kinds or "frequency-weekday" in kinds


def test_without_a_vehicle_column_each_route_goes_to_the_first_free_van():
    sc = _small()
    data = _csv([["R1", "Mon", "1", "a", "09:00", "09:20"], ["R2", "Mon", "1", "b", "09:00", "09:20"],
                 ["R2", "Mon", "2", "b", "09:00", "09:20"]],
                ["route", "day", "weeks", "stop_id", "arrival", "departure"])
    plan = import_timetable(sc, read_timetable_bytes(data, "t.csv")).plan
    assert sorted((r.vehicle, r.week, r.visits[0].stop_id) for r in plan.routes) == [
        ("Second", 1, "b"), ("Second", 2, "b"), ("Van", 1, "a")]


def test_rows_of_one_name_go_to_the_stops_of_that_name_in_turn():
    base = _small()
    twin = replace(base.stop("b"), id="b-2")
    sc = replace(base, stops=base.stops + (twin,))
    data = _csv([["Mon", "1", "B", "09:00", "09:20"], ["Tue", "1", "B", "09:00", "09:20"]],
                ["day", "weeks", "stop", "arrival", "departure"])
    plan = import_timetable(sc, read_timetable_bytes(data, "t.csv")).plan
    assert sorted((r.day, r.visits[0].stop_id) for r in plan.routes) == [("Mon", "b"), ("Tue", "b-2")]


def test_every_problem_at_once_and_nothing_imported():
    sc = _small()
    data = _csv([
        ["Van", "Mon", "1", "", "Nowhere", "", "09:00", "09:20"],  # no such stop
        ["Bus", "Mon", "1", "", "A", "", "10:00", "10:20"],  # no such van
        ["Van", "Mon", "3", "", "B", "", "11:00", "11:20"],  # week 3 of a 2-week cycle
        ["Van", "Tue", "", "4", "C", "", "11:00", "11:20"],  # every 4 weeks in a 2-week cycle
        ["Van", "Xday", "1", "", "D", "", "11:00", "11:20"],  # not a weekday (the reader's problem)
        ["Van", "Tue", "1", "", "", "zz", "11:00", "11:20"],  # no such id
    ], ["vehicle", "day", "weeks", "frequency", "stop", "stop_id", "arrival", "departure"])
    with pytest.raises(InputError) as err:
        import_timetable(sc, read_timetable_bytes(data, "t.csv"))
    found = {(p.row, p.column) for p in err.value.problems}
    assert found == {(2, "stop"), (3, "vehicle"), (4, "weeks"), (5, "frequency"), (6, "day"), (7, "stop_id")}
    assert all(p.file == "t.csv" for p in err.value.problems)


def test_one_van_on_two_routes_at_once_is_refused_with_both_routes_named():
    sc = _small()
    data = _csv([["Van", "R1", "Mon", "1", "a", "09:00", "09:20"], ["Van", "R2", "Mon", "1", "b", "09:00", "09:20"]],
                ["vehicle", "route", "day", "weeks", "stop_id", "arrival", "departure"])
    with pytest.raises(InputError) as err:
        import_timetable(sc, read_timetable_bytes(data, "t.csv"))
    (p,) = err.value.problems
    assert (p.row, p.column, p.value) == (3, "vehicle", "Van")
    assert "'R1'" in p.expected and "'R2'" in p.expected


def test_stops_the_timetable_leaves_out_are_unserved_and_the_checker_agrees():
    sc = _small()
    data = _csv([["Mon", "1;2", "a", "09:00", "09:20"]], ["day", "weeks", "stop_id", "arrival", "departure"])
    plan = import_timetable(sc, read_timetable_bytes(data, "t.csv")).plan
    assert {u.stop_id: u.missing_visits for u in plan.unserved} == {"b": 1, "c": 1, "d": 1}
    assert "missing-stop" not in check_plan(sc, plan).kinds()
