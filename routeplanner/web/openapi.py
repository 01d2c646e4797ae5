"""The OpenAPI 3.1 description of the JSON API (``GET /api/openapi.json``), as data.

A test checks that every ``/api`` route of the app is described here and that
nothing described here is missing from the app, and validates real answers
against the schemas below.
"""

from __future__ import annotations

import copy
from typing import Any

from routeplanner.io.exports import FORMATS
from routeplanner.jobs import MAX_LABEL, MAX_TIME_LIMIT_S, MAX_WORK_LIMIT
from routeplanner.limits import MAX_LISTED_PROBLEMS
from routeplanner.model import WEEKDAYS
from routeplanner.store import MAX_ID
from routeplanner.web.api_forms import FORM_FIELDS

WEEKDAY = {"type": "string", "enum": list(WEEKDAYS)}
HHMM = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"}
NULLABLE_HHMM = {"type": ["string", "null"], "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"}
TIMESTAMP = {"type": ["string", "null"], "description": "UTC, ISO 8601 (`2026-11-30T08:00:00Z`)"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


# Optimistic concurrency (issue 9): every save of a scenario moves its version on.
VERSION_OUT = {"type": "integer", "minimum": 1,
               "description": "moves on with every save; send it back (or the ETag as If-Match) with a change"}
VERSION_IN = {"type": "integer",
              "description": "the version the change was made from (as read with GET): when the scenario has been "
              "saved since, the answer is 409 and nothing is saved. Absent (and no If-Match): the last write wins."}
ETAG = {"ETag": {"description": "the scenario's version as a strong entity tag, for If-Match",
                 "schema": {"type": "string"}}}
IF_MATCH = {"name": "If-Match", "in": "header", "required": False,
            "description": "the ETag of the scenario as read: when it has been saved since, the answer is 412 and "
            "nothing is saved (`*`: any version). Absent (and no `version`): the last write wins.",
            "schema": {"type": "string"}}


SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "description": "One thing wrong with an input, as the importers report it. `row` counts like a "
        "spreadsheet (header = row 1; in a JSON stops list `stops[0]` is row 2); `column` is the column "
        "header, the dotted scenario key (`vehicles[1].shift_end`) or the request field.",
        "required": ["file", "row", "column", "value", "expected"],
        "properties": {
            "file": {"type": "string"},
            "row": {"type": ["integer", "null"]},
            "column": {"type": "string"},
            "value": {"type": "string"},
            "expected": {"type": "string"},
        },
    },
    "Error": {
        "type": "object",
        "required": ["error", "problems"],
        "properties": {
            "error": {"type": "string"},
            "problems": {"type": "array", "items": _ref("Problem"), "maxItems": MAX_LISTED_PROBLEMS,
                         "description": "the first problems; `problems_total` counts them all"},
            "problems_total": {"type": "integer", "minimum": 0},
            "problems_omitted": {"type": "integer", "minimum": 0,
                                 "description": "problems counted but not listed"},
            "version": {"type": ["integer", "null"],
                        "description": "409 and 412 only: the scenario's version now (null: it was deleted)"},
        },
    },
    "Depot": {
        "type": "object",
        "anyOf": [{"required": ["lat", "lon"]}, {"required": ["address"]}],
        "properties": {"name": {"type": "string"}, "lat": {"type": "number"}, "lon": {"type": "number"},
                       "address": {"type": "string", "description": "input only: looked up with the service's "
                                   "geocoder when lat and lon are absent (answers always have lat and lon)"}},
    },
    "DataWarning": {
        "type": "object",
        "description": "Something in the data that is probably a mistake; planning may go on (the checks before "
        "planning: `far-away`, `same-spot`, `field-count`, `frequency`, `capacity`, `geocode-ambiguous`, "
        "`geocode-fallback`). `row` as in a Problem; `stop_id` names the stop (`depot` for the depot), null for "
        "the whole scenario.",
        "required": ["kind", "file", "row", "column", "value", "why", "stop_id"],
        "properties": {
            "kind": {"type": "string"},
            "file": {"type": "string"},
            "row": {"type": ["integer", "null"]},
            "column": {"type": "string"},
            "value": {"type": "string"},
            "why": {"type": "string"},
            "stop_id": {"type": ["string", "null"]},
        },
    },
    "Cycle": {
        "type": "object",
        "properties": {
            "weeks": {"type": "integer", "minimum": 1, "maximum": 52},
            "days": {"type": "array", "items": WEEKDAY},
            "start_date": {"type": ["string", "null"], "format": "date"},
        },
    },
    "Calendar": {
        "type": "object",
        "description": "The timetable on the calendar (scenario TOML `[calendar]`): the country whose public "
        "holidays have no visits, the time zone of the published times (default: the country's, else "
        "Europe/Vilnius), the last date of the timetable, and the library's own closed dates.",
        "properties": {
            "country": {"type": ["string", "null"], "description": "ISO 3166 code: LT, LV, GB, ..."},
            "timezone": {"type": ["string", "null"], "description": "IANA time zone, such as Europe/Riga"},
            "valid_until": {"type": ["string", "null"], "format": "date"},
            "language": {"type": ["string", "null"], "enum": ["en", "lt", "lv", None],
                         "description": "the language of the patrons' pages, poster and calendar feed"},
            "closed": {"type": "array", "items": {"oneOf": [
                {"type": "string", "format": "date"},
                {"type": "object", "required": ["date"], "properties": {
                    "date": {"type": "string", "format": "date"}, "reason": {"type": "string"}}},
            ]}},
        },
    },
    "Vehicle": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "capacity_books": {"type": "integer"},
            "shift_start": HHMM,
            "shift_end": HHMM,
            "break_minutes": {"type": "integer"},
            "break_after_minutes": {"type": "integer"},
        },
    },
    "Travel": {
        "type": "object",
        "properties": {
            "method": {"type": "string", "enum": ["haversine", "geodesic"],
                       "description": "the web service plans with straight-line distances (a matrix file is CLI only)"},
            "circuity": {"type": "number", "minimum": 1},
            "speed_kmh": {"type": "number", "exclusiveMinimum": 0},
            "matrix": {"type": "null"},
        },
    },
    "SolverSettings": {
        "type": "object",
        "properties": {
            "time_limit_s": {"type": "number", "exclusiveMinimum": 0},
            "stable_minutes": {"type": "integer", "minimum": 0},
            "work_limit": {"type": ["integer", "null"], "minimum": 1},
        },
    },
    "Stop": {
        "type": "object",
        "description": "One stop, the columns of the stops table (input contract).",
        "required": ["name", "loans_per_visit"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "lat": {"type": "number"},
            "lon": {"type": "number"},
            "address": {"type": "string"},
            "loans_per_visit": {"type": "number"},
            "frequency": {"type": "string", "description": "weekly, fortnightly, 4-weekly or visits per cycle ('3')"},
            "service_minutes": {"type": ["integer", "null"]},
            "window_start": NULLABLE_HHMM,
            "window_end": NULLABLE_HHMM,
            "days": {"type": "array", "items": WEEKDAY},
            "weeks": {"type": "array", "items": {"type": "integer", "minimum": 1},
                      "description": "pinned: the weeks of the cycle the stop is visited in (a hard rule)"},
            "opens": {**NULLABLE_HHMM, "description": "pinned: the opening time of every visit (a hard rule)"},
            "priority": {"type": "string", "enum": ["must", ""]},
        },
    },
    "ScenarioInput": {
        "type": "object",
        "description": "A scenario in the form of the scenario TOML (input contract); absent keys take their "
        "documented defaults. `id`, `created_at`, `updated_at`, `copied_from_id` are ignored, so a GET answer can "
        "be edited and PUT back; its `version` then guards the PUT against overwriting someone else's save.",
        "required": ["name", "depot", "vehicles"],
        "properties": {
            "name": {"type": "string", "maxLength": 300},
            "depot": _ref("Depot"),
            "cycle": _ref("Cycle"),
            "vehicles": {"type": "array", "minItems": 1, "items": _ref("Vehicle")},
            "travel": _ref("Travel"),
            "solver": _ref("SolverSettings"),
            "calendar": _ref("Calendar"),
            "stops": {"type": "array", "items": _ref("Stop"),
                      "description": "required for POST; PUT keeps the current stops when absent"},
            "version": VERSION_IN,
        },
    },
    "Scenario": {
        "type": "object",
        "required": ["id", "name", "depot", "cycle", "vehicles", "travel", "solver", "stops", "created_at", "updated_at",
                     "version"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "depot": _ref("Depot"),
            "cycle": _ref("Cycle"),
            "vehicles": {"type": "array", "items": _ref("Vehicle")},
            "travel": _ref("Travel"),
            "solver": _ref("SolverSettings"),
            "calendar": _ref("Calendar"),
            "stops": {"type": "array", "items": _ref("Stop")},
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
            "copied_from_id": {"type": ["integer", "null"]},
            "version": VERSION_OUT,
            "warnings": {"type": "array", "items": _ref("DataWarning"),
                         "description": "on creation only: the checks before planning, the doubts of the "
                         "geocoding among them (GET /api/scenarios/{id}/checks gives the checks later)"},
        },
    },
    "ScenarioSummary": {
        "type": "object",
        "required": ["id", "name", "stops_count", "plans_count"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "cycle": _ref("Cycle"),
            "stops_count": {"type": "integer"},
            "plans_count": {"type": "integer"},
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
            "copied_from_id": {"type": ["integer", "null"]},
            "version": VERSION_OUT,
        },
    },
    "StopList": {
        "type": "object",
        "required": ["scenario_id", "version", "stops"],
        "properties": {"scenario_id": {"type": "integer"}, "version": VERSION_OUT,
                       "stops": {"type": "array", "items": _ref("Stop")},
                       "warnings": {"type": "array", "items": _ref("DataWarning"),
                                    "description": "on PUT only: the checks before planning of the new stops"}},
    },
    "Checks": {
        "type": "object",
        "required": ["scenario_id", "version", "warnings"],
        "properties": {"scenario_id": {"type": "integer"}, "version": VERSION_OUT,
                       "warnings": {"type": "array", "items": _ref("DataWarning")}},
    },
    "SolveRequest": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "time_limit_s": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_TIME_LIMIT_S,
                             "description": "default: the scenario's solver.time_limit_s"},
            "work_limit": {"type": "integer", "minimum": 1, "maximum": MAX_WORK_LIMIT,
                           "description": "reproducible mode: stop after this many units of work (2000: about 30 s on a small machine)"},
            "label": {"type": "string", "maxLength": MAX_LABEL},
            "base_plan_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID,
                             "description": "re-plan from this plan of the same scenario (usually the published "
                             "one): the new plan moves as little of it as `replan` allows and lists what moved "
                             "in its `changes`"},
            "replan": {"type": "string", "enum": ["keep", "free"],
                       "description": "with base_plan_id only. keep (the default): every stop whose base visits "
                       "still fit its rules keeps its weeks, weekday and opening time; free: an ordinary solve, "
                       "the plan still lists what moved"},
        },
    },
    "JobStatus": {
        "type": "object",
        "required": ["id", "scenario_id", "status", "phase", "elapsed_s", "time_limit_s", "best_cost", "message",
                     "plan_id", "created_at", "started_at", "finished_at"],
        "properties": {
            "id": {"type": "integer"},
            "scenario_id": {"type": "integer"},
            "status": {"type": "string", "enum": ["queued", "running", "done", "failed", "cancelled"]},
            "phase": {"type": "string", "description": "starting, travel matrix, patterns, timetable, done"},
            "elapsed_s": {"type": "number"},
            "time_limit_s": {"type": ["number", "null"]},
            "work_limit": {"type": ["integer", "null"]},
            "label": {"type": "string"},
            "base_plan_id": {"type": ["integer", "null"], "description": "a re-plan: the plan it starts from"},
            "replan": {"type": ["string", "null"], "enum": ["keep", "free", None]},
            "best_cost": {"type": ["integer", "null"], "description": "best objective found so far (lower is better): "
                          "the solver's own measure, for benchmarks"},
            "run": {"type": ["integer", "null"], "description": "the search runs several times; this is run ... "},
            "runs": {"type": ["integer", "null"], "description": "... of this many"},
            "stops_served": {"type": ["integer", "null"], "description": "stops the best plan so far serves"},
            "stops_total": {"type": ["integer", "null"]},
            "distance_km": {"type": ["number", "null"], "description": "km the best plan so far drives in the cycle"},
            "duty_minutes": {"type": ["number", "null"],
                             "description": "minutes on duty (depot to depot) of the best plan so far, all route-days"},
            "best_text": {"type": "string", "description": "the best plan so far in words, e.g. "
                          "'51 of 53 stops, 612.8 km, 38 h 20 min on duty · run 2 of 3'; empty before the first plan"},
            "progress": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
            "message": {"type": "string", "description": "why it failed, in words for the coordinator"},
            "cancel_requested": {"type": "boolean"},
            "plan_id": {"type": ["integer", "null"]},
            "created_at": TIMESTAMP,
            "started_at": TIMESTAMP,
            "finished_at": TIMESTAMP,
        },
    },
    "ImportedPlan": {
        "description": "A timetable imported as a plan: the plan's summary, and the readings of the file worth a "
        "look (a time such as 14:5 read as 14:50, 'monthly' taken as every 4 weeks, a date on another weekday).",
        "allOf": [_ref("PlanSummary"), {"type": "object", "required": ["notes"], "properties": {
            "notes": {"type": "array", "items": {"type": "object", "required": ["file", "row", "column", "value",
                                                                                 "note"],
                "properties": {"file": {"type": "string"}, "row": {"type": ["integer", "null"]},
                               "column": {"type": "string"}, "value": {"type": "string"},
                               "note": {"type": "string"}}}}}}],
    },
    "PlanSummary": {
        "type": "object",
        "required": ["id", "scenario_id", "label", "created_at", "params", "solver_version", "run_time_s",
                     "distance_km", "stops_served", "stops_total", "loans_served", "loans_total", "cost"],
        "properties": {
            "id": {"type": "integer"},
            "scenario_id": {"type": "integer"},
            "label": {"type": "string"},
            "created_at": TIMESTAMP,
            "params": {"type": "object", "description": "how it was made: time_limit_s, work_limit, label, job_id; "
                       "a re-plan also base_plan_id and replan; an imported timetable `imported` (its file name)"},
            "solver_version": {"type": "string"},
            "run_time_s": {"type": "number"},
            "distance_km": {"type": "number"},
            "stops_served": {"type": "integer"},
            "stops_total": {"type": "integer"},
            "loans_served": {"type": "number"},
            "loans_total": {"type": "number"},
            "cost": {"type": ["integer", "null"]},
        },
    },
    "Plan": {
        "type": "object",
        "description": "Exactly the plan document of the plan contract (shared/contracts/plan.schema.json, v1.1), "
        "plus `id`, `scenario_id`, `label` and `created_at`. `timetable` is the timetable as patrons read it: "
        "one window per stop, on 5-minute steps, open on every visit; `timetable_unpublished` the stops whose "
        "visits share no such window, with the reason.",
        "required": ["scenario", "cycle", "travel", "routes", "unserved", "totals", "id", "scenario_id"],
        "properties": {
            "scenario": {"type": "string"},
            "cycle": {"type": "object"},
            "travel": {"type": "object"},
            "routes": {"type": "array", "items": {"type": "object"}},
            "unserved": {"type": "array", "items": {"type": "object"}},
            "totals": _ref("Totals"),
            "timetable": {"type": "array", "items": {"type": "object"}},
            "timetable_unpublished": {"type": "array", "items": {"type": "object"}},
            "changes": {"type": "object", "description": "a re-planned plan only: what changed for patrons against "
                        "its base plan",
                        "properties": {"mode": {"type": "string", "enum": ["keep", "free"]},
                                       "base_km": {"type": "number"}, "saved_km": {"type": "number"},
                                       "moved": {"type": "array", "items": {
                                           "type": "object", "properties": {
                                               "stop_id": {"type": "string"},
                                               "changes": {"type": "array", "items": {
                                                   "type": "string", "enum": ["day", "time", "added", "dropped"]}}}}}}},
            "solver": {"type": "object"},
            "id": {"type": "integer"},
            "scenario_id": {"type": "integer"},
            "label": {"type": "string"},
            "created_at": TIMESTAMP,
        },
    },
    "Publication": {
        "type": "object",
        "description": "A plan published to the scenario's patrons from `effective_from` on. On a date, patrons see "
        "the newest publication that has taken effect by then, so a newer one replaces an older one that has not.",
        "required": ["id", "scenario_id", "plan_id", "effective_from", "published_at"],
        "properties": {
            "id": {"type": "integer", "description": "also the SEQUENCE of the calendar feeds' events"},
            "scenario_id": {"type": "integer"},
            "plan_id": {"type": "integer"},
            "effective_from": {"type": "string", "format": "date"},
            "published_at": TIMESTAMP,
        },
    },
    "PublishRequest": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"effective_from": {"type": "string", "format": "date",
                                          "description": "default: today, in the scenario's time zone"}},
    },
    "Publications": {
        "type": "object",
        "required": ["publications", "current", "upcoming", "addresses"],
        "properties": {
            "publications": {"type": "array", "items": _ref("Publication")},
            "current": {"type": ["integer", "null"], "description": "the publication patrons see today"},
            "upcoming": {"type": ["integer", "null"], "description": "the publication that replaces it later"},
            "addresses": {
                "type": "object",
                "description": "the patrons' stable addresses (paths on this service), which follow the published "
                "plan; 404 until a plan is published",
                "required": ["timetable", "poster", "calendar"],
                "properties": {"timetable": {"type": "string"}, "poster": {"type": "string"},
                               "calendar": {"type": "string", "description": "iCalendar feed of every stop; "
                                            "`?stop=<stop id>` for one stop"}},
            },
        },
    },
    "Totals": {
        "type": "object",
        "required": ["distance_km", "service_minutes", "visits", "stops_served", "stops_total", "loans_served",
                     "loans_total"],
        "properties": {
            "distance_km": {"type": "number"},
            "drive_minutes": {"type": "number"},
            "service_minutes": {"type": "number"},
            "visits": {"type": "integer"},
            "stops_served": {"type": "integer"},
            "stops_total": {"type": "integer"},
            "loans_served": {"type": "number"},
            "loans_total": {"type": "number"},
        },
    },
    "CheckReport": {
        "type": "object",
        "required": ["plan_id", "ok", "violations", "totals"],
        "properties": {
            "plan_id": {"type": "integer"},
            "ok": {"type": "boolean"},
            "violations": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["kind", "route", "stop_id", "message"],
                    "properties": {
                        "kind": {"type": "string"},
                        "route": {"type": "string"},
                        "stop_id": {"type": "string"},
                        "message": {"type": "string"},
                    },
                },
            },
            "totals": _ref("Totals"),
            "stated_totals": {"type": ["object", "null"], "description": "the totals the plan itself states"},
        },
    },
    "Kpis": {
        "type": "object",
        "required": ["km", "drive_hours", "service_hours", "stops_served", "stops_total", "loans_served",
                     "loans_total", "unserved", "cost"],
        "properties": {
            "km": {"type": "number"},
            "drive_hours": {"type": "number"},
            "service_hours": {"type": "number"},
            "visits": {"type": "integer"},
            "stops_served": {"type": "integer"},
            "stops_total": {"type": "integer"},
            "loans_served": {"type": "number"},
            "loans_total": {"type": "number"},
            "unserved": {"type": "integer", "description": "stops not (fully) served"},
            "cost": {"type": ["integer", "null"]},
        },
    },
    "Slot": {
        "type": "object",
        "required": ["week", "day", "arrival", "departure"],
        "properties": {
            "week": {"type": "integer"},
            "day": WEEKDAY,
            "arrival": HHMM,
            "departure": HHMM,
            "vehicle": {"type": "string"},
        },
    },
    "Comparison": {
        "type": "object",
        "required": ["plans", "moved"],
        "properties": {
            "plans": {
                "type": "array",
                "items": {
                    "allOf": [_ref("PlanSummary")],
                    "type": "object",
                    "required": ["kpis", "delta"],
                    "properties": {
                        "kpis": _ref("Kpis"),
                        "delta": {"type": "object", "description": "this plan's KPIs minus the first plan's"},
                    },
                },
            },
            "moved": {
                "type": "array",
                "description": "per other plan: the stops whose day or time differs from the first plan",
                "items": {
                    "type": "object",
                    "required": ["from_plan", "to_plan", "stops"],
                    "properties": {
                        "from_plan": {"type": "integer"},
                        "to_plan": {"type": "integer"},
                        "stops": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["stop_id", "name", "changes", "before", "after"],
                                "properties": {
                                    "stop_id": {"type": "string"},
                                    "name": {"type": "string"},
                                    "changes": {"type": "array",
                                                "items": {"enum": ["day", "time", "added", "dropped"]}},
                                    "before": {"type": "array", "items": _ref("Slot")},
                                    "after": {"type": "array", "items": _ref("Slot")},
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def _form_upload_schema() -> dict[str, Any]:

    props: dict[str, Any] = {
        "stops": {"type": "string", "contentMediaType": "application/octet-stream",
                  "description": "the stops table, CSV or .xlsx (input contract); required"},
        "scenario": {"type": "string", "contentMediaType": "application/octet-stream",
                     "description": "a scenario TOML; when absent the form fields below describe the scenario"},
    }
    for field, (key, kind) in FORM_FIELDS.items():
        props[field] = {"type": "string", "description": f"scenario key `{key}`" + (
            " (one value per weekday, or `Mon;Tue`)" if kind == "days" else "")}
    return {"type": "object", "required": ["stops"], "properties": props}


def _json(schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"description": description or "OK", "content": {"application/json": {"schema": schema}}}


def _tagged(schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    """A scenario answer, with its ETag."""
    return {**_json(schema, description), "headers": ETAG}


ERR = {"content": {"application/json": {"schema": _ref("Error")}}}


def _errors(*codes: int) -> dict[str, Any]:
    words = {
        400: "malformed request (not JSON, wrong shape)",
        404: "no such scenario, job or plan",
        409: "the `version` sent is not the scenario's version now: someone saved since it was read; nothing saved "
             "(`version` and the ETag header of the answer are the current ones); or a plan that has been "
             "published, which is kept",
        412: "the If-Match ETag is not the scenario's now: someone saved since it was read; nothing saved "
             "(`version` and the ETag header of the answer are the current ones)",
        413: "upload larger than the server accepts",
        422: "invalid input: every problem listed, nothing saved",
    }
    return {str(c): {"description": words[c], **ERR} for c in codes}


def _param(name: str, what: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": what, "schema": {"type": "integer"}}


SID, JID, PID = _param("scenario_id", "scenario id"), _param("job_id", "job id"), _param("plan_id", "plan id")


#: The exports that are JSON documents (``application/geo+json``), by their shape; the others are files.
_EXPORT_SCHEMAS: dict[str, Any] = {
    "geojson": {"type": "object", "required": ["type", "features"], "description": "RFC 7946; positions "
                "[longitude, latitude]", "properties": {"type": {"const": "FeatureCollection"},
                                                        "features": {"type": "array", "items": {"type": "object"}}}},
}


def _paths() -> dict[str, Any]:
    scenario_body = {"required": True, "content": {"application/json": {"schema": _ref("ScenarioInput")}}}
    return {
        "/api/scenarios": {
            "get": {
                "summary": "List scenarios",
                "operationId": "listScenarios",
                "responses": {"200": _json({"type": "object", "required": ["scenarios"], "properties": {
                    "scenarios": {"type": "array", "items": _ref("ScenarioSummary")}}})},
            },
            "post": {
                "summary": "Create a scenario from an upload (stops file + scenario TOML or form fields) or JSON",
                "operationId": "createScenario",
                "requestBody": {"required": True, "content": {
                    "multipart/form-data": {"schema": _form_upload_schema()},
                    "application/json": {"schema": _ref("ScenarioInput")},
                }},
                "responses": {"201": _tagged(_ref("Scenario"), "created; Location: /api/scenarios/{id}"),
                              **_errors(400, 413, 422)},
            },
        },
        "/api/scenarios/{scenario_id}": {
            "parameters": [SID],
            "get": {"summary": "A scenario with its stops", "operationId": "getScenario",
                    "responses": {"200": _tagged(_ref("Scenario")), **_errors(404)}},
            "put": {"summary": "Replace a scenario's settings (and stops, when given); all-or-nothing",
                    "operationId": "putScenario", "parameters": [IF_MATCH], "requestBody": scenario_body,
                    "responses": {"200": _tagged(_ref("Scenario")), **_errors(400, 404, 409, 412, 422)}},
            "delete": {"summary": "Delete a scenario with its plans and jobs", "operationId": "deleteScenario",
                       "parameters": [IF_MATCH],
                       "requestBody": {"required": False, "content": {"application/json": {"schema": {
                           "type": "object", "properties": {"version": VERSION_IN}}}}},
                       "responses": {"204": {"description": "deleted"}, **_errors(400, 404, 409, 412, 422)}},
        },
        "/api/scenarios/{scenario_id}/copy": {
            "parameters": [SID],
            "post": {"summary": "Copy a scenario (settings and stops; not its plans)", "operationId": "copyScenario",
                     "requestBody": {"required": False, "content": {"application/json": {"schema": {
                         "type": "object", "properties": {"name": {"type": "string", "maxLength": 300}}}}}},
                     "responses": {"201": _tagged(_ref("Scenario"), "created; Location: /api/scenarios/{id}"),
                                   **_errors(400, 404, 422)}},
        },
        "/api/scenarios/{scenario_id}/stops": {
            "parameters": [SID],
            "get": {"summary": "A scenario's stops", "operationId": "getStops",
                    "responses": {"200": _tagged(_ref("StopList")), **_errors(404)}},
            "put": {"summary": "Replace the whole stops list (JSON list, {stops: [...]} or an uploaded stops file); "
                               "all-or-nothing",
                    "operationId": "putStops", "parameters": [IF_MATCH],
                    "requestBody": {"required": True, "content": {
                        "application/json": {"schema": {"oneOf": [
                            {"type": "array", "items": _ref("Stop")},
                            {"type": "object", "required": ["stops"],
                             "properties": {"stops": {"type": "array", "items": _ref("Stop")}, "version": VERSION_IN}},
                        ]}},
                        "multipart/form-data": {"schema": {"type": "object", "required": ["stops"], "properties": {
                            "stops": {"type": "string", "contentMediaType": "application/octet-stream"},
                            "version": {"type": "string", "pattern": "^[0-9]+$", **{
                                k: v for k, v in VERSION_IN.items() if k == "description"}}}}},
                    }},
                    "responses": {"200": _tagged(_ref("StopList")), **_errors(400, 404, 409, 412, 413, 422)}},
        },
        "/api/scenarios/{scenario_id}/checks": {
            "parameters": [SID],
            "get": {"summary": "The checks before planning: stops far from the others, on one spot, frequencies the "
                               "cycle cannot hold, loans beyond the vans (rows: stops[0] is row 1, as the stops "
                               "editor counts)",
                    "operationId": "getChecks",
                    "responses": {"200": _tagged(_ref("Checks")), **_errors(404)}},
        },
        "/api/scenarios/{scenario_id}/solve": {
            "parameters": [SID],
            "post": {"summary": "Start a background solve", "operationId": "solveScenario",
                     "requestBody": {"required": False,
                                     "content": {"application/json": {"schema": _ref("SolveRequest")}}},
                     "responses": {"202": {**_json(_ref("JobStatus"), "queued; Location: /api/jobs/{id}"),
                                           "headers": {"Location": {"schema": {"type": "string"}}}},
                                   **_errors(400, 404, 422)}},
        },
        "/api/scenarios/{scenario_id}/jobs": {
            "parameters": [SID],
            "get": {"summary": "The scenario's solves, oldest first", "operationId": "listJobs",
                    "responses": {"200": _json({"type": "object", "required": ["jobs"], "properties": {
                        "jobs": {"type": "array", "items": _ref("JobStatus")}}}), **_errors(404)}},
        },
        "/api/scenarios/{scenario_id}/plans": {
            "parameters": [SID],
            "get": {"summary": "The scenario's plans, oldest first", "operationId": "listPlans",
                    "responses": {"200": _json({"type": "object", "required": ["plans"], "properties": {
                        "plans": {"type": "array", "items": _ref("PlanSummary")}}}), **_errors(404)}},
            "post": {"summary": "Import today's timetable (CSV or .xlsx) as a plan of the scenario: to check, compare "
                                "and re-plan from (base_plan_id); every problem listed, nothing stored",
                     "operationId": "importTimetable",
                     "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                         "type": "object", "required": ["timetable"], "properties": {
                             "timetable": {"type": "string", "contentMediaType": "application/octet-stream",
                                           "description": "one row per stop and weekday: stop (or stop_id, or lat "
                                           "and lon), day, weeks or frequency, arrival, departure, vehicle, route "
                                           "(README: Today's timetable)"},
                             "label": {"type": "string", "maxLength": 300}}}}}},
                     "responses": {"201": {**_json(_ref("ImportedPlan"), "stored; Location: /api/plans/{id}"),
                                           "headers": {"Location": {"schema": {"type": "string"}}}},
                                   **_errors(400, 404, 413, 422)}},
        },
        "/api/jobs/{job_id}": {
            "parameters": [JID],
            "get": {"summary": "Poll a solve", "operationId": "getJob",
                    "responses": {"200": _json(_ref("JobStatus")), **_errors(404)}},
        },
        "/api/jobs/{job_id}/cancel": {
            "parameters": [JID],
            "post": {"summary": "Cancel a solve (a finished one is left as it is)", "operationId": "cancelJob",
                     "responses": {"200": _json(_ref("JobStatus")), **_errors(404)}},
        },
        "/api/plans/{plan_id}": {
            "parameters": [PID],
            "get": {"summary": "A plan: the plan contract document", "operationId": "getPlan",
                    "responses": {"200": _json(_ref("Plan")), **_errors(404)}},
            "delete": {"summary": "Delete a plan (a plan that has been published is kept: 409)",
                       "operationId": "deletePlan",
                       "responses": {"204": {"description": "deleted"}, **_errors(404, 409)}},
        },
        **{f"/api/plans/{{plan_id}}/export.{fmt.name}": {
            "parameters": [PID],
            "get": {"summary": f"The plan as a file: {fmt.what}", "operationId": f"exportPlan{fmt.name.title()}",
                    "responses": {"200": {"description": f"the file (Content-Disposition: attachment; "
                                          f"filename=plan-{{id}}.{fmt.name})",
                                          "content": {fmt.media_type: {"schema": _EXPORT_SCHEMAS.get(
                                              fmt.name, {"type": "string"})}}},
                                  **_errors(404, 422)}},
        } for fmt in FORMATS.values()},
        "/api/plans/{plan_id}/publish": {
            "parameters": [PID],
            "post": {"summary": "Publish the plan to its scenario's patrons from a date (default today)",
                     "operationId": "publishPlan",
                     "requestBody": {"required": False,
                                     "content": {"application/json": {"schema": _ref("PublishRequest")}}},
                     "responses": {"201": _json(_ref("Publication"), "published; Location: the scenario's "
                                                "publications"), **_errors(400, 404, 422)}},
        },
        "/api/scenarios/{scenario_id}/publications": {
            "parameters": [SID],
            "get": {"summary": "The scenario's publications, which one patrons see today, and their addresses",
                    "operationId": "listPublications",
                    "responses": {"200": _json(_ref("Publications")), **_errors(404)}},
        },
        "/api/plans/{plan_id}/check": {
            "parameters": [PID],
            "get": {"summary": "The independent checker's report on the plan against the scenario it was made from",
                    "operationId": "checkPlan",
                    "responses": {"200": _json(_ref("CheckReport")), **_errors(404, 422)}},
        },
        "/api/compare": {
            "get": {"summary": "Compare two or more plans", "operationId": "comparePlans",
                    "parameters": [{"name": "plans", "in": "query", "required": True,
                                    "description": "2 to 10 plan ids separated by commas; the first is the base",
                                    "schema": {"type": "string", "pattern": "^[0-9]+(,[0-9]+)+$"}}],
                    "responses": {"200": _json(_ref("Comparison")), **_errors(404, 422)}},
        },
        "/api/openapi.json": {
            "get": {"summary": "This document", "operationId": "openapi",
                    "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}}},
        },
    }


def _with_refusals(paths: dict[str, Any]) -> dict[str, Any]:
    """Every change may be refused 403 (sent by a page of another site, ``web.security``), and a body
    that is JSON only as ``application/json`` with 415."""
    for item in paths.values():
        for method, op in item.items():
            if method not in ("post", "put", "patch", "delete"):
                continue
            op["responses"]["403"] = {"description": "sent by a page of another website (Origin, Referer)", **ERR}
            if "application/json" in op.get("requestBody", {}).get("content", {}):
                op["responses"]["415"] = {"description": "a body that is not multipart/form-data nor sent as "
                                                         "Content-Type: application/json", **ERR}
    return paths


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document.

    Its server is ``/``, relative to wherever the document was fetched from:
    never the request's ``Host`` header, which the client chooses.
    """
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "routeplanner: bookmobile timetable planner",
            "version": "1",
            "description": "Scenarios (stops, fleet, cycle), background solves and the plans they make. "
            "Every error is `{\"error\": ..., \"problems\": [{file,row,column,value,expected}]}` with a 4xx "
            "status. Plans follow the plan contract (plan.schema.json v1.1). A scenario's answers carry its `version` and "
            "an `ETag`; a change that sends either back (`version` in the body, or `If-Match`) is refused with 409 "
            "or 412 when someone saved the scenario since, instead of overwriting their work.",
        },
        "servers": [{"url": "/"}],
        "paths": _with_refusals(_paths()),
        "components": {"schemas": copy.deepcopy(SCHEMAS)},
    }
