"""The timetable reader: the stops table's locales, the UK layouts, every bad row named at once."""

from __future__ import annotations

import io
from datetime import date, datetime, time

import openpyxl
import pytest

from routeplanner.io.timetable import parse_clock, parse_period, read_timetable_bytes

ENGLISH = """\
vehicle,day,weeks,frequency,date,stop_id,stop,lat,lon,arrival,departure
Bibliobusas,Tue,1;2,,,kamajai,Kamajai,,,10:00,10:45
Bibliobusas,Tuesday,,fortnightly,2026-12-08,,Obeliai,,,11:05,11:40
,Wed,,,,,,55.9445,25.7904,9.40,1030
"""

# The same rows as a Lithuanian spreadsheet writes them: semicolons, decimal commas,
# Lithuanian headers and words, Windows-1257.
LITHUANIAN = """\
Transportas;Savaitės diena;Savaitės;Dažnumas;Data;Stotelės id;Stotelė;Platuma;Ilguma;Atvykimas;Išvykimas
Bibliobusas;An;1 2;;;kamajai;Kamajai;;;10:00;10:45
Bibliobusas;Antradienis;;kas dvi savaites;2026-12-08;;Obeliai;;;11:05;11:40
;Tr;;;;;;55,9445;25,7904;9.40;1030
"""

LATVIAN = """\
Bibliobuss;Nedēļas diena;Nedēļas;Biežums;Datums;Pieturas id;Pietura;Platums;Garums;Ierašanās;Aizbraukšana
Bibliobusas;O;1,2;;;kamajai;Kamajai;;;10:00;10:45
Bibliobusas;Otrdiena;;reizi divās nedēļās;08.12.2026;;Obeliai;;;11:05;11:40
;T;;;;;;55,9445;25,7904;9.40;1030
"""


def _xlsx() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Vehicle", "Day", "Weeks", "Frequency", "Date", "Stop_id", "Stop", "Lat", "Lon", "Arrival",
                  "Departure"])
    sheet.append(["Bibliobusas", "Tue", "1;2", None, None, "kamajai", "Kamajai", None, None, time(10, 0),
                  time(10, 45)])
    sheet.append(["Bibliobusas", "Tue", None, 2, datetime(2026, 12, 8), None, "Obeliai", None, None, "11:05",
                  time(11, 40)])
    sheet.append([None, "Wed", None, None, None, None, None, 55.9445, 25.7904, "9.40", 1030])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("name,data", [
    ("timetable.csv", ENGLISH.encode()),
    ("tvarkarastis.csv", LITHUANIAN.encode("cp1257")),
    ("saraksts.csv", LATVIAN.encode("utf-8-sig")),
    ("timetable.xlsx", _xlsx()),
])
def test_every_locale_reads_the_same_rows(name, data):
    t = read_timetable_bytes(data, name)
    assert t.problems == []
    got = [(r.line, r.vehicle, r.day, r.weeks, r.period_weeks, r.date, r.stop_id, r.name, r.lat, r.lon,
            r.arrival_min, r.departure_min) for r in t.rows]
    assert got == [
        (2, "Bibliobusas", "Tue", (1, 2), None, None, "kamajai", "Kamajai", None, None, 600, 645),
        (3, "Bibliobusas", "Tue", (), 2, date(2026, 12, 8), "", "Obeliai", None, None, 665, 700),
        (4, "", "Wed", (), None, None, "", "", 55.9445, 25.7904, 580, 630),
    ]


def test_every_problem_is_listed_with_row_column_value_and_nothing_is_kept_of_a_bad_row():
    data = """\
day,stop,arrival,departure,frequency,weeks
Mon,Kamajai,10:00,10:45,,
Funday,Obeliai,25:00,10:45,,
Tue,,11:00,10:00,every 3 months,
Wed,Rokiškis,10:00,11:00,,1;x
""".encode()
    t = read_timetable_bytes(data, "t.csv")
    assert [r.line for r in t.rows] == [2]
    found = {(p.row, p.column, p.value) for p in t.problems}
    assert found == {
        (3, "day", "Funday"), (3, "arrival", "25:00"),
        (4, "stop", ""), (4, "departure", "10:00"), (4, "frequency", "every 3 months"),
        (5, "weeks", "1;x"),
    }
    assert all(p.file == "t.csv" and p.expected for p in t.problems)


def test_likely_readings_are_notes_not_silent():
    data = "day,stop,arrival,departure,frequency,date\nMon,A,14:5,15:00,Monthly,2026-12-08\n".encode()
    t = read_timetable_bytes(data, "t.csv")
    assert t.problems == []
    assert t.rows[0].arrival_min == 14 * 60 + 50 and t.rows[0].period_weeks == 4
    assert t.rows[0].date is None  # 8 Dec 2026 is a Tuesday, the row says Monday
    notes = {(n.row, n.column): n.note for n in t.notes}
    assert "14:50" in notes[(2, "arrival")]
    assert "every 4 weeks" in notes[(2, "frequency")]
    assert "Tue" in notes[(2, "date")]


def test_a_file_without_a_timetable_header_is_one_problem():
    t = read_timetable_bytes(b"name,lat,lon\nA,55,25\n", "stops.csv")
    assert t.rows == [] and len(t.problems) == 1
    assert "day" in t.problems[0].expected and t.problems[0].value == "name, lat, lon"


def test_a_damaged_workbook_is_one_problem_not_a_traceback():
    t = read_timetable_bytes(b"PK\x03\x04 not really a zip", "t.xlsx")
    assert t.rows == [] and len(t.problems) == 1 and "xlsx" in t.problems[0].expected


@pytest.mark.parametrize("text,minutes", [
    ("10:30", 630), ("9.40", 580), ("09:40:00", 580), ("1030", 630), ("930", 570), ("10", 600), ("2:15pm", 855),
])
def test_published_times(text, minutes):
    assert parse_clock(text)[0] == minutes


@pytest.mark.parametrize("text,weeks", [
    ("2", 2), ("fortnightly", 2), ("kas keturias savaites", 4), ("FREQ=WEEKLY;INTERVAL=2", 2),
    ("RRULE:FREQ=WEEKLY", 1), ("FREQ=MONTHLY", 4), ("reizi divās nedēļās", 2),
])
def test_periods(text, weeks):
    assert parse_period(text)[0] == weeks


@pytest.mark.parametrize("text", ["3 per cycle", "1.5", "FREQ=DAILY", "0", "FREQ=WEEKLY;INTERVAL=99999"])
def test_not_periods(text):
    with pytest.raises(ValueError):
        parse_period(text)
