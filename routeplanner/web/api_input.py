"""What API clients send, turned into a scenario: a JSON document, a stops list, an upload or a form.

Everything is checked by the input contract's own reader: the data is written
out as the scenario TOML plus a stops CSV and read back through
:func:`routeplanner.io.scenario_from_toml_text`, so the rules and the messages
are the command line's; every problem is reported at once, and nothing is
stored unless everything is valid (:class:`~routeplanner.errors.InputError`).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import tomllib
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, Iterable, Mapping

from werkzeug.datastructures import FileStorage

from routeplanner import config, formats, limits, services, store
from routeplanner.datachecks import ImportNotes
from routeplanner.errors import InputError, Problem
from routeplanner.io import STOP_COLUMNS, read_stops_bytes, scenario_from_toml_text, to_toml
from routeplanner.io.nesting import deeper_than, nesting_problem
from routeplanner.model import Scenario
from routeplanner.web import checks
from routeplanner.web.api_forms import FORM_FIELDS, form_scenario

#: Travel methods the web service accepts: a matrix file would be a path on
#: the server (not something a browser can hand over), OSRM is not built yet.
WEB_TRAVEL_METHODS = ("haversine", "geodesic")


def web_travel_methods() -> tuple[str, ...]:
    """The methods the web service plans with: roads too where the server has an extract."""
    return WEB_TRAVEL_METHODS + (("osm",) if config.osm_pbf() else ())
#: Stops in one scenario (routeplanner.limits: the readers refuse the first one past it).
MAX_STOPS = limits.MAX_STOPS
#: Keys of a scenario document that describe the row, not the scenario.
_META_KEYS = ("id", "created_at", "updated_at", "copied_from_id", "stops_count", "plans_count", "version")

def shown(value: Any) -> str:
    return formats.shown(value, ellipsis="...")


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
        problems.append(Problem(file, None, "", shown(stops), "a list of stops [{...}, ...]"))
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
            problems.append(Problem(file, row, "", shown(item), "a stop object {\"name\": ..., \"lat\": ..., ...}"))
            writer.writerow([""] * len(STOP_COLUMNS))
            continue
        for key in item:
            if key not in STOP_COLUMNS:
                problems.append(Problem(file, row, str(key), shown(item[key]), "one of the keys " + ", ".join(STOP_COLUMNS)))
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
        # Files and servers named by a user would be read or called by the service.
        for key, what in (("matrix", "travel matrix"), ("osm_pbf", "road extract"), ("osrm_url", "OSRM server")):
            if travel.get(key) is not None:
                problems.append(Problem(source, None, column("travel." + key), shown(travel[key]),
                                        f"no {what}: the web service plans with haversine or geodesic distances"))
                travel.pop(key)
        method = travel.get("method")
        if isinstance(method, str) and method not in web_travel_methods():
            problems.append(Problem(source, None, column("travel.method"), method, " or ".join(web_travel_methods())))
            travel["method"] = WEB_TRAVEL_METHODS[0]
        data["travel"] = travel
    return data


def _web_geocoding(data: dict[str, Any], source: str, problems: list[Problem]) -> dict[str, Any]:
    """Refuse a geocoder chosen by the client: the service geocodes with its own (a gazetteer or a
    server named here would be the service's files and network).  Only ``countries`` may be given."""
    geocoding = data.get("geocoding")
    if not isinstance(geocoding, dict):
        return data
    data = dict(data)
    kept = {}
    for key, value in geocoding.items():
        if key == "countries":
            kept[key] = value
        else:
            problems.append(Problem(source, None, f"geocoding.{key}", shown(value),
                                    "only geocoding.countries: the web service looks addresses up with its own "
                                    "geocoder (ROUTEPLANNER_GEOCODER, set by its administrator)"))
    data["geocoding"] = kept
    return data


def validate_scenario(
    data: Mapping[str, Any],
    stops_upload: tuple[str, bytes],
    *,
    source: str = "scenario",
    pre_problems: Iterable[Problem] = (),
    rename: Mapping[str, str] | None = None,
    notes: ImportNotes | None = None,
) -> Scenario:
    """The scenario of ``data`` (scenario TOML keys, parsed) with the stops
    table ``stops_upload=(filename, bytes)``, checked by the scenario reader.

    Raises one :class:`InputError` with every problem: ``pre_problems``, the
    web's own refusals and all of the reader's.  ``rename`` maps problem
    columns (dotted TOML keys) to the names the client used.  Addresses are
    looked up with the service's geocoder; ``notes`` gets what the checks
    before planning need (``routeplanner.datachecks``).
    """
    problems = list(pre_problems)
    column = (lambda k: rename.get(k, k)) if rename else (lambda k: k)
    clean = _web_travel({k: v for k, v in data.items() if k not in _META_KEYS}, source, problems, column)
    clean = _web_geocoding(clean, source, problems)
    clean["stops"] = stops_upload[0]
    scenario = None
    more = 0  # problems the reader counted but did not list
    try:
        scenario = scenario_from_toml_text(
            to_toml(clean), base_dir="/nonexistent", source_name=source, stops_upload=stops_upload,
            geocoder=checks.geocoder(), notes=notes,
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


def scenario_from_json(data: Any, *, stops: Any = None, source: str = "scenario", stops_file: str = "stops",
                       notes: ImportNotes | None = None) -> Scenario:
    """A scenario from its JSON form (:func:`scenario_dict`, ``io.jsonform``).

    ``stops`` (a list) replaces ``data["stops"]``.  Problems about the stops
    name ``stops_file`` and count rows from 2 (``stops[0]`` is row 2).
    """
    if not isinstance(data, dict):
        raise InputError([Problem(source, None, "", shown(data), "a scenario object {\"name\": ..., ...}")])
    data = dict(data)
    if stops is None:
        stops = data.pop("stops", None)
        if stops is None:
            raise InputError([Problem(source, None, "stops", "", "the list of stops (required)")])
    else:
        data.pop("stops", None)
    blob, problems = stops_csv(stops, stops_file)
    try:
        scenario = validate_scenario(data, (stops_file + ".csv", blob), source=source, pre_problems=problems,
                                     notes=notes)
    except InputError as err:
        raise InputError([_rename_file(p, stops_file + ".csv", stops_file) for p in err.problems],
                         more=err.omitted) from None
    if notes is not None and notes.stops_file == stops_file + ".csv":
        notes.stops_file = stops_file
        notes.warnings[:] = [dataclasses.replace(w, file=stops_file) if w.file == stops_file + ".csv" else w
                             for w in notes.warnings]
    return scenario


def _rename_file(p: Problem, old: str, new: str) -> Problem:
    return Problem(new, p.row, p.column, p.value, p.expected) if p.file == old else p


def upload_name(storage: FileStorage, default: str) -> str:
    name = storage.filename or default
    # browsers of old sent the whole path
    name = PureWindowsPath(PurePosixPath(name).name).name or default
    return name[:200]


def uploaded_file(files: Mapping[str, FileStorage], field: str) -> FileStorage | None:
    storage = files.get(field)
    if storage is None or not storage.filename:  # a file input left empty sends no filename
        return None
    return storage


def scenario_from_upload(
    stops_file: FileStorage | None,
    toml_file: FileStorage | None,
    form: Mapping[str, Any],
    notes: ImportNotes | None = None,
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
        stops_upload = (upload_name(stops_file, "stops.csv"), stops_file.read())
        if not stops_upload[1]:
            problems.append(Problem(stops_upload[0], None, "", "", "a stops table (the uploaded file is empty)"))
            stops_upload = None

    rename: dict[str, str] | None = None
    data: dict[str, Any] | None = None
    if toml_file is not None:
        source = upload_name(toml_file, "scenario.toml")
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
    return validate_scenario(data, stops_upload, source=source, pre_problems=problems, rename=rename, notes=notes)


