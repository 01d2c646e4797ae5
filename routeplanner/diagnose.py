"""Why a stop cannot be served, found by checking it rather than guessed.

Two kinds of reason:

* structural (:func:`structural_reason`): the stop could not be served even if
  the van had nothing else to do: no allowed working day, a frequency the
  cycle cannot hold, more loans than the van carries, too far for a shift,
  a window the van cannot reach in time;
* competition (:func:`competition_reason`): the stop would fit on an empty
  day, but the days it may take are full; we measure how many more minutes
  the best of them would need.

Each reason comes with a suggestion when a single change would make the stop
servable.  Pure Python over the travel matrix; no solver types.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from routeplanner import formats
from routeplanner.model import Route, Scenario, Stop, Vehicle, hhmm
from routeplanner.patterns import allowed_day_indices, candidate_patterns


@dataclass(frozen=True)
class Reason:
    text: str
    suggestion: str = ""


def duration(minutes: float) -> str:
    """``580`` -> ``"9 h 40 min"``, ``540`` -> ``"9 h"``: rounded up, as a need is."""
    return formats.duration(minutes, round_up=True, hours_minutes="%(h)d h %(m)d min", whole_hours="%(h)d h")


def _days_text(days: tuple[str, ...] | list[str]) -> str:
    return ", ".join(days)


def structural_reason(
    stop: Stop, stop_index: int, scenario: Scenario, drive_min: np.ndarray
) -> Reason | None:
    """The reason ``stop`` can never be served in this scenario, or None.

    ``drive_min`` is the travel matrix in minutes with the depot at index 0 and
    stop ``stop_index`` at ``stop_index + 1``.
    """
    cycle = scenario.cycle
    freq = stop.frequency
    if not allowed_day_indices(stop, cycle):
        return Reason(
            f"no allowed working day: it may only be visited on {_days_text(stop.days)}, "
            f"the cycle works {_days_text(cycle.days)}",
            f"allowing one of {_days_text(cycle.days)} for this stop would make it plannable",
        )
    if not freq.fits(cycle.weeks):
        return Reason(
            f"a {freq.label()} stop needs a cycle of a multiple of {freq.period_weeks} weeks; "
            f"this cycle is {cycle.weeks} week{'s' if cycle.weeks != 1 else ''}",
            f"a {freq.period_weeks * max(1, math.ceil(cycle.weeks / freq.period_weeks))}-week cycle, "
            "or a frequency that divides the cycle, would make it plannable",
        )
    n_visits = freq.visits_per_cycle(cycle.weeks)
    total_days = cycle.weeks * len(cycle.days)
    if n_visits > total_days:
        return Reason(
            f"{n_visits} visits per cycle, but the cycle has only {total_days} working days",
            f"at most {total_days} visits per cycle would make it plannable",
        )
    if stop.weeks and not candidate_patterns(stop, cycle):
        pinned = ", ".join(map(str, stop.weeks))
        outside = [w for w in stop.weeks if not 1 <= w <= cycle.weeks]
        if outside:
            return Reason(
                f"pinned to week {pinned}, but the cycle has {cycle.weeks} week{'s' if cycle.weeks != 1 else ''}",
                f"a pin within weeks 1-{cycle.weeks} would make it plannable",
            )
        return Reason(
            f"pinned to week {pinned}, but a {freq.label()} stop has no visit pattern "
            f"that comes in each of them",
            "pinning fewer weeks, or another frequency, would make it plannable",
        )
    if not candidate_patterns(stop, cycle):
        return Reason(
            f"{n_visits} visits cannot be spread evenly over the cycle on its allowed days "
            f"({_days_text(stop.days)})",
            "allowing more weekdays, or a weekly/fortnightly frequency, would make it plannable",
        )
    biggest = max(scenario.vehicles, key=lambda v: v.capacity_books)
    if stop.loans_per_visit > biggest.capacity_books:
        return Reason(
            f"more loans than the vehicle carries: {stop.loans_per_visit:g} loans per visit, "
            f"the largest vehicle carries {biggest.capacity_books} books",
            f"a vehicle carrying at least {math.ceil(stop.loans_per_visit)} books would make it plannable",
        )
    out_min = float(drive_min[0, stop_index + 1])
    back_min = float(drive_min[stop_index + 1, 0])
    round_trip = out_min + stop.service_min + back_min
    longest: Vehicle = max(scenario.vehicles, key=lambda v: v.shift_end_min - v.shift_start_min)
    shift = longest.shift_end_min - longest.shift_start_min
    if round_trip > shift:
        return Reason(
            f"too far: a round trip from the depot with the stop takes {duration(round_trip)}, "
            f"the shift is {duration(shift)}",
            f"a shift of at least {duration(round_trip)} would make it reachable",
        )
    if stop.door_window != (None, None):
        ws = stop.door_window[0] if stop.door_window[0] is not None else 0
        we = stop.door_window[1] if stop.door_window[1] is not None else 24 * 60
        best_gap = None
        for v in scenario.vehicles:
            earliest_open = max(ws, v.shift_start_min + out_min)
            latest_open = min(we - stop.service_min, v.shift_end_min - back_min - stop.service_min)
            gap = earliest_open - latest_open
            best_gap = gap if best_gap is None else min(best_gap, gap)
        if best_gap is not None and best_gap > 1e-9:
            v = scenario.vehicles[0]
            if stop.opens_min is not None:
                return Reason(
                    f"pinned to open at {hhmm(stop.opens_min)}, which the van cannot keep: it reaches "
                    f"the stop at {hhmm(v.shift_start_min + out_min)} at the earliest, and needs "
                    f"{duration(stop.service_min)} at the door and {duration(back_min)} to drive back "
                    f"by {hhmm(v.shift_end_min)}",
                    "another opening time, or a longer shift, would make it reachable",
                )
            return Reason(
                f"its window {hhmm(ws)}-{hhmm(we)} cannot be met: the van reaches it at "
                f"{hhmm(v.shift_start_min + out_min)} at the earliest, and needs "
                f"{duration(stop.service_min)} at the door and {duration(back_min)} to drive back "
                f"by {hhmm(v.shift_end_min)}",
                f"a window {duration(best_gap)} longer would make it reachable",
            )
    return None


def _route_points(route: Route, index_of: dict[str, int]) -> list[int]:
    return [0] + [index_of[v.stop_id] for v in route.visits] + [0]


def insertion_need_min(
    stop: Stop,
    stop_index: int,
    route: Route,
    vehicle: Vehicle,
    index_of: dict[str, int],
    drive_min: np.ndarray,
) -> float:
    """Minutes the route-day would need beyond its shift to take ``stop`` too.

    Cheapest position, keeping every later visit's time (they shift by the
    detour) and the stop's window; books on board count as a hard limit
    (returns inf when they run out).
    """
    loans = sum(v.loans for v in route.visits)
    if loans + stop.loans_per_visit > vehicle.capacity_books:
        return math.inf
    pts = _route_points(route, index_of)
    node = stop_index + 1
    ws = stop.door_window[0] if stop.door_window[0] is not None else 0
    we = stop.door_window[1] if stop.door_window[1] is not None else 24 * 60
    deps = [route.start_min] + [v.departure_min for v in route.visits]
    best = math.inf
    for pos in range(len(pts) - 1):
        a, b = pts[pos], pts[pos + 1]
        arrive = max(deps[pos] + drive_min[a, node], ws)
        if arrive + stop.service_min > we:
            continue
        detour = (arrive - deps[pos]) + stop.service_min + drive_min[node, b] - drive_min[a, b]
        need = route.end_min + detour - vehicle.shift_end_min
        best = min(best, max(0.0, need))
    return best


def competition_reason(
    stop: Stop,
    stop_index: int,
    scenario: Scenario,
    routes: list[Route],
    drive_min: np.ndarray,
) -> Reason:
    """How much more time the best of the stop's allowed days would need."""
    index_of = {s.id: i + 1 for i, s in enumerate(scenario.stops)}
    vehicles = {v.name: v for v in scenario.vehicles}
    by_slot: dict[tuple[int, int], list[Route]] = {}
    day_index = {d: i for i, d in enumerate(scenario.cycle.days)}
    for r in routes:
        by_slot.setdefault((r.week - 1, day_index[r.day]), []).append(r)

    best_need, best_pattern = math.inf, None
    for pattern in candidate_patterns(stop, scenario.cycle):
        need = 0.0
        for slot in pattern:
            options = [
                insertion_need_min(stop, stop_index, r, vehicles[r.vehicle], index_of, drive_min)
                for r in by_slot.get(slot, [])
            ]
            if len(by_slot.get(slot, [])) < len(scenario.vehicles):
                # an unused vehicle that day: a fresh route from the depot
                v = scenario.vehicles[0]
                options.append(0.0 if stop.loans_per_visit <= v.capacity_books else math.inf)
            need = max(need, min(options) if options else math.inf)
        if need < best_need:
            best_need, best_pattern = need, pattern
    if best_pattern is None or math.isinf(best_need):
        return Reason(
            "competes for books: on each of its allowed days the van's books are already spoken for",
            "a larger book stock on board, or a second vehicle, would make room",
        )
    days = scenario.cycle.days
    weekdays = sorted({days[d] for _, d in best_pattern}, key=days.index)
    weeks = sorted({w + 1 for w, _ in best_pattern})
    where = f"{'/'.join(weekdays)} of week{'s' if len(weeks) > 1 else ''} {', '.join(map(str, weeks))}"
    minutes = max(1, math.ceil(best_need))
    if best_need <= 1e-9:
        # It fits by time alone: the solver traded it for stops with more loans
        # (the time limit may also have been too short to find the slot).
        return Reason(
            f"competes for time: it fits on {where} only if other stops move; the plan "
            "kept stops with more loans",
            "a longer solver time limit may find room for it",
        )
    shift_end = scenario.vehicles[0].shift_end_min + minutes
    return Reason(
        f"competes for time: serving it would need {duration(minutes)} more on any of its "
        f"allowed days (best: {where})",
        f"ending the shift at {hhmm(shift_end)} on {where} would make room",
    )
