"""A scenario as plain JSON-able data, and back.

Used to keep a snapshot of the exact input beside every stored plan, and by
the JSON API.  Times are ``HH:MM`` strings and frequencies their canonical
words, as in the input contract, so the form reads like the TOML and the
stops table.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from routeplanner.io.stops import frequency_text, parse_frequency
from routeplanner.model import (
    CalendarSettings,
    Closure,
    Cycle,
    Place,
    Scenario,
    SolverSettings,
    Stop,
    Travel,
    Vehicle,
    hhmm,
    parse_hhmm,
)


def stop_to_dict(stop: Stop) -> dict[str, Any]:
    return {
        "id": stop.id,
        "name": stop.name,
        "lat": stop.lat,
        "lon": stop.lon,
        "address": stop.address,
        "loans_per_visit": stop.loans_per_visit,
        "frequency": frequency_text(stop.frequency),
        "service_minutes": stop.service_min,
        "window_start": None if stop.window_start_min is None else hhmm(stop.window_start_min),
        "window_end": None if stop.window_end_min is None else hhmm(stop.window_end_min),
        "days": list(stop.days),
        "weeks": list(stop.weeks),
        "opens": None if stop.opens_min is None else hhmm(stop.opens_min),
        "priority": "must" if stop.must else "",
    }


def stop_from_dict(d: dict[str, Any]) -> Stop:
    return Stop(
        id=d["id"],
        name=d["name"],
        lat=float(d["lat"]),
        lon=float(d["lon"]),
        loans_per_visit=float(d["loans_per_visit"]),
        frequency=parse_frequency(d.get("frequency") or ""),
        service_min=int(d["service_minutes"]),
        window_start_min=None if not d.get("window_start") else parse_hhmm(d["window_start"]),
        window_end_min=None if not d.get("window_end") else parse_hhmm(d["window_end"]),
        days=tuple(d.get("days") or ()),
        must=d.get("priority") == "must",
        address=d.get("address") or "",
        weeks=tuple(int(w) for w in d.get("weeks") or ()),
        opens_min=None if not d.get("opens") else parse_hhmm(d["opens"]),
    )


def settings_to_dict(scenario: Scenario) -> dict[str, Any]:
    """Everything but the stops: depot, cycle, vehicles, travel, solver, calendar."""
    return {
        "depot": {"name": scenario.depot.name, "lat": scenario.depot.lat, "lon": scenario.depot.lon},
        "cycle": {
            "weeks": scenario.cycle.weeks,
            "days": list(scenario.cycle.days),
            "start_date": None if scenario.cycle.start_date is None else scenario.cycle.start_date.isoformat(),
        },
        "vehicles": [
            {
                "name": v.name,
                "capacity_books": v.capacity_books,
                "shift_start": hhmm(v.shift_start_min),
                "shift_end": hhmm(v.shift_end_min),
                "break_minutes": v.break_minutes,
                "break_after_minutes": v.break_after_minutes,
            }
            for v in scenario.vehicles
        ],
        "travel": travel_to_dict(scenario.travel),
        "solver": {
            "time_limit_s": scenario.solver.time_limit_s,
            "stable_minutes": scenario.solver.stable_minutes,
            "work_limit": scenario.solver.work_limit,
        },
        "calendar": calendar_to_dict(scenario.calendar),
    }


def travel_to_dict(travel: Travel) -> dict[str, Any]:
    """``[travel]`` as a dict; the road keys only when set, so older snapshots read the same."""
    out: dict[str, Any] = {"method": travel.method, "circuity": travel.circuity, "speed_kmh": travel.speed_kmh,
                           "matrix": travel.matrix}
    defaults = Travel()
    for key in ("osm_pbf", "osrm_url", "osrm_max_table", "snap_m"):
        if getattr(travel, key) != getattr(defaults, key):
            out[key] = getattr(travel, key)
    return out


def travel_from_dict(d: dict[str, Any]) -> Travel:
    defaults = Travel()
    return Travel(d["method"], float(d["circuity"]), float(d["speed_kmh"]), d.get("matrix"),
                  osm_pbf=d.get("osm_pbf"), osrm_url=d.get("osrm_url"),
                  osrm_max_table=int(d.get("osrm_max_table", defaults.osrm_max_table)),
                  snap_m=float(d.get("snap_m", defaults.snap_m)))


def calendar_to_dict(calendar: CalendarSettings) -> dict[str, Any]:
    """``[calendar]`` as data: closed dates as ``{"date", "reason"}`` objects."""
    return {
        "country": calendar.country,
        "timezone": calendar.timezone,
        "valid_until": None if calendar.valid_until is None else calendar.valid_until.isoformat(),
        "closed": [{"date": c.date.isoformat(), "reason": c.reason} for c in calendar.closed],
        "language": calendar.language,
    }


def calendar_from_dict(d: dict[str, Any] | None) -> CalendarSettings:
    """The reverse of :func:`calendar_to_dict`; rows and snapshots stored before there was a
    calendar (no key) have the defaults."""
    d = d or {}
    return CalendarSettings(
        country=d.get("country") or None,
        timezone=d.get("timezone") or None,
        valid_until=None if not d.get("valid_until") else date.fromisoformat(d["valid_until"]),
        closed=tuple(Closure(date.fromisoformat(c["date"]), c.get("reason") or "") for c in d.get("closed") or ()),
        language=d.get("language") or None,
    )


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    return {"name": scenario.name, **settings_to_dict(scenario), "stops": [stop_to_dict(s) for s in scenario.stops]}


def scenario_from_dict(d: dict[str, Any], source: str = "") -> Scenario:
    """The reverse of :func:`scenario_to_dict` (trusted data: our own snapshots)."""
    cycle = d["cycle"]
    return Scenario(
        name=d["name"],
        depot=Place(d["depot"]["name"], float(d["depot"]["lat"]), float(d["depot"]["lon"])),
        vehicles=tuple(
            Vehicle(
                name=v["name"],
                capacity_books=int(v["capacity_books"]),
                shift_start_min=parse_hhmm(v["shift_start"]),
                shift_end_min=parse_hhmm(v["shift_end"]),
                break_minutes=int(v["break_minutes"]),
                break_after_minutes=int(v["break_after_minutes"]),
            )
            for v in d["vehicles"]
        ),
        stops=tuple(stop_from_dict(s) for s in d["stops"]),
        cycle=Cycle(
            int(cycle["weeks"]),
            tuple(cycle["days"]),
            None if not cycle.get("start_date") else date.fromisoformat(cycle["start_date"]),
        ),
        travel=travel_from_dict(d["travel"]),
        solver=SolverSettings(
            float(d["solver"]["time_limit_s"]), int(d["solver"]["stable_minutes"]), d["solver"].get("work_limit")
        ),
        source=source,
        calendar=calendar_from_dict(d.get("calendar")),
    )
