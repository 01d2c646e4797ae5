"""A plan for everyone who uses it: the map and timetable, drivers' sheets,
patrons' timetable, poster and calendar files; publishing a plan, and the
scenario's stable patron addresses that follow the published plan.

Patrons get addresses without a plan id (``/scenarios/<id>/timetable``,
``/poster``, ``/calendar.ics``): they show the publication in effect
(:func:`routeplanner.services.published`), so links, posters' QR codes and
subscribed phone calendars keep working when a new plan is published.  The
dates the library is closed (the scenario's ``[calendar]`` as it is now, not
as it was solved: a closure is added without planning again) are left out of
the next dates, the driver sheets and the calendars, and said where patrons look.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime, timedelta

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from routeplanner import dates, ical, published, services, store
from routeplanner.errors import InputError, Problem
from routeplanner.io import exports
from routeplanner.io.planjson import plan_from_dict
from routeplanner.io.stops import slugify
from routeplanner.model import CalendarSettings, Plan, Route, Scenario, calendar_routes, hhmm
from routeplanner.totals import loans_share_pct
from routeplanner.travel import leg_shapes
from routeplanner.web import access, db, i18n, security
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
    export_response,
    get_plan,
    get_scenario,
    leaflet_installed,
    map_assets,
    not_found,
    plan_model,
    plan_title,
    snapshot_model,
)
from routeplanner.web.pages_forms import shown_problems
from routeplanner.web.pages_text import (
    DATES_AHEAD_WEEKS,
    driver_rows,
    duration,
    nice_date,
    num,
    patron_timetable,
    replan_changes,
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


def _calendar(row: store.PlanRow) -> CalendarSettings:
    """The scenario's ``[calendar]`` as it is now: closed dates are added without planning again."""
    return row.scenario.to_model().calendar


def _today(calendar: CalendarSettings) -> date:
    return dates.today_in(dates.time_zone(calendar))


def _holiday_language() -> str:
    """The language of the holidays' names: the page's (the holidays package says ``en_US``)."""
    locale = str(get_locale() or "en")
    return {"en": "en_US"}.get(locale, locale)


def closure_text(day: date, reason: str) -> str:
    """``"no visit on Fri 25 Dec (Christmas Day)"``."""
    when = format_date(day, "EEE d MMM")
    if reason:
        return _("no visit on %(date)s (%(reason)s)", date=when, reason=reason)
    return _("no visit on %(date)s", date=when)


@bp.get("/plans/<int:plan_id>")
def plan(plan_id: int):
    return _plan_page(plan_id)


def _plan_page(plan_id: int, problems=None, effective_from: str = "", status: int = 200):
    row, plan, scenario = _load(plan_id)
    calendar = _calendar(row)
    today = _today(calendar)
    shown = services.published(db.session(), row.scenario_id, today)
    routes = calendar_routes(plan)
    by_route = _route_dates(plan)
    dates = [by_route.get(id(r)) for r in routes]
    others = [p for p in row.scenario.plans if p.id != row.id]
    base_id = (row.params or {}).get("base_plan_id")
    base_row = db.session().get(store.PlanRow, base_id) if isinstance(base_id, int) and plan.changes else None
    base = None
    if base_row is not None and base_row.scenario_id == row.scenario_id:
        try:
            base = plan_from_dict(base_row.plan, source=f"plan {base_row.id}")
        except InputError:  # a damaged base: the changes are still listed, without the times before
            base_row = None
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
        along_roads=leg_shapes(plan.travel, plan.routes) is not None,
        weeks=range(1, plan.cycle.weeks + 1),
        share=loans_share_pct(plan.totals),
        unpublished=[e for e in published.entries(plan) if not e.has_window],
        others=others,
        changes=replan_changes(plan, base),
        base_row=base_row if base is not None else None,
        base_id=base_id if isinstance(base_id, int) else None,
        leaflet_ok=leaflet_installed(),
        num=num,
        duration=duration,
        times=times,
        nice_date=nice_date,
        hhmm=hhmm,
        published=shown,
        ever_published=bool(row.publications),
        publish_problems=problems or [],
        effective_from=effective_from or today.isoformat(),
        imported_from=(row.params or {}).get("imported") if isinstance((row.params or {}).get("imported"), str)
        else None,
    ), status


@bp.post("/plans/<int:plan_id>/publish")
def publish(plan_id: int):
    """Publish the plan to patrons from the date in the form (today when empty)."""
    row = get_plan(plan_id)
    access.require(access.EDIT, row.scenario_id)
    text = (request.form.get("effective_from") or "").strip()
    try:
        effective = date.fromisoformat(text) if text else _today(_calendar(row))
    except ValueError:
        problem = Problem(_("publish"), None, "effective_from", text, _('a date "YYYY-MM-DD"'))
        return _plan_page(plan_id, shown_problems(InputError([problem])), text, 422)
    try:
        services.publish_plan(db.session(), row, effective)
    except InputError as err:
        return _plan_page(plan_id, shown_problems(err), text, 422)
    flash(_("Plan %(id)d is published: patrons see it from %(date)s.", id=plan_id, date=nice_date(effective)), "ok")
    return redirect(url_for("scenarios.scenario", scenario_id=row.scenario_id, _anchor="published"), 303)


@bp.get("/plans/<int:plan_id>/map")
def plan_map_page(plan_id: int):
    row, plan, scenario = _load(plan_id)
    m = plan_map(plan, scenario, map_assets(), leg_shapes(plan.travel, plan.routes))
    return security.map_document(render_map(m, plan_title(row)))


@bp.get("/plans/<int:plan_id>/export/<fmt>")
def export(plan_id: int, fmt: str):
    """The plan as a file to download: xlsx, csv, geojson, gpx or pdf (:mod:`routeplanner.io.exports`)."""
    chosen = exports.FORMATS.get(fmt)
    if chosen is None:
        raise not_found(_("There is no export as “%(fmt)s”: choose xlsx, csv, geojson, gpx or pdf.", fmt=fmt))
    row, plan, scenario = _load(plan_id)
    return export_response(plan, scenario, chosen, f"plan-{row.id}")


# --- drivers ------------------------------------------------------------------------


#: How many of a route-day's next dates a driver's sheet lists.
SHEET_DATES = 6


def _sheet(plan: Plan, route: Route, scenario, number: int, route_dates, closed=None, shapes=None) -> dict:
    """A driver's sheet; ``closed``: (today, the closed dates ahead) of the scenario's calendar;
    ``shapes``: the legs along the roads (``travel.leg_shapes``), straight lines without."""
    day = route_dates.get(id(route))
    sheet = {
        "number": number,
        "route": route,
        "title": route_title(route),
        "date": day,
        "rows": driver_rows(route, scenario),
        "svg": route_svg(route, shapes=shapes),
        "loans": sum(v.loans for v in route.visits),
        "closed": "",  # the sheet's own date is closed: why
        "next": [],  # the next dates this route-day is driven
        "skipped": [],  # "no visit on ..." for the closed dates among them
    }
    if closed is not None and plan.cycle.start_date is not None:
        today, shut = closed
        if day is not None and day in shut:
            sheet["closed"] = shut[day] or _("the library is closed")
        since = max(today, plan.cycle.start_date)
        ahead = dates.slot_dates(plan.cycle, route.week, route.day, since,
                                 since + timedelta(weeks=max(DATES_AHEAD_WEEKS, plan.cycle.weeks)))
        sheet["next"] = dates.open_dates(ahead, shut)[:SHEET_DATES]
        last = sheet["next"][-1] if sheet["next"] else None
        sheet["skipped"] = [closure_text(d, r) for d, r in dates.closed_dates(ahead, shut) if last is None or d <= last]
    return sheet


def _sheet_closures(row: store.PlanRow, plan: Plan) -> tuple[date, dict[date, str]] | None:
    """(today, the closed dates from the first sheet's date to the sheets' horizon), for :func:`_sheet`."""
    if plan.cycle.start_date is None:
        return None
    calendar = _calendar(row)
    today = _today(calendar)
    first = min(plan.cycle.start_date, today)
    last = max(today, plan.cycle.start_date) + timedelta(weeks=max(DATES_AHEAD_WEEKS, plan.cycle.weeks) + plan.cycle.weeks)
    return today, dates.closures(calendar, first, last, _holiday_language())


@bp.get("/plans/<int:plan_id>/driver")
def driver_index(plan_id: int):
    row, plan, scenario = _load(plan_id)
    routes = calendar_routes(plan)
    route_dates = _route_dates(plan)
    by_week: dict[int, list[tuple[int, Route, date | None]]] = {}
    for n, r in enumerate(routes, start=1):
        by_week.setdefault(r.week, []).append((n, r, route_dates.get(id(r))))
    return render_template(
        "plans/driver_index.html", row=row, plan=plan, title=plan_title(row), by_week=by_week, dates=route_dates,
        route_title=route_title, num=num, duration=duration, nice_date=nice_date, hhmm=hhmm,
    )


@bp.get("/plans/<int:plan_id>/driver/<int:number>")
def driver_sheet(plan_id: int, number: int):
    row, plan, scenario = _load(plan_id)
    routes = calendar_routes(plan)
    if not 1 <= number <= len(routes):
        raise not_found(_("Plan %(id)d has no route-day number %(n)d.", id=plan_id, n=number))
    route_dates = _route_dates(plan)
    sheet = _sheet(plan, routes[number - 1], scenario, number, route_dates, _sheet_closures(row, plan),
                   leg_shapes(plan.travel, [routes[number - 1]]))
    return render_template(
        "plans/driver.html", row=row, plan=plan, title=plan_title(row), sheets=[sheet], single=True,
        total=len(routes), num=num, duration=duration, nice_date=nice_date, hhmm=hhmm,
    )


@bp.get("/plans/<int:plan_id>/driver/week/<int:week>")
def driver_week(plan_id: int, week: int):
    row, plan, scenario = _load(plan_id)
    routes = calendar_routes(plan)
    vehicle = request.args.get("vehicle")
    route_dates = _route_dates(plan)
    closed = _sheet_closures(row, plan)
    chosen = [(n, r) for n, r in enumerate(routes, start=1) if r.week == week and (not vehicle or r.vehicle == vehicle)]
    shapes = leg_shapes(plan.travel, [r for _n, r in chosen])
    sheets = [_sheet(plan, r, scenario, n, route_dates, closed, shapes) for n, r in chosen]
    if not sheets:
        raise not_found(_("Plan %(id)d has no routes in week %(week)d.", id=plan_id, week=week))
    return render_template(
        "plans/driver.html", row=row, plan=plan, title=plan_title(row), sheets=sheets, single=False, week=week,
        total=len(routes), num=num, duration=duration, nice_date=nice_date, hhmm=hhmm,
    )


# --- patrons -------------------------------------------------------------------------


@dataclasses.dataclass
class PatronView:
    """A plan as patrons see it: at its own address (``publication`` None) or as published."""

    row: store.PlanRow
    plan: Plan  # its cycle anchored at the publication's date when it had no start date
    scenario: Scenario | None  # as solved
    calendar: CalendarSettings  # the scenario's, as it is now
    publication: store.PublicationRow | None = None
    upcoming: store.PublicationRow | None = None

    @property
    def stable(self) -> bool:
        return self.publication is not None

    @property
    def start(self) -> date | None:
        """The first date the timetable runs: the cycle's start, or the publication's date if later."""
        first = self.plan.cycle.start_date
        if self.publication is not None and first is not None:
            return max(first, self.publication.effective_from)
        return first


def _plan_view(plan_id: int) -> PatronView:
    row, plan, scenario = _load(plan_id)
    return PatronView(row, plan, scenario, _calendar(row))


def _published_view(scenario_id: int) -> PatronView:
    """The scenario's published plan; a friendly 404 before anything is published."""
    srow = get_scenario(scenario_id)
    access.require(access.VIEW, scenario_id)
    calendar = srow.to_model().calendar
    shown = services.published(db.session(), scenario_id, dates.today_in(dates.time_zone(calendar)))
    pub = shown.shown
    if pub is None:
        raise not_found(_("“%(name)s” has no published timetable yet. When the library publishes one, it "
                          "appears at this address.", name=srow.name))
    row = pub.plan
    plan = plan_model(row)
    plan = dataclasses.replace(plan, cycle=dates.anchored(plan.cycle, pub.effective_from))
    upcoming = shown.upcoming if shown.current is not None else None
    return PatronView(row, plan, snapshot_model(row), calendar, pub, upcoming)


def _links(view: PatronView) -> dict:
    """Where the patron pages link: the stable addresses for the published plan
    (also from its own pages), the plan's own addresses for any other."""
    row = view.row
    published = view.publication
    if published is None:
        today = _today(view.calendar)
        current = services.published(db.session(), row.scenario_id, today).shown
        published = current if current is not None and current.plan_id == row.id else None
    if published is not None:
        sid = row.scenario_id
        return {
            "stable": True,
            "timetable": url_for("plans.published_timetable", scenario_id=sid),
            "poster": url_for("plans.published_poster", scenario_id=sid),
            "feed": url_for("plans.published_calendar", scenario_id=sid),
            "subscribe": _webcal(url_for("plans.published_calendar", scenario_id=sid, _external=True)),
            "calendar": lambda stop: url_for("plans.published_calendar", scenario_id=sid, stop=stop),
        }
    return {
        "stable": False,
        "timetable": url_for("plans.timetable", plan_id=row.id),
        "poster": url_for("plans.poster", plan_id=row.id),
        "feed": None,
        "subscribe": None,
        "calendar": lambda stop: url_for("plans.stop_calendar", plan_id=row.id, stop=stop),
    }


def _webcal(url: str) -> str:
    """The address with the scheme phones open as "subscribe to this calendar"."""
    return re.sub(r"^https?://", "webcal://", url)


def _patron_page(template: str, view: PatronView) -> str:
    """The patrons' timetable of a plan in ``template`` (the page, or the poster to print),
    with the next dates less the closed ones, and the closed dates each stop would have had.
    In the scenario's patron language unless the visitor chose another (``?lang=``)."""
    i18n.page_default(view.calendar.language)
    today = _today(view.calendar)
    since = max(today, view.start) if view.start else today
    until = since + timedelta(weeks=max(DATES_AHEAD_WEEKS, view.plan.cycle.weeks))
    closed = dates.closures(view.calendar, since, until, _holiday_language())
    stops = patron_timetable(view.plan, view.scenario, today=since, closed=closed)
    notes = {}
    if view.plan.cycle.start_date is not None:
        for st in stops:
            skipped = dates.closed_visits(view.plan.cycle, [(s.week, s.day) for s in st.slots], since, until, closed)
            notes[st.stop_id] = [closure_text(d, reason) for d, reason in skipped]
    return render_template(
        template, row=view.row, plan=view.plan, title=plan_title(view.row), stops=stops, nice_date=nice_date,
        notes=notes, links=_links(view), publication=view.publication, upcoming=view.upcoming, start=view.start,
        today=today,
    )


@bp.get("/plans/<int:plan_id>/timetable")
def timetable(plan_id: int):
    return _patron_page("plans/timetable.html", _plan_view(plan_id))


@bp.get("/plans/<int:plan_id>/poster")
def poster(plan_id: int):
    return _patron_page("plans/poster.html", _plan_view(plan_id))


@bp.get("/scenarios/<int:scenario_id>/timetable")
def published_timetable(scenario_id: int):
    """The patrons' timetable of the plan published now: an address that never changes."""
    return _patron_page("plans/timetable.html", _published_view(scenario_id))


@bp.get("/scenarios/<int:scenario_id>/poster")
def published_poster(scenario_id: int):
    return _patron_page("plans/poster.html", _published_view(scenario_id))


@bp.get("/scenarios/<int:scenario_id>/calendar.ics")
def published_calendar(scenario_id: int):
    """The published timetable as a calendar feed to subscribe to: every stop, or one (``?stop=``).

    The stop is a query parameter, not part of the path: a stop id such as
    ``../../x`` in the path would make the link resolve to another address.
    """
    view = _published_view(scenario_id)
    stop_id = request.args.get("stop") or None
    return _calendar_response(view, stop_id)


@bp.get("/plans/<int:plan_id>/calendar")
def stop_calendar(plan_id: int):
    """One stop's visits in this plan as an iCalendar file (``?stop=kamajai``), for a preview:
    patrons subscribe to the published feed (``/scenarios/<id>/calendar.ics``), whose events
    have the same UIDs.

    The stop id is a query parameter, percent-encoded by ``url_for``: in the
    path, an id such as ``../../scenarios/1`` would make the link resolve to
    another page of the site.
    """
    stop_id = request.args.get("stop", "")
    if not stop_id:
        raise not_found(_("Which stop? The calendar link names one (…/calendar?stop=…)."))
    return _calendar_response(_plan_view(plan_id), stop_id)


@bp.get("/plans/<int:plan_id>/calendar/<path:stop_id>")
def stop_calendar_by_path(plan_id: int, stop_id: str):
    """The address of earlier versions, for links already handed out."""
    return _calendar_response(_plan_view(plan_id), stop_id)


def _calendar_response(view: PatronView, stop_id: str | None) -> Response:
    """The feed of ``view`` (one stop's with ``stop_id``): from the day it starts to the timetable's
    last date (``valid_until``, else a year on; the day before the next publication takes effect)."""
    i18n.page_default(view.calendar.language)
    row, plan = view.row, view.plan
    if plan.cycle.start_date is None or view.start is None:
        raise not_found(_("This plan's cycle has no start date, so it has no calendar dates. "
                          "Set a start date in the scenario's settings and plan again."))
    events = ical.slot_events(plan, view.scenario, row.scenario_id, stop_id)
    if not events:
        if stop_id is not None:
            raise not_found(_("The bookmobile does not stop at “%(stop)s” in this plan.", stop=stop_id))
        raise not_found(_("This plan visits no stops."))
    first = view.start
    last = dates.horizon(first, view.calendar)
    if view.upcoming is not None:
        last = min(last, view.upcoming.effective_from - timedelta(days=1))
    closed = dates.closures(view.calendar, first, last, _holiday_language())
    name = events[0].name if stop_id is not None else row.scenario.name
    words = ical.Words(
        calendar_name=_("Mobile library at %(stop)s", stop=name) if stop_id is not None
        else _("Mobile library: %(name)s", name=name),
        summary=lambda e: _("Mobile library at %(stop)s", stop=e.name),
        description=lambda e: _("%(plan)s — open %(times)s", plan=plan.scenario,
                                times=times(e.arrival_min, e.departure_min)),
    )
    if view.publication is not None:
        stamp, sequence = view.publication.published_at, view.publication.id
    else:
        stamp, sequence = row.created_at or datetime(2000, 1, 1), 0
    body = ical.feed(events, plan.cycle, words=words, zone=dates.time_zone(view.calendar), first=first, last=last,
                     closed=closed, stamp=stamp, sequence=sequence)
    filename = f"bookmobile-{slugify(name) or slugify(stop_id or '') or 'stop'}.ics"
    filename = re.sub(r"[^A-Za-z0-9._-]", "-", filename)
    # A feed is read by calendars (inline); a plan's file is downloaded.
    disposition = "inline" if view.stable else "attachment"
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f'{disposition}; filename="{filename}"'})
