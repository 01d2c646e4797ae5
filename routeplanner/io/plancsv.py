"""The visits CSV: one row per visit of a plan, for spreadsheets and mail merges.

Numbers are rounded as the plan JSON writes them (:mod:`routeplanner.io.planjson`),
except loans: whole books, as people count them (:func:`routeplanner.formats.whole_loans`).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from routeplanner import formats
from routeplanner.io.cells import safe_cell
from routeplanner.io.planjson import rounded, rounded_km
from routeplanner.model import Plan, calendar_routes, hhmm

VISITS_CSV_COLUMNS = (
    "vehicle",
    "week",
    "day",
    "date",
    "order",
    "stop_id",
    "name",
    "lat",
    "lon",
    "arrival",
    "departure",
    "loans",
    "leg_km",
    "leg_minutes",
)


def visits_rows(plan: Plan) -> list[list[object]]:
    """The visits CSV's rows below its header (:data:`VISITS_CSV_COLUMNS`), cells not yet made safe."""
    rows: list[list[object]] = []
    for route in calendar_routes(plan):
        when = route.date.isoformat() if route.date else ""
        for order, v in enumerate(route.visits, start=1):
            rows.append([
                route.vehicle,
                route.week,
                route.day,
                when,
                order,
                v.stop_id,
                v.name,
                v.lat,
                v.lon,
                hhmm(v.arrival_min),
                hhmm(v.departure_min),
                formats.whole_loans(v.loans),  # for people: whole books (the JSON keeps the expectation)
                rounded_km(v.leg_distance_m),
                rounded(v.leg_drive_min),
            ])
    return rows


def visits_csv_bytes(plan: Plan) -> bytes:
    """One row per visit, in calendar order, for spreadsheets and mail merges.

    Written with a UTF-8 byte-order mark: without it, spreadsheet programs set
    to a Baltic locale open the file as Windows-1257 and garble ą, ė, ž, ā, ņ.
    """
    text = io.StringIO(newline="")
    out = csv.writer(text)
    out.writerow(VISITS_CSV_COLUMNS)
    for row in visits_rows(plan):
        out.writerow(safe_cell(cell) for cell in row)
    return text.getvalue().encode("utf-8-sig")


def write_visits_csv(plan: Plan, path: str | Path) -> None:
    """:func:`visits_csv_bytes` written to ``path``."""
    Path(path).write_bytes(visits_csv_bytes(plan))
