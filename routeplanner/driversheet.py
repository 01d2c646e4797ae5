"""A driver's day as the rows of a sheet: leave the depot, the stops (with the waits worth a line and
the break) in order, back at the depot.

One definition for the web service's driver sheets (``/plans/<id>/driver``,
translated: they pass their ``gettext``) and the PDF export
(:mod:`routeplanner.io.planpdf`, English).  The words are marked with
:func:`~routeplanner.formats.N_` so that ``make messages`` finds them.
Plain text: whoever shows the rows escapes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from routeplanner import formats
from routeplanner.formats import N_
from routeplanner.model import Route, Scenario, Stop, hhmm

Gettext = Callable[[str], str]

#: Shorter waits are the rounding of drive times, not worth a line on the sheet.
WAIT_SHOWN_MIN = 5


@dataclass
class SheetRow:
    kind: str  # "depart" | "visit" | "wait" | "break" | "return"
    order: int | None
    start: str
    end: str
    name: str
    loans: str = ""
    leg_km: str = ""
    leg_min: str = ""
    notes: list[str] = field(default_factory=list)


def _same(text: str) -> str:
    return text


def sheet_rows(route: Route, scenario: Scenario | None, gettext: Gettext | None = None) -> list[SheetRow]:
    """The day in order: leave the depot, stops, waits and breaks, return."""
    _ = gettext or _same
    num = formats.number
    stops = {s.id: s for s in scenario.stops} if scenario else {}
    events: list[tuple[int, int, SheetRow]] = []
    for order, v in enumerate(route.visits, start=1):
        notes = []
        stop = stops.get(v.stop_id)
        if stop is not None:
            if stop.window_start_min is not None or stop.window_end_min is not None:
                lo = hhmm(stop.window_start_min) if stop.window_start_min is not None else "…"
                hi = hhmm(stop.window_end_min) if stop.window_end_min is not None else "…"
                notes.append(_(N_("may open only %(from)s–%(to)s")) % {"from": lo, "to": hi})
            if stop.must:
                notes.append(_(N_("must be served")))
            if stop.address:
                notes.append(stop.address)
        row = SheetRow("visit", order, hhmm(v.arrival_min), hhmm(v.departure_min), v.name, formats.loans(v.loans),
                       num(v.leg_distance_m / 1000.0), num(v.leg_drive_min, 0), notes)
        events.append((v.arrival_min, 0, row))
        wait = _wait_row(route, order - 1, stop, _)
        if wait is not None:
            events.append((v.arrival_min, -1, wait))
    for b in route.breaks:
        row = SheetRow("break", None, hhmm(b.start_min), hhmm(b.start_min + b.minutes),
                       _(N_("Break (%(m)d min)")) % {"m": b.minutes})
        events.append((b.start_min, 1, row))
    events.sort(key=lambda e: (e[0], e[1]))
    back_km = max(0.0, route.distance_m - sum(v.leg_distance_m for v in route.visits)) / 1000.0
    back_min = max(0.0, route.drive_min - sum(v.leg_drive_min for v in route.visits))
    rows = [SheetRow("depart", None, hhmm(route.start_min), "", route.depot.name, notes=[_(N_("leave the depot"))])]
    rows += [e[2] for e in events]
    rows.append(SheetRow("return", None, hhmm(route.end_min), "", route.depot.name, "", num(back_km),
                         num(back_min, 0), [_(N_("back at the depot"))]))
    return rows


def _wait_row(route: Route, k: int, stop: Stop | None, _: Gettext) -> SheetRow | None:
    """The wait before visit ``k``, with its reason, when the van is there early enough to matter."""
    v = route.visits[k]
    before = route.visits[k - 1].departure_min if k else route.start_min
    pause = sum(b.minutes for b in route.breaks if before <= b.start_min < v.arrival_min)
    ready = before + math.ceil(v.leg_drive_min - 1e-9) + pause
    wait = v.arrival_min - ready
    if wait < WAIT_SHOWN_MIN:
        return None
    if stop is not None and stop.window_start_min is not None and v.arrival_min <= stop.window_start_min:
        why = _(N_("%(name)s may open only from %(t)s")) % {"name": v.name, "t": hhmm(stop.window_start_min)}
    else:
        why = _(N_("%(name)s opens at the same time on every visit")) % {"name": v.name}
    return SheetRow("wait", None, hhmm(ready), hhmm(v.arrival_min), _(N_("Wait (%(m)d min)")) % {"m": wait},
                    notes=[why])
