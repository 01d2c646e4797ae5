"""The pure domain model of routeplanner: what a scenario and a plan are.

Plain dataclasses with no third-party imports, so every other layer
(importers, travel providers, the solver, the checker, the web app) speaks the
same language.  Units are in the names: ``service_min`` is minutes,
``distance_m`` metres, ``arrival_min`` minutes after midnight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

#: Default visit length when the stops table leaves ``service_minutes`` empty:
#: ten minutes to park and open the door, half a minute per expected loan,
#: rounded up to the next five minutes.  See :func:`default_service_min`.
SERVICE_BASE_MIN = 10
SERVICE_PER_LOAN_MIN = 0.5
SERVICE_ROUND_MIN = 5


def default_service_min(loans_per_visit: float) -> int:
    """Minutes the door is open at a stop expecting ``loans_per_visit`` loans."""
    raw = SERVICE_BASE_MIN + SERVICE_PER_LOAN_MIN * max(0.0, loans_per_visit)
    return int(math.ceil(raw / SERVICE_ROUND_MIN) * SERVICE_ROUND_MIN)


def hhmm(minutes: float) -> str:
    """``605`` -> ``"10:05"`` (minutes after midnight, rounded to the minute)."""
    m = int(round(minutes))
    return f"{m // 60:02d}:{m % 60:02d}"


def parse_hhmm(text: str) -> int:
    """``"10:05"`` -> ``605``.  Raises ValueError for anything else."""
    hours, sep, mins = text.strip().partition(":")
    if not sep or not hours.isdigit() or not mins.isdigit() or len(mins) != 2:
        raise ValueError(f"not a time HH:MM: {text!r}")
    h, m = int(hours), int(mins)
    if h > 23 or m > 59:
        raise ValueError(f"not a time HH:MM: {text!r}")
    return h * 60 + m


@dataclass(frozen=True)
class Frequency:
    """How often a stop is visited in one timetable cycle.

    ``period_weeks`` set: one visit every ``period_weeks`` weeks, always on the
    same weekday (weekly = 1, fortnightly = 2, 4-weekly = 4).
    Otherwise ``visits`` visits spread evenly over the cycle's working days.
    """

    period_weeks: int | None = None
    visits: int | None = None

    def visits_per_cycle(self, cycle_weeks: int) -> int:
        if self.period_weeks is not None:
            return max(1, cycle_weeks // self.period_weeks)
        return self.visits or 1

    def fits(self, cycle_weeks: int) -> bool:
        """A periodic frequency needs a cycle that is a whole number of periods."""
        if self.period_weeks is None:
            return True
        return cycle_weeks % self.period_weeks == 0

    def label(self) -> str:
        names = {1: "weekly", 2: "fortnightly", 4: "4-weekly"}
        if self.period_weeks is not None:
            return names.get(self.period_weeks, f"every {self.period_weeks} weeks")
        return f"{self.visits or 1} per cycle"


ONCE_PER_CYCLE = Frequency(visits=1)


@dataclass(frozen=True)
class Place:
    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Stop:
    """A place the bookmobile halts at: a village square, a school, a care home."""

    id: str
    name: str
    lat: float
    lon: float
    loans_per_visit: float
    frequency: Frequency = ONCE_PER_CYCLE
    service_min: int = 0
    window_start_min: int | None = None
    window_end_min: int | None = None
    days: tuple[str, ...] = ()  # empty: any working day of the cycle
    must: bool = False
    address: str = ""
    #: Explicit visit-day combinations, each the ``(week 1.., weekday)`` of
    #: every visit in the cycle: ``(((1, "Mon"), (1, "Thu")), ((1, "Tue"), (1, "Fri")))``.
    #: Empty: every combination the frequency and ``days`` allow.
    allowed_patterns: tuple[tuple[tuple[int, str], ...], ...] = ()
    #: Pins, hard rules a coordinator sets: the weeks of the cycle (1..) the stop is
    #: visited in (with ``days`` of one weekday: its whole pattern), and the opening time.
    weeks: tuple[int, ...] = ()
    opens_min: int | None = None

    @property
    def place(self) -> Place:
        return Place(self.name, self.lat, self.lon)

    @property
    def door_window(self) -> tuple[int | None, int | None]:
        """When the door may be open: from the pinned opening time for the visit's length,
        else the stop's window (None: no limit on that side)."""
        if self.opens_min is not None:
            return self.opens_min, self.opens_min + self.service_min
        return self.window_start_min, self.window_end_min


@dataclass(frozen=True)
class Vehicle:
    name: str
    capacity_books: int
    shift_start_min: int = 8 * 60
    shift_end_min: int = 17 * 60
    break_minutes: int = 45
    break_after_minutes: int = 270

    @property
    def break_rule(self) -> bool:
        """Whether a break can ever be due: it has a length, and the shift is longer than
        ``break_after_minutes``."""
        return self.break_minutes > 0 and self.shift_end_min - self.shift_start_min > self.break_after_minutes


@dataclass(frozen=True)
class Cycle:
    weeks: int = 1
    days: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri")
    start_date: date | None = None


@dataclass(frozen=True)
class Travel:
    method: str = "haversine"
    circuity: float = 1.35
    speed_kmh: float = 45.0
    matrix: str | None = None  # path of the user-supplied matrix (method "matrix")
    #: The OpenStreetMap extract (``.osm.pbf``) of method "osm"; absolute once read.
    osm_pbf: str | None = None
    #: The OSRM server of method "osrm" (``http://host:5000``).
    osrm_url: str | None = None
    #: Places per OSRM table request: the server's ``--max-table-size`` (osrm-routed's default 100).
    osrm_max_table: int = 100
    #: Road methods: how far a stop may be from the nearest drivable road, in metres.
    snap_m: float = 500.0


@dataclass(frozen=True)
class SolverSettings:
    time_limit_s: float = 30.0
    stable_minutes: int = 15
    #: None: stop at the time limit.  A number: stop after that many improving
    #: solutions, so the same input gives the same plan on any machine.
    work_limit: int | None = None


@dataclass(frozen=True)
class Closure:
    """A date the library does not come: a national holiday or one of its own closed days."""

    date: date
    reason: str = ""


#: The languages the service speaks (interface, driver sheets, patrons' pages).
LANGUAGES = ("en", "lt", "lv")


@dataclass(frozen=True)
class CalendarSettings:
    """How the timetable meets the calendar: the country (its public holidays), the
    time zone of the published times, how long the timetable runs, the library's own closed dates."""

    #: ISO 3166 code (``"LT"``); None: no national holidays are known (only ``closed``).
    country: str | None = None
    #: IANA time zone (``"Europe/Vilnius"``); None: the country's (``routeplanner.dates.time_zone``).
    timezone: str | None = None
    #: The last date the timetable runs (calendar feeds end there); None: a default horizon.
    valid_until: date | None = None
    closed: tuple[Closure, ...] = ()
    #: The language of the patrons' pages, poster and calendar feed (one of :data:`LANGUAGES`);
    #: None: each visitor's browser decides.
    language: str | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    depot: Place
    vehicles: tuple[Vehicle, ...]
    stops: tuple[Stop, ...]
    cycle: Cycle = Cycle()
    travel: Travel = Travel()
    solver: SolverSettings = SolverSettings()
    source: str = ""  # where it was read from, for messages
    calendar: CalendarSettings = CalendarSettings()

    def stop(self, stop_id: str) -> Stop:
        for s in self.stops:
            if s.id == stop_id:
                return s
        raise KeyError(stop_id)

    @property
    def route_days(self) -> list[tuple[int, str, int]]:
        """Every (week 1.., weekday, vehicle index) of the cycle, in calendar order."""
        return [
            (w, d, v)
            for w in range(1, self.cycle.weeks + 1)
            for d in self.cycle.days
            for v in range(len(self.vehicles))
        ]


# --- plans -----------------------------------------------------------------


@dataclass
class Visit:
    stop_id: str
    name: str
    lat: float
    lon: float
    arrival_min: int  # the published opening time
    departure_min: int
    loans: float
    leg_distance_m: float = 0.0  # from the previous place
    leg_drive_min: float = 0.0


@dataclass
class Break:
    start_min: int
    minutes: int


@dataclass
class Route:
    """One vehicle's working day: depot, visits in order, depot."""

    vehicle: str
    week: int
    day: str
    depot: Place
    start_min: int
    end_min: int
    visits: list[Visit] = field(default_factory=list)
    breaks: list[Break] = field(default_factory=list)
    distance_m: float = 0.0
    drive_min: float = 0.0
    date: date | None = None


@dataclass
class Unserved:
    stop_id: str
    name: str
    missing_visits: int
    reason: str
    suggestion: str = ""  # a single change that would make it servable, when one is known


@dataclass
class Totals:
    distance_km: float
    drive_minutes: float
    service_minutes: float
    visits: int
    stops_served: int
    stops_total: int
    loans_served: float
    loans_total: float


@dataclass
class SolveInfo:
    """How a plan was made, so it can be reproduced and compared."""

    solver: str = ""
    time_limit_s: float = 0.0
    work_limit: int | None = None
    run_time_s: float = 0.0
    stopped_by: str = ""
    objective: int | None = None


@dataclass(frozen=True)
class Published:
    """One stop's line of the timetable as patrons read it (plan contract v1.1, ``timetable``).

    ``slots`` are the (week 1.., weekday) of every visit of the cycle; the
    door is open from ``opens_min`` to ``closes_min`` on every one of them.
    ``opens_min`` and ``closes_min`` are None when the visits share no
    window worth publishing; ``reason`` then says why.
    """

    stop_id: str
    name: str
    slots: tuple[tuple[int, str], ...]
    opens_min: int | None
    closes_min: int | None
    text: str = ""  # the patron's line, in English: "Every other Wednesday, 10:00–10:45"
    reason: str = ""

    @property
    def has_window(self) -> bool:
        return self.opens_min is not None and self.closes_min is not None


@dataclass
class StopChange:
    """One stop whose visits differ from the base plan's: ``changes`` holds ``"day"``,
    ``"time"``, or alone ``"added"`` or ``"dropped"``."""

    stop_id: str
    changes: tuple[str, ...]


@dataclass
class Changes:
    """What a re-plan from a base plan changed for patrons, and what it saved."""

    mode: str  # keep | free
    base_distance_km: float
    moved: list[StopChange] = field(default_factory=list)


@dataclass
class Plan:
    scenario: str
    cycle: Cycle
    travel: Travel
    routes: list[Route]
    unserved: list[Unserved]
    totals: Totals
    info: SolveInfo = field(default_factory=SolveInfo)
    #: Set when the plan was made from a base plan (:mod:`routeplanner.replan`).
    changes: Changes | None = None
    #: The published timetable as the plan document carries it; empty when it
    #: has none (a plan straight from the solver): ``routeplanner.published`` derives it.
    timetable: list[Published] = field(default_factory=list)


@dataclass(frozen=True)
class SolveProgress:
    """How a solve is getting on, in a librarian's terms: what the best plan so far serves and costs.

    ``run`` of ``runs``: the search runs several times with different random
    choices and keeps the best (1 of 1 when it runs once).  The figures are
    None until the search has a complete plan.
    """

    phase: str  # "patterns" (choosing the days) | "timetable" (fitting the times)
    elapsed_s: float
    cost: int  # the solver's own measure (metres plus penalties): for benchmarks, not for people
    run: int = 1
    runs: int = 1
    stops_served: int | None = None
    distance_km: float | None = None
    duty_minutes: float | None = None  # depot to depot, all route-days


def day_order(cycle: Cycle, day: str) -> int:
    """Where ``day`` sorts in ``cycle``: its working days in order, then the other weekdays, then anything else."""
    if day in cycle.days:
        return cycle.days.index(day)
    # A day outside the cycle (only in a broken plan) sorts after the cycle's.
    return len(cycle.days) + (WEEKDAYS.index(day) if day in WEEKDAYS else len(WEEKDAYS))


def calendar_routes(plan: Plan) -> list[Route]:
    """The plan's routes in calendar order (week, weekday); vehicles keep plan order."""
    return sorted(plan.routes, key=lambda r: (r.week, day_order(plan.cycle, r.day)))
