"""routeplanner.datachecks: the warnings before planning, each on a file made for it, none on the samples.

The files are the Rokiškis sample with one thing made wrong, as a coordinator's
spreadsheet gets it wrong: swapped coordinates, a wrong sign, a copied row, a
decimal comma in a comma-separated file, a row cut short, fortnightly stops in
a 1-week cycle, more loans than the van carries.  Each warning must name the
row (as the spreadsheet numbers it), the value and why; the samples themselves
must stay quiet, or the warnings would be noise nobody reads.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from routeplanner.datachecks import (
    CAPACITY,
    DEPOT,
    FAR_AWAY,
    FIELD_COUNT,
    FREQUENCY,
    SAME_SPOT,
    ImportNotes,
    check_scenario,
    rows_in_order,
    stops_area,
)
from routeplanner.errors import InputError
from routeplanner.io import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = {"rokiskis": ROOT / "data" / "rokiskis", "ogre": ROOT / "data" / "ogre"}


def checked(path: Path):
    notes = ImportNotes()
    scenario = load_scenario(path, notes=notes)
    return scenario, check_scenario(scenario, notes)


def sample_copy(tmp_path: Path, edit=None, toml=None, sample: str = "rokiskis") -> Path:
    """The sample's scenario and stops in ``tmp_path``; ``edit(lines)`` changes the stops' lines
    (lines[0] is the header, row 1), ``toml(text)`` the scenario's text."""
    folder = SAMPLES[sample]
    text = (folder / "scenario.toml").read_text(encoding="utf-8")
    (tmp_path / "scenario.toml").write_text(toml(text) if toml else text, encoding="utf-8")
    lines = (folder / "stops.csv").read_text(encoding="utf-8").splitlines()
    if edit:
        edit(lines)
    (tmp_path / "stops.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path / "scenario.toml"


def set_cells(lines: list[str], row: int, **cells: str) -> None:
    header = lines[0].split(",")
    fields = lines[row - 1].split(",")
    for column, value in cells.items():
        fields[header.index(column)] = value
    lines[row - 1] = ",".join(fields)


def cell(lines: list[str], row: int, column: str) -> str:
    return lines[row - 1].split(",")[lines[0].split(",").index(column)]


# --- the samples are quiet --------------------------------------------------------------------


@pytest.mark.parametrize("path", [SAMPLES["rokiskis"] / "scenario.toml", SAMPLES["ogre"] / "scenario.toml"],
                         ids=["rokiskis", "ogre"])
def test_the_samples_have_no_warnings(path):
    scenario, warnings = checked(path)
    assert warnings == []
    assert len(scenario.stops) > 30


def test_the_latvian_locale_copy_of_ogre_is_quiet_too(tmp_path):
    # semicolons, decimal commas, Latvian headers: still no field-count warning
    shutil.copy(SAMPLES["ogre"] / "stops_lv.csv", tmp_path / "stops_lv.csv")
    text = (SAMPLES["ogre"] / "scenario.toml").read_text(encoding="utf-8").replace('"stops.csv"', '"stops_lv.csv"')
    (tmp_path / "scenario.toml").write_text(text, encoding="utf-8")
    assert checked(tmp_path / "scenario.toml")[1] == []


# --- far away -----------------------------------------------------------------------------


def test_swapped_coordinates_are_far_away_and_said_to_be_swapped(tmp_path):
    def swap(lines):
        set_cells(lines, 6, lat=cell(lines, 6, "lon"), lon=cell(lines, 6, "lat"))

    path = sample_copy(tmp_path, swap)
    _scenario, warnings = checked(path)
    (w,) = warnings
    assert (w.kind, w.file, w.row, w.column, w.stop_id) == (FAR_AWAY, str(tmp_path / "stops.csv"), 6, "lat, lon",
                                                            "augustinava")
    assert w.value == "25.3613, 55.9341"
    assert "'Augustinava' is 4,190 km from the middle of the stops" in w.why
    assert "latitude and longitude look swapped: 55.9341, 25.3613 lies among them" in w.why


def test_a_wrong_sign_is_named(tmp_path):
    path = sample_copy(tmp_path, lambda lines: set_cells(lines, 9, lon="-" + cell(lines, 9, "lon")))
    (w,) = checked(path)[1]
    assert (w.kind, w.row) == (FAR_AWAY, 9) and "the longitude's sign looks wrong" in w.why


def test_a_depot_far_from_its_stops_is_flagged(tmp_path):
    path = sample_copy(tmp_path, toml=lambda t: t.replace("lat = 55.9644", "lat = 54.6872").replace(
        "lon = 25.5912", "lon = 25.2797"))  # Vilnius, 150 km away
    (w,) = checked(path)[1]
    assert (w.kind, w.row, w.column, w.stop_id) == (FAR_AWAY, None, "depot", DEPOT)
    assert w.file == str(path) and "the depot is 1" in w.why


def test_the_area_is_robust_to_a_few_far_points():
    scenario, _ = checked(SAMPLES["rokiskis"] / "scenario.toml")
    area = stops_area(scenario.stops)
    assert 15 < area.typical_km < 20 and area.limit_km == pytest.approx(4 * area.typical_km)
    moved = scenario.stops[:3] + tuple(s.__class__(**{**s.__dict__, "lat": -s.lat}) for s in scenario.stops[3:6]) \
        + scenario.stops[6:]
    assert stops_area(moved).middle == pytest.approx(area.middle, abs=0.05)  # medians: 3 far points move nothing


# --- one spot -----------------------------------------------------------------------------


def test_two_stops_on_one_spot(tmp_path):
    def copy_place(lines):
        set_cells(lines, 12, lat=cell(lines, 11, "lat"), lon=cell(lines, 11, "lon"))

    (w,) = checked(sample_copy(tmp_path, copy_place))[1]
    assert (w.kind, w.row, w.stop_id) == (SAME_SPOT, 12, "didsode")
    assert "'Didsodė' is on the same spot as 'Degsniai' (row 11, 0 m apart)" in w.why


# --- fields ---------------------------------------------------------------------------------


def test_a_decimal_comma_is_one_problem_that_counts_the_fields(tmp_path):
    # Didsodė, 56.0840 typed with a comma in a comma-separated file: lon and everything after it shift
    path = sample_copy(tmp_path, lambda lines: set_cells(lines, 12, lat=cell(lines, 12, "lat").replace(".", ",")))
    with pytest.raises(InputError) as err:
        checked(path)
    (problem,) = err.value.problems
    assert (problem.row, problem.column) == (12, "")
    assert "row 12 has 12 fields where the header has 11" in problem.expected
    assert "decimal comma" in problem.expected
    assert problem.value.startswith("didsode | Didsodė | 56 | 0840 | 25.5653 | 16 | fortnightly |")


def test_a_short_row_is_a_warning_naming_the_columns_read_as_empty(tmp_path):
    def cut(lines):
        lines[14] = ",".join(lines[14].split(",")[:6])  # row 15: Jūžintai, weekly, with the rest left off

    (w,) = checked(sample_copy(tmp_path, cut))[1]
    assert (w.kind, w.row, w.stop_id) == (FIELD_COUNT, 15, "juzintai")
    assert "row 15 has 6 fields where the header has 11" in w.why
    assert "the last 5 (service_minutes, window_start, window_end, days, priority) are read as empty" in w.why


def test_in_a_file_of_two_rows_the_header_sets_the_field_count(tmp_path):
    (tmp_path / "stops.csv").write_text("name,lat,lon,loans_per_visit,frequency\nA,55.9,25.6,10\n"
                                        "B,55.8,25.5,10,weekly\n", encoding="utf-8")
    text = (SAMPLES["rokiskis"] / "scenario.toml").read_text(encoding="utf-8")
    (tmp_path / "scenario.toml").write_text(text.replace("weeks = 2", "weeks = 1"), encoding="utf-8")
    (w,) = checked(tmp_path / "scenario.toml")[1]
    assert (w.kind, w.row) == (FIELD_COUNT, 2) and "row 2 has 4 fields where the header has 5" in w.why


def test_a_short_row_whose_values_do_not_fit_is_one_problem(tmp_path):
    def split(lines):  # a line break inside the name: the row is cut in two
        lines[14:15] = ["juzintai,Jūžintai", "school,55.7738,25.6759,41,weekly,,,,,"]

    with pytest.raises(InputError) as err:
        checked(sample_copy(tmp_path, split))
    assert [(p.row, p.value) for p in err.value.problems] == [(15, "juzintai | Jūžintai"),
                                                               (16, "school | 55.7738 | 25.6759 | 41 | weekly |  |  |  |  | ")]
    assert "row 15 has 2 fields where the header has 11" in err.value.problems[0].expected
    assert "row 16 has 10 fields" in err.value.problems[1].expected


# --- frequencies the cycle cannot hold ----------------------------------------------------------


def test_fortnightly_and_four_weekly_stops_in_a_one_week_cycle(tmp_path):
    # the upload: the Ogre stops into a scenario left at the form's 1-week default
    path = sample_copy(tmp_path, sample="ogre", toml=lambda t: t.replace("weeks = 4", "weeks = 1"))
    scenario, warnings = checked(path)
    periodic = [s for s in scenario.stops if s.frequency.period_weeks and s.frequency.period_weeks > 1]
    assert len(periodic) >= 30
    assert {w.stop_id for w in warnings} == {s.id for s in periodic}
    assert {w.kind for w in warnings} == {FREQUENCY}
    by_row = {w.row: w for w in warnings}
    assert by_row[2].value == "4-weekly" and by_row[2].column == "frequency"
    assert "a 4-weekly stop needs a cycle of a multiple of 4 weeks, and this cycle is 1 week: make the cycle " \
           "4 weeks long" in by_row[2].why


def test_days_the_cycle_does_not_work_and_weeks_it_does_not_have(tmp_path):
    def edit(lines):
        set_cells(lines, 2, days="Sat")
        set_cells(lines, 3, frequency="12")  # 12 visits in a 2-week cycle that works on Tue only
        set_cells(lines, 3, days="Tue")

    def pin(text):
        return text

    path = sample_copy(tmp_path, edit, pin)
    warnings = checked(path)[1]
    assert [(w.kind, w.row, w.column, w.value) for w in warnings] == [
        (FREQUENCY, 2, "days", "Sat"), (FREQUENCY, 3, "frequency", "12 per cycle")]
    assert "may only be visited on Sat, and the cycle works Mon, Tue, Wed, Thu, Fri" in warnings[0].why
    assert "12 visits per cycle, but the 2 weeks of the cycle have only 2 working days" in warnings[1].why


def test_a_pinned_week_the_cycle_does_not_have(tmp_path):
    def edit(lines):
        lines[0] += ",weeks"
        lines[1:] = [line + "," for line in lines[1:]]
        lines[3] = lines[3][:-1] + ",3"

    (w,) = checked(sample_copy(tmp_path, edit))[1]
    assert (w.kind, w.row, w.column, w.value) == (FREQUENCY, 4, "weeks", "3")
    assert "pinned to week 3, but the cycle has 2 weeks" in w.why


# --- demand beyond the vans ---------------------------------------------------------------------


def test_loans_beyond_the_vans_books(tmp_path):
    def small_van(text):
        return text.replace("capacity_books = 2500", "capacity_books = 150")

    def busy(lines):
        set_cells(lines, 7, loans_per_visit="900")

    warnings = checked(sample_copy(tmp_path, busy, small_van))[1]
    assert [(w.kind, w.row, w.column, w.value) for w in warnings] == [
        (CAPACITY, 7, "loans_per_visit", "900"),
        (CAPACITY, None, "vehicles", "2,689 loans in the cycle"),
    ]
    assert "the largest van carries 150 books: it can never be served" in warnings[0].why
    assert "the vans carry 1,500 books in it (2 x 5 working days)" in warnings[1].why


def test_rows_in_order_count_from_the_header():
    scenario, _ = checked(SAMPLES["ogre"] / "scenario.toml")
    rows = rows_in_order(scenario.stops)
    assert rows[scenario.stops[0].id] == 2 and len(rows) == len(scenario.stops)
    assert check_scenario(scenario) == []  # without notes: rows counted from the header


# --- the command line ----------------------------------------------------------------------------


def run(*args):
    return subprocess.run([sys.executable, "-m", "routeplanner", *map(str, args)], capture_output=True, text=True,
                          encoding="utf-8", timeout=300)


def test_validate_prints_the_warnings_and_exits_0(tmp_path):
    path = sample_copy(tmp_path, lambda lines: set_cells(lines, 6, lat=cell(lines, 6, "lon"),
                                                          lon=cell(lines, 6, "lat")))
    out = tmp_path / "read.csv"
    done = run("validate", path, "--stops-out", out)
    assert done.returncode == 0, done.stderr
    assert "1 warning: correct the data, or plan anyway if it is right" in done.stdout
    assert f"{tmp_path / 'stops.csv'}, row 6, column 'lat, lon': '25.3613, 55.9341' — 'Augustinava' is" in done.stdout
    assert out.read_text(encoding="utf-8").count("\n") == 54  # the stops as read, to correct and read again
    quiet = run("validate", SAMPLES["ogre"] / "scenario.toml")
    assert quiet.returncode == 0 and "no warnings: ready to plan" in quiet.stdout


def test_validate_exits_2_on_errors(tmp_path):
    path = sample_copy(tmp_path, lambda lines: set_cells(lines, 12, lat="55,7441"))
    done = run("validate", path)
    assert done.returncode == 2
    assert "row 12 has 12 fields where the header has 11" in done.stderr


def test_plan_prints_the_warnings_before_it_solves(tmp_path):
    path = sample_copy(tmp_path, lambda lines: set_cells(lines, 9, lon="-" + cell(lines, 9, "lon")))
    done = run("plan", path, "--reproducible", "20", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "routeplanner: 1 warning before planning" in done.stderr
    assert "row 9, column 'lat, lon'" in done.stderr and "the longitude's sign looks wrong" in done.stderr
    assert "Stops served" in done.stdout or "stops" in done.stdout.lower()
