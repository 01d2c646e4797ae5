"""The JSON API under ``/api``, described by ``GET /api/openapi.json``.

Every error is a JSON body ``{"error": "...", "problems": [...]}`` with a 4xx
status; each problem is ``{file, row, column, value, expected}`` exactly as
the importers report it (``row`` counts like a spreadsheet: the header is
row 1, so ``stops[0]`` of a JSON body is row 2).  Input is validated by the
same code as the command line: a JSON scenario is written out as the scenario
TOML plus a stops CSV and read back through
:func:`routeplanner.io.scenario_from_toml_text`, so the rules and the messages
are the ones of the input contract.  Nothing is saved unless everything is
valid.

Every change passes :func:`routeplanner.web.access.require` first.

Optimistic concurrency: a scenario's GET answers carry its ``version`` and a
strong ``ETag``; a change that sends either back (``If-Match``, or
``version`` in the JSON) is refused when someone else saved in between (412
for ``If-Match`` as RFC 9110 requires, 409 for ``version``) and saves
nothing.  A change that sends neither overwrites, as scripts expect.

The routes are adapters: what a client sends becomes a scenario in
``web/api_input.py``, the use cases are ``routeplanner.services``, and rows
become JSON in ``web/api_documents.py``.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any, Iterable, Mapping, NamedTuple

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from routeplanner import dates, jobs, services, store
from routeplanner.datachecks import DataWarning, ImportNotes, check_scenario
from routeplanner.errors import InputError, Problem
from routeplanner.io import exports
from routeplanner.io.nesting import MAX_NESTING, deeper_than, nesting_problem
from routeplanner.io.planjson import plan_from_dict
from routeplanner.model import Scenario
from routeplanner.store import JobRow, PlanRow, ScenarioRow, StopRow
from routeplanner.web import access, checks, db
from routeplanner.web import jobs as web_jobs
from routeplanner.web.checks import warning_dict
from routeplanner.web.api_documents import (
    _iso,
    check_report,
    compare_plans,
    patron_addresses,
    publication_dict,
    plan_summary,
    scenario_dict,
    stops_dict,
    with_timetable,
)
from routeplanner.web.api_input import (
    scenario_from_json,
    scenario_from_upload,
    shown,
    upload_name,
    uploaded_file,
    validate_scenario,
)
from routeplanner.web.openapi import document
from routeplanner.web.pages import export_response, snapshot_model

bp = Blueprint("api", __name__, url_prefix="/api")

#: Plans in one comparison.
MAX_COMPARE = 10

# --- errors ----------------------------------------------------------------------------


def wants_json() -> bool:
    """Whether the current request is an API request (errors answer in JSON)."""
    return request.path == "/api" or request.path.startswith("/api/")


def problem_dict(p: Problem) -> dict[str, Any]:
    return {"file": p.file, "row": p.row, "column": p.column, "value": p.value, "expected": p.expected}


def error_response(status: int, message: str, problems: Iterable[Problem] = (), *, omitted: int = 0) -> Response:
    """``{"error", "problems", "problems_total", "problems_omitted"}``: at most
    :data:`~routeplanner.limits.MAX_LISTED_PROBLEMS` problems are listed, the
    total says how many there were."""
    listed = [problem_dict(p) for p in problems]
    response = jsonify({"error": message, "problems": listed, "problems_total": len(listed) + omitted,
                        "problems_omitted": omitted})
    response.status_code = status
    return response


class ApiError(Exception):
    """Raised by a view to answer with a JSON error."""

    def __init__(self, status: int, message: str, problems: Iterable[Problem] = ()):
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = list(problems)


def _http_error(e: HTTPException):
    if not wants_json():
        return e  # HTML pages: Flask's own answer (or the pages' handlers)
    code = e.code or 500
    message = e.description if code != 500 else _("internal error; the details are in the server log")
    response = error_response(code, message or HTTP_STATUS_CODES.get(code, "error"))
    for name, value in e.get_headers():
        if name.lower() == "allow":
            response.headers["Allow"] = value
    return response


def _json_errors_after(response: Response) -> Response:
    """Safety net: an /api error answered by a non-JSON handler becomes JSON."""
    if response.status_code >= 400 and wants_json() and response.mimetype != "application/json":
        code = response.status_code
        out = error_response(code, HTTP_STATUS_CODES.get(code, "error"))
        if "Allow" in response.headers:
            out.headers["Allow"] = response.headers["Allow"]
        return out
    return response


@bp.record_once
def _register(state) -> None:
    app = state.app
    for code in (400, 401, 403, 404, 405, 406, 409, 410, 413, 415, 422, 429, 500):
        app.register_error_handler(code, _http_error)
    app.after_request(_json_errors_after)


@bp.errorhandler(ApiError)
def _api_error(e: ApiError):
    return error_response(e.status, e.message, e.problems)


@bp.errorhandler(InputError)
def _input_error(e: InputError):
    return error_response(422, _("the input has %(n)d problem(s); nothing was saved", n=e.total), e.problems,
                          omitted=e.omitted)


@bp.errorhandler(jobs.JobNotFound)
def _not_found(e: jobs.JobNotFound):
    return error_response(404, str(e))


# --- request bodies -----------------------------------------------------------------------


def _no_constants(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _json_body(*, required: bool = True) -> Any:
    """The request body as JSON (400 when it is not JSON; None when empty and optional).

    JSON only as ``application/json`` (415 otherwise): a page of another site
    can send ``text/plain`` without asking, never ``application/json``.
    """
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise ApiError(400, _("a JSON body is required"))
        return None
    if not request.is_json:
        raise ApiError(415, _("send JSON with the header Content-Type: application/json"),
                       [Problem("request", None, "Content-Type", request.content_type or "", "application/json")])
    try:
        body = json.loads(raw.decode("utf-8-sig"), parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(
            400,
            _("the request body is not valid JSON"),
            [Problem("request", None, "", str(exc), "a JSON document in UTF-8")],
        ) from None
    except RecursionError:  # the parser recurses, as would everything after it
        raise _too_deep() from None
    if deeper_than(body):
        raise _too_deep()
    return body


def _too_deep() -> ApiError:
    return ApiError(400, _("the request body is nested more than %(n)d levels deep", n=MAX_NESTING),
                    [nesting_problem("request", "JSON document")])


def _json_object(*, required: bool = True) -> dict[str, Any]:
    body = _json_body(required=required)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, _("the request body must be a JSON object"),
                       [Problem("request", None, "", shown(body), "a JSON object {...}")])
    return body


def _is_multipart() -> bool:
    return request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded")


# --- optimistic concurrency -----------------------------------------------------------------------


class Stale(ApiError):
    """A change made from a stale copy of a scenario: 409 or 412, nothing saved."""

    def __init__(self, status: int, scenario_id: int, version: int | None, field: str, sent: Any):
        etag = None if version is None else store.etag(scenario_id, version)
        if version is None:
            message = _("scenario %(id)d was deleted since it was read; nothing was saved", id=scenario_id)
            problems = []
        else:
            message = _("scenario %(id)d was changed by someone else since it was read (it is now version "
                        "%(version)d); nothing was saved", id=scenario_id, version=version)
            expected = f'the current version, {version}' if field == "version" else f'the current ETag "{etag}"'
            problems = [Problem("request", None, field, shown(sent), expected + "; read the scenario again")]
        super().__init__(status, message, problems)
        self.version = version
        self.etag = etag


@bp.errorhandler(Stale)
def _stale(e: Stale):
    response = jsonify({"error": e.message, "problems": [problem_dict(p) for p in e.problems],
                        "version": e.version})
    response.status_code = e.status
    if e.etag:
        response.set_etag(e.etag)
    return response


class Precondition(NamedTuple):
    """What a change says it was made from."""

    version: int | None  # the version the client read; None: no check asked for
    status: int = 409  # the answer when it is stale: 412 for If-Match, 409 for a version
    field: str = "version"
    sent: Any = None


def _precondition(row: ScenarioRow, body: Mapping[str, Any] | None, *, form: bool = False) -> Precondition:
    """The client's ``If-Match`` (first) or ``version`` (in ``body``, a JSON
    object or, ``form``, form fields); raises :class:`Stale` at once when the
    scenario has moved on since."""
    if request.headers.get("If-Match", "").strip():
        tags = request.if_match
        if tags.star_tag:  # "any current version": the scenario exists, last write wins
            return Precondition(None, 412, "If-Match")
        if tags.contains(store.etag(row.id, row.version)):  # a strong comparison, as If-Match requires
            return Precondition(row.version, 412, "If-Match", request.headers["If-Match"])
        raise Stale(412, row.id, row.version, "If-Match", request.headers["If-Match"])
    if body is None or "version" not in body:
        return Precondition(None)
    version = body["version"]
    if form and isinstance(version, str) and version.strip().isascii() and version.strip().isdigit() \
            and len(version.strip()) <= 18:
        version = int(version)
    if isinstance(version, bool) or not isinstance(version, int):
        raise InputError([Problem("request", None, "version", shown(version),
                                  "the scenario's version as read (a whole number), or no version")])
    if version != row.version:
        raise Stale(409, row.id, row.version, "version", version)
    return Precondition(version, 409, "version", version)


def _save(row: ScenarioRow, scenario: Scenario, check: Precondition) -> ScenarioRow:
    """Save (committed) with the check; a writer that got in first: :class:`Stale`."""
    try:
        return services.save_scenario(db.session(), row, scenario, expected_version=check.version)
    except store.Conflict as c:
        raise _conflict(c, check) from None


def _conflict(c: store.Conflict, check: Precondition) -> ApiError:
    if c.version is None and check.version is None:
        return ApiError(404, _("scenario %(id)d not found", id=c.scenario_id))
    return Stale(check.status, c.scenario_id, c.version, check.field, check.sent)


def _tagged(response: Response, row: ScenarioRow) -> Response:
    response.set_etag(store.etag(row.id, row.version))
    return response


# --- lookups ---------------------------------------------------------------------------------------


def _get_scenario(scenario_id: int, action: str) -> ScenarioRow:
    """The scenario, once the visitor may do ``action`` on it (web.access); else 404 or 403."""
    row = db.session().get(ScenarioRow, scenario_id)
    if row is None:
        raise ApiError(404, _("scenario %(id)d not found", id=scenario_id))
    access.require(action, scenario_id)
    return row


def _get_plan(plan_id: int, action: str) -> PlanRow:
    """The plan, once the visitor may do ``action`` on its scenario; else 404 or 403."""
    row = db.session().get(PlanRow, plan_id)
    if row is None:
        raise ApiError(404, _("plan %(id)d not found", id=plan_id))
    access.require(action, row.scenario_id)
    return row


def _get_job(job_id: int, action: str) -> JobRow:
    """The job, once the visitor may do ``action`` on its scenario; else 404 or 403."""
    row = db.session().get(JobRow, job_id)
    if row is None:
        raise ApiError(404, _("job %(id)d not found", id=job_id))
    access.require(action, row.scenario_id)
    return row


def _scenario_created(row: ScenarioRow, warnings: list[DataWarning] | None = None) -> Response:
    """201 with the new scenario, its address and its ETag; ``warnings``: the checks before planning."""
    body = scenario_dict(row)
    if warnings is not None:
        body["warnings"] = [warning_dict(w) for w in warnings]
    return _tagged(_created(body, url_for("api.get_scenario", scenario_id=row.id)), row)


def _created(body: dict[str, Any], location: str, status: int = 201) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["Location"] = location
    return response


# --- scenarios ----------------------------------------------------------------------------------


@bp.get("/scenarios")
def list_scenarios():
    s = db.session()
    access.require(access.VIEW)
    stop_counts = dict(s.execute(select(StopRow.scenario_id, func.count()).group_by(StopRow.scenario_id)).all())
    plan_counts = dict(s.execute(select(PlanRow.scenario_id, func.count()).group_by(PlanRow.scenario_id)).all())
    out = []
    for row in store.scenarios(s):
        d = scenario_dict(row, stops=False)
        d["stops_count"] = stop_counts.get(row.id, 0)
        d["plans_count"] = plan_counts.get(row.id, 0)
        out.append(d)
    return jsonify({"scenarios": out})


@bp.post("/scenarios")
def create_scenario():
    access.require(access.EDIT, None)
    notes = ImportNotes()
    if _is_multipart():
        scenario = scenario_from_upload(uploaded_file(request.files, "stops"), uploaded_file(request.files, "scenario"),
                                        request.form, notes=notes)
    else:
        scenario = scenario_from_json(_json_object(), notes=notes)
    row = services.create_scenario(db.session(), scenario)
    return _scenario_created(row, check_scenario(scenario, notes))


@bp.get("/scenarios/<int:scenario_id>")
def get_scenario(scenario_id: int):
    row = _get_scenario(scenario_id, access.VIEW)
    return _tagged(jsonify(scenario_dict(row)), row)


@bp.put("/scenarios/<int:scenario_id>")
def put_scenario(scenario_id: int):
    row = _get_scenario(scenario_id, access.EDIT)
    data = _json_object()
    check = _precondition(row, data)
    stops = data.get("stops")
    if stops is None:
        stops = [s.data for s in row.stops]
    scenario = scenario_from_json(data, stops=stops)
    row = _save(row, scenario, check)
    return _tagged(jsonify(scenario_dict(row)), row)


@bp.delete("/scenarios/<int:scenario_id>")
def delete_scenario(scenario_id: int):
    row = _get_scenario(scenario_id, access.DELETE)
    check = _precondition(row, _json_object(required=False))
    try:
        store.delete_scenario(db.session(), row, expected_version=check.version)
    except store.Conflict as c:
        raise _conflict(c, check) from None
    return "", 204


@bp.post("/scenarios/<int:scenario_id>/copy")
def copy_scenario(scenario_id: int):
    src = _get_scenario(scenario_id, access.VIEW)
    access.require(access.EDIT, None)
    body = _json_object(required=False)
    name = services.copy_name(body.get("name"), _("%(name)s (copy)", name=src.name))
    row = services.copy_scenario(db.session(), src, name)
    return _scenario_created(row)


@bp.get("/scenarios/<int:scenario_id>/stops")
def get_stops(scenario_id: int):
    row = _get_scenario(scenario_id, access.VIEW)
    return _tagged(jsonify(stops_dict(row)), row)


@bp.put("/scenarios/<int:scenario_id>/stops")
def put_stops(scenario_id: int):
    row = _get_scenario(scenario_id, access.EDIT)
    settings = {"name": row.name, **copy.deepcopy(row.settings or {})}
    notes = ImportNotes()
    if _is_multipart():
        check = _precondition(row, request.form, form=True)
        upload = uploaded_file(request.files, "stops")
        if upload is None:
            raise InputError([Problem("stops", None, "", "", "a stops table (CSV or .xlsx) uploaded as the 'stops' file")])
        blob = upload.read()
        scenario = validate_scenario(settings, (upload_name(upload, "stops.csv"), blob), notes=notes)
    else:
        body = _json_body()
        check = _precondition(row, body if isinstance(body, dict) else None)
        stops = body.get("stops") if isinstance(body, dict) else body
        if isinstance(body, dict) and "stops" not in body:
            raise InputError([Problem("request", None, "stops", "", "the list of stops (required)")])
        scenario = scenario_from_json(settings, stops=stops, notes=notes)
    row = _save(row, scenario, check)
    body = stops_dict(row)
    body["warnings"] = [warning_dict(w) for w in check_scenario(scenario, notes)]
    return _tagged(jsonify(body), row)


@bp.get("/scenarios/<int:scenario_id>/checks")
def scenario_checks(scenario_id: int):
    """The checks before planning of the stored scenario (rows as ``stops[0]`` = 1, as the editor counts)."""
    row = _get_scenario(scenario_id, access.VIEW)
    warnings = checks.stored_warnings(row.to_model())
    return _tagged(jsonify({"scenario_id": row.id, "version": row.version,
                            "warnings": [warning_dict(w) for w in warnings]}), row)


# --- solves -----------------------------------------------------------------------------------------


@bp.post("/scenarios/<int:scenario_id>/solve")
def solve_scenario(scenario_id: int):
    _get_scenario(scenario_id, access.PLAN)
    body = _json_object(required=False)
    keys = ("time_limit_s", "work_limit", "label", "base_plan_id", "replan")
    unknown = [k for k in body if k not in keys]
    if unknown:
        raise InputError([Problem("request", None, k, shown(body[k]), "one of " + ", ".join(keys))
                          for k in unknown])
    job = services.start_solve(
        db.session(),
        scenario_id,
        time_limit_s=body.get("time_limit_s"),
        work_limit=body.get("work_limit"),
        label=body.get("label") if body.get("label") is not None else "",
        base_plan_id=body.get("base_plan_id"),
        replan=body.get("replan"),
        dispatch=web_jobs.dispatcher(current_app),
    )
    return _created(web_jobs.job_status(job), url_for("api.get_job", job_id=job.id), 202)


@bp.get("/scenarios/<int:scenario_id>/jobs")
def list_jobs(scenario_id: int):
    _get_scenario(scenario_id, access.VIEW)
    rows = db.session().scalars(select(JobRow).where(JobRow.scenario_id == scenario_id).order_by(JobRow.id))
    return jsonify({"jobs": [web_jobs.job_status(j) for j in rows]})


@bp.get("/jobs/<int:job_id>")
def get_job(job_id: int):
    job = _get_job(job_id, access.VIEW)
    return jsonify(web_jobs.job_status(job))


@bp.post("/jobs/<int:job_id>/cancel")
def cancel_job(job_id: int):
    job = _get_job(job_id, access.PLAN)
    job = jobs.request_cancel(db.session(), job_id)
    return jsonify(web_jobs.job_status(job))


# --- plans ----------------------------------------------------------------------------------------------


@bp.get("/scenarios/<int:scenario_id>/plans")
def list_plans(scenario_id: int):
    _get_scenario(scenario_id, access.VIEW)
    rows = db.session().scalars(select(PlanRow).where(PlanRow.scenario_id == scenario_id).order_by(PlanRow.id))
    return jsonify({"plans": [plan_summary(r) for r in rows]})


@bp.get("/plans/<int:plan_id>")
def get_plan(plan_id: int):
    row = _get_plan(plan_id, access.VIEW)
    return jsonify({
        **with_timetable(row),
        "id": row.id,
        "scenario_id": row.scenario_id,
        "label": row.label,
        "created_at": _iso(row.created_at),
    })


@bp.get("/plans/<int:plan_id>/check")
def check_plan_view(plan_id: int):
    row = _get_plan(plan_id, access.VIEW)
    return jsonify(check_report(row))


@bp.delete("/plans/<int:plan_id>")
def delete_plan(plan_id: int):
    row = _get_plan(plan_id, access.DELETE)
    try:
        services.delete_plan(db.session(), row)
    except services.PlanPublished:
        raise ApiError(409, _("plan %(id)d has been published, so it is kept: patrons' timetables and calendars "
                              "were made from it", id=plan_id)) from None
    return "", 204


@bp.post("/scenarios/<int:scenario_id>/plans")
def import_plan(scenario_id: int):
    """Today's timetable (the uploaded file ``timetable``, CSV or .xlsx) stored as a plan of the scenario."""
    row = _get_scenario(scenario_id, access.PLAN)
    upload = uploaded_file(request.files, "timetable") if _is_multipart() else None
    label = request.form.get("label", "") if _is_multipart() else ""
    if upload is None:
        raise InputError([Problem("timetable", None, "", "",
                                  "a timetable (CSV or .xlsx) uploaded as the 'timetable' file (multipart/form-data)")])
    imported = services.import_plan(db.session(), row, upload.read(), upload_name(upload, "timetable.csv"),
                                    label.strip())
    notes = [{"file": n.file, "row": n.row, "column": n.column, "value": n.value, "note": n.note}
             for n in imported.notes]
    return _created({**plan_summary(imported.row), "notes": notes},
                    url_for("api.get_plan", plan_id=imported.row.id))


def _export(plan_id: int, fmt: str):
    row = _get_plan(plan_id, access.VIEW)
    try:
        plan = plan_from_dict(row.plan, source=f"plan {row.id}")
    except InputError:
        raise ApiError(422, _("plan %(id)d is damaged and cannot be exported", id=plan_id)) from None
    return export_response(plan, snapshot_model(row), exports.FORMATS[fmt], f"plan-{row.id}")


# One address per format, so each has its own media type in the OpenAPI document.
for _name in exports.FORMATS:
    bp.add_url_rule(f"/plans/<int:plan_id>/export.{_name}", f"export_{_name}", _export, methods=["GET"],
                    defaults={"fmt": _name})


# --- publishing ---------------------------------------------------------------------------------------


def _today(scenario: ScenarioRow) -> date:
    return dates.today_in(dates.time_zone(scenario.to_model().calendar))


@bp.post("/plans/<int:plan_id>/publish")
def publish_plan(plan_id: int):
    """Publish a plan to its scenario's patrons from ``effective_from`` (default: today)."""
    row = _get_plan(plan_id, access.EDIT)
    body = _json_object(required=False)
    unknown = [k for k in body if k != "effective_from"]
    if unknown:
        raise InputError([Problem("request", None, k, shown(body[k]), "effective_from") for k in unknown])
    raw = body.get("effective_from")
    if raw is None:
        effective = _today(row.scenario)
    else:
        try:
            if not isinstance(raw, str):
                raise ValueError(raw)
            effective = date.fromisoformat(raw)
        except ValueError:
            raise InputError([Problem("request", None, "effective_from", shown(raw), 'a date "YYYY-MM-DD"')]) from None
    publication = services.publish_plan(db.session(), row, effective)
    return _created(publication_dict(publication), url_for("api.list_publications", scenario_id=row.scenario_id))


@bp.get("/scenarios/<int:scenario_id>/publications")
def list_publications(scenario_id: int):
    """The scenario's publications, oldest first, and which one patrons see today."""
    srow = _get_scenario(scenario_id, access.VIEW)
    shown = services.published(db.session(), scenario_id, _today(srow))
    return jsonify({
        "publications": [publication_dict(p) for p in srow.publications],
        "current": None if shown.current is None else shown.current.id,
        "upcoming": None if shown.upcoming is None else shown.upcoming.id,
        "addresses": patron_addresses(scenario_id),
    })


@bp.get("/compare")
def compare():
    raw = ",".join(request.args.getlist("plans"))
    expected = f"2 to {MAX_COMPARE} plan ids separated by commas, such as plans=1,2"
    try:
        ids = [int(x) for x in raw.split(",") if x.strip()]
    except ValueError:
        ids = []
    if not (2 <= len(ids) <= MAX_COMPARE) or len(set(ids)) != len(ids):
        raise InputError([Problem("request", None, "plans", raw, expected)])
    s = db.session()
    known = [i for i in ids if store.valid_id(i)]  # an id no column can hold is no plan (and overflows the driver)
    rows = {r.id: r for r in s.scalars(select(PlanRow).where(PlanRow.id.in_(known)))}
    missing = [i for i in ids if i not in rows]
    if missing:
        raise ApiError(404, _("plan(s) not found: %(ids)s", ids=", ".join(map(str, missing))))
    for r in rows.values():
        access.require(access.VIEW, r.scenario_id)
    return jsonify(compare_plans([rows[i] for i in ids]))


# --- the description ------------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi():

    return jsonify(document())
