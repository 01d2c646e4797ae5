"""Coordinators' pages: scenarios, their stops and settings, and starting a plan.

Every change is validated by the importers' own rules (``pages_forms``) and
saved all-or-nothing; a refused form comes back (422) with every problem in
one table and the coordinator's values still in it.

The stops and settings forms carry the scenario's ``version`` (hidden): a
save from a page opened before someone else saved comes back (409) with the
coordinator's values still in the form, saying so, and nothing is saved; the
coordinator can look at the current values or save again over them.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from routeplanner import dates, jobs, services, store
from routeplanner.datachecks import DataWarning, ImportNotes, check_scenario
from routeplanner.errors import InputError, Problem
from routeplanner.io import STOP_COLUMNS
from routeplanner.io.cells import safe_cell
from routeplanner.io.stops import parse_number
from routeplanner.model import WEEKDAYS
from routeplanner.web import access, checks, db, security
from routeplanner.web import jobs as web_jobs
from routeplanner.web.maps import depot_picker_map, render_map, stops_map
from routeplanner.web.pages import get_job, get_scenario, leaflet_installed, map_assets, not_found
from routeplanner.web.api_input import upload_name
from routeplanner.web.pages_forms import (
    form_travel_methods,
    SETTINGS_SOURCE,
    STOPS_SOURCE,
    SettingsForm,
    ShownProblem,
    build_scenario,
    shown_problems,
    stop_rows_from_form,
    stop_rows_from_scenario,
    stops_csv,
)
from routeplanner.web.pages_text import duration, num

bp = Blueprint("scenarios", __name__)

#: How many finished solves the scenario page lists.
RECENT_JOBS = 5


def _last_plan(row: store.ScenarioRow) -> store.PlanRow | None:
    return row.plans[-1] if row.plans else None


def _active_jobs(row: store.ScenarioRow) -> list[dict[str, Any]]:
    return [web_jobs.job_status(j) for j in row.jobs if j.status in jobs.ACTIVE]


# --- the list ---------------------------------------------------------------------


@bp.get("/")
def index():
    access.require(access.VIEW)
    rows = list(store.scenarios(db.session()))
    items = []
    for row in rows:
        plan = _last_plan(row)
        items.append({
            "row": row,
            "stops": len(row.stops),
            "plan": plan,
            "active": _active_jobs(row),
            "vehicles": len(row.settings.get("vehicles", [])),
            "weeks": row.settings.get("cycle", {}).get("weeks"),
        })
    return render_template("scenarios/list.html", items=items, num=num)


# --- new scenario: upload or copy ------------------------------------------------------


def _new_page(settings: SettingsForm, problems: list[ShownProblem] | None = None, status: int = 200,
              copy_name: str = "", copy_from: int | None = None, warnings: list[DataWarning] | None = None,
              prepared: str = "", prepared_name: str = ""):
    """The new-scenario page.  ``warnings`` with ``prepared`` (the stops as read, as CSV text):
    the upload's check, shown before anything is stored; ``prepared`` is sent back to create it."""
    others = list(store.scenarios(db.session()))
    return render_template(
        "scenarios/new.html",
        form=settings,
        problems=problems or [],
        weekdays=WEEKDAYS,
        scenarios=others,
        copy_name=copy_name,
        copy_from=copy_from,
        warnings=warnings or [],
        prepared=prepared,
        prepared_name=prepared_name,
        picker_url=url_for("scenarios.depot_map", **_point_args(settings.depot_lat, settings.depot_lon)),
        geocoding=checks.geocoder() is not None,
        leaflet_ok=leaflet_installed(),
    ), status


def _point_args(lat_text: str, lon_text: str) -> dict[str, str]:
    """``lat`` and ``lon`` for the depot picker's address, when the form holds a point."""
    try:
        lat, lon = parse_number(lat_text), parse_number(lon_text)
    except ValueError:
        return {}
    if -90 <= lat <= 90 and -180 <= lon <= 180:
        return {"lat": f"{lat:.6f}", "lon": f"{lon:.6f}"}
    return {}


@bp.get("/scenarios/new")
def new_scenario():
    access.require(access.VIEW)
    return _new_page(SettingsForm.defaults())


#: The stops as read, sent back by the page that shows an upload's warnings (CSV text; the
#: upload limit holds: web requests are at most MAX_INPUT_BYTES).
PREPARED_FIELD = "prepared_stops"


@bp.post("/scenarios/new")
def create_scenario():
    access.require(access.EDIT)
    settings = SettingsForm.from_form(request.form, request.form.getlist, base=SettingsForm.defaults())
    upload = request.files.get("stops_file")
    prepared = request.form.get(PREPARED_FIELD, "")
    prepared_name = (request.form.get("prepared_name") or "stops.csv")[:200]
    if upload is not None and upload.filename:
        stops = (upload.filename, upload.read())
        confirmed = False
    elif prepared:
        # The coordinator has seen the warnings of these stops and creates the scenario with them.
        stops = (prepared_name, prepared.encode("utf-8"))
        confirmed = True
    else:
        problem = ShownProblem(_("stops file"), None, "", "",
                               _("a stops table (CSV or Excel .xlsx) chosen with the file button"))
        return _new_page(settings, [problem], 422)
    notes = ImportNotes()
    try:
        scenario = build_scenario(settings, stops, notes=notes)
    except InputError as err:
        kept = prepared if confirmed else ""
        return _new_page(settings, shown_problems(err), 422, prepared=kept, prepared_name=prepared_name)
    warnings = check_scenario(scenario, notes)
    if notes.warnings and not confirmed:
        # Doubts found while reading (a geocoded address, a row of the wrong length) cannot be shown
        # again once the file is gone: nothing is stored before the coordinator has seen them.
        if settings.depot_address and not (settings.depot_lat and settings.depot_lon):
            settings.depot_lat, settings.depot_lon = repr(scenario.depot.lat), repr(scenario.depot.lon)
        table = stops_csv(stop_rows_from_scenario(scenario))
        return _new_page(settings, warnings=warnings, prepared=table.data.decode("utf-8"),
                         prepared_name=stops[0])
    row = services.create_scenario(db.session(), scenario)
    flash(ngettext("Scenario created with %(num)d stop.", "Scenario created with %(num)d stops.",
                   len(scenario.stops)), "ok")
    stored = checks.stored_warnings(row.to_model())
    if stored:
        flash(ngettext("%(num)d warning about the data: check it before planning.",
                       "%(num)d warnings about the data: check them before planning.", len(stored)), "warn")
    return redirect(url_for("scenarios.scenario", scenario_id=row.id), 303)


@bp.get("/scenarios/depot-map")
def depot_map():
    """The map to click the depot on (the new-scenario and settings forms frame it)."""
    access.require(access.VIEW)
    start = None
    args = _point_args(request.args.get("lat", ""), request.args.get("lon", ""))
    if args:
        start = (float(args["lat"]), float(args["lon"]))
    around = [(r.settings["depot"]["lat"], r.settings["depot"]["lon"]) for r in store.scenarios(db.session())]
    m = depot_picker_map(start, around, map_assets())
    return security.map_document(render_map(m, _("Click the depot's place")))


@bp.get("/scenarios/<int:scenario_id>/check-map")
def check_map(scenario_id: int):
    """The stops before planning, the ones with a warning marked (the scenario page frames it)."""
    row = get_scenario(scenario_id)
    access.require(access.VIEW, scenario_id)
    model = row.to_model()
    m = stops_map(model, checks.stored_warnings(model), map_assets())
    return security.map_document(render_map(m, _("The stops of %(name)s", name=row.name)))


@bp.post("/scenarios/<int:scenario_id>/copy")
def copy_scenario(scenario_id: int):
    source = get_scenario(scenario_id)
    access.require(access.VIEW, scenario_id)
    access.require(access.EDIT)
    requested = (request.form.get("name") or "").strip() or None  # left empty: the default name
    try:
        name = services.copy_name(requested, _("%(name)s (copy)", name=source.name), SETTINGS_SOURCE)
    except InputError as err:
        shown = store.UNSTORABLE.sub("?", requested or "")
        return _new_page(SettingsForm.defaults(), shown_problems(err), 422, copy_name=shown, copy_from=scenario_id)
    row = services.copy_scenario(db.session(), source, name)
    flash(_("Copied “%(source)s” as “%(name)s”.", source=source.name, name=name), "ok")
    return redirect(url_for("scenarios.scenario", scenario_id=row.id), 303)


@bp.post("/scenarios/copy")
def copy_chosen_scenario():
    """The "copy another scenario" form of the new-scenario page (a select, no JS)."""
    try:
        scenario_id = int(request.form.get("copy_from", ""))
    except ValueError:
        problem = ShownProblem(_("copy"), None, "", request.form.get("copy_from", ""), _("a scenario to copy"))
        return _new_page(SettingsForm.defaults(), [problem], 422, copy_name=request.form.get("name", ""))
    return copy_scenario(scenario_id)


# --- one scenario ----------------------------------------------------------------------


def _scenario_page(row: store.ScenarioRow, *, stop_rows=None, settings: SettingsForm | None = None,
                   problems: list[ShownProblem] | None = None, problems_for: str = "", status: int = 200,
                   plan_form: dict[str, str] | None = None, form_version: int | None = None,
                   conflict: str = ""):
    """The scenario page.  ``form_version``: the version the stops and settings
    forms say they were made from (default: the row's); ``conflict``: the form
    (``stops`` or ``settings``) whose save was refused because someone else
    saved first."""
    model = row.to_model()
    published = services.published(db.session(), row.id, dates.today_in(dates.time_zone(model.calendar)))
    if stop_rows is None:
        stop_rows = stop_rows_from_scenario(model)
    if settings is None:
        settings = SettingsForm.from_settings(row.name, row.settings)
    problems = problems or []
    bad_rows = {p.row for p in problems if problems_for == "stops" and p.row is not None}
    warnings = checks.stored_warnings(model)
    warn_rows = {w.row for w in warnings if w.row is not None}
    finished = [j for j in reversed(row.jobs) if j.status not in jobs.ACTIVE][:RECENT_JOBS]
    plan_form = plan_form or {
        "time_limit_s": num(model.solver.time_limit_s, 1).replace(",", ""),
        "label": "",
        # A re-plan starts from what patrons see, when they see anything.
        "base_plan_id": str(published.shown.plan_id) if published.shown else "",
        "replan": "keep",
    }
    return render_template(
        "scenarios/show.html",
        row=row,
        scenario=model,
        stop_rows=stop_rows,
        stop_columns=STOP_COLUMNS,
        bad_rows=bad_rows,
        warnings=warnings,
        warn_rows=warn_rows,
        leaflet_ok=leaflet_installed(),
        settings=settings,
        weekdays=WEEKDAYS,
        travel_methods=form_travel_methods() if row.settings["travel"]["method"] in form_travel_methods()
        else form_travel_methods() + (row.settings["travel"]["method"],),
        problems=problems,
        problems_for=problems_for,
        plans=list(reversed(row.plans)),
        active_jobs=_active_jobs(row),
        finished_jobs=[web_jobs.job_status(j) for j in finished],
        plan_form=plan_form,
        form_version=row.version if form_version is None else form_version,
        conflict=conflict,
        published=published,
        time_zone=dates.time_zone(model.calendar),
        num=num,
        duration=duration,
    ), status


def _form_version() -> int | None:
    """The version the submitted form was made from (its hidden field); None
    when the form has none (the last write wins, as before versions)."""
    text = (request.form.get("version") or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        abort(400)
    return int(text)


def _conflict_page(scenario_id: int, **shown: Any):
    """409: someone else saved the scenario first; the page shows it as it is
    now, except the refused form, which keeps the coordinator's values."""
    row = get_scenario(scenario_id)  # 404 when it was deleted meanwhile
    return _scenario_page(row, status=409, **shown)


@bp.get("/scenarios/<int:scenario_id>")
def scenario(scenario_id: int):
    row = get_scenario(scenario_id)
    access.require(access.VIEW, scenario_id)
    return _scenario_page(row)


@bp.get("/scenarios/<int:scenario_id>/stops.csv")
def scenario_stops_csv(scenario_id: int):
    row = get_scenario(scenario_id)
    access.require(access.VIEW, scenario_id)
    buf = io.StringIO()
    out = csv.DictWriter(buf, fieldnames=STOP_COLUMNS, lineterminator="\r\n")
    out.writeheader()
    for record in stop_rows_from_scenario(row.to_model()):
        out.writerow({k: safe_cell(v) for k, v in record.items()})
    # A byte-order mark: spreadsheet programs on Baltic systems then read UTF-8.
    return Response(
        "\ufeff" + buf.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="scenario-{row.id}-stops.csv"'},
    )


@bp.post("/scenarios/<int:scenario_id>/stops")
def save_stops(scenario_id: int):
    row = get_scenario(scenario_id)
    access.require(access.EDIT, scenario_id)
    version = _form_version()
    rows = stop_rows_from_form(request.form)
    if version is not None and version != row.version:
        return _conflict_page(scenario_id, stop_rows=rows, conflict="stops")
    table = stops_csv(rows)
    settings = SettingsForm.from_settings(row.name, row.settings)
    try:
        scenario = build_scenario(settings, (STOPS_SOURCE, table.data), row_map=table.csv_row_to_shown)
    except InputError as err:
        return _scenario_page(row, stop_rows=rows, problems=shown_problems(err), problems_for="stops", status=422,
                              form_version=version)
    before = len(row.stops)
    try:
        row = services.save_scenario(db.session(), row, scenario, expected_version=version)
    except store.Conflict:
        return _conflict_page(scenario_id, stop_rows=rows, conflict="stops")
    flash(_("Stops saved: %(now)d stops (%(before)d before).", now=len(scenario.stops), before=before), "ok")
    return redirect(url_for("scenarios.scenario", scenario_id=row.id, _anchor="stops"), 303)


@bp.post("/scenarios/<int:scenario_id>/settings")
def save_settings(scenario_id: int):
    row = get_scenario(scenario_id)
    access.require(access.EDIT, scenario_id)
    version = _form_version()
    current = SettingsForm.from_settings(row.name, row.settings)
    settings = SettingsForm.from_form(request.form, request.form.getlist, base=current)
    if version is not None and version != row.version:
        return _conflict_page(scenario_id, settings=settings, conflict="settings")
    table = stops_csv(stop_rows_from_scenario(row.to_model()))
    try:
        scenario = build_scenario(settings, (STOPS_SOURCE, table.data), row_map=table.csv_row_to_shown)
    except InputError as err:
        return _scenario_page(row, settings=settings, problems=shown_problems(err), problems_for="settings",
                              status=422, form_version=version)
    try:
        row = services.save_scenario(db.session(), row, scenario, expected_version=version)
    except store.Conflict:
        return _conflict_page(scenario_id, settings=settings, conflict="settings")
    flash(_("Settings saved."), "ok")
    return redirect(url_for("scenarios.scenario", scenario_id=row.id, _anchor="settings"), 303)


@bp.post("/scenarios/<int:scenario_id>/delete")
def delete_scenario(scenario_id: int):
    row = get_scenario(scenario_id)
    access.require(access.DELETE, scenario_id)
    name = row.name
    store.delete_scenario(db.session(), row)
    flash(_("Scenario “%(name)s” deleted, with its plans.", name=name), "ok")
    return redirect(url_for("scenarios.index"), 303)


# --- planning ----------------------------------------------------------------------------


@bp.post("/scenarios/<int:scenario_id>/plan")
def start_plan(scenario_id: int):
    row = get_scenario(scenario_id)
    access.require(access.PLAN, scenario_id)
    text = (request.form.get("time_limit_s") or "").strip()
    label = (request.form.get("label") or "").strip()
    base_text = (request.form.get("base_plan_id") or "").strip()  # empty: plan from scratch
    mode = (request.form.get("replan") or "keep").strip()
    problems: list[Problem] = []
    limit: float | None = None
    if text:
        try:
            limit = parse_number(text)
        except ValueError:
            problems.append(Problem(_("plan"), None, "time_limit_s", text, _("seconds, more than 0")))
    base: int | None = None
    if base_text:
        if base_text.isascii() and base_text.isdigit() and len(base_text) <= 18:
            base = int(base_text)
        else:
            problems.append(Problem(_("plan"), None, "base_plan_id", base_text[:80],
                                    _("a plan of this scenario, or nothing")))
    if not problems:
        try:
            # The mode means something only with a base: without one it is an ordinary solve.
            job = services.start_solve(db.session(), row.id, time_limit_s=limit, label=label, base_plan_id=base,
                                       replan=mode if base is not None else None,
                                       dispatch=web_jobs.dispatcher(current_app))
        except InputError as err:
            problems = err.problems
        except jobs.JobNotFound:
            raise not_found(_("There is no scenario number %(id)d. It may have been deleted.", id=scenario_id))
    if problems:
        return _scenario_page(row, problems=shown_problems(InputError(problems)), problems_for="plan", status=422,
                              plan_form={"time_limit_s": text, "label": label, "base_plan_id": base_text,
                                         "replan": mode})
    return redirect(url_for("scenarios.job", job_id=job.id), 303)


#: How many of an imported timetable's notes the next page shows.
NOTES_SHOWN = 10


@bp.post("/scenarios/<int:scenario_id>/timetable")
def import_timetable(scenario_id: int):
    """Today's timetable, uploaded, stored as a plan of the scenario: to check, compare and re-plan from."""
    row = get_scenario(scenario_id)
    access.require(access.PLAN, scenario_id)
    label = (request.form.get("label") or "").strip()
    upload = request.files.get("timetable_file")
    if upload is None or not upload.filename:
        problem = ShownProblem(_("timetable"), None, "", "",
                               _("a timetable (CSV or Excel .xlsx) chosen with the file button"))
        return _scenario_page(row, problems=[problem], problems_for="timetable", status=422)
    try:
        imported = services.import_plan(db.session(), row, upload.read(), upload_name(upload, "timetable.csv"),
                                        label or _("today's timetable"))
    except InputError as err:
        return _scenario_page(row, problems=shown_problems(err), problems_for="timetable", status=422)
    flash(_("Timetable imported as plan %(id)d: check it, compare it, or re-plan from it.", id=imported.row.id),
          "ok")
    for note in imported.notes[:NOTES_SHOWN]:
        flash(_("Row %(row)s, %(column)s: %(value)s %(note)s", row=note.row, column=note.column, value=note.value,
                note=note.note), "warn")
    if len(imported.notes) > NOTES_SHOWN:
        flash(ngettext("... and %(num)d more note.", "... and %(num)d more notes.",
                       len(imported.notes) - NOTES_SHOWN), "warn")
    return redirect(url_for("plans.plan", plan_id=imported.row.id), 303)


@bp.get("/jobs/<int:job_id>")
def job(job_id: int):
    row = get_job(job_id)
    access.require(access.VIEW, row.scenario_id)
    status = web_jobs.job_status(row)
    return render_template("jobs/show.html", job=row, status=status, scenario=row.scenario, num=num)


@bp.post("/jobs/<int:job_id>/cancel")
def cancel_job(job_id: int):
    row = get_job(job_id)
    access.require(access.PLAN, row.scenario_id)
    try:
        jobs.request_cancel(db.session(), job_id)
    except jobs.JobNotFound:
        raise not_found(_("There is no solve number %(id)d.", id=job_id))
    flash(_("Asked the solve to stop."), "ok")
    return redirect(url_for("scenarios.job", job_id=job_id), 303)


def latest_plans(limit: int = 50) -> list[store.PlanRow]:
    s = db.session()
    return list(s.scalars(select(store.PlanRow).order_by(store.PlanRow.id.desc()).limit(limit)))
