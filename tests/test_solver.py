"""The solver on small cases whose answer is known by hand.

Every plan is also run through the independent checker: the solver's own
account of its plan is never trusted.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import replace

import pytest
from builders import scenario, stop

from routeplanner.checker import check_plan
from routeplanner.io.planjson import plan_to_dict
from routeplanner.model import Frequency, Vehicle
from routeplanner.solver import SearchParams, solve
from routeplanner.travel import scenario_matrix

WEEKLY, FORTNIGHTLY, FOUR_WEEKLY = Frequency(1), Frequency(2), Frequency(4)


def assert_checked(sc, plan):
    report = check_plan(sc, plan)
    assert report.ok, "\n".join(v.message for v in report.violations)
    return report


def visits_by_stop(plan):
    out = defaultdict(list)
    for r in plan.routes:
        for v in r.visits:
            out[v.stop_id].append((r.week, r.day, v.arrival_min, r.vehicle))
    return out


def test_stops_on_a_line_are_visited_in_the_optimal_order():
    offsets = [0.25, 0.05, 0.2, 0.1, 0.15]  # ids deliberately out of order
    sc = scenario([stop(f"s{i}", off) for i, off in enumerate(offsets)])
    plan = solve(sc, time_limit_s=2)
    assert_checked(sc, plan)
    assert not plan.unserved
    m = scenario_matrix(sc)
    ids = [s.id for s in sc.stops]

    def tour(order):
        pts = [0] + [ids.index(s) + 1 for s in order] + [0]
        return sum(m.distance_m[a, b] for a, b in zip(pts, pts[1:]))

    best = min(tour(p) for p in itertools.permutations(ids))
    (route,) = plan.routes
    assert route.distance_m == pytest.approx(best, abs=2)  # whole metres in the solver
    # From a depot at one end, a shortest tour goes out and comes back:
    # east-west position rises to the far stop, then falls (ties allowed).
    east = [sc.stop(v.stop_id).lon for v in route.visits]
    far = east.index(max(east))
    assert east[: far + 1] == sorted(east[: far + 1])
    assert east[far:] == sorted(east[far:], reverse=True)


def test_frequency_patterns_and_stable_times_over_four_weeks():
    stops = [
        stop("weekly", 0.1, loans=30, frequency=WEEKLY),
        stop("wed-weekly", -0.1, loans=20, frequency=WEEKLY, days=("Wed",)),
        stop("fortnightly", 0.15, lat_offset=0.05, loans=15, frequency=FORTNIGHTLY),
        stop("four-weekly", -0.2, lat_offset=0.1, loans=15, frequency=FOUR_WEEKLY),
        stop("twice", 0.05, lat_offset=-0.1, loans=10, frequency=Frequency(visits=2)),
        stop("monthly-b", 0.3, lat_offset=-0.05, loans=12, frequency=FOUR_WEEKLY),
    ]
    sc = scenario(stops, weeks=4, days=("Mon", "Tue", "Wed", "Thu", "Fri"), stable=10)
    plan = solve(sc, time_limit_s=4)
    assert_checked(sc, plan)
    assert not plan.unserved
    got = visits_by_stop(plan)

    def periodic(stop_id, period):
        visits = got[stop_id]
        assert len(visits) == 4 // period
        assert len({d for _, d, _, _ in visits}) == 1, "one weekday for every visit"
        weeks = sorted(w for w, _, _, _ in visits)
        assert all(b - a == period for a, b in zip(weeks, weeks[1:]))
        arrivals = [a for _, _, a, _ in visits]
        assert max(arrivals) - min(arrivals) <= 10, "stable opening time"

    periodic("weekly", 1)
    periodic("wed-weekly", 1)
    assert {d for _, d, _, _ in got["wed-weekly"]} == {"Wed"}
    periodic("fortnightly", 2)
    periodic("four-weekly", 4)
    periodic("monthly-b", 4)
    twice = sorted((w - 1) * 5 + sc.cycle.days.index(d) for w, d, _, _ in got["twice"])
    assert len(twice) == 2 and twice[1] - twice[0] == 10, "two visits spread evenly over 20 days"


def test_driver_break_interrupts_every_long_stretch_on_duty():
    van = Vehicle("Van", 2500, 8 * 60, 17 * 60, break_minutes=30, break_after_minutes=120)
    stops = [stop(f"s{i}", 0.05 * (i + 1), loans=60, service=40) for i in range(6)]
    sc = scenario(stops, vehicles=[van])
    plan = solve(sc, time_limit_s=3)
    assert_checked(sc, plan)
    (route,) = plan.routes
    assert route.breaks, "a 5-hour day must contain a break"
    marks = [route.start_min]
    for b in sorted(route.breaks, key=lambda b: b.start_min):
        assert b.minutes >= 30
        marks += [b.start_min, b.start_min + b.minutes]
    marks.append(route.end_min)
    stretches = [b - a for a, b in zip(marks[::2], marks[1::2])]
    assert max(stretches) <= 120, stretches
    for b in route.breaks:  # never while the door is open
        for v in route.visits:
            assert b.start_min + b.minutes <= v.arrival_min or b.start_min >= v.departure_min


def test_time_windows_are_kept():
    stops = [
        stop("school", 0.2, loans=30, service=40, window=(9 * 60, 10 * 60)),
        stop("care-home", 0.1, loans=10, service=30, window=(14 * 60, 15 * 60)),
        stop("village", 0.15, loans=20),
    ]
    sc = scenario(stops)
    plan = solve(sc, time_limit_s=2)
    assert_checked(sc, plan)
    arrival = {v.stop_id: v for r in plan.routes for v in r.visits}
    assert 9 * 60 <= arrival["school"].arrival_min and arrival["school"].departure_min <= 10 * 60
    assert 14 * 60 <= arrival["care-home"].arrival_min and arrival["care-home"].departure_min <= 15 * 60


def test_capacity_limits_the_books_of_one_day():
    van = Vehicle("Van", 100, 8 * 60, 17 * 60, 45, 270)
    stops = [stop(f"s{i}", 0.05 * (i + 1), loans=40 + i) for i in range(3)]
    sc = scenario(stops, vehicles=[van])
    plan = solve(sc, time_limit_s=2)
    assert_checked(sc, plan)
    assert sum(v.loans for r in plan.routes for v in r.visits) <= 100
    (missing,) = plan.unserved
    assert missing.stop_id == "s0", "the stop with the fewest loans is the one dropped"
    assert "books" in missing.reason


def test_must_stop_is_kept_over_a_busier_one():
    van = Vehicle("Van", 2500, 8 * 60, 12 * 60, 45, 600)
    east = stop("east", 0.6, loans=5, service=90, must=True)
    west = stop("west", -0.6, loans=100, service=90)
    plan = solve(scenario([east, west], vehicles=[van]), time_limit_s=2)
    assert [v.stop_id for r in plan.routes for v in r.visits] == ["east"]
    assert [u.stop_id for u in plan.unserved] == ["west"]
    assert "competes for time" in plan.unserved[0].reason
    # without "must" the busier stop wins
    plan = solve(scenario([stop("east", 0.6, loans=5, service=90), west], vehicles=[van]), time_limit_s=2)
    assert [v.stop_id for r in plan.routes for v in r.visits] == ["west"]


@pytest.mark.parametrize(
    "bad, words",
    [
        (stop("far", 6.0), ["too far", "round trip", "the shift is 9 h"]),
        (stop("late", 0.8, window=(8 * 60, 8 * 60 + 40), service=20), ["window 08:00-08:40 cannot be met"]),
        (stop("saturday", 0.1, days=("Sat",)), ["no allowed working day", "Sat"]),
        (stop("heavy", 0.1, loans=3000), ["more loans than the vehicle carries", "2500"]),
        (stop("monthly", 0.1, frequency=FOUR_WEEKLY), ["multiple of 4 weeks", "2 weeks"]),
    ],
    ids=["too-far", "window", "no-day", "capacity", "frequency"],
)
def test_each_structural_reason(bad, words):
    sc = scenario([stop("ok", 0.1), bad], weeks=2, days=("Mon", "Tue"))
    plan = solve(sc, time_limit_s=2)
    assert_checked(sc, plan)
    (missing,) = plan.unserved
    assert missing.stop_id == bad.id
    for w in words:
        assert w in missing.reason
    assert missing.suggestion


def test_competition_reason_says_how_many_minutes_are_missing():
    van = Vehicle("Van", 2500, 8 * 60, 12 * 60, 45, 600)
    stops = [stop(f"s{i}", 0.02 * (i + 1), loans=50 - i, service=60) for i in range(5)]
    sc = scenario(stops, vehicles=[van])
    plan = solve(sc, time_limit_s=2)
    assert_checked(sc, plan)
    assert plan.unserved
    for u in plan.unserved:
        assert "competes for time" in u.reason and "more on any of its allowed days" in u.reason
        assert "ending the shift at" in u.suggestion
    served_loans = sum(v.loans for r in plan.routes for v in r.visits)
    assert served_loans >= 50 + 49 + 48  # three one-hour stops fit in four hours


def test_work_limit_gives_the_same_plan_twice():
    stops = [
        stop(f"s{i}", 0.03 * (i % 7) - 0.1, lat_offset=0.02 * (i // 7) - 0.05, loans=10 + i,
             frequency=FORTNIGHTLY if i % 3 else WEEKLY)
        for i in range(18)
    ]
    sc = scenario(stops, weeks=2, days=("Mon", "Tue", "Wed"))

    def run():
        d = plan_to_dict(solve(sc, time_limit_s=30, work_limit=150))
        d.pop("solver", None)
        return d

    assert run() == run()


def test_plan_validates_against_the_contract(validate_plan):
    stops = [stop("a", 0.1, frequency=WEEKLY), stop("b", 0.2, frequency=FORTNIGHTLY), stop("c", 9.0)]
    sc = scenario(stops, weeks=2, days=("Mon", "Tue"))
    plan = solve(sc, time_limit_s=2)
    assert validate_plan(plan_to_dict(plan)) == []


def test_two_vehicles_share_a_day_that_one_cannot_serve():
    vans = [Vehicle("Van A", 2500, 8 * 60, 12 * 60, 45, 600), Vehicle("Van B", 2500, 8 * 60, 12 * 60, 45, 600)]
    stops = [stop("east", 0.4, service=90), stop("west", -0.4, service=90)]
    sc = scenario(stops, vehicles=vans)
    plan = solve(sc, time_limit_s=2)
    assert_checked(sc, plan)
    assert not plan.unserved
    assert {r.vehicle for r in plan.routes} == {"Van A", "Van B"}


def test_a_large_fleet_is_planned_area_by_area():
    # Villages east and west of the depot, two vans: above the split size each
    # van gets one side, plans it on its own, and every village is served.
    vans = [Vehicle("Van A", 2500, 8 * 60, 17 * 60, 45, 270), Vehicle("Van B", 2500, 8 * 60, 17 * 60, 45, 270)]
    east = [stop(f"e{i}", 0.2 + 0.03 * i, lat_offset=0.01 * (i % 3), frequency=FORTNIGHTLY) for i in range(6)]
    west = [stop(f"w{i}", -0.2 - 0.03 * i, lat_offset=0.01 * (i % 3), frequency=FORTNIGHTLY) for i in range(6)]
    sc = scenario(east + west, weeks=2, days=("Mon", "Tue"), vehicles=vans)
    progress = []
    plan = solve(sc, time_limit_s=6, params=SearchParams(area_split_size=10),
                 progress=lambda p: progress.append((p.phase, p.elapsed_s, p.cost)))
    assert_checked(sc, plan)
    assert not plan.unserved
    sides = {r.vehicle: {v.stop_id[0] for v in r.visits} for r in plan.routes}
    by_van = defaultdict(set)
    for van, side in sides.items():
        by_van[van] |= side
    assert sorted(map(sorted, by_van.values())) == [["e"], ["w"]]
    assert progress and all(b[1] >= a[1] for a, b in zip(progress, progress[1:]))


def _scattered_villages(n, seed=7):
    import random

    rng = random.Random(seed)
    return [
        stop(f"v{i}", rng.uniform(-0.35, 0.35), lat_offset=rng.uniform(-0.25, 0.25), loans=rng.randint(5, 40),
             window=(8 * 60 + 60 * rng.randint(0, 4), 8 * 60 + 60 * rng.randint(5, 9)) if i % 3 == 0 else None)
        for i in range(n)
    ]


@pytest.mark.parametrize("rebuild_steps", [200, 3])
def test_ruin_and_recreate_never_returns_worse_than_it_started(monkeypatch, rebuild_steps):
    from routeplanner.solver import routing

    # 3: the steps move to a fresh routing model every three steps (to free memory)
    calls = []
    original = routing._ruin_and_recreate

    def recording(build, model, solution, *args):
        start = solution.ObjectiveValue()
        model, best = original(build, model, solution, *args)
        calls.append((start, best.ObjectiveValue()))
        return model, best

    monkeypatch.setattr(routing, "_ruin_and_recreate", recording)
    vans = [Vehicle("Van A", 600, 8 * 60, 14 * 60, 45, 270), Vehicle("Van B", 600, 8 * 60, 14 * 60, 45, 270)]
    sc = scenario(_scattered_villages(24), vehicles=vans)
    progress = []
    plan = solve(sc, time_limit_s=3, params=SearchParams(rebuild_steps=rebuild_steps),
                 progress=lambda p: progress.append(p.cost))
    assert_checked(sc, plan)
    assert calls and all(best <= start for start, best in calls)
    # Progress reports only the best so far.
    assert progress == sorted(progress, reverse=True)


@pytest.mark.parametrize("work_limit", [None, 40])
def test_guided_local_search_above_the_ruin_size(monkeypatch, work_limit):
    # Above ``ruin_recreate_max_visits`` visits in one routing model the day
    # routing improves by guided local search, in both stopping modes.
    from routeplanner.solver import routing

    ruins, guided = [], []
    original_ruin, original_params = routing._ruin_and_recreate, routing._search_parameters
    monkeypatch.setattr(routing, "_ruin_and_recreate", lambda *a: ruins.append(1) or original_ruin(*a))
    monkeypatch.setattr(routing, "_search_parameters",
                        lambda budget, gls, *a: guided.append(gls) or original_params(budget, gls, *a))
    sc = scenario(_scattered_villages(12))
    plan = solve(sc, time_limit_s=1, work_limit=work_limit, params=SearchParams(ruin_recreate_max_visits=0))
    assert_checked(sc, plan)
    assert ruins == [] and any(guided)
    guided.clear()
    plan = solve(sc, time_limit_s=1, work_limit=work_limit)
    assert_checked(sc, plan)
    assert ruins and not any(guided)


def test_restarts_keep_the_best_run_in_both_modes(monkeypatch):
    from routeplanner import solver as solver_module

    runs = []
    original = solver_module.search

    def recording(problem, plannable, router, budget, params, seed, report):
        state = original(problem, plannable, router, budget, params, seed=seed, report=report)
        runs.append((seed, solver_module._score(problem, state)))
        return state

    monkeypatch.setattr(solver_module, "search", recording)
    stops = [
        stop(f"s{i}", 0.04 * (i % 5) - 0.1, lat_offset=0.03 * (i // 5) - 0.05, loans=10 + i,
             frequency=FORTNIGHTLY if i % 3 else WEEKLY)
        for i in range(12)
    ]
    sc = scenario(stops, weeks=2, days=("Mon", "Tue", "Wed"))
    for limits in ({"time_limit_s": 3}, {"work_limit": 60}):
        runs.clear()
        progress = []
        plan = solve(sc, params=SearchParams(restarts=3),
                     progress=lambda p: progress.append((p.elapsed_s, p.cost)), **limits)
        assert_checked(sc, plan)
        assert [seed for seed, _ in runs] == [0, 1, 2]
        must, loans, distance = min(score for _, score in runs)
        assert sum(v.loans for r in plan.routes for v in r.visits) == pytest.approx(-loans)
        assert sum(r.distance_m for r in plan.routes) == pytest.approx(distance, abs=len(plan.routes) + 1)
        assert [c for _, c in progress] == sorted((c for _, c in progress), reverse=True)
        assert [s for s, _ in progress] == sorted(s for s, _ in progress)
    # Only one run when no stop has a choice of days.
    runs.clear()
    solve(replace(sc, cycle=replace(sc.cycle, days=("Mon",)), stops=tuple(
        replace(st, frequency=WEEKLY) for st in sc.stops)), work_limit=30)
    assert len(runs) == 1


def test_progress_in_a_librarians_terms(monkeypatch):
    # Stops served, km and duty minutes of the best plan so far, and which run of how many.
    stops = [
        stop(f"s{i}", 0.04 * (i % 5) - 0.1, lat_offset=0.03 * (i // 5) - 0.05, loans=10 + i,
             frequency=FORTNIGHTLY if i % 3 else WEEKLY)
        for i in range(12)
    ]
    sc = scenario(stops, weeks=2, days=("Mon", "Tue", "Wed"))
    reports = []
    plan = solve(sc, work_limit=60, params=SearchParams(restarts=3), progress=reports.append)
    assert reports and all(r.runs == 3 for r in reports)
    assert [r.run for r in reports] == sorted(r.run for r in reports) and {r.run for r in reports} == {1, 2, 3}
    # figures from the first report on: the search's first plan is complete
    assert all(r.stops_served is not None and r.distance_km is not None and r.duty_minutes is not None
               for r in reports)
    last = reports[-1]
    duty = sum(r.end_min - r.start_min for r in plan.routes if r.visits)
    assert (last.stops_served, last.duty_minutes) == (plan.totals.stops_served, duty)
    assert last.distance_km == pytest.approx(plan.totals.distance_km, abs=0.05)


def test_progress_of_areas_adds_up_the_areas_done():
    vans = [Vehicle("Van A", 2500, 8 * 60, 17 * 60, 45, 270), Vehicle("Van B", 2500, 8 * 60, 17 * 60, 45, 270)]
    east = [stop(f"e{i}", 0.2 + 0.03 * i, lat_offset=0.01 * (i % 3), frequency=FORTNIGHTLY) for i in range(6)]
    west = [stop(f"w{i}", -0.2 - 0.03 * i, lat_offset=0.01 * (i % 3), frequency=FORTNIGHTLY) for i in range(6)]
    sc = scenario(east + west, weeks=2, days=("Mon", "Tue"), vehicles=vans)
    reports = []
    plan = solve(sc, work_limit=40, params=SearchParams(area_split_size=10), progress=reports.append)
    assert not plan.unserved
    served = [r.stops_served for r in reports]
    assert served[0] <= 6 < served[-1] == 12  # the second area's reports count the first area's stops
    assert reports[-1].distance_km == pytest.approx(plan.totals.distance_km, abs=0.05)


# --- pins (issue 12) ------------------------------------------------------------------------


def test_a_pinned_stop_keeps_its_weeks_day_and_time():
    from routeplanner.io.scenario import load_scenario

    sc = load_scenario("data/rokiskis/scenario.toml")
    by_id = {s.id: s for s in sc.stops}
    pins = {
        "aleknos": dict(days=("Wed",), weeks=(2,), opens_min=10 * 60),  # fortnightly
        "kavoliskis": dict(days=("Thu",), opens_min=14 * 60 + 30),  # weekly: every Thursday 14:30
    }
    stops = tuple(replace(s, **pins[s.id]) if s.id in pins else s for s in sc.stops)
    sc = replace(sc, stops=stops)
    plan = solve(sc, work_limit=300)
    assert_checked(sc, plan)
    seen = visits_by_stop(plan)
    assert sorted(v[:3] for v in seen["aleknos"]) == [(2, "Wed", 600)]
    assert sorted(v[:3] for v in seen["kavoliskis"]) == [(1, "Thu", 870), (2, "Thu", 870)]
    assert by_id["aleknos"].opens_min is None  # the sample itself is unpinned


def test_a_pin_that_cannot_be_kept_is_reported_with_its_reason():
    stops = [stop("early", 0.3), stop("reachable", 0.05)]
    early = replace(stops[0], opens_min=8 * 60 + 1)  # the van cannot be 20 km away a minute after 08:00
    wrong_week = replace(stops[1], id="wrong-week", name="Wrong week", weeks=(3,))
    sc = scenario([early, stops[1], wrong_week], weeks=2, days=("Mon", "Tue"))
    plan = solve(sc, work_limit=100)
    assert_checked(sc, plan)
    reasons = {u.stop_id: u.reason for u in plan.unserved}
    assert set(reasons) == {"early", "wrong-week"}
    assert reasons["early"].startswith("pinned to open at 08:01, which the van cannot keep")
    assert reasons["wrong-week"] == "pinned to week 3, but the cycle has 2 weeks"
