"""Read and write scenario files: the TOML that describes one planning scenario.

The format is the input contract (``/work/shared/contracts/inputs.md``,
"Scenario file").  :func:`load_scenario` checks every key at once: an unknown
key, a wrong type or an impossible value becomes a
:class:`~routeplanner.errors.Problem` whose ``column`` is the dotted key
(``vehicles[1].shift_end``, ``travel.speed_kmh``), and the problems of the
stops table join the same :class:`~routeplanner.errors.InputError`, so the
coordinator sees everything wrong in one go.

:func:`dump_scenario_toml` and :func:`~routeplanner.io.stops.write_stops_csv`
write a scenario back out so that loading it again gives an equal scenario.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Callable, Mapping

from routeplanner import config, limits
from routeplanner import text as text_rule
from routeplanner.errors import InputError, Problem
from routeplanner.io.nesting import deeper_than, nesting_problem
from routeplanner.datachecks import DEPOT, DataWarning, ImportNotes
from routeplanner.geocoding import GeocodingConfig, with_settings
from routeplanner.geocoding import build as build_geocoder
from routeplanner.io.stops import (
    Geocoder,
    geocode_address,
    parse_time,
    parse_weekday,
    read_stops,
    read_stops_bytes,
)
from routeplanner.model import (
    LANGUAGES,
    WEEKDAYS,
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
)

TRAVEL_METHODS = ("haversine", "geodesic", "matrix", "osm", "osrm", "pgrouting")

_TOP_KEYS = ("name", "stops", "depot", "cycle", "vehicles", "travel", "solver", "calendar", "geocoding")
_DEPOT_KEYS = ("name", "lat", "lon", "address")
_GEOCODING_KEYS = ("provider", "url", "user_agent", "min_delay_s", "gazetteer", "countries")
_CYCLE_KEYS = ("weeks", "days", "start_date")
_VEHICLE_KEYS = ("name", "capacity_books", "shift_start", "shift_end", "break_minutes", "break_after_minutes")
_TRAVEL_KEYS = ("method", "circuity", "speed_kmh", "matrix", "osm_pbf", "osrm_url", "osrm_max_table", "snap_m")
_SOLVER_KEYS = ("time_limit_s", "stable_minutes", "work_limit")
_CALENDAR_KEYS = ("country", "timezone", "valid_until", "closed", "language")
_CLOSED_KEYS = ("date", "reason")
#: Closed dates in one scenario: years of a library's own closures, never a hostile list.
MAX_CLOSED_DATES = 1000
#: Characters of a closed date's reason (it is shown to patrons: "no visit on 2 Jan (stocktaking)").
MAX_REASON = 200

# Defaults of the contract, taken from the model so there is one source.
DEFAULT_CAPACITY_BOOKS = 2500
_VEHICLE = Vehicle(name="", capacity_books=DEFAULT_CAPACITY_BOOKS)
_CYCLE, _TRAVEL, _SOLVER = Cycle(), Travel(), SolverSettings()
DEFAULT_DEPOT_NAME = "Depot"

_REQUIRED = object()  # "no default" marker for the getters below


def _show(value: Any) -> str:
    """A TOML value as the coordinator wrote it, for ``Problem.value``."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


@dataclass
class _Checker:
    """Reads typed values out of parsed TOML, recording a Problem for each bad one.

    Every getter returns the value, the default when the key is absent, or
    None after recording a problem, so one pass finds every problem.
    """

    file: str
    problems: list[Problem]
    more: int = 0  # problems counted but not listed by a reader whose problems joined these

    def bad(self, key: str, value: Any, expected: str) -> None:
        self.problems.append(Problem(self.file, None, key, _show(value), expected))

    def problems_keys(self) -> set[str]:
        """The tables (``geocoding`` of ``geocoding.url``) that have a problem so far."""
        return {p.column.split(".", 1)[0] for p in self.problems if p.file == self.file}

    def table(self, data: dict, key: str, allowed: tuple[str, ...], *, required: bool = False,
              expected: str = "") -> dict | None:
        """``data[key]`` as a table with no unknown keys; ``{}`` when absent and optional."""
        if key not in data:
            if required:
                self.bad(key, "", expected or f"a [{key}] table")
                return None
            return {}
        return self.keys(data[key], key, allowed, expected or f"a [{key}] table")

    def keys(self, value: Any, key: str, allowed: tuple[str, ...], expected: str) -> dict | None:
        """``value`` as a table (named ``key`` in problems) with no unknown keys."""
        if not isinstance(value, dict):
            self.bad(key, value, expected)
            return None
        for k, v in value.items():
            if k not in allowed:
                self.bad(f"{key}.{k}", v, "one of the keys " + ", ".join(allowed))
        return value

    def text(self, tbl: dict, prefix: str, key: str, default: Any, expected: str) -> str | None:
        value = tbl.get(key, default)
        if value is _REQUIRED:
            self.bad(prefix + key, "", expected + " (required)")
            return None
        if not isinstance(value, str) or not value.strip():
            self.bad(prefix + key, value, expected)
            return None
        if text_rule.forbidden(value):
            self.bad(prefix + key, text_rule.visible(value), text_rule.EXPECTED)
            return None
        return value.strip()

    def path(self, tbl: dict, prefix: str, key: str, base_dir: Path, required_by: str | None,
             expected: str) -> str | None:
        """``tbl[key]``: an existing file, relative to ``base_dir``, as an absolute path (the
        TOML's folder is forgotten later); None when absent or bad (bad: a problem is listed).
        ``required_by``: the method that needs it, when the table's method does."""
        if key not in tbl:
            if required_by:
                self.bad(prefix + key, "", f'{expected} (required with method = "{required_by}")')
            return None
        text = self.text(tbl, prefix, key, None, expected)
        if text is None:
            return None
        path = (base_dir / text).resolve()
        if not path.is_file():
            self.bad(prefix + key, text, f"{expected}; {path} does not exist")
            return None
        return str(path)

    def integer(self, tbl: dict, prefix: str, key: str, default: Any, ok: Callable[[int], bool],
                expected: str) -> int | None:
        value = tbl.get(key, default)
        # bool is an int in Python but never a count in TOML.
        if isinstance(value, bool) or not isinstance(value, int) or not ok(value):
            self.bad(prefix + key, value, expected)
            return None
        return value

    def real(self, tbl: dict, prefix: str, key: str, default: Any, ok: Callable[[float], bool],
             expected: str) -> float | None:
        value = tbl.get(key, default)
        if value is _REQUIRED:
            self.bad(prefix + key, "", expected + " (required)")
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not ok(value):
            self.bad(prefix + key, value, expected)
            return None
        return float(value)

    def clock(self, tbl: dict, prefix: str, key: str, default_min: int) -> int | None:
        """A time of day, ``"08:00"`` (or a TOML local time ``08:00:00``), as minutes."""
        if key not in tbl:
            return default_min
        value = tbl[key]
        if isinstance(value, time) and value.second == 0 and value.microsecond == 0:
            return value.hour * 60 + value.minute
        if isinstance(value, str):
            try:
                return parse_time(value)
            except ValueError:
                pass
        self.bad(prefix + key, value, 'a time of day "HH:MM", such as "08:00"')
        return None


def _date(value: Any) -> date | None:
    """A TOML date or a ``"YYYY-MM-DD"`` string as a date; None for anything else."""
    if isinstance(value, datetime):  # a TOML date-time: not a plain date
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


@dataclass
class _DepotTable:
    """``[depot]`` as read: coordinates, or an address still to geocode."""

    name: str
    lat: float | None
    lon: float | None
    address: str | None


def _depot(c: _Checker, data: dict) -> _DepotTable | None:
    tbl = c.table(data, "depot", _DEPOT_KEYS, required=True,
                  expected="a [depot] table with the name, and lat and lon (or the address) of the bookmobile's base")
    if tbl is None:
        return None
    name = c.text(tbl, "depot.", "name", DEFAULT_DEPOT_NAME, "the depot's name (text)")
    address = None
    if "address" in tbl:
        address = c.text(tbl, "depot.", "address", None, "the depot's address, looked up when lat and lon are not given")
        if address is None:
            return None
        if "lat" not in tbl and "lon" not in tbl:
            return _DepotTable(name, None, None, address) if name is not None else None
    lat = c.real(tbl, "depot.", "lat", _REQUIRED, lambda v: -90 <= v <= 90, "a latitude in degrees, -90 to 90")
    lon = c.real(tbl, "depot.", "lon", _REQUIRED, lambda v: -180 <= v <= 180, "a longitude in degrees, -180 to 180")
    if name is None or lat is None or lon is None:
        return None
    return _DepotTable(name, lat, lon, address)


def _locate_depot(c: _Checker, depot: _DepotTable | None, geocoder: Geocoder | None,
                  notes: ImportNotes | None) -> Place | None:
    """The depot's place: its coordinates, or its address geocoded (doubts become warnings)."""
    if depot is None:
        return None
    if depot.lat is not None and depot.lon is not None:
        return Place(depot.name, depot.lat, depot.lon)
    assert depot.address is not None
    found = geocode_address(geocoder, depot.address)
    if isinstance(found, str):
        c.bad("depot.address", depot.address, found.replace("coordinates, or an address", "lat and lon, or an address"))
        return None
    lat, lon, doubts = found
    if notes is not None:
        notes.geocoded[DEPOT] = depot.address
        notes.warnings += [DataWarning(kind, c.file, None, "depot.address", depot.address, why, DEPOT)
                           for kind, why in doubts]
    return Place(depot.name, lat, lon)


def _geocoding(c: _Checker, data: dict, base_dir: Path, defaults: GeocodingConfig | None) -> GeocodingConfig | None:
    """``[geocoding]`` over ``defaults`` (the ``ROUTEPLANNER_GEOCODER*`` settings on the command line)."""
    config = defaults or GeocodingConfig()
    tbl = c.table(data, "geocoding", _GEOCODING_KEYS)
    if tbl is None:
        return None
    if not tbl:
        return config
    ok = True
    changes: dict[str, Any] = {}
    for key in ("provider", "url", "user_agent"):
        if key in tbl:
            changes[key] = c.text(tbl, "geocoding.", key, None, "text")
            ok = ok and changes[key] is not None
    if "min_delay_s" in tbl:
        changes["min_delay_s"] = c.real(tbl, "geocoding.", "min_delay_s", None, lambda v: 0 <= v <= 60,
                                        "seconds between requests, 0 to 60")
        ok = ok and changes["min_delay_s"] is not None
    if "gazetteer" in tbl:
        expected = "the path of a gazetteer file (GeoNames, or a CSV of places), relative to the scenario file"
        text = c.text(tbl, "geocoding.", "gazetteer", None, expected)
        path = (base_dir / text).resolve() if text is not None else None
        if path is not None and not path.is_file():
            c.bad("geocoding.gazetteer", text, f"{expected}; {path} does not exist")
            path = None
        ok = ok and path is not None
        changes["gazetteer"] = str(path) if path else None
        changes.setdefault("provider", "gazetteer")
    if "countries" in tbl:
        value = tbl["countries"]
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
            c.bad("geocoding.countries", value, 'country codes, such as ["LT", "LV"]')
            ok = False
        else:
            changes["countries"] = tuple(v.strip().upper() for v in items)
    if not ok:
        return None
    config = with_settings(config, **changes)
    for key, value, expected in config.problems():
        c.bad(f"geocoding.{key}", value, expected)
        ok = False
    return config if ok else None


def _refuse_addresses(address: str):
    raise ValueError("the [geocoding] settings are wrong: see the problems with geocoding.*")


def _geocoder(c: _Checker, given: Geocoder | None, config: GeocodingConfig | None,
              calendar: CalendarSettings | None) -> Geocoder | None:
    """The geocoder of this scenario: the one given (the web service's), else the one of ``config``;
    kept to ``config.countries``, else the calendar's country."""
    geocoder = given
    if geocoder is None and config is None and "geocoding" in c.problems_keys():
        return _refuse_addresses  # its settings are wrong: say so for each address, not "no geocoder"
    if geocoder is None and config is not None and config.provider != "none":
        try:
            geocoder = build_geocoder(config)
        except InputError as err:
            c.problems += [Problem(p.file, p.row, "geocoding.gazetteer", p.value, p.expected) for p in err.problems]
            return None
    countries = (config.countries if config is not None else ()) or (
        (calendar.country,) if calendar is not None and calendar.country else ())
    if countries and hasattr(geocoder, "focused"):
        geocoder = geocoder.focused(countries=countries)  # type: ignore[union-attr]
    return geocoder


def _cycle(c: _Checker, data: dict) -> Cycle | None:
    tbl = c.table(data, "cycle", _CYCLE_KEYS)
    if tbl is None:
        return None
    weeks = c.integer(tbl, "cycle.", "weeks", _CYCLE.weeks, limits.WEEKS.__contains__, limits.EXPECT_WEEKS)
    days: tuple[str, ...] | None = _CYCLE.days
    if "days" in tbl:
        days = _cycle_days(c, tbl["days"])
    start: date | None = None
    if "start_date" in tbl:
        value = tbl["start_date"]
        start = _date(value)
        if start is None:
            c.bad("cycle.start_date", value, 'a date "YYYY-MM-DD"')
            weeks = None  # keep the Cycle from being built
        elif days:
            # start_date is the date of week 1, day 1: it must be that weekday.
            if WEEKDAYS[start.weekday()] != days[0]:
                c.bad("cycle.start_date", value,
                      f"a date that is a {days[0]} (the first day of the cycle); "
                      f"{start.isoformat()} is a {WEEKDAYS[start.weekday()]}")
                weeks = None
    if weeks is None or days is None:
        return None
    return Cycle(weeks=weeks, days=days, start_date=start)


def _cycle_days(c: _Checker, value: Any) -> tuple[str, ...] | None:
    expected = 'a list of weekdays such as ["Mon", "Tue", "Wed", "Thu", "Fri"]'
    if not isinstance(value, list) or not value:
        c.bad("cycle.days", value, expected)
        return None
    seen: list[str] = []
    ok = True
    for item in value:
        try:
            if not isinstance(item, str):
                raise ValueError(item)
            day = parse_weekday(item)
        except ValueError:
            c.bad("cycle.days", item, "a weekday: Mon, Tue, Wed, Thu, Fri, Sat or Sun")
            ok = False
            continue
        if day in seen:
            c.bad("cycle.days", item, "each weekday once")
            ok = False
        seen.append(day)
    # Days run in calendar order whatever order they were listed in.
    return tuple(d for d in WEEKDAYS if d in seen) if ok else None


def _vehicles(c: _Checker, data: dict) -> tuple[Vehicle, ...] | None:
    expected = "one or more [[vehicles]] tables"
    raw = data.get("vehicles")
    if raw is None:
        c.bad("vehicles", "", expected + " (required)")
        return None
    if not isinstance(raw, list) or not raw:
        c.bad("vehicles", raw, expected)
        return None
    if len(raw) > limits.MAX_VEHICLES:
        c.bad("vehicles", f"{len(raw):,} vehicles", f"at most {limits.MAX_VEHICLES} vehicles")
        return None
    out: list[Vehicle] = []
    names: dict[str, int] = {}
    for i, item in enumerate(raw, start=1):
        key = f"vehicles[{i}]"
        p = key + "."
        tbl = c.keys(item, key, _VEHICLE_KEYS, "a [[vehicles]] table")
        if tbl is None:
            continue
        name = c.text(tbl, p, "name", f"Vehicle {i}", "the vehicle's name (text)")
        if name is not None:
            if name in names:
                c.bad(p + "name", name, f"a name no other vehicle has (vehicles[{names[name]}] has it)")
            names.setdefault(name, i)
        capacity = c.integer(tbl, p, "capacity_books", _VEHICLE.capacity_books, limits.CAPACITY_BOOKS.__contains__,
                             limits.EXPECT_CAPACITY)
        start = c.clock(tbl, p, "shift_start", _VEHICLE.shift_start_min)
        end = c.clock(tbl, p, "shift_end", _VEHICLE.shift_end_min)
        if start is not None and end is not None and end <= start:
            c.bad(p + "shift_end", tbl.get("shift_end", hhmm(end)),
                  f"a time after shift_start {hhmm(start)} (shifts end on the day they start)")
            end = None
        brk = c.integer(tbl, p, "break_minutes", _VEHICLE.break_minutes, limits.BREAK_MIN.__contains__,
                        limits.EXPECT_BREAK)
        after = c.integer(tbl, p, "break_after_minutes", _VEHICLE.break_after_minutes,
                          limits.BREAK_AFTER_MIN.__contains__, limits.EXPECT_BREAK_AFTER)
        if None not in (name, capacity, start, end, brk, after):
            out.append(Vehicle(name, capacity, start, end, brk, after))
    return tuple(out) if len(out) == len(raw) else None


def _travel(c: _Checker, data: dict, base_dir: Path) -> Travel | None:
    tbl = c.table(data, "travel", _TRAVEL_KEYS)
    if tbl is None:
        return None
    method = tbl.get("method", _TRAVEL.method)
    if method not in TRAVEL_METHODS:
        c.bad("travel.method", method, "one of " + ", ".join(TRAVEL_METHODS))
        method = None
    circuity = c.real(tbl, "travel.", "circuity", _TRAVEL.circuity, limits.CIRCUITY.__contains__,
                      limits.EXPECT_CIRCUITY)
    speed = c.real(tbl, "travel.", "speed_kmh", _TRAVEL.speed_kmh, limits.SPEED_KMH.__contains__,
                   limits.EXPECT_SPEED)
    snap = c.real(tbl, "travel.", "snap_m", _TRAVEL.snap_m, limits.SNAP_M.__contains__, limits.EXPECT_SNAP)
    max_table = c.integer(tbl, "travel.", "osrm_max_table", _TRAVEL.osrm_max_table,
                          limits.OSRM_MAX_TABLE.__contains__, limits.EXPECT_OSRM_MAX_TABLE)
    ok = None not in (method, circuity, speed, snap, max_table)
    matrix = c.path(tbl, "travel.", "matrix", base_dir, "matrix" if method == "matrix" else None,
                    "the path of a CSV with columns from,to,km,minutes, relative to the scenario file")
    # Without osm_pbf, method "osm" uses the server's extract (ROUTEPLANNER_OSM_PBF) where there is one.
    osm_pbf = c.path(tbl, "travel.", "osm_pbf", base_dir, "osm" if method == "osm" and not config.osm_pbf() else None,
                     "the path of an OpenStreetMap extract (.osm.pbf), relative to the scenario file")
    osrm_url = None
    expected_url = "the address of an OSRM server, http://host:port"
    if "osrm_url" in tbl:
        osrm_url = c.text(tbl, "travel.", "osrm_url", None, expected_url)
        if osrm_url is not None and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", osrm_url):
            c.bad("travel.osrm_url", osrm_url, expected_url)
            osrm_url = None
    elif method == "osrm":
        c.bad("travel.osrm_url", "", expected_url + ' (required with method = "osrm")')
    for key, value in (("matrix", matrix), ("osm_pbf", osm_pbf), ("osrm_url", osrm_url)):
        ok = ok and (value is not None or (key not in tbl and not _needs(method, key)))
    if not ok:
        return None
    return Travel(method=method, circuity=circuity, speed_kmh=speed, matrix=matrix, osm_pbf=osm_pbf,
                  osrm_url=osrm_url.rstrip("/") if osrm_url else None, osrm_max_table=max_table, snap_m=snap)


def _needs(method: str | None, key: str) -> bool:
    """Whether ``[travel] method`` cannot work without ``key``."""
    if (method, key) == ("osm", "osm_pbf"):
        return not config.osm_pbf()
    return (method, key) in {("matrix", "matrix"), ("osrm", "osrm_url")}


def _solver(c: _Checker, data: dict) -> SolverSettings | None:
    tbl = c.table(data, "solver", _SOLVER_KEYS)
    if tbl is None:
        return None
    limit = c.real(tbl, "solver.", "time_limit_s", _SOLVER.time_limit_s, limits.TIME_LIMIT_S.__contains__,
                   limits.EXPECT_TIME_LIMIT)
    stable = c.integer(tbl, "solver.", "stable_minutes", _SOLVER.stable_minutes, limits.STABLE_MIN.__contains__,
                       limits.EXPECT_STABLE)
    work = None
    if "work_limit" in tbl:
        work = c.integer(tbl, "solver.", "work_limit", None, limits.WORK_LIMIT.__contains__,
                         limits.EXPECT_WORK_LIMIT)
        if work is None:
            return None
    if limit is None or stable is None:
        return None
    return SolverSettings(time_limit_s=limit, stable_minutes=stable, work_limit=work)


def _calendar(c: _Checker, data: dict) -> CalendarSettings | None:
    """``[calendar]``: country (public holidays), time zone, last date, the library's closed dates."""
    from routeplanner import dates

    tbl = c.table(data, "calendar", _CALENDAR_KEYS)
    if tbl is None:
        return None
    ok = True
    country = None
    if "country" in tbl:
        value = tbl["country"]
        code = value.strip().upper() if isinstance(value, str) else ""
        if code in dates.supported_countries():
            country = code
        else:
            c.bad("calendar.country", value, 'a country code the holidays package knows, such as "LT", "LV" or "GB"')
            ok = False
    timezone = None
    if "timezone" in tbl:
        value = tbl["timezone"]
        timezone = value.strip() if isinstance(value, str) else ""
        if not _known_zone(timezone):
            c.bad("calendar.timezone", value, 'an IANA time zone such as "Europe/Vilnius" or "Europe/Riga"')
            ok = False
    elif country and country not in dates.COUNTRY_TIME_ZONES:
        c.bad("calendar.timezone", "", f'the time zone of the timetable, such as "Europe/Vilnius" (required for '
                                       f'country {country}, which has no default here)')
        ok = False
    until = None
    if "valid_until" in tbl:
        until = _date(tbl["valid_until"])
        if until is None:
            c.bad("calendar.valid_until", tbl["valid_until"], 'a date "YYYY-MM-DD"')
            ok = False
    language = None
    if "language" in tbl:
        value = tbl["language"]
        language = value.strip().lower() if isinstance(value, str) else ""
        if language not in LANGUAGES:
            c.bad("calendar.language", value, "the language of the patrons' pages: " + ", ".join(
                f'"{code}"' for code in LANGUAGES))
            ok = False
    closed = _closed_dates(c, tbl.get("closed", []))
    if not ok or closed is None:
        return None
    return CalendarSettings(country=country, timezone=timezone, valid_until=until, closed=closed, language=language)


def _known_zone(name: str) -> bool:
    from zoneinfo import ZoneInfo

    if not name or name.startswith("/") or ".." in name:  # ZoneInfo takes names, never paths
        return False
    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # not found (a KeyError), not a zone name, a folder
        return False
    return True


def _closed_dates(c: _Checker, value: Any) -> tuple[Closure, ...] | None:
    """``closed = ["2026-12-31", {date = "2027-01-04", reason = "stocktaking"}]``, in date order."""
    expected = 'a list of dates "YYYY-MM-DD", or tables {date = "YYYY-MM-DD", reason = "..."}'
    if not isinstance(value, list):
        c.bad("calendar.closed", value, expected)
        return None
    if len(value) > MAX_CLOSED_DATES:
        c.bad("calendar.closed", f"{len(value):,} dates", f"at most {MAX_CLOSED_DATES:,} closed dates")
        return None
    out: dict[date, Closure] = {}
    ok = True
    for i, item in enumerate(value, start=1):
        key = f"calendar.closed[{i}]"
        reason = ""
        raw = item
        if isinstance(item, dict):
            if c.keys(item, key, _CLOSED_KEYS, expected) is None:
                ok = False
                continue
            raw = item.get("date")
            if item.get("reason", "") != "":  # an empty reason is no reason (as the API writes it)
                text = c.text(item, key + ".", "reason", "", "the reason, as patrons read it (text)")
                if text is None or len(text) > MAX_REASON:
                    if text is not None:
                        c.bad(key + ".reason", text[:60] + "…", f"a reason of at most {MAX_REASON} characters")
                    ok = False
                    continue
                reason = text
        day = _date(raw)
        if day is None:
            c.bad(key + (".date" if isinstance(item, dict) else ""), raw if raw is not None else "",
                  'a date "YYYY-MM-DD"')
            ok = False
            continue
        if day in out:
            c.bad(key, _show(raw), f"each date once ({day.isoformat()} is listed twice)")
            ok = False
            continue
        out[day] = Closure(day, reason)
    return tuple(out[d] for d in sorted(out)) if ok else None


def _stops(c: _Checker, data: dict, base_dir: Path, geocoder: Geocoder | None,
           stops_upload: tuple[str, bytes] | None, notes: ImportNotes | None) -> tuple[Stop, ...] | None:
    expected = "the path of the stops table (CSV or .xlsx), relative to the scenario file"
    rel = c.text(data, "", "stops", _REQUIRED, expected)
    if rel is None:
        return None
    try:
        if stops_upload is not None:
            filename, blob = stops_upload
            return read_stops_bytes(blob, filename, geocoder=geocoder, notes=notes)
        path = Path(rel) if Path(rel).is_absolute() else base_dir / rel
        if not path.is_file():
            c.bad("stops", rel, f"{expected}; {path} does not exist")
            return None
        return read_stops(path, geocoder=geocoder, notes=notes)
    except InputError as err:
        c.problems.extend(err.problems)
        c.more += err.omitted
        return None


def _stops_name(data: dict, base_dir: Path, stops_upload: tuple[str, bytes] | None) -> str:
    """The stops table as the stops reader's problems name it."""
    if stops_upload is not None:
        return stops_upload[0]
    rel = data.get("stops")
    if not isinstance(rel, str):
        return "stops"
    rel = rel.strip()
    return str(Path(rel) if Path(rel).is_absolute() else base_dir / rel)


def scenario_from_toml_text(
    text: str,
    *,
    base_dir: str | Path = ".",
    source_name: str = "scenario.toml",
    geocoder: Geocoder | None = None,
    stops_upload: tuple[str, bytes] | None = None,
    geocoding: GeocodingConfig | None = None,
    notes: ImportNotes | None = None,
) -> Scenario:
    """A scenario from TOML text; the code path of :func:`load_scenario`.

    ``base_dir`` is where relative paths in the text start; ``source_name``
    names the TOML in problems and becomes ``Scenario.source``.  The web app
    passes ``stops_upload=(filename, bytes)`` when the stops table was uploaded
    with the TOML rather than saved next to it; the ``stops`` key must still
    be there (the contract requires it) but is then not opened.

    Addresses (the depot's, and stops without lat and lon) are looked up with
    ``geocoder`` when one is given, else with the geocoder of ``[geocoding]``
    over ``geocoding`` (the command line passes the ``ROUTEPLANNER_GEOCODER*``
    settings).  ``notes`` (when given) gets what the checks before planning
    need: each stop's row, what was geocoded, and the warnings found while
    reading (:mod:`routeplanner.datachecks`).

    Raises :class:`InputError` listing every problem of the TOML and of the
    stops table.
    """
    base = Path(base_dir)
    if len(text) > limits.MAX_SCENARIO_BYTES:
        raise InputError([limits.too_large(source_name, len(text), limits.MAX_SCENARIO_BYTES, "a scenario")])
    try:
        data = tomllib.loads(text.lstrip("\ufeff"))  # Notepad likes to add a BOM
    except tomllib.TOMLDecodeError as exc:
        raise InputError([Problem(source_name, None, "", str(exc), "a valid TOML file")]) from None
    except RecursionError:  # tomllib recurses into nested arrays and inline tables
        raise InputError([nesting_problem(source_name, "TOML file")]) from None
    if deeper_than(data):
        raise InputError([nesting_problem(source_name, "TOML file")])

    c = _Checker(source_name, [])
    for key, value in data.items():
        if key not in _TOP_KEYS:
            c.bad(key, value, "a known top-level key: " + ", ".join(_TOP_KEYS))
    name = c.text(data, "", "name", _REQUIRED, "the scenario's name (text)")
    depot_table = _depot(c, data)
    cycle = _cycle(c, data)
    vehicles = _vehicles(c, data)
    travel = _travel(c, data, base)
    solver = _solver(c, data)
    calendar = _calendar(c, data)
    if notes is not None:
        notes.source = source_name
    geocoder = _geocoder(c, geocoder, _geocoding(c, data, base, geocoding), calendar)
    depot = _locate_depot(c, depot_table, geocoder, notes)
    if depot is not None and hasattr(geocoder, "focused"):
        # Of namesakes, the stops take the ones nearest the depot: a bookmobile serves its district.
        geocoder = geocoder.focused(near=(depot.lat, depot.lon))  # type: ignore[union-attr]
    # Read the stops even when the TOML has problems, so all are reported at once.
    stops = _stops(c, data, base, geocoder, stops_upload, notes)
    if cycle is not None and vehicles is not None:
        # Size of the whole: route-days, and the visits the stops ask for.
        c.problems += limits.size_problems(
            Scenario(name or "", depot or Place("", 0.0, 0.0), vehicles, stops or (), cycle), source_name,
            _stops_name(data, base, stops_upload),
        )
    if c.problems:
        raise InputError(c.problems, more=c.more)
    assert None not in (name, depot, cycle, vehicles, travel, solver, calendar, stops)
    return Scenario(name=name, depot=depot, vehicles=vehicles, stops=stops, cycle=cycle, travel=travel,
                    solver=solver, source=source_name, calendar=calendar)


def load_scenario(path: str | Path, *, geocoder: Geocoder | None = None, geocoding: GeocodingConfig | None = None,
                  notes: ImportNotes | None = None) -> Scenario:
    """The scenario described by the TOML file at ``path`` (stops read relative to it).

    Raises :class:`InputError` listing every problem of the TOML and of the
    stops table; problems name the files as given (``path``, and the stops
    path joined to the TOML's folder).
    """
    path = Path(path)
    try:
        text = limits.read_limited(path, limits.MAX_SCENARIO_BYTES, "a scenario file").decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError([Problem(str(path), None, "", "", "a TOML file in UTF-8 encoding")]) from None
    return scenario_from_toml_text(text, base_dir=path.parent, source_name=str(path), geocoder=geocoder,
                                   geocoding=geocoding, notes=notes)


# --- writing ------------------------------------------------------------------


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # repr round-trips exactly and always has "." or "e"
        return repr(value) if math.isfinite(value) else ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf"))
    if isinstance(value, str):
        # A JSON string is a valid TOML basic string (same escapes).
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value if v is not None) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items() if v is not None) + "}"
    return json.dumps(str(value), ensure_ascii=False)


def to_toml(data: Mapping[str, Any]) -> str:
    """Plain data (JSON, parsed TOML, form fields) as TOML text: top-level keys, then tables,
    then arrays of tables; None values are left out.

    Whatever types the data has, the TOML says the same (a number given as
    text stays text), so the scenario reader reports wrong types itself: the
    web service checks what a client sends by writing it here and reading it
    back with :func:`scenario_from_toml_text`.
    """
    scalars: list[str] = []
    tables: list[str] = []
    for key, value in data.items():
        if value is None:
            continue
        k = _toml_key(str(key))
        if isinstance(value, Mapping):
            tables += ["", f"[{k}]"] + _toml_pairs(value)
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            for item in value:
                tables += ["", f"[[{k}]]"] + _toml_pairs(item)
        else:
            scalars.append(f"{k} = {_toml_value(value)}")
    return "\n".join(scalars + tables) + "\n"


def _toml_pairs(table: Mapping[str, Any]) -> list[str]:
    return [f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in table.items() if v is not None]


def _toml_table(header: str, pairs: list[tuple[str, Any]]) -> list[str]:
    lines = [header] if header else []
    lines += [f"{k} = {_toml_value(v)}" for k, v in pairs if v is not None]
    return lines + [""]


def dump_scenario_toml(scenario: Scenario, stops_filename: str) -> str:
    """The TOML text of ``scenario``, its stops in ``stops_filename``.

    Every key is written, defaults included, so the file documents itself.
    Together with :func:`~routeplanner.io.stops.write_stops_csv` (writing the
    stops to ``stops_filename`` next to the TOML) loading gives an equal
    scenario.  ``travel.matrix`` and ``travel.osm_pbf`` are written as stored: absolute paths.
    """
    s = scenario
    lines = _toml_table("", [("name", s.name), ("stops", stops_filename)])
    lines += _toml_table("[depot]", [("name", s.depot.name), ("lat", float(s.depot.lat)),
                                     ("lon", float(s.depot.lon))])
    start = s.cycle.start_date.isoformat() if s.cycle.start_date else None
    lines += _toml_table("[cycle]", [("weeks", s.cycle.weeks), ("days", list(s.cycle.days)),
                                     ("start_date", start)])
    for v in s.vehicles:
        lines += _toml_table("[[vehicles]]", [
            ("name", v.name),
            ("capacity_books", v.capacity_books),
            ("shift_start", hhmm(v.shift_start_min)),
            ("shift_end", hhmm(v.shift_end_min)),
            ("break_minutes", v.break_minutes),
            ("break_after_minutes", v.break_after_minutes),
        ])
    t = s.travel
    lines += _toml_table("[travel]", [("method", t.method), ("circuity", float(t.circuity)),
                                      ("speed_kmh", float(t.speed_kmh)), ("matrix", t.matrix),
                                      ("osm_pbf", t.osm_pbf), ("osrm_url", t.osrm_url),
                                      ("osrm_max_table", t.osrm_max_table), ("snap_m", float(t.snap_m))])
    lines += _toml_table("[solver]", [("time_limit_s", float(s.solver.time_limit_s)),
                                      ("stable_minutes", s.solver.stable_minutes),
                                      ("work_limit", s.solver.work_limit)])
    lines += _toml_table("[calendar]", calendar_pairs(s.calendar))
    return "\n".join(lines)


def calendar_pairs(calendar: CalendarSettings) -> list[tuple[str, Any]]:
    """The ``[calendar]`` keys of ``calendar`` as (key, plain value); unset keys are None."""
    closed = [{"date": c.date.isoformat(), "reason": c.reason} if c.reason else c.date.isoformat()
              for c in calendar.closed]
    return [
        ("country", calendar.country),
        ("timezone", calendar.timezone),
        ("valid_until", calendar.valid_until.isoformat() if calendar.valid_until else None),
        ("closed", closed),
        ("language", calendar.language),
    ]
