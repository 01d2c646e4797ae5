"""Browser forms -> the importers' own formats, so one set of rules judges all input.

A scenario edited in the browser is written out as the scenario TOML and the
stops table CSV of the input contract and read back with
:func:`routeplanner.io.scenario_from_toml_text`.  The coordinator therefore
gets exactly the checks (and the messages) of a file import, every problem
at once, and nothing is saved unless everything is right.

Form values are typed the way the contract expects when they can be
(``"55,96"`` -> ``55.96``); anything else is passed on as the text that was
typed, so the reader reports it with the value as the coordinator wrote it.
"""

from __future__ import annotations

import csv
import io
import re
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from routeplanner import services
from routeplanner.datachecks import ImportNotes
from routeplanner.errors import InputError, Problem
from routeplanner.io import STOP_COLUMNS, scenario_from_toml_text, stop_record, to_toml
from routeplanner.model import WEEKDAYS, Scenario
from routeplanner.web import checks
from routeplanner.web.api_forms import SETTINGS, VEHICLE_SETTINGS, form_value, nest
from routeplanner.web.api_input import web_travel_methods

#: The columns of the stops editor, in the order shown (address travels hidden).
STOP_FIELDS: tuple[str, ...] = STOP_COLUMNS
VEHICLE_FIELDS = tuple(s.page for s in VEHICLE_SETTINGS)
#: Travel methods offered in the settings form: a matrix needs a file on the server and OSRM a server
#: the service would call for the user; roads only with the server's own extract (ROUTEPLANNER_OSM_PBF).
form_travel_methods = web_travel_methods

SETTINGS_SOURCE = "settings"
STOPS_SOURCE = "stops table"


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


# --- settings ----------------------------------------------------------------------


@dataclass
class SettingsForm:
    """The settings form as the strings shown in it (what was typed, or what is stored)."""

    name: str = ""
    depot_name: str = ""
    depot_lat: str = ""
    depot_lon: str = ""
    #: looked up (the service's geocoder) when latitude and longitude are empty; not stored
    depot_address: str = ""
    cycle_weeks: str = "1"
    cycle_days: list[str] = field(default_factory=lambda: ["Mon", "Tue", "Wed", "Thu", "Fri"])
    cycle_start_date: str = ""
    vehicles: list[dict[str, str]] = field(default_factory=list)
    travel_method: str = "haversine"
    travel_circuity: str = "1.35"
    travel_speed_kmh: str = "45"
    travel_matrix: str = ""
    solver_time_limit_s: str = "30"
    solver_stable_minutes: str = "15"
    solver_work_limit: str = ""
    #: ``[calendar]`` as stored: the form does not edit it (the scenario TOML and the API do),
    #: and saving the form keeps it.
    calendar: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def defaults(cls) -> "SettingsForm":
        return cls(
            depot_name="Depot",
            vehicles=[_vehicle_strings({"name": "Bookmobile", "capacity_books": 2500, "shift_start": "08:00",
                                        "shift_end": "17:00", "break_minutes": 45, "break_after_minutes": 270})],
        )

    @classmethod
    def from_settings(cls, name: str, settings: Mapping[str, Any]) -> "SettingsForm":
        """From a stored scenario's settings (``io.jsonform.settings_to_dict``)."""
        depot, cycle = settings["depot"], settings["cycle"]
        travel, solver = settings["travel"], settings["solver"]
        return cls(
            name=name,
            depot_name=depot["name"],
            depot_lat=_num_text(depot["lat"]),
            depot_lon=_num_text(depot["lon"]),
            cycle_weeks=str(cycle["weeks"]),
            cycle_days=list(cycle["days"]),
            cycle_start_date=cycle.get("start_date") or "",
            vehicles=[_vehicle_strings(v) for v in settings["vehicles"]],
            travel_method=travel["method"],
            travel_circuity=_num_text(travel["circuity"]),
            travel_speed_kmh=_num_text(travel["speed_kmh"]),
            travel_matrix=travel.get("matrix") or "",
            solver_time_limit_s=_num_text(solver["time_limit_s"]),
            solver_stable_minutes=str(solver["stable_minutes"]),
            solver_work_limit="" if solver.get("work_limit") is None else str(solver["work_limit"]),
            calendar=dict(settings.get("calendar") or {}),
        )

    @classmethod
    def from_form(cls, form: Mapping[str, Any], getlist, *, base: "SettingsForm | None" = None) -> "SettingsForm":
        """From a submitted form; fields the form does not have keep ``base``'s values.

        Vehicles are ``vehicle-<i>-<field>`` rows; a row whose every field is
        empty is ignored (the blank "add a vehicle" row), and one with
        ``vehicle-<i>-delete`` ticked is dropped.
        """
        b = base or cls.defaults()

        def get(key: str, default: str) -> str:
            return _text(form.get(key)) if key in form else default

        vehicles = b.vehicles
        indices = sorted({int(m.group(1)) for k in form for m in [re.fullmatch(r"vehicle-([0-9]{1,9})-\w+", k)] if m})
        if indices:
            vehicles = []
            for i in indices:
                if form.get(f"vehicle-{i}-delete"):
                    continue
                row = {f: _text(form.get(f"vehicle-{i}-{f}")) for f in VEHICLE_FIELDS}
                if any(row.values()):
                    vehicles.append(row)
        days = b.cycle_days
        if "cycle_days" in form or "cycle_days_sent" in form:
            days = [d for d in WEEKDAYS if d in set(getlist("cycle_days"))]
        return cls(
            name=get("name", b.name),
            depot_name=get("depot_name", b.depot_name),
            depot_lat=get("depot_lat", b.depot_lat),
            depot_lon=get("depot_lon", b.depot_lon),
            depot_address=get("depot_address", b.depot_address),
            cycle_weeks=get("cycle_weeks", b.cycle_weeks),
            cycle_days=days,
            cycle_start_date=get("cycle_start_date", b.cycle_start_date),
            vehicles=vehicles,
            travel_method=get("travel_method", b.travel_method),
            travel_circuity=get("travel_circuity", b.travel_circuity),
            travel_speed_kmh=get("travel_speed_kmh", b.travel_speed_kmh),
            travel_matrix=b.travel_matrix,  # never from the browser: a server path
            solver_time_limit_s=get("solver_time_limit_s", b.solver_time_limit_s),
            solver_stable_minutes=get("solver_stable_minutes", b.solver_stable_minutes),
            solver_work_limit=get("solver_work_limit", b.solver_work_limit),
            calendar=b.calendar,  # never from the browser
        )

    def toml(self, stops_name: str) -> str:
        """The scenario TOML of these settings, its stops table named ``stops_name``
        (web.api_forms: the one map of settings to TOML keys)."""
        values: dict[str, Any] = {"stops": stops_name}
        for setting in SETTINGS:
            if setting in VEHICLE_SETTINGS:
                continue
            typed = getattr(self, setting.page)
            values[setting.key] = list(typed) if setting.kind == "days" else form_value(typed, setting.kind)
        if self.travel_method == "matrix" and self.travel_matrix:
            values["travel.matrix"] = self.travel_matrix  # as stored: never from the browser
        # No vehicles: "vehicles = []", which the reader refuses with its own message ("one or more vehicles").
        vehicles = [{s.key.split(".", 1)[1]: form_value(v.get(s.page, ""), s.kind) for s in VEHICLE_SETTINGS}
                    for v in self.vehicles]
        data = nest(values, vehicles)
        if self.calendar:
            data["calendar"] = self.calendar  # as stored
        return to_toml(data)


def _num_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _vehicle_strings(v: Mapping[str, Any]) -> dict[str, str]:
    return {f: _num_text(v.get(f, "")) for f in VEHICLE_FIELDS}


# --- stops -----------------------------------------------------------------------


def stop_rows_from_scenario(scenario: Scenario) -> list[dict[str, str]]:
    """The stops as the editor's text cells (the stops table's canonical cells)."""
    return [stop_record(s) for s in scenario.stops]


def stop_rows_from_form(form: Mapping[str, Any]) -> list[dict[str, str]]:
    """The stops editor's rows as submitted: ``stop-<i>-<column>``, in row order.

    Rows ticked ``stop-<i>-delete`` are kept with ``_delete`` set (so a refused
    form shows them as they were); blank rows are dropped.
    """
    indices = sorted({int(m.group(1)) for k in form for m in [re.fullmatch(r"stop-([0-9]{1,9})-\w+", k)] if m})
    rows = []
    for i in indices:
        row = {c: _text(form.get(f"stop-{i}-{c}")) for c in STOP_FIELDS}
        row["priority"] = "must" if form.get(f"stop-{i}-priority") else ""
        if not any(v for k, v in row.items()):
            continue
        row["_delete"] = "1" if form.get(f"stop-{i}-delete") else ""
        rows.append(row)
    return rows


@dataclass
class StopsTable:
    """Stop rows written as the CSV of the input contract, and where each row went."""

    data: bytes
    csv_row_to_shown: dict[int, int]  # spreadsheet row (header = 1) -> editor row number (1..)


def stops_csv(rows: Sequence[Mapping[str, str]]) -> StopsTable:
    """Rows not marked for deletion as a UTF-8 CSV with the canonical headers."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(STOP_FIELDS)
    mapping: dict[int, int] = {}
    csv_row = 1
    for shown, row in enumerate(rows, start=1):
        if row.get("_delete"):
            continue
        csv_row += 1
        mapping[csv_row] = shown
        out.writerow([row.get(c, "") for c in STOP_FIELDS])
    return StopsTable(buf.getvalue().encode("utf-8"), mapping)


# --- validation: the importers' code path -------------------------------------------


@dataclass
class ShownProblem:
    """A :class:`Problem` as the pages show it."""

    where: str  # "settings", the uploaded file's name, or "stops table"
    row: int | None
    column: str
    value: str
    expected: str


#: "row 12" or "row 2,002" in a problem's expected-text (routeplanner.limits writes thousands with commas).
_ROW = re.compile(r"\brow (\d{1,3}(?:,\d{3})+|\d+)\b")


def build_scenario(
    settings: SettingsForm,
    stops: tuple[str, bytes],
    *,
    row_map: Mapping[int, int] | None = None,
    notes: ImportNotes | None = None,
) -> Scenario:
    """Settings and a stops table through ``scenario_from_toml_text``.

    ``stops`` is ``(filename, bytes)`` of a CSV or .xlsx.  Raises
    :class:`InputError`; with ``row_map`` the stops problems' rows are the
    editor's row numbers instead of spreadsheet rows.  Addresses (the
    depot's, and stops without lat and lon) are looked up with the service's
    geocoder; ``notes`` gets the warnings found on the way (its rows are
    the file's rows).
    """
    filename, blob = stops
    # The reader knows every method; the service plans only with those it can run for anyone.
    offered = form_travel_methods()
    allowed = offered + (("matrix",) if settings.travel_matrix else ())
    refused = [] if settings.travel_method in allowed else [
        Problem(SETTINGS_SOURCE, None, "travel.method", settings.travel_method, " or ".join(offered))]
    if refused:
        settings = dataclasses.replace(settings, travel_method=offered[0])
    try:
        scenario = scenario_from_toml_text(
            settings.toml(filename), source_name=SETTINGS_SOURCE, stops_upload=(filename, blob),
            geocoder=checks.geocoder(), notes=notes,
        )
    except InputError as err:
        if refused:
            err = InputError(refused + err.problems, more=err.omitted)
        if row_map is None:
            raise err from None
        def shown(match: re.Match) -> str:
            row = int(match.group(1).replace(",", ""))  # "row 2,002" as the limits write it
            return f"row {row_map.get(row, row):,}"

        raise InputError([
            Problem(p.file, row_map.get(p.row, p.row) if p.row is not None else None, p.column, p.value,
                    re.sub(_ROW, shown, p.expected) if p.file == filename else p.expected)
            for p in err.problems
        ], more=err.omitted) from None
    if refused:
        raise InputError(refused)
    problems = services.storage_problems(scenario, SETTINGS_SOURCE, filename,
                                         lambda i: row_map.get(i + 2, i + 2) if row_map else i + 2)
    if problems:
        raise InputError(problems)
    return scenario


class ShownProblems(list):
    """The problems a page lists; ``omitted`` more were counted but not listed
    (:data:`~routeplanner.limits.MAX_LISTED_PROBLEMS`), ``total`` is all of them."""

    omitted: int = 0

    @property
    def total(self) -> int:
        return len(self) + self.omitted


def shown_problems(err: InputError) -> ShownProblems:
    from flask_babel import gettext as _

    names = {SETTINGS_SOURCE: _("settings"), STOPS_SOURCE: _("stops table")}
    shown = ShownProblems(ShownProblem(names.get(p.file, p.file), p.row, p.column, p.value, p.expected)
                          for p in err.problems)
    shown.omitted = err.omitted
    return shown
