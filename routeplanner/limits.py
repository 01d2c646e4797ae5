"""Every bound on what routeplanner reads and plans, in one place, and why.

Limits hold *before* the work: the readers count rows while they read and
refuse at the first one past a bound, the size of a file is checked before it
is opened, and a solve is queued only when its scenario is inside every bound
below.  The values are far beyond any real bookmobile service (a large one
runs a handful of vans over a cycle of a few weeks, with a few hundred stops)
yet small enough that a solve stays runnable on a modest server.  Measured:
``benchmarks/limits.py`` (reading) and ``benchmarks/scale.py`` (solving), see
``benchmarks/RESULTS.md``; the solver figures below marked "once" are single
runs on the 2-core project machine, made while choosing these bounds.

Files

=============================  ============  ===================================================
bound                          value         why
=============================  ============  ===================================================
``MAX_INPUT_BYTES``            10 MiB        a stops table (CSV or .xlsx) of 2,000 stops is
                                             well under 1 MB; also the web's request limit
``MAX_SCENARIO_BYTES``         1 MiB         a scenario TOML is a few kB, even with 100 vans
``MAX_MATRIX_BYTES``           256 MiB       a travel matrix CSV of every ordered pair of
                                             2,001 places (depot + 2,000 stops) is ~160 MB
``MAX_MATRIX_ROWS``            4,004,001     2,001 x 2,001 rows: every ordered pair, once
``MAX_PLAN_BYTES``             32 MiB        a plan JSON of 10,000 visits is a few MB
``MAX_TABLE_ROWS``             50,000        rows of a stops table, blank ones included: the
                                             stop limit 25 times over
``MAX_COLUMNS``                256           the stops table has 12 columns; notes beside it
                                             are fine, a sheet 16,384 columns wide is not
``MAX_CELL_CHARS``             1,000         a name, an id or an address; storage holds 300
``MAX_XLSX_SHEET_BYTES``       32 MiB        a worksheet unpacked (read row by row, so this
                                             bounds time; 2,000 stops take ~1 MB)
``MAX_XLSX_PART_BYTES``        8 MiB         any other part unpacked (shared strings, styles:
                                             openpyxl loads them whole, so this bounds memory)
``MAX_XLSX_PARTS``             1,000         files inside the workbook's zip
``MAX_NESTING``                32            levels of lists and tables in a JSON or TOML
                                             document (a scenario nests 4): every reader
                                             walks them recursively (routeplanner.io.nesting)
``MAX_LISTED_PROBLEMS``        100           problems listed in one error; the rest are
                                             counted ("and 2,734 more problems")
``MAX_GAZETTEER_BYTES``        256 MiB       a gazetteer file (read whole, once per process):
                                             GeoNames' dump of one country is a few MB, the
                                             OSM places of LT and LV 2 MB
``MAX_GEOCODE_LOOKUPS``        300           addresses sent to an online geocoder for one file
                                             (not counting those in its cache): Nominatim
                                             answers one a second, so 5 minutes
=============================  ============  ===================================================

Scenario

=============================  ============  ===================================================
``MAX_STOPS``                  2,000         the travel matrix grows with its square; 2,000
                                             stops plan in ~60 s (benchmarks/scale.py)
``MAX_VEHICLES``               100           the largest published UK timetable needs 36
``MAX_ROUTE_DAYS``             5,000         vehicles x weeks x working days: each is a vehicle
                                             of the routing model.  The issue's 300 vans x 52
                                             weeks x 7 days (109,200) grew a worker to 5 GB;
                                             once, with the Rokiskis stops and a 30 s limit:
                                             18,200 took 33 s, 109,200 took 56 s
``MAX_VISITS_PER_CYCLE``       10,000        visits of all stops in one cycle (2,000 stops of
                                             the scale benchmark make 3,632)
``MAX_VISITS_PER_VEHICLE``     2,000         visits per vehicle and cycle: a routing model holds
                                             the visits of one vehicle's area, and its memory
                                             grows with their square (once, one van, 30 s
                                             limit: 2,000 visits 0.4 GB; 8,000 visits 4.1 GB
                                             and 58 s)
``MAX_VISITS_PER_STOP``        364           a stop's visits per cycle: every day of the
                                             longest cycle
``MAX_WEEKS``                  52            a cycle is at most a year; so is a stop's period
``MAX_CAPACITY_BOOKS``         100,000       a bookmobile carries 2,000 to 6,000 books
``MAX_LOANS_PER_VISIT``        1,000         a busy stop lends a few hundred books; loans
                                             weigh a visit's penalty, which must stay far
                                             inside 64 bits for 10,000 visits
``MAX_DAY_MIN``                1,440         door-open, break, driving-before-a-break and
                                             stable-time minutes: a shift ends on its day
``SPEED_KMH``                  1 to 200      an average speed on the road
``CIRCUITY``                   1 to 3        road km per straight-line km (1.2 to 1.6 on
                                             rural roads, 2.5 around fjords)
``SNAP_M``                     1 to 10,000   metres from a stop to the nearest drivable road:
                                             a farm track of a few km at most
``OSRM_MAX_TABLE``             2 to 100,000  places per OSRM table request
``MAX_LEG_KM``                 20,000        a leg of the travel matrix: half the equator
``TIME_LIMIT_S``               (0, 3,600]    one solve: an hour, whoever asks (file, form, API)
``WORK_LIMIT``                 1 to 10^6     work units of a reproducible solve
=============================  ============  ===================================================

This module is pure (no third-party imports); :func:`scenario_problems`
checks a whole :class:`~routeplanner.model.Scenario` against the bounds, for
scenarios that did not come through a reader (a database written by an older
version).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the errors module imports this one: no import cycle at run time
    from routeplanner.errors import Problem
    from routeplanner.model import Scenario

KIB = 1024
MIB = 1024 * KIB

# --- files ---------------------------------------------------------------------

MAX_INPUT_BYTES = 10 * MIB
MAX_SCENARIO_BYTES = 1 * MIB
MAX_MATRIX_BYTES = 256 * MIB
MAX_PLAN_BYTES = 32 * MIB
MAX_TABLE_ROWS = 50_000
MAX_COLUMNS = 256
MAX_CELL_CHARS = 1_000
MAX_XLSX_SHEET_BYTES = 32 * MIB
MAX_XLSX_PART_BYTES = 8 * MIB
MAX_XLSX_PARTS = 1_000
MAX_NESTING = 32
MAX_LISTED_PROBLEMS = 100
MAX_GAZETTEER_BYTES = 256 * MIB
MAX_GEOCODE_LOOKUPS = 300

# --- scenario --------------------------------------------------------------------

MAX_STOPS = 2_000
MAX_MATRIX_ROWS = (MAX_STOPS + 1) ** 2
MAX_VEHICLES = 100
MAX_ROUTE_DAYS = 5_000
MAX_VISITS_PER_CYCLE = 10_000
MAX_VISITS_PER_VEHICLE = 2_000
MAX_WEEKS = 52
MAX_VISITS_PER_STOP = 7 * MAX_WEEKS
MAX_CAPACITY_BOOKS = 100_000
MAX_LOANS_PER_VISIT = 1_000
MAX_DAY_MIN = 24 * 60
MAX_LEG_KM = 20_000
MAX_TIME_LIMIT_S = 3600.0
MAX_WORK_LIMIT = 1_000_000


def number(value: float) -> str:
    """``3600.0`` -> ``"3,600"``, ``1.35`` -> ``"1.35"``: a bound as messages show it."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.6g}"


@dataclass(frozen=True)
class Bound:
    """A closed range ``low..high`` (``low`` itself excluded when ``low_open``)."""

    low: float
    high: float
    low_open: bool = False

    def __contains__(self, value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if value != value:  # NaN
            return False
        above = value > self.low if self.low_open else value >= self.low
        return above and value <= self.high

    def text(self) -> str:
        """``"0 to 100,000"`` or ``"more than 0 and at most 3,600"``."""
        if self.low_open:
            return f"more than {number(self.low)} and at most {number(self.high)}"
        return f"{number(self.low)} to {number(self.high)}"


WEEKS = Bound(1, MAX_WEEKS)
CAPACITY_BOOKS = Bound(0, MAX_CAPACITY_BOOKS)
LOANS_PER_VISIT = Bound(0, MAX_LOANS_PER_VISIT)
SERVICE_MIN = Bound(1, MAX_DAY_MIN)
BREAK_MIN = Bound(0, MAX_DAY_MIN)
BREAK_AFTER_MIN = Bound(1, MAX_DAY_MIN)
STABLE_MIN = Bound(0, MAX_DAY_MIN)
SPEED_KMH = Bound(1, 200)
CIRCUITY = Bound(1, 3)
TIME_LIMIT_S = Bound(0, MAX_TIME_LIMIT_S, low_open=True)
WORK_LIMIT = Bound(1, MAX_WORK_LIMIT)
VISITS_PER_STOP = Bound(1, MAX_VISITS_PER_STOP)
PERIOD_WEEKS = Bound(1, MAX_WEEKS)
LEG_KM = Bound(0, MAX_LEG_KM)
SNAP_M = Bound(1, 10_000)
OSRM_MAX_TABLE = Bound(2, 100_000)
LEG_MIN = Bound(0, MAX_DAY_MIN)

# The expected-texts of the readers, so that the file, the form and the API say the same.
EXPECT_CAPACITY = f"a whole number of books, {CAPACITY_BOOKS.text()}"
EXPECT_LOANS = f"a number of loans per visit, {LOANS_PER_VISIT.text()}"
EXPECT_SERVICE = f"whole minutes, {SERVICE_MIN.text()}"
EXPECT_BREAK = f"whole minutes, {BREAK_MIN.text()}"
EXPECT_BREAK_AFTER = f"whole minutes of driving, {BREAK_AFTER_MIN.text()}"
EXPECT_STABLE = f"whole minutes, {STABLE_MIN.text()}"
EXPECT_SPEED = f"an average speed in km/h, {SPEED_KMH.text()}"
EXPECT_CIRCUITY = f"road km per straight-line km, {CIRCUITY.text()}"
EXPECT_SNAP = f"metres from a stop to the nearest drivable road, {SNAP_M.text()}"
EXPECT_OSRM_MAX_TABLE = f"places per OSRM table request (the server's --max-table-size), {OSRM_MAX_TABLE.text()}"
EXPECT_TIME_LIMIT = f"seconds, {TIME_LIMIT_S.text()}"
EXPECT_WORK_LIMIT = f"a whole number of work units, {WORK_LIMIT.text()}"
EXPECT_WEEKS = f"a whole number of weeks, {WEEKS.text()}"


def too_many_stops(row: int) -> str:
    """The expected-text of the stop limit, found at spreadsheet row ``row``."""
    return (f"at most {MAX_STOPS:,} stops; the file has more: row {row:,} is stop {MAX_STOPS + 1:,} "
            "(split the table, by area for example)")


def route_days(vehicles: int, weeks: int, days: int) -> int:
    return vehicles * weeks * days


def visits_allowed(vehicles: int) -> int:
    """Visits per cycle a scenario with ``vehicles`` vehicles may ask for."""
    return min(MAX_VISITS_PER_CYCLE, MAX_VISITS_PER_VEHICLE * max(1, vehicles))


def size_problems(scenario: "Scenario", source: str, stops_file: str) -> list["Problem"]:
    """The bounds on a scenario's size: stops, vehicles, route-days, visits per cycle."""
    from routeplanner.errors import Problem

    problems = []
    n_stops, n_vans = len(scenario.stops), len(scenario.vehicles)
    weeks, days = scenario.cycle.weeks, len(scenario.cycle.days)
    if n_stops > MAX_STOPS:
        problems.append(Problem(stops_file, None, "", f"{n_stops:,} stops", f"at most {MAX_STOPS:,} stops"))
    if n_vans > MAX_VEHICLES:
        problems.append(Problem(source, None, "vehicles", f"{n_vans:,} vehicles", f"at most {MAX_VEHICLES:,} vehicles"))
    total = route_days(n_vans, weeks, days)
    if total > MAX_ROUTE_DAYS:
        problems.append(Problem(
            source, None, "vehicles",
            f"{n_vans:,} vehicles x {weeks:,} weeks x {days} days = {total:,} route-days",
            f"at most {MAX_ROUTE_DAYS:,} route-days (vehicles x weeks x working days): "
            "fewer vehicles, or a shorter cycle",
        ))
    if weeks in WEEKS:  # a visit count needs a sane cycle
        visits = sum(min(s.frequency.visits_per_cycle(weeks), MAX_VISITS_PER_STOP) for s in scenario.stops)
        allowed = visits_allowed(n_vans)
        if visits > allowed:
            problems.append(Problem(
                stops_file, None, "frequency", f"{visits:,} visits in the {weeks}-week cycle",
                f"at most {MAX_VISITS_PER_VEHICLE:,} visits per vehicle and {MAX_VISITS_PER_CYCLE:,} in all "
                f"({allowed:,} with {n_vans} vehicle(s)): visit less often, shorten the cycle or add vehicles",
            ))
    return problems


def value_problems(scenario: "Scenario", source: str, stops_file: str) -> list["Problem"]:
    """Every number of a scenario against its bound, named by its scenario key or stops column."""
    from routeplanner.errors import Problem

    problems: list[Problem] = []

    def check(file: str, row: int | None, key: str, value: object, bound: Bound, expected: str) -> None:
        if value not in bound:
            problems.append(Problem(file, row, key, str(value), expected))

    s = scenario
    check(source, None, "cycle.weeks", s.cycle.weeks, WEEKS, EXPECT_WEEKS)
    for i, v in enumerate(s.vehicles, start=1):
        p = f"vehicles[{i}]."
        check(source, None, p + "capacity_books", v.capacity_books, CAPACITY_BOOKS, EXPECT_CAPACITY)
        check(source, None, p + "break_minutes", v.break_minutes, BREAK_MIN, EXPECT_BREAK)
        check(source, None, p + "break_after_minutes", v.break_after_minutes, BREAK_AFTER_MIN, EXPECT_BREAK_AFTER)
        for key, minute in (("shift_start", v.shift_start_min), ("shift_end", v.shift_end_min)):
            check(source, None, p + key, minute, Bound(0, MAX_DAY_MIN), "a time of day")
    check(source, None, "travel.speed_kmh", s.travel.speed_kmh, SPEED_KMH, EXPECT_SPEED)
    check(source, None, "travel.circuity", s.travel.circuity, CIRCUITY, EXPECT_CIRCUITY)
    check(source, None, "travel.snap_m", s.travel.snap_m, SNAP_M, EXPECT_SNAP)
    check(source, None, "travel.osrm_max_table", s.travel.osrm_max_table, OSRM_MAX_TABLE, EXPECT_OSRM_MAX_TABLE)
    check(source, None, "solver.time_limit_s", s.solver.time_limit_s, TIME_LIMIT_S, EXPECT_TIME_LIMIT)
    check(source, None, "solver.stable_minutes", s.solver.stable_minutes, STABLE_MIN, EXPECT_STABLE)
    if s.solver.work_limit is not None:
        check(source, None, "solver.work_limit", s.solver.work_limit, WORK_LIMIT, EXPECT_WORK_LIMIT)
    for i, stop in enumerate(s.stops[:MAX_STOPS]):
        row = i + 2  # the header is row 1
        check(stops_file, row, "loans_per_visit", stop.loans_per_visit, LOANS_PER_VISIT, EXPECT_LOANS)
        check(stops_file, row, "service_minutes", stop.service_min, SERVICE_MIN, EXPECT_SERVICE)
        f = stop.frequency
        if f.period_weeks is not None:
            check(stops_file, row, "frequency", f.period_weeks, PERIOD_WEEKS,
                  f"a period of {PERIOD_WEEKS.text()} weeks")
        elif f.visits is not None:
            check(stops_file, row, "frequency", f.visits, VISITS_PER_STOP,
                  f"visits per cycle, {VISITS_PER_STOP.text()}")
    return problems


def scenario_problems(scenario: "Scenario", source: str = "scenario", stops_file: str = "stops") -> list["Problem"]:
    """Every bound of this module that ``scenario`` breaks (empty: it can be planned)."""
    return size_problems(scenario, source, stops_file) + value_problems(scenario, source, stops_file)


# --- files on disk ----------------------------------------------------------------


def size_text(n_bytes: int) -> str:
    """``10485760`` -> ``"10 MB"`` (binary megabytes, as the limits are written)."""
    if n_bytes >= MIB:
        return f"{n_bytes / MIB:,.3g} MB"
    return f"{n_bytes / KIB:,.3g} kB" if n_bytes >= KIB else f"{n_bytes} bytes"


def too_large(file: str, size: int | None, limit: int, what: str) -> "Problem":
    """The problem of a file past its size limit (``size`` None: more than ``limit``)."""
    from routeplanner.errors import Problem

    got = f"{size:,} bytes" if size is not None else f"more than {limit:,} bytes"
    return Problem(file, None, "", got, f"{what} of at most {size_text(limit)}")


def read_limited(path: "str | os.PathLike[str]", limit: int, what: str) -> bytes:
    """The bytes of the file at ``path``, refused (InputError) past ``limit`` bytes.

    The size is checked before reading, and the read stops one byte past the
    limit, so neither a large file nor one that never ends (a pipe, a device)
    is ever held in memory.
    """
    from routeplanner.errors import InputError, Problem

    name = str(path)
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > limit:
                raise InputError([too_large(name, size, limit, what)])
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputError([Problem(name, None, "", name, f"a readable file ({exc.strerror or exc})")]) from None
    if len(data) > limit:
        raise InputError([too_large(name, None, limit, what)])
    return data
