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

Helpers the HTML pages may reuse: :func:`scenario_from_upload`,
:func:`scenario_from_json`, :func:`scenario_dict`, :func:`plan_summary`,
:func:`plan_kpis`, :func:`compare_plans`, :func:`check_report`.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import io
import json
import re
import tomllib
from datetime import datetime
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, Iterable, Mapping, NamedTuple

from flask import Blueprint, Response, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from routeplanner import formats, jobs, limits, services, store
from routeplanner.compare import Slot, StopTimes, by_stop, difference, moved_between
from routeplanner.errors import InputError, Problem
from routeplanner.io import STOP_COLUMNS, read_stops_bytes, scenario_from_toml_text, to_toml
from routeplanner.io.nesting import MAX_NESTING, deeper_than, nesting_problem
from routeplanner.model import Scenario, hhmm, parse_hhmm
from routeplanner.store import JobRow, PlanRow, ScenarioRow, StopRow
from routeplanner.web import access, db
from routeplanner.web import jobs as web_jobs
from routeplanner.web.api_forms import FORM_FIELDS, form_scenario
from routeplanner.web.openapi import document

bp = Blueprint("api", __name__, url_prefix="/api")

#: Travel methods the web service accepts: a matrix file would be a path on
#: the server (not something a browser can hand over), OSRM is not built yet.
WEB_TRAVEL_METHODS = ("haversine", "geodesic")
#: Lengths the storage columns hold.
#: Plans in one comparison.
MAX_COMPARE = 10
#: Stops in one scenario (routeplanner.limits: the readers refuse the first one past it).
MAX_STOPS = limits.MAX_STOPS
#: Keys of a scenario document that describe the row, not the scenario.
_META_KEYS = ("id", "created_at", "updated_at", "copied_from_id", "stops_count", "plans_count", "version")

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
                       [Problem("request", None, "", _short(body), "a JSON object {...}")])
    return body


def _short(value: Any) -> str:
    return formats.shown(value, ellipsis="...")


def _is_multipart() -> bool:
    return request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded")


# --- scenario validation ------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (list, tuple)):
        return ";".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def stops_csv(stops: Any, file: str = "stops") -> tuple[bytes, list[Problem]]:
    """A JSON list of stops (``GET .../stops`` form) as the bytes of a stops CSV.

    Shape problems (not a list, an item not an object, an unknown key) come
    back as problems; the values themselves are left to the stops reader.
    """
    problems: list[Problem] = []
    if not isinstance(stops, list):
        problems.append(Problem(file, None, "", _short(stops), "a list of stops [{...}, ...]"))
        stops = []
    if len(stops) > MAX_STOPS:  # counted first: the rest is never looked at
        row = MAX_STOPS + 2  # stops[0] is row 2
        raise InputError([Problem(file, row, "", f"stop {MAX_STOPS + 1:,}", limits.too_many_stops(row))])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STOP_COLUMNS)
    for i, item in enumerate(stops):
        row = i + 2
        if not isinstance(item, dict):
            problems.append(Problem(file, row, "", _short(item), "a stop object {\"name\": ..., \"lat\": ..., ...}"))
            writer.writerow([""] * len(STOP_COLUMNS))
            continue
        for key in item:
            if key not in STOP_COLUMNS:
                problems.append(Problem(file, row, str(key), _short(item[key]), "one of the keys " + ", ".join(STOP_COLUMNS)))
        cells = [_cell(item.get(c)) for c in STOP_COLUMNS]
        for c, cell in enumerate(cells):
            if _SURROGATE.search(cell):  # JSON can carry half a character; a file cannot
                problems.append(Problem(file, row, STOP_COLUMNS[c], _CONTROL.sub("?", cell)[:60],
                                        "text without control characters"))
                cells[c] = ""
        writer.writerow(cells)
    return out.getvalue().encode("utf-8"), problems


_CONTROL = store.UNSTORABLE  # control characters and lone surrogates: not storable
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _web_travel(data: dict[str, Any], source: str, problems: list[Problem], column=lambda k: k) -> dict[str, Any]:
    """Refuse what only makes sense on the command line: files on the server."""
    data = dict(data)
    travel = data.get("travel")
    if isinstance(travel, dict):
        travel = dict(travel)
        if travel.get("matrix") is not None:
            problems.append(Problem(source, None, column("travel.matrix"), _short(travel["matrix"]),
                                    "no travel matrix: the web service plans with haversine or geodesic distances"))
            travel.pop("matrix")
        method = travel.get("method")
        if isinstance(method, str) and method not in WEB_TRAVEL_METHODS:
            problems.append(Problem(source, None, column("travel.method"), method, " or ".join(WEB_TRAVEL_METHODS)))
            travel["method"] = WEB_TRAVEL_METHODS[0]
        data["travel"] = travel
    return data


def validate_scenario(
    data: Mapping[str, Any],
    stops_upload: tuple[str, bytes],
    *,
    source: str = "scenario",
    pre_problems: Iterable[Problem] = (),
    rename: Mapping[str, str] | None = None,
) -> Scenario:
    """The scenario of ``data`` (scenario TOML keys, parsed) with the stops
    table ``stops_upload=(filename, bytes)``, checked by the scenario reader.

    Raises one :class:`InputError` with every problem: ``pre_problems``, the
    web's own refusals and all of the reader's.  ``rename`` maps problem
    columns (dotted TOML keys) to the names the client used.
    """
    problems = list(pre_problems)
    column = (lambda k: rename.get(k, k)) if rename else (lambda k: k)
    clean = _web_travel({k: v for k, v in data.items() if k not in _META_KEYS}, source, problems, column)
    clean["stops"] = stops_upload[0]
    scenario = None
    more = 0  # problems the reader counted but did not list
    try:
        scenario = scenario_from_toml_text(
            to_toml(clean), base_dir="/nonexistent", source_name=source, stops_upload=stops_upload
        )
    except InputError as err:
        problems += [Problem(p.file, p.row, column(p.column) if p.file == source else p.column, p.value, p.expected)
                     for p in err.problems]
        more = err.omitted
    if scenario is not None:
        problems += services.storage_problems(scenario, source, stops_upload[0])
    if problems:
        raise InputError(problems, more=more)
    assert scenario is not None
    return scenario


def scenario_from_json(data: Any, *, stops: Any = None, source: str = "scenario", stops_file: str = "stops") -> Scenario:
    """A scenario from its JSON form (:func:`scenario_dict`, ``io.jsonform``).

    ``stops`` (a list) replaces ``data["stops"]``.  Problems about the stops
    name ``stops_file`` and count rows from 2 (``stops[0]`` is row 2).
    """
    if not isinstance(data, dict):
        raise InputError([Problem(source, None, "", _short(data), "a scenario object {\"name\": ..., ...}")])
    data = dict(data)
    if stops is None:
        stops = data.pop("stops", None)
        if stops is None:
            raise InputError([Problem(source, None, "stops", "", "the list of stops (required)")])
    else:
        data.pop("stops", None)
    blob, problems = stops_csv(stops, stops_file)
    try:
        return validate_scenario(data, (stops_file + ".csv", blob), source=source, pre_problems=problems)
    except InputError as err:
        raise InputError([_rename_file(p, stops_file + ".csv", stops_file) for p in err.problems],
                         more=err.omitted) from None


def _rename_file(p: Problem, old: str, new: str) -> Problem:
    return Problem(new, p.row, p.column, p.value, p.expected) if p.file == old else p


def _filename(storage: FileStorage, default: str) -> str:
    name = storage.filename or default
    # browsers of old sent the whole path
    name = PureWindowsPath(PurePosixPath(name).name).name or default
    return name[:200]


def _uploaded(files: Mapping[str, FileStorage], field: str) -> FileStorage | None:
    storage = files.get(field)
    if storage is None or not storage.filename:  # a file input left empty sends no filename
        return None
    return storage


def scenario_from_upload(
    stops_file: FileStorage | None,
    toml_file: FileStorage | None,
    form: Mapping[str, Any],
) -> Scenario:
    """A scenario from an upload: the stops table (CSV/XLSX) plus either a
    scenario TOML file or the form fields of :data:`FORM_FIELDS`.

    Raises one :class:`InputError` listing every problem of every part.
    """
    problems: list[Problem] = []
    if stops_file is None:
        problems.append(Problem("stops", None, "", "", "a stops table (CSV or .xlsx) uploaded as the 'stops' file"))
        stops_upload = None
    else:
        stops_upload = (_filename(stops_file, "stops.csv"), stops_file.read())
        if not stops_upload[1]:
            problems.append(Problem(stops_upload[0], None, "", "", "a stops table (the uploaded file is empty)"))
            stops_upload = None

    rename: dict[str, str] | None = None
    data: dict[str, Any] | None = None
    if toml_file is not None:
        source = _filename(toml_file, "scenario.toml")
        raw = toml_file.read(limits.MAX_SCENARIO_BYTES + 1)
        try:
            if len(raw) > limits.MAX_SCENARIO_BYTES:
                problems.append(limits.too_large(source, None, limits.MAX_SCENARIO_BYTES, "a scenario file"))
            else:
                data = tomllib.loads(raw.decode("utf-8-sig"))
        except UnicodeDecodeError:
            problems.append(Problem(source, None, "", "", "a TOML file in UTF-8 encoding"))
        except tomllib.TOMLDecodeError as exc:
            problems.append(Problem(source, None, "", str(exc), "a valid TOML file"))
        except RecursionError:  # tomllib recurses into nested arrays and inline tables
            problems.append(nesting_problem(source, "TOML file"))
        if data is not None and deeper_than(data):
            problems.append(nesting_problem(source, "TOML file"))
            data = None
    else:
        source = "form"
        data = form_scenario(form)
        rename = {key: field for field, (key, _kind) in FORM_FIELDS.items()}

    if data is None or stops_upload is None:
        # Still read what can be read, so every problem shows at once.
        more = 0
        if stops_upload is not None:
            try:
                read_stops_bytes(stops_upload[1], stops_upload[0])
            except InputError as err:
                problems += err.problems
                more = err.omitted
        raise InputError(problems, more=more)
    return validate_scenario(data, stops_upload, source=source, pre_problems=problems, rename=rename)


# --- documents ---------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"


def scenario_dict(row: ScenarioRow, *, stops: bool = True) -> dict[str, Any]:
    """A scenario as the API shows it: io.jsonform's form plus the row's facts."""
    out: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        **copy.deepcopy(row.settings or {}),
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
        "copied_from_id": row.copied_from_id,
        "version": row.version,
    }
    if stops:
        out["stops"] = [s.data for s in row.stops]
    return out


def stops_dict(row: ScenarioRow) -> dict[str, Any]:
    return {"scenario_id": row.id, "version": row.version, "stops": [s.data for s in row.stops]}


def plan_cost(row: PlanRow) -> int | None:
    return ((row.plan or {}).get("solver") or {}).get("objective")


def plan_summary(row: PlanRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "scenario_id": row.scenario_id,
        "label": row.label,
        "created_at": _iso(row.created_at),
        "params": row.params or {},
        "solver_version": row.solver_version,
        "run_time_s": row.run_time_s,
        "distance_km": row.distance_km,
        "stops_served": row.stops_served,
        "stops_total": row.stops_total,
        "loans_served": row.loans_served,
        "loans_total": row.loans_total,
        "cost": plan_cost(row),
    }


def plan_kpis(row: PlanRow) -> dict[str, Any]:
    """The comparable numbers of a plan, from its stored document."""
    doc = row.plan or {}
    t = doc.get("totals") or {}
    return {
        "km": t.get("distance_km", 0.0),
        "drive_hours": round(float(t.get("drive_minutes", 0.0)) / 60.0, 2),
        "service_hours": round(float(t.get("service_minutes", 0.0)) / 60.0, 2),
        "visits": t.get("visits", 0),
        "stops_served": t.get("stops_served", 0),
        "stops_total": t.get("stops_total", 0),
        "loans_served": t.get("loans_served", 0),
        "loans_total": t.get("loans_total", 0),
        "unserved": len(doc.get("unserved") or []),
        "cost": plan_cost(row),
    }


def _stop_times(doc: Mapping[str, Any]) -> dict[str, StopTimes]:
    """A plan document's visits by stop (:func:`routeplanner.compare.stop_times` of a stored document)."""
    return by_stop(
        (v["stop_id"], v.get("name", v["stop_id"]),
         Slot(route["week"], route["day"], parse_hhmm(v["arrival"]), parse_hhmm(v["departure"]),
              route.get("vehicle", "")))
        for route in doc.get("routes") or []
        for v in route.get("visits") or []
    )


def _slot_dict(slot: Slot) -> dict[str, Any]:
    return {"week": slot.week, "day": slot.day, "arrival": hhmm(slot.arrival_min),
            "departure": hhmm(slot.departure_min), "vehicle": slot.vehicle}


def moved_stops(first: Mapping[str, Any], other: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Stops whose day or time differs between two plan documents (:func:`routeplanner.compare.moved_between`).

    ``changes`` lists ``"day"`` (another week or weekday), ``"time"`` (another
    opening time), ``"added"`` (visited only in ``other``) or ``"dropped"``
    (visited only in ``first``); ``before`` and ``after`` the visits in
    calendar order.
    """
    return [
        {"stop_id": m.stop_id, "name": m.name, "changes": list(m.changes),
         "before": [_slot_dict(x) for x in m.before], "after": [_slot_dict(x) for x in m.after]}
        for m in moved_between(_stop_times(first), _stop_times(other))
    ]


def compare_plans(rows: list[PlanRow]) -> dict[str, Any]:
    """KPIs of each plan, their differences from the first, and the stops
    that moved day or time between the first plan and each other one."""
    first = rows[0]
    base = plan_kpis(first)
    plans = []
    for row in rows:
        k = plan_kpis(row)
        delta = {key: difference(base[key], k[key], 3) for key in k}
        plans.append({**plan_summary(row), "kpis": k, "delta": delta})
    moves = [
        {"from_plan": first.id, "to_plan": row.id, "stops": moved_stops(first.plan, row.plan)}
        for row in rows[1:]
    ]
    return {"plans": plans, "moved": moves}


def check_report(row: PlanRow) -> dict[str, Any]:
    """The independent checker on a stored plan against the scenario it was made from."""
    from routeplanner.checker import check_plan
    from routeplanner.io.jsonform import scenario_from_dict
    from routeplanner.io.planjson import plan_from_dict

    scenario = scenario_from_dict(row.scenario_snapshot, source=f"plan {row.id}")
    plan = plan_from_dict(row.plan, source=f"plan {row.id}")
    report = check_plan(scenario, plan)
    return {
        "plan_id": row.id,
        "ok": report.ok,
        "violations": [
            {"kind": v.kind, "route": v.route, "stop_id": v.stop_id, "message": v.message} for v in report.violations
        ],
        "totals": {
            k: (round(v, 3) if isinstance(v, float) else v) for k, v in dataclasses.asdict(report.totals).items()
        },
        "stated_totals": (row.plan or {}).get("totals"),
    }


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
            problems = [Problem("request", None, field, _short(sent), expected + "; read the scenario again")]
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
        raise InputError([Problem("request", None, "version", _short(version),
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
    if _is_multipart():
        scenario = scenario_from_upload(_uploaded(request.files, "stops"), _uploaded(request.files, "scenario"),
                                        request.form)
    else:
        scenario = scenario_from_json(_json_object())
    row = services.create_scenario(db.session(), scenario)
    return _tagged(_created(scenario_dict(row), url_for("api.get_scenario", scenario_id=row.id)), row)


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
    return _tagged(_created(scenario_dict(row), url_for("api.get_scenario", scenario_id=row.id)), row)


@bp.get("/scenarios/<int:scenario_id>/stops")
def get_stops(scenario_id: int):
    row = _get_scenario(scenario_id, access.VIEW)
    return _tagged(jsonify(stops_dict(row)), row)


@bp.put("/scenarios/<int:scenario_id>/stops")
def put_stops(scenario_id: int):
    row = _get_scenario(scenario_id, access.EDIT)
    settings = {"name": row.name, **copy.deepcopy(row.settings or {})}
    if _is_multipart():
        check = _precondition(row, request.form, form=True)
        upload = _uploaded(request.files, "stops")
        if upload is None:
            raise InputError([Problem("stops", None, "", "", "a stops table (CSV or .xlsx) uploaded as the 'stops' file")])
        blob = upload.read()
        scenario = validate_scenario(settings, (_filename(upload, "stops.csv"), blob))
    else:
        body = _json_body()
        check = _precondition(row, body if isinstance(body, dict) else None)
        stops = body.get("stops") if isinstance(body, dict) else body
        if isinstance(body, dict) and "stops" not in body:
            raise InputError([Problem("request", None, "stops", "", "the list of stops (required)")])
        scenario = scenario_from_json(settings, stops=stops)
    row = _save(row, scenario, check)
    return _tagged(jsonify(stops_dict(row)), row)


# --- solves -----------------------------------------------------------------------------------------


@bp.post("/scenarios/<int:scenario_id>/solve")
def solve_scenario(scenario_id: int):
    _get_scenario(scenario_id, access.PLAN)
    body = _json_object(required=False)
    unknown = [k for k in body if k not in ("time_limit_s", "work_limit", "label")]
    if unknown:
        raise InputError([Problem("request", None, k, _short(body[k]), "one of time_limit_s, work_limit, label")
                          for k in unknown])
    job = services.start_solve(
        db.session(),
        scenario_id,
        time_limit_s=body.get("time_limit_s"),
        work_limit=body.get("work_limit"),
        label=body.get("label") if body.get("label") is not None else "",
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
        **row.plan,
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
    s = db.session()
    s.delete(row)
    s.commit()
    return "", 204


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
