"""Read (and write) the stops table: one row per bookmobile stop, CSV or Excel.

This is the importer of the input contract (``/work/shared/contracts/inputs.md``,
"Stops table").  Coordinators export these files from spreadsheet programs set
to Lithuanian or Latvian locales, so the reader accepts every spelling they
produce and turns them all into the same ``tuple[Stop, ...]``:

* UTF-8 with or without BOM, Windows-1257 (UTF-16 too, for Excel's
  "Unicode text"); ``,``, ``;`` or tab delimiter; decimal comma or point;
* ``.xlsx`` workbooks (the first sheet), typed cells included;
* English, Lithuanian and Latvian headers and values, with or without
  diacritics, in any case, with stray spaces;
* blank rows and empty or unnamed trailing columns are ignored.

A file is accepted whole or refused whole: every problem of every row is
collected first and raised as one :class:`~routeplanner.errors.InputError`,
each :class:`~routeplanner.errors.Problem` naming the file, the row number as
the spreadsheet shows it (header = row 1), the column as written in the file,
the value and what was expected.
"""

from __future__ import annotations

import codecs
import collections
import csv
import dataclasses
import io
import itertools
import math
import re
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from routeplanner import text as text_rule
from routeplanner.datachecks import FIELD_COUNT, DataWarning, ImportNotes
from routeplanner.errors import InputError, Problem
from routeplanner.formats import shown
from routeplanner.io.cells import safe_cell, unsafe_cell
from routeplanner.limits import (
    EXPECT_LOANS,
    EXPECT_SERVICE,
    LOANS_PER_VISIT,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_INPUT_BYTES,
    MAX_STOPS,
    MAX_TABLE_ROWS,
    MAX_XLSX_PART_BYTES,
    MAX_XLSX_PARTS,
    MAX_XLSX_SHEET_BYTES,
    MIB,
    PERIOD_WEEKS,
    SERVICE_MIN,
    VISITS_PER_STOP,
    WEEKS,
    read_limited,
    too_large,
    too_many_stops,
)
from routeplanner.model import (
    ONCE_PER_CYCLE,
    WEEKDAYS,
    Frequency,
    Stop,
    default_service_min,
    hhmm,
    parse_hhmm,
)
from routeplanner.travel import DEPOT_ID

#: ``geocoder(address)``: ``(lat, lon)``, or a :class:`routeplanner.geocoding.Found` (the point and
#: its doubts, which become warnings), or None when the address is not found.  An exception is that
#: address's problem.  A :class:`routeplanner.geocoding.Geocoding` is one.
Geocoder = Callable[[str], Any]

#: Canonical column names, in the order :func:`write_stops_csv` writes them.
STOP_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "lat",
    "lon",
    "address",
    "loans_per_visit",
    "frequency",
    "service_minutes",
    "window_start",
    "window_end",
    "days",
    "weeks",
    "opens",
    "priority",
)

# Header aliases from the contract table, already folded (see _fold): the
# Lithuanian and Latvian names, plus a few obvious English synonyms.
_LT_HEADERS = {
    "pavadinimas": "name",
    "platuma": "lat",
    "ilguma": "lon",
    "adresas": "address",
    "skolinimai": "loans_per_visit",
    "daznumas": "frequency",
    "trukme": "service_minutes",
    "nuo": "window_start",
    "iki": "window_end",
    "dienos": "days",
    "savaites": "weeks",
    "atidaroma": "opens",
    "prioritetas": "priority",
}
_LV_HEADERS = {
    "nosaukums": "name",
    "platums": "lat",
    "garums": "lon",
    "adrese": "address",
    "izsniegumi": "loans_per_visit",
    "biezums": "frequency",
    "ilgums": "service_minutes",
    "no": "window_start",
    "lidz": "window_end",
    "dienas": "days",
    "nedelas": "weeks",
    "atver": "opens",
    "prioritate": "priority",
}
_EN_HEADERS = {c: c for c in STOP_COLUMNS} | {"latitude": "lat", "longitude": "lon"}
_HEADERS: dict[str, tuple[str, str]] = (
    {k: (v, "en") for k, v in _EN_HEADERS.items()}
    | {k: (v, "lt") for k, v in _LT_HEADERS.items()}
    | {k: (v, "lv") for k, v in _LV_HEADERS.items()}
)


def _header_key(title: str) -> str | None:
    """The canonical column a header means (``" Loans per visit"`` -> ``"loans_per_visit"``), or None."""
    folded = _fold(title)
    for key in (folded, folded.replace(" ", "_").replace("-", "_")):
        if key in _HEADERS:
            return key
    return None


def _alias_hint(column: str) -> str:
    lt = next(k for k, v in _LT_HEADERS.items() if v == column)
    lv = next(k for k, v in _LV_HEADERS.items() if v == column)
    hint = f"a column named {column!r} (Lithuanian {lt!r}, Latvian {lv!r})"
    if column in ("lat", "lon"):
        hint += ", or an 'address' column to geocode"
    return hint


# --- small text helpers, shared with the scenario reader ---------------------


_fold = text_rule.fold


def slugify(name: str) -> str:
    """The default stop id: ``"Kriaunų mokykla"`` -> ``"kriaunu-mokykla"``."""
    return re.sub(r"[^a-z0-9]+", "-", _fold(name)).strip("-")


_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def parse_number(text: str) -> float:
    """``"55,9644"`` or ``"55.9644"`` -> ``55.9644``.  Raises ValueError otherwise."""
    s = text.strip()
    if not _NUMBER.fullmatch(s):
        raise ValueError(f"not a number: {text!r}")
    return float(s.replace(",", "."))


_TIME = re.compile(r"(\d{1,2})[:.](\d{2})(:00)?")


def parse_time(text: str) -> int:
    """``"9:05"``, ``"09:05"``, ``"09.05"`` or ``"09:05:00"`` -> ``545`` minutes after midnight."""
    m = _TIME.fullmatch(text.strip())
    if not m:
        raise ValueError(f"not a time HH:MM: {text!r}")
    return parse_hhmm(f"{m.group(1)}:{m.group(2)}")


# Weekday spellings, folded.  Lithuanian and Latvian agree on "pr" and "tr".
_DAY_WORDS: dict[str, int] = {
    # English
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
    # Lithuanian (Pr An Tr Kt Pn Št S)
    "pr": 0, "pirmadienis": 0, "an": 1, "antradienis": 1, "treciadienis": 2, "tr": 2,
    "kt": 3, "ketvirtadienis": 3, "pn": 4, "penktadienis": 4, "st": 5, "sestadienis": 5,
    "sk": 6, "sekmadienis": 6,
    # Latvian (P O T C Pk S Sv)
    "pirmdiena": 0, "ot": 1, "otrdiena": 1, "tresdiena": 2, "ce": 3, "ceturtdiena": 3,
    "pk": 4, "piektdiena": 4, "se": 5, "sestdiena": 5, "sv": 6, "svetdiena": 6,
}
# Single letters depend on the language: "S" is Sunday in Lithuanian
# (sekmadienis) but Saturday in Latvian (sestdiena), and "Š" only loses its
# háček when folded, so these are matched before folding and only when the
# file's headers tell which language it is in.
_DAY_LETTERS: dict[str, dict[str, int]] = {
    "lt": {"š": 5, "s": 6},
    "lv": {"p": 0, "o": 1, "t": 2, "c": 3, "s": 5},
}
_DAYS_EXPECTED = (
    "weekdays such as Tue;Thu (English Mon..Sun, Lithuanian Pr An Tr Kt Pn Št S, "
    "Latvian P O T C Pk S Sv, or full names) separated by ; , or spaces"
)


def parse_weekday(token: str, language: str | None = None) -> str:
    """One weekday in any supported spelling -> ``"Mon"``..``"Sun"``.  Raises ValueError."""
    raw = token.strip().lower().rstrip(".")
    letters = _DAY_LETTERS.get(language or "", {})
    if raw in letters:
        return WEEKDAYS[letters[raw]]
    if raw == "š":  # unambiguous whatever the headers say
        return WEEKDAYS[5]
    folded = _fold(raw)
    if folded in _DAY_WORDS:
        return WEEKDAYS[_DAY_WORDS[folded]]
    raise ValueError(f"not a weekday: {token!r}")


_WEEKS_EXPECTED = f"weeks of the cycle such as 1 or 1;3, each a whole number {WEEKS.text()}"


def parse_weeks(text: str) -> tuple[int, ...]:
    """``"1; 3"`` -> ``(1, 3)``, sorted, duplicates dropped.  Raises ValueError."""
    tokens = [t for t in re.split(r"[;,\s]+", text.strip()) if t]
    weeks = set()
    for t in tokens:
        if not t.isdigit() or int(t) not in WEEKS:
            raise ValueError(f"not a week: {t!r}")
        weeks.add(int(t))
    return tuple(sorted(weeks))


def parse_days(text: str, language: str | None = None) -> tuple[str, ...]:
    """``"Tue; Thu"`` -> ``("Tue", "Thu")``, in week order, duplicates dropped."""
    tokens = [t for t in re.split(r"[;,\s]+", text.strip()) if t]
    found = {parse_weekday(t, language) for t in tokens}
    return tuple(d for d in WEEKDAYS if d in found)


# Frequency words, folded.  "monthly" is taken as 4-weekly: timetables repeat
# in whole weeks.
_FREQ_WORDS: dict[str, int] = {
    "weekly": 1, "every week": 1, "once a week": 1,
    "fortnightly": 2, "biweekly": 2, "bi-weekly": 2, "every other week": 2,
    "every two weeks": 2, "two-weekly": 2,
    "4-weekly": 4, "four-weekly": 4, "every four weeks": 4, "monthly": 4,
    # Lithuanian
    "kas savaite": 1, "karta per savaite": 1, "kas dvi savaites": 2,
    "kas keturias savaites": 4, "kas menesi": 4, "karta per menesi": 4,
    # Latvian
    "katru nedelu": 1, "reizi nedela": 1, "ik nedelu": 1, "reizi divas nedelas": 2,
    "reizi cetras nedelas": 4, "reizi menesi": 4,
}
_FREQ_PERIOD = re.compile(
    r"every (\d+) weeks?|(\d+)[- ]?weekly|kas (\d+) savaites?|reizi (\d+) nedelas"
)
_FREQ_EXPECTED = (
    "weekly, fortnightly, 4-weekly (or kas savaitę / kas dvi savaites / kas keturias "
    "savaites, katru nedēļu / reizi divās nedēļās / reizi četrās nedēļās), "
    f"every N weeks ({PERIOD_WEEKS.text()}), or a whole number of visits per cycle, {VISITS_PER_STOP.text()}"
)


def parse_frequency(text: str) -> Frequency:
    """A frequency cell -> :class:`Frequency`; empty means once per cycle.  Raises ValueError."""
    folded = _fold(text).rstrip(".")
    if not folded:
        return ONCE_PER_CYCLE
    # Digits are compared as text first: int() of a thousand digits is slow,
    # and no count that long is a frequency.
    if folded.isdigit():
        visits = int(folded[:12])
        if len(folded) > 12 or visits not in VISITS_PER_STOP:
            raise ValueError(f"visits per cycle: {VISITS_PER_STOP.text()}")
        return Frequency(visits=visits)
    if folded in _FREQ_WORDS:
        return Frequency(period_weeks=_FREQ_WORDS[folded])
    m = _FREQ_PERIOD.fullmatch(folded)
    if m:
        digits = next(g for g in m.groups() if g)
        weeks = int(digits[:12])
        if len(digits) <= 12 and weeks in PERIOD_WEEKS:
            return Frequency(period_weeks=weeks)
    raise ValueError(f"not a frequency: {text!r}")


def frequency_text(freq: Frequency) -> str:
    """The canonical spelling :func:`parse_frequency` reads back to ``freq``."""
    if freq.period_weeks is not None:
        return freq.label()  # weekly / fortnightly / 4-weekly / every N weeks
    return str(freq.visits or 1)


_MUST_WORDS = {"must", "butina", "privaloma", "obligati"}
#: Columns of free text (the others hold numbers, times and keywords).
_TEXT_COLUMNS = frozenset({"id", "name", "address"})


# --- from bytes to rows of text cells, counted as they are read ----------------
#
# Nothing here holds a whole table: CSV is decoded and split a line at a time,
# a workbook is read row by row (openpyxl's read-only mode) after its zip has
# been checked for parts that unpack to more than a stops table ever needs.


class _FileRefused(Exception):
    """The file as a whole is not a table we can read; carries the reason."""

    def __init__(self, value: str, expected: str, row: int | None = None):
        super().__init__(expected)
        self.value = value
        self.expected = expected
        self.row = row


@dataclass
class _Row:
    """One row as the spreadsheet numbers it (header = 1), its cells stripped.

    ``width`` is how many fields a CSV row really had (None for xlsx), to spot
    rows longer than the header: the trace of an unquoted decimal comma in a
    comma-separated file.  ``wide`` is the first value found beyond
    :data:`~routeplanner.limits.MAX_COLUMNS` (those cells are not kept).
    """

    number: int
    cells: list[str]
    width: int | None
    wide: str | None = None


_ENCODING_EXPECTED = "a text file in UTF-8 or Windows-1257 encoding"
_SNIFF_CHARS = 64 * 1024  # of the header line: enough for any header, bounded for a one-line file


def _decodes(data: bytes, encoding: str) -> bool:
    """Whether the whole of ``data`` is valid ``encoding``, checked a megabyte at a time."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    step = 1 << 20
    try:
        for start in range(0, len(data), step):
            decoder.decode(view[start:start + step], final=start + step >= len(data))
    except UnicodeDecodeError:
        return False
    return True


def _encoding(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if _decodes(data, "utf-8"):
        return "utf-8-sig"
    # Windows-1257 (Baltic) is what Excel writes for "CSV" on LT/LV systems.
    if _decodes(data, "cp1257"):
        return "cp1257"
    raise _FileRefused("", _ENCODING_EXPECTED)


def _lines(data: bytes, encoding: str) -> io.TextIOWrapper:
    # newline="": the csv module splits records itself (quoted line breaks).
    return io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")


def _count_outside_quotes(line: str, ch: str) -> int:
    count, quoted = 0, False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == ch and not quoted:
            count += 1
    return count


def _sniff_delimiter(header: str) -> str:
    """The delimiter of the header line: the most frequent of ``;`` ``,`` tab.

    Only the header is looked at because data rows of a ``;`` file may hold
    decimal commas (``55,9644``).
    """
    header = header[:_SNIFF_CHARS]
    counts = {d: _count_outside_quotes(header, d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _first_line(data: bytes, encoding: str) -> str | None:
    """The first non-blank line, or None when every line is blank (an empty file)."""
    with _lines(data, encoding) as text:
        for count, line in enumerate(text, start=1):
            if line.strip():
                return line
            if count > MAX_TABLE_ROWS:
                return ""  # the row limit will say it
    return None


def _csv_rows(data: bytes) -> Iterator[_Row]:
    encoding = _encoding(data)
    number = 0
    try:
        header = _first_line(data, encoding)
        if header is None:
            raise _FileRefused("", "a table with a header row and one row per stop (the file is empty)")
        with _lines(data, encoding) as text:
            # The csv module's own field limit (128 K characters) ends a runaway
            # quoted field long before the file does.
            for fields in csv.reader(text, delimiter=_sniff_delimiter(header)):
                number += 1
                yield _Row(number, [c.strip() for c in fields[:MAX_COLUMNS]], len(fields),
                           _beyond(fields))
    except UnicodeDecodeError:
        raise _FileRefused("", _ENCODING_EXPECTED) from None
    except csv.Error as exc:
        raise _FileRefused(str(exc), "a CSV table with a header row", number + 1) from None


def _beyond(cells: Sequence[object]) -> str | None:
    """The first non-empty cell past the column limit, as text, or None."""
    if len(cells) <= MAX_COLUMNS:
        return None
    return next((str(c).strip() for c in cells[MAX_COLUMNS:] if c is not None and str(c).strip()), None)


def _cell_text(value: object) -> str:
    """A typed xlsx cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))  # Excel stores 120 as 120.0
        return repr(value)
    if isinstance(value, datetime):
        if value.date() in (date(1899, 12, 30), date(1899, 12, 31), date(1900, 1, 1)):
            return f"{value.hour:02d}:{value.minute:02d}"  # a bare time of day
        return value.isoformat(sep=" ")
    if isinstance(value, time):
        return f"{value.hour:02d}:{value.minute:02d}"
    if isinstance(value, timedelta):
        return hhmm(value.total_seconds() / 60)
    return str(value).strip()


_XLSX_EXPECTED = "an Excel workbook (.xlsx) whose first sheet is the stops table"


def _check_xlsx_parts(data: bytes) -> None:
    """Refuse a workbook whose parts unpack to more than a stops table needs.

    A zip states each part's unpacked size, and :mod:`zipfile` never unpacks
    more than that, so this is checked before openpyxl opens anything: a few
    hundred kB can unpack to gigabytes of XML (a "zip bomb"), and openpyxl
    loads the shared strings and styles whole, even in read-only mode.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            parts = book.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise _FileRefused(f"{type(exc).__name__}: {exc}", _XLSX_EXPECTED) from None
    if len(parts) > MAX_XLSX_PARTS:
        raise _FileRefused(f"{len(parts):,} parts", f"{_XLSX_EXPECTED}, of at most {MAX_XLSX_PARTS:,} parts")
    for part in parts:
        sheet = part.filename.startswith("xl/worksheets/")
        limit = MAX_XLSX_SHEET_BYTES if sheet else MAX_XLSX_PART_BYTES
        if part.file_size > limit:
            raise _FileRefused(
                f"{part.filename}: {part.file_size:,} bytes unpacked",
                f"{_XLSX_EXPECTED}, whose {'sheets' if sheet else 'parts'} unpack to at most "
                f"{limit // MIB} MB each (this one holds far more than a stops table)",
            )


def _xlsx_rows(data: bytes) -> Iterator[_Row]:
    import openpyxl

    _check_xlsx_parts(data)
    number = 0
    try:
        # read_only: rows are parsed one at a time as they are asked for.
        # data_only: formulas count by the value Excel last computed.
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise _FileRefused(f"{type(exc).__name__}: {exc}", _XLSX_EXPECTED) from None
    try:
        if not book.worksheets:
            raise _FileRefused("", _XLSX_EXPECTED)
        sheet = book.worksheets[0]
        # The sheet's stated size may be wrong (or made up): rows are taken as
        # they are, not padded to it.
        sheet.reset_dimensions()
        for values in sheet.iter_rows(min_row=1, values_only=True):  # from row 1: keep numbering
            number += 1
            yield _Row(number, [_cell_text(v) for v in values[:MAX_COLUMNS]], None, _beyond(values))
    except _FileRefused:
        raise
    except Exception as exc:  # a damaged sheet shows only while it is read
        raise _FileRefused(f"{type(exc).__name__}: {exc}", _XLSX_EXPECTED, number + 1) from None
    finally:
        book.close()


def _rows(data: bytes, filename: str) -> Iterator[_Row]:
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm") or (suffix not in (".csv", ".txt", ".tsv") and data[:4] == b"PK\x03\x04"):
        return _xlsx_rows(data)
    if suffix in (".xls", ".ods", ".numbers"):
        raise _FileRefused(suffix, "a CSV file or an Excel .xlsx workbook (save the sheet in one of those)")
    return _csv_rows(data)


def _counted(rows: Iterator[_Row], file: str) -> Iterator[_Row]:
    """``rows``, refused at the first one past :data:`~routeplanner.limits.MAX_TABLE_ROWS`."""
    for row in rows:
        if row.number > MAX_TABLE_ROWS:
            raise InputError([Problem(
                file, row.number, "", "",
                f"a table of at most {MAX_TABLE_ROWS:,} rows, blank rows included "
                "(delete the empty rows below the stops)",
            )])
        yield row


# --- from rows to stops --------------------------------------------------------


@dataclass
class _Columns:
    """Where each canonical column is: index and the header as written."""

    index: dict[str, int]
    header: dict[str, str]
    header_row: int  # 1-based
    width: int  # fields in the header row, trailing empty ones included
    named: int  # fields up to the last header that is not empty
    language: str | None  # "lt" / "lv" when the headers say so, for day letters
    cells: list[str]  # the header row as written

    def title(self, column: str) -> str:
        return self.header.get(column, column)

    def at(self, i: int) -> str:
        """The header of the ``i``-th cell, or its column number when it has none."""
        return self.cells[i] if i < len(self.cells) and self.cells[i] else f"column {i + 1}"


#: The header is looked for in this many rows from the top (title lines above it).
_HEADER_SEARCH_ROWS = 20


def _find_header(rows: list[_Row]) -> int:
    """Index in ``rows`` of the header row: the first row naming at least two known columns.

    Falls back to the first non-blank row, so a sheet with a title line above
    the table still reads, and a sheet without known headers still gets its
    missing columns reported against the right row.
    """
    first_nonblank = None
    for i, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        if not any(row.cells):
            continue
        if first_nonblank is None:
            first_nonblank = i
        known = {_HEADERS[k][0] for k in map(_header_key, row.cells) if k}
        if len(known) >= 2:
            return i
    if first_nonblank is None:
        raise _FileRefused("", "a table with a header row and one row per stop (the file has no rows)")
    if not any(_header_key(c) for c in rows[first_nonblank].cells):
        # Nothing we know: not a stops table at all (or a wrong delimiter).
        # One problem says more than a missing-column problem per column.
        raise _FileRefused(
            shown(", ".join(c for c in rows[first_nonblank].cells if c)),
            "a stops table whose first row names the columns: name, lat, lon, loans_per_visit, ...",
        )
    return first_nonblank


def _columns(row: _Row, file: str, problems: list[Problem]) -> _Columns:
    header = row.cells
    h = row.number - 1
    index: dict[str, int] = {}
    titles: dict[str, str] = {}
    votes = {"lt": 0, "lv": 0}
    day_language = None
    for i, title in enumerate(header):
        key = _header_key(title)
        if key is None:
            continue  # unknown or empty header: an extra column, ignored
        canonical, language = _HEADERS[key]
        if canonical in index:
            problems.append(
                Problem(file, h + 1, title, title, f"one column for {canonical!r}; {titles[canonical]!r} is already it")
            )
            continue
        index[canonical], titles[canonical] = i, title
        if language in votes:
            votes[language] += 1
        if canonical == "days":
            day_language = language
    if day_language not in votes:  # English or no days header: go by the other headers
        day_language = max(votes, key=lambda k: votes[k]) if votes["lt"] != votes["lv"] else None
    required = ["name", "loans_per_visit"]
    if "address" not in index:
        required += ["lat", "lon"]
    for column in required:
        if column not in index:
            problems.append(Problem(file, h + 1, column, "", _alias_hint(column)))
    width = row.width if row.width is not None else len(header)
    named = max((i + 1 for i, title in enumerate(header) if title), default=0)
    return _Columns(index, titles, row.number, width, named, day_language, list(header))


_GEOCODE_EXPECTED = "coordinates, or an address that can be geocoded"


def geocode_address(geocoder: Geocoder | None, address: str) -> tuple[float, float, tuple] | str:
    """``address`` through ``geocoder``: ``(lat, lon, doubts)`` (each doubt ``(kind, why)``), or
    the expected-text of the problem when there is no point (no geocoder, no match, a failure)."""
    expected = _GEOCODE_EXPECTED
    if geocoder is None:
        return expected + " (no geocoder is configured: fill in lat and lon, or see README: Geocoding)"
    try:
        found = geocoder(address)
    except Exception as exc:  # a network service: any failure is this address's problem
        return f"{expected} (the geocoder failed: {exc})"
    if found is None:
        return expected + " (the geocoder found no place of that name)"
    doubts: tuple = ()
    if hasattr(found, "doubts"):  # a routeplanner.geocoding.Found
        doubts = tuple((d.kind, d.why) for d in found.doubts)
        lat, lon = float(found.lat), float(found.lon)
    else:
        lat, lon = float(found[0]), float(found[1])
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return expected + f" (the geocoder answered {lat}, {lon})"
    return lat, lon, doubts


class _RowReader:
    """Validates data rows one by one, collecting problems instead of raising."""

    def __init__(self, file: str, cols: _Columns, geocoder: Geocoder | None):
        self.file = file
        self.cols = cols
        self.geocoder = geocoder
        self.geocoded: dict[str, tuple[float, float, tuple] | str] = {}  # address -> (lat, lon, doubts) or error text
        self.problems: list[Problem] = []
        self.warnings: list[DataWarning] = []
        self.first_row_of_id: dict[str, int] = {}
        self.from_address: bool = False  # the last stop's coordinates came from the geocoder

    def bad(self, row: int, column: str, value: str, expected: str) -> None:
        self.problems.append(Problem(self.file, row, self.cols.title(column), value, expected))

    def cell(self, cells: list[str], column: str) -> str:
        i = self.cols.index.get(column)
        text = cells[i] if i is not None and i < len(cells) else ""
        # Our own downloads put an apostrophe before text that would start a
        # formula (io.cells); the stop's name is what follows it.
        return unsafe_cell(text) if column in _TEXT_COLUMNS else text

    def number(self, row: int, cells: list[str], column: str, expected: str,
               ok: Callable[[float], bool]) -> float | None:
        text = self.cell(cells, column)
        try:
            value = parse_number(text)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value) or not ok(value):
            self.bad(row, column, text, expected)
            return None
        return value

    def coordinates(self, row: int, cells: list[str]) -> tuple[float, float] | None:
        lat_text, lon_text = self.cell(cells, "lat"), self.cell(cells, "lon")
        address = self.cell(cells, "address")
        if lat_text or lon_text or not address:
            # Coordinates given (even half of them) are checked, never replaced.
            if not lat_text and not lon_text:
                column = "lat" if "lat" in self.cols.index else "address"
                self.bad(row, column, "", "coordinates, or an address that can be geocoded")
                return None
            lat = self.number(row, cells, "lat", "a latitude in degrees, -90 to 90", lambda v: -90 <= v <= 90)
            lon = self.number(row, cells, "lon", "a longitude in degrees, -180 to 180", lambda v: -180 <= v <= 180)
            return (lat, lon) if lat is not None and lon is not None else None
        found = self.geocode(address)
        if isinstance(found, str):
            self.bad(row, "address", address, found)
            return None
        lat, lon, doubts = found
        for kind, why in doubts:  # every doubt is said, never used silently
            self.warnings.append(DataWarning(kind, self.file, row, self.cols.title("address"), address, why))
        self.from_address = True
        return lat, lon

    def geocode(self, address: str) -> tuple[float, float, tuple] | str:
        """Coordinates of ``address`` with the geocoder's doubts ((kind, why), ...), or the
        expected-text of the problem."""
        if address in self.geocoded:  # one request per distinct address
            return self.geocoded[address]
        self.geocoded[address] = result = geocode_address(self.geocoder, address)
        return result

    def stop(self, row: int, cells: list[str]) -> Stop | None:
        before = len(self.problems)
        self.from_address = False
        c = self.cols.index
        name = self.cell(cells, "name")
        if "name" in c and not name:
            self.bad(row, "name", "", "a stop name")
        for column in ("id", "name", "address"):
            text = self.cell(cells, column)
            if text_rule.forbidden(text):
                self.bad(row, column, text_rule.visible(text), text_rule.EXPECTED)
        coords = self.coordinates(row, cells) if ("lat" in c and "lon" in c) or "address" in c else None

        loans = None
        if "loans_per_visit" in c:
            loans = self.number(row, cells, "loans_per_visit", EXPECT_LOANS, LOANS_PER_VISIT.__contains__)

        freq_text = self.cell(cells, "frequency")
        try:
            freq = parse_frequency(freq_text)
        except ValueError:
            freq = None
            self.bad(row, "frequency", freq_text, _FREQ_EXPECTED)

        service_text = self.cell(cells, "service_minutes")
        service: int | None = None
        if service_text:
            value = self.number(row, cells, "service_minutes", EXPECT_SERVICE,
                                lambda v: v.is_integer() and v in SERVICE_MIN)
            service = int(value) if value is not None else None
        elif loans is not None:
            service = default_service_min(loans)

        window: list[int | None] = []
        for column in ("window_start", "window_end"):
            text = self.cell(cells, column)
            try:
                window.append(parse_time(text) if text else None)
            except ValueError:
                window.append(None)
                self.bad(row, column, text, "a time of day HH:MM, such as 09:00")
        start, end = window
        if start is not None and end is not None:
            end_text = self.cell(cells, "window_end")
            if end <= start:
                self.bad(row, "window_end", end_text, f"a time after {self.cols.title('window_start')} {hhmm(start)}")
            elif service is not None and end - start < service:
                self.bad(row, "window_end", end_text,
                         f"a time at least {service} minutes (the visit's length) after {hhmm(start)}")

        days_text = self.cell(cells, "days")
        days: tuple[str, ...] = ()
        try:
            days = parse_days(days_text, self.cols.language)
        except ValueError:
            self.bad(row, "days", days_text, _DAYS_EXPECTED)

        weeks_text = self.cell(cells, "weeks")
        weeks: tuple[int, ...] = ()
        try:
            weeks = parse_weeks(weeks_text)
        except ValueError:
            self.bad(row, "weeks", weeks_text, _WEEKS_EXPECTED)

        opens_text = self.cell(cells, "opens")
        opens: int | None = None
        if opens_text:
            try:
                opens = parse_time(opens_text)
            except ValueError:
                self.bad(row, "opens", opens_text, "a time of day HH:MM, such as 10:00")
        length = service if service is not None else (default_service_min(loans) if loans is not None else 0)
        if opens is not None and (start is not None and opens < start or end is not None and opens + length > end):
            lo = hhmm(start) if start is not None else "…"
            hi = hhmm(end) if end is not None else "…"
            self.bad(row, "opens", opens_text,
                     f"a time within the stop's window {lo}-{hi}, {length} minutes (the visit) before its end")
        elif opens is not None and opens + length > 24 * 60:
            self.bad(row, "opens", opens_text, f"a time at least {length} minutes (the visit) before midnight")

        priority = self.cell(cells, "priority")
        must = _fold(priority) in _MUST_WORDS
        if priority and not must:
            self.bad(row, "priority", priority, "'must' (Lithuanian 'būtina', Latvian 'obligāti') or empty")

        stop_id = self.cell(cells, "id") or slugify(name) or f"row-{row}"
        id_column = "id" if self.cell(cells, "id") or "name" not in c else "name"
        if stop_id == DEPOT_ID:  # the travel matrix's name for the depot
            self.bad(row, id_column, stop_id, f"an id other than {DEPOT_ID!r}, which means the depot")
        elif stop_id in self.first_row_of_id:
            first = self.first_row_of_id[stop_id]
            self.bad(row, id_column, stop_id, f"a unique id; row {first} already has id {stop_id!r}")
        else:
            self.first_row_of_id[stop_id] = row

        if len(self.problems) > before or coords is None or loans is None:
            return None
        return Stop(
            id=stop_id,
            name=name,
            lat=coords[0],
            lon=coords[1],
            loans_per_visit=loans,
            frequency=freq or ONCE_PER_CYCLE,
            service_min=service or default_service_min(loans),
            window_start_min=start,
            window_end_min=end,
            days=days,
            must=must,
            address=self.cell(cells, "address"),
            weeks=weeks,
            opens_min=opens,
        )


def _stops_from_rows(rows: Iterator[_Row], file: str, geocoder: Geocoder | None,
                     notes: ImportNotes | None = None) -> tuple[Stop, ...]:
    problems: list[Problem] = []
    head = list(itertools.islice(rows, _HEADER_SEARCH_ROWS))
    h = _find_header(head)  # may raise _FileRefused
    cols = _columns(head[h], file, problems)
    if head[h].wide is not None:
        problems.append(Problem(file, cols.header_row, "", shown(head[h].wide), f"at most {MAX_COLUMNS} columns"))
    # Count first, work after: the rows of at most MAX_STOPS stops are kept,
    # and the first one past the limit ends the reading (and any geocoding
    # never starts), however long the rest of the file is.
    data: list[_Row] = []
    for row in itertools.chain(head[h + 1:], rows):
        if not any(row.cells) and row.wide is None:
            continue  # blank rows (trailing ones included) are not stops
        if len(data) == MAX_STOPS:
            raise InputError([Problem(file, row.number, "", f"stop {MAX_STOPS + 1:,}", too_many_stops(row.number))])
        data.append(row)
    reader = _RowReader(file, cols, geocoder)
    _check_lookups(reader, data, geocoder)
    # The field count of the file's rows: the header's, unless most rows have another (a program
    # that pads every row with empty fields), so that one odd row cannot set the rule.
    widths = collections.Counter(r.width for r in data if r.width is not None)
    common = None
    if widths:
        most = max(widths.values())
        common = cols.width if widths.get(cols.width) == most else widths.most_common(1)[0][0]
    stops: list[Stop] = []
    rows_of: dict[str, int] = {}
    geocoded: dict[str, str] = {}
    for row in data:
        if row.wide is not None:
            reader.problems.append(Problem(file, row.number, "", shown(row.wide), f"at most {MAX_COLUMNS} columns"))
            continue
        long = [(i, c) for i, c in enumerate(row.cells) if len(c) > MAX_CELL_CHARS]
        if long:
            reader.problems += [
                Problem(file, row.number, cols.at(i), shown(c, 60), f"at most {MAX_CELL_CHARS:,} characters")
                for i, c in long
            ]
            continue
        if row.width is not None and row.width > cols.width and any(row.cells[cols.width:]):
            # The values are in the wrong columns (an unquoted decimal comma shifts the rest of
            # the row): one problem that says so, not one per column it would blame.
            reader.problems.append(_field_count_problem(file, row, cols.width, common, _LONG_HINT))
            continue
        # A row whose field count is not the file's own (the header's, or what every row has when
        # a program pads them all with empty fields) may hold its values in the wrong columns.
        odd = row.width is not None and row.width != common
        long = odd and row.width > cols.width  # type: ignore[operator]
        short = odd and row.width < cols.named  # type: ignore[operator]
        problems_before, warnings_before = len(reader.problems), len(reader.warnings)
        stop = reader.stop(row.number, row.cells)
        if (long or short) and len(reader.problems) > problems_before:
            del reader.problems[problems_before:]
            reader.problems.append(_field_count_problem(
                file, row, cols.width if long else cols.named, common, _LONG_HINT if long else _SHORT_HINT))
            continue
        if stop is None:
            continue
        stops.append(stop)
        rows_of[stop.id] = row.number
        if reader.from_address:
            geocoded[stop.id] = stop.address
        reader.warnings[warnings_before:] = [
            dataclasses.replace(w, stop_id=stop.id) for w in reader.warnings[warnings_before:]]
        if long or short:
            reader.warnings.append(_field_count_warning(file, row, cols, long, stop.id))
    problems += reader.problems
    if not problems and not data:
        problems.append(Problem(file, None, "", "", "at least one stop below the header row"))
    if problems:
        raise InputError(problems)
    if notes is not None:
        notes.stops_file = file
        notes.rows.update(rows_of)
        notes.geocoded.update(geocoded)
        notes.warnings += reader.warnings
    return tuple(stops)


_LONG_HINT = ("(a decimal comma in a comma-separated file? Quote such numbers, \"55,96\", "
              "or use ';' between values)")
_SHORT_HINT = "(a value left out, or a line break inside a cell?), so its values cannot be told apart"


def _field_count_problem(file: str, row: _Row, header_fields: int, common: int | None, hint: str) -> Problem:
    """"row 6 has 12 fields where the header has 11", with the row's values to find it by."""
    others = f" (and the other rows {common})" if common is not None and common != header_fields else ""
    return Problem(file, row.number, "", shown(" | ".join(row.cells)),
                   f"as many fields as the header row: row {row.number} has {row.width} fields where the header "
                   f"has {header_fields}{others} {hint}")


def _field_count_warning(file: str, row: _Row, cols: _Columns, long: bool, stop_id: str) -> DataWarning:
    """A row read without a problem, but with more or fewer fields than the header."""
    if long:
        why = (f"row {row.number} has {row.width} fields where the header has {cols.width}: if a value was "
               "split in two (a decimal comma in a comma-separated file), the values after it are in the wrong "
               "columns. Check the row")
    else:
        missing = [cols.at(i) for i in range(row.width or 0, cols.named)]
        why = (f"row {row.number} has {row.width} fields where the header has {cols.named}: the last "
               f"{len(missing)} ({', '.join(missing)}) are read as empty. If its values belong in other columns, "
               "correct the row")
    return DataWarning(FIELD_COUNT, file, row.number, "", shown(" | ".join(row.cells)), why, stop_id)


def _check_lookups(reader: _RowReader, data: list[_Row], geocoder: Geocoder | None) -> None:
    """Refuse, before any is sent, more addresses than an online geocoder may be asked for at once."""
    most = getattr(geocoder, "max_lookups", None)
    if most is None:
        return
    wanted = {reader.cell(r.cells, "address") for r in data
              if not reader.cell(r.cells, "lat") and not reader.cell(r.cells, "lon")}
    wanted.discard("")
    count = geocoder.uncached(wanted)  # type: ignore[union-attr]
    if count > most:
        raise InputError([Problem(
            reader.file, None, reader.cols.title("address"), f"{count:,} addresses to look up",
            f"at most {most:,} addresses looked up at once by {geocoder.name} "  # type: ignore[union-attr]
            "(it answers one a second): fill in lat and lon for some stops, or use a gazetteer "
            "(README: Geocoding); addresses looked up before are not counted",
        )])
# --- for the other tables read the same way (routeplanner.io.timetable) -------

#: A file that is not a table at all: ``value`` and ``expected`` say why, ``row`` where.
FileRefused = _FileRefused
fold = _fold


@contextmanager
def table_rows(data: bytes, filename: str) -> Iterator[Iterator[_Row]]:
    """The rows of a CSV or .xlsx file, as this reader takes them (counted, cells stripped).

    Raises :class:`FileRefused` (as the rows are read) for a file that is no
    table, and :class:`InputError` past the row limit; an xlsx read stopped
    early closes its workbook when the block ends.
    """
    rows = _rows(data, filename)
    try:
        yield _counted(rows, filename)
    finally:
        rows.close()


# --- public ------------------------------------------------------------------


def read_stops_bytes(data: bytes, filename: str, *, geocoder: Geocoder | None = None,
                     notes: ImportNotes | None = None) -> tuple[Stop, ...]:
    """Stops from the bytes of an uploaded CSV or .xlsx file named ``filename``.

    The suffix of ``filename`` picks the format; problems name ``filename``.
    Raises :class:`InputError` listing the problems of the file (the first
    :data:`~routeplanner.limits.MAX_LISTED_PROBLEMS`, and how many there are).
    ``notes`` (when given) gets each stop's row, the addresses geocoded, and the
    warnings found while reading (a row with fewer fields than the header, a
    doubtful geocoding): see :mod:`routeplanner.datachecks`.
    """
    if len(data) > MAX_INPUT_BYTES:
        raise InputError([too_large(filename, len(data), MAX_INPUT_BYTES, "a stops table")])
    rows = None
    try:
        rows = _rows(data, filename)
        return _stops_from_rows(_counted(rows, filename), filename, geocoder, notes)
    except _FileRefused as refused:
        expected = refused.expected
        if refused.row is not None:
            expected += f" (row {refused.row:,} could not be read)"
        raise InputError([Problem(filename, None, "", refused.value, expected)]) from None
    finally:
        if rows is not None:
            rows.close()  # an xlsx read stopped early closes its workbook now


def read_stops(path: str | Path, *, geocoder: Geocoder | None = None,
               notes: ImportNotes | None = None) -> tuple[Stop, ...]:
    """Stops from a CSV or .xlsx file; problems name ``path`` as given.

    A file larger than :data:`~routeplanner.limits.MAX_INPUT_BYTES` is
    refused before it is read.
    """
    data = read_limited(path, MAX_INPUT_BYTES, "a stops table")
    return read_stops_bytes(data, str(path), geocoder=geocoder, notes=notes)


def _number_text(value: float) -> str:
    # repr() round-trips a float exactly; whole numbers are written without ".0".
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def stop_record(stop: Stop) -> dict[str, str]:
    """One stop as the canonical text cells of a stops table row."""
    return {
        "id": stop.id,
        "name": stop.name,
        "lat": _number_text(stop.lat),
        "lon": _number_text(stop.lon),
        "address": stop.address,
        "loans_per_visit": _number_text(stop.loans_per_visit),
        "frequency": frequency_text(stop.frequency),
        # 0 is the model's "not set"; empty lets the reader derive it from loans.
        "service_minutes": str(stop.service_min) if stop.service_min > 0 else "",
        "window_start": hhmm(stop.window_start_min) if stop.window_start_min is not None else "",
        "window_end": hhmm(stop.window_end_min) if stop.window_end_min is not None else "",
        "days": ";".join(stop.days),
        "weeks": ";".join(map(str, stop.weeks)),
        "opens": hhmm(stop.opens_min) if stop.opens_min is not None else "",
        "priority": "must" if stop.must else "",
    }


def write_stops_csv(stops: Iterable[Stop], path: str | Path) -> None:
    """Write ``stops`` as a UTF-8 CSV with canonical English headers.

    Text that would start a spreadsheet formula gets a leading apostrophe
    (:mod:`routeplanner.io.cells`); :func:`read_stops` takes it off again and
    reads the file back to equal stops.
    """
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=STOP_COLUMNS)
        writer.writeheader()
        for stop in stops:
            writer.writerow({k: safe_cell(v) for k, v in stop_record(stop).items()})
