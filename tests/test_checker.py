"""The plan checker: a hand-made valid plan passes, and each rule is caught alone.

The scenario lies on one meridian so every distance is known by hand: stops
0.1 degree of latitude apart, haversine with circuity 1, and a speed chosen
so that 0.1 degree takes exactly 10 minutes.  Each rule test breaks exactly
one rule of the valid plan and expects exactly that violation kind.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import subprocess
import sys
from datetime import date

import pytest

from routeplanner.checker import KINDS, CheckReport, check_plan, format_report
from routeplanner.model import (
    Break,
    Cycle,
    Frequency,
    Place,
    Plan,
    Route,
    Scenario,
    SolverSettings,
    Stop,
    Totals,
    Travel,
    Unserved,
    Vehicle,
    Visit,
)
from routeplanner.travel import scenario_matrix

EARTH_RADIUS_KM = 6371.0088
KM_PER_TENTH = EARTH_RADIUS_KM * math.radians(0.1)  # 0.1 degree of latitude, ~11.12 km
SPEED_KMH = KM_PER_TENTH * 6  # 0.1 degree in exactly 10 minutes

DEPOT = Place("Rokiškis", 55.0, 24.0)
A = Stop("A", "Kamajai", 55.1, 24.0, 40, Frequency(period_weeks=2), service_min=30, must=True)
B = Stop("B", "Obeliai", 55.2, 24.0, 20, Frequency(period_weeks=1), service_min=20)
C = Stop("C", "Juodupė", 55.3, 24.0, 30, Frequency(visits=2), service_min=30,
         window_start_min=9 * 60 + 15, window_end_min=15 * 60, days=("Tue",))
F = Stop("F", "Tolimoji", 57.0, 24.0, 10, Frequency(visits=1), service_min=20)
VAN = Vehicle("Bibliobusas", capacity_books=500)


def make_scenario(**stop_changes) -> Scenario:
    """The test scenario; ``C={"days": ("Thu",)}`` changes one stop's fields."""
    stops = tuple(dataclasses.replace(s, **stop_changes.get(s.id, {})) for s in (A, B, C, F))
    return Scenario(
        name="Meridian test",
        depot=DEPOT,
        vehicles=(VAN,),
        stops=stops,
        cycle=Cycle(weeks=4, days=("Tue", "Thu"), start_date=date(2026, 12, 1)),
        travel=Travel(method="haversine", circuity=1.0, speed_kmh=SPEED_KMH),
        solver=SolverSettings(stable_minutes=15),
    )


def visit(stop: Stop, arrival: int) -> Visit:
    return Visit(stop.id, stop.name, stop.lat, stop.lon, arrival, arrival + stop.service_min, stop.loans_per_visit)


def restate(route: Route) -> Route:
    """Leg and route distances by hand: along the meridian, km = degrees x KM_PER_TENTH x 10."""
    lats = [DEPOT.lat] + [v.lat for v in route.visits] + [DEPOT.lat]
    legs_km = [abs(b - a) * 10 * KM_PER_TENTH for a, b in zip(lats, lats[1:])]
    for v, km in zip(route.visits, legs_km):
        v.leg_distance_m = km * 1000
        v.leg_drive_min = km / SPEED_KMH * 60
    route.distance_m = sum(legs_km) * 1000
    route.drive_min = sum(legs_km) / SPEED_KMH * 60
    return route


def make_route(week: int, start: int, end: int, visits: list[Visit], breaks=(), day: str = "Tue") -> Route:
    when = date(2026, 12, 1 + 7 * (week - 1) + (2 if day == "Thu" else 0))
    return restate(Route(VAN.name, week, day, DEPOT, start, end, visits, list(breaks), date=when))


def restate_totals(plan: Plan) -> Plan:
    plan.totals.distance_km = sum(r.distance_m for r in plan.routes) / 1000
    return plan


def valid_plan() -> Plan:
    """Kamajai fortnightly (weeks 1, 3), Obeliai weekly, Juodupė twice (weeks 1, 3), Tolimoji unserved."""
    routes = [
        make_route(1, 480, 665, [visit(A, 490), visit(B, 530), visit(C, 560)], [Break(590, 45)]),
        make_route(2, 510, 570, [visit(B, 530)]),
        make_route(3, 480, 620, [visit(A, 490), visit(B, 530), visit(C, 560)]),
        make_route(4, 510, 570, [visit(B, 530)]),
    ]
    totals = Totals(
        distance_km=20 * KM_PER_TENTH,
        drive_minutes=200,
        service_minutes=200,
        visits=8,
        stops_served=3,
        stops_total=4,
        loans_served=220,
        loans_total=230,
    )
    unserved = [Unserved("F", "Tolimoji", 1, "too far: a round trip takes 5 h 40 min of driving", "move it to a closer depot")]
    s = make_scenario()
    return Plan(s.name, s.cycle, s.travel, routes, unserved, totals)


def kinds(report: CheckReport) -> set[str]:
    return {v.kind for v in report.violations}


# --- the valid plan ------------------------------------------------------------


def test_valid_plan_has_no_violation():
    report = check_plan(make_scenario(), valid_plan())
    assert report.violations == []
    assert report.ok


def test_recomputed_totals_match_hand_values():
    t = check_plan(make_scenario(), valid_plan()).totals
    assert t.distance_km == pytest.approx(20 * KM_PER_TENTH, abs=1e-6)  # 6 + 4 + 6 + 4 tenths of a degree
    assert t.drive_minutes == pytest.approx(200, abs=1e-6)
    assert t.service_minutes == 200
    assert t.visits == 8
    assert (t.stops_served, t.stops_total) == (3, 4)
    assert t.loans_served == 220
    assert t.loans_total == 230  # 40x2 + 20x4 + 30x2 + 10x1


def test_totals_are_recomputed_not_copied():
    plan = valid_plan()
    plan.totals = Totals(0, 0, 0, 0, 0, 0, 0, 0)
    report = check_plan(make_scenario(), plan)
    assert report.totals.visits == 8
    assert kinds(report) == {"total-distance"}


def test_given_matrix_is_used():
    scenario = make_scenario()
    assert check_plan(scenario, valid_plan(), scenario_matrix(scenario)).ok


def test_matrix_without_the_stops_is_an_input_error():
    from routeplanner.errors import InputError
    from routeplanner.travel import HaversineProvider, Point

    matrix = HaversineProvider(1.0, SPEED_KMH).matrix([Point("depot", 55.0, 24.0)])
    with pytest.raises(InputError):
        check_plan(make_scenario(), valid_plan(), matrix)


# --- one broken rule at a time -----------------------------------------------------


def _move_a_to_week_4(plan: Plan) -> None:
    plan.routes[2] = make_route(3, 480, 620, [visit(B, 530), visit(C, 560)])
    plan.routes[3] = make_route(4, 480, 570, [visit(A, 490), visit(B, 530)])


def _move_c_to_week_2(plan: Plan) -> None:
    plan.routes[1] = make_route(2, 510, 620, [visit(B, 530), visit(C, 560)])
    plan.routes[2] = make_route(3, 480, 570, [visit(A, 490), visit(B, 530)])


def _drop_a(plan: Plan) -> None:
    for r in plan.routes:
        r.visits = [v for v in r.visits if v.stop_id != "A"]
        restate(r)
    plan.unserved.append(Unserved("A", "Kamajai", 2, "no room"))


def _set(obj, **changes):
    def apply(plan: Plan) -> None:
        for k, v in changes.items():
            setattr(obj(plan), k, v)

    return apply


PLAN_CASES = {
    "unknown-vehicle": _set(lambda p: p.routes[1], vehicle="Ghost"),
    "bad-week": _set(lambda p: p.routes[3], week=5),
    "bad-day": lambda p: p.routes.append(make_route(1, 480, 480, [], day="Wed")),
    "duplicate-route": lambda p: p.routes.append(make_route(2, 480, 480, [])),
    "shift/start": _set(lambda p: p.routes[0], start_min=7 * 60 + 30),
    "shift/end": _set(lambda p: p.routes[1], end_min=17 * 60 + 10),
    "unknown-stop/visit": lambda p: (
        p.routes[1].visits.append(Visit("ZZ", "Nowhere", 56.0, 24.0, 560, 570, 5)),
        setattr(p.routes[1], "end_min", 640),
    ),
    "unknown-stop/unserved": lambda p: p.unserved.append(Unserved("ZZ", "Nowhere", 1, "not ours")),
    "timing/arrival": _set(lambda p: p.routes[0].visits[0], arrival_min=485),
    "timing/end": _set(lambda p: p.routes[1], end_min=565),
    "timing/break-time": _set(lambda p: p.routes[0], end_min=664),  # 09:50 + 45 min break + 30 min drive
    "service": _set(lambda p: p.routes[0].visits[1], departure_min=545),
    "break-placement/overlap": _set(lambda p: p.routes[0].breaks[0], start_min=580),
    "break-placement/outside": _set(lambda p: p.routes[0].breaks[0], start_min=630),
    "break-short": _set(lambda p: p.routes[0].breaks[0], minutes=30),
    "frequency": lambda p: (p.routes.pop(3), restate_totals(p)),
    "frequency-weekday": _set(lambda p: p.routes[1], day="Thu"),
    "frequency-period": lambda p: (_move_a_to_week_4(p), restate_totals(p)),
    "frequency-spread": lambda p: (_move_c_to_week_2(p), restate_totals(p)),
    "unserved-count": lambda p: p.unserved.append(Unserved("B", "Obeliai", 1, "listed by mistake")),
    "stable-times": lambda p: p.routes.__setitem__(1, make_route(2, 480, 540, [visit(B, 500)])),
    "must-unserved": lambda p: (_drop_a(p), restate_totals(p)),
    "missing-stop": lambda p: p.unserved.clear(),
    "distance": lambda p: setattr(p.routes[1], "distance_m", p.routes[1].distance_m + 5000),
    "total-distance": lambda p: setattr(p.totals, "distance_km", p.totals.distance_km + 5),
}


@pytest.mark.parametrize("case", sorted(PLAN_CASES))
def test_each_broken_rule_is_reported_alone(case):
    plan = valid_plan()
    PLAN_CASES[case](plan)
    report = check_plan(make_scenario(), plan)
    assert kinds(report) == {case.split("/")[0]}, format_report(report)
    assert not report.ok
    assert all(v.kind in KINDS and v.message for v in report.violations)


SCENARIO_CASES = {
    "window/start": {"C": {"window_start_min": 9 * 60 + 30}},
    "window/end": {"C": {"window_end_min": 9 * 60 + 45}},
    "day-not-allowed": {"C": {"days": ("Thu",)}},
}


@pytest.mark.parametrize("case", sorted(SCENARIO_CASES))
def test_each_stop_rule_is_reported_alone(case):
    report = check_plan(make_scenario(**SCENARIO_CASES[case]), valid_plan())
    assert kinds(report) == {case.split("/")[0]}, format_report(report)
    assert {v.stop_id for v in report.violations} == {"C"}


def test_capacity():
    scenario = dataclasses.replace(make_scenario(), vehicles=(dataclasses.replace(VAN, capacity_books=80),))
    report = check_plan(scenario, valid_plan())
    assert kinds(report) == {"capacity"}
    # weeks 1 and 3 carry 90 loans, weeks 2 and 4 only 20
    assert sorted(v.route for v in report.violations) == ["week 1 Tue Bibliobusas", "week 3 Tue Bibliobusas"]


def test_arrival_after_departure_is_a_timing_violation():
    plan = valid_plan()
    v = plan.routes[0].visits[0]
    v.arrival_min, v.departure_min = 525, 520
    assert "timing" in kinds(check_plan(make_scenario(), plan))


def _with_limit(minutes: int) -> Scenario:
    van = dataclasses.replace(VAN, break_after_minutes=minutes)
    return dataclasses.replace(make_scenario(), vehicles=(van,))


def test_driving_limit_splits_a_leg_around_a_break():
    # Limit 40 min.  Week 1 drives 10+10+10, rests 45 min at Juodupė, then 30
    # home: 10 of those count before the break, 20 after -> fine.  Week 3
    # drives the same 60 min with no break -> broken.  Weeks 2/4: 20+20 = 40.
    report = check_plan(_with_limit(40), valid_plan())
    assert kinds(report) == {"driving-limit"}
    assert [v.route for v in report.violations] == ["week 3 Tue Bibliobusas"]


def test_driving_limit_counts_from_the_route_start():
    # Limit 25 min: 30 min of driving before the week 1 break is too much.
    report = check_plan(_with_limit(25), valid_plan())
    assert "week 1 Tue Bibliobusas" in {v.route for v in report.violations if v.kind == "driving-limit"}


def test_short_break_does_not_reset_the_driving_clock():
    plan = valid_plan()
    plan.routes[0].breaks[0].minutes = 30  # 45 required
    report = check_plan(_with_limit(40), plan)
    assert {(v.kind, v.route) for v in report.violations} >= {
        ("break-short", "week 1 Tue Bibliobusas"),
        ("driving-limit", "week 1 Tue Bibliobusas"),
    }


def test_format_report():
    ok = format_report(check_plan(make_scenario(), valid_plan()))
    assert "OK" in ok and "Stops served: 3 of 4" in ok
    plan = valid_plan()
    plan.routes[0].visits[1].departure_min = 545
    text = format_report(check_plan(make_scenario(), plan))
    assert "1 violation" in text
    assert "[service] week 1 Tue Bibliobusas: Obeliai is open 15 min" in text


def test_checker_does_not_import_the_solver():
    code = "import sys, routeplanner.checker; sys.exit('routeplanner.solver' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_plan_is_not_modified():
    plan = valid_plan()
    before = copy.deepcopy(plan)
    check_plan(make_scenario(), plan)
    assert plan == before


def test_explicit_combinations_of_days_are_checked():
    """Juodupė twice in weeks 1 and 3: allowed when that combination is listed, caught when it is not."""
    listed = (((1, "Tue"), (3, "Tue")), ((2, "Tue"), (4, "Tue")))
    assert check_plan(make_scenario(C={"allowed_patterns": listed}), valid_plan()).ok
    report = check_plan(make_scenario(C={"allowed_patterns": listed[1:]}), valid_plan())
    assert kinds(report) == {"pattern-not-allowed"}
    assert "week 1 Tue, week 3 Tue" in report.violations[0].message
    # one visit only: the combination is checked too (the frequency rules would not look)
    once = (((2, "Tue"),),)
    report = check_plan(make_scenario(A={"frequency": Frequency(visits=1), "allowed_patterns": once}),
                        _only_first_kamajai(valid_plan()))
    assert kinds(report) == {"pattern-not-allowed"}


def _only_first_kamajai(plan: Plan) -> Plan:
    plan.routes[2].visits = [v for v in plan.routes[2].visits if v.stop_id != "A"]
    plan.routes[2] = restate(plan.routes[2])
    return restate_totals(plan)
