"""The periodic search: which days each stop gets, and the routes, improved together.

Pure orchestration (no solver types): the day routing comes in as a
:class:`~routeplanner.solver.routed.Router`, so the search can be tested with
a router of the tests' own.

1. **Build.**  Must stops first, then those with the most visits and the fewest patterns, each
   on the pattern whose days take it at the least detour (:class:`Pricer`);
   then every slot's route-days are routed (a descent each), one slot after
   another so that each keeps the stable times of the slots before it.
2. **Search** (simulated annealing, :func:`anneal`).  A move:

   * *relocate*: one stop to the best of its other patterns;
   * *swap*: two nearby stops trade patterns;
   * *ruin*: a few neighbouring stops leave the cycle and come back, each on
     its cheapest pattern (stops left out are offered a place too).

   Moves are priced by insertion cost, the visiting orders of the route-days
   they touch improved (2-opt, or-opt) and given a timetable here
   (:meth:`Pricer.schedule`): a move is taken when its price is below
   ``-T ln u`` (threshold form of annealing), no routing needed.  Every so
   often the whole cycle goes through a descent of the day routing.
3. **Timetable** (:func:`timetable`).  The best cycle is routed as one model
   with the rest of the budget (ruin and recreate): stops with one visit may
   still change day, and with the stable-time rule every stop's visits open
   within ``stable_minutes`` of one another.  Large cycles without stable
   times are improved day by day.

4. **Compact times** (:func:`compact`, run once on the best cycle of all
   runs): the visiting orders kept, the final times from a small model (the
   least time on duty, breaks between two stops, a stop's visits close to one
   clock time).

When no stop has a choice of days (a one-day plan) there is nothing for steps
1 and 2 to choose: the day routing plans from scratch with the whole budget
(:func:`route_all`).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from routeplanner.solver.budget import Budget
from routeplanner.solver.cycle import Change, Day, Pricer, State
from routeplanner.solver.params import SearchParams
from routeplanner.solver.problem import Problem
from routeplanner.solver.routed import DayTimes, Job, Retimer, Routed, Router

#: Progress: (phase, best cost so far[, the complete state of that cost, for its figures]).
Report = Callable[..., None]


def search(problem: Problem, plannable: list[int], router: Router, budget: Budget, params: SearchParams,
           seed: int, report: Report | None = None) -> State:
    """The best state found for ``plannable`` stops within ``budget``."""
    rng = np.random.default_rng([params.seed, seed])
    choice = any(len(problem.patterns[i]) > 1 for i in plannable)
    if not choice:
        # No choice of days (a one-day plan, say): no pattern to search, and the
        # day routing does best from its own first solution.  Started from the
        # greedy build here instead, Solomon's instances at 30 s ended at a
        # median 1.1 % above the best known rather than 0.3 %.
        state = route_all(problem, plannable, router, budget, seed, report)
        if state is not None and state.unserved:
            # The routing's first solution can leave out visits that a greedy build places (tight
            # stable-time anchors, a re-plan's pinned days): keep the build when it serves more.
            built = time_all(build(problem, plannable, rng))
            if _served(built) > _served(state):
                return built
        if state is not None:
            return state
    search_budget = budget.share(params.search_share if choice else 0.02)
    state = build(problem, plannable, rng)
    state = time_all(state)
    if report is not None:  # already a complete timetable: every route-day has times
        report("patterns", state.cost(), state)
    state = anneal(state, router, search_budget, params, rng, seed, report)
    return timetable(state, router, budget, params, seed, report)


def _served(state: State) -> tuple[int, int]:
    """Must-stop visits, then all visits, of a state."""
    p = state.problem
    stops = p.scenario.stops
    return (sum(p.visits[i] for i in state.pattern if stops[i].must), sum(p.visits[i] for i in state.pattern))


def route_all(problem: Problem, plannable: list[int], router: Router, budget: Budget, seed: int,
              report: Report | None = None) -> State | None:
    """Every stop on its only pattern, routed by the day routing from scratch with the whole budget.

    For cycles where no stop has a choice of days.  None when the routing
    finds no solution (the search then builds one of its own).
    """
    p = problem
    jobs: list[Job] = []
    pattern_of = {}
    for i in plannable:
        if not p.patterns[i]:
            continue
        pattern_of[i] = p.patterns[i][0]
        jobs.extend(Job(i, p.slot_vehicles[slot]) for slot in pattern_of[i])
    if not jobs:
        return None

    rds = list(range(len(p.route_days)))
    routed = router(p, jobs, rds, initial=None, anchored=True, improve=True, budget=budget, seed=seed,
                    on_solution=_timetable_reporter(report), from_scratch=True)
    if routed is None:
        return None
    state = State(p, plannable)
    days = _days_of(p, jobs, routed)
    served = {jobs[j].stop for d in routed.days for j, _t in d.visits}
    state.apply(Change(days={r: d.stops for r, d in days.items()},
                       patterns={i: pattern_of[i] for i in served}), days)
    lost = {jobs[j].stop for j in routed.dropped} & set(state.pattern)
    if lost:
        _leave_out(state, lost)
    return state


def _days_of(p: Problem, jobs: list[Job], routed: Routed) -> dict[int, Day]:
    """The route-days as the day routing gave them, with the stops of their jobs."""
    days: dict[int, Day] = {}
    for d in routed.days:
        stops = [jobs[j].stop for j, _t in d.visits]
        days[d.route_day] = Day(stops, [t for _j, t in d.visits], d.start, d.end, list(d.breaks),
                                p.route_cost(stops))
    return days


def _timetable_reporter(report: Report | None) -> Callable[[int], None] | None:
    """The day routing's solutions reported as the timetable phase's progress."""
    if report is None:
        return None
    return lambda cost: report("timetable", cost)


# --- 1. build -----------------------------------------------------------------------------------------------


def build(problem: Problem, plannable: list[int], rng: np.random.Generator) -> State:
    """Greedy: each stop on its cheapest pattern, the hardest stops first; by Python prices only."""
    state = State(problem, plannable)
    pricer = Pricer(state)
    ties = rng.permutation(len(plannable))
    stops = problem.scenario.stops
    # Must stops first: the rest fit around them (a re-plan's pinned stops are must stops).
    order = sorted(range(len(plannable)),
                   key=lambda k: (not stops[plannable[k]].must, -problem.visits[plannable[k]],
                                  len(problem.patterns[plannable[k]]), ties[k]))
    for k in order:
        i = plannable[k]
        cost, pattern, prices = pricer.best_pattern(i)
        if pattern is not None and math.isfinite(cost):
            pricer.insert(i, pattern, prices)
    state.apply(pricer.change)
    return state


def time_all(state: State) -> State:
    """Every route-day given a timetable by :meth:`Pricer.schedule`, one after another (each
    keeping the stable times of those before it); the stops of a day that has none are left out."""
    pricer = Pricer(state)
    lost: set[int] = set()
    days: dict[int, Day] = {}
    for r, day in enumerate(state.days):
        if not day.stops:
            continue
        timed = pricer.schedule(r, day.stops)
        if timed is None:
            lost.update(day.stops)
            continue
        arrivals, leave, back, breaks = timed
        days[r] = Day(list(day.stops), arrivals, leave, back, breaks, day.cost, day.load)
        for i, t in zip(day.stops, arrivals):
            pricer.new_times[(i, r)] = t
    state.apply(Change(days={r: d.stops for r, d in days.items()}), days)
    if lost:
        _leave_out(state, lost)
    return state


def _route(state: State, days: dict[int, list[int]], router: Router, budget: Budget, seed: int,
           improve: bool = False, anchored: bool = False) -> tuple[dict[int, Day], set[int]]:
    """Route the given visit orders: the routed days, and the stops that lost a visit."""
    p = state.problem
    rds = sorted(days)
    chosen = set(rds)
    jobs: list[Job] = []
    initial: list[list[int]] = []
    for r in rds:
        allowed = [x for x in p.slot_vehicles[p.slot_of[r]] if x in chosen]
        seq = []
        for i in days[r]:
            seq.append(len(jobs))
            jobs.append(Job(i, allowed, stable_window(state, i, chosen)))
        initial.append(seq)
    # Visits of one stop inside the call are held together by the routing's own
    # anchors; those outside it by the windows above.
    anchored = anchored or p.stable_rule
    # From the given routes only: they have a timetable already (Pricer.schedule), so a
    # routing that cannot find one soon is not needed.
    routed = router(p, jobs, rds, initial=initial, anchored=anchored, improve=improve, budget=budget, seed=seed,
                    from_scratch=False)
    if routed is None:
        return {}, {j.stop for j in jobs}
    return _days_of(p, jobs, routed), {jobs[j].stop for j in routed.dropped}


def stable_window(state: State, stop: int, routed: set[int]) -> tuple[int, int] | None:
    """Opening times that keep the stop within the stable minutes of its visits outside ``routed``.

    None when the rule does not bind it (one visit, no rule, or no visit
    outside the route-days being routed has a time yet).
    """
    p = state.problem
    if not p.stable_rule or p.visits[stop] < 2:
        return None
    times = []
    for r in state.on.get(stop, []):
        if r in routed:
            continue
        day = state.days[r]
        if day.arrivals:
            times.append(day.arrivals[day.stops.index(stop)])
    if not times:
        return None
    return max(times) - p.stable, min(times) + p.stable


def _leave_out(state: State, stops: set[int]) -> None:
    """Take stops out whole (half a pattern is no timetable); the other visits keep their times."""
    p = state.problem
    for r, day in enumerate(state.days):
        if any(i in stops for i in day.stops):
            keep = [k for k, i in enumerate(day.stops) if i not in stops]
            day.stops = [day.stops[k] for k in keep]
            day.arrivals = [day.arrivals[k] for k in keep] if day.arrivals else []
            day.cost = p.route_cost(day.stops)
            if not day.stops:
                day.breaks = []
    for i in stops:
        state.pattern.pop(i, None)
        state.on.pop(i, None)
        state.unserved.add(i)


# --- 2. search ------------------------------------------------------------------------------------------------


def neighbours(problem: Problem, plannable: list[int], k: int) -> dict[int, list[int]]:
    """Each stop's nearest other stops (by the shorter way of the two), nearest first."""
    if len(plannable) < 2:
        return {i: [] for i in plannable}
    nodes = np.array(plannable) + 1
    d = problem.dist[np.ix_(nodes, nodes)]
    d = np.minimum(d, d.T).astype(float)
    np.fill_diagonal(d, np.inf)
    order = np.argsort(d, axis=1, kind="stable")[:, : min(k, len(plannable) - 1)]
    return {plannable[a]: [plannable[b] for b in row] for a, row in enumerate(order)}


def anneal(state: State, router: Router, budget: Budget, params: SearchParams, rng: np.random.Generator,
           seed: int, report: Report | None = None) -> State:
    """Simulated annealing over patterns and routes; the best state seen.

    Every move is priced and timed here (:meth:`Pricer.schedule` gives each
    route-day it touches a timetable the day routing accepts), so a move
    costs no routing; every ``params.joint_descent_every`` accepted moves the
    whole cycle goes through a descent of the day routing, whose
    neighbourhoods (exchange, cross, a one-visit stop to another day) the
    moves here do not have.
    """
    p = state.problem
    if not state.plannable:
        return state
    near = neighbours(p, state.plannable, max(params.neighbours, params.cycle_ruin[1]))
    legs = max(1, state.visits() + sum(1 for d in state.days if d.stops))
    avg_leg = max(1.0, state.distance() / legs)
    t0 = params.temperature * avg_leg
    weights = np.array([params.relocate_weight, params.swap_weight, params.ruin_weight], dtype=float)
    weights /= weights.sum()
    # Books may be overloaded for a while, at a price that adapts so that about
    # half of the states visited can run: penalised infeasible states let a full
    # day trade stops (Cordeau et al. 1997; Vidal et al. 2012).  Only where
    # books are the only rule a move can break.
    soft = p.python_exact
    if soft:
        loans = max(1.0, float(p.loans[state.plannable].mean()))
        state.overload_cost = avg_leg / loans
    current = state.cost()
    best = state.copy()
    best_cost = current if state.excess() == 0 else math.inf
    feasible_seen = moves_seen = accepted = 0
    while not budget.exhausted():
        if soft and moves_seen >= 100:
            share = feasible_seen / moves_seen
            if share < 0.4:
                state.overload_cost *= 1.5
            elif share > 0.6:
                state.overload_cost /= 1.5
            current = state.cost()
            feasible_seen = moves_seen = 0
        budget.charge(params.move_work)
        temperature = t0 * (1.0 - budget.fraction_used())
        threshold = -temperature * math.log(1.0 - rng.random()) if temperature > 0 else 0.0
        pricer = Pricer(state)
        kind = int(rng.choice(3, p=weights))
        if kind == 0:
            ok = relocate(pricer, rng)
        elif kind == 1:
            ok = swap(pricer, rng, near)
        else:
            ok = ruin(pricer, rng, near, params.cycle_ruin)
        if ok:
            for r in list(pricer.change.days):
                pricer.improve(r)
        if soft:
            moves_seen += 1
            feasible_seen += state.excess() == 0
        # The price is exact: the visiting orders are final and every rule but the times is checked.
        if not ok or not _changes_anything(pricer) or pricer.estimate() > threshold:
            continue
        timetables = pricer.schedule_change()
        if timetables is None:
            continue
        routed: dict[int, Day] = {}
        for r, stops in pricer.change.days.items():
            if r in timetables:
                arrivals, leave, back, breaks = timetables[r]
                routed[r] = Day(list(stops), arrivals, leave, back, breaks, p.route_cost(stops))
            else:
                routed[r] = Day(list(stops), cost=p.route_cost(stops))
        delta = pricer.change.estimate
        state.apply(pricer.change, routed)
        current += delta
        accepted += 1
        if params.joint_descent_every and accepted % params.joint_descent_every == 0 \
                and state.excess() == 0 and state.visits() <= params.joint_descent_max_visits:
            better = joint(state, router, budget, seed, improve=False)
            budget.charge(max(1.0, params.step_work_per_visit * state.visits()))
            if better is not None and better.cost() < state.cost() and not (better.unserved - state.unserved):
                better.overload_cost = state.overload_cost
                state, current = better, better.cost()
        if (not soft or state.excess() == 0) and current < best_cost:
            best, best_cost = state.copy(), current
            if report is not None:
                report("patterns", int(best_cost), best)
    best.overload_cost = None
    return best


def _changes_anything(pricer: Pricer) -> bool:
    state = pricer.state
    if any(state.pattern.get(i) != q for i, q in pricer.change.patterns.items()):
        return True
    return any(state.days[r].stops != stops for r, stops in pricer.change.days.items())


def relocate(pricer: Pricer, rng: np.random.Generator) -> bool:
    """One stop, served or not, to the best of its other patterns (or its only one, re-placed).

    Where a day has several vans, the stop's own pattern is a candidate too:
    the same days on another van's route.
    """
    state, p = pricer.state, pricer.problem
    i = state.plannable[int(rng.integers(len(state.plannable)))]
    was = state.pattern.get(i)
    if was is not None:
        pricer.remove(i)
    others = [q for q in p.patterns[i] if q != was] or p.patterns[i]
    if was is not None and any(len(p.slot_vehicles[slot]) > 1 for slot in was):
        # Several vans on a day: the same days on another van is a move too.
        others = p.patterns[i]
    cost, pattern, prices = pricer.best_pattern(i, only=others)
    if pattern is None or not math.isfinite(cost):
        return False  # nowhere to go: leaving a served stop out is never a relocation
    pricer.insert(i, pattern, prices)
    return True


def swap(pricer: Pricer, rng: np.random.Generator, near: dict[int, list[int]]) -> bool:
    """Two nearby served stops trade patterns (each allows the other's)."""
    state, p = pricer.state, pricer.problem
    served = [i for i in state.plannable if i in state.pattern and len(p.patterns[i]) > 1]
    if not served:
        return False
    a = served[int(rng.integers(len(served)))]
    pa = state.pattern[a]
    partners = [b for b in near[a] if b in state.pattern and state.pattern[b] != pa
                and state.pattern[b] in p.patterns[a] and pa in p.patterns[b]]
    if not partners:
        return False
    b = partners[int(rng.integers(len(partners)))]
    pb = state.pattern[b]
    pricer.remove(a)
    pricer.remove(b)
    cost_a, _, prices_a = pricer.best_pattern(a, only=[pb])
    if not math.isfinite(cost_a):
        return False
    pricer.insert(a, pb, prices_a)
    cost_b, _, prices_b = pricer.best_pattern(b, only=[pa])
    if not math.isfinite(cost_b):
        return False
    pricer.insert(b, pa, prices_b)
    return True


def ruin(pricer: Pricer, rng: np.random.Generator, near: dict[int, list[int]], size: tuple[int, int]) -> bool:
    """A stop and its nearest neighbours leave the cycle and come back, each on its cheapest pattern."""
    state, p = pricer.state, pricer.problem
    served = [i for i in state.plannable if i in state.pattern]
    if not served:
        pool = list(state.unserved)
        if not pool:
            return False
        centre = pool[int(rng.integers(len(pool)))]
    else:
        centre = served[int(rng.integers(len(served)))]
    q = int(rng.integers(size[0], size[1] + 1))
    taken = [centre] + near[centre][: q - 1]
    for i in taken:
        if i in state.pattern:
            pricer.remove(i)
    order = list(rng.permutation(len(taken)))
    order.sort(key=lambda k: -p.visits[taken[k]])  # stable: random among equals
    for k in order:
        i = taken[k]
        cost, pattern, prices = pricer.best_pattern(i, prefer=state.pattern.get(i))
        if pattern is not None and math.isfinite(cost):
            pricer.insert(i, pattern, prices)
    return True


# --- 4. compact times ------------------------------------------------------------------------------------------


def compact(state: State, retimer: Retimer, budget: Budget) -> State:
    """The state with its routes given their final times by ``retimer`` (the visiting orders kept):
    duty days without idle time at either end and breaks between two stops."""
    days = {r: list(d.stops) for r, d in enumerate(state.days) if d.stops}
    if not days or any(len(state.days[r].arrivals) != len(seq) for r, seq in days.items()):
        return state  # a day without times: nothing to start from
    current = {r: DayTimes(list(state.days[r].arrivals), state.days[r].start, state.days[r].end,
                           list(state.days[r].breaks)) for r in days}
    timed = retimer(state.problem, days, current, budget)
    if timed is None:
        return state
    out = state.copy()
    for r, t in timed.items():
        day = out.days[r]
        day.arrivals, day.start, day.end, day.breaks = list(t.arrivals), t.start, t.end, list(t.breaks)
    return out


# --- 3. timetable ---------------------------------------------------------------------------------------------


def timetable(state: State, router: Router, budget: Budget, params: SearchParams, seed: int,
              report: Report | None = None) -> State:
    """The best cycle routed as one model with what is left of the budget (:func:`joint`).

    Large cycles without stable times to fit are improved day by day instead.
    The result replaces the state unless it is worse and the state's times
    can be published as they are.
    """
    p = state.problem
    anchored = p.stable_rule and any(p.visits[i] > 1 for i in state.pattern)
    if not anchored and state.visits() > params.joint_max_visits:
        return _timetable_by_slot(state, router, budget, seed, report)

    out = joint(state, router, budget, seed, improve=True, on_solution=_timetable_reporter(report))
    if out is None or out.cost() > state.cost():
        return state  # its own timetables stand (Pricer.schedule)
    return out


def joint(state: State, router: Router, budget: Budget, seed: int, *, improve: bool,
          on_solution: Callable[[int], None] | None = None) -> State | None:
    """The cycle routed as one model: every route-day a vehicle of it.

    Stops with one visit may move to any route-day of their candidate slots
    (their day is a routing choice the model makes well); the visits of the
    others stay on their pattern's days and, with the stable-time rule, open
    within ``stable_minutes`` of one another.  None when nothing was routed or
    the routing found no times for the state's routes.
    """
    p = state.problem
    rds = list(range(len(p.route_days)))
    free_days = {i: sorted(r for q in p.patterns[i] for r in p.slot_vehicles[q[0]])
                 for i in state.pattern if p.visits[i] == 1}
    jobs: list[Job] = []
    initial: list[list[int]] = []
    for r in rds:
        seq = []
        for i in state.days[r].stops:
            seq.append(len(jobs))
            jobs.append(Job(i, free_days.get(i) or p.slot_vehicles[p.slot_of[r]]))
        initial.append(seq)
    if not jobs:
        return None
    routed = router(p, jobs, rds, initial=initial, anchored=True, improve=improve, budget=budget, seed=seed,
                    on_solution=on_solution, from_scratch=False)
    if routed is None:
        return None
    out = State(p, state.plannable)
    out.overload_cost = state.overload_cost
    days = _days_of(p, jobs, routed)
    patterns = {}
    for d in routed.days:
        for j, _t in d.visits:
            i = jobs[j].stop
            patterns[i] = (p.slot_of[d.route_day],) if i in free_days else state.pattern[i]
    out.apply(Change(days={r: d.stops for r, d in days.items()}, patterns=patterns), days)
    lost = {jobs[j].stop for j in routed.dropped}
    if lost:
        _leave_out(out, lost & set(out.pattern))
    return out


def _timetable_by_slot(state: State, router: Router, budget: Budget, seed: int, report: Report | None) -> State:
    """Each slot's route-days improved on their own, with a share of the budget by visits."""
    p = state.problem
    slots = [(s, rds) for s, rds in sorted(p.slot_vehicles.items()) if any(state.days[r].stops for r in rds)]
    weights = [sum(len(state.days[r].stops) for r in rds) for _s, rds in slots]
    total = float(sum(weights))
    out = state.copy()
    for (_slot, rds), weight in zip(slots, weights):
        share = budget.share(weight / total if total else 1.0)
        total -= weight
        days, lost = _route(out, {r: out.days[r].stops for r in rds}, router, share, seed, improve=True)
        if not days or lost:
            continue  # no better routes: the day keeps its own
        out.apply(Change(days={r: d.stops for r, d in days.items()}), days)
    if report is not None:
        report("timetable", int(out.cost()), out)
    return out
