"""The stops-table reader: every locale spelling reads the same, every bad row is named."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from datetime import time
from pathlib import Path

import openpyxl
import pytest

from builders import STOP_ROW_XML as STOP_ROW, TEN_CELLS_XML as TEN_CELLS, xlsx_bomb

from routeplanner.errors import InputError, Problem
from routeplanner.io import read_stops, read_stops_bytes, write_stops_csv
from routeplanner.io.stops import parse_days, parse_frequency, slugify
from routeplanner.model import ONCE_PER_CYCLE, Frequency, Stop

# The one table every variant below spells differently.
EXPECTED = (
    Stop(id="kriaunos", name="Kriaunų mokykla", lat=55.9644, lon=25.5912, loans_per_visit=40.0,
         frequency=Frequency(period_weeks=2), service_min=30, window_start_min=540, window_end_min=780,
         days=("Tue", "Thu"), must=True),
    Stop(id="juodupes-seniunija", name="Juodupės seniūnija", lat=56.0877, lon=25.6112, loans_per_visit=120.0,
         frequency=Frequency(period_weeks=1), service_min=45),
    Stop(id="obeliai", name="Obeliai", lat=55.9445, lon=25.7904, loans_per_visit=15.5,
         frequency=Frequency(period_weeks=4), service_min=20, window_start_min=600, window_end_min=720,
         days=("Mon",)),
    Stop(id="pandelys", name="Pandėlys", lat=56.0217, lon=25.219, loans_per_visit=0.0,
         frequency=Frequency(visits=3), service_min=10, days=("Wed", "Sat")),
    Stop(id="ss", name="Šetekšnų kaimas", lat=-12.5, lon=-70.25, loans_per_visit=8.0,
         frequency=ONCE_PER_CYCLE, service_min=15, days=("Sun",)),
)

ENGLISH = """\
id,name,lat,lon,loans_per_visit,frequency,service_minutes,window_start,window_end,days,priority
kriaunos,Kriaunų mokykla,55.9644,25.5912,40,fortnightly,,09:00,13:00,Tue;Thu,must
,Juodupės seniūnija,56.0877,25.6112,120,weekly,45,,,,
,Obeliai,55.9445,25.7904,15.5,4-weekly,20,10:00,12:00,Mon,
,Pandėlys,56.0217,25.219,0,3,,,,"Wed, Sat",
ss,Šetekšnų kaimas,-12.5,-70.25,8,,15,,,Sun,
"""

# Semicolons and decimal commas, headers in odd case with spaces, spellings
# of the same values, and the trailing empty columns and rows Excel writes.
SEMICOLON = """\
 ID ; Name;LAT;Lon ; Loans_Per_Visit;FREQUENCY;service_minutes;window_start;window_end;days;priority;;
kriaunos; Kriaunų mokykla ;55,9644;25,5912;40;Every 2 weeks;;9:00;13.00;tue thu;MUST;;
;Juodupės seniūnija;56,0877;25,6112;120;every week;45;;;;;;
;Obeliai;55,9445;25,7904;15,5;monthly;20;10.00;12:00;Monday;;;
;Pandėlys;56,0217;25,219;0;3;;;;"wednesday; saturday";;;
ss;Šetekšnų kaimas;-12,5;-70,25;8;;15;;;sunday;;;
;;;;;;;;;;;;
;;;;;;;;;;;;
"""

LITHUANIAN = """\
id;Pavadinimas;Platuma;Ilguma;Skolinimai;Dažnumas;Trukmė;Nuo;Iki;Dienos;Prioritetas
kriaunos;Kriaunų mokykla;55,9644;25,5912;40;kas dvi savaites;;09:00;13:00;"An;Kt";būtina
;Juodupės seniūnija;56,0877;25,6112;120;Kas savaitę;45;;;;
;Obeliai;55,9445;25,7904;15,5;kas keturias savaites;20;10:00;12:00;Pr;
;Pandėlys;56,0217;25,219;0;3;;;;Tr Š;
ss;Šetekšnų kaimas;-12,5;-70,25;8;;15;;;S;
"""

# The same without diacritics, as typed on a keyboard without a LT layout.
LITHUANIAN_PLAIN = """\
id,pavadinimas,platuma,ilguma,skolinimai,daznumas,trukme,nuo,iki,dienos,prioritetas
kriaunos,Kriaunų mokykla,55.9644,25.5912,40,kas dvi savaites,,09:00,13:00,antradienis;ketvirtadienis,privaloma
,Juodupės seniūnija,56.0877,25.6112,120,kas savaite,45,,,,
,Obeliai,55.9445,25.7904,15.5,kas keturias savaites,20,10:00,12:00,pirmadienis,
,Pandėlys,56.0217,25.219,0,3,,,,treciadienis;St,
ss,Šetekšnų kaimas,-12.5,-70.25,8,,15,,,sekmadienis,
"""

LATVIAN = """\
id;Nosaukums;Platums;Garums;Izsniegumi;Biežums;Ilgums;No;Līdz;Dienas;Prioritāte
kriaunos;Kriaunų mokykla;55,9644;25,5912;40;reizi divās nedēļās;;09:00;13:00;O C;obligāti
;Juodupės seniūnija;56,0877;25,6112;120;katru nedēļu;45;;;;
;Obeliai;55,9445;25,7904;15,5;Reizi četrās nedēļās;20;10:00;12:00;P;
;Pandėlys;56,0217;25,219;0;3;;;;T S;
ss;Šetekšnų kaimas;-12,5;-70,25;8;;15;;;Sv;
"""

LATVIAN_PLAIN = """\
id,nosaukums,platums,garums,izsniegumi,biezums,ilgums,no,lidz,dienas,prioritate
kriaunos,Kriaunų mokykla,55.9644,25.5912,40,reizi divas nedelas,,09:00,13:00,otrdiena ceturtdiena,obligati
,Juodupės seniūnija,56.0877,25.6112,120,katru nedelu,45,,,,
,Obeliai,55.9445,25.7904,15.5,reizi cetras nedelas,20,10:00,12:00,Pr,
,Pandėlys,56.0217,25.219,0,3,,,,Tr;Se,
ss,Šetekšnų kaimas,-12.5,-70.25,8,,15,,,svetdiena,
"""

VARIANTS = {
    "utf8": ENGLISH.encode("utf-8"),
    "utf8-bom": b"\xef\xbb\xbf" + ENGLISH.encode("utf-8"),
    "utf8-crlf": ENGLISH.replace("\n", "\r\n").encode("utf-8"),
    "cp1257-semicolon-decimal-comma": SEMICOLON.encode("cp1257"),
    "utf8-semicolon": SEMICOLON.encode("utf-8"),
    "lithuanian-cp1257": LITHUANIAN.encode("cp1257"),
    "lithuanian-utf8-bom": LITHUANIAN.encode("utf-8-sig"),
    "lithuanian-no-diacritics": LITHUANIAN_PLAIN.encode("utf-8"),
    "latvian-utf8": LATVIAN.encode("utf-8"),
    "latvian-cp1257": LATVIAN.encode("cp1257"),
    "latvian-no-diacritics": LATVIAN_PLAIN.encode("cp1257"),
    "tab-utf16": ENGLISH.replace(",", "\t").replace('"Wed\t Sat"', "Wed Sat").encode("utf-16"),
}


def _xlsx(rows: list[list[object]], *, title_rows: int = 0) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for _ in range(title_rows):
        sheet.append([])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _english_xlsx() -> bytes:
    """The English table as Excel holds it: typed numbers and times, then trailing junk."""
    header = ENGLISH.splitlines()[0].split(",")
    rows: list[list[object]] = [header + [None, "  "]]  # an unnamed trailing column
    rows += [
        ["kriaunos", "Kriaunų mokykla", 55.9644, 25.5912, 40, "fortnightly", None, time(9, 0), time(13, 0),
         "Tue;Thu", "must"],
        [None, " Juodupės seniūnija ", 56.0877, 25.6112, 120.0, "weekly", 45, None, None, None, None, None, ""],
        [None, "Obeliai", "55,9445", "25,7904", 15.5, "4-weekly", 20.0, "10:00", "12:00", "Mon"],
        [None, "Pandėlys", 56.0217, 25.219, 0, 3, None, None, None, "Wed Sat"],
        ["ss", "Šetekšnų kaimas", -12.5, -70.25, 8, None, 15, None, None, "Sun"],
        [],
        [None, None, None, None, None, None, None, None, None, None, None, None, "   "],  # trailing blank
    ]
    return _xlsx(rows)


def problems_of(call, *args, **kwargs) -> list[Problem]:
    with pytest.raises(InputError) as err:
        call(*args, **kwargs)
    return err.value.problems


# --- every spelling reads the same ---------------------------------------------


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_csv_variant_reads_the_same_stops(variant):
    assert read_stops_bytes(VARIANTS[variant], "stops.csv") == EXPECTED


def test_xlsx_with_typed_cells_and_trailing_empty_rows_and_columns_reads_the_same():
    assert read_stops_bytes(_english_xlsx(), "stops.xlsx") == EXPECTED


def test_read_stops_from_disk_picks_the_format_by_suffix(tmp_path):
    (tmp_path / "a.csv").write_bytes(VARIANTS["lithuanian-cp1257"])
    (tmp_path / "b.xlsx").write_bytes(_english_xlsx())
    assert read_stops(tmp_path / "a.csv") == EXPECTED
    assert read_stops(str(tmp_path / "b.xlsx")) == EXPECTED


def test_a_title_row_above_the_header_is_skipped_and_rows_keep_their_numbers():
    data = _xlsx([["Rokiškio bibliobuso stotelės"], [], ["name", "lat", "lon", "loans_per_visit"],
                  ["A", 55, 25, 10], ["B", 55, 25, "x"]])
    problems = problems_of(read_stops_bytes, data, "stops.xlsx")
    assert [(p.row, p.column, p.value) for p in problems] == [(5, "loans_per_visit", "x")]


def test_unknown_columns_are_ignored():
    text = "name,colour,lat,lon,loans_per_visit,notes\nA,red,55,25,10,call ahead\n"
    (stop,) = read_stops_bytes(text.encode(), "s.csv")
    assert (stop.id, stop.name, stop.lat, stop.lon) == ("a", "A", 55.0, 25.0)


def test_defaults_id_frequency_service_window_days_priority():
    (stop,) = read_stops_bytes("name,lat,lon,loans_per_visit\nKriaunų Mokykla Nr. 2,55,25,41\n".encode(), "s.csv")
    assert stop == Stop(id="kriaunu-mokykla-nr-2", name="Kriaunų Mokykla Nr. 2", lat=55.0, lon=25.0,
                        loans_per_visit=41.0, frequency=ONCE_PER_CYCLE, service_min=35)


# --- value spellings -------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", ONCE_PER_CYCLE),
        ("weekly", Frequency(period_weeks=1)),
        ("Every week", Frequency(period_weeks=1)),
        ("fortnightly", Frequency(period_weeks=2)),
        ("biweekly", Frequency(period_weeks=2)),
        ("every 2 weeks", Frequency(period_weeks=2)),
        ("4-weekly", Frequency(period_weeks=4)),
        ("every 4 weeks", Frequency(period_weeks=4)),
        ("Monthly", Frequency(period_weeks=4)),
        ("every 3 weeks", Frequency(period_weeks=3)),
        ("kas savaitę", Frequency(period_weeks=1)),
        ("kas savaite", Frequency(period_weeks=1)),
        ("KAS DVI SAVAITES", Frequency(period_weeks=2)),
        ("kas keturias savaites", Frequency(period_weeks=4)),
        ("katru nedēļu", Frequency(period_weeks=1)),
        ("katru nedelu", Frequency(period_weeks=1)),
        ("reizi divās nedēļās", Frequency(period_weeks=2)),
        ("reizi četrās nedēļās", Frequency(period_weeks=4)),
        ("reizi cetras nedelas", Frequency(period_weeks=4)),
        ("1", Frequency(visits=1)),
        ("6", Frequency(visits=6)),
    ],
)
def test_frequency_spellings(text, expected):
    assert parse_frequency(text) == expected


@pytest.mark.parametrize("text", ["0", "daily", "-1", "1.5", "every 0 weeks", "twice"])
def test_bad_frequencies(text):
    with pytest.raises(ValueError):
        parse_frequency(text)


@pytest.mark.parametrize(
    "text, language, expected",
    [
        ("Mon;Wed, Fri", None, ("Mon", "Wed", "Fri")),
        ("friday monday", None, ("Mon", "Fri")),
        ("Tue;Tue", None, ("Tue",)),
        ("Pr An Tr Kt Pn Št Sk", None, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")),
        ("Š;S", "lt", ("Sat", "Sun")),
        ("pirmadienis, šeštadienis, sekmadienis", None, ("Mon", "Sat", "Sun")),
        ("P O T C Pk S Sv", "lv", ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")),
        ("Pr;Ot;Tr;Ce;Pk;Se;Sv", None, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")),
        ("pirmdiena trešdiena svētdiena", None, ("Mon", "Wed", "Sun")),
        ("", None, ()),
    ],
)
def test_day_spellings(text, language, expected):
    assert parse_days(text, language) == expected


@pytest.mark.parametrize("text, language", [("S", None), ("T", None), ("T", "lt"), ("Funday", "lv")])
def test_ambiguous_or_unknown_days(text, language):
    with pytest.raises(ValueError):
        parse_days(text, language)


def test_slug():
    assert slugify("  Šetekšnų kaimas (II) ") == "seteksnu-kaimas-ii"
    assert slugify("Rīga, Līvāni!") == "riga-livani"


# --- bad rows -----------------------------------------------------------------------

BAD = """\
id,name,lat,lon,loans_per_visit,frequency,service_minutes,window_start,window_end,days,priority
ok,Fine stop,55,25,10,,,,,,
,,55,25,10,,,,,,
a,A,abc,25,10,,,,,,
b,B,95,25,10,,,,,,
c,C,55,200,10,,,,,,
d,D,,,10,,,,,,
e,E,55,25,,,,,,,
f,F,55,25,-3,,,,,,
g,G,55,25,10,daily,,,,,
h,H,55,25,10,0,,,,,
i,I,55,25,10,,0,,,,
j,J,55,25,10,,12.5,,,,

k,K,55,25,10,,,9,,,
l,L,55,25,10,,,,25:00,,
m,M,55,25,10,,,13:00,12:00,,
n,N,55,25,10,,30,12:00,12:20,,
o,O,55,25,10,,,,,Funday,
p,P,55,25,10,,,,,S,
q,Q,55,25,10,,,,,,maybe
ok,Again,55,25,10,,,,,,
depot,The depot,55,25,10,,,,,,
,Fine Stop,55,25,10,,,,,,
,fine stop,55,25,10,,,,,,
"""

# (row, column, value, a piece of the expected text)
BAD_EXPECTED = [
    (3, "name", "", "a stop name"),
    (4, "lat", "abc", "latitude in degrees, -90 to 90"),
    (5, "lat", "95", "latitude in degrees, -90 to 90"),
    (6, "lon", "200", "longitude in degrees, -180 to 180"),
    (7, "lat", "", "coordinates, or an address that can be geocoded"),
    (8, "loans_per_visit", "", "number of loans per visit, 0 to 1,000"),
    (9, "loans_per_visit", "-3", "number of loans per visit, 0 to 1,000"),
    (10, "frequency", "daily", "weekly, fortnightly, 4-weekly"),
    (11, "frequency", "0", "whole number of visits per cycle, 1 to 364"),
    (12, "service_minutes", "0", "whole minutes, 1 to 1,440"),
    (13, "service_minutes", "12.5", "whole minutes, 1 to 1,440"),
    # row 14 is blank: skipped, but counted
    (15, "window_start", "9", "a time of day HH:MM"),
    (16, "window_end", "25:00", "a time of day HH:MM"),
    (17, "window_end", "12:00", "a time after window_start 13:00"),
    (18, "window_end", "12:20", "at least 30 minutes"),
    (19, "days", "Funday", "weekdays such as Tue;Thu"),
    (20, "days", "S", "weekdays such as Tue;Thu"),
    (21, "priority", "maybe", "'must'"),
    (22, "id", "ok", "row 2 already has id 'ok'"),
    (23, "id", "depot", "an id other than 'depot'"),
    (25, "name", "fine-stop", "row 24 already has id 'fine-stop'"),
]


def test_every_bad_row_is_reported_at_once_with_file_row_column_value_expected(tmp_path):
    path = tmp_path / "bad stops.csv"
    path.write_text(BAD, encoding="utf-8")
    problems = problems_of(read_stops, path)
    assert {p.file for p in problems} == {str(path)}
    got = [(p.row, p.column, p.value) for p in problems]
    assert got == [(row, column, value) for row, column, value, _ in BAD_EXPECTED]
    for p, (_, _, _, expected) in zip(problems, BAD_EXPECTED):
        assert expected in p.expected, (p, expected)


def test_problems_name_the_column_as_the_file_spells_it():
    text = "Pavadinimas;Platuma;Ilguma;Skolinimai;Nuo;Iki\nA;55;25;-1;13:00;12:00\n"
    problems = problems_of(read_stops_bytes, text.encode("cp1257"), "lt.csv")
    assert [(p.file, p.row, p.column, p.value) for p in problems] == [
        ("lt.csv", 2, "Skolinimai", "-1"),
        ("lt.csv", 2, "Iki", "12:00"),
    ]
    assert "Nuo 13:00" in problems[1].expected


def test_bad_rows_in_xlsx_count_blank_rows_before_them():
    data = _xlsx([["name", "lat", "lon", "loans_per_visit"], [], [], ["A", 55, 25, "many"], ["B", 91, 25, 1]])
    problems = problems_of(read_stops_bytes, data, "upload.xlsx")
    assert [(p.file, p.row, p.column, p.value) for p in problems] == [
        ("upload.xlsx", 4, "loans_per_visit", "many"),
        ("upload.xlsx", 5, "lat", "91"),
    ]


def test_a_decimal_comma_in_a_comma_file_is_caught_not_misread():
    # "55,5" unquoted in a comma file shifts every value one column right.
    text = "name,lat,lon,loans_per_visit\nA,55,5,25,5,10\nB,55.5,25.5,10\n"
    problems = problems_of(read_stops_bytes, text.encode(), "s.csv")
    assert [(p.row, p.column, p.value) for p in problems] == [(2, "", "A | 55 | 5 | 25 | 5 | 10")]
    assert "row 2 has 6 fields where the header has 4" in problems[0].expected
    assert "decimal comma" in problems[0].expected


def test_duplicate_header_is_a_problem():
    text = "name,pavadinimas,lat,lon,loans_per_visit\nA,A,55,25,1\n"
    problems = problems_of(read_stops_bytes, text.encode(), "s.csv")
    assert [(p.row, p.column, p.value) for p in problems] == [(1, "pavadinimas", "pavadinimas")]


# --- missing columns and whole-file failures -------------------------------------------


def test_missing_required_column():
    text = "name,lat,lon\nA,55,25\n"
    problems = problems_of(read_stops_bytes, text.encode(), "s.csv")
    assert [(p.file, p.row, p.column, p.value) for p in problems] == [("s.csv", 1, "loans_per_visit", "")]
    assert "skolinimai" in problems[0].expected and "izsniegumi" in problems[0].expected


def test_missing_coordinates_columns_without_address():
    text = "name,loans_per_visit\nA,5\n"
    problems = problems_of(read_stops_bytes, text.encode(), "s.csv")
    assert [(p.row, p.column) for p in problems] == [(1, "lat"), (1, "lon")]


@pytest.mark.parametrize(
    "data, filename, expected",
    [
        (b"", "s.csv", "the file is empty"),
        (b"\n\n  \n", "s.csv", "the file is empty"),
        (b"name,lat,lon,loans_per_visit\n,,,\n", "s.csv", "at least one stop"),
        (b"Dear colleagues,\nplease find the stops attached.\n", "s.csv", "first row names the columns"),
        (b"this is not a workbook", "s.xlsx", ".xlsx"),
        (b"\xd0\xcf\x11\xe0 old excel", "s.xls", "CSV file or an Excel .xlsx"),
        (_xlsx([]), "s.xlsx", "no rows"),
    ],
)
def test_whole_file_failures_are_one_problem_without_row(data, filename, expected):
    problems = problems_of(read_stops_bytes, data, filename)
    assert len(problems) == 1
    assert (problems[0].file, problems[0].row) == (filename, None)
    assert expected in problems[0].expected


def test_missing_file(tmp_path):
    problems = problems_of(read_stops, tmp_path / "nope.csv")
    assert [(p.file, p.row) for p in problems] == [(str(tmp_path / "nope.csv"), None)]


# --- geocoding ---------------------------------------------------------------------------


class FakeGeocoder:
    """Knows a few addresses; remembers what it was asked."""

    def __init__(self, known: dict[str, tuple[float, float] | None]):
        self.known = known
        self.calls: list[str] = []

    def __call__(self, address: str) -> tuple[float, float] | None:
        self.calls.append(address)
        return self.known.get(address)


GEO = """\
name,lat,lon,address,loans_per_visit
Given,55.1,25.1,Somewhere 1,10
Looked up,,,Aušros g. 1,10
Same place,,,Aušros g. 1,10
"""


def test_geocoder_fills_missing_coordinates_once_per_address():
    geo = FakeGeocoder({"Aušros g. 1": (55.5, 25.5)})
    stops = read_stops_bytes(GEO.encode(), "s.csv", geocoder=geo)
    assert [(s.lat, s.lon, s.address) for s in stops] == [
        (55.1, 25.1, "Somewhere 1"), (55.5, 25.5, "Aušros g. 1"), (55.5, 25.5, "Aušros g. 1")
    ]
    assert geo.calls == ["Aušros g. 1"]  # given coordinates are never looked up


def test_address_only_table_without_coordinate_columns():
    geo = FakeGeocoder({"Kriaunos": (55.9, 25.6)})
    (stop,) = read_stops_bytes("pavadinimas;adresas;skolinimai\nK;Kriaunos;3\n".encode(), "s.csv", geocoder=geo)
    assert (stop.lat, stop.lon, stop.address) == (55.9, 25.6, "Kriaunos")


def test_geocoder_that_finds_nothing_is_a_problem_on_the_address():
    geo = FakeGeocoder({"Aušros g. 1": None})
    problems = problems_of(read_stops_bytes, GEO.encode(), "s.csv", geocoder=geo)
    nothing = "coordinates, or an address that can be geocoded (the geocoder found no place of that name)"
    assert [(p.row, p.column, p.value, p.expected) for p in problems] == [
        (3, "address", "Aušros g. 1", nothing),
        (4, "address", "Aušros g. 1", nothing),
    ]


def test_no_geocoder_is_a_problem_naming_the_address():
    problems = problems_of(read_stops_bytes, GEO.encode(), "s.csv")
    assert [(p.row, p.column, p.value) for p in problems] == [(3, "address", "Aušros g. 1"),
                                                               (4, "address", "Aušros g. 1")]
    assert all(p.expected.startswith("coordinates, or an address that can be geocoded") for p in problems)


def test_failing_geocoder_is_a_problem_not_a_crash():
    def geocoder(address):
        raise TimeoutError("service unavailable")

    problems = problems_of(read_stops_bytes, GEO.encode(), "s.csv", geocoder=geocoder)
    assert len(problems) == 2 and "service unavailable" in problems[0].expected


# --- writing ---------------------------------------------------------------------------


def test_write_stops_csv_reads_back_equal(tmp_path):
    stops = EXPECTED + (
        Stop(id="x", name='Quote "and", comma', lat=54.123456789012, lon=23.000000001, loans_per_visit=2.25,
             frequency=Frequency(period_weeks=3), service_min=12, window_start_min=7 * 60 + 5,
             window_end_min=8 * 60, days=("Mon", "Sun"), must=True, address="Laisvės al. 5, Kaunas"),
        Stop(id="pinned", name="Pinned", lat=55.0, lon=25.0, loans_per_visit=5, service_min=20,
             window_start_min=9 * 60, window_end_min=13 * 60, days=("Wed",), weeks=(1, 3), opens_min=10 * 60),
    )
    path = tmp_path / "out.csv"
    write_stops_csv(stops, path)
    assert path.read_text(encoding="utf-8").splitlines()[0] == (
        "id,name,lat,lon,address,loans_per_visit,frequency,service_minutes,window_start,window_end,days,weeks,opens,"
        "priority"
    )
    assert read_stops(path) == stops


@pytest.mark.parametrize(
    "weeks, opens, column, expected",
    [
        ("1;x", "", "weeks", "weeks of the cycle such as 1 or 1;3"),
        ("0", "", "weeks", "weeks of the cycle such as 1 or 1;3"),
        ("", "25:00", "opens", "a time of day HH:MM"),
        ("", "08:30", "opens", "a time within the stop's window 09:00-13:00"),
        ("", "12:50", "opens", "a time within the stop's window 09:00-13:00, 20 minutes (the visit) before its end"),
    ],
)
def test_a_pin_that_cannot_be_read_names_the_cell(weeks, opens, column, expected):
    text = ("name,lat,lon,loans_per_visit,service_minutes,window_start,window_end,weeks,opens\n"
            f"School,55.1,25.1,30,20,09:00,13:00,{weeks},{opens}\n")
    (problem,) = problems_of(read_stops_bytes, text.encode(), "s.csv")
    assert (problem.row, problem.column) == (2, column)
    assert problem.expected.startswith(expected)


def test_pins_read_in_lithuanian_and_latvian_headers():
    lt = "pavadinimas,platuma,ilguma,skolinimai,dienos,savaitės,atidaroma\nKamajai,55.8,25.5,20,Tr,2,10:30\n"
    lv = "nosaukums,platums,garums,izsniegumi,dienas,nedēļas,atver\nOgre,56.8,24.6,20,T,2,10:30\n"
    for text in (lt, lv):
        (s,) = read_stops_bytes(text.encode(), "s.csv")
        assert (s.days, s.weeks, s.opens_min) == (("Wed",), (2,), 10 * 60 + 30)


# --- limits: counted while reading, refused before the work ------------------------------
#
# Issue 9, points 3 and 4.  What is asserted is the work done (the row the
# reader stopped at, how many rows openpyxl parsed, the memory traced), not
# seconds: timing belongs to benchmarks/limits.py.

STOP_HEADER = "name,lat,lon,loans_per_visit\n"


def _stops_csv(n: int) -> bytes:
    return (STOP_HEADER + "".join(f"Stop {i},55.{i % 1000:03d},25.1,10\n" for i in range(n))).encode()


def _traced(call, *args):
    """(the InputError ``call`` raised, peak traced memory in MB)."""
    tracemalloc.start()
    try:
        with pytest.raises(InputError) as err:
            call(*args)
        return err.value, tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


@pytest.fixture
def parsed_rows(monkeypatch):
    """How many sheet rows openpyxl parses (in read-only mode or not)."""
    from openpyxl.worksheet._reader import WorkSheetParser

    count = [0]
    parse_row = WorkSheetParser.parse_row

    def counting(self, row):
        count[0] += 1
        return parse_row(self, row)

    monkeypatch.setattr(WorkSheetParser, "parse_row", counting)
    return count




def test_the_issues_xlsx_bomb_is_refused_by_its_unpacked_size_before_openpyxl_opens_it(monkeypatch):
    data = xlsx_bomb(300_000, TEN_CELLS)  # 300,000 rows x 10 cells, as in the issue
    assert len(data) < 250_000  # the issue's file was 195 kB
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.getinfo("xl/worksheets/sheet1.xml").file_size > 40_000_000

    def never(*_args, **_kwargs):
        raise AssertionError("openpyxl opened the bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    err, peak_mb = _traced(read_stops_bytes, data, "bomb.xlsx")
    (problem,) = err.problems
    assert (problem.file, problem.row) == ("bomb.xlsx", None)
    assert "xl/worksheets/sheet1.xml" in problem.value and "unpack to at most 32 MB" in problem.expected
    assert peak_mb < 100


def test_an_xlsx_past_the_stop_limit_is_read_only_up_to_the_first_stop_too_many(parsed_rows):
    data = xlsx_bomb(100_000, STOP_ROW)  # within the size limits: the row count must stop it
    err, peak_mb = _traced(read_stops_bytes, data, "many.xlsx")
    (problem,) = err.problems
    assert (problem.file, problem.row) == ("many.xlsx", 2002)
    assert "at most 2,000 stops" in problem.expected and "row 2,002 is stop 2,001" in problem.expected
    assert parsed_rows[0] <= 2002 + 1  # the header, 2,000 stops, the one too many (and no more)
    assert peak_mb < 100


def test_shared_strings_that_unpack_too_far_are_refused():
    strings = b"<sst>" + b"<si><t>abcdefgh</t></si>" * 400_000 + b"</sst>"  # ~10 MB unpacked
    data = xlsx_bomb(0, b"", part="xl/sharedStrings.xml", part_xml=strings)
    (problem,) = problems_of(read_stops_bytes, data, "s.xlsx")
    assert "xl/sharedStrings.xml" in problem.value and "unpack to at most 8 MB" in problem.expected


def test_a_10_mb_csv_of_bad_rows_is_refused_at_the_first_stop_too_many():
    row = b",abc,abc,-1\n"
    data = STOP_HEADER.encode() + row * ((10 * 1024 * 1024 - len(STOP_HEADER)) // len(row))
    assert len(data) > 10_000_000
    err, peak_mb = _traced(read_stops_bytes, data, "bad.csv")
    assert [(p.row, p.value) for p in err.problems] == [(2002, "stop 2,001")]
    assert err.total == 1 and "at most 2,000 stops" in str(err)
    assert peak_mb < 30  # the rows are streamed, never held


def test_every_bad_row_under_the_stop_limit_is_counted_but_only_the_first_hundred_listed():
    row = ",abc,abc,-1,daily\n"  # name, lat, lon, loans and frequency: five problems a row
    data = (STOP_HEADER.rstrip("\n") + ",frequency\n" + row * 2000).encode()
    err = problems_error(read_stops_bytes, data, "bad.csv")
    assert len(err.problems) == 100
    assert (err.total, err.omitted) == (10_000, 9_900)
    assert [p.row for p in err.problems[:6]] == [2, 2, 2, 2, 2, 3]
    assert str(err).startswith("10,000 problem(s) in the input:")
    assert str(err).endswith("... and 9,900 more problems")


def problems_error(call, *args, **kwargs) -> InputError:
    with pytest.raises(InputError) as err:
        call(*args, **kwargs)
    return err.value


def test_exactly_the_stop_limit_reads_and_one_more_is_refused_at_its_row():
    assert len(read_stops_bytes(_stops_csv(2000), "s.csv")) == 2000
    blank_rows = _stops_csv(2000).replace(b"Stop 7,", b"\n\nStop 7,")  # two blank rows: not stops
    assert len(read_stops_bytes(blank_rows, "s.csv")) == 2000
    problems = problems_of(read_stops_bytes, _stops_csv(2001), "s.csv")
    assert [(p.row, p.value) for p in problems] == [(2002, "stop 2,001")]
    problems = problems_of(read_stops_bytes, blank_rows.replace(b"Stop 9,", b"Stop 9,55,25,1\nStop 9b,"), "s.csv")
    assert [p.row for p in problems] == [2004]  # row numbers as the spreadsheet shows them


def test_blank_rows_count_towards_the_row_limit():
    data = _stops_csv(1) + b"\n" * 60_000 + b"Late,55,25,1\n"
    problems = problems_of(read_stops_bytes, data, "s.csv")
    assert [p.row for p in problems] == [50_001]
    assert "at most 50,000 rows, blank rows included" in problems[0].expected


def test_a_cell_longer_than_the_limit_is_a_problem_of_its_row_and_column():
    data = STOP_HEADER + "A,55,25,1\n" + "B" * 1001 + ",55,25,1\nC,55,25," + "9" * 2000 + "\n"
    problems = problems_of(read_stops_bytes, data.encode(), "s.csv")
    assert [(p.row, p.column, len(p.value) <= 60) for p in problems] == [(3, "name", True), (4, "loans_per_visit", True)]
    assert all(p.expected == "at most 1,000 characters" for p in problems)


def test_a_row_wider_than_the_column_limit_is_a_problem():
    wide = "A,55,25,1" + "," * 300 + "note\n"
    trailing = "B,55,25,1" + "," * 300 + "\n"  # empty cells past the limit: what some exports write
    problems = problems_of(read_stops_bytes, (STOP_HEADER + wide + trailing).encode(), "s.csv")
    assert [(p.row, p.value, p.expected) for p in problems] == [(2, "note", "at most 256 columns")]


@pytest.mark.parametrize(
    "column, value, expected",
    [
        ("frequency", "99999999999999999999", "visits per cycle, 1 to 364"),
        ("frequency", "365", "visits per cycle, 1 to 364"),
        ("frequency", "every 53 weeks", "every N weeks (1 to 52)"),
        ("loans_per_visit", "1e300", "a number of loans per visit, 0 to 1,000"),
        ("loans_per_visit", "1001", "a number of loans per visit, 0 to 1,000"),
        ("service_minutes", "1441", "whole minutes, 1 to 1,440"),
    ],
)
def test_every_number_of_a_stop_is_bounded(column, value, expected):
    if column == "loans_per_visit":
        text = f"name,lat,lon,loans_per_visit\nA,55,25,{value}\n"
    else:
        text = f"name,lat,lon,loans_per_visit,{column}\nA,55,25,1,{value}\n"
    problems = problems_of(read_stops_bytes, text.encode(), "s.csv")
    assert [(p.row, p.column, p.value) for p in problems] == [(2, column, value)]
    assert expected in problems[0].expected


@pytest.mark.parametrize("text, expected", [("364", Frequency(visits=364)), ("every 52 weeks", Frequency(period_weeks=52))])
def test_the_largest_frequencies_still_read(text, expected):
    assert parse_frequency(text) == expected


def test_a_stops_file_over_10_mb_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "huge.csv"
    with open(path, "wb") as fh:
        fh.write(STOP_HEADER.encode())
        fh.truncate(10 * 1024 * 1024 + 1)  # sparse: 10 MB on paper, nothing on disk
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("the whole file was read"))
    problems = problems_of(read_stops, path)
    assert [(p.file, p.row, p.value) for p in problems] == [(str(path), None, "10,485,761 bytes")]
    assert problems[0].expected == "a stops table of at most 10 MB"
