"""The plan as text for a terminal: the timetable and the KPIs.

What ``routeplanner plan`` prints (:func:`format_timetable`), the KPI lines
the checker's report repeats (:func:`format_totals`) and how messages name a
route (:func:`route_label`).  English only: the web pages word plans
themselves (``web.pages_text``).  Plain text over the model; no IO.
"""

from __future__ import annotations

from collections import defaultdict

from routeplanner import collation, formats, published
from routeplanner.model import Plan, Route, Totals, Visit, calendar_routes, hhmm
from routeplanner.totals import loans_share_pct


def _and_list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _duration(minutes: float) -> str:
    """``45`` -> ``"0 h 45 min"``: the totals' lines keep one shape."""
    return formats.duration(minutes, minutes_only=None)


def format_totals(totals: Totals) -> list[str]:
    """The KPIs as short lines, for the timetable and the check report."""
    share = loans_share_pct(totals)
    return [
        f"Stops served: {totals.stops_served} of {totals.stops_total}",
        f"Visits: {totals.visits}",
        f"Distance: {totals.distance_km:,.1f} km",
        f"Driving: {_duration(totals.drive_minutes)}",
        f"Doors open: {_duration(totals.service_minutes)}",
        f"Loans: {formats.loans(totals.loans_served)} of {formats.loans(totals.loans_total)} expected ({share:.1f}%)",
    ]


def route_label(route: Route) -> str:
    """``"week 1 Tue Bibliobusas"``: how messages name a route."""
    return f"week {route.week} {route.day} {route.vehicle}"


def _route_lines(route: Route) -> list[str]:
    when = f" {route.date.isoformat()}" if route.date else ""
    lines = [
        f"Week {route.week} {route.day}{when} — {route.vehicle} — "
        f"{hhmm(route.start_min)}-{hhmm(route.end_min)}, {route.distance_m / 1000.0:.1f} km"
    ]
    # Visits and breaks interleaved in time order; a break at the moment a
    # visit ends sorts after it (the second key), as it happens.
    events: list[tuple[int, int, str]] = []
    for v in route.visits:
        events.append(
            (
                v.arrival_min,
                0,
                f"  {hhmm(v.arrival_min)}-{hhmm(v.departure_min)}  {v.name}  "
                f"{formats.loans(v.loans)} loans  (+{v.leg_distance_m / 1000.0:.1f} km)",
            )
        )
    for b in route.breaks:
        span = f"{hhmm(b.start_min)}-{hhmm(b.start_min + b.minutes)}"
        events.append((b.start_min, 1, f"  {span}  break ({b.minutes} min)"))
    events.sort(key=lambda e: (e[0], e[1]))
    lines += [text for _, _, text in events]
    if not route.visits:
        lines.append("  (no visits)")
    return lines


def _by_stop_lines(plan: Plan, lang: str | None) -> list[str]:
    """One line per stop, as patrons read it (:mod:`routeplanner.published`), in the local alphabet's order.

    A stop without a published window lists its visits' own times and why.
    """
    visits: dict[str, list[tuple[Route, Visit]]] = defaultdict(list)
    for route in calendar_routes(plan):
        for v in route.visits:
            visits[v.stop_id].append((route, v))
    several_vehicles = len({r.vehicle for r in plan.routes}) > 1
    entries = published.entries(plan)
    if lang is None:
        lang = collation.language(None, [e.name for e in entries] + [r.depot.name for r in plan.routes[:1]])
    lines = []
    for e in collation.sort_by_name(entries, lambda e: e.name, lang, tie=lambda e: e.stop_id):
        line = f"  {e.name} — {published.patron_line(e, plan.cycle)}"
        pairs = visits.get(e.stop_id, [])
        if several_vehicles:
            line += f" ({_and_list(list(dict.fromkeys(r.vehicle for r, _ in pairs)))})"
        lines.append(line)
        if not e.has_window:
            lines.append(f"    no published window: {e.reason}" if e.reason else "    no published window")
    return lines


def format_timetable(plan: Plan, lang: str | None = None) -> str:
    """A readable timetable for the terminal: days, then stops, then gaps, then KPIs.

    ``lang`` orders the stops (:func:`routeplanner.collation.scenario_language`);
    None: the language the plan's names are written in.
    """
    c = plan.cycle
    start = f", from {c.start_date.isoformat()}" if c.start_date else ""
    lines = [
        f"{plan.scenario}",
        f"Cycle: {c.weeks} week(s), {' '.join(c.days)}{start}",
        "",
    ]
    for route in calendar_routes(plan):
        lines += _route_lines(route)
        lines.append("")
    lines.append("Timetable by stop")
    lines += _by_stop_lines(plan, lang) or ["  (no visits)"]
    lines.append("")
    if plan.unserved:
        lines.append("Not served")
        for u in plan.unserved:
            lines.append(f"  {u.name} ({u.stop_id}): {u.missing_visits} visit(s) missing — {u.reason}")
            if u.suggestion:
                lines.append(f"    suggestion: {u.suggestion}")
        lines.append("")
    lines.append("Totals")
    lines += [f"  {x}" for x in format_totals(plan.totals)]
    return "\n".join(lines) + "\n"
