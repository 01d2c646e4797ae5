"""The scenario TOML reader: defaults, every bad key named at once, and a lossless round trip."""

from __future__ import annotations

import dataclasses
import tomllib
from datetime import date
from pathlib import Path

import pytest

from routeplanner.errors import InputError, Problem
from routeplanner.io import dump_scenario_toml, load_scenario, scenario_from_toml_text, write_stops_csv
from routeplanner.model import Cycle, Frequency, Place, SolverSettings, Stop, Travel, Vehicle

STOPS_CSV = """\
name,lat,lon,loans_per_visit,frequency,window_start,window_end,days,priority
Kriaunos,55.95,25.70,40,fortnightly,09:00,13:00,Tue;Thu,must
Juodupė,56.0877,25.6112,120,weekly,,,,
"""

MINIMAL = """\
name = "Rokiškis"
stops = "stops.csv"

[depot]
lat = 55.9644
lon = 25.5912

[[vehicles]]
"""

FULL = """\
name = "Rokiškis mobile library, autumn cycle"
stops = "stops.csv"                 # or .xlsx

[depot]
name = "Rokiškio Juozo Keliuočio viešoji biblioteka"
lat = 55.9644
lon = 25.5912

[cycle]
weeks = 2
days = ["Mon", "Tue", "Wed", "Thu", "Fri"]
start_date = "2026-11-30"

[[vehicles]]
name = "Bibliobusas"
capacity_books = 2500
shift_start = "08:00"
shift_end = "17:00"
break_minutes = 45
break_after_minutes = 270

[travel]
method = "haversine"
circuity = 1.35
speed_kmh = 45

[solver]
time_limit_s = 30
stable_minutes = 15
"""


def write(tmp_path: Path, toml: str, stops: str = STOPS_CSV) -> Path:
    (tmp_path / "stops.csv").write_text(stops, encoding="utf-8")
    path = tmp_path / "scenario.toml"
    path.write_text(toml, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(InputError) as err:
        load_scenario(path)
    return err.value.problems


def test_minimal_scenario_gets_every_default(tmp_path):
    path = write(tmp_path, MINIMAL)
    s = load_scenario(path)
    assert s.name == "Rokiškis"
    assert s.source == str(path)
    assert s.depot == Place("Depot", 55.9644, 25.5912)
    assert s.cycle == Cycle(weeks=1, days=("Mon", "Tue", "Wed", "Thu", "Fri"), start_date=None)
    assert s.vehicles == (Vehicle("Vehicle 1", 2500, 8 * 60, 17 * 60, 45, 270),)
    assert s.travel == Travel("haversine", 1.35, 45.0, None)
    assert s.solver == SolverSettings(time_limit_s=30.0, stable_minutes=15, work_limit=None)
    assert [st.id for st in s.stops] == ["kriaunos", "juodupe"]
    assert s.stops[0].frequency == Frequency(period_weeks=2) and s.stops[0].must


def test_the_contract_example_reads(tmp_path):
    s = load_scenario(write(tmp_path, FULL))
    assert s.cycle == Cycle(weeks=2, days=("Mon", "Tue", "Wed", "Thu", "Fri"), start_date=date(2026, 11, 30))
    assert s.depot.name == "Rokiškio Juozo Keliuočio viešoji biblioteka"
    assert s.vehicles[0].name == "Bibliobusas"


def test_options_beyond_the_example(tmp_path):
    (tmp_path / "legs.csv").write_text("from,to,km,minutes\n", encoding="utf-8")
    toml = MINIMAL + """
[[vehicles]]
name = "Second"
shift_start = 07:30:00

[cycle]
days = ["friday", "Mon"]
start_date = 2026-11-30

[travel]
method = "matrix"
matrix = "legs.csv"

[solver]
work_limit = 200
time_limit_s = 2.5
"""
    s = load_scenario(write(tmp_path, toml))
    assert [v.name for v in s.vehicles] == ["Vehicle 1", "Second"]
    assert s.vehicles[1].shift_start_min == 7 * 60 + 30
    assert s.cycle.days == ("Mon", "Fri")  # calendar order
    assert s.cycle.start_date == date(2026, 11, 30)
    assert s.travel.matrix == str((tmp_path / "legs.csv").resolve())
    assert Path(s.travel.matrix).is_absolute()
    assert s.solver == SolverSettings(time_limit_s=2.5, stable_minutes=15, work_limit=200)


# (old text in FULL, new text, dotted key, value shown, a piece of the expected text)
BAD_KEYS = [
    ('name = "Rokiškis mobile library, autumn cycle"', 'name = "R"\ncolour = "red"', "colour", "red", "known top-level key"),
    ('method = "haversine"', 'method = "haversine"\nspeed = 45', "travel.speed", "45", "one of the keys"),
    ("break_minutes = 45", "break_minutes = 45\ncolour = 1", "vehicles[1].colour", "1", "one of the keys"),
    ("weeks = 2", "weeks = 2\nlength = 3", "cycle.length", "3", "one of the keys"),
    ('name = "Rokiškis mobile library, autumn cycle"', "name = 5", "name", "5", "scenario's name"),
    ('name = "Rokiškis mobile library, autumn cycle"', 'name = ""', "name", "", "scenario's name"),
    ('stops = "stops.csv"                 # or .xlsx', "stops = 3", "stops", "3", "path of the stops table"),
    ('stops = "stops.csv"                 # or .xlsx', 'stops = "nope.csv"', "stops", "nope.csv", "does not exist"),
    ("weeks = 2", 'weeks = "2"', "cycle.weeks", "2", "1 to 52"),
    ("weeks = 2", "weeks = 0", "cycle.weeks", "0", "1 to 52"),
    ("weeks = 2", "weeks = 53", "cycle.weeks", "53", "1 to 52"),
    ("weeks = 2", "weeks = 2.0", "cycle.weeks", "2.0", "1 to 52"),
    ('days = ["Mon", "Tue", "Wed", "Thu", "Fri"]', 'days = "Mon"', "cycle.days", "Mon", "a list of weekdays"),
    ('days = ["Mon", "Tue", "Wed", "Thu", "Fri"]', "days = []", "cycle.days", "[]", "a list of weekdays"),
    ('days = ["Mon", "Tue", "Wed", "Thu", "Fri"]', 'days = ["Mon", "Funday"]', "cycle.days", "Funday", "a weekday"),
    ('days = ["Mon", "Tue", "Wed", "Thu", "Fri"]', 'days = ["Mon", "Tue", "mon"]', "cycle.days", "mon", "each weekday once"),
    ('start_date = "2026-11-30"', 'start_date = "2026-02-30"', "cycle.start_date", "2026-02-30", "YYYY-MM-DD"),
    ('start_date = "2026-11-30"', "start_date = 2026-11-30T08:00:00", "cycle.start_date", "2026-11-30 08:00:00", "YYYY-MM-DD"),
    ('start_date = "2026-11-30"', 'start_date = "2026-12-01"', "cycle.start_date", "2026-12-01", "a date that is a Mon"),
    ("capacity_books = 2500", "capacity_books = -1", "vehicles[1].capacity_books", "-1", "0 to 100,000"),
    ("capacity_books = 2500", "capacity_books = true", "vehicles[1].capacity_books", "true", "whole number of books"),
    ("capacity_books = 2500", "capacity_books = 2500.5", "vehicles[1].capacity_books", "2500.5", "whole number"),
    ('shift_start = "08:00"', 'shift_start = "8am"', "vehicles[1].shift_start", "8am", "HH:MM"),
    ('shift_end = "17:00"', 'shift_end = "07:00"', "vehicles[1].shift_end", "07:00", "a time after shift_start 08:00"),
    ('shift_end = "17:00"', 'shift_end = "08:00"', "vehicles[1].shift_end", "08:00", "a time after shift_start 08:00"),
    ('shift_end = "17:00"', "shift_end = 1700", "vehicles[1].shift_end", "1700", "HH:MM"),
    ("break_minutes = 45", "break_minutes = -5", "vehicles[1].break_minutes", "-5", "0 to 1,440"),
    ("break_after_minutes = 270", "break_after_minutes = 0", "vehicles[1].break_after_minutes", "0", "1 to 1,440"),
    ('method = "haversine"', 'method = "teleport"', "travel.method", "teleport", "haversine, geodesic, matrix"),
    ('method = "haversine"', 'method = "matrix"', "travel.matrix", "", 'required with method = "matrix"'),
    ('method = "haversine"', 'method = "matrix"\nmatrix = "legs.csv"', "travel.matrix", "legs.csv", "does not exist"),
    ('method = "haversine"', 'method = "osm"', "travel.osm_pbf", "", 'required with method = "osm"'),
    ('method = "haversine"', 'method = "osm"\nosm_pbf = "lt.osm.pbf"', "travel.osm_pbf", "lt.osm.pbf", "does not exist"),
    ('method = "haversine"', 'method = "osm"\nosm_pbf = 7', "travel.osm_pbf", "7", "OpenStreetMap extract"),
    ("speed_kmh = 45", "speed_kmh = 45\nsnap_m = 0", "travel.snap_m", "0", "1 to 10,000"),
    ('method = "haversine"', 'method = "osrm"', "travel.osrm_url", "", 'required with method = "osrm"'),
    ('method = "haversine"', 'method = "osrm"\nosrm_url = "localhost:5000"', "travel.osrm_url", "localhost:5000",
     "http://host:port"),
    ('method = "haversine"', 'method = "osrm"\nosrm_url = "http://x y"', "travel.osrm_url", "http://x y",
     "http://host:port"),
    ("speed_kmh = 45", "speed_kmh = 45\nosrm_max_table = 1", "travel.osrm_max_table", "1", "2 to 100,000"),
    ("circuity = 1.35", "circuity = 0.9", "travel.circuity", "0.9", "1 to 3"),
    ("circuity = 1.35", 'circuity = "1.35"', "travel.circuity", "1.35", "1 to 3"),
    ("speed_kmh = 45", "speed_kmh = 0", "travel.speed_kmh", "0", "1 to 200"),
    ("speed_kmh = 45", "speed_kmh = -45.5", "travel.speed_kmh", "-45.5", "1 to 200"),
    ("speed_kmh = 45", "speed_kmh = nan", "travel.speed_kmh", "nan", "1 to 200"),
    ("time_limit_s = 30", "time_limit_s = 0", "solver.time_limit_s", "0", "more than 0"),
    ("stable_minutes = 15", "stable_minutes = -1", "solver.stable_minutes", "-1", "0 to 1,440"),
    ("stable_minutes = 15", "stable_minutes = 15\nwork_limit = 0", "solver.work_limit", "0", "1 to 1,000,000"),
    ("stable_minutes = 15", 'stable_minutes = 15\nwork_limit = "lots"', "solver.work_limit", "lots", "whole number"),
    ("lat = 55.9644", "lat = 95.0", "depot.lat", "95.0", "-90 to 90"),
    ("lat = 55.9644", 'lat = "55.9644"', "depot.lat", "55.9644", "-90 to 90"),
    ("lat = 55.9644", "", "depot.lat", "", "(required)"),
    ("lon = 25.5912", "lon = -200", "depot.lon", "-200", "-180 to 180"),
    ('name = "Bibliobusas"', "name = 7", "vehicles[1].name", "7", "vehicle's name"),
]


@pytest.mark.parametrize("old, new, key, value, expected", BAD_KEYS, ids=[f"{c[2]}={c[1]!r}" for c in BAD_KEYS])
def test_every_kind_of_bad_key_is_named(tmp_path, old, new, key, value, expected):
    assert FULL.count(old) == 1
    path = write(tmp_path, FULL.replace(old, new))
    problems = problems_of(path)
    assert [(p.file, p.row, p.column, p.value) for p in problems] == [(str(path), None, key, value)]
    assert expected in problems[0].expected


@pytest.mark.parametrize(
    "toml, key",
    [
        (MINIMAL.replace('name = "Rokiškis"\n', ""), "name"),
        (MINIMAL.replace('stops = "stops.csv"\n', ""), "stops"),
        (MINIMAL.replace("[[vehicles]]\n", ""), "vehicles"),
        ('name = "x"\nstops = "stops.csv"\n[[vehicles]]\n', "depot"),
        ('name = "x"\nstops = "stops.csv"\ndepot = "home"\n[[vehicles]]\n', "depot"),
        ('vehicles = []\n' + MINIMAL.replace("[[vehicles]]\n", ""), "vehicles"),
        (MINIMAL.replace("[[vehicles]]\n", "[vehicles]\nname = 'one'\n"), "vehicles"),
        ('vehicles = [1]\n' + MINIMAL.replace("[[vehicles]]\n", ""), "vehicles[1]"),
        (MINIMAL + "[travel]\n[travel.extra]\n", "travel.extra"),
        (MINIMAL + "travel = 1\n", "vehicles[1].travel"),  # a key of the last [[vehicles]] table
    ],
)
def test_missing_or_misshapen_required_tables(tmp_path, toml, key):
    problems = problems_of(write(tmp_path, toml))
    assert [p.column for p in problems] == [key]


def test_all_problems_of_toml_and_stops_come_at_once(tmp_path):
    toml = FULL.replace("weeks = 2", "weeks = 0").replace('shift_end = "17:00"', 'shift_end = "07:00"')
    toml = toml.replace("speed_kmh = 45", "speed_kmh = 0") + """
[[vehicles]]
name = "Bibliobusas"
shift_end = "25:00"
"""
    stops = STOPS_CSV + "Bad,99,25,x,,,,,\n"
    path = write(tmp_path, toml, stops)
    problems = problems_of(path)
    stops_file = str(tmp_path / "stops.csv")
    assert [(p.file, p.row, p.column) for p in problems] == [
        (str(path), None, "cycle.weeks"),
        (str(path), None, "vehicles[1].shift_end"),
        (str(path), None, "vehicles[2].name"),
        (str(path), None, "vehicles[2].shift_end"),
        (str(path), None, "travel.speed_kmh"),
        (stops_file, 4, "lat"),
        (stops_file, 4, "loans_per_visit"),
    ]
    assert "vehicles[1] has it" in problems[2].expected


def test_toml_syntax_error_is_one_problem(tmp_path):
    path = write(tmp_path, 'name = "x\n')
    problems = problems_of(path)
    assert len(problems) == 1 and problems[0].file == str(path) and problems[0].expected == "a valid TOML file"
    assert "line 1" in problems[0].value


def test_missing_scenario_file(tmp_path):
    problems = problems_of(tmp_path / "nope.toml")
    assert [(p.file, p.row) for p in problems] == [(str(tmp_path / "nope.toml"), None)]


def test_scenario_from_text_with_uploaded_stops(tmp_path):
    upload = ("Rokiškio stotelės.csv", STOPS_CSV.replace("Tue;Thu", "Tue Thu").replace(",", ";").encode("cp1257"))
    s = scenario_from_toml_text(MINIMAL, base_dir=tmp_path, source_name="upload.toml", stops_upload=upload)
    assert s.source == "upload.toml" and len(s.stops) == 2
    bad = (upload[0], b"name;lat;lon;loans_per_visit\nA;55;25;-1\n")
    with pytest.raises(InputError) as err:
        scenario_from_toml_text(MINIMAL.replace("lat = 55.9644", "lat = 555"), base_dir=tmp_path,
                                source_name="upload.toml", stops_upload=bad)
    assert [(p.file, p.column) for p in err.value.problems] == [
        ("upload.toml", "depot.lat"), ("Rokiškio stotelės.csv", "loans_per_visit")
    ]


def test_geocoder_reaches_the_stops(tmp_path):
    stops = "name,address,loans_per_visit\nA,Aušros g. 1,5\n"
    s = load_scenario(write(tmp_path, MINIMAL, stops), geocoder=lambda a: (55.5, 25.5))
    assert (s.stops[0].lat, s.stops[0].lon) == (55.5, 25.5)


# --- round trip ------------------------------------------------------------------


def test_dump_then_load_gives_the_same_scenario(tmp_path):
    (tmp_path / "legs.csv").write_text("from,to,km,minutes\n", encoding="utf-8")
    original = load_scenario(write(tmp_path, MINIMAL))
    original = dataclasses.replace(
        original,
        name='Rokiškis "autumn"\tcycle \\ Ž',
        depot=Place("Biblioteka", 55.96441234567891, 25.5912),
        cycle=Cycle(weeks=4, days=("Tue", "Wed", "Sat"), start_date=date(2026, 12, 1)),
        vehicles=(
            Vehicle("Bibliobusas", 2500, 7 * 60 + 45, 16 * 60 + 15, 30, 240),
            Vehicle("Mažasis", 0, 9 * 60, 13 * 60, 0, 1),
        ),
        travel=Travel("matrix", 1.2000000000000002, 52.5, str((tmp_path / "legs.csv").resolve())),
        solver=SolverSettings(time_limit_s=0.5, stable_minutes=0, work_limit=1000),
        stops=original.stops + (
            Stop(id="x-1", name="Šventoji; \"quoted\", too", lat=-33.123456789, lon=151.0, loans_per_visit=2.75,
                 frequency=Frequency(period_weeks=4), service_min=17, window_start_min=0,
                 window_end_min=23 * 60 + 59, days=("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
                 must=True, address="Kopų g. 1, Šventoji"),
            Stop(id="x-2", name="Many visits", lat=0.0, lon=0.0, loans_per_visit=1e-05,
                 frequency=Frequency(visits=7), service_min=5, window_start_min=600),
        ),
    )
    out = tmp_path / "out"
    out.mkdir()
    write_stops_csv(original.stops, out / "my stops.csv")
    text = dump_scenario_toml(original, "my stops.csv")
    tomllib.loads(text)  # valid TOML on its own
    (out / "scenario.toml").write_text(text, encoding="utf-8")
    again = load_scenario(out / "scenario.toml")
    assert again == dataclasses.replace(original, source=str(out / "scenario.toml"))


def test_dump_writes_every_key_so_the_file_documents_itself(tmp_path):
    s = load_scenario(write(tmp_path, MINIMAL))
    data = tomllib.loads(dump_scenario_toml(s, "stops.csv"))
    assert data["vehicles"] == [{"name": "Vehicle 1", "capacity_books": 2500, "shift_start": "08:00",
                                 "shift_end": "17:00", "break_minutes": 45, "break_after_minutes": 270}]
    assert data["travel"] == {"method": "haversine", "circuity": 1.35, "speed_kmh": 45.0, "osrm_max_table": 100,
                              "snap_m": 500.0}
    assert data["solver"] == {"time_limit_s": 30.0, "stable_minutes": 15}
    assert data["cycle"] == {"weeks": 1, "days": ["Mon", "Tue", "Wed", "Thu", "Fri"]}


# --- bounds: a scenario is read only when it can be planned (issue 9, point 6) -------------

# (old text in FULL, new text, dotted key, value shown, a piece of the expected text)
BOUNDS = [
    ("time_limit_s = 30", "time_limit_s = 1e12", "solver.time_limit_s", "1000000000000.0",
     "seconds, more than 0 and at most 3,600"),
    ("time_limit_s = 30", "time_limit_s = 3600.5", "solver.time_limit_s", "3600.5", "at most 3,600"),
    ("stable_minutes = 15", "stable_minutes = 15\nwork_limit = 1000001", "solver.work_limit", "1000001",
     "a whole number of work units, 1 to 1,000,000"),
    ("stable_minutes = 15", "stable_minutes = 1441", "solver.stable_minutes", "1441", "whole minutes, 0 to 1,440"),
    ("capacity_books = 2500", "capacity_books = 100001", "vehicles[1].capacity_books", "100001",
     "a whole number of books, 0 to 100,000"),
    ("capacity_books = 2500", "capacity_books = 1e30", "vehicles[1].capacity_books", "1e+30", "0 to 100,000"),
    ("break_minutes = 45", "break_minutes = 1441", "vehicles[1].break_minutes", "1441", "whole minutes, 0 to 1,440"),
    ("break_after_minutes = 270", "break_after_minutes = 100000", "vehicles[1].break_after_minutes", "100000",
     "whole minutes of driving, 1 to 1,440"),
    ("speed_kmh = 45", "speed_kmh = 201", "travel.speed_kmh", "201", "an average speed in km/h, 1 to 200"),
    ("speed_kmh = 45", "speed_kmh = 1e-300", "travel.speed_kmh", "1e-300", "1 to 200"),
    ("circuity = 1.35", "circuity = 1e300", "travel.circuity", "1e+300", "road km per straight-line km, 1 to 3"),
]


@pytest.mark.parametrize("old, new, key, value, expected", BOUNDS, ids=[c[1].split("\n")[-1] for c in BOUNDS])
def test_every_number_of_the_scenario_is_bounded(tmp_path, old, new, key, value, expected):
    assert FULL.count(old) == 1
    path = write(tmp_path, FULL.replace(old, new))
    problems = problems_of(path)
    assert [(p.file, p.row, p.column, p.value) for p in problems] == [(str(path), None, key, value)]
    assert expected in problems[0].expected


def test_the_largest_values_within_the_bounds_still_read(tmp_path):
    toml = (FULL.replace("time_limit_s = 30", "time_limit_s = 3600\nwork_limit = 1000000")
            .replace("capacity_books = 2500", "capacity_books = 100000").replace("speed_kmh = 45", "speed_kmh = 200")
            .replace("circuity = 1.35", "circuity = 3").replace("stable_minutes = 15", "stable_minutes = 1440")
            .replace("break_after_minutes = 270", "break_after_minutes = 1440"))
    s = load_scenario(write(tmp_path, toml))
    assert (s.solver.time_limit_s, s.solver.work_limit, s.vehicles[0].capacity_books) == (3600, 1_000_000, 100_000)


def _vans(n: int) -> str:
    return "".join(f'[[vehicles]]\nname = "Van {i}"\n' for i in range(n))


def test_more_than_100_vehicles_are_one_problem(tmp_path):
    toml = MINIMAL.replace("[[vehicles]]\n", _vans(101))
    problems = problems_of(write(tmp_path, toml))
    assert [(p.column, p.value, p.expected) for p in problems] == [("vehicles", "101 vehicles", "at most 100 vehicles")]


def test_route_days_are_bounded_before_any_solve(tmp_path):
    # The issue: 300 vans x 52 weeks x 7 days grew a worker to 5 GB.  100 vans
    # are allowed, but not over 10 weeks of 7 days.
    days = '["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]'
    toml = MINIMAL.replace("[[vehicles]]\n", f"[cycle]\nweeks = 10\ndays = {days}\n\n" + _vans(100))
    path = write(tmp_path, toml, STOPS_CSV.replace("fortnightly", "weekly"))
    problems = problems_of(path)
    assert [(p.file, p.column, p.value) for p in problems] == [
        (str(path), "vehicles", "100 vehicles x 10 weeks x 7 days = 7,000 route-days")]
    assert "at most 5,000 route-days (vehicles x weeks x working days)" in problems[0].expected


@pytest.mark.parametrize(
    "vans, stops, visits, allowed",
    [(1, 6, "2,184", "2,000 with 1 vehicle(s)"), (5, 28, "10,192", "10,000 with 5 vehicle(s)")],
)
def test_visits_per_cycle_are_bounded_per_vehicle_and_in_all(tmp_path, vans, stops, visits, allowed):
    # 364 visits a cycle each (every day of a 52-week, 7-day cycle).
    rows = "".join(f"S{i},55.{i:02d},25.1,5,364\n" for i in range(stops))
    toml = MINIMAL.replace("[[vehicles]]\n", "[cycle]\nweeks = 52\n"
                           'days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]\n\n' + _vans(vans))
    problems = problems_of(write(tmp_path, toml, "name,lat,lon,loans_per_visit,frequency\n" + rows))
    assert [(p.file, p.column, p.value) for p in problems] == [
        (str(tmp_path / "stops.csv"), "frequency", f"{visits} visits in the 52-week cycle")]
    assert allowed in problems[0].expected


def test_a_scenario_file_over_1_mb_is_refused_before_it_is_read(tmp_path):
    path = write(tmp_path, FULL + "# " + "x" * (1024 * 1024) + "\n")
    problems = problems_of(path)
    assert [(p.file, p.row, p.expected) for p in problems] == [(str(path), None, "a scenario file of at most 1 MB")]


def test_toml_nested_too_deeply_is_a_problem_not_a_crash(tmp_path):
    path = write(tmp_path, FULL + "deep = " + "[" * 5000 + "]" * 5000 + "\n")
    problems = problems_of(path)
    assert [(p.file, p.column) for p in problems] == [(str(path), "")]
    assert "nested at most" in problems[0].expected


def test_stops_problems_past_the_listed_hundred_are_still_counted(tmp_path):
    rows = "".join(f"S{i},abc,25.1,-1\n" for i in range(150))  # two problems a row
    with pytest.raises(InputError) as err:
        load_scenario(write(tmp_path, FULL.replace("speed_kmh = 45", "speed_kmh = 0"),
                            "name,lat,lon,loans_per_visit\n" + rows))
    assert err.value.problems[0].column == "travel.speed_kmh"  # the scenario's own first
    assert (len(err.value.problems), err.value.total) == (100, 301)


def test_to_toml_writes_any_plain_data_so_that_toml_reads_the_same_back():
    import math
    import tomllib

    from routeplanner.io import to_toml

    data = {"name": 'a "quoted" name', "weird key": 1.5, "flag": True, "none": None,
            "depot": {"lat": 55.9, "lon": float("inf"), "skip": None}, "vehicles": [{"name": "V"}, {"name": "W"}],
            "days": ["Mon", None, "Tue"], "nested": {"inline": {"a": 1}}}
    back = tomllib.loads(to_toml(data))
    assert back["name"] == 'a "quoted" name' and back["weird key"] == 1.5 and back["flag"] is True
    assert "none" not in back and "skip" not in back["depot"] and math.isinf(back["depot"]["lon"])
    assert back["vehicles"] == [{"name": "V"}, {"name": "W"}] and back["days"] == ["Mon", "Tue"]
    assert back["nested"] == {"inline": {"a": 1}}


# --- [calendar]: country, time zone, last date, closed dates (issue 12) ------------------------------------


CALENDAR = MINIMAL.replace("[[vehicles]]", """\
[calendar]
country = "lv"
valid_until = 2027-06-30
closed = ["2026-12-31", {date = "2027-01-04", reason = "Stocktaking"}, {date = 2026-12-28, reason = ""}]

[[vehicles]]""")


def test_the_calendar_table_reads_with_closed_dates_in_date_order(tmp_path):
    from routeplanner.model import CalendarSettings, Closure

    s = load_scenario(write(tmp_path, CALENDAR))
    assert s.calendar == CalendarSettings(
        country="LV", timezone=None, valid_until=date(2027, 6, 30),
        closed=(Closure(date(2026, 12, 28)), Closure(date(2026, 12, 31)), Closure(date(2027, 1, 4), "Stocktaking")))


def test_without_a_calendar_table_there_is_no_country_and_no_closed_date(tmp_path):
    from routeplanner.model import CalendarSettings

    assert load_scenario(write(tmp_path, MINIMAL)).calendar == CalendarSettings()


@pytest.mark.parametrize("table, key, value, expected", [
    ('country = "XX"', "calendar.country", "XX", "country code"),
    ('country = "US"', "calendar.timezone", "", "required for country US"),
    ('timezone = "Mars/Olympus"', "calendar.timezone", "Mars/Olympus", "IANA time zone"),
    ('timezone = "/etc/passwd"', "calendar.timezone", "/etc/passwd", "IANA time zone"),
    ('valid_until = "soon"', "calendar.valid_until", "soon", "YYYY-MM-DD"),
    ('closed = "2026-12-24"', "calendar.closed", "2026-12-24", "a list of dates"),
    ('closed = ["24.12.2026"]', "calendar.closed[1]", "24.12.2026", "YYYY-MM-DD"),
    ('closed = [{date = "2026-12-24", why = "x"}]', "calendar.closed[1].why", "x", "one of the keys date, reason"),
    ('closed = [{reason = "x"}]', "calendar.closed[1].date", "", "YYYY-MM-DD"),
    ('closed = ["2026-12-24", 2026-12-24]', "calendar.closed[2]", "2026-12-24", "each date once"),
    ('holidays = true', "calendar.holidays", "true", "one of the keys country"),
])
def test_every_bad_calendar_key_is_named(tmp_path, table, key, value, expected):
    problems = problems_of(write(tmp_path, MINIMAL.replace("[[vehicles]]", f"[calendar]\n{table}\n\n[[vehicles]]")))
    assert [(p.column, p.value) for p in problems] == [(key, value)]
    assert expected in problems[0].expected


def test_the_calendar_survives_dump_and_load(tmp_path):
    s = load_scenario(write(tmp_path, CALENDAR.replace('country = "lv"', 'country = "LV"\ntimezone = "Europe/Riga"')))
    text = dump_scenario_toml(s, "stops.csv")
    assert "[calendar]" in text
    (tmp_path / "again.toml").write_text(text, encoding="utf-8")
    again = load_scenario(tmp_path / "again.toml")
    assert again.calendar == s.calendar and again.calendar.timezone == "Europe/Riga"


def test_the_calendar_survives_the_stored_form():
    from routeplanner.io.jsonform import scenario_from_dict, scenario_to_dict
    from routeplanner.model import CalendarSettings, Closure, Scenario

    s = Scenario("x", Place("D", 55.0, 25.0), (Vehicle("V", 10),), (), calendar=CalendarSettings(
        "LT", "Europe/Vilnius", date(2027, 5, 31), (Closure(date(2026, 12, 31), "Inventory"),)))
    assert scenario_from_dict(scenario_to_dict(s)) == s
    old = scenario_to_dict(s)
    del old["calendar"]  # stored before there was a calendar
    assert scenario_from_dict(old).calendar == CalendarSettings()


@pytest.mark.parametrize("travel_toml, expected", [
    ('method = "osm"\nosm_pbf = "maps/region.osm.pbf"\nsnap_m = 250',
     {"method": "osm", "osm_pbf": "maps/region.osm.pbf", "snap_m": 250.0}),
    ('method = "osrm"\nosrm_url = "http://127.0.0.1:5000/"\nosrm_max_table = 1000',
     {"method": "osrm", "osrm_url": "http://127.0.0.1:5000", "osrm_max_table": 1000}),
])
def test_road_methods_are_read_and_written_back(tmp_path, travel_toml, expected):
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "region.osm.pbf").write_bytes(b"")
    toml = FULL.replace('method = "haversine"', travel_toml)
    s = load_scenario(write(tmp_path, toml))
    for key, value in expected.items():
        want = str((tmp_path / value).resolve()) if key == "osm_pbf" else value
        assert getattr(s.travel, key) == want
    out = tmp_path / "out"
    out.mkdir()
    write_stops_csv(s.stops, out / "stops.csv")
    (out / "scenario.toml").write_text(dump_scenario_toml(s, "stops.csv"), encoding="utf-8")
    assert load_scenario(out / "scenario.toml").travel == s.travel
