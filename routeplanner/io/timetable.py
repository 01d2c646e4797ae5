"""Read a library's current timetable from a spreadsheet: one row per stop and weekday.

The rows say when the bookmobile comes today, as the library publishes it:
the stop, the weekday, the weeks of the cycle (or how often), when the door
opens and closes, and which van.  :mod:`routeplanner.imported` turns them into
a :class:`~routeplanner.model.Plan` of a scenario, so the checker can judge
it, the compare page can set it beside an optimised plan, and a re-plan can
start from it.

The file is read like the stops table (:mod:`routeplanner.io.stops`): CSV or
``.xlsx``, UTF-8 or Windows-1257, ``,`` ``;`` or tab, decimal comma or point,
English, Lithuanian or Latvian headers and weekday and frequency words.  The
columns, by canonical name (aliases in :data:`TIMETABLE_HEADERS`):

==========  ==================================================================
stop_id     the stop's id in the scenario's stops table
stop        the stop's name (with ``community``: "Community / Stop")
lat, lon    the stop's coordinates: match a stop of the scenario on the spot
day         the weekday (required)
weeks       weeks of the cycle, such as ``1;3``
frequency   every N weeks: ``2``, ``fortnightly``, ``FREQ=WEEKLY;INTERVAL=2``
date        a date the row's route runs: puts a ``frequency`` in its week
arrival     when the door opens (required): ``10:30``, ``9.40``, ``1030``
departure   when it closes (required)
vehicle     the van, by the scenario's name for it
route       the route's name: rows of one route-day are placed together
==========  ==================================================================

A row needs one of ``stop_id``, ``stop``, or ``lat`` and ``lon``.  Without
``weeks`` and ``frequency`` the row holds every week of the cycle.

The two layouts of the UK councils' published timetables (LibrariesHacked
"mobiles": ``Mobile,Route,Community,Stop,...,Longitude,Latitude,Date,Day,
Frequency,Start,End`` and ``...,geox,geoy,day,arrival,departure,frequency,
start,end``) read as they are: ``Mobile`` is the vehicle, ``geox``/``geoy``
longitude/latitude, and ``Start``/``End`` are the door's times unless the
file has ``arrival``, when they are the timetable's first and last dates.

:func:`read_timetable_bytes` never raises for a bad row: it returns every
row it could read and every problem of the others (:class:`Timetable`), so a
caller decides.  The product refuses a file with any problem
(:func:`routeplanner.imported.import_timetable`); the UK benchmark leaves
such rows out and reports them.  Readings that are likely but not certain (``14:5`` read as
14:50, "monthly" as every 4 weeks, a date on another weekday than the row's
day) are :class:`Note`\\ s.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from routeplanner import text as text_rule
from routeplanner.errors import InputError, Problem
from routeplanner.formats import shown
from routeplanner.io.cells import unsafe_cell
from routeplanner.io.stops import (
    FileRefused,
    fold,
    parse_frequency,
    parse_number,
    parse_weekday,
    parse_weeks,
    table_rows,
)
from routeplanner.limits import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_INPUT_BYTES,
    PERIOD_WEEKS,
    read_limited,
    too_large,
)
from routeplanner.model import WEEKDAYS, hhmm

#: Header spellings (folded: lower case, no diacritics) -> canonical column.
TIMETABLE_HEADERS: dict[str, str] = {
    # English, and the UK councils' layouts
    "stop_id": "stop_id", "stop id": "stop_id", "id": "stop_id",
    "stop": "stop", "stop name": "stop", "name": "stop",
    "community": "community", "village": "community",
    "lat": "lat", "latitude": "lat", "geoy": "lat",
    "lon": "lon", "lng": "lon", "longitude": "lon", "geox": "lon",
    "day": "day", "weekday": "day",
    "weeks": "weeks", "week": "weeks",
    "frequency": "frequency",
    "date": "date",
    "arrival": "arrival", "arrive": "arrival", "opens": "arrival", "open": "arrival",
    "departure": "departure", "depart": "departure", "leave": "departure", "closes": "departure",
    "close": "departure",
    "vehicle": "vehicle", "van": "vehicle", "mobile": "vehicle",
    "route": "route",
    # Lithuanian
    "stoteles id": "stop_id", "stotele": "stop", "pavadinimas": "stop", "gyvenviete": "community",
    "platuma": "lat", "ilguma": "lon", "diena": "day", "savaites diena": "day", "savaites": "weeks",
    "daznumas": "frequency", "data": "date", "atvykimas": "arrival", "atidaroma": "arrival",
    "isvykimas": "departure", "uzdaroma": "departure", "transportas": "vehicle", "bibliobusas": "vehicle",
    "marsrutas": "route",
    # Latvian
    "pieturas id": "stop_id", "pietura": "stop", "nosaukums": "stop", "apdzivota vieta": "community",
    "platums": "lat", "garums": "lon", "nedelas diena": "day", "nedelas": "weeks", "biezums": "frequency",
    "datums": "date", "ierasanas": "arrival", "atver": "arrival", "aizbrauksana": "departure",
    "aizver": "departure", "transportlidzeklis": "vehicle", "bibliobuss": "vehicle", "marsruts": "route",
}
#: Headers whose meaning depends on the others: the UK layout with ``arrival`` uses
#: ``start``/``end`` for the timetable's dates, the other for the door's times.
_START_END = {"start": ("date", "arrival"), "end": (None, "departure")}
_LANGUAGE = {"lt": ("diena", "savaites diena", "daznumas", "atvykimas", "stotele", "pavadinimas"),
             "lv": ("nedelas diena", "biezums", "ierasanas", "pietura", "nosaukums")}

#: Frequencies a timetable row may give: a period in weeks (a row is one weekday of visits).
_FREQ_EXPECTED = (
    "how often, in weeks: 1, 2, 4 (every N weeks), weekly, fortnightly, 4-weekly (or the Lithuanian and "
    f"Latvian words), or an iCalendar rule such as FREQ=WEEKLY;INTERVAL=2; N {PERIOD_WEEKS.text()}"
)
_TIME_EXPECTED = "a time of day such as 10:30, 9.40 or 1030"
_DATE_EXPECTED = "a date such as 2026-11-30, 30.11.2026 or 30/11/2026"
_DAY_EXPECTED = "a weekday: Mon..Sun (or the full name; Lithuanian Pr An Tr Kt Pn Št S, Latvian P O T C Pk S Sv)"
_HEADER_EXPECTED = (
    "a timetable whose header row names the columns: stop (or stop_id, or lat and lon), day, arrival, "
    "departure, and weeks or frequency, vehicle, route where they apply"
)


@dataclass(frozen=True)
class Note:
    """A reading that is likely but not certain: said, never silent."""

    file: str
    row: int | None
    column: str
    value: str
    note: str

    def __str__(self) -> str:
        where = self.file + (f", row {self.row}" if self.row is not None else "")
        where += f", column {self.column!r}" if self.column else ""
        return f"{where}: {shown(self.value, 60, ellipsis='...')!r} {self.note}"


@dataclass
class TimetableRow:
    """One row as read: a stop's visits on one weekday.  Times are minutes after midnight."""

    line: int  # the row number as the spreadsheet shows it
    day: str  # Mon..Sun
    arrival_min: int
    departure_min: int
    stop_id: str = ""
    name: str = ""  # "Community / Stop" when the file has both
    community: str = ""  # the village, as the file gives it apart (the UK layouts)
    lat: float | None = None
    lon: float | None = None
    weeks: tuple[int, ...] = ()  # explicit weeks of the cycle, 1..
    period_weeks: int | None = None  # every N weeks (with ``weeks`` empty)
    date: date | None = None
    vehicle: str = ""
    route: str = ""

    @property
    def label(self) -> str:
        return self.name or self.stop_id or (f"{self.lat}, {self.lon}" if self.lat is not None else f"row {self.line}")


@dataclass
class Timetable:
    """What a timetable file holds: its readable rows, and every problem and note of the others."""

    file: str
    rows: list[TimetableRow]
    problems: list[Problem] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> the header as written
    total_rows: int = 0  # data rows, blank ones left out

    def title(self, column: str) -> str:
        return self.columns.get(column, column)

    def problem_rows(self) -> dict[int | None, list[Problem]]:
        out: dict[int | None, list[Problem]] = {}
        for p in self.problems:
            out.setdefault(p.row, []).append(p)
        return out


# --- cells -------------------------------------------------------------------------

_CLOCK = re.compile(r"(\d{1,2})\s*[:.]\s*(\d{1,2})(?::\d{2})?")


def parse_clock(text: str) -> tuple[int, str]:
    """A published time -> (minutes after midnight, a note or "").  Raises ValueError.

    ``10:30``, ``9.40``, ``09:40:00``, ``1030``, ``930``, ``10`` and ``10:30am``;
    a one-digit minute (``14:5``) is a lost trailing zero: 14:50, with a note.
    """
    s = text.strip().lower()
    pm = s.endswith("pm")
    s = s.removesuffix("am").removesuffix("pm").strip()
    note = ""
    m = _CLOCK.fullmatch(s)
    if m:
        h, mm = m.group(1), m.group(2)
        if len(mm) == 1:
            note = f"read as {int(h):02d}:{mm}0 (a one-digit minute)"
            mm += "0"
    elif s.isdigit() and len(s) in (3, 4):
        h, mm = s[:-2], s[-2:]
    elif s.isdigit() and 1 <= len(s) <= 2:
        h, mm = s, "00"
    else:
        raise ValueError(f"not a time: {text!r}")
    hours, minutes = int(h), int(mm)
    if pm and hours < 12:
        hours += 12
    if hours > 23 or minutes > 59:
        raise ValueError(f"not a time: {text!r}")
    return hours * 60 + minutes, note


def parse_period(text: str) -> tuple[int, str]:
    """Every how many weeks -> (weeks, a note or "").  Raises ValueError.

    ``2``, ``fortnightly``, ``kas dvi savaites``, ``FREQ=WEEKLY;INTERVAL=2``;
    "monthly" (``FREQ=MONTHLY``) is taken as every 4 weeks, with a note:
    timetables repeat in whole weeks.
    """
    s = text.strip()
    if "=" in s:
        parts = dict(p.split("=", 1) for p in s.upper().removeprefix("RRULE:").split(";") if "=" in p)
        interval_text = parts.get("INTERVAL", "1") or "1"
        if not interval_text.isdigit() or len(interval_text) > 3:
            raise ValueError(f"not an interval: {interval_text!r}")
        interval = int(interval_text)
        if parts.get("FREQ") == "WEEKLY" and interval in PERIOD_WEEKS:
            return interval, ""
        if parts.get("FREQ") == "MONTHLY" and 4 * interval in PERIOD_WEEKS:
            return 4 * interval, f"taken as every {4 * interval} weeks"
        raise ValueError(f"not a weekly rule: {text!r}")
    try:
        weeks = parse_number(s)
    except ValueError:
        weeks = None
    if weeks is not None:
        if weeks.is_integer() and weeks in PERIOD_WEEKS:
            return int(weeks), ""
        raise ValueError(f"not a whole number of weeks: {text!r}")
    freq = parse_frequency(s)
    if freq.period_weeks is None or not s:
        raise ValueError(f"not a period: {text!r}")
    note = f"taken as every {freq.period_weeks} weeks" if "men" in fold(s) or "month" in fold(s) else ""
    return freq.period_weeks, note


_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d", "%Y.%m.%d")


def parse_date(text: str) -> date:
    """``2026-11-30`` (an Excel date's text too: ``2026-11-30 00:00:00``), ``30.11.2026``, ``30/11/2026``."""
    s = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(s[:10], fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r}")


# --- the header --------------------------------------------------------------------

#: The header is looked for in this many rows from the top (title lines above it).
_HEADER_SEARCH_ROWS = 20


def _key(title: str) -> str:
    return fold(title).replace("_", " ").replace("-", " ")


def _header_columns(cells: list[str]) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """(canonical -> index, canonical -> header as written, the repeated headers)."""
    keys = [_key(c) for c in cells]
    has_arrival = any(TIMETABLE_HEADERS.get(k) == "arrival" for k in keys)
    index: dict[str, int] = {}
    titles: dict[str, str] = {}
    repeated: list[str] = []
    for i, (k, title) in enumerate(zip(keys, cells)):
        canonical = TIMETABLE_HEADERS.get(k) or TIMETABLE_HEADERS.get(k.replace(" ", "_"))
        if k in _START_END:
            canonical = _START_END[k][0 if has_arrival else 1]
        if canonical is None:
            continue  # another column (address, timetable, notes): not ours
        if canonical in index:
            repeated.append(title)
            continue
        index[canonical], titles[canonical] = i, title
    return index, titles, repeated


def _language(cells: list[str]) -> str | None:
    keys = {_key(c) for c in cells}
    votes = {lang: len(keys & set(words)) for lang, words in _LANGUAGE.items()}
    return max(votes, key=lambda k: votes[k]) if votes["lt"] != votes["lv"] else None


# --- rows --------------------------------------------------------------------------


class _Reader:
    def __init__(self, file: str, index: dict[str, int], titles: dict[str, str], language: str | None):
        self.file = file
        self.index = index
        self.titles = titles
        self.language = language
        self.problems: list[Problem] = []
        self.notes: list[Note] = []

    def cell(self, cells: list[str], column: str) -> str:
        i = self.index.get(column)
        text = cells[i] if i is not None and i < len(cells) else ""
        return unsafe_cell(text) if column in ("stop_id", "stop", "community", "vehicle", "route") else text

    def bad(self, row: int, column: str, value: str, expected: str) -> None:
        self.problems.append(Problem(self.file, row, self.titles.get(column, column), value, expected))

    def note(self, row: int, column: str, value: str, note: str) -> None:
        self.notes.append(Note(self.file, row, self.titles.get(column, column), value, note))

    def row(self, n: int, cells: list[str]) -> TimetableRow | None:
        before = len(self.problems)
        for column in ("stop_id", "stop", "community", "vehicle", "route"):
            text = self.cell(cells, column)
            if text_rule.forbidden(text):
                self.bad(n, column, text_rule.visible(text), text_rule.EXPECTED)
        stop_id, stop, community = (self.cell(cells, c) for c in ("stop_id", "stop", "community"))
        name = f"{community} / {stop}" if community and stop else (stop or community)

        lat = lon = None
        lat_text, lon_text = self.cell(cells, "lat"), self.cell(cells, "lon")
        if lat_text or lon_text:
            lat = self.number(n, "lat", lat_text, "a latitude in degrees, -90 to 90", 90)
            lon = self.number(n, "lon", lon_text, "a longitude in degrees, -180 to 180", 180)
        if not stop_id and not name and (lat is None or lon is None) and len(self.problems) == before:
            column = "stop" if "stop" in self.index else "stop_id" if "stop_id" in self.index else "lat"
            self.bad(n, column, "", "the stop: its id or name in the scenario's stops table, or its coordinates")

        day_text = self.cell(cells, "day")
        day = None
        try:
            day = parse_weekday(day_text, self.language)
        except ValueError:
            self.bad(n, "day", day_text, _DAY_EXPECTED)

        times = []
        for column in ("arrival", "departure"):
            text = self.cell(cells, column)
            try:
                minutes, note = parse_clock(text)
                times.append(minutes)
                if note:
                    self.note(n, column, text, note)
            except ValueError:
                self.bad(n, column, text, _TIME_EXPECTED)
        if len(times) == 2 and times[1] <= times[0]:
            self.bad(n, "departure", self.cell(cells, "departure"),
                     f"a time after {self.titles.get('arrival', 'arrival')} {hhmm(times[0])}")

        weeks: tuple[int, ...] = ()
        weeks_text = self.cell(cells, "weeks")
        if weeks_text:
            try:
                weeks = parse_weeks(weeks_text)
            except ValueError:
                self.bad(n, "weeks", weeks_text, "weeks of the cycle such as 1 or 1;3")
        period = None
        freq_text = self.cell(cells, "frequency")
        if freq_text and not weeks:
            try:
                period, note = parse_period(freq_text)
                if note:
                    self.note(n, "frequency", freq_text, note)
            except ValueError:
                self.bad(n, "frequency", freq_text, _FREQ_EXPECTED)

        when = None
        date_text = self.cell(cells, "date")
        if date_text:
            try:
                when = parse_date(date_text)
            except ValueError:
                self.note(n, "date", date_text, f"is not a date ({_DATE_EXPECTED}): not used")
        if when is not None and day is not None and WEEKDAYS[when.weekday()] != day:
            self.note(n, "date", date_text, f"is a {WEEKDAYS[when.weekday()]}, the row's day is {day}: "
                      "the date is not used to place the row in the cycle")
            when = None

        if len(self.problems) > before or day is None or len(times) < 2:
            return None
        return TimetableRow(
            line=n, day=day, arrival_min=times[0], departure_min=times[1], stop_id=stop_id, name=name,
            community=community, lat=lat, lon=lon, weeks=weeks, period_weeks=period, date=when,
            vehicle=self.cell(cells, "vehicle"), route=self.cell(cells, "route"),
        )

    def number(self, n: int, column: str, text: str, expected: str, bound: float) -> float | None:
        try:
            value = parse_number(text)
        except ValueError:
            value = None
        if value is None or not -bound <= value <= bound:
            self.bad(n, column, text, expected)
            return None
        return value


def _timetable(rows, file: str) -> Timetable:
    head = list(itertools.islice(rows, _HEADER_SEARCH_ROWS))
    header = None
    for row in head:
        index, titles, repeated = _header_columns(row.cells)
        if "day" in index and ("arrival" in index or "departure" in index):
            header = row
            break
    if header is None:
        first = next((r for r in head if any(r.cells)), None)
        if first is None:
            raise FileRefused("", f"{_HEADER_EXPECTED} (the file has no rows)")
        raise FileRefused(shown(", ".join(c for c in first.cells if c)), _HEADER_EXPECTED)
    problems = [Problem(file, header.number, title, title, "one column for each meaning; this one is repeated")
                for title in repeated]
    for column in ("arrival", "departure"):
        if column not in index:
            problems.append(Problem(file, header.number, column, "", f"a column named {column!r}"))
    if not ({"stop_id", "stop", "community"} & set(index) or {"lat", "lon"} <= set(index)):
        problems.append(Problem(file, header.number, "stop", "", "a column 'stop' (or 'stop_id', or 'lat' and 'lon')"))
    reader = _Reader(file, index, titles, _language(header.cells))
    out: list[TimetableRow] = []
    total = 0
    for row in itertools.chain(head[head.index(header) + 1:], rows):
        if not any(row.cells) and row.wide is None:
            continue
        total += 1
        if row.wide is not None:
            reader.problems.append(Problem(file, row.number, "", shown(row.wide), f"at most {MAX_COLUMNS} columns"))
            continue
        long = [c for c in row.cells if len(c) > MAX_CELL_CHARS]
        if long:
            reader.problems.append(Problem(file, row.number, "", shown(long[0], 60),
                                           f"at most {MAX_CELL_CHARS:,} characters"))
            continue
        if problems:
            continue  # the header is wrong: its rows cannot be read right
        parsed = reader.row(row.number, row.cells)
        if parsed is not None:
            out.append(parsed)
    if not problems and not reader.problems and total == 0:
        problems.append(Problem(file, None, "", "", "at least one row below the header row"))
    return Timetable(file, out, problems + reader.problems, reader.notes, titles, total)


def read_timetable_bytes(data: bytes, filename: str) -> Timetable:
    """The rows of a timetable file (CSV or .xlsx, by ``filename``'s suffix), and the problems of the others.

    A file that is not a table at all (not text, a damaged workbook, no
    header naming the day and the times) is one problem and no rows.
    """
    if len(data) > MAX_INPUT_BYTES:
        return Timetable(filename, [], [too_large(filename, len(data), MAX_INPUT_BYTES, "a timetable")])
    try:
        with table_rows(data, filename) as rows:
            return _timetable(rows, filename)
    except FileRefused as refused:
        expected = refused.expected
        if refused.row is not None:
            expected += f" (row {refused.row:,} could not be read)"
        return Timetable(filename, [], [Problem(filename, None, "", refused.value, expected)])
    except InputError as err:  # the table's row limit
        return Timetable(filename, [], list(err.problems))


def read_timetable(path: str | Path) -> Timetable:
    """:func:`read_timetable_bytes` of a file; problems name ``path`` as given."""
    data = read_limited(path, MAX_INPUT_BYTES, "a timetable")
    return read_timetable_bytes(data, str(path))
