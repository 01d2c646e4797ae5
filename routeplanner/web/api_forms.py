"""The API's plain form (``POST /api/scenarios`` as multipart): form field -> scenario TOML key.

Shared by the API, which reads such forms, and its OpenAPI document, which
describes them; the pages' richer settings form is ``web.pages_forms``.
"""

from __future__ import annotations

import re
from typing import Any, Mapping


#: Form field -> scenario TOML key (a scenario made from a plain form and a stops file).
FORM_FIELDS: dict[str, tuple[str, str]] = {
    # field: (dotted key, type)
    "name": ("name", "text"),
    "depot_name": ("depot.name", "text"),
    "depot_lat": ("depot.lat", "float"),
    "depot_lon": ("depot.lon", "float"),
    "weeks": ("cycle.weeks", "int"),
    "days": ("cycle.days", "days"),
    "start_date": ("cycle.start_date", "text"),
    "vehicle_name": ("vehicles[1].name", "text"),
    "capacity_books": ("vehicles[1].capacity_books", "int"),
    "shift_start": ("vehicles[1].shift_start", "text"),
    "shift_end": ("vehicles[1].shift_end", "text"),
    "break_minutes": ("vehicles[1].break_minutes", "int"),
    "break_after_minutes": ("vehicles[1].break_after_minutes", "int"),
    "travel_method": ("travel.method", "text"),
    "circuity": ("travel.circuity", "float"),
    "speed_kmh": ("travel.speed_kmh", "float"),
    "time_limit_s": ("solver.time_limit_s", "float"),
    "stable_minutes": ("solver.stable_minutes", "int"),
}


def _form_value(text: str, kind: str) -> Any:
    text = text.strip()
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            try:
                f = float(text.replace(",", "."))
                return int(f) if f.is_integer() else text
            except ValueError:
                return text
    if kind == "float":
        try:
            return float(text.replace(",", "."))
        except ValueError:
            return text
    return text


def form_scenario(form: Mapping[str, Any]) -> dict[str, Any]:
    """Scenario TOML data from form fields (:data:`FORM_FIELDS`); empty fields: defaults."""
    data: dict[str, Any] = {"depot": {}, "cycle": {}, "vehicles": [{}], "travel": {}, "solver": {}}
    for field, (key, kind) in FORM_FIELDS.items():
        if kind == "days":
            values = form.getlist(field) if hasattr(form, "getlist") else [form.get(field, "")]
            days = [d for v in values for d in re.split(r"[;,\s]+", v or "") if d]
            if days:
                data["cycle"]["days"] = days
            continue
        raw = form.get(field)
        if raw is None or not str(raw).strip():
            continue
        value = _form_value(str(raw), kind)
        if key.startswith("vehicles[1]."):
            data["vehicles"][0][key.split(".", 1)[1]] = value
        elif "." in key:
            table, k = key.split(".", 1)
            data[table][k] = value
        else:
            data[key] = value
    return data
