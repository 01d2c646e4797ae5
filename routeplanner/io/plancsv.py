"""The visits CSV: one row per visit of a plan, for spreadsheets and mail merges.

Numbers are rounded as the plan JSON writes them (:mod:`routeplanner.io.planjson`),
except loans: whole books, as people count them (:func:`routeplanner.formats.whole_loans`).
"""

from __future__ import annotations

import csv
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


def write_visits_csv(plan: Plan, path: str | Path) -> None:
    """One row per visit, in calendar order, for spreadsheets and mail merges.

    Written with a UTF-8 byte-order mark: without it, spreadsheet programs set
    to a Baltic locale open the file as Windows-1257 and garble ą, ė, ž, ā, ņ.
    """
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        out = csv.writer(fh)
        out.writerow(VISITS_CSV_COLUMNS)
        for route in calendar_routes(plan):
            when = route.date.isoformat() if route.date else ""
            for order, v in enumerate(route.visits, start=1):
                out.writerow(
                    safe_cell(cell)
                    for cell in [
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
                    ]
                )
