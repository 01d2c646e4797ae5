"""The timetable solver: a scenario in, a :class:`~routeplanner.model.Plan` out.

This is the only module that imports OR-Tools; its types never leave it.

The cycle's working days (``weeks`` x ``days`` x vehicles) are the routing
model's vehicles ("route-days").  Tying a stop's visits together inside one
routing model serves almost nothing (the search moves one visit at a time and
a half-placed pattern is never accepted), so the solve has two phases:

1. **Patterns.**  Every visit may take any allowed day of its part of the
   cycle (visit k of a fortnightly stop: week 2k+1 or 2k+2, any allowed
   weekday).  A short solve places the visits; each stop then takes the
   candidate pattern (one weekday, every ``period`` weeks) that agrees with
   most of its placed visits.
2. **Timetable.**  Each visit is pinned to its pattern's day, and all visits
   of a stop open within ``stable_minutes`` of one another (a shared anchor
   time per stop), so the published timetable is one line per stop.

Both phases drop a visit only when its penalty, which grows with the stop's
loans, is outweighed: the plan serves as much demand as the shifts allow and
then minimises driving.  A stop left with only part of its visits is taken
out whole.  Every unserved stop gets a reason from :mod:`routeplanner.diagnose`.

When stops have a choice of weekday and the time allows, both phases run
several times with other seeds and the best plan is kept
(:func:`_solve_restarts`).  Each routing model is improved by ruin and
recreate (:func:`_ruin_and_recreate`) up to :data:`RUIN_RECREATE_MAX_VISITS`
visits, by guided local search above.

Reproducible mode (``work_limit``): guided local search stops after a number
of improving solutions instead of a wall-clock time, so the same input gives
the same timetable on any machine.
"""

from __future__ import annotations

import math
import time
import weakref
from collections import Counter
from datetime import timedelta
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
import ortools
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routeplanner import diagnose
from routeplanner.model import (
    Break,
    Plan,
    Route,
    Scenario,
    SolveInfo,
    Unserved,
    Visit,
    WEEKDAYS,
)
from routeplanner.planio import compute_totals
from routeplanner.patterns import Pattern, Slot, candidate_patterns, copy_slot_ranges
from routeplanner.travel import TravelMatrix, scenario_matrix

SOLVER_NAME = f"routeplanner two-phase periodic / OR-Tools {ortools.__version__}"
DAY_MIN = 24 * 60
#: A fleet of several vans is planned area by area, each with its own vans,
#: when visits x route-days of the cycle exceed this (see :func:`_vehicle_areas`):
#: one routing model of every route-day of a large fleet does not reach a good
#: timetable in minutes.  Measured on the UK timetables (benchmarks/RESULTS.md):
#: Norfolk, 1,000 visits on 180 route-days, drives 29 % less than published in
#: areas of this size, 8 % less in areas twice as long on each side.
AREA_SPLIT_SIZE = 2500
#: Up to this many visits in one routing model the search is ruin and recreate
#: (:func:`_ruin_and_recreate`); above it guided local search, whose steps
#: stay small while a pass over a large model's neighbourhood takes long.
RUIN_RECREATE_MAX_VISITS = 400
#: How many visits one ruin takes out: a random number in this range.
RUIN_SIZE = (6, 16)
RUIN_SEED = 20261201
#: A cycle whose stops have a choice of weekday is solved several times with
#: other seeds when the time limit allows runs of at least this many seconds
#: (and RESTART_S_PER_VISIT per visit of the cycle), at most RESTARTS_MAX
#: times; the best plan is kept (see :func:`_solve_restarts`).
RESTART_MIN_S = 6.0
RESTART_S_PER_VISIT = 0.05
RESTARTS_MAX = 5
#: Ruin and recreate moves to a fresh routing model after this many steps:
#: every solve leaves memory with its model (see :func:`_ruin_and_recreate`).
RUIN_REBUILD_STEPS = 200

#: Progress callback: (phase "patterns" | "timetable", elapsed seconds, best cost).
Progress = Callable[[str, float, int], None]


@dataclass
class _Job:
    """One visit to place: stop ``stop`` (index into scenario.stops), its ``copy``-th visit."""

    stop: int
    copy: int
    vehicles: list[int]  # route-day indices it may go on


@dataclass
class _Outcome:
    routes: list[list[tuple[int, int]]]  # per route-day: (job index, arrival minute)
    starts: list[int]
    ends: list[int]
    breaks: list[list[tuple[int, int]]]  # per route-day: (start, minutes)
    objective: int
    solutions: int


class _Problem:
    """Integer data shared by both phases."""

    def __init__(self, scenario: Scenario, matrix: TravelMatrix):
        self.scenario = scenario
        # Whole minutes, rounded up: a published time never promises a drive
        # faster than the travel model says.
        self.drive = np.ceil(np.asarray(matrix.drive_min) - 1e-9).astype(np.int64)
        self.dist = np.rint(np.asarray(matrix.distance_m)).astype(np.int64)
        # Unrounded, for the legs and totals the plan reports.
        self.drive_exact = np.asarray(matrix.drive_min, dtype=float)
        self.dist_exact = np.asarray(matrix.distance_m, dtype=float)
        self.route_days = scenario.route_days  # (week 1.., day, vehicle index)
        days = scenario.cycle.days
        self.slot_vehicles: dict[Slot, list[int]] = {}
        for r, (week, day, _v) in enumerate(self.route_days):
            self.slot_vehicles.setdefault((week - 1, days.index(day)), []).append(r)
        # An unserved loan is worth more than the longest detour any one visit
        # can cause, so demand comes first and distance second.
        far = int(self.dist[0, :].max() + self.dist[:, 0].max()) + 1
        self.loan_value = max(far, 1000)
        # The time axis: a day, or longer when a shift or window says so (the
        # standard VRPTW benchmarks run on horizons of several thousand units).
        self.horizon = max(
            [DAY_MIN]
            + [v.shift_end_min for v in scenario.vehicles]
            + [s.window_end_min for s in scenario.stops if s.window_end_min is not None]
        )

    def penalty(self, stop_index: int) -> int:
        stop = self.scenario.stops[stop_index]
        base = self.loan_value * (int(math.ceil(stop.loans_per_visit)) + 1)
        return base * 1000 if stop.must else base


@dataclass
class _Model:
    """One OR-Tools routing model of some visits on the cycle's route-days."""

    manager: object
    routing: object
    time_dim: object
    dist: np.ndarray  # node x node metres (node 0 = depot, node j + 1 = jobs[j])


def _build_model(problem: _Problem, jobs: list[_Job], anchored: bool, shift_margin: float) -> _Model:
    """The routing model of ``jobs`` on the cycle's route-days.

    Its finalizers (leave the depot as late as possible, open every stop and
    come home as early as possible) give a solution the times to publish.
    Without them OR-Tools binds the times, the breaks above all, by a search
    of its own that can take the whole time limit (Norfolk's areas did).
    """
    scenario = problem.scenario
    stops = scenario.stops
    n_vehicles = len(problem.route_days)
    manager = pywrapcp.RoutingIndexManager(len(jobs) + 1, n_vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()

    # node -> index in the travel matrix (0 = depot, stop i = i + 1)
    where = np.array([0] + [j.stop + 1 for j in jobs], dtype=np.int64)
    service = np.array([0] + [stops[j.stop].service_min for j in jobs], dtype=np.int64)
    loans = [0] + [int(math.ceil(stops[j.stop].loans_per_visit)) for j in jobs]

    dist = problem.dist[np.ix_(where, where)]
    travel = problem.drive[np.ix_(where, where)] + service[:, None]
    dist_cb = routing.RegisterTransitMatrix(dist.tolist())
    time_cb = routing.RegisterTransitMatrix(travel.tolist())
    load_cb = routing.RegisterUnaryTransitVector(loans)
    routing.SetArcCostEvaluatorOfAllVehicles(dist_cb)

    vehicles = [scenario.vehicles[v] for (_w, _d, v) in problem.route_days]
    routing.AddDimensionWithVehicleCapacity(
        load_cb, 0, [v.capacity_books for v in vehicles], True, "books"
    )
    routing.AddDimension(time_cb, problem.horizon, problem.horizon, False, "time")
    time_dim = routing.GetDimensionOrDie("time")

    node_visit_transits = [0] * routing.Size()
    for node in range(1, len(jobs) + 1):
        node_visit_transits[manager.NodeToIndex(node)] = int(service[node])

    for r, veh in enumerate(vehicles):
        start, end = routing.Start(r), routing.End(r)
        time_dim.CumulVar(start).SetRange(veh.shift_start_min, veh.shift_end_min)
        # shift_margin keeps part of each day free while visits are placed
        # freely, so the stable-time rules of the next phase still fit.
        margin = int(shift_margin * (veh.shift_end_min - veh.shift_start_min))
        time_dim.CumulVar(end).SetRange(veh.shift_start_min, veh.shift_end_min - margin)
        routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(start))
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(end))
        if veh.shift_end_min - veh.shift_start_min > veh.break_after_minutes and veh.break_minutes > 0:
            # A break of break_minutes in every stretch of break_after_minutes
            # on duty.  Counting duty rather than driving only is stricter than
            # EU 561/2006 and gives the driver a real lunch break.
            brk = solver.FixedDurationIntervalVar(
                veh.shift_start_min,
                veh.shift_end_min - veh.break_minutes,
                veh.break_minutes,
                True,
                f"break {r}",
            )
            time_dim.SetBreakIntervalsOfVehicle([brk], r, node_visit_transits)
            time_dim.SetBreakDistanceDurationOfVehicle(veh.break_after_minutes, veh.break_minutes, r)

    for node, job in enumerate(jobs, start=1):
        index = manager.NodeToIndex(node)
        stop = stops[job.stop]
        lo = stop.window_start_min if stop.window_start_min is not None else 0
        hi = (stop.window_end_min if stop.window_end_min is not None else problem.horizon) - stop.service_min
        time_dim.CumulVar(index).SetRange(lo, hi)
        routing.VehicleVar(index).SetValues([-1] + sorted(job.vehicles))
        routing.AddDisjunction([index], problem.penalty(job.stop))
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(index))

    if anchored:
        groups: dict[int, list[int]] = {}
        for node, job in enumerate(jobs, start=1):
            groups.setdefault(job.stop, []).append(manager.NodeToIndex(node))
        stable = scenario.solver.stable_minutes
        for stop_index in sorted(groups):
            members = groups[stop_index]
            if len(members) < 2:
                continue
            anchor = solver.IntVar(0, problem.horizon, f"anchor {stop_index}")
            for index in members:
                cumul = time_dim.CumulVar(index)
                solver.Add(cumul >= anchor)
                solver.Add(cumul <= anchor + stable)

    return _Model(manager, routing, time_dim, dist)


def _route_model(
    problem: _Problem,
    jobs: list[_Job],
    anchored: bool,
    time_limit_s: float,
    work_limit: int | None,
    phase: str,
    progress: Progress | None,
    started: float,
    initial: list[list[int]] | None = None,
    shift_margin: float = 0.0,
    seed: int = 0,
) -> _Outcome | None:
    deadline = time.monotonic() + time_limit_s
    ruin = work_limit is None and len(jobs) <= RUIN_RECREATE_MAX_VISITS
    params = _search_parameters(time_limit_s, work_limit, ruin)

    count = [0]
    best_seen = [math.inf]

    def build() -> _Model:
        model = _build_model(problem, jobs, anchored, shift_margin)
        # A weak reference: a callback the model holds must not keep the
        # model alive, or neither is ever freed.
        routing_ref = weakref.ref(model.routing)

        def on_solution() -> None:
            count[0] += 1
            routing = routing_ref()
            if routing is None:
                return
            # Ruin and recreate passes through worse solutions on purpose: report the best.
            best_seen[0] = min(best_seen[0], routing.CostVar().Max())
            if progress is not None:
                progress(phase, time.monotonic() - started, int(best_seen[0]))

        model.routing.AddAtSolutionCallback(on_solution)
        return model

    model = build()
    manager, routing, time_dim = model.manager, model.routing, model.time_dim
    solution = None
    if initial is not None:
        routing.CloseModelWithParameters(params)
        start = routing.ReadAssignmentFromRoutes(
            [[manager.NodeToIndex(j + 1) for j in seq] for seq in initial], True
        )
        if start is not None:
            solution = routing.SolveFromAssignmentWithParameters(start, params)
    if solution is None:
        solution = routing.SolveWithParameters(params)
    if solution is None:
        return None
    if ruin:
        model, solution = _ruin_and_recreate(build, model, solution, params, deadline, seed)
        if solution is None:
            return None
        manager, routing, time_dim = model.manager, model.routing, model.time_dim

    routes, starts, ends, breaks = [], [], [], []
    for r in range(routing.vehicles()):
        seq = []
        index = routing.Start(r)
        starts.append(solution.Value(time_dim.CumulVar(index)))
        index = solution.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            seq.append((node - 1, solution.Value(time_dim.CumulVar(index))))
            index = solution.Value(routing.NextVar(index))
        ends.append(solution.Value(time_dim.CumulVar(index)))
        routes.append(seq)
        breaks.append([])
    intervals = solution.IntervalVarContainer()
    for i in range(intervals.Size()):
        element = intervals.Element(i)
        if element.PerformedValue():
            r = int(element.Var().Name().split()[-1])
            if routes[r]:
                breaks[r].append((element.StartValue(), element.DurationValue()))
    return _Outcome(routes, starts, ends, breaks, int(solution.ObjectiveValue()), count[0])


def _search_parameters(time_limit_s: float, work_limit: int | None, ruin: bool = False):
    """The search: how the first timetable is built and then improved.

    ``ruin``: the first timetable is taken to its local optimum (greedy
    descent) and :func:`_ruin_and_recreate` goes on from there.  The
    insertion-based LNS operators are off then: each of them costs most of a
    pass over the neighbourhood (45 ms of 50 on a 100-stop day) and the ruin
    does their work better.
    """
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    if ruin:
        params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
        operators = params.local_search_operators
        for name in _INSERTION_LNS_OPERATORS:
            setattr(operators, name, _BOOL_FALSE)
    else:
        params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    if work_limit is not None:
        params.solution_limit = max(1, work_limit)
        # Generous wall-clock safety net only; the work limit decides.  (OR-Tools
        # still caps the completion of one move at lns_time_limit, 100 ms: rare
        # and short enough to leave the outcome machine-independent in practice.)
        params.time_limit.FromMilliseconds(int(max(time_limit_s, 1.0) * 1000 * 20))
    else:
        params.time_limit.FromMilliseconds(max(100, int(time_limit_s * 1000)))
    return params


_BOOL_FALSE = 2  # operations_research.OptionalBoolean.BOOL_FALSE
_INSERTION_LNS_OPERATORS = (
    "use_global_cheapest_insertion_path_lns",
    "use_local_cheapest_insertion_path_lns",
    "use_relocate_path_global_cheapest_insertion_insert_unperformed",
    "use_global_cheapest_insertion_visit_types_lns",
    "use_local_cheapest_insertion_visit_types_lns",
)


def _ruin_and_recreate(
    build: Callable[[], _Model], model: _Model, solution, params, deadline: float, seed: int = 0
):
    """Improve ``solution`` until ``deadline`` by ruin and recreate: (model, best solution).

    Each step takes a random visit and the visits nearest to it out of the
    routes (a "radial" ruin) and lets OR-Tools' local search put them back
    and descend to a local optimum; the result replaces the current solution
    if it is better, or worse by a margin that shrinks to nothing as time
    runs out (simulated annealing).  Guided local search moves one visit or
    arc at a time and stalls several percent above the best known on the
    standard VRPTW instances; this gets much closer in the same time
    (benchmarks/RESULTS.md).  Seeded, so a run differs only by how many steps
    the time allows.

    Every solve leaves some memory with its model until the model goes, so
    the steps move to a fresh model every :data:`RUIN_REBUILD_STEPS` steps;
    the best routes are loaded into the last model at the end.
    """
    rng = np.random.default_rng(RUIN_SEED + seed)
    dist, manager = model.dist, model.manager  # the same in every model built from the same jobs

    def routes_of(m: _Model, sol) -> list[list[int]]:
        routing = m.routing
        routes = []
        for v in range(routing.vehicles()):
            seq = []
            index = sol.Value(routing.NextVar(routing.Start(v)))
            while not routing.IsEnd(index):
                seq.append(index)
                index = sol.Value(routing.NextVar(index))
            routes.append(seq)
        return routes

    first_model, first = model, model.routing.solver().Assignment(solution)  # a copy: solves reuse solution
    best_cost = current_cost = solution.ObjectiveValue()
    best = current = routes_of(model, solution)
    routed = sum(len(seq) for seq in current)
    improved = False
    driven = 0
    for seq in current:
        nodes = [0] + [manager.IndexToNode(i) for i in seq] + [0]
        driven += int(dist[nodes[:-1], nodes[1:]].sum())
    # Start accepting a step that is worse by about 1 % of an average leg.
    temperature0 = 0.01 * driven / max(routed, 1)
    began = time.monotonic()
    # Time kept back for loading the best routes at the end.
    stop_at = deadline - min(1.0, 0.05 * max(deadline - began, 0.0))
    span = max(stop_at - began, 1e-3)
    steps = 0
    start = model.routing.solver().Assignment()  # reused: each assignment lives as long as its model
    # A solve with a time limit different from the last costs twice the time
    # and three times the memory, so the steps' limit changes seldom: it is
    # halved whenever less time is left (a step of a large model can take
    # seconds, and must not eat into the next area's or phase's time).
    step_limit = span
    params.time_limit.FromMilliseconds(max(10, int(step_limit * 1000)))
    while routed >= 2:
        now = time.monotonic()
        if now >= stop_at - 0.01:
            break
        if stop_at - now < step_limit:
            step_limit = (stop_at - now) / 2
            params.time_limit.FromMilliseconds(max(10, int(step_limit * 1000)))
        on_route = [i for seq in current for i in seq]
        if len(on_route) < 2:
            break
        if steps and steps % RUIN_REBUILD_STEPS == 0:
            model = build()
            model.routing.CloseModelWithParameters(params)
            start = model.routing.solver().Assignment()
        steps += 1
        routing = model.routing
        centre = manager.IndexToNode(on_route[int(rng.integers(len(on_route)))])
        size = int(rng.integers(RUIN_SIZE[0], RUIN_SIZE[1] + 1))
        size = max(1, min(size, len(on_route) // 4))
        nodes = np.fromiter((manager.IndexToNode(i) for i in on_route), dtype=np.int64, count=len(on_route))
        nearest = nodes[np.argsort(dist[centre, nodes], kind="stable")[:size]]
        removed = set(int(manager.NodeToIndex(int(n))) for n in nearest)
        partial = [[i for i in seq if i not in removed] for seq in current]
        if not routing.RoutesToAssignment(partial, True, True, start):
            continue
        candidate = routing.SolveFromAssignmentWithParameters(start, params)
        if candidate is None:
            continue
        cost = candidate.ObjectiveValue()
        routes = routes_of(model, candidate)
        if cost < best_cost:
            best, best_cost, improved = routes, cost, True
        temperature = temperature0 * max(0.0, 1.0 - (time.monotonic() - began) / span)
        delta = cost - current_cost
        if delta <= 0 or (temperature > 0 and rng.random() < math.exp(-delta / temperature)):
            current, current_cost = routes, cost

    if not improved:
        return first_model, first
    # The best routes, loaded into the last model.  A descent from a local
    # optimum: it ends at once, the limit is only a safety net.
    params.time_limit.FromMilliseconds(max(1000, int((deadline - time.monotonic()) * 1000)))
    timed = None
    if model.routing.RoutesToAssignment(best, True, True, start):
        timed = model.routing.SolveFromAssignmentWithParameters(start, params)
    if timed is None:  # not expected: the routes were a solution of the same model
        model = build()
        timed = model.routing.SolveWithParameters(params)
    return model, timed


def _choose_patterns(
    problem: _Problem, stop_indices: list[int], placed: dict[int, list[Slot]]
) -> dict[int, Pattern]:
    """Each stop's pattern: the candidate that agrees with most placed visits.

    Ties go to the pattern whose days carry the least door-open time so far,
    which spreads unplaced stops over the cycle.
    """
    scenario = problem.scenario
    load: Counter[Slot] = Counter()
    chosen: dict[int, Pattern] = {}
    # Stops with placed visits first, so the free ones fill the gaps they leave.
    order = sorted(stop_indices, key=lambda i: (-len(placed.get(i, [])), i))
    for i in order:
        stop = scenario.stops[i]
        slots = Counter(placed.get(i, []))
        best = min(
            candidate_patterns(stop, scenario.cycle),
            key=lambda p: (-sum(min(1, slots[s]) for s in p), sum(load[s] for s in p)),
        )
        chosen[i] = best
        for s in best:
            load[s] += stop.service_min
    return chosen


def solve(
    scenario: Scenario,
    *,
    matrix: TravelMatrix | None = None,
    time_limit_s: float | None = None,
    work_limit: int | None = None,
    progress: Progress | None = None,
) -> Plan:
    """Plan the scenario's timetable cycle.

    ``time_limit_s`` and ``work_limit`` override the scenario's solver
    settings.  With a work limit the result depends only on the input.
    """
    started = time.monotonic()
    if matrix is None:
        matrix = scenario_matrix(scenario)
    limit = time_limit_s if time_limit_s is not None else scenario.solver.time_limit_s
    work = work_limit if work_limit is not None else scenario.solver.work_limit
    problem = _Problem(scenario, matrix)
    stops = scenario.stops
    cycle = scenario.cycle

    unserved: list[Unserved] = []
    plannable: list[int] = []
    for i, stop in enumerate(stops):
        reason = diagnose.structural_reason(stop, i, scenario, problem.drive)
        if reason is None:
            plannable.append(i)
        else:
            unserved.append(
                Unserved(stop.id, stop.name, stop.frequency.visits_per_cycle(cycle.weeks), reason.text, reason.suggestion)
            )

    areas = _vehicle_areas(problem, plannable, matrix)
    if areas:
        routes, objective = _solve_areas(problem, matrix, areas, limit, work, progress, started)
    else:
        routes, objective = _solve_restarts(problem, plannable, limit, work, progress, started)

    served_counts = Counter(v.stop_id for r in routes for v in r.visits)
    for i in plannable:
        stop = stops[i]
        need = stop.frequency.visits_per_cycle(cycle.weeks)
        if served_counts[stop.id] == 0:
            reason = diagnose.competition_reason(stop, i, scenario, routes, problem.drive)
            unserved.append(Unserved(stop.id, stop.name, need, reason.text, reason.suggestion))

    routes = [r for r in routes if r.visits]

    order = {s.id: k for k, s in enumerate(stops)}
    unserved.sort(key=lambda u: order[u.stop_id])
    info = SolveInfo(
        solver=SOLVER_NAME,
        time_limit_s=float(limit),
        work_limit=work,
        run_time_s=round(time.monotonic() - started, 3),
        stopped_by="work limit" if work is not None else "time limit",
        objective=objective,
    )
    return Plan(
        scenario=scenario.name,
        cycle=cycle,
        travel=scenario.travel,
        routes=routes,
        unserved=unserved,
        totals=compute_totals(routes, scenario),
        info=info,
    )


def _vehicle_areas(
    problem: _Problem, plannable: list[int], matrix: TravelMatrix
) -> list[tuple[list[int], list[int]]] | None:
    """Split a large fleet's stops into areas with their own vans, or None to plan jointly.

    As few areas as keep each area's visits x route-days under
    ``AREA_SPLIT_SIZE`` (at most one area per van), found by a sweep around
    the depot (Gillett and Miller): stops sorted by bearing, starting after
    the widest empty sector, cut into consecutive sectors whose work (visits
    x (door-open minutes + twice the drive to the nearest other stop)) is in
    proportion to the shifts of the area's vans.  Each area is then a problem of one bookmobile service's size,
    which is how large services are run anyway: each van has its own villages.
    """
    scenario = problem.scenario
    cycle = scenario.cycle
    n_vans = len(scenario.vehicles)
    if n_vans < 2 or not plannable:
        return None
    visits = np.array(
        [scenario.stops[i].frequency.visits_per_cycle(cycle.weeks) for i in plannable], dtype=float
    )
    size = visits.sum() * len(problem.route_days)
    n_areas = min(n_vans, math.ceil(math.sqrt(size / AREA_SPLIT_SIZE)), len(plannable))
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


def _solve_areas(
    problem: _Problem,
    matrix: TravelMatrix,
    areas: list[tuple[list[int], list[int]]],
    limit: float,
    work: int | None,
    progress: Progress | None,
    started: float,
) -> tuple[list[Route], int | None]:
    """Each area planned on its own with its vans, the time shared by the areas' visits."""
    scenario = problem.scenario
    weeks = scenario.cycle.weeks
    weights = [sum(scenario.stops[i].frequency.visits_per_cycle(weeks) for i in members) for _v, members in areas]
    routes: list[Route] = []
    objective = 0
    left = float(sum(weights))
    for (group, members), weight in zip(areas, weights):
        share = weight / left if left else 1.0
        left -= weight
        remaining = limit - (time.monotonic() - started)
        sub_scenario = replace(
            scenario,
            vehicles=tuple(scenario.vehicles[v] for v in group),
            stops=tuple(scenario.stops[i] for i in members),
        )
        keep = np.array([0] + [i + 1 for i in members])
        sub_matrix = TravelMatrix(
            tuple(matrix.ids[k] for k in keep),
            np.asarray(matrix.distance_m)[np.ix_(keep, keep)],
            np.asarray(matrix.drive_min)[np.ix_(keep, keep)],
        )

        def area_progress(phase: str, _elapsed: float, cost: int) -> None:
            if progress is not None:
                progress(phase, time.monotonic() - started, objective + cost)

        plan = solve(
            sub_scenario,
            matrix=sub_matrix,
            time_limit_s=max(1.0, remaining * share),
            work_limit=None if work is None else max(1, round(work * weight / sum(weights))),
            progress=area_progress,
        )
        routes.extend(plan.routes)
        objective += plan.info.objective or 0
    _refresh_legs(routes, problem, scenario)
    return routes, objective


def _solve_restarts(
    problem: _Problem,
    plannable: list[int],
    limit: float,
    work: int | None,
    progress: Progress | None,
    started: float,
) -> tuple[list[Route], int | None]:
    """:func:`_solve_joint` several times with the time shared, and the best plan.

    Which weekday and weeks each stop gets is settled early and decides most
    of what follows; on the sample scenarios one 30-second solve drove
    between 640 and 960 km depending on the seed alone, five 6-second ones
    took the best of them (benchmarks/RESULTS.md).  So when stops have a
    choice of pattern and the time allows, the solve is repeated with other
    seeds.  Best: the most visits of must stops, then the most loans, then
    the least driving.  One run in reproducible mode.
    """
    stops = problem.scenario.stops
    cycle = problem.scenario.cycle
    choice = any(len(candidate_patterns(stops[i], cycle)) > 1 for i in plannable)
    visits = sum(stops[i].frequency.visits_per_cycle(cycle.weeks) for i in plannable)
    per_run = max(RESTART_MIN_S, RESTART_S_PER_VISIT * visits)
    runs = 1 if work is not None or not choice else max(1, min(RESTARTS_MAX, int(limit // per_run)))
    if runs == 1:
        return _solve_joint(problem, plannable, limit, work, progress, started)
    must_ids = {stops[i].id for i in plannable if stops[i].must}
    best: tuple[tuple[int, float, float], list[Route], int | None] | None = None
    best_cost = [math.inf]
    for run in range(runs):
        run_started = time.monotonic()
        run_limit = (limit - (run_started - started)) / (runs - run)

        def run_progress(phase: str, _elapsed: float, cost: int) -> None:
            best_cost[0] = min(best_cost[0], cost)
            if progress is not None:
                progress(phase, time.monotonic() - started, int(best_cost[0]))

        routes, objective = _solve_joint(problem, plannable, run_limit, None, run_progress, run_started, seed=run)
        must = sum(1 for r in routes for v in r.visits if v.stop_id in must_ids)
        loans = sum(v.loans for r in routes for v in r.visits)
        score = (-must, -loans, sum(r.distance_m for r in routes))
        if best is None or score < best[0]:
            best = (score, routes, objective)
    return best[1], best[2]


def _solve_joint(
    problem: _Problem,
    plannable: list[int],
    limit: float,
    work: int | None,
    progress: Progress | None,
    started: float,
    seed: int = 0,
) -> tuple[list[Route], int | None]:
    """The two phases on one routing model holding every route-day of the cycle."""
    scenario = problem.scenario
    stops = scenario.stops
    cycle = scenario.cycle
    # Phase 1: place visits freely within their part of the cycle.
    free_jobs: list[_Job] = []
    for i in plannable:
        for k, slots in enumerate(copy_slot_ranges(stops[i], cycle)):
            allowed = sorted(r for s in slots for r in problem.slot_vehicles.get(s, []))
            free_jobs.append(_Job(i, k, allowed))
    placed: dict[int, list[Slot]] = {}
    # Nothing to choose when every stop has one pattern (a one-day cycle, say).
    choice = any(len(candidate_patterns(stops[i], cycle)) > 1 for i in plannable)
    if free_jobs and choice:
        outcome1 = _route_model(
            problem, free_jobs, False, limit * 0.25, None if work is None else max(1, work // 4),
            "patterns", progress, started, shift_margin=0.1, seed=seed,
        )
        if outcome1 is not None:
            for r, seq in enumerate(outcome1.routes):
                week, day, _v = problem.route_days[r]
                for job_index, _arrival in seq:
                    placed.setdefault(free_jobs[job_index].stop, []).append((week - 1, cycle.days.index(day)))
    patterns = _choose_patterns(problem, plannable, placed)

    # Phase 2: each visit on its pattern's day, stable opening times.  Then
    # repair: a stop left out that would fit on another pattern's days moves
    # there, and the timetable is re-optimised from the current one.
    routes: list[Route] = []
    outcome = None
    initial: list[list[int]] | None = None
    rounds = 0
    polished = False
    while True:
        jobs = [
            _Job(i, k, problem.slot_vehicles[slot])
            for i in plannable
            for k, slot in enumerate(patterns[i])
        ]
        if not jobs:
            break
        remaining = limit - (time.monotonic() - started)
        # Without a choice of days there is nothing to repair: one round, all the time.
        budget = remaining if (rounds >= 2 or not choice) else remaining * (0.6 if rounds == 0 else 0.5)
        step_work = None if work is None else max(1, work // 2 if rounds == 0 else work // 8)
        result = _route_model(
            problem, jobs, True, max(0.5, budget), step_work, "timetable", progress, started, initial, seed=seed
        )
        if result is None and outcome is not None:
            break  # keep the last good timetable
        outcome = result
        routes = _whole_stops_only(_plan_routes(problem, jobs, outcome), problem, plannable, patterns)
        rounds += 1
        if rounds > 3 or (work is None and limit - (time.monotonic() - started) < 1.0):
            break
        moves = _better_patterns(problem, plannable, patterns, routes)
        initial = _initial_routes(problem, jobs, routes, patterns | moves, plannable)
        if not moves:
            if work is not None or limit - (time.monotonic() - started) < 1.0 or polished:
                break
            # Nothing to repair: spend the rest of the time improving this timetable.
            polished = True
            rounds = 3
            continue
        patterns.update(moves)

    return routes, None if outcome is None else outcome.objective


def _whole_stops_only(
    routes: list[Route], problem: _Problem, plannable: list[int], patterns: dict[int, Pattern]
) -> list[Route]:
    """Take out stops that got only part of their visits: half a pattern is no timetable.

    The remaining visits keep their times (waiting absorbs the gap).
    """
    stops = problem.scenario.stops
    counts = Counter(v.stop_id for r in routes for v in r.visits)
    partial = {stops[i].id for i in plannable if 0 < counts[stops[i].id] < len(patterns[i])}
    if partial:
        for r in routes:
            r.visits = [v for v in r.visits if v.stop_id not in partial]
        _refresh_legs(routes, problem, problem.scenario)
    return routes


def _better_patterns(
    problem: _Problem, plannable: list[int], patterns: dict[int, Pattern], routes: list[Route]
) -> dict[int, Pattern]:
    """New patterns for unserved stops that would fit, as they stand, on other days."""
    scenario = problem.scenario
    served = {v.stop_id for r in routes for v in r.visits}
    index_of = {s.id: i + 1 for i, s in enumerate(scenario.stops)}
    vehicles = {v.name: v for v in scenario.vehicles}
    days = scenario.cycle.days
    by_slot: dict[Slot, list[Route]] = {}
    for r in routes:
        by_slot.setdefault((r.week - 1, days.index(r.day)), []).append(r)
    moves: dict[int, Pattern] = {}
    taken: Counter[Slot] = Counter()
    for i in plannable:
        stop = scenario.stops[i]
        if stop.id in served:
            continue
        best, best_cost = None, None
        for pattern in candidate_patterns(stop, scenario.cycle):
            if pattern == patterns[i]:
                continue
            worst = 0.0
            for slot in pattern:
                options = [
                    diagnose.insertion_need_min(stop, i, r, vehicles[r.vehicle], index_of, problem.drive)
                    for r in by_slot.get(slot, [])
                ]
                if len(by_slot.get(slot, [])) < len(problem.slot_vehicles.get(slot, [])):
                    options.append(0.0)
                worst = max(worst, min(options) if options else math.inf)
            cost = (worst, sum(taken[s] for s in pattern))
            if worst == 0.0 and (best_cost is None or cost < best_cost):
                best, best_cost = pattern, cost
        if best is not None:
            moves[i] = best
            for s in best:
                taken[s] += 1
    return moves


def _initial_routes(
    problem: _Problem,
    old_jobs: list[_Job],
    routes: list[Route],
    patterns: dict[int, Pattern],
    plannable: list[int],
) -> list[list[int]]:
    """The current timetable as job indices of the next model (same job order)."""
    new_index: dict[tuple[int, int], int] = {}
    n = 0
    for i in plannable:
        for k in range(len(patterns[i])):
            new_index[(i, k)] = n
            n += 1
    stop_index = {s.id: i for i, s in enumerate(problem.scenario.stops)}
    slot_route = {
        (week, day, v): r for r, (week, day, v) in enumerate(problem.route_days)
    }
    vehicle_index = {v.name: k for k, v in enumerate(problem.scenario.vehicles)}
    out: list[list[int]] = [[] for _ in problem.route_days]
    days = problem.scenario.cycle.days
    for route in routes:
        r = slot_route[(route.week, route.day, vehicle_index[route.vehicle])]
        for visit in route.visits:
            i = stop_index[visit.stop_id]
            k = patterns[i].index((route.week - 1, days.index(route.day)))
            out[r].append(new_index[(i, k)])
    return out


def _plan_routes(problem: _Problem, jobs: list[_Job], outcome: _Outcome | None) -> list[Route]:
    scenario = problem.scenario
    if outcome is None:
        return []
    out: list[Route] = []
    start_date = scenario.cycle.start_date
    for r, (week, day, v) in enumerate(problem.route_days):
        seq = outcome.routes[r]
        if not seq:
            continue
        vehicle = scenario.vehicles[v]
        visits = []
        for job_index, arrival in seq:
            stop = scenario.stops[jobs[job_index].stop]
            visits.append(
                Visit(stop.id, stop.name, stop.lat, stop.lon, arrival, arrival + stop.service_min, stop.loans_per_visit)
            )
        route = Route(
            vehicle=vehicle.name,
            week=week,
            day=day,
            depot=scenario.depot,
            start_min=outcome.starts[r],
            end_min=outcome.ends[r],
            visits=visits,
            breaks=[Break(s, m) for s, m in outcome.breaks[r]],
        )
        if start_date is not None:
            offset = (week - 1) * 7 + WEEKDAYS.index(day) - start_date.weekday()
            route.date = start_date + timedelta(days=offset)
        out.append(route)
    _refresh_legs(out, problem, scenario)
    return out


def _refresh_legs(routes: list[Route], problem: _Problem, scenario: Scenario) -> None:
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
