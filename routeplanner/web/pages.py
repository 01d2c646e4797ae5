"""HTML pages: the error pages and what every page shares.

The routes live in the ``pages_*`` modules, each with its own blueprint
(:data:`PAGE_BLUEPRINTS`), grouped by who uses them:

* :mod:`pages_scenarios`: coordinators' scenario list, upload, editing, "Plan"
  and the progress of a solve;
* :mod:`pages_plans`: the plan page and its map, drivers' sheets, patrons'
  timetable, poster and calendar files;
* :mod:`pages_compare`: planners' side-by-side comparison of plans.

Views read and write only through ``web.db`` rows and the domain model (no
pandas, no OR-Tools); solves go through ``web.jobs``; every change first
passes ``access.require``.  Every visible string goes through Flask-Babel;
every piece of user text reaches the HTML through Jinja's autoescaping, and
the maps through ``maps.map_text``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from routeplanner import formats, store
from routeplanner.errors import InputError
from routeplanner.io import exports
from routeplanner.io.jsonform import scenario_from_dict
from routeplanner.io.planjson import plan_from_dict
from routeplanner.model import Plan, Scenario
from routeplanner.web import db
from routeplanner.web.maps import DEFAULT_TILES, MapAssets

bp = Blueprint("pages", __name__)
#: The blueprints of the page modules (each its own: pages_scenarios, pages_plans, pages_compare);
#: this one ("pages") holds no routes, only the error pages and what every template uses.
PAGE_BLUEPRINTS = ("scenarios", "plans", "compare")

STATIC = Path(__file__).parent / "static"
LEAFLET_JS = "vendor/leaflet/leaflet.js"
LEAFLET_CSS = "vendor/leaflet/leaflet.css"

def _error_title(code: int) -> str:
    titles = {
        400: _("The request could not be understood"),
        403: _("You may not do that"),
        404: _("Not found"),
        405: _("Not allowed here"),
        413: _("The file is too large"),
        422: _("Some values need correcting"),
        500: _("Something went wrong on our side"),
    }
    return titles.get(code, _("Error %(code)d", code=code))


def _error_message(exc: HTTPException) -> str:
    if exc.code == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
        return _("Files up to %(mb)d MB can be uploaded.", mb=max(1, limit // (1024 * 1024)))
    if exc.code == 404 and not getattr(exc, "_friendly", False):
        return _("There is no page at this address. It may have been deleted, or the link is wrong.")
    if getattr(exc, "_friendly", False):
        return exc.description or ""
    defaults = {
        400: _("Please go back and check the form."),
        403: _("Ask a coordinator of this scenario for access."),
        405: _("This address cannot be used like that."),
        500: _("The error has been logged. Please try again in a moment."),
    }
    return defaults.get(exc.code or 500, "")


def _wants_json() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def http_error(exc: HTTPException):
    """A friendly page for every HTTP error of the pages."""
    code = exc.code or 500
    if _wants_json():
        return jsonify({"error": exc.description or exc.name, "problems": []}), code
    page = render_template("error.html", code=code, title=_error_title(code), message=_error_message(exc))
    return page, code


#: The status codes that get an error page (and that the API answers in JSON).
ERROR_CODES = (400, 401, 403, 404, 405, 406, 409, 410, 413, 415, 422, 429, 500)


@bp.record_once
def _register_error_pages(state) -> None:
    """App-wide error pages that leave the API's JSON errors to the API.

    The API registers per-code handlers that answer JSON under ``/api``; a
    handler registered for a code here replaces it app-wide, so ours hands
    ``/api`` requests back to the handler that was there before.
    """
    from werkzeug.exceptions import default_exceptions

    app = state.app
    for code in ERROR_CODES:
        cls = default_exceptions[code]
        previous = app.error_handler_spec[None][code].get(cls)
        app.register_error_handler(code, _error_page(previous))
    app.register_error_handler(HTTPException, _error_page(None))


def _error_page(previous):
    def handler(exc):
        if not isinstance(exc, HTTPException):  # an unhandled exception: Flask passes a 500
            from werkzeug.exceptions import InternalServerError

            exc = InternalServerError()
        if previous is not None and _wants_json():
            return previous(exc)
        return http_error(exc)

    return handler


def not_found(message: str) -> HTTPException:
    """A 404 whose message the page shows (raise it)."""
    from werkzeug.exceptions import NotFound

    exc = NotFound(message)
    exc._friendly = True  # type: ignore[attr-defined]
    return exc


def bad_request(message: str) -> HTTPException:
    from werkzeug.exceptions import BadRequest

    exc = BadRequest(message)
    exc._friendly = True  # type: ignore[attr-defined]
    return exc


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    return {"locale": str(get_locale() or "en"), "static_url": static_url}


@bp.app_template_global()
def status_text(status: str) -> str:
    """A solve's status in words."""
    return {
        "queued": _("waiting to start"),
        "running": _("running"),
        "done": _("finished"),
        "failed": _("failed"),
        "cancelled": _("cancelled"),
    }.get(status, status)


@bp.app_template_global()
def phase_text(phase: str) -> str:
    """What the solver is doing, in words (empty when nothing to say)."""
    return {
        "starting": _("starting"),
        "travel matrix": _("measuring distances"),
        "patterns": _("choosing each stop's days"),
        "timetable": _("fixing the times"),
        "done": "",
    }.get(phase, phase or "")


@bp.app_template_global()
def job_labels() -> dict[str, dict[str, str]]:
    """The words app.js shows while it follows a solve."""
    statuses = ("queued", "running", "done", "failed", "cancelled")
    phases = ("starting", "travel matrix", "patterns", "timetable", "done")
    return {"status": {s: status_text(s) for s in statuses}, "phase": {p: phase_text(p) for p in phases}}


@bp.app_template_global()
def method_text(method: str) -> str:
    return {
        "haversine": _("straight line × road factor"),
        "geodesic": _("geodesic line × road factor"),
        "matrix": _("distance table file"),
        "osm": _("along the roads (OpenStreetMap)"),
        "osrm": _("along the roads (OSRM server)"),
    }.get(method, method)


@bp.app_template_global("loans")
def _loans(value) -> str:
    """Expected loans as whole numbers (:func:`routeplanner.formats.loans`)."""
    return formats.loans(value)


@bp.app_template_global("day_short")
def _day_short(day: str) -> str:
    from routeplanner.web.pages_text import day_short

    return day_short(day)


@bp.app_template_global("nice_date")
def _nice_date(d) -> str:
    from routeplanner.web.pages_text import nice_date

    return nice_date(d)


def static_url(filename: str) -> str:
    """``url_for('static')`` with the file's modification time, so edits reach browsers."""
    try:
        version = int((STATIC / filename).stat().st_mtime)
    except OSError:
        version = 0
    return url_for("static", filename=filename, v=version)


# --- loading rows ---------------------------------------------------------------


def get_scenario(scenario_id: int) -> store.ScenarioRow:
    row = db.session().get(store.ScenarioRow, scenario_id) if store.valid_id(scenario_id) else None
    if row is None:
        raise not_found(_("There is no scenario number %(id)d. It may have been deleted.", id=scenario_id))
    return row


def get_plan(plan_id: int) -> store.PlanRow:
    row = db.session().get(store.PlanRow, plan_id) if store.valid_id(plan_id) else None
    if row is None:
        raise not_found(_("There is no plan number %(id)d. It may have been deleted.", id=plan_id))
    return row


def get_job(job_id: int) -> store.JobRow:
    row = db.session().get(store.JobRow, job_id) if store.valid_id(job_id) else None
    if row is None:
        raise not_found(_("There is no solve number %(id)d.", id=job_id))
    return row


def plan_model(row: store.PlanRow) -> Plan:
    try:
        return plan_from_dict(row.plan, source=f"plan {row.id}")
    except InputError:
        raise not_found(_("Plan number %(id)d is damaged and cannot be shown.", id=row.id)) from None


def snapshot_model(row: store.PlanRow) -> Scenario | None:
    """The scenario exactly as it was solved (None when the snapshot is unusable)."""
    try:
        return scenario_from_dict(row.scenario_snapshot, source=f"plan {row.id}")
    except (KeyError, TypeError, ValueError):
        return None


def plan_title(row: store.PlanRow) -> str:
    base = _("Plan %(id)d", id=row.id)
    return f"{base} — {row.label}" if row.label else base


def map_assets() -> MapAssets:
    """Leaflet from this app; tiles from ``MAP_TILES`` (None: no background)."""
    return MapAssets(
        leaflet_js=url_for("static", filename=LEAFLET_JS),
        leaflet_css=url_for("static", filename=LEAFLET_CSS),
        tiles=current_app.config.get("MAP_TILES", DEFAULT_TILES),
    )


def export_response(plan: Plan, scenario: Scenario | None, fmt: exports.Format, stem: str) -> Response:
    """The file of ``plan`` in ``fmt``, as a download named ``stem.fmt`` (the plan page's links and the API).

    A PDF without its font installed is a 503 that says which package is missing, not a broken file.
    """
    from routeplanner.io.planpdf import FontMissing

    try:
        body = exports.export_bytes(plan, fmt, scenario)
    except FontMissing as exc:
        raise ServiceUnavailable(str(exc)) from None
    return Response(body, mimetype=fmt.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{exports.filename(stem, fmt)}"'})


def leaflet_installed() -> bool:
    return (STATIC / LEAFLET_JS).is_file()


