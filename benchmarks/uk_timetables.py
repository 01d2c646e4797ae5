"""The published UK mobile-library timetables (LibrariesHacked "mobiles" data) as benchmark cases.

The files are read by the product's timetable importer
(:func:`routeplanner.io.timetable.read_timetable`: both column layouts,
``Mobile,Route,Community,Stop,...,Longitude,Latitude,Date,Day,Frequency,Start,End``
with ``Frequency`` in weeks or words, and ``...,geox,geoy,day,arrival,
departure,frequency,start,end`` with an iCal RRULE; times such as ``1030``,
``9.40``, ``14:5``), and the published plan is built by the product's
(:mod:`routeplanner.imported`: route-days in the weeks of their dates or the
first free week, legs from the travel model, the break in the longest wait),
so the benchmark measures the importer coordinators use.  What is the
benchmark's own is the scenario, which the data does not have:

* one Stop per published row (its frequency and its published door-open
  minutes; a stop published on several rows stays several stops), one
  Vehicle per van the published timetable needs (a mobile with two routes on
  one day gets a second van, ``"Norfolk (2)"``), the working days that appear
  in the data, a cycle of ``lcm`` of the frequencies (in weeks), and a
  **depot at the medoid** of the authority's stops (the stop with the
  smallest sum of great-circle distances to all stops) -- the data has no
  depot; the same depot is used for the published plan and the re-plan (see
  ``/work/shared/notes/uk-timetables.md``);
* each van's shift: the envelope of its published days.

Travel model: haversine x 1.3 at 45 km/h (the figure the UK notes use; the
product's default circuity is 1.35).

Where the product refuses a whole file, the benchmark leaves out the rows
it cannot use and reports them: every row the importer finds a problem in
(no coordinates, no day, no or impossible times, an unknown frequency),
coordinates outside Great Britain, coordinates shared by several different
communities (a geocoder's fallback point), a "not a public stop" row.
Warnings (kept rows): the importer's notes (a date on a different weekday
than the day column, "Monthly" taken as every 4 weeks, one-digit minutes,
times overlapping the previous stop), the same stop on several rows, a stop
far from every other stop of its route, and a frequency that contradicts
the route dates.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import reduce
from itertools import count
from pathlib import Path

import numpy as np

from routeplanner.imported import RouteDay, build_plan, overlaps, place, route_days
from routeplanner.io.stops import slugify
from routeplanner.io.timetable import TimetableRow, read_timetable
from routeplanner.model import (
    WEEKDAYS,
    Cycle,
    Frequency,
    Place,
    Plan,
    Scenario,
    SolverSettings,
    Stop,
    Travel,
    Vehicle,
)
from routeplanner.travel import EARTH_RADIUS_M, HaversineProvider, TravelMatrix, scenario_points

CIRCUITY = 1.3
SPEED_KMH = 45.0
#: A stop farther than this from every other stop of its published route is reported.
FAR_KM = 15.0
#: Great Britain and Northern Ireland, generously.
LAT_RANGE = (49.0, 61.5)
LON_RANGE = (-9.0, 2.5)
#: The same point given to stops of this many different communities is a geocoder fallback.
SHARED_POINT_COMMUNITIES = 3

@dataclass
class Issue:
    line: int | str | None  # row number as a spreadsheet shows it (header = 1); None: about the file
    kind: str  # "skipped" or "warning"
    what: str
    detail: str = ""


#: A row of a published timetable, as the product's importer reads it.
Row = TimetableRow


@dataclass
class Imported:
    authority: str
    path: Path
    layout: str
    rows: list[Row]
    issues: list[Issue]
    total_rows: int


@dataclass
class Case:
    """One authority, ready to check and re-plan."""

    imported: Imported
    scenario: Scenario
    matrix: TravelMatrix
    published: Plan
    depot_row: Row
    days: list[RouteDay]
    stop_of_row: dict[int, str]  # line -> stop id
    notes: list[str] = field(default_factory=list)


def haversine_km(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat = p2 - p1
    dlon = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M / 1000.0 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


# --- reading a file -------------------------------------------------------------------


def read_authority(path: str | Path, period_override: int | None = None, keep_suspect_points: bool = False,
                   far_km: float = FAR_KM, ignore_dates: bool = False) -> Imported:
    path = Path(path)
    table = read_timetable(path)
    if not table.columns:  # not a timetable at all: one problem about the file
        what = "; ".join(p.expected for p in table.problems)
        return Imported(path.stem, path, "unknown", [], [Issue(1, "skipped", "unknown column layout", what)],
                        table.total_rows)
    layout = "B (RRULE)" if table.title("lon").lower() == "geox" else "A (weeks)"
    issues: list[Issue] = []
    for line, problems in sorted(table.problem_rows().items(), key=lambda kv: kv[0] or 0):
        issues.append(Issue(line, "skipped", "; ".join(f"{p.column}: {p.value!r}, expected {p.expected}"
                                                        for p in problems)))
    for n in table.notes:
        issues.append(Issue(n.row, "warning", f"{n.column} {n.value!r} {n.note}"))
    rows: list[Row] = []
    for r in table.rows:
        if "not a public stop" in r.name.lower():
            issues.append(Issue(r.line, "skipped", "not a public stop", f"{r.label} (the library's own base?)"))
            continue
        if r.lat is None or r.lon is None:
            issues.append(Issue(r.line, "skipped", "no coordinates", r.label))
            continue
        if not (LAT_RANGE[0] <= r.lat <= LAT_RANGE[1] and LON_RANGE[0] <= r.lon <= LON_RANGE[1]):
            issues.append(Issue(r.line, "skipped", f"coordinates {r.lat:.4f}, {r.lon:.4f} outside Great Britain",
                                r.label))
            continue
        if not r.period_weeks:
            issues.append(Issue(r.line, "skipped", "no frequency", r.label))
            continue
        if period_override:
            r.period_weeks = period_override
        if ignore_dates:
            r.date = None
        r.vehicle = r.vehicle or path.stem
        r.route = r.route or "(no route)"
        rows.append(r)

    rows = _drop_shared_points(rows, issues, keep_suspect_points)
    _report_duplicates(rows, issues)
    _report_far(rows, issues, far_km)
    _report_period_vs_dates(rows, issues)
    return Imported(path.stem, path, layout, rows, issues, table.total_rows)


def _drop_shared_points(rows: list[Row], issues: list[Issue], keep: bool) -> list[Row]:
    by_point: dict[tuple[float, float], set[str]] = defaultdict(set)
    for r in rows:
        by_point[(round(r.lat, 5), round(r.lon, 5))].add(r.community.lower() or r.name.lower())
    suspect = {p for p, names in by_point.items() if len(names) >= SHARED_POINT_COMMUNITIES}
    if not suspect:
        return rows
    out = []
    for r in rows:
        p = (round(r.lat, 5), round(r.lon, 5))
        if p in suspect:
            what = (f"coordinates {p[0]}, {p[1]} shared by {len(by_point[p])} different communities "
                    "(a geocoder's fallback point?)")
            issues.append(Issue(r.line, "warning" if keep else "skipped", what, r.label))
            if not keep:
                continue
        out.append(r)
    return out


def _report_duplicates(rows: list[Row], issues: list[Issue]) -> None:
    seen: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        seen[r.name.lower()].append(r)
    for rs in seen.values():
        if len(rs) > 1:
            lines = ", ".join(str(r.line) for r in rs)
            issues.append(Issue(rs[0].line, "warning", f"the same stop on {len(rs)} rows (lines {lines}): "
                                "kept as separate stops", rs[0].label))


def _report_far(rows: list[Row], issues: list[Issue], far_km: float) -> None:
    by_route: dict[tuple[str, str, str], list[Row]] = defaultdict(list)
    for r in rows:
        by_route[(r.vehicle, r.route, r.day)].append(r)
    for (mobile, route, day), rs in by_route.items():
        if len(rs) < 2:
            continue
        lat = np.array([r.lat for r in rs])
        lon = np.array([r.lon for r in rs])
        d = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
        np.fill_diagonal(d, np.inf)
        nearest = d.min(axis=1)
        typical = float(np.median(nearest))
        for r, km in zip(rs, nearest):
            if km > far_km and km > 3 * typical:
                issues.append(Issue(r.line, "warning", f"far from the rest of its route: {km:.1f} km to the "
                                    f"nearest other stop of route {route} ({day}); typical {typical:.1f} km",
                                    r.label))


def _report_period_vs_dates(rows: list[Row], issues: list[Issue]) -> None:
    """Routes of one van on one weekday dated in more distinct weeks than the frequency allows."""
    groups: dict[tuple[str, str], dict[str, date]] = defaultdict(dict)
    periods: dict[tuple[str, str], int] = {}
    for r in rows:
        if r.date is not None:
            key = (r.vehicle, r.day)
            groups[key].setdefault(r.route, r.date)
            periods[key] = min(periods.get(key, r.period_weeks), r.period_weeks)
    by_date: dict[tuple[str, date], set[str]] = defaultdict(set)
    for r in rows:
        if r.date is not None:
            by_date[(r.vehicle, r.date)].add(r.route)
    for (mobile, when), routes_on in sorted(by_date.items()):
        if len(routes_on) > 1:
            issues.append(Issue(None, "warning",
                                f"{mobile}: {len(routes_on)} different routes dated {when.isoformat()}; each needs "
                                "its own van on that day (or the date is not the route's date: see --ignore-dates)"))
    for key, routes in groups.items():
        weeks = sorted({_monday(d) for d in routes.values()})
        if len(weeks) > periods[key] and len(routes) > periods[key]:
            span = f"{weeks[0].isoformat()} ... {weeks[-1].isoformat()}"
            issues.append(Issue(None, "warning",
                                f"{key[0]} {key[1]}: {len(routes)} routes dated in {len(weeks)} different weeks "
                                f"({span}) but the frequency says every {periods[key]} week(s); the published "
                                f"frequency may be wrong (see --period)"))


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


# --- building the scenario and the published plan ------------------------------------------


def medoid(rows: list[Row]) -> Row:
    """The row whose point has the smallest sum of great-circle distances to all rows' points."""
    lat = np.array([r.lat for r in rows])
    lon = np.array([r.lon for r in rows])
    d = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    return rows[int(np.argmin(d.sum(axis=1)))]


def _vans(mobile: str):
    """The vans a mobile may need, as many as it takes: "Norfolk", "Norfolk (2)", ..."""
    yield mobile
    for k in count(2):
        yield f"{mobile} ({k})"


def build_case(imp: Imported, keep_weekdays: bool = False, break_minutes: int = 45, break_after_minutes: int = 270,
               capacity_books: int = 3000, circuity: float = CIRCUITY, speed_kmh: float = SPEED_KMH,
               stable_minutes: int = 15, time_limit_s: float = 60.0) -> Case:
    rows = imp.rows
    if not rows:
        raise ValueError(f"{imp.authority}: no usable rows")
    weeks = reduce(math.lcm, {r.period_weeks for r in rows}, 1)
    day_set = {r.day for r in rows}
    days = tuple(d for d in WEEKDAYS if d in day_set)
    depot_row = medoid(rows)
    depot = Place(f"medoid: {depot_row.label}", depot_row.lat, depot_row.lon)

    # Stops: one per row, ids from the names, made unique.
    used: Counter[str] = Counter()
    stops: list[Stop] = []
    stop_of_row: dict[int, str] = {}
    for r in rows:
        base = slugify(r.label) or f"row-{r.line}"
        used[base] += 1
        sid = base if used[base] == 1 else f"{base}-{used[base]}"
        stop_of_row[r.line] = sid
        stops.append(Stop(
            id=sid, name=r.label, lat=r.lat, lon=r.lon, loans_per_visit=0.0,
            frequency=Frequency(period_weeks=r.period_weeks), service_min=r.departure_min - r.arrival_min,
            days=(r.day,) if keep_weekdays else (),
        ))
    travel = Travel(method="haversine", circuity=circuity, speed_kmh=speed_kmh)
    cycle = Cycle(weeks, days)

    # Published route days, placed in the cycle by the product's rules (a route day runs in
    # the week of its date, counted from the Monday of the earliest date in the file, or in
    # the first week its van is free); a mobile's route that finds its van busy gets another van.
    pdays = route_days(rows)
    place(pdays, weeks, _vans)
    vans_of: dict[str, list[str]] = defaultdict(list)
    for p in pdays:
        if p.van not in vans_of[p.vehicle]:
            vans_of[p.vehicle].append(p.van)
    notes: list[str] = []
    extra = {m: len(v) for m, v in vans_of.items() if len(v) > 1}
    if extra:
        notes.append("more than one van needed for " + ", ".join(f"{m}: {n}" for m, n in extra.items()) +
                     " (routes of one mobile at the same time)")
    for n in overlaps(pdays, str(imp.path)):  # published times that overlap are a data error worth knowing
        prev = n.note.removeprefix("opens before the previous stop of the route closes ")
        imp.issues.append(Issue(n.row, "warning", f"opens {n.value}, before the previous stop of its route closes "
                                f"{prev}"))

    # The vans' shifts come from their published days: first a scenario whose vans have the
    # break rule and no shift, for the plan; then each van's shift is the envelope of its days.
    draft = [Vehicle(name, capacity_books, 0, 24 * 60, break_minutes, break_after_minutes)
             for mobile in sorted(vans_of) for name in vans_of[mobile]]
    scenario = Scenario(
        name=f"{imp.authority} (published stops)", depot=depot, vehicles=tuple(draft), stops=tuple(stops),
        cycle=cycle, travel=travel,
        solver=SolverSettings(time_limit_s=time_limit_s, stable_minutes=stable_minutes), source=str(imp.path),
    )
    matrix = HaversineProvider(circuity, speed_kmh).matrix(scenario_points(scenario))
    by_id = {s.id: s for s in stops}
    published = build_plan(scenario, pdays, lambda r: by_id[stop_of_row[r.line]], matrix,
                           solver="published timetable")
    vehicles = []
    for v in draft:
        mine = [r for r in published.routes if r.vehicle == v.name]
        vehicles.append(Vehicle(
            name=v.name, capacity_books=capacity_books,
            shift_start_min=min(r.start_min for r in mine), shift_end_min=max(r.end_min for r in mine),
            break_minutes=break_minutes, break_after_minutes=break_after_minutes,
        ))
    scenario = Scenario(
        name=scenario.name, depot=depot, vehicles=tuple(vehicles), stops=tuple(stops), cycle=cycle, travel=travel,
        solver=scenario.solver, source=scenario.source,
    )
    return Case(imp, scenario, matrix, published, depot_row, pdays, stop_of_row, notes)


def route_days_used(plan: Plan) -> int:
    return sum(1 for r in plan.routes if r.visits)


def duty_hours(plan: Plan) -> float:
    return sum(r.end_min - r.start_min for r in plan.routes if r.visits) / 60.0


def aggregate(issues: list[Issue], threshold: int = 3) -> list[Issue]:
    """Identical findings on more than ``threshold`` rows shown once, with their row numbers."""
    groups: dict[tuple[str, str], list[Issue]] = defaultdict(list)
    for i in issues:
        groups[(i.kind, i.what)].append(i)
    out: list[Issue] = []
    done: set[tuple[str, str]] = set()
    for i in issues:
        key = (i.kind, i.what)
        if key in done:
            continue
        g = groups[key]
        if len(g) <= threshold:
            out.extend(g)
        else:
            lines = [x.line for x in g if x.line is not None]
            shown = ", ".join(str(n) for n in lines[:12]) + (", ..." if len(lines) > 12 else "")
            names = "; ".join(x.detail for x in g[:5]) + ("; ..." if len(g) > 5 else "")
            out.append(Issue(f"{len(g)} rows: {shown}", i.kind, i.what, names))  # type: ignore[arg-type]
        done.add(key)
    return out
