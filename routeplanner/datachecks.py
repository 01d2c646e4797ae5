"""Checks of a scenario's data before it is planned: what is probably a mistake, though allowed.

A file can be valid and still wrong: a stop whose latitude and longitude were
swapped lands in Asia, a geocoder that found only the country puts a village
in the middle of it, a fortnightly stop in a 1-week cycle is never planned.
The solver would then spend its time limit and report "too far: ... 249 h"
or serve 2 stops of 37.  These checks say so before the solve, each as a
:class:`DataWarning` with the row, the value and why; the coordinator may
correct the data or plan anyway.

* :func:`check_scenario`: every check of a read scenario (``far-away``,
  ``same-spot``, ``frequency``, ``capacity``), after the warnings the readers
  found on the way (:class:`ImportNotes`: a row with fewer fields than the
  header, a doubtful geocoding);
* :func:`format_warning`: one warning as the command line prints it.

Pure Python over the model: no I/O, no third-party imports.  Problems that
make a file unreadable are not warnings: they are
:class:`~routeplanner.errors.Problem` and the file is refused.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from routeplanner.model import Scenario, Stop

#: What a warning's ``stop_id`` is for the depot (no stop may have this id: the
#: stops reader refuses it, as the travel matrix calls the depot so).
DEPOT = "depot"

#: Warning kinds, one per check.
FAR_AWAY = "far-away"
SAME_SPOT = "same-spot"
FIELD_COUNT = "field-count"
FREQUENCY = "frequency"
CAPACITY = "capacity"
GEOCODE_AMBIGUOUS = "geocode-ambiguous"
GEOCODE_FALLBACK = "geocode-fallback"

#: A point is far away when it is farther from the middle of the stops than
#: this many times the median stop's distance, and at least FAR_MIN_KM.
#: The samples' farthest stops are 1.7 times the median away (Rokiškis 29 km
#: of a median 18, Ogre 26 of 17); a swapped or negated coordinate lands
#: thousands of km off, and a geocoder's country fallback (the middle of
#: Lithuania for a village near Rokiškis) some 130 km.
FAR_FACTOR = 4.0
FAR_MIN_KM = 40.0
#: Fewer stops have no "area of the others" to stand out of.
FAR_MIN_STOPS = 3
#: Two stops closer than this are on one spot: the same village's point from
#: a geocoder, or one row copied.  The samples' nearest pair is 254 m apart.
SAME_SPOT_M = 30.0
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class DataWarning:
    """Something in the input that is probably a mistake; planning may go on.

    ``row`` is the stops table's row as the spreadsheet shows it (the header is
    row 1; on the web page, the editor's row), or None for a scenario setting.
    ``column`` is the column or the scenario key, ``value`` what is there, and
    ``why`` what is wrong with it and what would fix it.  ``stop_id`` names the
    stop (or :data:`DEPOT`) so a map can mark it; None for the whole scenario.
    """

    kind: str
    file: str
    row: int | None
    column: str
    value: str
    why: str
    stop_id: str | None = None

    def __str__(self) -> str:
        return format_warning(self)


def format_warning(w: DataWarning) -> str:
    """``stops.csv, row 6, column 'lat': 25.5912, 55.9644 — far from the other stops: ...``"""
    where = w.file
    if w.row is not None:
        where += f", row {w.row}"
    if w.column:
        where += f", column {w.column!r}"
    value = f" {w.value!r}" if w.value else ""
    return f"{where}:{value} — {w.why}"


@dataclass
class ImportNotes:
    """What the readers learnt about where a scenario's data came from, for the checks.

    The readers fill it in when they are given one (``notes=``): the stops
    table's name, each stop's row, the addresses whose coordinates came from
    the geocoder, and the warnings found while reading.
    """

    stops_file: str = "stops"
    #: stop id -> its row as the spreadsheet shows it
    rows: dict[str, int] = field(default_factory=dict)
    #: stop id (or :data:`DEPOT`) -> the address its coordinates were geocoded from
    geocoded: dict[str, str] = field(default_factory=dict)
    warnings: list[DataWarning] = field(default_factory=list)
    #: the scenario file, for the warnings of its settings
    source: str = "scenario"


# --- distances ----------------------------------------------------------------------


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def _km(value: float) -> str:
    return f"{value:,.0f} km" if value >= 10 else f"{value:,.1f} km"


def _point(lat: float, lon: float) -> str:
    return f"{lat:g}, {lon:g}"


@dataclass(frozen=True)
class Area:
    """Where the stops are: their middle (the median latitude and longitude) and how far a
    point may be from it before it stands out (``limit_km``)."""

    middle: tuple[float, float]
    typical_km: float  # the median stop's distance from the middle
    spread_km: float  # the farthest stop within the limit
    limit_km: float

    def holds(self, lat: float, lon: float) -> bool:
        return distance_km(self.middle, (lat, lon)) <= self.limit_km


def stops_area(stops: Sequence[Stop]) -> Area | None:
    """The area of ``stops``, robust to a few points far off (medians); None for too few stops."""
    if len(stops) < FAR_MIN_STOPS:
        return None
    middle = (statistics.median(s.lat for s in stops), statistics.median(s.lon for s in stops))
    dist = [distance_km(middle, (s.lat, s.lon)) for s in stops]
    typical = statistics.median(dist)
    limit = max(FAR_MIN_KM, FAR_FACTOR * typical)
    spread = max((d for d in dist if d <= limit), default=0.0)
    return Area(middle, typical, spread, limit)


def _explain_far(area: Area, lat: float, lon: float) -> str:
    """What a far point probably is: swapped or negated coordinates that would fall among the stops."""
    guesses = [
        ((lon, lat), "latitude and longitude look swapped"),
        ((-lat, lon), "the latitude's sign looks wrong"),
        ((lat, -lon), "the longitude's sign looks wrong"),
        ((-lon, -lat), "latitude and longitude look swapped, and their signs wrong"),
    ]
    for (glat, glon), text in guesses:
        if -90 <= glat <= 90 and area.holds(glat, glon):
            return f"; {text}: {_point(glat, glon)} lies among them"
    return ""


# --- the checks ------------------------------------------------------------------------


def far_away(scenario: Scenario, notes: ImportNotes) -> list[DataWarning]:
    """Stops (and the depot) far outside the area of the other stops."""
    area = stops_area(scenario.stops)
    if area is None:
        return []
    out = []
    others = (f"the stops are within {_km(area.spread_km)} of their middle "
              f"({_point(round(area.middle[0], 4), round(area.middle[1], 4))})")
    places: list[tuple[str, str, float, float, int | None]] = [
        (s.id, s.name, s.lat, s.lon, notes.rows.get(s.id)) for s in scenario.stops
    ]
    places.append((DEPOT, scenario.depot.name, scenario.depot.lat, scenario.depot.lon, None))
    for stop_id, name, lat, lon, row in places:
        d = distance_km(area.middle, (lat, lon))
        if d <= area.limit_km:
            continue
        what = "the depot" if stop_id == DEPOT else f"{name!r}"
        why = f"{what} is {_km(d)} from the middle of the stops, where {others}"
        address = notes.geocoded.get(stop_id)
        hint = _explain_far(area, lat, lon)
        if address is not None and not hint:
            hint = (f"; its coordinates were geocoded from {address!r}: the geocoder may have found a namesake, "
                    "or only the region or country")
        why += hint + ". Correct its coordinates, or plan anyway if it is right"
        if stop_id == DEPOT:
            out.append(DataWarning(FAR_AWAY, notes.source, None, "depot", _point(lat, lon), why, DEPOT))
        else:
            out.append(DataWarning(FAR_AWAY, notes.stops_file, row, "lat, lon", _point(lat, lon), why, stop_id))
    return out


def same_spot(scenario: Scenario, notes: ImportNotes) -> list[DataWarning]:
    """Stops on one spot (closer than :data:`SAME_SPOT_M`): each after the first one there."""
    cell = SAME_SPOT_M / 1000 / 111.0  # degrees of latitude; longitude cells are no smaller
    grid: dict[tuple[int, int], list[int]] = {}
    out = []
    for i, s in enumerate(scenario.stops):
        key = (math.floor(s.lat / cell), math.floor(s.lon / cell * math.cos(math.radians(s.lat))))
        first = None
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for j in grid.get((key[0] + dx, key[1] + dy), ()):
                    other = scenario.stops[j]
                    metres = distance_km((s.lat, s.lon), (other.lat, other.lon)) * 1000
                    if metres <= SAME_SPOT_M and (first is None or j < first[0]):
                        first = (j, metres)
        grid.setdefault(key, []).append(i)
        if first is None:
            continue
        other = scenario.stops[first[0]]
        other_row = notes.rows.get(other.id)
        where = f"row {other_row}" if other_row is not None else f"stop {other.id!r}"
        out.append(DataWarning(
            SAME_SPOT, notes.stops_file, notes.rows.get(s.id), "lat, lon", _point(s.lat, s.lon),
            f"{s.name!r} is on the same spot as {other.name!r} ({where}, {first[1]:.0f} m apart): "
            "a copied row, or one place geocoded for two stops? Correct the coordinates, "
            "or delete one of them, or plan anyway if both are right",
            s.id,
        ))
    return out


def _weeks(n: int) -> str:
    return f"{n} week{'s' if n != 1 else ''}"


def frequency(scenario: Scenario, notes: ImportNotes) -> list[DataWarning]:
    """Stops the cycle cannot hold: a period that does not divide the cycle, more visits than
    the days it may take, weekdays the cycle does not work, weeks it does not have."""
    cycle = scenario.cycle
    out = []
    for s in scenario.stops:
        row = notes.rows.get(s.id)
        freq = s.frequency
        days = [d for d in cycle.days if not s.days or d in s.days]

        def warn(column: str, value: str, why: str) -> None:
            out.append(DataWarning(FREQUENCY, notes.stops_file, row, column, value,
                                   why + "; as it is, it will not be planned", s.id))

        if not days:
            warn("days", ";".join(s.days),
                 f"{s.name!r} may only be visited on {', '.join(s.days)}, and the cycle works "
                 f"{', '.join(cycle.days)}")
        elif freq.period_weeks is not None and cycle.weeks % freq.period_weeks:
            fit = freq.period_weeks * math.ceil(cycle.weeks / freq.period_weeks)
            warn("frequency", freq.label(),
                 f"a {freq.label()} stop needs a cycle of a multiple of {_weeks(freq.period_weeks)}, "
                 f"and this cycle is {_weeks(cycle.weeks)}: make the cycle {_weeks(fit)} long "
                 "(the scenario's settings), or change the stop's frequency")
        elif freq.visits_per_cycle(cycle.weeks) > cycle.weeks * len(days):
            n = freq.visits_per_cycle(cycle.weeks)
            warn("frequency", freq.label(),
                 f"{n} visits per cycle, but the {_weeks(cycle.weeks)} of the cycle have only "
                 f"{cycle.weeks * len(days)} working days this stop may take")
        elif s.weeks and any(not 1 <= w <= cycle.weeks for w in s.weeks):
            warn("weeks", ";".join(map(str, s.weeks)),
                 f"pinned to week {', '.join(map(str, s.weeks))}, but the cycle has {_weeks(cycle.weeks)}")
    return out


def capacity(scenario: Scenario, notes: ImportNotes) -> list[DataWarning]:
    """Demand above what the vans carry: a stop's loans at one visit, and the cycle's in all."""
    if not scenario.vehicles:
        return []
    largest = max(v.capacity_books for v in scenario.vehicles)
    out = []
    for s in scenario.stops:
        if s.loans_per_visit > largest:
            out.append(DataWarning(
                CAPACITY, notes.stops_file, notes.rows.get(s.id), "loans_per_visit", f"{s.loans_per_visit:g}",
                f"{s.name!r} expects {s.loans_per_visit:g} loans at one visit, and the largest van carries "
                f"{largest:,} books: it can never be served. Check the loans (a typo?) or the vans' books",
                s.id,
            ))
    weeks, n_days = scenario.cycle.weeks, len(scenario.cycle.days)
    demand = sum(s.loans_per_visit * s.frequency.visits_per_cycle(weeks) for s in scenario.stops)
    carried = sum(v.capacity_books for v in scenario.vehicles) * weeks * n_days
    if demand > carried:
        out.append(DataWarning(
            CAPACITY, notes.source, None, "vehicles", f"{demand:,.0f} loans in the cycle",
            f"the stops expect {demand:,.0f} loans in a cycle, and the vans carry {carried:,} books in it "
            f"({weeks} x {n_days} working days): many stops will be left out. Check the loans, "
            "or add books or vans",
        ))
    return out


#: The checks :func:`check_scenario` runs, in the order their warnings are listed.
CHECKS = (far_away, same_spot, frequency, capacity)


def check_scenario(scenario: Scenario, notes: ImportNotes | None = None) -> list[DataWarning]:
    """Every warning about ``scenario``: the readers' (``notes.warnings``), then each check's,
    in row order (settings last)."""
    notes = notes or ImportNotes()
    found: list[DataWarning] = list(notes.warnings)
    for check in CHECKS:
        found += check(scenario, notes)
    return sorted(found, key=lambda w: (w.row is None, w.row or 0))


def rows_in_order(stops: Iterable[Stop], first_row: int = 2) -> dict[str, int]:
    """Each stop's row when the stops are rows one after another from ``first_row`` (a table
    written without blank rows: the header is row 1; on the web page the editor counts from 1)."""
    return {s.id: i for i, s in enumerate(stops, start=first_row)}
