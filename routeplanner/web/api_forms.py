"""Settings typed into forms, mapped to the scenario TOML: one map for the pages and the API.

Every setting a form can carry is one :class:`Setting`: its scenario TOML
key, its kind, the field name of the pages' settings form
(``web.pages_forms.SettingsForm``) and of the API's plain form
(``POST /api/scenarios`` as multipart, described in its OpenAPI document).
The typed text becomes TOML data by :func:`form_value` alone, so both forms
read a number (decimal comma too) the same way, and what is not a number
goes on as text for the scenario reader to refuse with its own message.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Mapping

from routeplanner.io.stops import parse_number


@dataclass(frozen=True)
class Setting:
    key: str  # dotted scenario TOML key; "vehicles." keys are a vehicle's
    kind: str  # "text", "int", "float" or "days"
    page: str  # the pages' field (a vehicle's: vehicle-<i>-<page>)
    api: str  # the API form's field (the API's form describes one vehicle)


SETTINGS: tuple[Setting, ...] = (
    Setting("name", "text", "name", "name"),
    Setting("depot.name", "text", "depot_name", "depot_name"),
    Setting("depot.lat", "float", "depot_lat", "depot_lat"),
    Setting("depot.lon", "float", "depot_lon", "depot_lon"),
    Setting("depot.address", "text", "depot_address", "depot_address"),  # looked up when lat and lon are empty
    Setting("cycle.weeks", "int", "cycle_weeks", "weeks"),
    Setting("cycle.days", "days", "cycle_days", "days"),
    Setting("cycle.start_date", "text", "cycle_start_date", "start_date"),
    Setting("vehicles.name", "text", "name", "vehicle_name"),
    Setting("vehicles.capacity_books", "int", "capacity_books", "capacity_books"),
    Setting("vehicles.shift_start", "text", "shift_start", "shift_start"),
    Setting("vehicles.shift_end", "text", "shift_end", "shift_end"),
    Setting("vehicles.break_minutes", "int", "break_minutes", "break_minutes"),
    Setting("vehicles.break_after_minutes", "int", "break_after_minutes", "break_after_minutes"),
    Setting("travel.method", "text", "travel_method", "travel_method"),
    Setting("travel.circuity", "float", "travel_circuity", "circuity"),
    Setting("travel.speed_kmh", "float", "travel_speed_kmh", "speed_kmh"),
    Setting("solver.time_limit_s", "float", "solver_time_limit_s", "time_limit_s"),
    Setting("solver.stable_minutes", "int", "solver_stable_minutes", "stable_minutes"),
    Setting("solver.work_limit", "int", "solver_work_limit", ""),  # the API's form leaves it to the scenario TOML
)
#: The vehicle's settings (a form row per vehicle on the pages).
VEHICLE_SETTINGS = tuple(s for s in SETTINGS if s.key.startswith("vehicles."))

#: The API's form field -> (scenario TOML key, kind); the API's vehicle is ``vehicles[1]``.
FORM_FIELDS: dict[str, tuple[str, str]] = {
    s.api: (s.key.replace("vehicles.", "vehicles[1].", 1), s.kind) for s in SETTINGS if s.api
}


def form_value(text: Any, kind: str) -> Any:
    """The TOML value of a form field's text: a number where it reads as one (decimal comma
    too), else the text; None when empty.  Whole numbers become ints; a non-whole number in
    an "int" field stays a number, which the scenario reader refuses with its own message."""
    text = "" if text is None else str(text).strip()
    if not text:
        return None
    if kind not in ("int", "float"):
        return text
    try:
        value = parse_number(text)
    except ValueError:
        return text
    if not math.isfinite(value):
        return text
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def nest(values: Mapping[str, Any], vehicles: list[dict[str, Any]]) -> dict[str, Any]:
    """Dotted keys (``depot.lat``) and the vehicles' settings as scenario TOML data."""
    data: dict[str, Any] = {"depot": {}, "cycle": {}, "vehicles": vehicles, "travel": {}, "solver": {}}
    for key, value in values.items():
        if "." in key:
            table, k = key.split(".", 1)
            data.setdefault(table, {})[k] = value
        else:
            data[key] = value
    return data


def form_scenario(form: Mapping[str, Any]) -> dict[str, Any]:
    """Scenario TOML data from the API's form fields (:data:`FORM_FIELDS`); empty fields: defaults."""
    values: dict[str, Any] = {}
    vehicle: dict[str, Any] = {}
    for s in SETTINGS:
        if not s.api:
            continue
        if s.kind == "days":
            raw = form.getlist(s.api) if hasattr(form, "getlist") else [form.get(s.api, "")]
            days = [d for v in raw for d in re.split(r"[;,\s]+", v or "") if d]
            if days:
                values[s.key] = days
            continue
        value = form_value(form.get(s.api), s.kind)
        if value is None:
            continue
        if s in VEHICLE_SETTINGS:
            vehicle[s.key.split(".", 1)[1]] = value
        else:
            values[s.key] = value
    return nest(values, [vehicle])
