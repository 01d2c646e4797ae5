"""The timetable solver: a scenario in, a :class:`~routeplanner.model.Plan` out.

    from routeplanner.solver import solve, SearchParams
    plan = solve(scenario, time_limit_s=30)                  # timed
    plan = solve(scenario, work_limit=2000)                  # reproducible: same input, same plan
    plan = solve(scenario, params=SearchParams(seed=3))      # another seed, other knobs

The parts, each readable on its own:

* :mod:`.problem`: the numbers every part shares (matrices, route-days,
  slots, candidate patterns, penalties);
* :mod:`.params`: :class:`SearchParams`, every knob of the search;
* :mod:`.budget`: :class:`Budget`, the time or work every phase gets a share of;
* :mod:`.cycle`: the cycle's state and the prices of moves (insertion cost);
* :mod:`.search`: the periodic search (build, annealing over patterns and
  routes, the final timetable), pure orchestration;
* :mod:`.areas`: large fleets split into areas with their own vans;
* :mod:`.routing`: the only module that imports OR-Tools: routing visits on
  route-days;
* :mod:`.plan`: the state turned into the plan's routes.

Demand comes first, distance second: a stop is left out only when its
penalty, which grows with its loans, is outweighed, and then whole (half a
pattern is no timetable).  Every unserved stop gets a reason from
:mod:`routeplanner.diagnose`.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace
from typing import Callable

import numpy as np

from routeplanner import diagnose
from routeplanner.model import Plan, Route, Scenario, SolveInfo, SolveProgress, Unserved
from routeplanner.solver.areas import vehicle_areas
from routeplanner.solver.budget import Budget
from routeplanner.solver.cycle import State
from routeplanner.solver.params import SearchParams
from routeplanner.solver.plan import plan_routes, refresh_legs
from routeplanner.solver.problem import Problem
from routeplanner.solver.routed import Retimer, Router
from routeplanner.solver.search import compact, search
from routeplanner.totals import compute_totals
from routeplanner.travel import TravelMatrix, scenario_matrix

__all__ = ["SOLVER_NAME", "Budget", "Progress", "SearchParams", "solve", "unserved_reasons"]

#: Progress callback, given a :class:`~routeplanner.model.SolveProgress`: phase,
#: elapsed seconds, best cost, which run of how many, and the stops served, km
#: and duty minutes of the best plan so far.  Phase "patterns": the search over
#: visit days (its first report is already a complete timetable); "timetable":
#: the last phase, fitting the times of the whole cycle.
Progress = Callable[[SolveProgress], None]


def _engine() -> str:
    from routeplanner.solver.routing import ENGINE

    return ENGINE


SOLVER_NAME = "routeplanner periodic search"


def solve(
    scenario: Scenario,
    *,
    matrix: TravelMatrix | None = None,
    time_limit_s: float | None = None,
    work_limit: int | None = None,
    progress: Progress | None = None,
    params: SearchParams | None = None,
    router: Router | None = None,
    retimer: Retimer | None = None,
    keep_times_of: Plan | None = None,
) -> Plan:
    """Plan the scenario's timetable cycle.

    ``time_limit_s`` and ``work_limit`` override the scenario's solver
    settings; with a work limit the plan depends only on the input (and
    ``params``).  ``router`` and ``retimer`` replace the OR-Tools day routing
    and final timing (tests).  ``keep_times_of``: a base plan whose opening
    times the final timing keeps where a stop keeps its day (a re-plan).
    """
    started = time.monotonic()
    params = params or SearchParams()
    if matrix is None:
        matrix = scenario_matrix(scenario)
    limit = time_limit_s if time_limit_s is not None else scenario.solver.time_limit_s
    work = work_limit if work_limit is not None else scenario.solver.work_limit
    budget = Budget(work=work) if work is not None else Budget(seconds=limit)
    problem = Problem(scenario, matrix)
    if keep_times_of is not None:
        problem.keep_times(keep_times_of)
    routes, objective = _solve(problem, matrix, budget, params, router, progress, started, retimer)
    unserved = _unserved(problem, routes)
    info = SolveInfo(
        solver=f"{SOLVER_NAME} / {_engine()}",
        time_limit_s=float(limit),
        work_limit=work,
        run_time_s=round(time.monotonic() - started, 3),
        stopped_by="work limit" if work is not None else "time limit",
        objective=objective,
    )
    return Plan(scenario=scenario.name, cycle=scenario.cycle, travel=scenario.travel, routes=routes,
                unserved=unserved, totals=compute_totals(routes, scenario), info=info)


def _solve(problem: Problem, matrix: TravelMatrix, budget: Budget, params: SearchParams, router: Router | None,
           progress: Progress | None, started: float, retimer: Retimer | None = None) -> tuple[list[Route], int]:
    scenario = problem.scenario
    plannable = [i for i, stop in enumerate(scenario.stops)
                 if diagnose.structural_reason(stop, i, scenario, problem.drive) is None]
    areas = vehicle_areas(problem, plannable, params.area_split_size)
    if areas:
        return _solve_areas(problem, matrix, areas, budget, params, router, progress, started, retimer)
    if router is None:
        router = _ortools_router(params)
    best: tuple[tuple, State] | None = None
    best_cost = [np.inf]
    best_figures: list = [None]  # (score, run, (stops served, km, duty minutes)) of the best plan reported

    def report(phase: str, cost: int, state: State | None = None) -> None:
        best_cost[0] = min(best_cost[0], cost)
        if progress is None:
            return  # the figures cost a plan's worth of arithmetic: only for someone watching
        if state is not None:
            # The plan the loop below would keep: a better one, or in the same run an equal
            # one (its times fitted by the last phase); of equal runs the first.
            score = _score(problem, state)
            kept = best_figures[0]
            if kept is None or score < kept[0] or (score == kept[0] and run == kept[1]):
                best_figures[0] = (score, run, _route_figures(plan_routes(state)))
        figures = best_figures[0][2] if best_figures[0] is not None else (None, None, None)
        # ``run`` is the loop's below: reports come only from inside it.
        progress(SolveProgress(phase, time.monotonic() - started, int(best_cost[0]), run + 1, runs, *figures))

    choice = any(len(problem.patterns[i]) > 1 for i in plannable)
    visits = sum(problem.visits[i] for i in plannable)
    runs = params.restarts if choice and visits <= params.restart_max_visits else 1
    runs_budget = budget.share(1.0 - params.retime_share) if params.retime_share > 0 else budget
    for run in range(runs):
        share = runs_budget.share(1.0 / (runs - run))
        state = search(problem, plannable, router, share, params, seed=run, report=report)
        report("timetable", int(state.cost()), state)  # the run's plan, whose times the last phase may not report
        score = _score(problem, state)
        if best is None or score < best[0]:
            best = (score, state)
    assert best is not None
    state = best[1]
    if params.retime_share > 0:
        state = compact(state, retimer or _ortools_retimer(params), budget)
        best_figures[0] = None  # the kept plan with its compacted times: the last report is the plan's
        report("timetable", int(state.cost()), state)
    return plan_routes(state), state.cost()


def _score(problem: Problem, state: State) -> tuple[int, float, int]:
    """Best first: the most visits of must stops, then the most loans, then the least driving."""
    stops = problem.scenario.stops
    must = sum(problem.visits[i] for i in state.pattern if stops[i].must)
    loans = sum(problem.visits[i] * stops[i].loans_per_visit for i in state.pattern)
    return (-must, -loans, state.distance())


def _ortools_retimer(params: SearchParams) -> Retimer:
    from functools import partial

    from routeplanner.solver import routing

    return partial(routing.retime, params=params)


def _ortools_router(params: SearchParams) -> Router:
    from functools import partial

    from routeplanner.solver import routing

    return partial(routing.route, params=params)


def _solve_areas(problem: Problem, matrix: TravelMatrix, areas: list[tuple[list[int], list[int]]],
                 budget: Budget, params: SearchParams, router: Router | None, progress: Progress | None,
                 started: float, retimer: Retimer | None = None) -> tuple[list[Route], int]:
    """Each area planned on its own with its vans, the budget shared by the areas' visits."""
    scenario = problem.scenario
    weights = [sum(problem.visits[i] for i in members) for _vans, members in areas]
    left = float(sum(weights))
    routes: list[Route] = []
    objective = 0
    for (vans, members), weight in zip(areas, weights):
        share = budget.share(weight / left if left else 1.0)
        left -= weight
        sub_scenario = replace(scenario, vehicles=tuple(scenario.vehicles[v] for v in vans),
                               stops=tuple(scenario.stops[i] for i in members))
        keep = np.array([0] + [i + 1 for i in members])
        sub_matrix = TravelMatrix(
            tuple(matrix.ids[k] for k in keep),
            np.asarray(matrix.distance_m)[np.ix_(keep, keep)],
            np.asarray(matrix.drive_min)[np.ix_(keep, keep)],
        )
        done = objective
        done_figures = _route_figures(routes)

        def area_progress(p: SolveProgress) -> None:
            if progress is not None:
                figures = [None if x is None else x + d for x, d in
                           zip((p.stops_served, p.distance_km, p.duty_minutes), done_figures)]
                progress(replace(p, elapsed_s=time.monotonic() - started, cost=done + p.cost,
                                 stops_served=figures[0], distance_km=figures[1], duty_minutes=figures[2]))

        sub_problem = Problem(sub_scenario, sub_matrix)
        if problem.base is not None:
            sub_problem.keep_times(problem.base)
        sub_routes, cost = _solve(sub_problem, sub_matrix, share, replace(params, area_split_size=10**12),
                                  router, area_progress, started, retimer)
        routes.extend(sub_routes)
        objective += cost
    refresh_legs(routes, problem, scenario)
    return routes, objective


def unserved_reasons(scenario: Scenario, routes: list[Route], matrix: TravelMatrix) -> list[Unserved]:
    """Every stop of ``scenario`` the ``routes`` do not visit, with the reason found by checking it."""
    return _unserved(Problem(scenario, matrix), routes)


def _route_figures(routes: list[Route]) -> tuple[int, float, float]:
    """Routes as a librarian measures them: stops served, km, duty minutes (depot to depot)."""
    stops = {v.stop_id for r in routes for v in r.visits}
    duty = sum(r.end_min - r.start_min for r in routes if r.visits)
    return len(stops), sum(r.distance_m for r in routes) / 1000.0, float(duty)


def _unserved(problem: Problem, routes: list[Route]) -> list[Unserved]:
    """Every stop without its visits, with the reason found by checking it."""
    scenario = problem.scenario
    cycle = scenario.cycle
    served = Counter(v.stop_id for r in routes for v in r.visits)
    out = []
    for i, stop in enumerate(scenario.stops):
        if served[stop.id]:
            continue
        need = stop.frequency.visits_per_cycle(cycle.weeks)
        reason = diagnose.structural_reason(stop, i, scenario, problem.drive) or \
            diagnose.competition_reason(stop, i, scenario, routes, problem.drive)
        out.append(Unserved(stop.id, stop.name, need, reason.text, reason.suggestion))
    return out
