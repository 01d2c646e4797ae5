"""The timetable cycle as the search sees it, and the moves that change it.

A :class:`State` is a pattern per served stop and the visits of every
route-day in order, with the times the last routing gave them.  Moves are
priced here, in plain Python and NumPy, by insertion cost: removing a stop
saves the detour it caused on each of its days, inserting it costs the
cheapest detour on each day of a pattern.  A move builds a :class:`Change`
(the new visit orders of the route-days it touches and the new patterns);
the search confirms it with the day routing before it is taken.

The estimate checks books on board exactly and times approximately (waiting
for windows, the end of the shift, one break per ``break_after`` minutes on
duty); the day routing is the judge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from routeplanner.patterns import Pattern, Slot
from routeplanner.solver.problem import Problem

INF = math.inf


@dataclass
class Day:
    """One route-day: the stops in visiting order and what the last routing said of them."""

    stops: list[int] = field(default_factory=list)
    arrivals: list[int] = field(default_factory=list)  # opening times, one per stop ([] before routing)
    start: int = 0
    end: int = 0
    breaks: list[tuple[int, int]] = field(default_factory=list)
    cost: int = 0  # whole metres
    load: int = 0  # books lent
    arrays: tuple | None = field(default=None, repr=False, compare=False)  # the pricer's, for this order


@dataclass
class Change:
    """A move: new visit orders of some route-days and new patterns (None: leave the stop out)."""

    days: dict[int, list[int]] = field(default_factory=dict)
    patterns: dict[int, Pattern | None] = field(default_factory=dict)
    estimate: float = 0.0  # estimated change of the cost


class State:
    """Patterns and routes of a cycle, with the cost the search minimises.

    Cost: whole metres driven plus, for each stop left out, its penalty per
    missing visit (:meth:`Problem.penalty`), so serving demand comes first.
    """

    def __init__(self, problem: Problem, plannable: list[int]):
        self.problem = problem
        self.plannable = list(plannable)
        self.days: list[Day] = [Day() for _ in problem.route_days]
        self.pattern: dict[int, Pattern] = {}  # served stops only
        self.on: dict[int, list[int]] = {}  # served stop -> its route-days, in pattern order
        self.unserved: set[int] = set(plannable)
        #: Cost of a book beyond a van's capacity while searching; None: books are a hard rule.
        self.overload_cost: float | None = None

    # --- cost --------------------------------------------------------------------------------------------

    def missing_cost(self, stop: int) -> int:
        return self.problem.penalty(stop) * self.problem.visits[stop]

    def cost(self) -> float:
        out = sum(d.cost for d in self.days) + sum(self.missing_cost(i) for i in self.unserved)
        if self.overload_cost:
            out += self.overload_cost * self.excess()
        return out

    def excess(self) -> int:
        """Books beyond what the vans carry, over all route-days (0 in a plan that can run)."""
        caps = self.problem.capacity
        return sum(max(0, d.load - caps[r]) for r, d in enumerate(self.days))

    def distance(self) -> int:
        return sum(d.cost for d in self.days)

    def visits(self) -> int:
        return sum(len(d.stops) for d in self.days)

    # --- copies ---------------------------------------------------------------------------------------------

    def copy(self) -> "State":
        other = State.__new__(State)
        other.problem = self.problem
        other.plannable = self.plannable
        other.days = [Day(list(d.stops), list(d.arrivals), d.start, d.end, list(d.breaks), d.cost, d.load)
                      for d in self.days]
        other.pattern = dict(self.pattern)
        other.on = {i: list(r) for i, r in self.on.items()}
        other.unserved = set(self.unserved)
        other.overload_cost = self.overload_cost
        return other

    # --- taking a change -------------------------------------------------------------------------------------

    def apply(self, change: Change, routed: dict[int, Day] | None = None) -> None:
        """Take ``change``; ``routed`` holds the route-days as the day routing confirmed them.

        A stop that the routing left out of a day it was meant to be on keeps
        its other visits here (``on`` lists only where it is); the caller takes
        it out whole.
        """
        touched = set(change.patterns)
        for r in change.days:
            touched.update(self.days[r].stops)
        for i, pattern in change.patterns.items():
            if pattern is None:
                self.pattern.pop(i, None)
                self.unserved.add(i)
            else:
                self.pattern[i] = pattern
                self.unserved.discard(i)
        for r, stops in change.days.items():
            day = routed[r] if routed is not None and r in routed else Day(list(stops), cost=self.problem.route_cost(stops))
            day.load = self.problem.route_load(day.stops)
            self.days[r] = day
            touched.update(day.stops)
        slot_of = self.problem.slot_of
        for i in touched:
            if i in self.unserved:
                self.on.pop(i, None)
                continue
            candidates = list(change.days) + [r for r in self.on.get(i, []) if r not in change.days]
            by_slot = {slot_of[r]: r for r in candidates if i in self.days[r].stops}
            self.on[i] = [by_slot[s] for s in self.pattern[i] if s in by_slot]

    def check(self) -> None:
        """Assert the invariants (tests): every served stop once on each slot of its pattern."""
        seen: dict[int, list[Slot]] = {}
        for r, day in enumerate(self.days):
            for i in day.stops:
                seen.setdefault(i, []).append(self.problem.slot_of[r])
        for i in self.plannable:
            if i in self.unserved:
                assert i not in seen, f"stop {i} is unserved but on route-days"
                continue
            assert sorted(seen.get(i, [])) == sorted(self.pattern[i]), f"stop {i} is not on its pattern"
            assert [self.problem.slot_of[r] for r in self.on[i]] == list(self.pattern[i])
        for day in self.days:
            assert day.cost == self.problem.route_cost(day.stops)
            assert day.load == self.problem.route_load(day.stops)


class Pricer:
    """Insertion and removal prices against a state plus a change being built (copy on write)."""

    def __init__(self, state: State, change: Change | None = None):
        self.state = state
        self.problem = state.problem
        self.change = change or Change()
        p = self.problem
        self._cap = p.capacity
        self._cache: dict[int, tuple[list[int], tuple]] = {}
        #: Opening times of the change's visits already given a timetable (:meth:`schedule_change`).
        self.new_times: dict[tuple[int, int], int] = {}
        self.times_bind = p.times_bind

    # --- the route-days as they are in the change ---------------------------------------------------------

    def stops_of(self, r: int) -> list[int]:
        days = self.change.days
        return days[r] if r in days else self.state.days[r].stops

    def pattern_of(self, i: int) -> Pattern | None:
        if i in self.change.patterns:
            return self.change.patterns[i]
        return self.state.pattern.get(i)

    def where(self, i: int) -> list[int]:
        """The route-days that hold stop ``i`` in the change."""
        pattern = self.pattern_of(i)
        if pattern is None:
            return []
        slots = set(pattern)
        p = self.problem
        out = []
        for s in pattern:
            for r in p.slot_vehicles[s]:
                if i in self.stops_of(r):
                    out.append(r)
                    break
        assert len(out) == len(slots), (i, pattern, out)
        return out

    # --- removing and inserting ------------------------------------------------------------------------------

    def remove(self, i: int) -> None:
        """Take every visit of stop ``i`` out (it becomes unserved in the change)."""
        for r in self.where(i):
            self.change.days[r] = [s for s in self.stops_of(r) if s != i]
        self.change.patterns[i] = None

    def slot_prices(self, i: int, slots) -> dict[Slot, tuple[float, int, int]]:
        """Cheapest feasible insertion of stop ``i`` on each slot: (detour metres, route-day, position)."""
        p = self.problem
        if p.python_exact or not self.times_bind:
            return self._slot_prices_batched(i, slots)
        out: dict[Slot, tuple[float, int, int]] = {}
        for s in slots:
            best = (INF, -1, -1)
            for r in p.slot_vehicles[s]:
                cost, pos = self.insertion(i, r)
                if cost < best[0]:
                    best = (cost, r, pos)
            out[s] = best
        return out

    def _slot_prices_batched(self, i: int, slots) -> dict[Slot, tuple[float, int, int]]:
        """:meth:`slot_prices` when books and the length of the day are the only rules: every
        position of every route-day of the slots priced in one NumPy pass."""
        p = self.problem
        slots = list(slots)
        rds = [r for s in slots for r in p.slot_vehicles[s]]
        arrays = [self._arrays(r) for r in rds]
        lengths = np.fromiter((len(x[0]) for x in arrays), dtype=np.int64, count=len(arrays))
        a = np.concatenate([x[0] for x in arrays])
        b = np.concatenate([x[1] for x in arrays])
        node = i + 1
        delta = (p.dist[a, node] + p.dist[node, b] - np.concatenate([x[2] for x in arrays])).astype(float)
        loans = int(p.loans[i])
        load = np.fromiter((x[4] for x in arrays), dtype=np.int64, count=len(arrays))
        caps = np.array([self._cap[r] for r in rds], dtype=np.int64)
        over = np.maximum(0, load + loans - caps) - np.maximum(0, load - caps)
        soft = self.state.overload_cost
        extra = np.where(over > 0, np.inf if not soft else soft * over, 0.0)
        delta += np.repeat(extra, lengths)
        if self.times_bind:
            minutes = np.fromiter((x[5] for x in arrays), dtype=np.int64, count=len(arrays))
            longer = p.drive[a, node] + p.drive[node, b] - np.concatenate([x[3] for x in arrays]) + int(p.service[i])
            shift = np.array([p.vehicle_of[r].shift_end_min - p.vehicle_of[r].shift_start_min for r in rds])
            delta[np.repeat(minutes, lengths) + longer > np.repeat(shift, lengths)] = np.inf
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        out: dict[Slot, tuple[float, int, int]] = {}
        k = 0
        for s in slots:
            best = (INF, -1, -1)
            for r in p.slot_vehicles[s]:
                lo, n = starts[k], lengths[k]
                seg = delta[lo:lo + n]
                pos = int(np.argmin(seg))
                if seg[pos] < best[0]:
                    best = (float(seg[pos]), r, pos)
                k += 1
            out[s] = best
        return out

    def insertion(self, i: int, r: int) -> tuple[float, int]:
        """Cheapest feasible position of stop ``i`` on route-day ``r``: (detour metres, position)."""
        p = self.problem
        seq = self.stops_of(r)
        a, b, dist_ab, drive_ab, load, minutes = self._arrays(r)
        extra = 0.0
        if load + int(p.loans[i]) > self._cap[r]:
            soft = self.state.overload_cost
            if not soft:
                return INF, -1
            cap = self._cap[r]
            extra = soft * (max(0, load + int(p.loans[i]) - cap) - max(0, load - cap))
        node = i + 1
        delta = p.dist[a, node] + p.dist[node, b] - dist_ab
        if not self.times_bind:
            pos = int(np.argmin(delta))
            return float(delta[pos]) + extra, pos
        if p.python_exact:
            # No window and no break: the day lasts its drives and door-open times.
            veh = p.vehicle_of[r]
            longer = p.drive[a, node] + p.drive[node, b] - drive_ab + int(p.service[i])
            ok = minutes + longer <= veh.shift_end_min - veh.shift_start_min
            if not ok.any():
                return INF, -1
            pos = int(np.argmin(np.where(ok, delta, np.iinfo(np.int64).max)))
            return float(delta[pos]) + extra, pos
        for pos in np.argsort(delta, kind="stable"):
            pos = int(pos)
            if self.fits(r, seq[:pos] + [i] + seq[pos:]):
                return float(delta[pos]) + extra, pos
        return INF, -1

    def _arrays(self, r: int):
        """Route-day ``r`` in the change as (from-nodes, to-nodes of its arcs, their metres and
        minutes, books, minutes of the day), kept until the route-day changes."""
        if r in self.change.days:
            cached = self._cache.get(r)
            if cached is not None and cached[0] is self.change.days[r]:
                return cached[1]
            arrays = _arrays_of(self.problem, self.change.days[r])
            self._cache[r] = (self.change.days[r], arrays)
            return arrays
        day = self.state.days[r]
        if day.arrays is None:
            day.arrays = _arrays_of(self.problem, day.stops)
        return day.arrays

    def best_pattern(self, i: int, *, only: list[Pattern] | None = None,
                     prefer: Pattern | None = None) -> tuple[float, Pattern | None, dict]:
        """The cheapest pattern of stop ``i`` (among ``only``): (cost, pattern, slot prices)."""
        p = self.problem
        patterns = only if only is not None else p.patterns[i]
        slots = {s for pattern in patterns for s in pattern}
        prices = self.slot_prices(i, slots)
        best_cost, best = INF, None
        for pattern in patterns:
            cost = sum(prices[s][0] for s in pattern)
            if cost < best_cost or (cost == best_cost and pattern == prefer):
                best_cost, best = cost, pattern
        return best_cost, best, prices

    def insert(self, i: int, pattern: Pattern, prices: dict) -> None:
        """Put stop ``i`` on ``pattern`` at the priced positions."""
        for s in pattern:
            _cost, r, pos = prices[s]
            seq = self.stops_of(r)
            self.change.days[r] = seq[:pos] + [i] + seq[pos:]
        self.change.patterns[i] = pattern

    # --- improving one route-day ---------------------------------------------------------------------------------

    def improve(self, r: int) -> None:
        """Shorten route-day ``r`` of the change by 2-opt and or-opt moves, keeping it feasible."""
        seq = self.change.days.get(r)
        if seq is None or len(seq) < 3:
            return
        p = self.problem
        if not self.times_bind:
            fits = None
        elif p.python_exact:
            veh = p.vehicle_of[r]
            length = veh.shift_end_min - veh.shift_start_min
            fits = lambda s: p.route_minutes(s) <= length  # noqa: E731
        else:
            fits = lambda s: self.fits(r, s)  # noqa: E731
        self.change.days[r] = improve_order(p, seq, fits)

    # --- what it would cost ------------------------------------------------------------------------------------

    def estimate(self) -> float:
        """The change of :meth:`State.cost` the change would bring, by the Python routes."""
        state, p = self.state, self.problem
        delta = 0.0
        caps = p.capacity
        for r, stops in self.change.days.items():
            delta += p.route_cost(stops) - state.days[r].cost
            if state.overload_cost:
                before = max(0, state.days[r].load - caps[r])
                delta += state.overload_cost * (max(0, p.route_load(stops) - caps[r]) - before)
        for i, pattern in self.change.patterns.items():
            was = i in state.unserved
            now = pattern is None
            if was and not now:
                delta -= state.missing_cost(i)
            elif now and not was:
                delta += state.missing_cost(i)
        self.change.estimate = delta
        return delta

    # --- times ---------------------------------------------------------------------------------------------------

    def window(self, i: int, r: int) -> tuple[int, int]:
        """When stop ``i`` may open on route-day ``r``: its window, narrowed by the stable-time
        rule to within ``stable`` minutes of its visits that the change leaves where they are."""
        p = self.problem
        lo, hi = int(p.open_from[i]), int(p.open_until[i])
        if not p.stable_rule or p.visits[i] < 2:
            return lo, hi
        times = []
        for other in self.state.on.get(i, []):
            if other == r or other in self.change.days:
                continue
            day = self.state.days[other]
            if day.arrivals:
                times.append(day.arrivals[day.stops.index(i)])
        for (j, other), t in self.new_times.items():
            if j == i and other != r:
                times.append(t)
        if times:
            lo, hi = max(lo, max(times) - p.stable), min(hi, min(times) + p.stable)
        return lo, hi

    def schedule_change(self) -> dict[int, tuple] | None:
        """A timetable for every route-day of the change, one after another, each keeping the
        stable-time rule with the visits timed before it; None when one has none."""
        self.new_times = {}
        out = {}
        for r in sorted(self.change.days):
            seq = self.change.days[r]
            timed = self.schedule(r, seq)
            if timed is None:
                self.new_times = {}
                return None
            out[r] = timed
            for i, t in zip(seq, timed[0]):
                self.new_times[(i, r)] = t
        self.new_times = {}
        return out

    def fits(self, r: int, seq: list[int]) -> bool:
        """Whether route-day ``r`` can visit ``seq`` in that order (:meth:`schedule`)."""
        return self.schedule(r, seq) is not None

    def schedule(self, r: int, seq: list[int]) -> tuple[list[int], int, int, list[tuple[int, int]]] | None:
        """A timetable of route-day ``r`` visiting ``seq``: (opening times, leave, back, breaks), or None.

        Greedy: leave as late as the first opening allows, wait for windows,
        open no later than a window (and the stable-time rule) allows, and take
        the one break as late as the rule lets the driver go on: in a wait long
        enough, or before the leg that would overrun ``break_after`` minutes on
        duty (waiting included); be back by the end of the shift.  Every
        timetable it gives is one the day routing accepts as it is (the
        routing's break rule: at most ``break_after`` minutes on duty before
        and after the break), so the search needs no routing to trust a move.
        """
        timed = self._schedule(r, seq, None)
        if timed is not None or not seq:
            return timed
        veh = self.problem.vehicle_of[r]
        if veh.break_rule and self._tight(seq):
            # The break as late as possible can miss the one wait it fits in when times are
            # pinned (a re-plan keeps every opening time): try it in each gap in turn.
            for gap in range(len(seq) + 1):
                timed = self._schedule(r, seq, gap)
                if timed is not None:
                    return timed
        return None

    def _tight(self, seq: list[int]) -> bool:
        """Whether a stop of ``seq`` must open at one given time (a pinned time)."""
        p = self.problem
        return any(p.open_from[i] >= p.open_until[i] for i in seq)

    def _schedule(self, r: int, seq: list[int], gap: int | None) -> tuple | None:
        """:meth:`schedule`'s greedy; with ``gap``, the break is taken in that gap (0: before the
        first stop, ``len(seq)``: on the way home) and nowhere else."""
        p = self.problem
        veh = p.vehicle_of[r]
        if not seq:
            return [], veh.shift_start_min, veh.shift_start_min, []
        rule = veh.break_rule
        after, pause = veh.break_after_minutes, veh.break_minutes
        first = seq[0]
        lo0 = self.window(first, r)[0]
        leave = max(veh.shift_start_min, lo0 - int(p.drive[0, first + 1]))
        t = leave
        since = 0  # minutes on duty since leaving or since the break
        breaks: list[tuple[int, int]] = []
        arrivals: list[int] = []
        prev = 0
        for k, s in enumerate(seq):
            node = s + 1
            leg = int(p.drive[prev, node])
            lo, hi = self.window(s, r)
            wait = max(0, lo - (t + leg))
            service = int(p.service[s])
            due = since + leg + wait + service > after
            if gap is not None and rule:
                if k != gap and due:
                    return None  # a break due before its gap, or a second one after it
                due = k == gap
            if rule and due:
                if breaks:
                    return None  # one break a day
                if wait >= pause and since + leg <= after:
                    breaks.append((t + leg, pause))  # in the wait before opening
                    t += leg + wait
                    wait = 0
                else:
                    breaks.append((t, pause))  # before this leg
                    t += pause
                    wait = max(0, lo - (t + leg))
                    t += leg + wait
                since = 0
            else:
                t += leg + wait
            if t > hi:
                return None
            arrivals.append(t)
            since += leg + wait + service
            t += service
            prev = node
        leg = int(p.drive[prev, 0])
        due = since + leg > after
        if gap is not None and rule:
            if gap != len(seq) and due:
                return None
            due = gap == len(seq)
        if rule and due:
            if breaks:
                return None
            breaks.append((t, pause))
            t += pause
        back = t + leg
        if back > veh.shift_end_min:
            return None
        return arrivals, leave, back, breaks


def _arrays_of(p: Problem, seq: list[int]) -> tuple:
    nodes = np.fromiter((s + 1 for s in seq), dtype=np.int64, count=len(seq))
    a = np.concatenate(([0], nodes))
    b = np.concatenate((nodes, [0]))
    return a, b, p.dist[a, b], p.drive[a, b], p.route_load(seq), p.route_minutes(seq)


def _times_can_bind(p: Problem) -> bool:
    """False when no window, shift or break can ever refuse a visit (then only books are checked)."""
    sc = p.scenario
    if any(s.door_window != (None, None) for s in sc.stops):
        return True
    # A route visits at most as many stops as the smallest loans fill the van with;
    # it cannot take longer than that many of the longest drives out of a place
    # (one more back to the depot) and of the longest door-open times.
    loans = np.sort(p.loans)
    out_drive = np.sort(p.drive.max(axis=1))[::-1]
    service = np.sort(p.service)[::-1]
    for v in sc.vehicles:
        most = int(np.searchsorted(np.cumsum(loans), v.capacity_books, side="right"))
        longest = int(out_drive[: most + 1].sum()) + int(service[:most].sum())
        if v.shift_end_min - v.shift_start_min < longest:
            return True
    return False


def improve_order(problem: Problem, seq: list[int], fits=None, max_passes: int = 50) -> list[int]:
    """A shorter visiting order by 2-opt (reverse a stretch) and or-opt (move a stretch of 1 to 3
    visits elsewhere), the best move of a pass first, until no move gains; ``fits`` vets an order.

    Every move of a pass is priced at once with NumPy (asymmetric matrices
    included: a reversed stretch is priced in its new direction).
    """
    d = problem.dist
    seq = list(seq)
    for _ in range(max_passes):
        nodes = np.array([0] + [s + 1 for s in seq] + [0], dtype=np.int64)
        n = len(nodes)
        L = n - 2
        moves: list[tuple[int, int, int, int]] = []  # (delta, kind, a, b)
        fwd = d[nodes[:-1], nodes[1:]]  # arc t: nodes[t] -> nodes[t+1], t = 0..n-2
        # 2-opt: reverse seq[i:j] (nodes i+1..j), 0 <= i, i + 2 <= j <= L
        if L >= 2:
            bwd = d[nodes[1:], nodes[:-1]]
            cf = np.concatenate(([0], np.cumsum(fwd)))
            cb = np.concatenate(([0], np.cumsum(bwd)))
            i = np.arange(0, n - 2)[:, None]
            j = np.arange(1, n - 1)[None, :]
            gain = (d[nodes[i], nodes[j]] + d[nodes[i + 1], nodes[j + 1]] + (cb[j] - cb[i + 1])
                    - fwd[i] - fwd[j] - (cf[j] - cf[i + 1]))
            gain = np.where(j > i + 1, gain, 0)
            for flat in np.argsort(gain, axis=None, kind="stable")[:6]:
                a, b = divmod(int(flat), gain.shape[1])
                if gain[a, b] >= 0:
                    break
                moves.append((int(gain[a, b]), 0, a, b + 1))
        # or-opt: move seq[k:k+m] onto arc t of the route (t outside k..k+m)
        u, v = nodes[:-1], nodes[1:]
        t = np.arange(n - 1)[None, :]
        for m in (1, 2, 3):
            if m >= L:
                break
            k = np.arange(L - m + 1)[:, None]
            first, last = nodes[k + 1], nodes[k + m]
            prev, nxt = nodes[k], nodes[k + m + 1]
            removed = d[prev, first] + d[last, nxt] - d[prev, nxt]
            ins = d[u[None, :], first] + d[last, v[None, :]] - fwd[None, :]
            delta = np.where((t >= k) & (t <= k + m), 1 << 60, ins - removed)
            for flat in np.argsort(delta, axis=None, kind="stable")[:4]:
                a, b = divmod(int(flat), delta.shape[1])
                if delta[a, b] >= 0:
                    break
                moves.append((int(delta[a, b]), m, a, b))
        if not moves:
            break
        moves.sort()
        for delta, kind, a, b in moves:
            if kind == 0:
                cand = seq[:a] + seq[a:b][::-1] + seq[b:]
            else:
                seg = seq[a:a + kind]
                rest = seq[:a] + seq[a + kind:]
                pos = b if b < a else b - kind
                cand = rest[:pos] + seg + rest[pos:]
            if fits is None or fits(cand):
                seq = cand
                break
        else:
            break
    return seq
