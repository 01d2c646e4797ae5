"""A small hand-made plan on one meridian, for the tests of totals, the plan
JSON, the visits CSV and the text timetable (import as ``from meridian import ...``).

Stops 0.1 degree of latitude apart, so every distance is known: a 4-week
Tue/Thu cycle with a fortnightly stop, a weekly stop, a twice-per-cycle stop
and one unserved stop.
"""

from __future__ import annotations

import copy
import math
from datetime import date

from routeplanner.model import (
    Break,
    Cycle,
    Frequency,
    Place,
    Plan,
    Route,
    Scenario,
    SolveInfo,
    Stop,
    Travel,
    Unserved,
    Vehicle,
    Visit,
)
from routeplanner.totals import compute_totals

KM_PER_TENTH = 6371.0088 * math.radians(0.1)  # 0.1 degree of latitude
SPEED_KMH = KM_PER_TENTH * 6  # 0.1 degree in 10 minutes

DEPOT = Place("Rokiškis", 55.0, 24.0)
A = Stop("A", "Kamajai", 55.1, 24.0, 40, Frequency(period_weeks=2), service_min=30)
B = Stop("B", "Obeliai", 55.2, 24.0, 20, Frequency(period_weeks=1), service_min=20)
C = Stop("C", "Juodupė", 55.3, 24.0, 30, Frequency(visits=2), service_min=30)
F = Stop("F", "Tolimoji", 57.0, 24.0, 10, Frequency(visits=1), service_min=20)
CYCLE = Cycle(weeks=4, days=("Tue", "Thu"), start_date=date(2026, 12, 1))
TRAVEL = Travel(method="haversine", circuity=1.0, speed_kmh=SPEED_KMH)
SCENARIO = Scenario("Meridian test", DEPOT, (Vehicle("Bibliobusas", 500),), (A, B, C, F), CYCLE, TRAVEL)


def visit(stop: Stop, arrival: int) -> Visit:
    return Visit(stop.id, stop.name, stop.lat, stop.lon, arrival, arrival + stop.service_min, stop.loans_per_visit)


def route(week: int, start: int, end: int, visits: list[Visit], breaks=()) -> Route:
    """A Tuesday route with leg distances computed by hand along the meridian."""
    lats = [DEPOT.lat] + [v.lat for v in visits] + [DEPOT.lat]
    legs = [abs(b - a) * 10 * KM_PER_TENTH for a, b in zip(lats, lats[1:])]
    for v, km in zip(visits, legs):
        v.leg_distance_m, v.leg_drive_min = km * 1000, km / SPEED_KMH * 60
    return Route(
        "Bibliobusas", week, "Tue", DEPOT, start, end, visits, list(breaks),
        distance_m=sum(legs) * 1000, drive_min=sum(legs) / SPEED_KMH * 60,
        date=date(2026, 12, 1 + 7 * (week - 1)),
    )


def make_plan() -> Plan:
    routes = [
        route(1, 480, 665, [visit(A, 490), visit(B, 530), visit(C, 560)], [Break(590, 45)]),
        route(2, 510, 570, [visit(B, 530)]),
        route(3, 480, 620, [visit(A, 490), visit(B, 530), visit(C, 560)]),
        route(4, 510, 570, [visit(B, 530)]),
    ]
    unserved = [Unserved("F", "Tolimoji", 1, "too far from the depot", "start from Obeliai instead")]
    info = SolveInfo("test", 30.0, 100, 1.5, "work limit", 1234)
    return Plan(SCENARIO.name, CYCLE, TRAVEL, routes, unserved, compute_totals(routes, SCENARIO), info)


def whole_metres(plan: Plan) -> Plan:
    """The plan with every float at the precision the JSON keeps, so a round trip is exact."""
    plan = copy.deepcopy(plan)
    for r in plan.routes:
        r.distance_m, r.drive_min = float(round(r.distance_m)), round(r.drive_min, 3)
        for v in r.visits:
            v.leg_distance_m, v.leg_drive_min = float(round(v.leg_distance_m)), round(v.leg_drive_min, 3)
    t = plan.totals
    t.distance_km, t.drive_minutes = round(t.distance_km, 3), round(t.drive_minutes, 3)
    return plan
