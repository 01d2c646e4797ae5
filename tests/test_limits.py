"""The bounds of routeplanner.limits: their semantics, and that a scenario at every bound still solves.

A bound is only worth having if whatever passes it can run: the issue's
``capacity_books = 1e30`` passed the reader and failed inside the solve as an
internal error.  So a scenario at the edge of every bound must give a plan,
and its arithmetic must stay far inside the solver's 64-bit integers.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
from builders import scenario

from routeplanner import limits
from routeplanner.model import Frequency, Place, SolverSettings, Stop, Travel, Vehicle
from routeplanner.solver import solve
from routeplanner.solver.problem import Problem as _Problem
from routeplanner.travel import scenario_matrix


@pytest.mark.parametrize(
    "bound, inside, outside",
    [
        (limits.TIME_LIMIT_S, [0.001, 1, 3600, 3600.0], [0, -1, 3600.001, 1e12, math.nan, math.inf, True, "30", None]),
        (limits.CAPACITY_BOOKS, [0, 2500, 100_000], [-1, 100_001, 1e30, math.nan]),
        (limits.SPEED_KMH, [1, 45.5, 200], [0.999, 201, -45, math.inf]),
    ],
)
def test_a_bound_holds_its_edges_and_refuses_the_rest(bound, inside, outside):
    assert all(v in bound for v in inside)
    assert not any(v in bound for v in outside)


def test_bounds_read_as_messages_say_them():
    assert limits.TIME_LIMIT_S.text() == "more than 0 and at most 3,600"
    assert limits.CAPACITY_BOOKS.text() == "0 to 100,000"
    assert limits.CIRCUITY.text() == "1 to 3"


def _far_and_heavy() -> tuple:
    """Stops at the edge of every bound: the other side of the world, must, the most loans."""
    depot = Place("Depot", 0.0, 0.0)
    stops = (
        Stop("antipode", "Antipode", 0.0, 179.99, limits.MAX_LOANS_PER_VISIT, must=True, service_min=limits.MAX_DAY_MIN),
        Stop("pole", "Pole", 89.99, 0.0, limits.MAX_LOANS_PER_VISIT, must=True,
             frequency=Frequency(visits=limits.MAX_VISITS_PER_STOP), service_min=1),
        Stop("near", "Near", 0.01, 0.01, 0.0, service_min=1),
    )
    van = Vehicle("Van", limits.MAX_CAPACITY_BOOKS, 0, 23 * 60 + 59, limits.MAX_DAY_MIN, limits.MAX_DAY_MIN)
    base = scenario([], vehicles=[van])
    return dataclasses.replace(
        base, depot=depot, stops=stops,
        travel=Travel(circuity=limits.CIRCUITY.high, speed_kmh=limits.SPEED_KMH.low),
        solver=SolverSettings(time_limit_s=2, stable_minutes=limits.MAX_DAY_MIN),
    )


def test_the_penalties_of_the_most_visits_at_the_bounds_fit_in_64_bits():
    sc = _far_and_heavy()
    problem = _Problem(sc, scenario_matrix(sc))
    worst = max(problem.penalty(i) for i in range(len(sc.stops)))
    # Every visit of the largest cycle left out, at the worst penalty: the objective's ceiling.
    assert worst * limits.MAX_VISITS_PER_CYCLE < 2**63 // 4


def test_a_scenario_at_the_edge_of_every_bound_solves_to_a_plan():
    sc = _far_and_heavy()
    sc = dataclasses.replace(sc, stops=(dataclasses.replace(sc.stops[1], frequency=Frequency(visits=3)),)
                             + sc.stops[::2])
    assert limits.scenario_problems(sc) == []
    plan = solve(sc, time_limit_s=2)
    assert plan.totals.stops_total == 3
    assert {u.stop_id for u in plan.unserved} >= {"antipode", "pole"}  # too far at 1 km/h, not a crash
