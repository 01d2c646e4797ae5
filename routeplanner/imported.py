"""A library's current timetable as a plan of its scenario.

The rows of a timetable file (:mod:`routeplanner.io.timetable`) say which stop
the bookmobile serves on which weekday, in which weeks, from when to when,
with which van.  :func:`import_timetable` matches them to the scenario's
stops and vans, places every route-day in the weeks of the cycle, and builds
the :class:`~routeplanner.model.Plan` the timetable is: legs and km from the
scenario's travel model, the van leaving the depot just in time for the
first stop and back after the last, the driver's break in the day's longest
wait when the day is long enough to need one.  Nothing is changed or
optimised: the plan is what the library does today, for
:func:`routeplanner.checker.check_plan` to judge, for the compare page, and
as the base of a re-plan.

Rules, in the order they apply:

* **stops**: a row's ``stop_id`` names a stop of the scenario; else its name
  does (case and accents aside), with its coordinates choosing among stops of
  one name; else its coordinates, within :data:`MATCH_M` of one stop.  When
  the stops table has several stops of one name on one spot (a stop served
  by two routes, kept as two stops), the rows of that name are given to them
  in turn.  A stop of the scenario that no row names is listed as unserved.
* **weeks**: ``weeks`` as given; else every ``frequency`` weeks, in the week
  of the row's ``date`` (counted from the cycle's start date, or from the
  earliest date in the file), else in the first week its van is free that
  weekday; else every week.
* **route-days**: the rows of one vehicle, route and weekday (and dated week)
  run together; route-days are placed dated first, then by weekday and route.
* **vans**: ``vehicle`` names a van of the scenario; without it, each
  route-day goes to the first van free on its days.  One van drives one
  route at a time: two routes of one van on the same day are an error.

Every problem of the file and of the matching is raised at once, as one
:class:`~routeplanner.errors.InputError`; nothing is half-imported.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable, Iterable, Sequence

from routeplanner import dates
from routeplanner.errors import InputError, Problem
from routeplanner.io.stops import fold
from routeplanner.io.timetable import Note, Timetable, TimetableRow
from routeplanner.limits import MAX_VISITS_PER_CYCLE
from routeplanner.model import (
    WEEKDAYS,
    Break,
    Plan,
    Route,
    Scenario,
    SolveInfo,
    Stop,
    Unserved,
    Visit,
    hhmm,
)
from routeplanner.totals import compute_totals
from routeplanner.travel import DEPOT_ID, EARTH_RADIUS_M, TravelMatrix, scenario_matrix

#: A row's coordinates match a stop of the scenario this close (metres).
MATCH_M = 150.0
#: How the plan says where it came from (``info.solver``).
SOLVER = "imported timetable"
#: The reason given for a stop of the scenario that the timetable does not visit.
NOT_IN_TIMETABLE = "not in the imported timetable"


# --- route-days and the weeks they run in -------------------------------------------


@dataclass
class RouteDay:
    """The rows of one vehicle, route and weekday that run together, placed in the cycle."""

    vehicle: str  # as the file names it; "" for any van
    route: str
    day: str
    rows: list[TimetableRow]  # by opening time
    dated: bool  # its week comes from a date
    week: int | None = None  # 0-based week of its date, counted from the reference Monday
    period: int = 1  # the shortest period of its rows (weeks)
    offset: int = 0  # chosen: the first week (0-based) it runs in
    van: str = ""  # chosen: the van that drives it

    @property
    def fixed(self) -> bool:
        """Whether the weeks are given (dates or explicit weeks): nothing to choose but the van."""
        return self.dated or all(r.weeks for r in self.rows)

    def offsets(self) -> list[int]:
        if self.dated:
            return [self.week % self.period]
        if self.fixed:
            return [0]
        return list(range(self.period))

    def visits(self, row: TimetableRow, week: int, offset: int | None = None) -> bool:
        """Whether ``row`` is served in ``week`` (0-based) with the route-day starting at ``offset``."""
        off = self.offset if offset is None else offset
        if row.weeks:
            return week + 1 in row.weeks
        period = row.period_weeks or 1
        return week >= off and (week - off) % self.period == 0 and (week - off) % period == 0

    def weeks(self, cycle_weeks: int, offset: int | None = None) -> list[int]:
        """The 0-based weeks it runs in."""
        return [w for w in range(cycle_weeks) if any(self.visits(r, w, offset) for r in self.rows)]

    @property
    def lines(self) -> str:
        return ", ".join(str(r.line) for r in self.rows[:8]) + (", ..." if len(self.rows) > 8 else "")


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _natural(text: str) -> list:
    """``"A10"`` after ``"A9"``: numbers in names compare as numbers."""
    # re.split with a group alternates text and digits, so the lists compare item by item.
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", text)]


def route_days(rows: Iterable[TimetableRow], start: date | None = None) -> list[RouteDay]:
    """The rows grouped into route-days, in the order they are placed (dated ones first).

    A row's date puts it in the week counted from ``start``'s Monday (the
    cycle's start date), or from the Monday of the earliest date in the rows;
    rows of a route without a date go with the route's first dated week.
    """
    rows = list(rows)
    dated = [r.date for r in rows if r.date is not None]
    ref = _monday(start) if start is not None else (_monday(min(dated)) if dated else None)
    by_route: dict[tuple[str, str, str], list[TimetableRow]] = defaultdict(list)
    for r in rows:
        by_route[(r.vehicle, r.route, r.day)].append(r)
    groups: dict[tuple[str, str, str, int | None], list[TimetableRow]] = defaultdict(list)
    for (vehicle, route, day), rs in by_route.items():
        week_of = {r.line: (_monday(r.date) - ref).days // 7 for r in rs if r.date is not None and r.period_weeks}
        first = min(week_of.values()) if week_of else None
        for r in rs:
            groups[(vehicle, route, day, week_of.get(r.line, first) if not r.weeks else None)].append(r)
    out = []
    for (vehicle, route, day, week), rs in groups.items():
        periods = [r.period_weeks or 1 for r in rs if not r.weeks]
        out.append(RouteDay(vehicle, route, day, sorted(rs, key=lambda r: (r.arrival_min, r.line)),
                            dated=week is not None, week=week, period=min(periods) if periods else 1))
    out.sort(key=lambda g: (g.vehicle, not g.fixed, WEEKDAYS.index(g.day), _natural(g.route)))
    return out


@dataclass
class Clash:
    """A route-day that found no van free: ``busy`` are the route-days in its way."""

    route_day: RouteDay
    busy: list[RouteDay]


def place(days: Sequence[RouteDay], cycle_weeks: int, vans: Callable[[str], Iterable[str]]) -> list[Clash]:
    """Choose each route-day's first week and van, in order: the first van of ``vans(vehicle)`` with
    a free first week (of the route-day's choices, earliest first).  Returns the route-days that fit nowhere."""
    busy: dict[str, dict[tuple[int, str], RouteDay]] = defaultdict(dict)
    clashes = []
    for g in days:
        in_way: list[RouteDay] = []
        placed = False
        for van in vans(g.vehicle):
            for off in g.offsets():
                slots = {(w, g.day) for w in g.weeks(cycle_weeks, off)}
                taken = [busy[van][s] for s in slots if s in busy[van]]
                if not taken:
                    g.offset, g.van, placed = off, van, True
                    busy[van].update({s: g for s in slots})
                    break
                in_way += [t for t in taken if t not in in_way]
            if placed:
                break
        if not placed:
            clashes.append(Clash(g, in_way))
    return clashes


# --- from placed route-days to the plan ------------------------------------------------


def _longest_wait_break(route: Route, legs: list[float], minutes: int) -> list[Break]:
    """A break at the start of the day's longest wait that can hold it (none if no wait can):
    where a published timetable leaves the driver time to rest."""
    leave = [route.start_min] + [v.departure_min for v in route.visits]
    reach = [v.arrival_min for v in route.visits] + [route.end_min]
    best, best_idle = None, -1.0
    for j in range(len(leave)):
        idle = reach[j] - leave[j] - legs[j]
        # Published times may overlap: a break must not fall into any visit.
        clash = any(leave[j] < v.departure_min and leave[j] + minutes > v.arrival_min for v in route.visits)
        if idle >= minutes and idle > best_idle and not clash:
            best, best_idle = j, idle
    return [] if best is None else [Break(leave[best], minutes)]


def overlaps(days: Iterable[RouteDay], file: str) -> list[Note]:
    """Rows that open before the previous stop of their route closes: a slip in the timetable."""
    notes = []
    for g in days:
        for a, b in zip(g.rows, g.rows[1:]):
            if b.arrival_min < a.departure_min:
                notes.append(Note(file, b.line, "arrival", hhmm(b.arrival_min),
                                  f"opens before the previous stop of the route closes (row {a.line}, "
                                  f"{hhmm(a.departure_min)})"))
    return notes


def build_plan(scenario: Scenario, days: Sequence[RouteDay], stop_of: Callable[[TimetableRow], Stop],
               matrix: TravelMatrix | None = None, *, solver: str = SOLVER,
               unserved: Sequence[Unserved] = ()) -> Plan:
    """The plan of placed route-days: each week a route-day runs in is a route of its van."""
    if matrix is None:
        matrix = scenario_matrix(scenario, _base_dir(scenario))
    index = {pid: i for i, pid in enumerate(matrix.ids)}
    vehicles = {v.name: v for v in scenario.vehicles}

    def leg(a: str, b: str) -> tuple[float, float]:
        i, j = index[a], index[b]
        return float(matrix.distance_m[i, j]), float(matrix.drive_min[i, j])

    routes: list[Route] = []
    weeks = scenario.cycle.weeks
    for g in days:
        for w in g.weeks(weeks):
            rows = [r for r in g.rows if g.visits(r, w)]
            stops = [stop_of(r) for r in rows]
            places = [DEPOT_ID] + [s.id for s in stops] + [DEPOT_ID]
            legs = [leg(a, b) for a, b in zip(places, places[1:])]
            visits = [Visit(s.id, s.name, s.lat, s.lon, r.arrival_min, r.departure_min, s.loans_per_visit,
                            metres, minutes)
                      for r, s, (metres, minutes) in zip(rows, stops, legs)]
            route = Route(
                vehicle=g.van, week=w + 1, day=g.day, depot=scenario.depot,
                # The van leaves just in time for the first stop, and is back as soon as it can be.
                start_min=int(math.floor(rows[0].arrival_min - legs[0][1] + 1e-9)),
                end_min=int(math.ceil(rows[-1].departure_min + legs[-1][1] - 1e-9)),
                visits=visits, distance_m=sum(m for m, _ in legs), drive_min=sum(t for _, t in legs),
                date=dates.first_date(scenario.cycle, w + 1, g.day),
            )
            van = vehicles.get(g.van)
            if van is not None and van.break_minutes > 0 and route.end_min - route.start_min > van.break_after_minutes:
                route.breaks = _longest_wait_break(route, [t for _, t in legs], van.break_minutes)
            routes.append(route)
    routes.sort(key=lambda r: (r.week, WEEKDAYS.index(r.day), r.vehicle))
    return Plan(scenario=scenario.name, cycle=scenario.cycle, travel=scenario.travel, routes=routes,
                unserved=list(unserved), totals=compute_totals(routes, scenario), info=SolveInfo(solver=solver))


def _base_dir(scenario: Scenario):
    from pathlib import Path

    return Path(scenario.source).parent if scenario.source else None


# --- matching a file to a scenario -------------------------------------------------------


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


@dataclass
class _Matcher:
    scenario: Scenario
    table: Timetable
    problems: list[Problem] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.by_id = {s.id: s for s in self.scenario.stops}
        self.by_name: dict[str, list[Stop]] = defaultdict(list)
        for s in self.scenario.stops:
            self.by_name[fold(s.name)].append(s)
        self.turns: dict[tuple[str, ...], list[TimetableRow]] = defaultdict(list)

    def bad(self, row: TimetableRow, column: str, value: str, expected: str) -> None:
        self.problems.append(Problem(self.table.file, row.line, self.table.title(column), value, expected))

    def near(self, row: TimetableRow, stops: Iterable[Stop]) -> list[Stop]:
        return [s for s in stops if _metres(row.lat, row.lon, s.lat, s.lon) <= MATCH_M]

    def candidates(self, row: TimetableRow) -> list[Stop] | None:
        """The stops ``row`` may mean (several: one each in turn); None when it names none (reported)."""
        if row.stop_id:
            if row.stop_id in self.by_id:
                return [self.by_id[row.stop_id]]
            self.bad(row, "stop_id", row.stop_id, "the id of a stop in the scenario's stops table")
            return None
        has_point = row.lat is not None and row.lon is not None
        named = self.by_name.get(fold(row.name), []) if row.name else []
        if named:
            close = self.near(row, named) if has_point else named
            return close or named
        if has_point:
            close = sorted(self.near(row, self.scenario.stops), key=lambda s: _metres(row.lat, row.lon, s.lat, s.lon))
            if close:
                if row.name:
                    self.notes.append(Note(self.table.file, row.line, self.table.title("stop"), row.name,
                                           f"matched by its coordinates to the stop {close[0].name!r} "
                                           f"(id {close[0].id!r})"))
                return close[:1]
        if row.name:
            where = f" or a stop within {MATCH_M:.0f} m of {row.lat}, {row.lon}" if has_point else ""
            self.bad(row, "stop", row.name, f"the name of a stop in the scenario's stops table{where}")
        else:
            self.bad(row, "lat", f"{row.lat}, {row.lon}", f"the coordinates of a stop of the scenario (within "
                     f"{MATCH_M:.0f} m)")
        return None

    def match(self, rows: Sequence[TimetableRow]) -> dict[int, Stop]:
        found: dict[int, Stop] = {}
        for row in rows:
            stops = self.candidates(row)
            if stops is None:
                continue
            if len(stops) == 1:
                found[row.line] = stops[0]
            else:
                self.turns[tuple(s.id for s in stops)].append(row)
        for ids, rs in self.turns.items():
            if len(rs) == len(ids):
                found.update({r.line: self.by_id[i] for r, i in zip(rs, ids)})
                continue
            for r in rs:
                self.bad(r, "stop", r.name,
                         f"one stop: the scenario has {len(ids)} stops of this name on this spot "
                         f"(ids {', '.join(ids)}) and the timetable {len(rs)} rows of it; "
                         "give each row its stop's id (column stop_id)")
        return found


def _week_problems(table: Timetable, rows: Sequence[TimetableRow], scenario: Scenario) -> list[Problem]:
    weeks = scenario.cycle.weeks
    problems = []
    for r in rows:
        if r.weeks and max(r.weeks) > weeks:
            problems.append(Problem(table.file, r.line, table.title("weeks"), ";".join(map(str, r.weeks)),
                                    f"weeks of the scenario's {weeks}-week cycle, 1 to {weeks}"))
        if r.period_weeks and weeks % r.period_weeks:
            fits = ", ".join(str(p) for p in range(1, weeks + 1) if weeks % p == 0)
            problems.append(Problem(table.file, r.line, table.title("frequency"), f"every {r.period_weeks} weeks",
                                    f"a period the scenario's {weeks}-week cycle holds: every {fits} week(s)"))
    return problems


@dataclass
class Imported:
    """A timetable imported as a plan, and the readings it made that are worth a look."""

    plan: Plan
    notes: list[Note]


def import_timetable(scenario: Scenario, table: Timetable, *, matrix: TravelMatrix | None = None) -> Imported:
    """The plan ``table`` is, in ``scenario``'s terms; :class:`InputError` with every problem of the
    file, of its stops and vans, and of the route-days no van can drive."""
    rows = table.rows
    problems = list(table.problems)
    problems += _week_problems(table, rows, scenario)
    matcher = _Matcher(scenario, table)
    stop_of_line = matcher.match(rows)
    problems += matcher.problems
    vans = [v.name for v in scenario.vehicles]
    usable = []
    for r in rows:
        if r.vehicle and r.vehicle not in vans:
            problems.append(Problem(table.file, r.line, table.title("vehicle"), r.vehicle,
                                    f"a van of the scenario: {', '.join(vans)}"))
        elif r.line in stop_of_line:
            usable.append(r)
    if problems:
        raise InputError(problems)
    days = route_days(usable, scenario.cycle.start_date)
    visits = sum(len(g.weeks(scenario.cycle.weeks)) * len(g.rows) for g in days)
    if visits > MAX_VISITS_PER_CYCLE:
        raise InputError([Problem(table.file, None, "", f"{visits:,} visits",
                                  f"at most {MAX_VISITS_PER_CYCLE:,} visits in the cycle")])
    clashes = place(days, scenario.cycle.weeks, lambda vehicle: [vehicle] if vehicle else vans)
    for c in clashes:
        g = c.route_day
        van = g.vehicle or "any van"
        others = "; ".join(f"{o.van} drives {('route ' + repr(o.route) + ', rows') if o.route else 'rows'} "
                           f"{o.lines} in week(s) {', '.join(str(w + 1) for w in o.weeks(scenario.cycle.weeks))}"
                           for o in c.busy[:3])
        what = f"route {g.route!r} ({g.day}, rows {g.lines})" if g.route else f"the {g.day} rows {g.lines}"
        problems.append(Problem(
            table.file, g.rows[0].line, table.title("vehicle" if g.vehicle else "day"), van,
            f"a van free for {what}: one van drives one route a day, and {others}",
        ))
    if problems:
        raise InputError(problems)
    served = {s.id for s in stop_of_line.values()}
    unserved = [Unserved(s.id, s.name, s.frequency.visits_per_cycle(scenario.cycle.weeks), NOT_IN_TIMETABLE)
                for s in scenario.stops if s.id not in served]
    plan = build_plan(scenario, days, lambda r: stop_of_line[r.line], matrix, unserved=unserved)
    return Imported(plan, table.notes + matcher.notes + overlaps(days, table.file))
