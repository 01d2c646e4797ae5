"""What the day routing takes and gives: plain data, so the search needs no solver types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Protocol

from routeplanner.solver.budget import Budget

if TYPE_CHECKING:
    from routeplanner.solver.problem import Problem


@dataclass
class Job:
    """One visit to place: of stop ``stop``, on one of ``route_days`` (indices into ``problem.route_days``)."""

    stop: int
    route_days: list[int]
    #: Opening no earlier and no later than this (the stable-time rule, from the
    #: stop's visits on route-days outside the call); None: the stop's own window.
    window: tuple[int, int] | None = None


@dataclass
class DayRouted:
    """One route-day as routed: (job index, opening time) in order, and the day's times."""

    route_day: int
    visits: list[tuple[int, int]]
    start: int
    end: int
    breaks: list[tuple[int, int]]  # (start, minutes)


@dataclass
class Routed:
    days: list[DayRouted]  # one per route-day of the call, in its order
    dropped: list[int]  # jobs left out
    objective: int
    solutions: int


class Router(Protocol):
    """Routes ``jobs`` on ``route_days``, from ``initial`` (job indices per route-day) when given.

    ``improve``: go on improving until ``budget`` is spent (else: to the first
    local optimum).  ``anchored``: the stable-time rule binds the visits of a
    stop.  :func:`routeplanner.solver.routing.route` is the product's; tests
    may pass their own.
    """

    def __call__(self, problem: "Problem", jobs: list[Job], route_days: list[int], *,
                 initial: list[list[int]] | None,
                 anchored: bool, improve: bool, budget: Budget, seed: int,
                 on_solution: Callable[[int], None] | None = None, from_scratch: bool = True) -> Routed | None: ...


@dataclass
class DayTimes:
    """The times of one route-day's visits in a given order: opening times, leaving and coming
    back, and the breaks as (start, minutes)."""

    arrivals: list[int]
    start: int
    end: int
    breaks: list[tuple[int, int]]


class Retimer(Protocol):
    """Gives route-days (route-day -> stops in order) new times from ``current`` ones
    (:func:`routeplanner.solver.routing.retime` is the product's); None: keep them."""

    def __call__(self, problem: "Problem", days: dict[int, list[int]], current: dict[int, DayTimes],
                 budget: Budget) -> dict[int, DayTimes] | None: ...
