"""The command line, run as a user runs it: ``python -m routeplanner`` in a subprocess.

Scenarios are written into tmp_path in the input contract's format
(``/work/shared/contracts/inputs.md``): a scenario TOML beside a stops CSV.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCENARIO_TOML = """\
name = "{name}"
stops = "stops.csv"

[depot]
name = "Bibliotekos kiemas"
lat = 55.0
lon = 25.0

[cycle]
weeks = 2
days = {days}
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
time_limit_s = 5
stable_minutes = 15
"""

HEADER = "id,name,lat,lon,loans_per_visit,frequency,service_minutes,window_start,window_end,days,priority\n"

SMALL_STOPS = HEADER + (
    "alpha,Alpha,55.05,25.10,20,weekly,,,,,\n"
    "bravo,Bravo,55.00,25.20,30,fortnightly,,,,,\n"
    "school,Mokykla,54.95,25.15,40,,45,09:00,12:00,Tue,\n"
    "charlie,Charlie,55.10,24.90,10,2,,,,,\n"
)
SMALL_NAMES = {"alpha": "Alpha", "bravo": "Bravo", "school": "Mokykla", "charlie": "Charlie"}


def medium_stops() -> str:
    """Fourteen stops around the depot, mixed frequencies: enough for the search to matter."""
    rows = []
    for i in range(14):
        lat = 55.0 + 0.03 * ((i * 5) % 7 - 3)
        lon = 25.0 + 0.04 * ((i * 3) % 9 - 4)
        freq = ["weekly", "fortnightly", "", "fortnightly"][i % 4]
        window = "09:00,13:00" if i == 5 else ","
        rows.append(f"s{i:02d},Kaimas {i},{lat:.4f},{lon:.4f},{8 + 3 * i},{freq},,{window},,\n")
    return HEADER + "".join(rows)


def write_scenario(folder: Path, stops_csv: str, *, name="CLI test", days='["Mon", "Tue"]') -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stops.csv").write_text(stops_csv, encoding="utf-8")
    path = folder / "scenario.toml"
    path.write_text(SCENARIO_TOML.format(name=name, days=days), encoding="utf-8")
    return path


def run_cli(*args, env_extra=None, timeout=120, memory_gb: float | None = None) -> subprocess.CompletedProcess:
    """``python -m routeplanner ARGS``; ``memory_gb`` caps its address space (a
    limit that failed would otherwise take the machine's memory with it)."""
    env = dict(os.environ)
    if env_extra:
        env.update(env_extra)

    def cap_memory():
        import resource

        size = int(memory_gb * 1024**3)
        resource.setrlimit(resource.RLIMIT_AS, (size, size))

    return subprocess.run(
        [sys.executable, "-m", "routeplanner", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=timeout,
        preexec_fn=cap_memory if memory_gb else None,
    )


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """One ``plan --json --csv`` run shared by the tests that read its output."""
    folder = tmp_path_factory.mktemp("plan")
    scenario = write_scenario(folder, SMALL_STOPS)
    out_json, out_csv = folder / "plan.json", folder / "visits.csv"
    result = run_cli("plan", scenario, "--json", out_json, "--csv", out_csv, "--time-limit", 2)
    return scenario, out_json, out_csv, result


def visits_of(doc: dict) -> list[dict]:
    return [dict(v, vehicle=r["vehicle"], week=r["week"], day=r["day"]) for r in doc["routes"] for v in r["visits"]]


def test_plan_prints_the_timetable_and_writes_json_and_csv(planned, validate_plan):
    _scenario, out_json, out_csv, result = planned
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "CLI test" in out
    assert "Cycle: 2 week(s), Mon Tue, from 2026-11-30" in out
    # A route-day's heading: its week, weekday, date and van (which days the solver uses is its choice).
    headings = re.findall(r"^Week ([12]) (Mon|Tue) (2026-\d\d-\d\d) — Bibliobusas — ", out, re.MULTILINE)
    assert headings
    dates = {("1", "Mon"): "2026-11-30", ("1", "Tue"): "2026-12-01", ("2", "Mon"): "2026-12-07",
             ("2", "Tue"): "2026-12-08"}
    assert all(dates[(week, day)] == date for week, day, date in headings)
    assert "Timetable by stop" in out and "Totals" in out
    assert "Stops served: 4 of 4" in out
    for name in SMALL_NAMES.values():
        assert name in out
    assert "Traceback" not in result.stderr

    doc = json.loads(out_json.read_text(encoding="utf-8"))
    assert validate_plan(doc) == []
    assert doc["scenario"] == "CLI test"
    assert doc["unserved"] == []
    visits = visits_of(doc)
    # weekly 2 + fortnightly 1 + once 1 + twice 2
    counts = {sid: sum(v["stop_id"] == sid for v in visits) for sid in SMALL_NAMES}
    assert counts == {"alpha": 2, "bravo": 1, "school": 1, "charlie": 2}
    assert doc["totals"]["visits"] == len(visits) == 6
    (school,) = [v for v in visits if v["stop_id"] == "school"]
    assert school["day"] == "Tue" and "09:00" <= school["arrival"] and school["departure"] <= "12:00"

    with open(out_csv, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(visits)
    assert sorted((int(r["week"]), r["day"], r["stop_id"], r["arrival"], r["departure"]) for r in rows) == sorted(
        (v["week"], v["day"], v["stop_id"], v["arrival"], v["departure"]) for v in visits
    )
    assert {r["name"] for r in rows} == set(SMALL_NAMES.values())
    assert all(r["vehicle"] == "Bibliobusas" and r["date"].startswith("2026-") for r in rows)


def test_check_on_the_planned_json_is_ok(planned):
    scenario, out_json, _csv, result = planned
    assert result.returncode == 0, result.stderr
    check = run_cli("check", scenario, out_json)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Plan check: OK" in check.stdout
    assert "Stops served: 4 of 4" in check.stdout


def tamper(planned, tmp_path, edit) -> subprocess.CompletedProcess:
    scenario, out_json, _csv, result = planned
    assert result.returncode == 0, result.stderr
    doc = json.loads(out_json.read_text(encoding="utf-8"))
    edit(doc)
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return run_cli("check", scenario, bad)


def test_check_names_an_arrival_moved_outside_the_window(planned, tmp_path):
    def move_school(doc):
        (school,) = [v for r in doc["routes"] for v in r["visits"] if v["stop_id"] == "school"]
        school["arrival"], school["departure"] = "11:40", "12:25"

    check = tamper(planned, tmp_path, move_school)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "violation(s)" in check.stdout
    assert "[window]" in check.stdout
    assert "Mokykla closes 12:25, after its window ends (12:00)" in check.stdout


def test_check_names_a_removed_visit(planned, tmp_path):
    def drop_one_alpha(doc):
        for r in doc["routes"]:
            keep = [v for v in r["visits"] if v["stop_id"] != "alpha"]
            if len(keep) < len(r["visits"]):
                r["visits"] = keep
                return
        raise AssertionError("no visit to alpha in the plan")

    check = tamper(planned, tmp_path, drop_one_alpha)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "[frequency]" in check.stdout
    assert "Alpha (weekly) gets 1 visit(s) in the cycle; it needs 2." in check.stdout


def test_check_on_malformed_json_is_bad_input(planned, tmp_path):
    scenario = planned[0]
    broken = tmp_path / "broken.json"
    broken.write_text('{"scenario": "x", ', encoding="utf-8")
    check = run_cli("check", scenario, broken)
    assert check.returncode == 2
    assert "broken.json" in check.stderr and "valid JSON" in check.stderr
    assert "Traceback" not in check.stderr


def test_bad_stops_file_is_refused_with_file_row_column_and_value(tmp_path):
    stops = SMALL_STOPS.replace("bravo,Bravo,55.00,25.20,30", "bravo,Bravo,55.00,abc,30").replace(
        "charlie,Charlie,55.10,24.90,10,2", "charlie,Charlie,55.10,24.90,-5,2"
    )
    scenario = write_scenario(tmp_path, stops)
    out_json = tmp_path / "plan.json"
    result = run_cli("plan", scenario, "--json", out_json, "--time-limit", 1)
    assert result.returncode == 2, result.stdout + result.stderr
    err = result.stderr
    assert "Traceback" not in err
    assert "2 problem(s)" in err  # every problem at once
    lines = err.splitlines()
    (lon_line,) = [ln for ln in lines if "'abc'" in ln]
    assert "stops.csv" in lon_line and "row 3" in lon_line and "column 'lon'" in lon_line
    (loans_line,) = [ln for ln in lines if "'-5'" in ln]
    assert "stops.csv" in loans_line and "row 5" in loans_line and "column 'loans_per_visit'" in loans_line
    assert not out_json.exists(), "nothing is written for refused input"
    assert "Timetable by stop" not in result.stdout


def test_reproducible_plans_are_identical_across_hash_seeds(tmp_path):
    scenario = write_scenario(tmp_path, medium_stops(), name="Reproducible", days='["Mon", "Tue", "Wed"]')
    docs, texts = [], []
    for seed in ("1", "987654"):
        out = tmp_path / f"plan-{seed}.json"
        result = run_cli("plan", scenario, "--json", out, "--reproducible", 200, "--quiet",
                         env_extra={"PYTHONHASHSEED": seed})
        assert result.returncode == 0, result.stderr
        doc = json.loads(out.read_text(encoding="utf-8"))
        docs.append(doc)
        info = doc.pop("solver")
        assert info["work_limit"] == 200 and info["stopped_by"] == "work limit"
        texts.append(json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8"))
    assert texts[0] == texts[1]
    assert sum(len(r["visits"]) for r in docs[0]["routes"]) > 10, "a plan worth comparing"


def test_help_works():
    result = run_cli("--help")
    assert result.returncode == 0
    assert "plan" in result.stdout and "check" in result.stdout
    plan_help = run_cli("plan", "--help")
    assert plan_help.returncode == 0
    assert "--reproducible" in plan_help.stdout and "--time-limit" in plan_help.stdout


@pytest.mark.parametrize("value", ["0", "-3"])
def test_time_limit_must_be_positive(tmp_path, value):
    scenario = write_scenario(tmp_path, SMALL_STOPS)
    result = run_cli("plan", scenario, f"--time-limit={value}")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "--time-limit" in result.stderr and "> 0" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_scenario_file_is_bad_input(tmp_path):
    result = run_cli("plan", tmp_path / "nope.toml", "--time-limit", 1)
    assert result.returncode == 2
    assert "nope.toml" in result.stderr
    assert "Traceback" not in result.stderr


# --- limits: refused before the work, with a message and exit 2 (issue 9, point 10) -------


def assert_refused(result: subprocess.CompletedProcess, *pieces: str) -> str:
    """Exit 2, every piece in the message, no traceback, no MemoryError."""
    assert result.returncode == 2, result.stdout + result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr
    for piece in pieces:
        assert piece in result.stderr, (piece, result.stderr[-3000:])
    return result.stderr


def test_ten_thousand_stops_are_refused_at_the_first_stop_too_many(tmp_path):
    # Today's code: MemoryError after 7.8 GB.
    rows = "".join(f"s{i},Stop {i},55.{i % 997:03d},25.{i % 991:03d},10,,,,,,\n" for i in range(10_000))
    scenario = write_scenario(tmp_path, HEADER + rows)
    result = run_cli("plan", scenario, "--time-limit", 1, memory_gb=4)
    err = assert_refused(result, "row 2002", "at most 2,000 stops", "row 2,002 is stop 2,001")
    assert "1 problem(s)" in err


def test_a_million_rows_are_refused_without_reading_them_all(tmp_path):
    # Today's code: tries to allocate 7 TiB.  A million short rows: 10 MB, within the size limit.
    folder = tmp_path / "million"
    scenario = write_scenario(folder, "name,lat,lon,loans_per_visit\n")
    with open(folder / "stops.csv", "a", encoding="utf-8") as fh:
        fh.write("X,55,25,1\n" * 1_000_000)
    assert (folder / "stops.csv").stat().st_size < 10 * 1024 * 1024
    result = run_cli("plan", scenario, "--time-limit", 1, memory_gb=4)
    assert_refused(result, "row 2002", "at most 2,000 stops")


def test_a_stops_file_over_10_mb_is_refused_by_its_size(tmp_path):
    scenario = write_scenario(tmp_path, SMALL_STOPS)
    with open(tmp_path / "stops.csv", "r+b") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: large on paper, nothing on disk
    result = run_cli("plan", scenario, "--time-limit", 1, memory_gb=4)
    assert_refused(result, "stops.csv", "52,428,800 bytes", "a stops table of at most 10 MB")


@pytest.mark.parametrize(
    "option, value, expected",
    [("--time-limit", "1e12", "at most 3,600"), ("--time-limit", "nan", "at most 3,600"),
     ("--reproducible", "10000000", "at most 1,000,000")],
)
def test_solver_limits_given_on_the_command_line_are_bounded(tmp_path, option, value, expected):
    scenario = write_scenario(tmp_path, SMALL_STOPS)
    assert_refused(run_cli("plan", scenario, f"{option}={value}"), option, expected)


def test_a_time_limit_in_the_scenario_is_bounded_like_one_on_the_command_line(tmp_path):
    scenario = write_scenario(tmp_path, SMALL_STOPS)
    scenario.write_text(scenario.read_text(encoding="utf-8").replace("time_limit_s = 5", "time_limit_s = 1e12"),
                        encoding="utf-8")
    assert_refused(run_cli("plan", scenario), "solver.time_limit_s", "1000000000000.0", "at most 3,600")


def test_more_problems_than_listed_end_with_how_many_more(tmp_path):
    rows = "".join(f"s{i},Stop {i},abc,25.1,-1,,,,,,\n" for i in range(150))  # two problems a row
    scenario = write_scenario(tmp_path, HEADER + rows)
    err = assert_refused(run_cli("plan", scenario, "--time-limit", 1), "300 problem(s)",
                         "... and 200 more problems")
    assert err.count(" - ") == 100


def test_a_travel_matrix_of_bad_rows_lists_the_first_hundred(tmp_path):
    scenario = write_scenario(tmp_path, SMALL_STOPS)
    (tmp_path / "legs.csv").write_text("from,to,km,minutes\n" + "a,b,x,-1\n" * 5000, encoding="utf-8")
    text = scenario.read_text(encoding="utf-8").replace('method = "haversine"', 'method = "matrix"\nmatrix = "legs.csv"')
    scenario.write_text(text, encoding="utf-8")
    err = assert_refused(run_cli("plan", scenario, "--time-limit", 1), "10,000 problem(s)",
                         "... and 9,900 more problems")
    assert err.count(" - ") == 100


def test_a_travel_matrix_over_its_size_limit_is_refused_before_it_is_read(tmp_path):
    scenario = write_scenario(tmp_path, SMALL_STOPS)
    with open(tmp_path / "legs.csv", "wb") as fh:
        fh.write(b"from,to,km,minutes\n")
        fh.truncate(300 * 1024 * 1024)
    text = scenario.read_text(encoding="utf-8").replace('method = "haversine"', 'method = "matrix"\nmatrix = "legs.csv"')
    scenario.write_text(text, encoding="utf-8")
    assert_refused(run_cli("plan", scenario, "--time-limit", 1, memory_gb=4), "legs.csv",
                   "a travel matrix of at most 256 MB")


def test_check_refuses_a_plan_file_over_its_size_limit(planned, tmp_path):
    scenario = planned[0]
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as fh:
        fh.write(b"{")
        fh.truncate(40 * 1024 * 1024)
    assert_refused(run_cli("check", scenario, huge, memory_gb=4), "huge.json", "a plan JSON file of at most 32 MB")


def test_check_refuses_a_plan_nested_too_deeply(planned, tmp_path):
    scenario = planned[0]
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert_refused(run_cli("check", scenario, deep), "deep.json", "nested at most 32 levels deep")


def test_names_never_reach_the_terminal_as_control_sequences(tmp_path):
    """ESC [31m, BEL and U+202E in names are refused as bad input, and the message shows them as escapes."""
    stops = SMALL_STOPS.replace("Alpha", "Red\x1b[31m bell\x07").replace("Bravo", "\u202eexe.txt")
    scenario = write_scenario(tmp_path, stops, name="Scenario \\u001b[2J")
    result = run_cli("plan", scenario, "--time-limit", 1)
    assert result.returncode == 2, result.stdout + result.stderr
    for raw in ("\x1b", "\x07", "\u202e"):
        assert raw not in result.stdout + result.stderr
    assert result.stderr.count("text without control characters") == 3, result.stderr
    assert "Traceback" not in result.stderr


def test_plan_json_publishes_windows_and_check_names_one_the_van_is_not_there_for(planned, tmp_path):
    _scenario, out_json, _csv, result = planned
    doc = json.loads(out_json.read_text(encoding="utf-8"))
    published = doc["timetable"] + doc["timetable_unpublished"]
    assert sorted(e["stop_id"] for e in published) == sorted(SMALL_NAMES)
    for e in doc["timetable"]:
        assert int(e["opens"][-2:]) % 5 == 0 and int(e["closes"][-2:]) % 5 == 0
        assert f"{SMALL_NAMES[e['stop_id']]} — {e['text']}" in result.stdout  # the terminal prints the same line

    def open_earlier(doc):
        entry = doc["timetable"][0]
        first = min(v["arrival"] for v in visits_of(doc) if v["stop_id"] == entry["stop_id"])
        h, m = divmod(int(first[:2]) * 60 + int(first[3:]) - 5 - int(first[3:]) % 5, 60)
        entry["opens"] = f"{h:02d}:{m:02d}"  # a 5-minute step before the van is there

    check = tamper(planned, tmp_path, open_earlier)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "[timetable-window]" in check.stdout


# --- today's timetable and the exports (issue 14) ------------------------------------------------


def test_export_writes_every_format_and_the_workbook_imports_back_as_the_plan(planned, tmp_path):
    scenario, out_json, _csv, result = planned
    assert result.returncode == 0, result.stderr
    for ext in ("xlsx", "csv", "geojson", "gpx", "pdf"):
        done = run_cli("export", scenario, out_json, tmp_path / f"plan.{ext}")
        assert done.returncode == 0, done.stderr
        assert (tmp_path / f"plan.{ext}").stat().st_size > 0
    back = run_cli("import-timetable", scenario, tmp_path / "plan.xlsx", "-o", tmp_path / "again.json")
    assert back.returncode == 0, back.stderr
    original, again = (json.loads(p.read_text(encoding="utf-8")) for p in (out_json, tmp_path / "again.json"))

    def shape(doc):
        return sorted((r["vehicle"], r["week"], r["day"], [(v["stop_id"], v["arrival"], v["departure"])
                                                           for v in r["visits"]]) for r in doc["routes"] if r["visits"])

    assert shape(again) == shape(original)
    assert run_cli("check", scenario, tmp_path / "again.json").returncode == 0


def test_export_refuses_an_unknown_extension_before_reading_anything(tmp_path):
    done = run_cli("export", tmp_path / "missing.toml", tmp_path / "missing.json", tmp_path / "plan.docx")
    assert done.returncode == 2
    assert "'.docx'" in done.stderr and ".gpx" in done.stderr
    assert not (tmp_path / "plan.docx").exists()


def test_import_timetable_lists_every_problem_and_writes_nothing(tmp_path):
    scenario = write_scenario(tmp_path, SMALL_STOPS)
    (tmp_path / "today.csv").write_text(
        "vehicle;day;weeks;stop;arrival;departure\n"
        "Bibliobusas;Pr;1;Alpha;9:00;9:30\n"
        "Bibliobusas;Pr;1;Nowhere;10:00;10:30\n"
        "Bus;An;1;Bravo;10:00;10:30\n"
        "Bibliobusas;An;1;Mokykla;11:00;10:30\n", encoding="utf-8")
    done = run_cli("import-timetable", scenario, tmp_path / "today.csv", "-o", tmp_path / "plan.json")
    assert done.returncode == 2
    for where in ("row 3, column 'stop': got 'Nowhere'", "row 4, column 'vehicle': got 'Bus'",
                  "row 5, column 'departure': got '10:30'"):
        assert where in done.stderr
    assert not (tmp_path / "plan.json").exists()
