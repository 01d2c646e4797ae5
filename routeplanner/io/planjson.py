"""The plan JSON contract: a plan as a document and back, strictly checked.

``plan_to_dict`` / ``plan_from_dict`` are the two halves of
``shared/contracts/plan.schema.json`` (contract v1.1: v1 and the optional
published ``timetable``).  The reader is strict
and complete: a malformed document is refused with one :class:`Problem` per
defect, each naming the JSON path (``routes[3].visits[0].arrival``), so a
published timetable typed in by hand can be fixed in one pass.

This module must not import the solver: the command line's ``check`` reads
plans with it to judge them independently of how they were made.
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Any

from routeplanner import formats, limits, published
from routeplanner.errors import InputError, Problem
from routeplanner.io.nesting import deeper_than, nesting_problem
from routeplanner.model import (
    WEEKDAYS,
    Break,
    Changes,
    Cycle,
    Place,
    Plan,
    Published,
    Route,
    SolveInfo,
    StopChange,
    Totals,
    Travel,
    Unserved,
    Visit,
    hhmm,
    parse_hhmm,
)

#: Decimals kept for kilometres (whole metres) and for minutes, loans.
KM_DECIMALS = 3
MIN_DECIMALS = 3


# --- plan -> JSON ------------------------------------------------------------


def rounded_km(metres: float) -> float:
    """Metres as the plan writes kilometres: three decimals, whole metres."""
    return round(metres / 1000.0, KM_DECIMALS)


def rounded(value: float) -> float | int:
    """Round to MIN_DECIMALS; whole numbers are written without ``.0``."""
    out = round(float(value), MIN_DECIMALS)
    return int(out) if out.is_integer() else out


def _place_dict(place: Place) -> dict[str, Any]:
    return {"name": place.name, "lat": place.lat, "lon": place.lon}


def _visit_dict(visit: Visit, route: Route) -> dict[str, Any]:
    return {
        "stop_id": visit.stop_id,
        "name": visit.name,
        "lat": visit.lat,
        "lon": visit.lon,
        "arrival": hhmm(visit.arrival_min),
        "departure": hhmm(visit.departure_min),
        "loans": rounded(visit.loans),
        # Extras: the leg that leads here, and the calendar slot, so a visit
        # row makes sense on its own (maps, spreadsheets).
        "leg_km": rounded_km(visit.leg_distance_m),
        "leg_minutes": rounded(visit.leg_drive_min),
        "week": route.week,
        "day": route.day,
    }


def _route_dict(route: Route) -> dict[str, Any]:
    out: dict[str, Any] = {
        "vehicle": route.vehicle,
        "week": route.week,
        "day": route.day,
    }
    if route.date is not None:
        out["date"] = route.date.isoformat()
    out.update(
        {
            "depot": _place_dict(route.depot),
            "start": hhmm(route.start_min),
            "end": hhmm(route.end_min),
            "distance_km": rounded_km(route.distance_m),
            "drive_minutes": rounded(route.drive_min),
            "visits": [_visit_dict(v, route) for v in route.visits],
            "breaks": [{"start": hhmm(b.start_min), "minutes": int(b.minutes)} for b in route.breaks],
        }
    )
    return out


def _unserved_dict(u: Unserved) -> dict[str, Any]:
    out: dict[str, Any] = {
        "stop_id": u.stop_id,
        "name": u.name,
        "missing_visits": int(u.missing_visits),
        "reason": u.reason,
    }
    if u.suggestion:
        out["suggestion"] = u.suggestion
    return out


def _totals_dict(t: Totals) -> dict[str, Any]:
    return {
        "distance_km": round(float(t.distance_km), KM_DECIMALS),
        "drive_minutes": rounded(t.drive_minutes),
        "service_minutes": rounded(t.service_minutes),
        "visits": int(t.visits),
        "stops_served": int(t.stops_served),
        "stops_total": int(t.stops_total),
        "loans_served": rounded(t.loans_served),
        "loans_total": rounded(t.loans_total),
    }


def _slots_list(entry: Published) -> list[dict[str, Any]]:
    return [{"week": w, "day": d} for w, d in entry.slots]


def _published_dict(entry: Published) -> dict[str, Any]:
    assert entry.opens_min is not None and entry.closes_min is not None
    return {
        "stop_id": entry.stop_id,
        "name": entry.name,
        "slots": _slots_list(entry),
        "opens": hhmm(entry.opens_min),
        "closes": hhmm(entry.closes_min),
        "text": entry.text,
    }


def _unpublished_dict(entry: Published) -> dict[str, Any]:
    return {"stop_id": entry.stop_id, "name": entry.name, "slots": _slots_list(entry), "text": entry.text,
            "reason": entry.reason}


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan as a JSON-ready dict following ``plan.schema.json`` (v1.1).

    Times are ``"HH:MM"``, kilometres keep three decimals (whole metres),
    minutes and loans three decimals.  ``timetable`` is the plan's published
    timetable, or, when it has none (a plan from the solver), the one
    :mod:`routeplanner.published` derives from its routes.  Extras beyond
    the contract: per route ``drive_minutes``; per visit ``leg_km``,
    ``leg_minutes``, ``week``, ``day``; per unserved stop ``suggestion``; per
    timetable entry ``name``; the top-level ``solver``, and
    ``timetable_unpublished``: the visited stops whose visits share no window
    worth publishing, with the reason.
    """
    cycle: dict[str, Any] = {"weeks": plan.cycle.weeks, "days": list(plan.cycle.days)}
    if plan.cycle.start_date is not None:
        cycle["start_date"] = plan.cycle.start_date.isoformat()
    travel: dict[str, Any] = {
        "method": plan.travel.method,
        "circuity": plan.travel.circuity,
        "speed_kmh": plan.travel.speed_kmh,
    }
    for key in ("matrix", "osm_pbf", "osrm_url"):  # where the roads came from
        if getattr(plan.travel, key):
            travel[key] = getattr(plan.travel, key)
    info = plan.info
    entries = published.entries(plan)
    return {
        "scenario": plan.scenario,
        "cycle": cycle,
        "travel": travel,
        "routes": [_route_dict(r) for r in plan.routes],
        "unserved": [_unserved_dict(u) for u in plan.unserved],
        "totals": _totals_dict(plan.totals),
        "timetable": [_published_dict(e) for e in entries if e.has_window],
        "timetable_unpublished": [_unpublished_dict(e) for e in entries if not e.has_window],
        "solver": {
            "solver": info.solver,
            "time_limit_s": info.time_limit_s,
            "work_limit": info.work_limit,
            "run_time_s": info.run_time_s,
            "stopped_by": info.stopped_by,
            "objective": info.objective,
        },
        **({"changes": _changes_dict(plan)} if plan.changes is not None else {}),
    }


def _changes_dict(plan: Plan) -> dict[str, Any]:
    c = plan.changes
    assert c is not None
    return {
        "mode": c.mode,
        "base_km": round(float(c.base_distance_km), KM_DECIMALS),
        "saved_km": round(float(c.base_distance_km - plan.totals.distance_km), KM_DECIMALS) + 0.0,
        "moved": [{"stop_id": m.stop_id, "changes": list(m.changes)} for m in c.moved],
    }


def _read_changes(d: Any) -> Changes | None:
    """The optional ``changes`` of a re-planned plan; anything unreadable is left out (an extra)."""
    if not isinstance(d, dict) or not isinstance(d.get("mode"), str) or not _is_number(d.get("base_km")):
        return None
    moved = [StopChange(str(m["stop_id"]), tuple(str(k) for k in m.get("changes") or ()))
             for m in d.get("moved") or () if isinstance(m, dict) and isinstance(m.get("stop_id"), str)]
    return Changes(d["mode"], float(d["base_km"]), moved)


# --- JSON -> plan ------------------------------------------------------------


_MISSING = object()


def _is_number(value: Any) -> bool:
    """A finite JSON number (``true`` is a bool in Python, not a number here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class _Reader:
    """Walks a plan document and collects every problem instead of stopping.

    Each accessor returns a usable stand-in value after recording a problem,
    so the walk goes on and the caller raises once at the end.
    """

    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []
        self.more = 0  # problems past the listed ones: counted, not kept

    def is_object(self, d: Any, path: str, what: str) -> bool:
        """Whether ``d`` is a JSON object; if not, a problem says it should be ``what``."""
        if isinstance(d, dict):
            return True
        self.problem(path, d, f"an object ({what})")
        return False

    def problem(self, path: str, value: Any, expected: str) -> None:
        if len(self.problems) >= limits.MAX_LISTED_PROBLEMS:
            self.more += 1
            return
        shown = "(missing)" if value is _MISSING else formats.shown(value, ascii_only=True)
        self.problems.append(Problem(self.source, None, path, shown, expected))

    def obj(self, parent: dict, key: str, path: str, required: bool = True) -> dict | None:
        """The nested object, ``{}`` when optional and absent, None when refused.

        None lets the caller skip the members: one problem for a missing
        ``totals`` is clearer than eight for its missing keys.
        """
        value = parent.get(key, _MISSING)
        if value is _MISSING and not required:
            return {}
        if not isinstance(value, dict):
            self.problem(path, value, "an object")
            return None
        return value

    def arr(self, parent: dict, key: str, path: str, required: bool = True) -> list:
        value = parent.get(key, _MISSING)
        if value is _MISSING and not required:
            return []
        if not isinstance(value, list):
            self.problem(path, value, "an array")
            return []
        return value

    def text(self, parent: dict, key: str, path: str, default: str | None = None, min_len: int = 0) -> str:
        value = parent.get(key, _MISSING)
        if (value is _MISSING or value is None) and default is not None:
            return default
        if not isinstance(value, str) or len(value) < min_len:
            self.problem(path, value, "a non-empty string" if min_len else "a string")
            return default or ""
        return value

    def integer(self, parent: dict, key: str, path: str, minimum: int | None = None) -> int:
        value = parent.get(key, _MISSING)
        # JSON has one number type: 2.0 is a valid integer, True is not.
        ok = _is_number(value) and float(value).is_integer()
        if not ok or (minimum is not None and value < minimum):
            self.problem(path, value, "a whole number" + (f" >= {minimum}" if minimum is not None else ""))
            return minimum if minimum is not None else 0
        return int(value)

    def number(
        self,
        parent: dict,
        key: str,
        path: str,
        minimum: float | None = None,
        maximum: float | None = None,
        default: float | None = None,
        exclusive_min: bool = False,
    ) -> float:
        value = parent.get(key, _MISSING)
        if (value is _MISSING or value is None) and default is not None:
            return default
        ok = _is_number(value)
        if ok and minimum is not None:
            ok = value > minimum if exclusive_min else value >= minimum
        if ok and maximum is not None:
            ok = value <= maximum
        if not ok:
            expected = "a number"
            if minimum is not None:
                expected += f" {'>' if exclusive_min else '>='} {minimum}"
            if maximum is not None:
                expected += f" and <= {maximum}"
            self.problem(path, value, expected)
            return minimum if minimum is not None else 0.0
        return float(value)

    def time(self, parent: dict, key: str, path: str) -> int:
        value = parent.get(key, _MISSING)
        try:
            if not isinstance(value, str):
                raise ValueError
            return parse_hhmm(value)
        except ValueError:
            self.problem(path, value, "a time HH:MM (00:00-23:59)")
            return 0

    def weekday(self, value: Any, path: str) -> str:
        if value not in WEEKDAYS:
            self.problem(path, value, "one of " + ", ".join(WEEKDAYS))
            return WEEKDAYS[0]
        return value

    def day(self, parent: dict, key: str, path: str) -> str:
        return self.weekday(parent.get(key, _MISSING), path)

    def iso_date(self, parent: dict, key: str, path: str) -> date | None:
        value = parent.get(key, _MISSING)
        if value is _MISSING or value is None:
            return None
        try:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            self.problem(path, value, "a date YYYY-MM-DD")
            return None


def _extra_number(d: dict, key: str) -> float:
    """An optional extra of ours (``leg_km``, ``drive_minutes``...), 0 when absent.

    Lenient on purpose: the contract allows any extra key, so a plan from
    another tool may use the same name for something else.
    """
    v = d.get(key)
    if _is_number(v) and v >= 0:
        return float(v)
    return 0.0


def _read_place(r: _Reader, d: dict | None, path: str) -> Place:
    if d is None:
        return Place("", 0.0, 0.0)
    return Place(
        name=r.text(d, "name", f"{path}.name"),
        lat=r.number(d, "lat", f"{path}.lat", -90, 90),
        lon=r.number(d, "lon", f"{path}.lon", -180, 180),
    )


def _read_visit(r: _Reader, d: Any, path: str) -> Visit | None:
    if not r.is_object(d, path, "a visit"):
        return None
    return Visit(
        stop_id=r.text(d, "stop_id", f"{path}.stop_id"),
        name=r.text(d, "name", f"{path}.name"),
        lat=r.number(d, "lat", f"{path}.lat"),
        lon=r.number(d, "lon", f"{path}.lon"),
        arrival_min=r.time(d, "arrival", f"{path}.arrival"),
        departure_min=r.time(d, "departure", f"{path}.departure"),
        loans=r.number(d, "loans", f"{path}.loans", 0),
        leg_distance_m=round(_extra_number(d, "leg_km") * 1000.0, 3),
        leg_drive_min=_extra_number(d, "leg_minutes"),
    )


def _read_route(r: _Reader, d: Any, path: str) -> Route | None:
    if not r.is_object(d, path, "a route"):
        return None
    # Fields are read in the order the contract lists them, so problems come
    # out in the order a person reading the file meets them.
    vehicle = r.text(d, "vehicle", f"{path}.vehicle")
    week = r.integer(d, "week", f"{path}.week", 1)
    day = r.day(d, "day", f"{path}.day")
    when = r.iso_date(d, "date", f"{path}.date")
    depot = _read_place(r, r.obj(d, "depot", f"{path}.depot"), f"{path}.depot")
    start = r.time(d, "start", f"{path}.start")
    end = r.time(d, "end", f"{path}.end")
    # Three decimals of km are whole metres; rounding again removes the
    # float noise of the multiplication so a round trip is exact.
    distance_m = round(r.number(d, "distance_km", f"{path}.distance_km", 0) * 1000.0, 3)
    visits = [_read_visit(r, v, f"{path}.visits[{i}]") for i, v in enumerate(r.arr(d, "visits", f"{path}.visits"))]
    breaks = []
    for i, b in enumerate(r.arr(d, "breaks", f"{path}.breaks", required=False)):
        bpath = f"{path}.breaks[{i}]"
        if not isinstance(b, dict):
            r.problem(bpath, b, "an object with start and minutes")
            continue
        breaks.append(Break(r.time(b, "start", f"{bpath}.start"), r.integer(b, "minutes", f"{bpath}.minutes", 1)))
    return Route(vehicle=vehicle, week=week, day=day, depot=depot, start_min=start, end_min=end,
                 visits=[v for v in visits if v is not None], breaks=breaks, distance_m=distance_m,
                 drive_min=_extra_number(d, "drive_minutes"), date=when)


def _read_unserved(r: _Reader, d: Any, path: str) -> Unserved | None:
    if not r.is_object(d, path, "an unserved stop"):
        return None
    return Unserved(
        stop_id=r.text(d, "stop_id", f"{path}.stop_id"),
        name=r.text(d, "name", f"{path}.name"),
        missing_visits=r.integer(d, "missing_visits", f"{path}.missing_visits", 1),
        reason=r.text(d, "reason", f"{path}.reason", min_len=1),
        suggestion=r.text(d, "suggestion", f"{path}.suggestion", default=""),
    )


def _read_totals(r: _Reader, d: dict | None) -> Totals:
    if d is None:
        return Totals(0.0, 0.0, 0.0, 0, 0, 0, 0.0, 0.0)
    p = "totals"
    return Totals(
        distance_km=r.number(d, "distance_km", f"{p}.distance_km", 0),
        drive_minutes=r.number(d, "drive_minutes", f"{p}.drive_minutes", 0),
        service_minutes=r.number(d, "service_minutes", f"{p}.service_minutes", 0),
        visits=r.integer(d, "visits", f"{p}.visits", 0),
        stops_served=r.integer(d, "stops_served", f"{p}.stops_served", 0),
        stops_total=r.integer(d, "stops_total", f"{p}.stops_total", 0),
        loans_served=r.number(d, "loans_served", f"{p}.loans_served", 0),
        loans_total=r.number(d, "loans_total", f"{p}.loans_total", 0),
    )


def _read_slots(r: _Reader, d: dict, path: str) -> tuple[tuple[int, str], ...]:
    raw = r.arr(d, "slots", f"{path}.slots")
    if isinstance(d.get("slots"), list) and not raw:
        r.problem(f"{path}.slots", raw, "at least one slot (week and day)")
    slots = []
    for i, s in enumerate(raw):
        spath = f"{path}.slots[{i}]"
        if r.is_object(s, spath, "a slot with week and day"):
            slots.append((r.integer(s, "week", f"{spath}.week", 1), r.day(s, "day", f"{spath}.day")))
    return tuple(slots)


def _read_published(r: _Reader, d: Any, path: str) -> Published | None:
    if not r.is_object(d, path, "a timetable entry"):
        return None
    name = d.get("name")
    return Published(
        stop_id=r.text(d, "stop_id", f"{path}.stop_id"),
        name=name if isinstance(name, str) else "",  # an extra of ours
        slots=_read_slots(r, d, path),
        opens_min=r.time(d, "opens", f"{path}.opens"),
        closes_min=r.time(d, "closes", f"{path}.closes"),
        text=r.text(d, "text", f"{path}.text", default=""),
    )


def _read_unpublished(d: Any) -> list[Published]:
    """The ``timetable_unpublished`` extra, leniently: entries of another shape are left out."""
    out = []
    for e in d if isinstance(d, list) else []:
        if not isinstance(e, dict) or not isinstance(e.get("stop_id"), str) or not isinstance(e.get("slots"), list):
            continue
        slots = tuple((s["week"], s["day"]) for s in e["slots"]
                      if isinstance(s, dict) and type(s.get("week")) is int and s.get("day") in WEEKDAYS)
        texts = {k: e[k] if isinstance(e.get(k), str) else "" for k in ("name", "text", "reason")}
        out.append(Published(e["stop_id"], texts["name"], slots, None, None, texts["text"], texts["reason"]))
    return out


def _read_info(d: Any) -> SolveInfo:
    """The ``solver`` extra, leniently: another tool may use the key differently."""
    if not isinstance(d, dict):
        return SolveInfo()

    def text(key: str) -> str:
        return d[key] if isinstance(d.get(key), str) else ""

    def whole(key: str) -> int | None:
        v = d.get(key)
        return int(v) if _is_number(v) and float(v).is_integer() else None

    return SolveInfo(
        solver=text("solver"),
        time_limit_s=_extra_number(d, "time_limit_s"),
        work_limit=whole("work_limit"),
        run_time_s=_extra_number(d, "run_time_s"),
        stopped_by=text("stopped_by"),
        objective=whole("objective"),
    )


def _read_cycle(r: _Reader, c: dict | None) -> Cycle:
    if c is None:
        return Cycle()
    days_raw = r.arr(c, "days", "cycle.days")
    if isinstance(c.get("days"), list) and not days_raw:
        r.problem("cycle.days", days_raw, "at least one weekday")
    return Cycle(
        weeks=r.integer(c, "weeks", "cycle.weeks", 1),
        days=tuple(r.weekday(x, f"cycle.days[{i}]") for i, x in enumerate(days_raw)),
        start_date=r.iso_date(c, "start_date", "cycle.start_date"),
    )


def _read_travel(r: _Reader, t: dict | None) -> Travel:
    defaults = Travel()
    if t is None:
        return defaults
    matrix = _text_or_none(t.get("matrix"))
    return Travel(
        method=r.text(t, "method", "travel.method"),
        circuity=r.number(t, "circuity", "travel.circuity", 1, default=defaults.circuity),
        speed_kmh=r.number(t, "speed_kmh", "travel.speed_kmh", 0, exclusive_min=True),
        matrix=matrix,
        osm_pbf=_text_or_none(t.get("osm_pbf")),
        osrm_url=_text_or_none(t.get("osrm_url")),
    )


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def plan_from_dict(d: Any, source: str = "plan.json") -> Plan:
    """Read a plan document (contract v1.1) back into a :class:`Plan`.

    Accepts any plan that follows the contract, not only ours: extra keys are
    ignored and the extras we write are optional.  Raises :class:`InputError`
    listing every problem, each with the JSON path as its ``column``.
    """
    r = _Reader(source)
    if not isinstance(d, dict):
        r.problem("(document)", d, "a JSON object (a plan)")
        raise InputError(r.problems, more=r.more)
    name = r.text(d, "scenario", "scenario")
    cycle = _read_cycle(r, r.obj(d, "cycle", "cycle"))
    travel = _read_travel(r, r.obj(d, "travel", "travel"))
    # Items that are not objects are reported and dropped (the plan is
    # refused anyway); the walk goes on to find the other problems.
    routes = [_read_route(r, x, f"routes[{i}]") for i, x in enumerate(r.arr(d, "routes", "routes"))]
    unserved = [_read_unserved(r, x, f"unserved[{i}]") for i, x in enumerate(r.arr(d, "unserved", "unserved"))]
    totals = _read_totals(r, r.obj(d, "totals", "totals"))
    timetable = [_read_published(r, x, f"timetable[{i}]")
                 for i, x in enumerate(r.arr(d, "timetable", "timetable", required=False))]
    plan = Plan(
        scenario=name,
        cycle=cycle,
        travel=travel,
        routes=[x for x in routes if x is not None],
        unserved=[x for x in unserved if x is not None],
        totals=totals,
        info=_read_info(d.get("solver")),
        changes=_read_changes(d.get("changes")),
        timetable=[x for x in timetable if x is not None] + _read_unpublished(d.get("timetable_unpublished")),
    )
    if r.problems:
        raise InputError(r.problems, more=r.more)
    return plan


def write_plan_json(plan: Plan, path: str | Path) -> None:
    """Write the plan JSON (UTF-8, names as they are, indented for diffs)."""
    text = json.dumps(plan_to_dict(plan), ensure_ascii=False, indent=2)
    Path(path).write_text(text + "\n", encoding="utf-8")


def read_plan_json(path: str | Path) -> Plan:
    """Read a plan JSON file; unreadable or malformed files raise InputError."""
    name = str(path)
    # Bounded before it is read: a plan of 10,000 visits is a few MB.
    raw = limits.read_limited(path, limits.MAX_PLAN_BYTES, "a plan JSON file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(name, None, "", str(exc), "a readable UTF-8 plan JSON file")]) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise InputError([Problem(name, None, where, exc.msg, "valid JSON")]) from exc
    except RecursionError:  # json recurses into nested arrays and objects
        raise InputError([nesting_problem(name, "plan JSON file")]) from None
    if deeper_than(data):  # the plan reader (and the problems it shows) recurse too
        raise InputError([nesting_problem(name, "plan JSON file")])
    return plan_from_dict(data, source=name)
