"""Stored rows as the API's JSON documents: a scenario, its stops, a plan's summary and KPIs,
a comparison of plans, a plan's check.  The pages reuse them."""

from __future__ import annotations

import copy
import dataclasses
from datetime import datetime
from typing import Any, Mapping

from routeplanner.compare import Slot, StopTimes, by_stop, difference, moved_between
from routeplanner.model import hhmm, parse_hhmm
from routeplanner.store import PlanRow, PublicationRow, ScenarioRow

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


def patron_addresses(scenario_id: int) -> dict[str, str]:
    """The stable addresses of a scenario's published timetable (paths on this service: never
    made from the request's Host header, which the client chooses)."""
    from flask import url_for

    return {
        "timetable": url_for("plans.published_timetable", scenario_id=scenario_id, ),
        "poster": url_for("plans.published_poster", scenario_id=scenario_id),
        "calendar": url_for("plans.published_calendar", scenario_id=scenario_id),
    }


def publication_dict(row: PublicationRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "scenario_id": row.scenario_id,
        "plan_id": row.plan_id,
        "effective_from": row.effective_from.isoformat(),
        "published_at": _iso(row.published_at),
    }


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


def with_timetable(row: PlanRow) -> dict[str, Any]:
    """The stored plan document, as stored; one stored before plans carried their
    published timetable (contract v1.1) gets the one derived from its routes, added."""
    doc = row.plan or {}
    if "timetable" in doc:
        return doc
    from routeplanner.errors import InputError
    from routeplanner.io.planjson import plan_from_dict, plan_to_dict

    try:
        derived = plan_to_dict(plan_from_dict(doc, source=f"plan {row.id}"))
    except InputError:  # a hand-made document outside the contract is served as it was stored
        return doc
    return {**doc, "timetable": derived["timetable"], "timetable_unpublished": derived["timetable_unpublished"]}


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


