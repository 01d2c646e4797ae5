"""What the pages say about a plan, as plain data for the templates.

Numbers and times formatted for people, the patrons' "when does the library
come" sentences and dates, the rows of a driver's sheet, and the comparison of
plans in words (:mod:`routeplanner.compare` measures it).  Pure functions of
the domain model (plus gettext), so they are tested without a browser.
Strings returned here are plain text: the templates escape them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Mapping, Sequence

from flask_babel import format_date, format_decimal
from flask_babel import gettext as _

from routeplanner import collation, compare, dates, formats, published
from routeplanner.driversheet import SheetRow, sheet_rows
from routeplanner.model import Cycle, Plan, Route, Scenario, Stop, calendar_routes, day_order, hhmm

#: How far ahead the patrons' list of dates reaches (at least one whole cycle).
DATES_AHEAD_WEEKS = 12


# --- numbers ------------------------------------------------------------------------


def num(value: float | None, decimals: int = 1, *, missing: str = formats.MISSING) -> str:
    """``1234.5`` -> ``"1,234.5"`` in English, ``"1 234,5"`` in Lithuanian and Latvian (the page's
    locale); whole numbers without decimals; None -> ``"—"``."""
    if value is None:
        return missing
    rounded = round(float(value), decimals)
    if not decimals or rounded == int(rounded):
        return format_decimal(int(rounded), format="#,##0")
    return format_decimal(rounded, format="#,##0." + "0" * decimals)


def duration(minutes: float | None) -> str:
    """``425`` -> ``"7 h 05 min"``; under an hour ``"45 min"``; None -> ``"—"``."""
    return formats.duration(minutes, hours_minutes=_("%(h)d h %(m)02d min"), minutes_only=_("%(m)d min"))


def times(start: int, end: int) -> str:
    return f"{hhmm(start)}–{hhmm(end)}"


def day_short(day: str) -> str:
    """``"Tue"`` -> ``"Tue"``, translated."""
    return formats.day_name(day, "short", _)


def nice_date(d: date | None) -> str:
    return format_date(d, "EEE d MMM yyyy") if d else ""


# --- dates of the cycle ----------------------------------------------------------------


#: The date of (week, weekday) in the first cycle; None without a start date.
slot_date = dates.first_date


def repeated_dates(cycle: Cycle, week: int, day: str, since: date, weeks_ahead: int = DATES_AHEAD_WEEKS,
                   closed: Mapping[date, str] | None = None) -> list[date]:
    """The dates of (week, weekday), every cycle, from ``since`` for ``weeks_ahead`` weeks (one cycle at least),
    without the ``closed`` ones (:mod:`routeplanner.dates`)."""
    until = since + timedelta(weeks=max(weeks_ahead, cycle.weeks))
    return dates.open_dates(dates.slot_dates(cycle, week, day, since, until), closed or {})


# --- the patrons' timetable --------------------------------------------------------------


@dataclass
class Slot:
    week: int
    day: str
    arrival: int
    departure: int
    vehicle: str


@dataclass
class StopTimetable:
    """When the library comes to one stop."""

    stop_id: str
    name: str
    address: str
    lines: list[str]  # one line: "Every other Wednesday, 10:00–10:45" (routeplanner.published)
    slots: list[Slot]
    dates: list[tuple[date, str]] = field(default_factory=list)  # upcoming (date, "10:00–10:45")


def patron_timetable(plan: Plan, scenario: Scenario | None, today: date | None = None,
                     closed: Mapping[date, str] | None = None) -> list[StopTimetable]:
    """Every visited stop in the local alphabet's order: its published line and, with a start date,
    its next dates (without the ``closed`` ones).

    The line and the window are :mod:`routeplanner.published`'s (the plan's own
    published timetable when it has one), worded in the page's language.  A
    stop without a published window gives each date the times of its visit.
    """
    stops: dict[str, Stop] = {s.id: s for s in scenario.stops} if scenario else {}
    slots: dict[str, list[Slot]] = defaultdict(list)
    for route in calendar_routes(plan):
        for v in route.visits:
            slots[v.stop_id].append(Slot(route.week, route.day, v.arrival_min, v.departure_min, route.vehicle))
    since = today or date.today()
    if plan.cycle.start_date is not None:
        since = max(since, plan.cycle.start_date)
    out = []
    for entry in published.entries(plan):
        items = slots.get(entry.stop_id, [])
        line = published.patron_line(entry, plan.cycle, _)
        if entry.opens_min is not None and entry.closes_min is not None:
            window = times(entry.opens_min, entry.closes_min)
            dated = [(s.week, s.day, window) for s in items]
        else:
            dated = [(s.week, s.day, times(s.arrival, s.departure)) for s in items]
        upcoming = sorted((d, t) for week, day, t in dated
                          for d in repeated_dates(plan.cycle, week, day, since, closed=closed))
        stop = stops.get(entry.stop_id)
        name = entry.name or (stop.name if stop else entry.stop_id)
        out.append(StopTimetable(entry.stop_id, name, stop.address if stop else "", [line], items, upcoming))
    lang = collation.scenario_language(scenario, (t.name for t in out))
    return collation.sort_by_name(out, lambda t: t.name, lang, tie=lambda t: t.stop_id)


# --- a driver's sheet -------------------------------------------------------------------


def driver_rows(route: Route, scenario: Scenario | None) -> list[SheetRow]:
    """The day in order: leave the depot, stops and breaks, return (:mod:`routeplanner.driversheet`),
    in the page's language."""
    return sheet_rows(route, scenario, _)


# --- comparing plans ---------------------------------------------------------------------


@dataclass
class Cell:
    text: str
    diff: str = ""  # "+12.3 km" against the first plan
    css: str = ""  # "better" | "worse" | "changed" | ""


@dataclass
class MetricRow:
    label: str
    cells: list[Cell]


def _cell(change: compare.Change, fmt) -> Cell:
    cell = Cell(fmt(change.value))
    if change.verdict:
        cell.diff = ("+" if change.delta > 0 else "−") + fmt(abs(change.delta))
        cell.css = change.verdict
    return cell


def compare_metrics(plans: Sequence[Plan], comparison: compare.Comparison | None = None) -> list[MetricRow]:
    """The figures of :func:`routeplanner.compare.compare` (``comparison``, when the caller has it),
    worded: a row a figure, a cell a plan."""
    changes = (comparison or compare.compare(plans)).changes

    def km(v):
        return _("%(n)s km", n=num(v)) if v is not None else "—"

    def whole(v):
        return num(v, 0)

    def share(v):
        return f"{num(v)} %"

    rows = [
        ("distance_km", _("Distance"), km),
        ("drive_minutes", _("Driving"), duration),
        ("service_minutes", _("Doors open (service)"), duration),
        ("stops_served", _("Stops served"), whole),
        ("visits", _("Visits"), whole),
        ("loans_served", _("Loans served"), formats.loans),
        ("loans_share_pct", _("Share of expected loans"), share),
        ("unserved", _("Stops not served"), whole),
        # (The solver's own cost -- metres plus penalties -- means nothing to a librarian:
        # the API keeps it for programs, the page leaves it out.)
    ]
    return [MetricRow(label, [_cell(c[figure], fmt) for c in changes]) for figure, label, fmt in rows]


def stop_summary(plan: Plan) -> dict[str, tuple[str, str]]:
    """stop id -> (name, "Tue wk 1, 3 10:05–10:45; ...") for every visited stop."""
    groups: dict[str, dict[tuple[str, int, int], list[int]]] = defaultdict(lambda: defaultdict(list))
    names: dict[str, str] = {}
    for route in calendar_routes(plan):
        for v in route.visits:
            groups[v.stop_id][(route.day, v.arrival_min, v.departure_min)].append(route.week)
            names.setdefault(v.stop_id, v.name)
    out = {}
    for stop_id, g in groups.items():
        parts = []
        for (day, a, b) in sorted(g, key=lambda k: (day_order(plan.cycle, k[0]), min(g[k]), k[1])):
            weeks = ", ".join(str(w) for w in sorted(g[(day, a, b)]))
            parts.append(_("%(day)s wk %(weeks)s %(times)s", day=day_short(day), weeks=weeks, times=times(a, b)))
        out[stop_id] = (names[stop_id], "; ".join(parts))
    return out


@dataclass
class MovedStopRow:
    stop_id: str
    name: str
    cells: list[Cell]  # each plan's days and times; "changed" where the stop moved against the first plan


def moved_stops(plans: Sequence[Plan], comparison: compare.Comparison | None = None) -> list[MovedStopRow]:
    """Stops that moved (:func:`routeplanner.compare.moved_between`) in any plan against the first
    (``comparison``: :func:`routeplanner.compare.compare` of ``plans``, when the caller has it)."""
    comparison = comparison or compare.compare(plans)
    moved = [{m.stop_id: m for m in moves} for moves in comparison.moved]
    summaries = [stop_summary(p) for p in plans]
    unserved = [{u.stop_id for u in p.unserved} for p in plans]
    out = []
    for sid in comparison.moved_ids():
        texts = [s[sid][1] if sid in s else (_("not served") if sid in u else "—")
                 for s, u in zip(summaries, unserved)]
        cells = [Cell(texts[0])] + [Cell(t, css="changed" if sid in m else "") for t, m in zip(texts[1:], moved)]
        # Named as the first plan that visits it (every moved stop is visited somewhere).
        out.append(MovedStopRow(sid, next(m[sid].name for m in moved if sid in m), cells))
    lang = collation.language(None, [m.name for m in out])
    return collation.sort_by_name(out, lambda m: m.name, lang, tie=lambda m: m.stop_id)


# --- a re-planned plan ----------------------------------------------------------------------


@dataclass
class ChangedStop:
    """One stop a re-plan moved: what changed in words, and its days and times before and after."""

    stop_id: str
    name: str
    what: str  # "another day, another time", "added", "no longer visited"
    before: str  # "" when the base plan is no longer there to say
    after: str


@dataclass
class ReplanChanges:
    """What a re-plan (``plan.changes``) changed for patrons, as the plan page shows it."""

    mode: str
    base_km: float
    saved_km: float  # > 0: the new plan drives less
    stops: list[ChangedStop]


def change_words(kinds: Sequence[str]) -> str:
    """``("day", "time")`` -> ``"another day, another time"`` (kinds of :class:`routeplanner.model.StopChange`)."""
    words = {"day": _("another day"), "time": _("another time"), "added": _("added"),
             "dropped": _("no longer visited")}
    return ", ".join(words.get(k, k) for k in kinds)


def replan_changes(plan: Plan, base: Plan | None) -> ReplanChanges | None:
    """The changes of a re-planned plan against its base (None for a plan made from scratch).

    ``base``: the base plan, when it is still stored, for the stops' days and times before;
    the list of moved stops is the plan's own (``plan.changes``), as the re-plan wrote it.
    """
    c = plan.changes
    if c is None:
        return None
    after = stop_summary(plan)
    before = stop_summary(base) if base is not None else {}
    unserved = {u.stop_id: u.name for u in plan.unserved}
    stops = []
    for m in c.moved:
        name = (after.get(m.stop_id) or before.get(m.stop_id) or (unserved.get(m.stop_id, m.stop_id), ""))[0]
        shown_after = after[m.stop_id][1] if m.stop_id in after else (
            _("not served") if m.stop_id in unserved else "—")
        shown_before = (before[m.stop_id][1] if m.stop_id in before else "—") if base is not None else ""
        stops.append(ChangedStop(m.stop_id, name, change_words(m.changes), shown_before, shown_after))
    lang = collation.language(None, [s.name for s in stops])
    stops = collation.sort_by_name(stops, lambda s: s.name, lang, tie=lambda s: s.stop_id)
    return ReplanChanges(c.mode, c.base_distance_km, c.base_distance_km - plan.totals.distance_km, stops)
