"""Routing visits on route-days of the cycle: the one module that imports OR-Tools.

:func:`route` builds one OR-Tools routing model of some visits ("jobs") on
some route-days, each route-day a vehicle of the model, and returns plain
data (:class:`Routed`); no OR-Tools type leaves this module.  Matrices go in
with ``RegisterTransitMatrix``, never as Python callbacks.

How hard it works is the caller's choice:

* a descent (``improve=False``): the first solution (the given routes, or
  cheapest insertion) taken to its local optimum;
* ``improve=True``: then ruin and recreate (:func:`_ruin_and_recreate`) until
  the budget is spent, or guided local search for models above
  ``SearchParams.ruin_recreate_max_visits`` visits.

Work budgets make every call deterministic: no time limit ever decides (the
limits set are safety nets), descents end at their local optimum and ruin
and recreate counts its steps.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Callable

import numpy as np
import ortools
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routeplanner.published import STEP_MIN
from routeplanner.solver.budget import Budget
from routeplanner.solver.params import SearchParams
from routeplanner.solver.problem import Problem
from routeplanner.solver.routed import DayRouted, DayTimes, Job, Routed

ENGINE = f"OR-Tools {ortools.__version__}"
#: Wall-clock safety net of a call under a work budget: never expected to bind.
SAFETY_S = 600.0


@dataclass
class _Model:
    manager: object
    routing: object
    time_dim: object
    dist: np.ndarray  # node x node metres (node 0 = depot, node j + 1 = jobs[j])


def _build_model(problem: Problem, jobs: list[Job], route_days: list[int], anchored: bool) -> _Model:
    """The routing model of ``jobs`` on ``route_days`` (vehicle k = route-day ``route_days[k]``).

    Its finalizers (leave the depot as late as possible, open every stop and
    come home as early as possible) give a solution the times to publish.
    Without them OR-Tools binds the times, the breaks above all, by a search
    of its own that can take the whole time limit.
    """
    local = {r: k for k, r in enumerate(route_days)}
    manager = pywrapcp.RoutingIndexManager(len(jobs) + 1, len(route_days), 0)
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()

    stops = np.array([j.stop for j in jobs], dtype=np.int64)
    where = np.concatenate([[0], stops + 1])
    service = np.concatenate([[0], problem.service[stops]]) if len(jobs) else np.zeros(1, dtype=np.int64)
    loans = np.concatenate([[0], problem.loans[stops]]) if len(jobs) else np.zeros(1, dtype=np.int64)

    dist = problem.dist[np.ix_(where, where)]
    travel = problem.drive[np.ix_(where, where)] + service[:, None]
    dist_cb = routing.RegisterTransitMatrix(dist.tolist())
    time_cb = routing.RegisterTransitMatrix(travel.tolist())
    load_cb = routing.RegisterUnaryTransitVector(loans.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(dist_cb)

    vehicles = [problem.vehicle_of[r] for r in route_days]
    routing.AddDimensionWithVehicleCapacity(load_cb, 0, [v.capacity_books for v in vehicles], True, "books")
    routing.AddDimension(time_cb, problem.horizon, problem.horizon, False, "time")
    time_dim = routing.GetDimensionOrDie("time")

    node_visit_transits = [0] * routing.Size()
    for node in range(1, len(jobs) + 1):
        node_visit_transits[manager.NodeToIndex(node)] = int(service[node])

    for k, veh in enumerate(vehicles):
        start, end = routing.Start(k), routing.End(k)
        time_dim.CumulVar(start).SetRange(veh.shift_start_min, veh.shift_end_min)
        time_dim.CumulVar(end).SetRange(veh.shift_start_min, veh.shift_end_min)
        routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(start))
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(end))
        if veh.break_rule:
            # A break of break_minutes in every stretch of break_after_minutes
            # on duty.  Counting duty rather than driving only is stricter than
            # EU 561/2006 and gives the driver a real lunch break.
            brk = solver.FixedDurationIntervalVar(
                veh.shift_start_min, veh.shift_end_min - veh.break_minutes, veh.break_minutes, True, f"break {k}",
            )
            time_dim.SetBreakIntervalsOfVehicle([brk], k, node_visit_transits)
            time_dim.SetBreakDistanceDurationOfVehicle(veh.break_after_minutes, veh.break_minutes, k)

    every = len(route_days)
    for node, job in enumerate(jobs, start=1):
        index = manager.NodeToIndex(node)
        i = job.stop
        lo, hi = int(problem.open_from[i]), int(problem.open_until[i])
        if job.window is not None:
            lo, hi = max(lo, job.window[0]), min(hi, job.window[1])
        time_dim.CumulVar(index).SetRange(lo, max(lo, hi))
        if len(job.route_days) < every:
            routing.VehicleVar(index).SetValues([-1] + sorted(local[r] for r in job.route_days))
        routing.AddDisjunction([index], problem.penalty(i))
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(index))

    if anchored and problem.stable_rule:
        # All visits of a stop open within stable_minutes of one another: a
        # shared anchor time per stop, so the timetable is one line per stop.
        groups: dict[int, list[int]] = {}
        for node, job in enumerate(jobs, start=1):
            groups.setdefault(job.stop, []).append(manager.NodeToIndex(node))
        for stop_index in sorted(groups):
            members = groups[stop_index]
            if len(members) < 2:
                continue
            anchor = solver.IntVar(0, problem.horizon, f"anchor {stop_index}")
            for index in members:
                cumul = time_dim.CumulVar(index)
                solver.Add(cumul >= anchor)
                solver.Add(cumul <= anchor + problem.stable)

    return _Model(manager, routing, time_dim, dist)


def route(
    problem: Problem,
    jobs: list[Job],
    route_days: list[int],
    *,
    initial: list[list[int]] | None = None,
    anchored: bool = False,
    improve: bool = False,
    budget: Budget,
    params: SearchParams,
    seed: int = 0,
    on_solution: Callable[[int], None] | None = None,
    from_scratch: bool = True,
) -> Routed | None:
    """Route ``jobs`` on ``route_days``; ``initial[k]``: job indices on ``route_days[k]`` to start from.

    When the initial routes cannot be given times, the model is solved from
    scratch, unless ``from_scratch`` is False (then None: a descent that was
    only to improve them is not needed).  Returns None when there is no solution.
    """
    ruin = len(jobs) <= params.ruin_recreate_max_visits
    guided = improve and not ruin
    count = [0]

    def build() -> _Model:
        model = _build_model(problem, jobs, route_days, anchored)
        # A weak reference: a callback the model holds must not keep the
        # model alive, or neither is ever freed.
        routing_ref = weakref.ref(model.routing)

        def on_sol() -> None:
            count[0] += 1
            routing = routing_ref()
            if routing is not None and on_solution is not None:
                on_solution(int(routing.CostVar().Max()))

        model.routing.AddAtSolutionCallback(on_sol)
        return model

    params_pb = _search_parameters(budget, guided, None if from_scratch else params.hint_limit_s)
    model = build()
    routing, manager = model.routing, model.manager
    solution = None
    if initial is not None:
        routing.CloseModelWithParameters(params_pb)
        # RoutesToAssignment only sets the routes; ReadAssignmentFromRoutes would
        # also search for times, with no time limit (with breaks and stable times
        # that search once took 39 s).  The solve below finds the times within its
        # limit, or fails and the model is solved from scratch.
        start = routing.solver().Assignment()
        if routing.RoutesToAssignment([[manager.NodeToIndex(j + 1) for j in seq] for seq in initial],
                                      True, True, start):
            solution = routing.SolveFromAssignmentWithParameters(start, params_pb)
    if solution is None and (initial is None or from_scratch):
        solution = routing.SolveWithParameters(params_pb)
    if solution is None:
        return None
    if guided:
        budget.charge(count[0])
    elif improve and ruin:
        model, solution = _ruin_and_recreate(build, model, solution, params_pb, budget, params, seed)
        if solution is None:
            return None
    return _read(model, solution, route_days, count[0])


def _read(model: _Model, solution, route_days: list[int], solutions: int) -> Routed:
    routing, manager, time_dim = model.routing, model.manager, model.time_dim
    days: list[DayRouted] = []
    performed: set[int] = set()
    for k, r in enumerate(route_days):
        index = routing.Start(k)
        start = solution.Value(time_dim.CumulVar(index))
        visits = []
        index = solution.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            job = manager.IndexToNode(index) - 1
            visits.append((job, solution.Value(time_dim.CumulVar(index))))
            performed.add(job)
            index = solution.Value(routing.NextVar(index))
        days.append(DayRouted(r, visits, start, solution.Value(time_dim.CumulVar(index)), []))
    intervals = solution.IntervalVarContainer()
    for i in range(intervals.Size()):
        element = intervals.Element(i)
        if element.PerformedValue():
            k = int(element.Var().Name().split()[-1])
            if days[k].visits:
                days[k].breaks.append((element.StartValue(), element.DurationValue()))
    dropped = [j for j in range(routing.nodes() - 1) if j not in performed]
    return Routed(days, dropped, int(solution.ObjectiveValue()), solutions)


def _search_parameters(budget: Budget, guided: bool, cap_s: float | None = None):
    """The first solution and the descent (or guided local search) of a call.

    Under a work budget guided local search stops after as many solutions as
    the budget has units; the time limit is a safety net.  The insertion-based
    LNS operators are off for descents: each of them costs most of a pass
    over the neighbourhood and the ruin does their work better.
    """
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    seconds = budget.seconds_left()
    if guided:
        params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        if seconds is None:
            params.solution_limit = max(1, int(budget.left()))
    else:
        params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
        operators = params.local_search_operators
        for name in _INSERTION_LNS_OPERATORS + _UNUSED_OPERATORS:
            setattr(operators, name, _BOOL_FALSE)
    limit = SAFETY_S if seconds is None else max(0.05, seconds)
    if cap_s is not None and seconds is not None:
        # Routes the day routing cannot give times soon count as having none.
        limit = min(limit, cap_s)
    params.time_limit.FromMilliseconds(int(limit * 1000))
    return params


_BOOL_FALSE = 2  # operations_research.OptionalBoolean.BOOL_FALSE

#: The random stream of ruin and recreate: the one of the product before
#: issue 10, so that a one-day plan is what it was.  Per instance the result
#: depends on the stream: Solomon's median gap at 30 s was 0.20 % with this
#: one and 0.60 % with another, the same search (benchmarks/RESULTS.md).
_RUIN_SEED = 20261201
_INSERTION_LNS_OPERATORS = (
    "use_global_cheapest_insertion_path_lns",
    "use_local_cheapest_insertion_path_lns",
    "use_relocate_path_global_cheapest_insertion_insert_unperformed",
    "use_global_cheapest_insertion_visit_types_lns",
    "use_local_cheapest_insertion_visit_types_lns",
)


#: Operators for pickup-and-delivery pairs: the models here have none, and
#: each operator still costs part of every pass.  (The operators for inactive
#: visits stay: ruin and recreate lives by them.  Without swap-active and its
#: kin, Solomon R208 at 30 s ended 2.7 % above the best known instead of 0.3 %.)
_UNUSED_OPERATORS = (
    "use_relocate_pair", "use_exchange_pair", "use_light_relocate_pair", "use_relocate_subtrip",
    "use_exchange_subtrip",
)


def _routes_of(m: _Model, sol) -> list[list[int]]:
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


def _ruin_and_recreate(build: Callable[[], _Model], model: _Model, solution, params_pb, budget: Budget,
                       params: SearchParams, seed: int):
    """Improve ``solution`` until the budget is spent, by ruin and recreate: (model, best solution).

    Each step takes a random visit and the visits nearest to it out of the
    routes (a "radial" ruin) and lets OR-Tools' local search put them back
    and descend to a local optimum; the result replaces the current solution
    if it is better, or worse by a margin that shrinks to nothing as the
    budget runs out (simulated annealing).  Each step costs one work unit.

    Every solve leaves some memory with its model until the model goes, so
    the steps move to a fresh model every ``params.rebuild_steps`` steps; the
    best routes are loaded into the last model at the end.
    """
    rng = np.random.default_rng(_RUIN_SEED + seed)
    dist, manager = model.dist, model.manager
    # A step takes time in proportion to the visits of the model, roughly.
    step_work = max(1.0, params.step_work_per_visit * (len(dist) - 1))  # the same in every model built from the same jobs
    first_model, first = model, model.routing.solver().Assignment(solution)  # a copy: solves reuse solution
    best_cost = current_cost = solution.ObjectiveValue()
    best = current = _routes_of(model, solution)
    routed = sum(len(seq) for seq in current)
    improved = False
    driven = 0
    for seq in current:
        nodes = [0] + [manager.IndexToNode(i) for i in seq] + [0]
        driven += int(dist[nodes[:-1], nodes[1:]].sum())
    # Start accepting a step that is worse by about 1 % of an average leg.
    temperature0 = 0.01 * driven / max(routed, 1)
    start = model.routing.solver().Assignment()  # reused: each assignment lives as long as its model
    timed = budget.timed
    # A solve with a time limit different from the last costs twice the time
    # and three times the memory, so the steps' limit changes seldom: it is
    # halved whenever less time is left (a step of a large model can take
    # seconds, and must not eat into the next phase's time).  Under a work
    # budget it is a safety net only.
    step_limit = budget.left() if timed else SAFETY_S
    params_pb.time_limit.FromMilliseconds(max(10, int(step_limit * 1000)))
    steps = 0
    while routed >= 2 and not budget.exhausted():
        if timed:
            left = budget.left()
            if left < 0.01:
                break
            if left < step_limit:
                step_limit = left / 2
                params_pb.time_limit.FromMilliseconds(max(10, int(step_limit * 1000)))
        on_route = [i for seq in current for i in seq]
        if len(on_route) < 2:
            break
        if steps and steps % params.rebuild_steps == 0:
            model = build()
            model.routing.CloseModelWithParameters(params_pb)
            start = model.routing.solver().Assignment()
        steps += 1
        budget.charge(step_work)
        routing = model.routing
        centre = manager.IndexToNode(on_route[int(rng.integers(len(on_route)))])
        size = int(rng.integers(params.day_ruin[0], params.day_ruin[1] + 1))
        size = max(1, min(size, len(on_route) // 4))
        nodes = np.fromiter((manager.IndexToNode(i) for i in on_route), dtype=np.int64, count=len(on_route))
        nearest = nodes[np.argsort(dist[centre, nodes], kind="stable")[:size]]
        removed = set(int(manager.NodeToIndex(int(n))) for n in nearest)
        partial = [[i for i in seq if i not in removed] for seq in current]
        if not routing.RoutesToAssignment(partial, True, True, start):
            continue
        candidate = routing.SolveFromAssignmentWithParameters(start, params_pb)
        if candidate is None:
            continue
        cost = candidate.ObjectiveValue()
        routes = _routes_of(model, candidate)
        if cost < best_cost:
            best, best_cost, improved = routes, cost, True
        temperature = temperature0 * (1.0 - budget.fraction_used())
        delta = cost - current_cost
        if delta <= 0 or (temperature > 0 and rng.random() < math.exp(-delta / temperature)):
            current, current_cost = routes, cost

    if not improved:
        return first_model, first
    # The best routes, loaded into the last model.  A descent from a local
    # optimum: it ends at once; the limit is only a safety net.
    params_pb.time_limit.FromMilliseconds(int(SAFETY_S * 1000) if not timed else 1000 + int(budget.left() * 1000))
    timed_solution = None
    if model.routing.RoutesToAssignment(best, True, True, start):
        timed_solution = model.routing.SolveFromAssignmentWithParameters(start, params_pb)
    if timed_solution is None:  # not expected: the routes were a solution of the same model
        model = build()
        timed_solution = model.routing.SolveWithParameters(params_pb)
    return model, timed_solution


# --- compact times (CP-SAT) ----------------------------------------------------------------------------------

#: The retiming's objective in minutes x this (``SearchParams.retime_duty_weight`` minutes
#: of a published window's shortfall per minute on duty); earliness only breaks ties.
_MINUTE = 100_000
#: A minute away from a re-plan's base time, in duty minutes.
_KEEP_WEIGHT = 50
#: A break on the first or the last leg costs as much as this many idle minutes: the driver
#: takes it between two stops unless nothing else fits.
_END_BREAK_MIN = 600


def retime(problem: Problem, days: dict[int, list[int]], current: dict[int, DayTimes], budget: Budget, *,
           params: SearchParams) -> dict[int, DayTimes] | None:
    """New times for the route-days ``days`` (route-day -> stops in order), the orders kept.

    The least time on duty (leave as late as the first stop needs, come back
    as soon as the last is done, wait only where a window or the stable-time
    rule makes the van wait), the visits of a stop as close to one clock time
    as can be, the break between two stops; every rule the day routing keeps
    still holds (windows, shifts, one break after at most ``break_after``
    minutes on duty, stable times).  Started from ``current``, which must keep
    them too; None when CP-SAT returns nothing better in its budget.
    """
    from ortools.sat.python import cp_model

    p = problem
    m = cp_model.CpModel()
    objective = []
    hint: list[tuple[object, int]] = []
    by_stop: dict[int, list[object]] = {}
    now_times: dict[int, list[int]] = {}  # the opening times ``current`` gives each stop
    parts: dict[int, tuple] = {}
    for r, seq in sorted(days.items()):
        if not seq:
            continue
        veh = p.vehicle_of[r]
        lo_s, hi_s = veh.shift_start_min, veh.shift_end_min
        now = current[r]
        start = m.NewIntVar(lo_s, hi_s, "")
        end = m.NewIntVar(lo_s, hi_s, "")
        hint += [(start, now.start), (end, now.end)]
        arrivals = []
        for k, i in enumerate(seq):
            a = m.NewIntVar(int(p.open_from[i]), max(int(p.open_from[i]), int(p.open_until[i])), "")
            arrivals.append(a)
            hint.append((a, now.arrivals[k]))
            by_stop.setdefault(i, []).append(a)
            now_times.setdefault(i, []).append(now.arrivals[k])
            objective.append(a - lo_s)  # ties: earlier
            target = p.targets.get((i, p.slot_of[r]))
            if target is not None:
                # A re-plan keeps the base plan's time where it can: a minute moved weighs
                # more than any minute on duty or of spread.
                moved = m.NewIntVar(0, p.horizon, "")
                m.Add(moved >= a - target)
                m.Add(moved >= target - a)
                objective.append(_MINUTE * _KEEP_WEIGHT * moved)
        nodes = [0] + [i + 1 for i in seq] + [0]
        legs = [int(p.drive[a, b]) for a, b in zip(nodes, nodes[1:])]
        service = [int(p.service[i]) for i in seq]
        # Gap g runs from leaving place g to reaching place g + 1 (place 0 and n + 1: the depot).
        leave = [start] + [a + s for a, s in zip(arrivals, service)]
        reach = arrivals + [end]
        rule = veh.break_rule
        gaps = len(seq) + 1
        brk = [m.NewBoolVar("") for _ in range(gaps)] if rule else []
        pause, after = veh.break_minutes, veh.break_after_minutes
        now_gap = _break_gap(now, seq, p) if rule else None
        for g in range(gaps):
            if rule:
                m.Add(reach[g] >= leave[g] + legs[g] + pause).OnlyEnforceIf(brk[g])
                m.Add(reach[g] >= leave[g] + legs[g]).OnlyEnforceIf(brk[g].Not())
                hint.append((brk[g], int(now_gap == g)))
            else:
                m.Add(reach[g] >= leave[g] + legs[g])
        if rule:
            m.AddAtMostOne(brk)
            at = m.NewIntVar(lo_s, hi_s, "")
            for g in range(gaps):
                # The break anywhere in its gap: on duty at most ``after`` minutes before and after it.
                m.Add(at >= leave[g]).OnlyEnforceIf(brk[g])
                m.Add(at + pause <= reach[g]).OnlyEnforceIf(brk[g])
            taken = m.NewBoolVar("")
            m.Add(sum(brk) == 1).OnlyEnforceIf(taken)
            m.Add(sum(brk) == 0).OnlyEnforceIf(taken.Not())
            m.Add(at - start <= after).OnlyEnforceIf(taken)
            m.Add(end - at - pause <= after).OnlyEnforceIf(taken)
            m.Add(end - start <= after).OnlyEnforceIf(taken.Not())
            hint.append((taken, int(now_gap is not None)))
            hint.append((at, now.breaks[0][0] if now.breaks else lo_s))
            objective.append(_MINUTE * params.retime_duty_weight * _END_BREAK_MIN * (brk[0] + brk[-1]))
        objective.append(_MINUTE * params.retime_duty_weight * (end - start))
        parts[r] = (start, end, arrivals, brk, at if rule else None)
    step = STEP_MIN
    for i, times in by_stop.items():
        if len(times) >= 2 and p.stable_rule:
            first = m.NewIntVar(0, p.horizon, "")
            for a in times:
                m.Add(a >= first)
                m.Add(a <= first + p.stable)
        # The window patrons are given: from a 5-minute mark after every visit opens to one
        # before every visit closes (routeplanner.published).  What it falls short of the
        # visit's length -- the spread of the visits' times and the rounding -- is a loss.
        service = int(p.service[i])
        marks = p.horizon // step + 2
        opens, closes = m.NewIntVar(0, marks, ""), m.NewIntVar(0, marks, "")
        for a in times:
            m.Add(step * opens >= a)
            m.Add(step * closes <= a + service)
        loss = m.NewIntVar(0, 2 * p.horizon + service, "")
        m.Add(loss >= service - step * (closes - opens))
        objective.append(_MINUTE * loss)
        now = now_times[i]
        o, c = -(-max(now) // step), (min(now) + service) // step
        hint += [(opens, o), (closes, c), (loss, max(0, service - step * (c - o)))]
    m.Minimize(sum(objective))
    for var, value in hint:
        m.AddHint(var, value)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    seconds = budget.seconds_left()
    if seconds is None:
        solver.parameters.max_deterministic_time = max(0.05, budget.left() * params.retime_seconds_per_work)
        solver.parameters.max_time_in_seconds = SAFETY_S
    else:
        solver.parameters.max_time_in_seconds = max(0.05, seconds)
    status = solver.Solve(m)
    if seconds is None:
        budget.charge(budget.left())
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    out = {}
    for r, (start, end, arrivals, brk, at) in parts.items():
        breaks = []
        if at is not None and any(solver.Value(b) for b in brk):
            breaks.append((solver.Value(at), p.vehicle_of[r].break_minutes))
        out[r] = DayTimes([solver.Value(a) for a in arrivals], solver.Value(start), solver.Value(end), breaks)
    return out


def _break_gap(times: DayTimes, seq: list[int], p: Problem) -> int | None:
    """The gap (0: before the first stop) the day's break starts in, or None."""
    if not times.breaks:
        return None
    at = times.breaks[0][0]
    for k, (a, i) in enumerate(zip(times.arrivals, seq)):
        if at < a:
            return k
    return len(seq)
