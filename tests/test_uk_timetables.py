"""The real UK timetables (../shared/datasets/uk-mobile-timetables, both layouts) through the product's importer.

The benchmark (benchmarks/uk.py) builds each authority's scenario (the data has no depot and no
vans: the medoid and as many vans as the timetable needs) and reads the published plan with the
product's importer.  Here each file is imported as a coordinator would, against that scenario, and
checked: the same km and the same broken rules as the benchmark reports in
benchmarks/results/uk.md.  Collected only where ../shared is (tests/conftest.py).
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.uk_timetables import build_case, read_authority
from routeplanner.checker import check_plan
from routeplanner.errors import InputError
from routeplanner.imported import import_timetable
from routeplanner.io import dump_scenario_toml, write_stops_csv
from routeplanner.io.timetable import read_timetable, read_timetable_bytes

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets" / "uk-mobile-timetables"
RESULTS = ROOT / "benchmarks" / "results" / "uk.md"
#: Imported as published: every row is usable, one van per mobile.
AS_THEY_ARE = ("aberdeenshire", "northsomerset", "somerset")


def _published_km() -> dict[str, float]:
    """The 'published km' column of the benchmark's report."""
    lines = RESULTS.read_text(encoding="utf-8").splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("| authority |"))
    cols = [c.strip() for c in lines[head].strip("|").split("|")]
    out = {}
    for line in lines[head + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        out[cells[0]] = float(cells[cols.index("published km")].replace(",", ""))
    return out


@pytest.fixture(scope="module")
def cases():
    return {path.stem: build_case(read_authority(path)) for path in sorted(DATA.glob("*.csv"))
            if path.name != "authorities.csv"}


def _figures(report):
    return round(report.totals.distance_km, 6), sorted(str(v) for v in report.violations)


def _rewritten(path: Path, drop_rows=(), drop_column: str | None = None) -> bytes:
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    rows = [r for n, r in enumerate(rows, start=1) if n not in drop_rows]
    if drop_column:
        j = [h.lower() for h in rows[0]].index(drop_column)
        rows = [r[:j] + r[j + 1:] for r in rows]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def test_both_layouts_are_read(cases):
    layouts = {name: case.imported.layout for name, case in cases.items()}
    assert layouts["aberdeenshire"].startswith("B") and layouts["somerset"].startswith("A")
    assert len(cases) == 6


@pytest.mark.parametrize("name", AS_THEY_ARE)
def test_a_file_as_published_imports_and_checks_with_the_benchmarks_figures(cases, name):
    case = cases[name]
    imported = import_timetable(case.scenario, read_timetable(DATA / f"{name}.csv"))
    ours = check_plan(case.scenario, imported.plan)
    assert _figures(ours) == _figures(check_plan(case.scenario, case.published, matrix=case.matrix))
    assert round(ours.totals.distance_km, 1) == _published_km()[name]
    assert ours.totals.stops_served == len(case.scenario.stops)


@pytest.mark.parametrize("name", ["banes", "leicestershire"])
def test_a_file_with_unusable_rows_is_refused_naming_the_rows_the_benchmark_leaves_out(cases, name):
    case = cases[name]
    skipped = {i.line for i in case.imported.issues if i.kind == "skipped"}
    with pytest.raises(InputError) as err:
        import_timetable(case.scenario, read_timetable(DATA / f"{name}.csv"))
    assert {p.row for p in err.value.problems} == skipped
    # Without those rows the file imports, with the benchmark's figures.
    data = _rewritten(DATA / f"{name}.csv", drop_rows=skipped)
    ours = check_plan(case.scenario, import_timetable(case.scenario, read_timetable_bytes(data, f"{name}.csv")).plan)
    assert _figures(ours) == _figures(check_plan(case.scenario, case.published, matrix=case.matrix))
    assert round(ours.totals.distance_km, 1) == _published_km()[name]


def test_norfolk_names_one_mobile_for_36_vans_and_imports_once_the_vans_are_left_to_the_importer(cases):
    case = cases["norfolk"]
    with pytest.raises(InputError) as err:
        import_timetable(case.scenario, read_timetable(DATA / "norfolk.csv"))
    assert all(p.column == "Mobile" and p.value == "Norfolk" and "one van drives one route a day" in p.expected
               for p in err.value.problems)
    data = _rewritten(DATA / "norfolk.csv", drop_column="mobile")
    imported = import_timetable(case.scenario, read_timetable_bytes(data, "norfolk.csv"))
    ours = check_plan(case.scenario, imported.plan)
    assert _figures(ours) == _figures(check_plan(case.scenario, case.published, matrix=case.matrix))
    assert round(ours.totals.distance_km, 1) == _published_km()["norfolk"]
    assert len({r.vehicle for r in imported.plan.routes}) == len(case.scenario.vehicles) == 36


def test_the_command_line_imports_and_checks_a_uk_timetable(cases, tmp_path):
    case = cases["somerset"]
    write_stops_csv(case.scenario.stops, tmp_path / "stops.csv")
    (tmp_path / "scenario.toml").write_text(dump_scenario_toml(case.scenario, "stops.csv"), encoding="utf-8")
    run = [sys.executable, "-m", "routeplanner"]
    made = subprocess.run(run + ["import-timetable", str(tmp_path / "scenario.toml"), str(DATA / "somerset.csv"),
                                 "-o", str(tmp_path / "plan.json")], capture_output=True, text=True, cwd=ROOT)
    assert made.returncode == 0, made.stderr
    assert "2016-01-16" in made.stderr  # the notes: dates on another weekday than the row's, not used
    checked = subprocess.run(run + ["check", str(tmp_path / "scenario.toml"), str(tmp_path / "plan.json")],
                             capture_output=True, text=True, cwd=ROOT)
    assert checked.returncode == 1  # the published timetable breaks one timing rule under our travel model
    km = re.search(r"([\d,.]+) km", checked.stdout).group(1)
    assert float(km.replace(",", "")) == pytest.approx(_published_km()["somerset"], abs=0.05)
    assert checked.stdout.count("[timing]") == 1
