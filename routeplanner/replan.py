"""Re-planning from a published plan: what patrons rely on stays where the rules let it.

A library publishes its timetable for months.  When a stop is added, changed
or removed, the new plan should move that stop and as few others as the rules
require.  :func:`replan` plans a scenario from a *base* plan with one setting
(:data:`MODES`), from keeping everything that still works to optimising
freely:

* ``keep`` (the default): every stop whose base visits still fit its rules
  keeps its weeks, weekday and opening time;
* ``free``: an ordinary solve; the result still says what moved.

(A middle setting that keeps the days and lets the times go was tried: with
every stop's days pinned and nothing to choose, the search's build and the
day routing from scratch left up to half the stops of the samples out, so it
is not offered.  Inside ``keep``, the second round does exactly that for the
stops near the one that needs room, where it works.)

The base is kept by *temporary pins* (the same hard rules a coordinator can
set, :attr:`routeplanner.model.Stop.weeks` and friends), so the solver needs
no second objective.  When a stop that should be served is left out because
pinned stops fill its days, the pins nearest to it are released and the
solve runs again (at most :data:`ROUNDS` rounds, the budget shared, the last
without the base's pins); the best round wins: the most visits of must stops,
then loans, then the fewest moved stops, then km.

Pure orchestration over :func:`routeplanner.solver.solve`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np

from routeplanner import compare, diagnose
from routeplanner.model import Changes, Plan, Scenario, Stop, StopChange
from routeplanner.patterns import candidate_patterns

MODES = ("keep", "free")
#: Solves at most; each later round releases more pins near the stops left out, and the
#: last releases them all (serving every stop comes before keeping the base).
ROUNDS = 4
#: Budget shares of the rounds, of what is left at the start of each (a round that serves
#: everything ends the re-plan early; a pinned cycle is quick to plan, a freer one is not).
ROUND_SHARES = (0.2, 0.25, 0.33, 1.0)
#: Pinned stops around each stop left out whose opening time is released in round 2 (they
#: keep their day: a day can then make room by shifting its times), and whose day and time
#: are released in round 3.
RELEASE_TIMES = 8
RELEASE_DAYS = 12


@dataclass
class Replanned:
    """A plan made from a base plan, and what changed for patrons."""

    plan: Plan
    mode: str
    moved: list[compare.MovedStop]
    base_km: float
    rounds: int
    released: list[str] = field(default_factory=list)  # base stops whose pins were let go to make room

    @property
    def saved_km(self) -> float:
        return self.base_km - self.plan.totals.distance_km


@dataclass(frozen=True)
class _Kept:
    """What the base promised for one stop, as far as the stop's rules still allow it."""

    combination: tuple[tuple[int, str], ...]  # (week 1.., weekday) of every visit
    opens: tuple[int, int] | None  # earliest and latest opening time; None: the times no longer fit


def keepable(scenario: Scenario, base: Plan) -> dict[str, _Kept]:
    """Each stop of ``scenario`` whose base visits still fit its frequency, days, weeks and window."""
    cycle = scenario.cycle
    times = compare.stop_times(base)
    out: dict[str, _Kept] = {}
    for stop in scenario.stops:
        st = times.get(stop.id)
        if st is None:
            continue
        combination = tuple((s.week, s.day) for s in st.slots)
        if not all(1 <= w <= cycle.weeks and d in cycle.days for w, d in combination):
            continue
        slots = tuple(sorted((w - 1, cycle.days.index(d)) for w, d in combination))
        if slots not in candidate_patterns(stop, cycle):
            continue  # another frequency, weekday or week now: this stop moves
        lo, hi = min(s.arrival_min for s in st.slots), max(s.arrival_min for s in st.slots)
        start, end = stop.door_window
        fits = (start is None or lo >= start) and (end is None or hi + stop.service_min <= end)
        out[stop.id] = _Kept(combination, (lo, hi) if fits and stop.opens_min is None else None)
    return out


def pinned(stop: Stop, kept: _Kept, mode: str) -> Stop:
    """The stop with the base's pins added (a coordinator's own pins stay as they are).

    It is made a must stop too: a stop the base serves is not left out to make
    room for a new one (that stop waits for the pins around it to be released).
    """
    out = replace(stop, allowed_patterns=(kept.combination,), must=True)
    if mode == "keep" and kept.opens is not None:  # "days": the day only
        lo, hi = kept.opens
        if lo == hi:
            out = replace(out, opens_min=lo)
        else:
            out = replace(out, window_start_min=lo, window_end_min=hi + stop.service_min)
    return out


def replan(scenario: Scenario, base: Plan, *, mode: str = "keep", matrix=None, time_limit_s: float | None = None,
           work_limit: int | None = None, params=None, progress=None) -> Replanned:
    """Plan ``scenario`` changing as little of ``base`` as ``mode`` asks (:data:`MODES`)."""
    from routeplanner.solver import solve
    from routeplanner.travel import scenario_matrix

    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if matrix is None:
        matrix = scenario_matrix(scenario)
    timed = work_limit is None and scenario.solver.work_limit is None
    total = (time_limit_s if time_limit_s is not None else scenario.solver.time_limit_s) if timed else \
        (work_limit if work_limit is not None else scenario.solver.work_limit)
    kept = keepable(scenario, base) if mode != "free" else {}
    keep = base if mode != "free" else None  # the final timing keeps the base's times where it can
    drive = np.asarray(matrix.drive_min)
    index = {s.id: k for k, s in enumerate(scenario.stops)}
    structural = {s.id for k, s in enumerate(scenario.stops)
                  if diagnose.structural_reason(s, k, scenario, drive) is not None}
    changed = {s.id for s in scenario.stops if s.id not in kept and s.id not in structural}
    released: set[str] = set()  # no pin from the base at all
    loose: set[str] = set()  # the day kept, the time not
    best: tuple[tuple, Plan, int] | None = None
    left = float(total)
    for round_ in range(ROUNDS if kept else 1):
        share = left * ROUND_SHARES[round_] if kept and round_ < ROUNDS - 1 else left
        if kept and round_ == ROUNDS - 1:
            released = set(kept)  # the last round: free
        stops = tuple(pinned(s, kept[s.id], "days" if s.id in loose else mode)
                      if s.id in kept and s.id not in released else s for s in scenario.stops)
        run = replace(scenario, stops=stops)
        if timed:
            plan = solve(run, matrix=matrix, time_limit_s=max(1.0, share), params=params, progress=progress,
                         keep_times_of=keep)
            left = max(0.0, left - plan.info.run_time_s)
        else:
            units = max(1, int(share))
            plan = solve(run, matrix=matrix, work_limit=units, params=params, progress=progress, keep_times_of=keep)
            left = max(0.0, left - units)
        plan = _as_scenario(plan, scenario, matrix)
        moved = compare.moved_stops(base, plan)
        score = _score(scenario, plan) + (len(moved), plan.totals.distance_km)
        if best is None or score < best[0]:
            best = (score, plan, round_ + 1)
        missing = [u.stop_id for u in plan.unserved if u.stop_id not in structural]
        if not missing or round_ + 1 >= ROUNDS or not kept or left < (1.0 if timed else 1):
            break
        # The stops left out are released whole.  Around them and around the stops the base
        # cannot hold (new or changed, whose visits are what crowds the days), first the
        # times are released, then the days.
        released |= set(missing) & set(kept)
        centres = sorted(set(missing) | changed)
        if round_ == 0 and mode == "keep":
            loose |= _nearest(centres, kept, released | loose, index, drive, RELEASE_TIMES)
        else:
            released |= _nearest(centres, kept, released, index, drive, RELEASE_DAYS)
    assert best is not None
    moved = compare.moved_stops(base, best[1])
    plan = replace(best[1], changes=Changes(mode, base.totals.distance_km,
                                            [StopChange(m.stop_id, m.changes) for m in moved]))
    return Replanned(plan, mode, moved, base.totals.distance_km, best[2], sorted((released | loose) & set(kept)))


def _nearest(missing: Sequence[str], kept: dict[str, _Kept], skip: set[str], index: dict[str, int],
             drive: np.ndarray, k: int) -> set[str]:
    """The ``k`` kept stops (not in ``skip``) nearest each stop left out."""
    out: set[str] = set()
    candidates = [i for i in kept if i not in skip and i not in missing]
    for stop_id in missing:
        node = index[stop_id] + 1
        by_time = sorted(candidates, key=lambda c: min(drive[node, index[c] + 1], drive[index[c] + 1, node]))
        out.update(by_time[:k])
    return out


def _score(scenario: Scenario, plan: Plan) -> tuple[float, float]:
    """Best first: the most visits of must stops, then the most loans."""
    must = {s.id for s in scenario.stops if s.must}
    must_visits = sum(1 for r in plan.routes for v in r.visits if v.stop_id in must)
    return (-must_visits, -round(plan.totals.loans_served, 6))


def _as_scenario(plan: Plan, scenario: Scenario, matrix) -> Plan:
    """The plan with the coordinator's scenario's reasons for stops left out (not the pinned copy's)."""
    if not plan.unserved:
        return plan
    from routeplanner.solver import unserved_reasons

    return replace(plan, unserved=unserved_reasons(scenario, plan.routes, matrix))


def summary(result: Replanned) -> str:
    """What changed for patrons, in a line or two (the command line prints it)."""
    days = sum(1 for m in result.moved if "day" in m.changes)
    times = sum(1 for m in result.moved if m.changes == ("time",))
    added = sum(1 for m in result.moved if m.changes == ("added",))
    dropped = sum(1 for m in result.moved if m.changes == ("dropped",))
    saved = result.saved_km
    parts = [f"Re-planned from the base plan ({result.mode}): {len(result.moved)} stops changed"]
    detail = []
    if days:
        detail.append(f"{days} to another day")
    if times:
        detail.append(f"{times} to another time")
    if added:
        detail.append(f"{added} added")
    if dropped:
        detail.append(f"{dropped} no longer visited")
    if detail:
        parts[0] += " (" + ", ".join(detail) + ")"
    change = "the same" if abs(saved) < 0.05 else f"{'saves' if saved > 0 else 'adds'} {abs(saved):,.1f} km"
    parts.append(f"km: {result.base_km:,.1f} in the base plan, {result.plan.totals.distance_km:,.1f} now ({change})")
    for m in result.moved:
        parts.append(f"  {m.name} ({m.stop_id}): {', '.join(m.changes)}")
    return "\n".join(parts)
