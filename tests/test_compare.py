"""Plans side by side, on hand-made plans whose differences are known."""

from __future__ import annotations

import pytest

from routeplanner.compare import (
    Change,
    Slot,
    change,
    compare,
    difference,
    figures,
    moved_between,
    moved_stops,
    stop_times,
)
from routeplanner.model import Cycle, Place, Plan, Route, SolveInfo, Totals, Travel, Unserved, Visit

DEPOT = Place("Depot", 55.0, 25.0)
CYCLE = Cycle(2, ("Mon", "Tue", "Thu"))


def plan(*visits: tuple[str, int, str, int, int], vehicle: str = "V", km: float = 100.0,
         unserved: tuple[str, ...] = (), cost: int | None = 1000) -> Plan:
    """A plan from (stop id, week, day, arrival, departure) visits, one route a (week, day), in the order given."""
    routes: dict[tuple[int, str], Route] = {}
    for stop_id, week, day, arrival, departure in visits:
        route = routes.setdefault((week, day), Route(vehicle, week, day, DEPOT, 480, 900))
        route.visits.append(Visit(stop_id, stop_id.title(), 55.1, 25.1, arrival, departure, 10))
    n = len(visits)
    totals = Totals(km, 120.0, 20.0 * n, n, 3, 4, 10.0 * n, 50.0)
    not_served = [Unserved(s, s.title(), 1, "too far") for s in unserved]
    return Plan("test", CYCLE, Travel(), list(routes.values()), not_served, totals, SolveInfo(objective=cost))


# --- figures ---------------------------------------------------------------------------


def test_figures_of_a_plan():
    f = figures(plan(("a", 1, "Mon", 540, 560), ("b", 1, "Tue", 600, 620), unserved=("c",), cost=77))
    assert (f.distance_km, f.visits, f.stops_served, f.stops_total) == (100.0, 2, 3, 4)
    assert (f.loans_served, f.loans_total, f.loans_share_pct) == (20.0, 50.0, 40.0)
    assert (f.unserved, f.cost) == (1, 77)


def test_change_knows_which_way_is_better():
    assert change("distance_km", 100.0, 80.0) == Change(80.0, -20.0, "better")
    assert change("distance_km", 100.0, 120.0).verdict == "worse"
    assert change("loans_served", 10.0, 12.0).verdict == "better"
    assert change("unserved", 1, 2).verdict == "worse"
    assert change("stops_total", 4, 5).verdict == "changed"  # more stops asked for is neither
    assert change("distance_km", 100.0, 100.0 + 1e-12) == Change(100.0 + 1e-12, pytest.approx(0), "")
    assert change("cost", None, 5) == Change(5, None, "")


def test_difference():
    assert difference(1.0, 1.2345678, 3) == 0.235
    assert difference(2, 5) == 3
    assert difference(None, 5) is None and difference(5, None, 3) is None


# --- moved stops -----------------------------------------------------------------------


def test_stop_times_are_in_calendar_order_and_keep_the_vehicle():
    p = plan(("a", 2, "Mon", 540, 560), ("a", 1, "Thu", 600, 620), ("a", 1, "Mon", 545, 565), vehicle="Van")
    times = stop_times(p)
    assert list(times) == ["a"] and times["a"].name == "A"
    assert times["a"].slots == (Slot(1, "Mon", 545, 565, "Van"), Slot(1, "Thu", 600, 620, "Van"),
                                Slot(2, "Mon", 540, 560, "Van"))


def test_moved_stops_day_time_added_dropped():
    first = plan(("same", 1, "Mon", 540, 560), ("day", 1, "Mon", 600, 620), ("time", 1, "Tue", 540, 560),
                 ("both", 1, "Tue", 600, 620), ("gone", 2, "Thu", 540, 560), ("close", 2, "Mon", 540, 560))
    other = plan(("same", 1, "Mon", 540, 560), ("day", 2, "Mon", 600, 620), ("time", 1, "Tue", 550, 570),
                 ("both", 1, "Thu", 610, 630), ("new", 2, "Thu", 540, 560), ("close", 2, "Mon", 540, 565))
    moved = moved_stops(first, other)
    assert [(m.stop_id, m.changes) for m in moved] == [
        ("day", ("day",)),
        ("time", ("time",)),
        ("both", ("day", "time")),
        ("gone", ("dropped",)),
        ("close", ("time",)),  # closing later is another time too
        ("new", ("added",)),  # the stops only the other plan visits come last
    ]
    day = moved[0]
    assert day.name == "Day"
    assert day.before == (Slot(1, "Mon", 600, 620, "V"),) and day.after == (Slot(2, "Mon", 600, 620, "V"),)
    assert moved[3].after == () and moved[5].before == ()


def test_another_vehicle_at_the_same_times_is_no_move():
    assert moved_stops(plan(("a", 1, "Mon", 540, 560), vehicle="A"), plan(("a", 1, "Mon", 540, 560), vehicle="B")) == []


def test_a_stop_visited_in_neither_plan_did_not_move():
    # Not served in one plan, not even listed in the other: no visit moved.
    assert moved_stops(plan(("a", 1, "Mon", 540, 560), unserved=("b",)), plan(("a", 1, "Mon", 540, 560))) == []


def test_moved_between_takes_any_source_of_stop_times():
    first = stop_times(plan(("a", 1, "Mon", 540, 560)))
    assert moved_between(first, first) == []
    assert [m.changes for m in moved_between(first, {})] == [("dropped",)]


# --- a comparison ----------------------------------------------------------------------


def test_compare_measures_every_plan_against_the_first():
    a = plan(("a", 1, "Mon", 540, 560), ("b", 1, "Tue", 540, 560), km=100.0, cost=1000)
    b = plan(("a", 1, "Mon", 540, 560), ("b", 1, "Thu", 540, 560), km=80.0, cost=None)
    c = plan(("a", 1, "Mon", 600, 620), ("b", 1, "Tue", 540, 560), km=120.0, cost=900)
    result = compare([a, b, c])
    assert [f.distance_km for f in result.figures] == [100.0, 80.0, 120.0]
    assert all(ch.verdict == "" for ch in result.changes[0].values())  # the first against itself
    assert [ch["distance_km"].verdict for ch in result.changes] == ["", "better", "worse"]
    assert result.changes[2]["distance_km"].delta == pytest.approx(20.0)
    assert [ch["cost"].verdict for ch in result.changes] == ["", "", "better"]  # unknown cost: no verdict
    assert [[m.stop_id for m in moves] for moves in result.moved] == [["b"], ["a"]]
    assert result.moved_ids() == {"a", "b"}
