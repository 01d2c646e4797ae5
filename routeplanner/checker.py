"""An independent judge of plans: does a timetable keep every rule of its scenario?

``check_plan`` re-derives everything it needs from the scenario and the plan
alone -- leg distances and drive times from the scenario's own travel matrix,
the KPIs from the visits -- and lists every broken rule as a
:class:`Violation`.  It works on any plan that follows the plan contract:
one made by our solver, by hand, or typed in from a published timetable.

It deliberately shares no code with ``routeplanner.solver``: a checker that
reused the solver's bookkeeping would repeat the solver's mistakes.  It only
uses the model, the travel providers and the plain totals arithmetic of
``totals``.

Violations are data.  Only unusable input (a travel matrix without the
scenario's stops) raises :class:`InputError`.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from routeplanner import formats
from routeplanner.errors import InputError, Problem
from routeplanner.model import (
    WEEKDAYS,
    Break,
    Plan,
    Published,
    Route,
    Scenario,
    Stop,
    Totals,
    Vehicle,
    Visit,
    hhmm,
)
from routeplanner.report import format_totals, route_label
from routeplanner.totals import compute_totals
from routeplanner.travel import DEPOT_ID, TravelMatrix, scenario_matrix

#: Float noise allowed on minutes; plan times are whole minutes.
TOLERANCE_MIN = 0.01
#: A stated distance may differ from the recomputed one by this much (the
#: plan rounds to whole metres, another tool may round to 0.1 km).
DISTANCE_TOLERANCE_M = 50.0
DISTANCE_TOLERANCE_SHARE = 0.005

#: Every violation kind, with what it means.
KINDS: dict[str, str] = {
    "unknown-vehicle": "the route's vehicle is not in the scenario",
    "bad-week": "the route's week is outside 1..cycle weeks",
    "bad-day": "the route's weekday is not a working day of the cycle",
    "duplicate-route": "two routes for the same vehicle, week and day",
    "shift": "the route starts before or ends after the vehicle's shift",
    "unknown-stop": "a visit or unserved entry names a stop the scenario does not have",
    "timing": "impossible times: too little time to drive (and rest) between places, or arrival after departure",
    "service": "the door is open for less than the stop's service minutes",
    "window": "the visit is outside the stop's time window",
    "day-not-allowed": "the visit is on a weekday the stop does not allow",
    "capacity": "the route's loans exceed the books on board",
    "break-placement": "a break lies outside the working day or during a visit",
    "break-short": "a break is shorter than the vehicle's break minutes",
    "driving-limit": "driving without a break exceeds the vehicle's break-after minutes",
    "frequency": "a stop gets more or fewer visits than its frequency asks and is not listed as unserved",
    "frequency-weekday": "a periodic stop is visited on different weekdays",
    "frequency-period": "a periodic stop's visits are not one per period in the same week of each period",
    "frequency-spread": "an N-per-cycle stop's visits are bunched instead of spread over the cycle",
    "pattern-not-allowed": "a stop with explicit allowed combinations of days is visited on another combination",
    "pin": "a visit breaks a stop's pin: another week than its pinned weeks, or another opening time",
    "unserved-count": "an unserved entry's missing visits do not match the visits actually made",
    "stable-times": "a stop's opening times vary by more than the scenario's stable minutes",
    "must-unserved": "a must stop is not fully served",
    "missing-stop": "a stop is neither visited nor listed as unserved",
    "distance": "a route's stated distance differs from the recomputed one",
    "total-distance": "the plan's total distance differs from the recomputed one",
    "timetable-step": "a published window does not open and close on 5-minute steps (or closes before it opens)",
    "timetable-window": "on a visit of the published pattern the door is not open for all of the published window",
    "timetable-slot": "a published slot has no visit of the stop, or a visit of the stop is not published",
    "timetable-stop": "a published entry names a stop the scenario does not have, or a stop twice",
}

#: Published windows open and close on multiples of this many minutes.
PUBLISHED_STEP_MIN = 5


@dataclass(frozen=True)
class Violation:
    """One broken rule.  ``kind`` is a key of :data:`KINDS`."""

    kind: str
    route: str  # route label ("week 1 Tue Bibliobusas") or "" when not about one route
    stop_id: str  # "" when not about one stop
    message: str  # a sentence a coordinator understands

    def __str__(self) -> str:
        where = f"{self.route}: " if self.route else ""
        return f"[{self.kind}] {where}{self.message}"


@dataclass
class CheckReport:
    violations: list[Violation]
    totals: Totals  # recomputed from the visits and the scenario's travel matrix

    @property
    def ok(self) -> bool:
        return not self.violations

    def kinds(self) -> set[str]:
        return {v.kind for v in self.violations}


def _mins(x: float) -> str:
    return f"{x:.0f} min" if abs(x - round(x)) < TOLERANCE_MIN else f"{x:.1f} min"


def _weeks_text(weeks: list[int]) -> str:
    return ", ".join(str(w) for w in weeks)


def _slots_text(slots) -> str:
    """``[(1, "Mon"), (2, "Thu")]`` -> ``"week 1 Mon, week 2 Thu"``."""
    return ", ".join(f"week {w} {d}" for w, d in slots) or "no day"


class _Checker:
    def __init__(self, scenario: Scenario, plan: Plan, matrix: TravelMatrix):
        self.scenario = scenario
        self.plan = plan
        self.matrix = matrix
        self.index = {pid: i for i, pid in enumerate(matrix.ids)}
        missing = [pid for pid in [DEPOT_ID] + [s.id for s in scenario.stops] if pid not in self.index]
        if missing:
            raise InputError(
                [Problem("travel matrix", None, "ids", ", ".join(missing[:20]), "the depot and every stop")]
            )
        self.stops: dict[str, Stop] = {s.id: s for s in scenario.stops}
        self.vehicles: dict[str, Vehicle] = {v.name: v for v in scenario.vehicles}
        self.violations: list[Violation] = []
        # Filled by the route pass, used by the stop pass and the totals.
        self.visits_of: dict[str, list[tuple[Route, Visit]]] = defaultdict(list)
        self.recomputed: list[Route] = []
        self.all_legs_known = True

    def add(self, kind: str, route: str, stop_id: str, message: str) -> None:
        self.violations.append(Violation(kind, route, stop_id, message))

    def leg(self, a: str | None, b: str | None) -> tuple[float, float] | None:
        """(metres, minutes) from place id ``a`` to ``b``; None if either is unknown."""
        if a is None or b is None:
            return None
        i, j = self.index[a], self.index[b]
        return float(self.matrix.distance_m[i, j]), float(self.matrix.drive_min[i, j])

    # --- one route -----------------------------------------------------------

    def check_route(self, route: Route, seen: set[tuple[str, int, str]]) -> None:
        label = route_label(route)
        cycle = self.scenario.cycle
        vehicle = self.vehicles.get(route.vehicle)
        if vehicle is None:
            known = ", ".join(self.vehicles) or "none"
            self.add(
                "unknown-vehicle", label, "",
                f"vehicle {route.vehicle!r} is not in the scenario (known: {known}).",
            )
        if not 1 <= route.week <= cycle.weeks:
            self.add("bad-week", label, "", f"week {route.week} is outside the {cycle.weeks}-week cycle.")
        if route.day not in cycle.days:
            self.add(
                "bad-day", label, "",
                f"{route.day} is not a working day of the cycle ({', '.join(cycle.days)}).",
            )
        key = (route.vehicle, route.week, route.day)
        if key in seen:
            self.add("duplicate-route", label, "", "there is already a route for this vehicle on this day.")
        seen.add(key)
        if vehicle is not None:
            if route.start_min < vehicle.shift_start_min:
                self.add(
                    "shift", label, "",
                    f"starts at {hhmm(route.start_min)}, before the shift starts ({hhmm(vehicle.shift_start_min)}).",
                )
            if route.end_min > vehicle.shift_end_min:
                self.add(
                    "shift", label, "",
                    f"ends at {hhmm(route.end_min)}, after the shift ends ({hhmm(vehicle.shift_end_min)}).",
                )

        # Place ids along the day; None marks a visit to an unknown stop,
        # whose legs cannot be recomputed and are skipped.
        ids: list[str | None] = []
        for v in route.visits:
            stop = self.stops.get(v.stop_id)
            if stop is None:
                self.add(
                    "unknown-stop", label, v.stop_id,
                    f"visits {v.name!r} (id {v.stop_id!r}), which is not a stop of the scenario.",
                )
                ids.append(None)
                self.all_legs_known = False
                continue
            ids.append(stop.id)
            self.visits_of[stop.id].append((route, v))
            self.check_visit(label, route, v, stop)

        if vehicle is not None:
            loans = sum(v.loans for v in route.visits)
            if loans > vehicle.capacity_books + 1e-9:
                self.add(
                    "capacity", label, "",
                    f"expects {formats.loans(loans)} loans but {vehicle.name} carries {vehicle.capacity_books} books.",
                )
        self.check_times_and_breaks(label, route, vehicle, ids)
        self.recompute(label, route, ids)

    def check_visit(self, label: str, route: Route, v: Visit, stop: Stop) -> None:
        when = f"{hhmm(v.arrival_min)}-{hhmm(v.departure_min)}"
        if v.arrival_min > v.departure_min:
            self.add(
                "timing", label, stop.id,
                f"{stop.name}: arrival {hhmm(v.arrival_min)} is after departure {hhmm(v.departure_min)}.",
            )
        open_min = v.departure_min - v.arrival_min
        if open_min < stop.service_min - TOLERANCE_MIN:
            self.add(
                "service", label, stop.id,
                f"{stop.name} is open {_mins(open_min)} ({when}), it needs {stop.service_min} min.",
            )
        if stop.window_start_min is not None and v.arrival_min < stop.window_start_min:
            self.add(
                "window", label, stop.id,
                f"{stop.name} opens {hhmm(v.arrival_min)}, "
                f"before its window starts ({hhmm(stop.window_start_min)}).",
            )
        if stop.window_end_min is not None and v.departure_min > stop.window_end_min:
            self.add(
                "window", label, stop.id,
                f"{stop.name} closes {hhmm(v.departure_min)}, "
                f"after its window ends ({hhmm(stop.window_end_min)}).",
            )
        if stop.days and route.day not in stop.days:
            self.add(
                "day-not-allowed", label, stop.id,
                f"{stop.name} is visited on {route.day}; it allows only {', '.join(stop.days)}.",
            )
        if stop.weeks and route.week not in stop.weeks:
            self.add(
                "pin", label, stop.id,
                f"{stop.name} is visited in week {route.week}; it is pinned to week(s) "
                f"{', '.join(map(str, stop.weeks))}.",
            )
        if stop.opens_min is not None and v.arrival_min != stop.opens_min:
            self.add(
                "pin", label, stop.id,
                f"{stop.name} opens {hhmm(v.arrival_min)}; it is pinned to open at {hhmm(stop.opens_min)}.",
            )

    def check_times_and_breaks(
        self, label: str, route: Route, vehicle: Vehicle | None, ids: list[str | None]
    ) -> None:
        visits = route.visits
        k = len(visits)
        # Gap j runs from leaving place j to reaching place j+1, where place 0
        # and place k+1 are the depot.
        places: list[str | None] = [DEPOT_ID] + ids + [DEPOT_ID]
        names = ["the depot"] + [v.name for v in visits] + ["the depot"]
        leave = [route.start_min] + [v.departure_min for v in visits]
        reach = [v.arrival_min for v in visits] + [route.end_min]

        # Each break belongs to the gap its start falls in; one that starts
        # during a visit or outside the day belongs to none (and is reported).
        in_gap: list[list[Break]] = [[] for _ in range(k + 1)]
        for b in sorted(route.breaks, key=lambda b: b.start_min):
            b_end = b.start_min + b.minutes
            if b.start_min < route.start_min or b_end > route.end_min:
                self.add(
                    "break-placement", label, "",
                    f"break {hhmm(b.start_min)}-{hhmm(b_end)} lies outside the working day "
                    f"{hhmm(route.start_min)}-{hhmm(route.end_min)}.",
                )
            for v in visits:
                if b.start_min < v.departure_min and b_end > v.arrival_min:
                    self.add(
                        "break-placement", label, v.stop_id,
                        f"break {hhmm(b.start_min)}-{hhmm(b_end)} overlaps the visit to {v.name} "
                        f"({hhmm(v.arrival_min)}-{hhmm(v.departure_min)}).",
                    )
            if vehicle is not None and b.minutes < vehicle.break_minutes:
                self.add(
                    "break-short", label, "",
                    f"break at {hhmm(b.start_min)} lasts {b.minutes} min; {vehicle.break_minutes} min are required.",
                )
            for j in range(k + 1):
                last = j == k
                if leave[j] <= b.start_min and (b.start_min < reach[j] or (last and b.start_min <= reach[j])):
                    in_gap[j].append(b)
                    break

        drives: list[float | None] = []
        for j in range(k + 1):
            leg = self.leg(places[j], places[j + 1])
            drives.append(None if leg is None else leg[1])
            if leg is None:
                continue
            rest = sum(b.minutes for b in in_gap[j])
            earliest = leave[j] + leg[1] + rest
            if reach[j] < earliest - TOLERANCE_MIN:
                if j == k:
                    what = f"is back at the depot at {hhmm(reach[j])}"
                else:
                    what = f"arrives at {names[j + 1]} at {hhmm(reach[j])}"
                after = f" and a {rest} min break" if rest else ""
                # Rounded up: a 10.4 min drive from 08:00 means 08:11 at the earliest.
                shown = hhmm(math.ceil(earliest - TOLERANCE_MIN))
                self.add(
                    "timing", label, ids[j] if j < k and ids[j] else "",
                    f"{what}, but leaving {names[j]} at {hhmm(leave[j])} with {_mins(leg[1])} of driving{after} "
                    f"it cannot be there before {shown}.",
                )

        if vehicle is not None:
            self.check_driving(label, vehicle, drives, in_gap, names)

    def check_driving(
        self, label: str, vehicle: Vehicle, drives: list[float | None], in_gap: list[list[Break]], names: list[str]
    ) -> None:
        """EU 561/2006 in the scenario's terms: at most ``break_after_minutes``
        of driving before a break of at least ``break_minutes``.

        A break between two stops may be taken anywhere on that leg (a lay-by),
        so the leg is split where it suits best: as much driving as the limit
        allows before the break, the rest after.  That greedy split leaves the
        least driving on the clock afterwards, so if it fails every split does.
        Breaks that are too short do not reset the clock (they are reported
        as break-short and still count as time in the timing rule).
        A vehicle with ``break_minutes = 0`` has no break rule to keep.
        """
        if vehicle.break_minutes <= 0:
            return
        limit = vehicle.break_after_minutes
        since_break = 0.0
        for j, drive in enumerate(drives):
            d = drive or 0.0
            for b in in_gap[j]:
                if b.minutes < vehicle.break_minutes:
                    continue
                before = min(d, max(0.0, limit - since_break))
                d -= before
                since_break = 0.0
            since_break += d
            if since_break > limit + TOLERANCE_MIN:
                self.add(
                    "driving-limit", label, "",
                    f"reaching {names[j + 1]} takes {_mins(since_break)} of driving without a break; "
                    f"the driver must rest {vehicle.break_minutes} min after at most {limit} min of driving.",
                )
                return  # one report per route: everything after follows from it

    def recompute(self, label: str, route: Route, ids: list[str | None]) -> None:
        """Distance and drive time from the scenario's matrix; compares the stated distance."""
        known = [DEPOT_ID] + [i for i in ids if i is not None] + [DEPOT_ID]
        metres = minutes = 0.0
        for a, b in zip(known, known[1:]):
            m, t = self.leg(a, b)  # type: ignore[misc]  # both ids are known here
            metres += m
            minutes += t
        self.recomputed.append(dataclasses.replace(route, distance_m=metres, drive_min=minutes))
        if None in ids:
            return  # a leg to an unknown stop has no true length to compare with
        if abs(route.distance_m - metres) > max(DISTANCE_TOLERANCE_M, DISTANCE_TOLERANCE_SHARE * metres):
            self.add(
                "distance", label, "",
                f"states {route.distance_m / 1000:.3f} km; depot, visits and back is {metres / 1000:.3f} km.",
            )

    # --- across the cycle ----------------------------------------------------

    def check_stops(self) -> None:
        cycle = self.scenario.cycle
        missing_of: dict[str, int] = defaultdict(int)
        for u in self.plan.unserved:
            if u.stop_id not in self.stops:
                self.add(
                    "unknown-stop", "", u.stop_id,
                    f"the unserved list names {u.name!r} (id {u.stop_id!r}), which is not a stop of the scenario.",
                )
                continue
            missing_of[u.stop_id] += u.missing_visits  # several entries for one stop add up

        for stop in self.scenario.stops:
            required = stop.frequency.visits_per_cycle(cycle.weeks)
            pairs = self.visits_of.get(stop.id, [])
            count = len(pairs)
            listed = stop.id in missing_of
            if not listed:
                if count == 0:
                    self.add(
                        "missing-stop", "", stop.id,
                        f"{stop.name} is missing from the plan: neither visited nor listed as unserved.",
                    )
                elif count != required:
                    self.add(
                        "frequency", "", stop.id,
                        f"{stop.name} ({stop.frequency.label()}) gets {count} visit(s) in the cycle; it needs {required}.",
                    )
            elif count != required - missing_of[stop.id]:
                self.add(
                    "unserved-count", "", stop.id,
                    f"{stop.name} is listed with {missing_of[stop.id]} missing visit(s) of {required}, "
                    f"but {count} visit(s) are made (expected {required - missing_of[stop.id]}).",
                )
            if stop.must and (listed or count < required):
                self.add(
                    "must-unserved", "", stop.id,
                    f"{stop.name} is a must stop but gets {count} of {required} visits.",
                )
            if count >= 2 or (count and stop.allowed_patterns):
                self.check_pattern(stop, pairs, required)
                arrivals = [v.arrival_min for _, v in pairs]
                spread = max(arrivals) - min(arrivals)
                if spread > self.scenario.solver.stable_minutes + TOLERANCE_MIN:
                    self.add(
                        "stable-times", "", stop.id,
                        f"{stop.name} opens between {hhmm(min(arrivals))} and {hhmm(max(arrivals))} "
                        f"({spread} min apart; at most {self.scenario.solver.stable_minutes} allowed).",
                    )

    def check_pattern(self, stop: Stop, pairs: list[tuple[Route, Visit]], required: int) -> None:
        cycle = self.scenario.cycle
        if stop.allowed_patterns:
            # Explicit combinations replace the rules of the frequency.
            visited = tuple(sorted((r.week, r.day) for r, _ in pairs))
            allowed = {tuple(sorted(c)) for c in stop.allowed_patterns}
            if visited not in allowed:
                self.add(
                    "pattern-not-allowed", "", stop.id,
                    f"{stop.name} is visited on {_slots_text(visited)}, which is not one of its "
                    f"{len(allowed)} allowed combination(s) of days.",
                )
            return
        period = stop.frequency.period_weeks
        if period is not None:
            days = sorted({r.day for r, _ in pairs}, key=lambda d: WEEKDAYS.index(d) if d in WEEKDAYS else 7)
            if len(days) > 1:
                self.add(
                    "frequency-weekday", "", stop.id,
                    f"{stop.name} ({stop.frequency.label()}) is visited on {', '.join(days)}; "
                    "it must be one weekday.",
                )
            weeks = sorted(r.week for r, _ in pairs)
            if len({w % period for w in weeks}) > 1 or len(set(weeks)) < len(weeks):
                self.add(
                    "frequency-period", "", stop.id,
                    f"{stop.name} ({stop.frequency.label()}) is visited in weeks {_weeks_text(weeks)}; "
                    f"it needs one visit every {period} week(s), in the same week of each period.",
                )
            return
        # N visits per cycle: with working days numbered 0..T-1 around the
        # cycle (it repeats), no two visits may be closer than floor(T/N).
        T = cycle.weeks * len(cycle.days)
        per_week = len(cycle.days)
        slots = sorted((r.week - 1) * per_week + cycle.days.index(r.day) for r, _ in pairs if r.day in cycle.days)
        if len(slots) < 2 or required < 1:
            return
        need = T // required
        gaps = [b - a for a, b in zip(slots, slots[1:])] + [slots[0] + T - slots[-1]]
        if min(gaps) < need:
            self.add(
                "frequency-spread", "", stop.id,
                f"{stop.name} ({stop.frequency.label()}): two visits are {min(gaps)} working day(s) apart; "
                f"spread over {T} working days they must be at least {need} apart.",
            )

    def check_timetable(self) -> None:
        """The published windows (plan contract v1.1, ``timetable``): each on 5-minute steps,
        its slots exactly the stop's visits, the door open for all of it on every one.

        Entries without a window (a stop whose times are given date by date)
        promise nothing and are not checked.
        """
        seen: set[str] = set()
        for entry in self.plan.timetable:
            if entry.opens_min is None or entry.closes_min is None:
                continue
            stop = self.stops.get(entry.stop_id)
            if stop is None:
                self.add("timetable-stop", "", entry.stop_id,
                         f"the timetable lists {entry.name or entry.stop_id!r} (id {entry.stop_id!r}), "
                         "which is not a stop of the scenario.")
                continue
            if entry.stop_id in seen:
                self.add("timetable-stop", "", stop.id, f"the timetable lists {stop.name} more than once.")
            seen.add(entry.stop_id)
            self.check_published(entry, stop)

    def check_published(self, entry: Published, stop: Stop) -> None:
        assert entry.opens_min is not None and entry.closes_min is not None
        opens, closes = entry.opens_min, entry.closes_min
        shown = f"{hhmm(opens)}-{hhmm(closes)}"
        if opens % PUBLISHED_STEP_MIN or closes % PUBLISHED_STEP_MIN or closes <= opens:
            self.add("timetable-step", "", stop.id,
                     f"{stop.name}: the published window {shown} must open before it closes, "
                     f"both on {PUBLISHED_STEP_MIN}-minute steps.")
        visits: dict[tuple[int, str], list[Visit]] = defaultdict(list)
        for route, v in self.visits_of.get(stop.id, []):
            visits[(route.week, route.day)].append(v)
        listed = set(entry.slots)
        for week, day in sorted(listed - set(visits)):
            self.add("timetable-slot", "", stop.id,
                     f"{stop.name}: the timetable says the library comes in week {week} on {day}, "
                     "but the plan has no visit there then.")
        unlisted = sorted(set(visits) - listed)
        if unlisted:
            self.add("timetable-slot", "", stop.id,
                     f"{stop.name} is visited on {_slots_text(unlisted)}, which its published timetable leaves out.")
        for (week, day) in sorted(listed & set(visits)):
            for v in visits[(week, day)]:
                if v.arrival_min > opens or v.departure_min < closes:
                    self.add("timetable-window", f"week {week} {day}", stop.id,
                             f"{stop.name} is published as open {shown}, but on this visit the door is open "
                             f"{hhmm(v.arrival_min)}-{hhmm(v.departure_min)}.")

    def check_total_distance(self) -> None:
        if not self.all_legs_known:
            return
        metres = sum(r.distance_m for r in self.recomputed)
        stated = self.plan.totals.distance_km * 1000.0
        if abs(stated - metres) > max(DISTANCE_TOLERANCE_M, DISTANCE_TOLERANCE_SHARE * metres):
            self.add(
                "total-distance", "", "",
                f"the plan states {stated / 1000:.3f} km in total; its routes add up to {metres / 1000:.3f} km.",
            )


def check_plan(scenario: Scenario, plan: Plan, matrix: TravelMatrix | None = None) -> CheckReport:
    """Every rule ``plan`` breaks under ``scenario``, and its recomputed KPIs.

    ``matrix`` must cover the depot (``DEPOT_ID``) and every stop by id; by
    default it is built from the scenario's ``[travel]`` settings, with a
    relative ``travel.matrix`` path taken from the scenario file's folder.
    """
    if matrix is None:
        base_dir = Path(scenario.source).parent if scenario.source else None
        matrix = scenario_matrix(scenario, base_dir)
    checker = _Checker(scenario, plan, matrix)
    seen: set[tuple[str, int, str]] = set()
    for route in plan.routes:
        checker.check_route(route, seen)
    checker.check_stops()
    checker.check_timetable()
    checker.check_total_distance()
    return CheckReport(checker.violations, compute_totals(checker.recomputed, scenario))


def format_report(report: CheckReport) -> str:
    """The recomputed KPIs, then every violation on its own line."""
    head = "Plan check: OK, no rule broken" if report.ok else f"Plan check: {len(report.violations)} violation(s)"
    lines = [head, "", "KPIs (recomputed)"]
    lines += [f"  {x}" for x in format_totals(report.totals)]
    if report.violations:
        lines += ["", "Violations"]
        lines += [f"  {v}" for v in report.violations]
    return "\n".join(lines) + "\n"
