"""From the search's state to the plan's routes: visits with times, legs, dates.

Pure: the state holds the times the day routing gave; legs and distances are
recomputed from the unrounded matrix, so the plan reports what the travel
model says.
"""

from __future__ import annotations

from datetime import timedelta

from routeplanner.model import WEEKDAYS, Break, Route, Scenario, Visit
from routeplanner.solver.cycle import State
from routeplanner.solver.problem import Problem


def plan_routes(state: State) -> list[Route]:
    """The state's route-days that have visits, as model routes in calendar order."""
    problem = state.problem
    scenario = problem.scenario
    start_date = scenario.cycle.start_date
    out: list[Route] = []
    for r, (week, day, v) in enumerate(problem.route_days):
        d = state.days[r]
        if not d.stops:
            continue
        vehicle = scenario.vehicles[v]
        visits = []
        for k, i in enumerate(d.stops):
            stop = scenario.stops[i]
            arrival = d.arrivals[k]
            visits.append(Visit(stop.id, stop.name, stop.lat, stop.lon, arrival, arrival + stop.service_min,
                                stop.loans_per_visit))
        route = Route(vehicle=vehicle.name, week=week, day=day, depot=scenario.depot, start_min=d.start,
                      end_min=d.end, visits=visits, breaks=[Break(s, m) for s, m in d.breaks])
        if start_date is not None:
            offset = (week - 1) * 7 + WEEKDAYS.index(day) - start_date.weekday()
            route.date = start_date + timedelta(days=offset)
        out.append(route)
    refresh_legs(out, problem, scenario)
    return out


def refresh_legs(routes: list[Route], problem: Problem, scenario: Scenario) -> None:
    """Leg distances and drive times, route totals, start and end after edits."""
    index_of = {s.id: i + 1 for i, s in enumerate(scenario.stops)}
    for route in routes:
        pts = [0] + [index_of[v.stop_id] for v in route.visits] + [0]
        dist = [float(problem.dist_exact[a, b]) for a, b in zip(pts, pts[1:])]
        drive = [float(problem.drive_exact[a, b]) for a, b in zip(pts, pts[1:])]
        for visit, d, t in zip(route.visits, dist, drive):
            visit.leg_distance_m = d
            visit.leg_drive_min = t
        route.distance_m = sum(dist)
        route.drive_min = sum(drive)
        if route.visits:
            # Leave as late and come back as early as the timetable allows
            # (unless a break sits on the first or last leg).
            first, last = route.visits[0], route.visits[-1]
            if not any(b.start_min < first.arrival_min for b in route.breaks):
                route.start_min = first.arrival_min - int(problem.drive[pts[0], pts[1]])
            if not any(b.start_min >= last.departure_min for b in route.breaks):
                route.end_min = last.departure_min + int(problem.drive[pts[-2], pts[-1]])
