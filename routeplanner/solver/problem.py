"""The numbers every part of the solver shares, computed once per scenario.

Integer matrices (whole metres, whole minutes rounded up), the cycle's
route-days and slots, each stop's candidate patterns, service times, windows
and penalties.  Pure NumPy: no solver types.

Indices: stop ``i`` is ``scenario.stops[i]`` and node ``i + 1`` of the
matrices (node 0 is the depot); route-day ``r`` is ``scenario.route_days[r]``
(week 1.., weekday, vehicle index); a slot is ``(week 0.., day index)``.
"""

from __future__ import annotations

import math

import numpy as np

from routeplanner.model import Plan, Scenario
from routeplanner.patterns import Pattern, Slot, candidate_patterns
from routeplanner.travel import TravelMatrix

DAY_MIN = 24 * 60


class Problem:
    """Integer data shared by the search, the routing and the plan."""

    def __init__(self, scenario: Scenario, matrix: TravelMatrix):
        self.scenario = scenario
        stops = scenario.stops
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
        self.slot_of: list[Slot] = []
        for r, (week, day, _v) in enumerate(self.route_days):
            slot = (week - 1, days.index(day))
            self.slot_vehicles.setdefault(slot, []).append(r)
            self.slot_of.append(slot)
        self.vehicle_of = [scenario.vehicles[v] for (_w, _d, v) in self.route_days]
        self.capacity = [v.capacity_books for v in self.vehicle_of]
        # An unserved loan is worth more than the longest detour any one visit
        # can cause, so demand comes first and distance second.
        far = int(self.dist[0, :].max() + self.dist[:, 0].max()) + 1
        self.loan_value = max(far, 1000)
        # The time axis: a day, or longer when a shift or window says so (the
        # standard VRPTW benchmarks run on horizons of several thousand units).
        self.horizon = max(
            [DAY_MIN]
            + [v.shift_end_min for v in scenario.vehicles]
            + [s.door_window[1] for s in stops if s.door_window[1] is not None]
        )
        self.service = np.array([s.service_min for s in stops], dtype=np.int64)
        self.loans = np.array([int(math.ceil(s.loans_per_visit)) for s in stops], dtype=np.int64)
        #: earliest opening and latest opening (window end minus the door-open time)
        self.open_from = np.array([s.door_window[0] or 0 for s in stops], dtype=np.int64)
        self.open_until = np.array(
            [(s.door_window[1] if s.door_window[1] is not None else self.horizon) - s.service_min for s in stops],
            dtype=np.int64,
        )
        self.patterns: list[list[Pattern]] = [candidate_patterns(s, scenario.cycle) for s in stops]
        self.visits = [s.frequency.visits_per_cycle(scenario.cycle.weeks) for s in stops]
        #: Stable opening times bind only stops with several visits, and only
        #: when the rule is narrower than a day.
        self.stable = scenario.solver.stable_minutes
        self.stable_rule = self.stable < DAY_MIN
        from routeplanner.solver.cycle import _times_can_bind  # the rule lives with the schedule it judges

        #: False when no window, shift or break can ever refuse a visit (then only books are checked).
        self.times_bind = _times_can_bind(self)
        #: True when the search's own routes are exactly what the day routing would accept:
        #: no window, no break and no stable time to place, so books are the only rule that
        #: a move can break (and the search may break it for a while, at a price).
        #: Opening times to keep, (stop, slot) -> minute (a re-plan's base plan; :meth:`keep_times`).
        self.targets: dict[tuple[int, Slot], int] = {}
        self.base: Plan | None = None
        self.python_exact = not any(
            s.door_window != (None, None) for s in stops
        ) and not any(v.break_rule for v in scenario.vehicles) and not (self.stable_rule and any(n > 1 for n in self.visits))

    def keep_times(self, base: Plan) -> None:
        """Take the opening times of ``base`` as the times to keep where a stop keeps its day
        (:attr:`targets`: (stop, slot) -> minute; the final timing prefers them)."""
        index = {s.id: i for i, s in enumerate(self.scenario.stops)}
        days = self.scenario.cycle.days
        self.base = base
        self.targets = {}
        for route in base.routes:
            if route.day not in days or not 1 <= route.week <= self.scenario.cycle.weeks:
                continue
            slot = (route.week - 1, days.index(route.day))
            for v in route.visits:
                if v.stop_id in index:
                    self.targets[(index[v.stop_id], slot)] = int(v.arrival_min)

    def penalty(self, stop_index: int) -> int:
        """What leaving one visit of the stop out costs (must stops: a thousand times more)."""
        stop = self.scenario.stops[stop_index]
        base = self.loan_value * (int(math.ceil(stop.loans_per_visit)) + 1)
        return base * 1000 if stop.must else base

    def route_minutes(self, stops: list[int]) -> int:
        """Minutes of driving and door-open time of a route-day visiting ``stops`` (no waiting)."""
        if not stops:
            return 0
        nodes = [0] + [i + 1 for i in stops] + [0]
        return int(self.drive[nodes[:-1], nodes[1:]].sum()) + int(self.service[stops].sum())

    def route_load(self, stops: list[int]) -> int:
        """Books lent on a route-day visiting ``stops``."""
        return int(self.loans[stops].sum()) if stops else 0

    def route_cost(self, stops: list[int]) -> int:
        """Whole metres of a route-day visiting ``stops`` in order, from and back to the depot."""
        if not stops:
            return 0
        nodes = [0] + [i + 1 for i in stops] + [0]
        return int(self.dist[nodes[:-1], nodes[1:]].sum())
