"""A plan for everyone who uses it: the map and timetable, drivers' sheets,
patrons' timetable, poster and calendar files.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _

from routeplanner import published
from routeplanner.io.stops import slugify
from routeplanner.model import Plan, Route, calendar_routes, hhmm
from routeplanner.totals import loans_share_pct
from routeplanner.web import access, security
from routeplanner.web.maps import (
    DAY_COLOURS,
    plan_map,
    render_map,
    route_svg,
    route_title,
    week_dash,
    weekday_legend,
)
from routeplanner.web.pages import (
    get_plan,
    leaflet_installed,
    map_assets,
    not_found,
    plan_model,
    plan_title,
    snapshot_model,
)
from routeplanner.web.pages_text import (
    driver_rows,
    duration,
    nice_date,
    num,
    patron_timetable,
    slot_date,
    times,
)

bp = Blueprint("plans", __name__)


def _load(plan_id: int):
    row = get_plan(plan_id)
    access.require(access.VIEW, row.scenario_id)
    return row, plan_model(row), snapshot_model(row)


def _route_dates(plan: Plan) -> dict[int, date | None]:
    return {id(r): r.date or slot_date(plan.cycle, r.week, r.day) for r in plan.routes}


@bp.get("/plans/<int:plan_id>")
def plan(plan_id: int):
    row, plan, scenario = _load(plan_id)
    routes = calendar_routes(plan)
    by_route = _route_dates(plan)
    dates = [by_route.get(id(r)) for r in routes]
    others = [p for p in row.scenario.plans if p.id != row.id]
    return render_template(
        "plans/show.html",
        row=row,
        plan=plan,
        title=plan_title(row),
        routes=routes,
        dates=dates,
        route_title=route_title,
        colours=DAY_COLOURS,
        week_dash=week_dash,
        legend=weekday_legend(plan.cycle.days),
        weeks=range(1, plan.cycle.weeks + 1),
        share=loans_share_pct(plan.totals),
        unpublished=[e for e in published.entries(plan) if not e.has_window],
        others=others,
        leaflet_ok=leaflet_installed(),
        num=num,
        duration=duration,
        times=times,
        nice_date=nice_date,
        hhmm=hhmm,
    )


@bp.get("/plans/<int:plan_id>/map")
def plan_map_page(plan_id: int):
    row, plan, scenario = _load(plan_id)
    m = plan_map(plan, scenario, map_assets())
    return security.map_document(render_map(m, plan_title(row)))


# --- drivers ------------------------------------------------------------------------


def _sheet(plan: Plan, route: Route, scenario, number: int, dates) -> dict:
    return {
        "number": number,
        "route": route,
        "title": route_title(route),
        "date": dates.get(id(route)),
        "rows": driver_rows(route, scenario),
        "svg": route_svg(route),
        "loans": sum(v.loans for v in route.visits),
    }


@bp.get("/plans/<int:plan_id>/driver")
def driver_index(plan_id: int):
    row, plan, scenario = _load(plan_id)
    routes = calendar_routes(plan)
    dates = _route_dates(plan)
    by_week: dict[int, list[tuple[int, Route, date | None]]] = {}
    for n, r in enumerate(routes, start=1):
        by_week.setdefault(r.week, []).append((n, r, dates.get(id(r))))
    return render_template(
        "plans/driver_index.html", row=row, plan=plan, title=plan_title(row), by_week=by_week, dates=dates,
        route_title=route_title, num=num, duration=duration, nice_date=nice_date, hhmm=hhmm,
    )


@bp.get("/plans/<int:plan_id>/driver/<int:number>")
def driver_sheet(plan_id: int, number: int):
    row, plan, scenario = _load(plan_id)
    routes = calendar_routes(plan)
    if not 1 <= number <= len(routes):
        raise not_found(_("Plan %(id)d has no route-day number %(n)d.", id=plan_id, n=number))
    dates = _route_dates(plan)
    sheet = _sheet(plan, routes[number - 1], scenario, number, dates)
    return render_template(
        "plans/driver.html", row=row, plan=plan, title=plan_title(row), sheets=[sheet], single=True,
        total=len(routes), num=num, duration=duration, nice_date=nice_date, hhmm=hhmm,
    )


@bp.get("/plans/<int:plan_id>/driver/week/<int:week>")
def driver_week(plan_id: int, week: int):
    row, plan, scenario = _load(plan_id)
    routes = calendar_routes(plan)
    vehicle = request.args.get("vehicle")
    dates = _route_dates(plan)
    sheets = [_sheet(plan, r, scenario, n, dates) for n, r in enumerate(routes, start=1)
              if r.week == week and (not vehicle or r.vehicle == vehicle)]
    if not sheets:
        raise not_found(_("Plan %(id)d has no routes in week %(week)d.", id=plan_id, week=week))
    return render_template(
        "plans/driver.html", row=row, plan=plan, title=plan_title(row), sheets=sheets, single=False, week=week,
        total=len(routes), num=num, duration=duration, nice_date=nice_date, hhmm=hhmm,
    )


# --- patrons -------------------------------------------------------------------------


def _patron_page(template: str, plan_id: int) -> str:
    """The patrons' timetable of a plan in ``template`` (the page, or the poster to print)."""
    row, plan, scenario = _load(plan_id)
    return render_template(
        template, row=row, plan=plan, title=plan_title(row),
        stops=patron_timetable(plan, scenario), nice_date=nice_date,
    )


@bp.get("/plans/<int:plan_id>/timetable")
def timetable(plan_id: int):
    return _patron_page("plans/timetable.html", plan_id)


@bp.get("/plans/<int:plan_id>/poster")
def poster(plan_id: int):
    return _patron_page("plans/poster.html", plan_id)


@bp.get("/plans/<int:plan_id>/calendar")
def stop_calendar(plan_id: int):
    """The stop's visits as an iCalendar file: one weekly-repeating event per slot of the cycle.

    The stop id is a query parameter (``?stop=kamajai``), percent-encoded by
    ``url_for``: in the path, an id such as ``../../scenarios/1`` would make the
    link resolve to another page of the site.
    """
    stop_id = request.args.get("stop", "")
    if not stop_id:
        raise not_found(_("Which stop? The calendar link names one (…/calendar?stop=…)."))
    return _stop_calendar(plan_id, stop_id)


@bp.get("/plans/<int:plan_id>/calendar/<path:stop_id>")
def stop_calendar_by_path(plan_id: int, stop_id: str):
    """The address of earlier versions, for links already handed out."""
    return _stop_calendar(plan_id, stop_id)


def _stop_calendar(plan_id: int, stop_id: str) -> Response:
    from icalendar import Calendar, Event, vGeo

    row, plan, scenario = _load(plan_id)
    if plan.cycle.start_date is None:
        raise not_found(_("This plan's cycle has no start date, so it has no calendar dates. "
                          "Set a start date in the scenario's settings and plan again."))
    visits = [(r, v) for r in calendar_routes(plan) for v in r.visits if v.stop_id == stop_id]
    if not visits:
        raise not_found(_("The bookmobile does not stop at “%(stop)s” in this plan.", stop=stop_id))
    name = visits[0][1].name
    stop = next((s for s in scenario.stops if s.id == stop_id), None) if scenario else None
    cal = Calendar()
    cal.add("prodid", "-//routeplanner//bookmobile timetable//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", _("Mobile library at %(stop)s", stop=name))
    stamp = datetime.combine(row.created_at.date(), datetime.min.time()) if row.created_at else datetime(2000, 1, 1)
    for route, v in visits:
        day = slot_date(plan.cycle, route.week, route.day)
        if day is None:
            continue
        start = datetime.combine(day, datetime.min.time()) + timedelta(minutes=v.arrival_min)
        end = datetime.combine(day, datetime.min.time()) + timedelta(minutes=v.departure_min)
        event = Event()
        event.add("uid", f"plan-{row.id}-{slugify(stop_id) or 'stop'}-w{route.week}-{route.day.lower()}"
                         "@routeplanner")
        event.add("dtstamp", stamp)
        event.add("summary", _("Mobile library at %(stop)s", stop=name))
        event.add("dtstart", start)  # floating local time: the library's own clock
        event.add("dtend", end)
        event.add("rrule", {"freq": "weekly", "interval": plan.cycle.weeks})
        event.add("location", (stop.address if stop and stop.address else name))
        event.add("geo", vGeo((v.lat, v.lon)))
        event.add("description", _("%(plan)s — open %(times)s", plan=plan.scenario,
                                   times=times(v.arrival_min, v.departure_min)))
        cal.add_component(event)
    filename = f"bookmobile-{slugify(name) or slugify(stop_id) or 'stop'}.ics"
    filename = re.sub(r"[^A-Za-z0-9._-]", "-", filename)
    return Response(
        cal.to_ical(),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
