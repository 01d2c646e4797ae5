"""A plan as an Excel workbook for reports: the timetable, one sheet per route-day, the stops not served.

The first sheet, **Timetable**, has one row per stop, weekday, van and
opening time, with the weeks of the cycle it runs in: the columns
:mod:`routeplanner.io.timetable` reads, so the workbook imports back as the
same plan (``routeplanner import-timetable``).  Then one sheet per route-day
in calendar order (the stops in order with their times, loans and legs, the
way back to the depot last), and **Not served** when the plan leaves stops
out.

Every text cell that would start a formula goes through
:func:`routeplanner.io.cells.safe_cell` (a leading apostrophe): openpyxl
stores text beginning with ``=`` as a formula, and a stop named
``=HYPERLINK(...)`` must stay a name.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict

import pandas as pd

from routeplanner import formats
from routeplanner.io.cells import safe_cell
from routeplanner.io.planjson import rounded, rounded_km
from routeplanner.model import Plan, Route, calendar_routes, day_order, hhmm

TIMETABLE_SHEET = "Timetable"
UNSERVED_SHEET = "Not served"
#: The Timetable sheet's columns: names :mod:`routeplanner.io.timetable` reads.
TIMETABLE_SHEET_COLUMNS = ("vehicle", "day", "weeks", "stop_id", "stop", "lat", "lon", "arrival", "departure")
ROUTE_SHEET_COLUMNS = ("order", "stop_id", "stop", "arrival", "departure", "loans", "leg_km", "leg_minutes",
                       "lat", "lon")
#: Excel's limits on a sheet's name: 31 characters, none of these.
_SHEET_NAME_MAX = 31
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def timetable_rows(plan: Plan) -> list[list[object]]:
    """One row per stop, weekday, van and opening time, with its weeks (``1;3``), in calendar order."""
    weeks: dict[tuple, list[int]] = defaultdict(list)
    first: dict[tuple, tuple] = {}
    for route in plan.routes:
        for v in route.visits:
            key = (route.vehicle, route.day, v.stop_id, v.arrival_min, v.departure_min)
            weeks[key].append(route.week)
            first.setdefault(key, (v.name, v.lat, v.lon))
    vans = {r.vehicle: i for i, r in enumerate(plan.routes)}
    order = sorted(weeks, key=lambda k: (day_order(plan.cycle, k[1]), vans[k[0]], k[3], min(weeks[k]), k[2]))
    rows = []
    for k in order:
        vehicle, day, stop_id, arrival, departure = k
        name, lat, lon = first[k]
        rows.append([vehicle, day, ";".join(map(str, sorted(set(weeks[k])))), stop_id, name, lat, lon,
                     hhmm(arrival), hhmm(departure)])
    return rows


def route_rows(route: Route) -> list[list[object]]:
    """A route-day's stops in order, and the way back to the depot."""
    rows: list[list[object]] = [
        [i, v.stop_id, v.name, hhmm(v.arrival_min), hhmm(v.departure_min), formats.whole_loans(v.loans),
         rounded_km(v.leg_distance_m), rounded(v.leg_drive_min), v.lat, v.lon]
        for i, v in enumerate(route.visits, start=1)
    ]
    back_m = max(0.0, route.distance_m - sum(v.leg_distance_m for v in route.visits))
    back_min = max(0.0, route.drive_min - sum(v.leg_drive_min for v in route.visits))
    rows.append(["", "", f"back at the depot: {route.depot.name}", hhmm(route.end_min), "", "",
                 rounded_km(back_m), rounded(back_min), route.depot.lat, route.depot.lon])
    return rows


def sheet_name(route: Route, taken: set[str]) -> str:
    """``"W1 Tue Bibliobusas"``, cut to Excel's 31 characters, without the characters Excel refuses, unique."""
    base = _SHEET_NAME_BAD.sub("-", f"W{route.week} {route.day} {route.vehicle}").strip("'")[:_SHEET_NAME_MAX]
    name, n = base, 1
    while name.lower() in taken or name.lower() in (TIMETABLE_SHEET.lower(), UNSERVED_SHEET.lower()):
        n += 1
        tail = f" ({n})"
        name = base[:_SHEET_NAME_MAX - len(tail)] + tail
    taken.add(name.lower())
    return name


def _frame(rows: list[list[object]], columns) -> pd.DataFrame:
    return pd.DataFrame([[safe_cell(c) for c in row] for row in rows], columns=list(columns))


def plan_xlsx_bytes(plan: Plan) -> bytes:
    """The workbook's bytes (.xlsx)."""
    out = io.BytesIO()
    with pd.ExcelWriter(out, engine="openpyxl") as book:
        _frame(timetable_rows(plan), TIMETABLE_SHEET_COLUMNS).to_excel(book, sheet_name=TIMETABLE_SHEET, index=False)
        taken: set[str] = set()
        for route in calendar_routes(plan):
            head = [[f"{plan.scenario}: week {route.week} {route.day}"
                     + (f" {route.date.isoformat()}" if route.date else "") + f", {route.vehicle}",
                     f"leave {hhmm(route.start_min)}, back {hhmm(route.end_min)}, "
                     f"{route.distance_m / 1000:.1f} km"]]
            name = sheet_name(route, taken)
            _frame(head, ("route-day", "")).to_excel(book, sheet_name=name, index=False, header=False)
            _frame(route_rows(route), ROUTE_SHEET_COLUMNS).to_excel(book, sheet_name=name, index=False, startrow=2)
        if plan.unserved:
            rows = [[u.stop_id, u.name, u.missing_visits, u.reason, u.suggestion] for u in plan.unserved]
            _frame(rows, ("stop_id", "stop", "missing_visits", "reason", "suggestion")).to_excel(
                book, sheet_name=UNSERVED_SHEET, index=False)
        for sheet in book.book.worksheets:
            for column in sheet.columns:
                width = max(len(str(c.value)) if c.value is not None else 0 for c in column)
                sheet.column_dimensions[column[0].column_letter].width = min(60, max(8, width + 2))
    return out.getvalue()
