"""Large fleets planned area by area: each area a bookmobile service of its own size.

When visits x route-days of the cycle exceed ``SearchParams.area_split_size``
the stops are split, by a sweep around the depot (Gillett and Miller), into
as few areas as keep each area below that size (at most one per van), each
with its own vans.  That is how large services are run anyway: each van has
its own villages.  Measured on the UK timetables (benchmarks/RESULTS.md):
Norfolk, 1,000 visits on 180 route-days, drives 29 % less than published in
areas of 2,500, 8 % less in areas twice as long on each side.  Pure NumPy.
"""

from __future__ import annotations

import math

import numpy as np

from routeplanner.solver.problem import Problem


def vehicle_areas(problem: Problem, plannable: list[int],
                  split_size: int) -> list[tuple[list[int], list[int]]] | None:
    """``[(vans, stops), ...]`` per area, or None to plan the whole fleet jointly.

    Stops sorted by bearing from the depot, starting after the widest empty
    sector, are cut into consecutive sectors whose work (visits x (door-open
    minutes + twice the drive to the nearest other stop)) is in proportion to
    the shifts of the area's vans.
    """
    scenario = problem.scenario
    n_vans = len(scenario.vehicles)
    if n_vans < 2 or not plannable:
        return None
    visits = np.array([problem.visits[i] for i in plannable], dtype=float)
    size = visits.sum() * len(problem.route_days)
    n_areas = min(n_vans, math.ceil(math.sqrt(size / split_size)), len(plannable))
    if n_areas < 2:
        return None
    # Vans dealt to the areas in turn, so each area gets a share of every kind of van.
    vans = [list(range(n_vans))[a::n_areas] for a in range(n_areas)]
    nodes = np.array(plannable) + 1
    sub = problem.drive_exact[np.ix_(nodes, nodes)].copy()
    np.fill_diagonal(sub, np.inf)
    nearest = sub.min(axis=1)
    service = np.array([scenario.stops[i].service_min for i in plannable], dtype=float)
    work = visits * (service + 2.0 * nearest)
    depot = scenario.depot
    lat = np.array([scenario.stops[i].lat for i in plannable])
    lon = np.array([scenario.stops[i].lon for i in plannable])
    bearing = np.arctan2(lat - depot.lat, (lon - depot.lon) * math.cos(math.radians(depot.lat)))
    order = np.argsort(bearing, kind="stable")
    sorted_bearing = bearing[order]
    gaps = np.diff(np.concatenate([sorted_bearing, sorted_bearing[:1] + 2 * math.pi]))
    order = np.roll(order, -((int(np.argmax(gaps)) + 1) % len(order)))
    shifts = np.array(
        [sum(max(1, scenario.vehicles[v].shift_end_min - scenario.vehicles[v].shift_start_min) for v in group)
         for group in vans],
        dtype=float,
    )
    bounds = np.cumsum(shifts) / shifts.sum() * work.sum()
    middle = np.cumsum(work[order]) - work[order] / 2.0
    areas: list[tuple[list[int], list[int]]] = []
    lo = 0
    for a, group in enumerate(vans):
        hi = len(order) if a == n_areas - 1 else int(np.searchsorted(middle, bounds[a]))
        members = sorted(plannable[k] for k in order[lo:hi])
        if members:
            areas.append((group, members))
        lo = hi
    return areas
