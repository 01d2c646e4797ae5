"""The periodic search's moves on hand-made cycles whose better pattern is known.

No OR-Tools here: the day routing is a router of the tests' own, which keeps
the visiting orders it is given and times them by the drive matrix.  Each
move must find the known better pattern, and the search must be
reproducible under a work budget.
"""

from __future__ import annotations

import numpy as np
import pytest
from builders import scenario, stop

from routeplanner.model import Vehicle
from routeplanner.solver.budget import Budget
from routeplanner.solver.cycle import Pricer, State
from routeplanner.solver.params import SearchParams
from routeplanner.solver.problem import Problem
from routeplanner.solver.routed import DayRouted, Routed
from routeplanner.solver.search import anneal, neighbours, relocate, ruin, search, swap, time_all
from routeplanner.travel import scenario_matrix

MON, TUE = (0, 0), (0, 1)


class KeepOrderRouter:
    """Routes each route-day in the given order, opening each visit as soon as the van gets there."""

    def __init__(self):
        self.calls = 0

    def __call__(self, problem, jobs, route_days, *, initial, anchored, improve, budget, seed,
                 on_solution=None, from_scratch=True):
        self.calls += 1
        if initial is None:
            initial = [[j for j, job in enumerate(jobs) if job.route_days[0] == r] for r in route_days]
        days = []
        for r, seq in zip(route_days, initial):
            van = problem.vehicle_of[r]
            t, here, visits = van.shift_start_min, 0, []
            for j in seq:
                i = jobs[j].stop
                t += int(problem.drive[here, i + 1])
                visits.append((j, t))
                t += int(problem.service[i])
                here = i + 1
            days.append(DayRouted(r, visits, van.shift_start_min, t + int(problem.drive[here, 0]), []))
        cost = sum(problem.route_cost([jobs[j].stop for j in seq]) for seq in initial)
        if on_solution is not None:
            on_solution(cost)
        return Routed(days, [], cost, 1)


def two_clusters(choosy_east: int = 1, choosy_west: int = 0, capacity: int = 2500):
    """Three villages east of the depot visited on Mondays, three west on Tuesdays, and
    ``choosy_*`` villages beside them that may go on either day."""
    fixed = [stop(f"e{k}", 0.30 + 0.01 * k, lat_offset=0.01 * k, days=("Mon",)) for k in range(3)] + \
            [stop(f"w{k}", -0.30 - 0.01 * k, lat_offset=0.01 * k, days=("Tue",)) for k in range(3)]
    choosy = [stop(f"x{k}", 0.32 + 0.005 * k, lat_offset=-0.01) for k in range(choosy_east)] + \
             [stop(f"y{k}", -0.32 - 0.005 * k, lat_offset=-0.01) for k in range(choosy_west)]
    van = Vehicle("Van", capacity, 8 * 60, 17 * 60, 0, 600)
    sc = scenario(fixed + choosy, days=("Mon", "Tue"), vehicles=[van], stable=1440)
    problem = Problem(sc, scenario_matrix(sc))
    return sc, problem


def placed(problem, where: dict[str, tuple]):
    """A state with every stop on its only pattern, and the named stops on the given slots."""
    sc = problem.scenario
    state = State(problem, list(range(len(sc.stops))))
    pricer = Pricer(state)
    for i, s in enumerate(sc.stops):
        pattern = (where[s.id],) if s.id in where else problem.patterns[i][0]
        _cost, _p, prices = pricer.best_pattern(i, only=[pattern])
        pricer.insert(i, pattern, prices)
    state.apply(pricer.change)
    return time_all(state)


def slot_of(state, problem, stop_id):
    i = [s.id for s in problem.scenario.stops].index(stop_id)
    return state.pattern[i][0]


def test_relocate_moves_a_stop_to_its_cheaper_day():
    _sc, problem = two_clusters(choosy_east=1)
    state = placed(problem, {"x0": TUE})  # an eastern village on the western day
    before = state.cost()
    out = anneal(state, KeepOrderRouter(), Budget(work=3), SearchParams(relocate_weight=1, swap_weight=0,
                 ruin_weight=0, temperature=0, move_work=0.1), np.random.default_rng(0), seed=0)
    out.check()
    assert slot_of(out, problem, "x0") == MON
    assert out.cost() < before
    assert not out.unserved


def test_swap_trades_days_where_books_forbid_a_relocation():
    # Each day carries exactly four villages' books: the misplaced pair can only trade.
    _sc, problem = two_clusters(choosy_east=1, choosy_west=1, capacity=4 * 10)
    state = placed(problem, {"x0": TUE, "y0": MON})
    x = [s.id for s in problem.scenario.stops].index("x0")
    alone = Pricer(state)
    alone.remove(x)
    assert alone.best_pattern(x, only=[(MON,)])[0] == np.inf  # Monday is full
    near = neighbours(problem, state.plannable, 10)
    for seed in range(4):  # whichever of the two is drawn first
        pricer = Pricer(state)
        assert swap(pricer, np.random.default_rng(seed), near)
        assert pricer.change.patterns[x] == (MON,)
        assert pricer.estimate() < 0
    state.apply(pricer.change)
    state.check()
    assert slot_of(state, problem, "x0") == MON and slot_of(state, problem, "y0") == TUE
    assert state.excess() == 0


def test_ruin_puts_several_stops_back_on_their_cheapest_patterns():
    # Three eastern villages on the western day: a relocation of any one alone
    # is priced against the other two still there; the ruin takes a village and
    # its two nearest (the other two) out, and each comes back on Monday.
    _sc, problem = two_clusters(choosy_east=3)
    state = placed(problem, {"x0": TUE, "x1": TUE, "x2": TUE})
    ids = [s.id for s in problem.scenario.stops]
    xs = {ids.index(f"x{k}") for k in range(3)}
    near = neighbours(problem, state.plannable, 10)
    tried = 0
    for seed in range(30):
        pricer = Pricer(state)
        assert ruin(pricer, np.random.default_rng(seed), near, (3, 3))
        taken = {i for i, q in pricer.change.patterns.items()}
        if taken != xs:
            continue  # the ruin started at another village
        tried += 1
        for r in list(pricer.change.days):
            pricer.improve(r)  # as the search does
        assert pricer.estimate() < 0
        assert all(pricer.change.patterns[i] == (MON,) for i in xs)
        good = pricer
    assert tried
    state.apply(good.change)
    state.check()


def test_relocate_never_leaves_a_served_stop_out():
    _sc, problem = two_clusters(choosy_east=1, choosy_west=1, capacity=4 * 10)
    state = placed(problem, {"x0": TUE, "y0": MON})
    for seed in range(20):
        pricer = Pricer(state)
        if relocate(pricer, np.random.default_rng(seed)):
            assert None not in pricer.change.patterns.values()


def test_the_search_is_reproducible_under_a_work_budget():
    _sc, problem = two_clusters(choosy_east=3, choosy_west=3)
    plannable = list(range(len(problem.scenario.stops)))
    params = SearchParams(move_work=1.0)

    def run(seed):
        state = search(problem, plannable, KeepOrderRouter(), Budget(work=200), params, seed=seed)
        state.check()
        return {i: q for i, q in state.pattern.items()}, [d.stops for d in state.days], state.cost()

    first = run(0)
    assert run(0) == first
    # Every choosy village ends on the day of its cluster.
    ids = [s.id for s in problem.scenario.stops]
    assert all(first[0][ids.index(f"x{k}")] == (MON,) and first[0][ids.index(f"y{k}")] == (TUE,) for k in range(3))


def test_a_work_budget_bounds_the_moves():
    _sc, problem = two_clusters(choosy_east=2, choosy_west=2)
    state = placed(problem, {})
    budget = Budget(work=5)
    anneal(state, KeepOrderRouter(), budget, SearchParams(move_work=0.5, joint_descent_every=0),
           np.random.default_rng(0), seed=0)
    assert budget.used() == pytest.approx(5.0)


def test_relocate_moves_a_stop_to_another_van_on_the_same_day():
    # Two vans on Mondays: east villages on one, west on the other, and an
    # eastern village (which may also come on a Tuesday, when no van is out)
    # put on the western van's route.  Its best move is to the eastern van
    # on the same day, not to another day.
    east = [stop(f"e{k}", 0.30 + 0.01 * k, lat_offset=0.01 * k, days=("Mon",)) for k in range(3)]
    west = [stop(f"w{k}", -0.30 - 0.01 * k, lat_offset=0.01 * k, days=("Mon",)) for k in range(3)]
    vans = [Vehicle("Van A", 2500, 8 * 60, 17 * 60, 0, 600), Vehicle("Van B", 2500, 8 * 60, 17 * 60, 0, 600)]
    sc = scenario(east + west + [stop("x0", 0.32, lat_offset=-0.01)], days=("Mon", "Tue"), vehicles=vans,
                  stable=1440)
    problem = Problem(sc, scenario_matrix(sc))
    van_a, van_b = problem.slot_vehicles[MON]
    state = State(problem, list(range(len(sc.stops))))
    pricer = Pricer(state)
    for i, s in enumerate(sc.stops):
        r = van_a if s.id.startswith("e") else van_b
        pricer.insert(i, (MON,), {MON: (0.0, r, len(pricer.stops_of(r)))})
    state.apply(pricer.change)
    state = time_all(state)
    x = len(sc.stops) - 1
    assert x in state.days[van_b].stops
    moved = 0
    for seed in range(40):
        pricer = Pricer(state)
        if not relocate(pricer, np.random.default_rng(seed)) or x not in pricer.change.patterns:
            continue  # another village was drawn
        moved += 1
        assert pricer.change.patterns[x] == (MON,)
        assert x in pricer.change.days[van_a] and x not in pricer.change.days[van_b]
        assert pricer.estimate() < 0
    assert moved


def test_without_a_choice_of_days_the_day_routing_plans_from_scratch():
    # Every village may come on Mondays only: nothing for the pattern search,
    # so the whole budget goes to one routing from the routing's own first solution.
    stops = [stop(f"v{k}", 0.05 * (k - 3), lat_offset=0.02 * (k % 2)) for k in range(7)]
    sc = scenario(stops, days=("Mon",), stable=1440)
    problem = Problem(sc, scenario_matrix(sc))
    calls = []

    class Recording(KeepOrderRouter):
        def __call__(self, problem, jobs, route_days, **kw):
            calls.append((len(jobs), kw["initial"], kw["from_scratch"], kw["improve"]))
            return super().__call__(problem, jobs, route_days, **kw)

    state = search(problem, list(range(7)), Recording(), Budget(work=10), SearchParams(), seed=0)
    state.check()
    assert calls == [(7, None, True, True)]
    assert not state.unserved and all(q == (MON,) for q in state.pattern.values())
