"""Importer for the published UK mobile-library timetables (LibrariesHacked "mobiles" data).

Two column layouts (see ``/work/shared/README.md``):

* A: ``Mobile,Route,Community,Stop,Address,Longitude,Latitude,Date,Day,Frequency,Start,End,Timetable``
  -- ``Frequency`` in weeks (``2``) or a word (``Monthly``, ``fortnightly``),
  ``Start``/``End`` the published opening times, ``Date`` one date the route runs;
* B: ``organisation,mobile,route,community,stop,address,postcode,geox,geoy,day,arrival,departure,frequency,start,end,timetable``
  -- ``frequency`` an iCal RRULE (``FREQ=WEEKLY;INTERVAL=2``), ``start`` the
  first date, ``geox``/``geoy`` longitude/latitude.

Columns are found by name, in any order and case.  Times may be ``10:30``,
``9:40``, ``9.40``, ``1030`` or ``09:40:00``; a one-digit minute (``14:5``)
is read as tens (``14:50``, a lost trailing zero) and reported.

Each file (one authority) becomes:

* a routeplanner **Scenario**: one Stop per published row (its frequency and
  its published door-open minutes; a stop published on several rows stays
  several stops), one Vehicle per van the published timetable needs, the
  working days that appear in the data, a cycle of ``lcm`` of the frequencies
  (in weeks), and a **depot at the medoid** of the authority's stops (the
  stop with the smallest sum of great-circle distances to all stops) -- the
  data has no depot; the same depot is used for the published plan and the
  re-plan (see ``/work/shared/notes/uk-timetables.md``);
* the published timetable as a routeplanner **Plan**: each published route
  day runs in the weeks its date (or, without a date, the first free week)
  and frequency give; visits at their published times; legs, km and drive
  minutes from the travel matrix; a break in the longest idle gap when the
  day is longer than the break rule allows.

Travel model: haversine x 1.3 at 45 km/h (the figure the UK notes use; the
product's default circuity is 1.35).

Rows that cannot be used are skipped and reported, never fatal: no or
unparseable coordinates, coordinates outside Great Britain, coordinates
shared by several different communities (a geocoder's fallback point), no
day, no or impossible times, an unknown frequency, a "not a public stop" row.
Warnings (kept rows): a date on a different weekday than the day column,
"Monthly" taken as every 4 weeks, one-digit minutes, the same stop on
several rows, a stop far from every other stop of its route, and a frequency
that contradicts the route dates.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import reduce
from pathlib import Path

import numpy as np

from routeplanner.io.stops import parse_frequency, parse_weekday, slugify
from routeplanner.model import (
    WEEKDAYS,
    Break,
    Cycle,
    Frequency,
    Place,
    Plan,
    Route,
    Scenario,
    SolveInfo,
    SolverSettings,
    Stop,
    Travel,
    Vehicle,
    Visit,
)
from routeplanner.totals import compute_totals
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

LAYOUT_A = ("mobile", "route", "community", "stop", "longitude", "latitude", "day", "frequency", "start", "end")
LAYOUT_B = ("mobile", "route", "community", "stop", "geox", "geoy", "day", "arrival", "departure", "frequency")


@dataclass
class Issue:
    line: int | str | None  # row number as a spreadsheet shows it (header = 1); None: about the file
    kind: str  # "skipped" or "warning"
    what: str
    detail: str = ""


@dataclass
class Row:
    line: int
    mobile: str
    route: str
    community: str
    stop: str
    lat: float
    lon: float
    day: str  # Mon..Sun
    date: date | None
    period: int  # weeks
    arrival: int  # minutes after midnight
    departure: int

    @property
    def label(self) -> str:
        return f"{self.community} / {self.stop}" if self.community and self.stop else (self.stop or self.community)


@dataclass
class Imported:
    authority: str
    path: Path
    layout: str
    rows: list[Row]
    issues: list[Issue]
    total_rows: int


@dataclass
class PublishedDay:
    """One published route day, placed in the cycle."""

    mobile: str
    route: str
    day: str
    period: int
    offset: int  # first week of the cycle it runs in, 0-based
    rows: list[Row]
    vehicle: str = ""
    dated: bool = False


@dataclass
class Case:
    """One authority, ready to check and re-plan."""

    imported: Imported
    scenario: Scenario
    matrix: TravelMatrix
    published: Plan
    depot_row: Row
    days: list[PublishedDay]
    stop_of_row: dict[int, str]  # line -> stop id
    notes: list[str] = field(default_factory=list)


# --- parsing cells ----------------------------------------------------------------

_TIME = re.compile(r"(\d{1,2})\s*[:.]\s*(\d{1,2})(?::\d{2})?")


def parse_time_cell(text: str) -> tuple[int, str]:
    """Minutes after midnight and a warning ('' when none).  Raises ValueError."""
    s = text.strip().lower().replace("am", "").replace("pm", "").strip()
    if not s:
        raise ValueError("no time")
    warn = ""
    m = _TIME.fullmatch(s)
    if m:
        h, mm = m.group(1), m.group(2)
        if len(mm) == 1:
            warn = f"one-digit minute {text.strip()!r} read as {int(h):02d}:{mm}0"
            mm = mm + "0"
    elif s.isdigit() and len(s) in (3, 4):  # 1030, 930
        h, mm = s[:-2], s[-2:]
    elif s.isdigit() and len(s) <= 2:  # 10 -> 10:00
        h, mm = s, "00"
    else:
        raise ValueError(f"not a time: {text!r}")
    hours, minutes = int(h), int(mm)
    if hours > 23 or minutes > 59:
        raise ValueError(f"not a time: {text!r}")
    return hours * 60 + minutes, warn


def parse_period(text: str) -> tuple[int, str]:
    """Weeks between visits and a warning.  ``2``, ``Monthly``, ``FREQ=WEEKLY;INTERVAL=2``.  Raises ValueError."""
    s = text.strip()
    if not s:
        raise ValueError("no frequency")
    if "=" in s:
        parts = dict(p.split("=", 1) for p in s.upper().replace("RRULE:", "").split(";") if "=" in p)
        freq = parts.get("FREQ", "")
        interval = int(parts.get("INTERVAL", "1") or 1)
        if freq == "WEEKLY":
            return interval, ""
        if freq == "MONTHLY":
            return 4 * interval, f"{s} taken as every {4 * interval} weeks"
        raise ValueError(f"unsupported RRULE {s!r}")
    try:
        weeks = float(s.replace(",", "."))
        if weeks >= 1 and weeks.is_integer():
            return int(weeks), ""
        raise ValueError(f"not a whole number of weeks: {s!r}")
    except ValueError:
        pass
    freq = parse_frequency(s)  # the product's words: weekly, fortnightly, monthly (= 4-weekly) ...
    if freq.period_weeks is None:
        raise ValueError(f"not a frequency in weeks: {s!r}")
    warn = f"{s!r} taken as every {freq.period_weeks} weeks" if "month" in s.lower() else ""
    return freq.period_weeks, warn


def parse_date_cell(text: str) -> date | None:
    s = text.strip()
    if not s:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d"):
        try:
            from datetime import datetime

            return datetime.strptime(s[:10], fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r}")


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
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        try:
            head = next(reader)
        except StopIteration:
            return Imported(path.stem, path, "empty", [], [Issue(None, "skipped", "empty file")], 0)
        cols = {h.strip().lower(): i for i, h in enumerate(head)}
        body = list(reader)
    if all(c in cols for c in LAYOUT_B):
        layout = "B (RRULE)"
        names = dict(lon="geox", lat="geoy", arrival="arrival", departure="departure", date="start")
    elif all(c in cols for c in LAYOUT_A):
        layout = "A (weeks)"
        names = dict(lon="longitude", lat="latitude", arrival="start", departure="end", date="date")
    else:
        missing_a = [c for c in LAYOUT_A if c not in cols]
        return Imported(path.stem, path, "unknown", [], [
            Issue(1, "skipped", "unknown column layout", f"missing {', '.join(missing_a)}")], len(body))

    def cell(rec: list[str], name: str) -> str:
        i = cols.get(name)
        return rec[i].strip() if i is not None and i < len(rec) else ""

    issues: list[Issue] = []
    rows: list[Row] = []
    for n, rec in enumerate(body, start=2):
        if not any(c.strip() for c in rec):
            continue
        community, stop = cell(rec, "community"), cell(rec, "stop")
        label = f"{community} / {stop}".strip(" /")
        text = " ".join([community, stop, cell(rec, "address")]).lower()
        if "not a public stop" in text:
            issues.append(Issue(n, "skipped", "not a public stop", f"{label} (the library's own base?)"))
            continue
        problems, warns = [], []
        try:
            lon, lat = float(cell(rec, names["lon"])), float(cell(rec, names["lat"]))
            if not (LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]):
                problems.append(f"coordinates {lat:.4f}, {lon:.4f} outside Great Britain")
        except ValueError:
            lat = lon = math.nan
            problems.append(f"no coordinates ({cell(rec, names['lat'])!r}, {cell(rec, names['lon'])!r})")
        try:
            day = parse_weekday(cell(rec, "day"))
        except ValueError:
            day = ""
            problems.append(f"no weekday ({cell(rec, 'day')!r})")
        times = []
        for key in ("arrival", "departure"):
            try:
                t, w = parse_time_cell(cell(rec, names[key]))
                times.append(t)
                if w:
                    warns.append(w)
            except ValueError:
                problems.append(f"no {key} time ({cell(rec, names[key])!r})")
        if len(times) == 2 and times[1] <= times[0]:
            problems.append(f"departure {cell(rec, names['departure'])} not after arrival {cell(rec, names['arrival'])}")
        try:
            period, w = parse_period(cell(rec, "frequency"))
            if w:
                warns.append(w)
        except ValueError as exc:
            period = 0
            problems.append(f"frequency: {exc}")
        if period_override:
            period = period_override
        try:
            when = None if ignore_dates else parse_date_cell(cell(rec, names["date"]))
        except ValueError:
            when = None
            warns.append(f"unreadable date {cell(rec, names['date'])!r} ignored")
        if when is not None and day and WEEKDAYS[when.weekday()] != day:
            warns.append(f"date {when.isoformat()} is a {WEEKDAYS[when.weekday()]}, the day column says {day}: "
                         "date not used to place the route")
            when = None
        if problems:
            issues.append(Issue(n, "skipped", "; ".join(problems), label))
            continue
        for w in warns:
            issues.append(Issue(n, "warning", w, label))
        rows.append(Row(n, cell(rec, "mobile") or path.stem, cell(rec, "route") or "(no route)", community, stop,
                        lat, lon, day, when, period, times[0], times[1]))

    rows = _drop_shared_points(rows, issues, keep_suspect_points)
    _report_duplicates(rows, issues)
    _report_far(rows, issues, far_km)
    _report_period_vs_dates(rows, issues)
    return Imported(path.stem, path, layout, rows, issues, len(body))


def _drop_shared_points(rows: list[Row], issues: list[Issue], keep: bool) -> list[Row]:
    by_point: dict[tuple[float, float], set[str]] = defaultdict(set)
    for r in rows:
        by_point[(round(r.lat, 5), round(r.lon, 5))].add(r.community.lower() or r.stop.lower())
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
    seen: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for r in rows:
        seen[(r.community.lower(), r.stop.lower())].append(r)
    for rs in seen.values():
        if len(rs) > 1:
            lines = ", ".join(str(r.line) for r in rs)
            issues.append(Issue(rs[0].line, "warning", f"the same stop on {len(rs)} rows (lines {lines}): "
                                "kept as separate stops", rs[0].label))


def _report_far(rows: list[Row], issues: list[Issue], far_km: float) -> None:
    by_route: dict[tuple[str, str, str], list[Row]] = defaultdict(list)
    for r in rows:
        by_route[(r.mobile, r.route, r.day)].append(r)
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
            key = (r.mobile, r.day)
            groups[key].setdefault(r.route, r.date)
            periods[key] = min(periods.get(key, r.period), r.period)
    by_date: dict[tuple[str, date], set[str]] = defaultdict(set)
    for r in rows:
        if r.date is not None:
            by_date[(r.mobile, r.date)].add(r.route)
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


def _natural(text: str) -> list:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", text)]


def medoid(rows: list[Row]) -> Row:
    """The row whose point has the smallest sum of great-circle distances to all rows' points."""
    lat = np.array([r.lat for r in rows])
    lon = np.array([r.lon for r in rows])
    d = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    return rows[int(np.argmin(d.sum(axis=1)))]


def build_case(imp: Imported, keep_weekdays: bool = False, break_minutes: int = 45, break_after_minutes: int = 270,
               capacity_books: int = 3000, circuity: float = CIRCUITY, speed_kmh: float = SPEED_KMH,
               stable_minutes: int = 15, time_limit_s: float = 60.0) -> Case:
    rows = imp.rows
    if not rows:
        raise ValueError(f"{imp.authority}: no usable rows")
    weeks = reduce(math.lcm, {r.period for r in rows}, 1)
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
            frequency=Frequency(period_weeks=r.period), service_min=r.departure - r.arrival,
            days=(r.day,) if keep_weekdays else (),
        ))
    travel = Travel(method="haversine", circuity=circuity, speed_kmh=speed_kmh)
    points_scenario = Scenario(imp.authority, depot, (), tuple(stops), Cycle(weeks, days), travel)
    matrix = HaversineProvider(circuity, speed_kmh).matrix(scenario_points(points_scenario))
    index = {pid: i for i, pid in enumerate(matrix.ids)}

    # Published route days, placed in the cycle and given a van.
    # A route day runs in the week of its date (counted from the Monday of the
    # earliest date in the file); undated rows go with the route's dated ones.
    dates = [r.date for r in rows if r.date is not None]
    ref = _monday(min(dates)) if dates else None
    by_route: dict[tuple[str, str, str], list[Row]] = defaultdict(list)
    for r in rows:
        by_route[(r.mobile, r.route, r.day)].append(r)
    groups: dict[tuple, list[Row]] = defaultdict(list)
    for (mobile, route, day), rs in by_route.items():
        weeks_of = {r.line: (_monday(r.date) - ref).days // 7 for r in rs if r.date is not None}
        first = min(weeks_of.values()) if weeks_of else None
        for r in rs:
            groups[(mobile, route, day, weeks_of.get(r.line, first))].append(r)
    pdays: list[PublishedDay] = []
    for (mobile, route, day, wk), rs in groups.items():
        period = min(r.period for r in rs)
        pdays.append(PublishedDay(mobile, route, day, period, -1 if wk is None else wk % period,
                                  sorted(rs, key=lambda r: (r.arrival, r.line)), dated=wk is not None))
    pdays.sort(key=lambda p: (p.mobile, not p.dated, WEEKDAYS.index(p.day), _natural(p.route)))
    busy: dict[str, set[tuple[int, str]]] = {}
    vans_of: dict[str, list[str]] = defaultdict(list)
    notes: list[str] = []
    for p in pdays:
        offsets = [p.offset] if p.offset >= 0 else list(range(p.period))
        placed = False
        k = 0
        while not placed:
            if k == len(vans_of[p.mobile]):
                name = p.mobile if k == 0 else f"{p.mobile} ({k + 1})"
                vans_of[p.mobile].append(name)
                busy[name] = set()
            van = vans_of[p.mobile][k]
            for off in offsets:
                slots = {(w, p.day) for w in range(off, weeks, p.period)}
                if not slots & busy[van]:
                    busy[van] |= slots
                    p.offset, p.vehicle, placed = off, van, True
                    break
            k += 1
    extra = {m: len(v) for m, v in vans_of.items() if len(v) > 1}
    if extra:
        notes.append("more than one van needed for " + ", ".join(f"{m}: {n}" for m, n in extra.items()) +
                     " (routes of one mobile at the same time)")

    def drive(a: str, b: str) -> float:
        return float(matrix.drive_min[index[a], index[b]])

    def dist(a: str, b: str) -> float:
        return float(matrix.distance_m[index[a], index[b]])

    for p in pdays:  # published times that overlap are a data error worth knowing
        for a, b in zip(p.rows, p.rows[1:]):
            if b.arrival < a.departure:
                imp.issues.append(Issue(b.line, "warning", f"opens {b.arrival // 60:02d}:{b.arrival % 60:02d}, before "
                                        f"the previous stop of route {p.route} closes (row {a.line}, "
                                        f"{a.departure // 60:02d}:{a.departure % 60:02d})", b.label))

    routes: list[Route] = []
    for p in pdays:
        for w in range(p.offset, weeks, p.period):
            rs = [r for r in p.rows if (w - p.offset) % r.period == 0]
            if not rs:
                continue
            ids = [stop_of_row[r.line] for r in rs]
            pts = ["depot"] + ids + ["depot"]
            visits = []
            for r, sid, a in zip(rs, ids, pts):
                visits.append(Visit(sid, r.label, r.lat, r.lon, r.arrival, r.departure, 0.0, dist(a, sid), drive(a, sid)))
            start = int(math.floor(rs[0].arrival - drive("depot", ids[0]) + 1e-9))
            end = int(math.ceil(rs[-1].departure + drive(ids[-1], "depot") - 1e-9))
            route = Route(
                vehicle=p.vehicle, week=w + 1, day=p.day, depot=depot, start_min=start, end_min=end, visits=visits,
                distance_m=sum(dist(a, b) for a, b in zip(pts, pts[1:])),
                drive_min=sum(drive(a, b) for a, b in zip(pts, pts[1:])),
            )
            if break_minutes > 0 and end - start > break_after_minutes:
                route.breaks = _published_break(route, pts, drive, break_minutes)
            routes.append(route)
    routes.sort(key=lambda r: (r.week, WEEKDAYS.index(r.day), r.vehicle))

    # Vans: each one's shift is the envelope of its published days, so the
    # published plan keeps it and the re-plan gets the same hours.
    vehicles = []
    for mobile in sorted(vans_of):
        for name in vans_of[mobile]:
            mine = [r for r in routes if r.vehicle == name]
            vehicles.append(Vehicle(
                name=name, capacity_books=capacity_books,
                shift_start_min=min(r.start_min for r in mine), shift_end_min=max(r.end_min for r in mine),
                break_minutes=break_minutes, break_after_minutes=break_after_minutes,
            ))
    scenario = Scenario(
        name=f"{imp.authority} (published stops)", depot=depot, vehicles=tuple(vehicles), stops=tuple(stops),
        cycle=Cycle(weeks=weeks, days=days), travel=travel,
        solver=SolverSettings(time_limit_s=time_limit_s, stable_minutes=stable_minutes), source=str(imp.path),
    )
    published = Plan(
        scenario=scenario.name, cycle=scenario.cycle, travel=travel, routes=routes, unserved=[],
        totals=compute_totals(routes, scenario), info=SolveInfo(solver="published timetable"),
    )
    return Case(imp, scenario, matrix, published, depot_row, pdays, stop_of_row, notes)


def _published_break(route: Route, pts: list[str], drive, minutes: int) -> list[Break]:
    """A break at the start of the longest idle gap that can hold it (none if no gap can)."""
    leave = [route.start_min] + [v.departure_min for v in route.visits]
    reach = [v.arrival_min for v in route.visits] + [route.end_min]
    best, best_idle = None, -1.0
    for j in range(len(leave)):
        idle = reach[j] - leave[j] - drive(pts[j], pts[j + 1])
        # Published times may overlap; a break must not fall into any visit.
        clash = any(leave[j] < v.departure_min and leave[j] + minutes > v.arrival_min for v in route.visits)
        if idle >= minutes and idle > best_idle and not clash:
            best, best_idle = j, idle
    return [] if best is None else [Break(leave[best], minutes)]


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
