"""The visits CSV, on the hand-made meridian plan (tests/meridian.py)."""

from __future__ import annotations

import csv
import dataclasses

from meridian import make_plan
from routeplanner.io.plancsv import VISITS_CSV_COLUMNS, write_visits_csv


def test_visits_csv_has_one_row_per_visit(tmp_path):
    path = tmp_path / "visits.csv"
    write_visits_csv(make_plan(), path)
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 8
    assert tuple(rows[0]) == VISITS_CSV_COLUMNS
    first = rows[0]
    assert (first["vehicle"], first["week"], first["day"], first["date"], first["order"]) == (
        "Bibliobusas", "1", "Tue", "2026-12-01", "1",
    )
    assert (first["stop_id"], first["name"], first["arrival"], first["departure"]) == ("A", "Kamajai", "08:10", "08:40")
    assert [r["name"] for r in rows[:3]] == ["Kamajai", "Obeliai", "Juodupė"]


def test_visits_csv_writes_formulas_as_text(tmp_path):
    """A name or vehicle that starts a spreadsheet formula is written with a leading apostrophe."""
    plan = make_plan()
    plan.routes[0] = dataclasses.replace(plan.routes[0], vehicle="@SUM(1)")
    first = plan.routes[0].visits[0]
    plan.routes[0].visits[0] = dataclasses.replace(first, name='=HYPERLINK("http://x.invalid")', stop_id="-1+1",
                                                   lon=-3.5)
    path = tmp_path / "visits.csv"
    write_visits_csv(plan, path)
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    row = next(r for r in rows if r["vehicle"] == "'@SUM(1)" and r["order"] == "1")
    assert (row["name"], row["stop_id"], row["lon"]) == ("'=HYPERLINK(\"http://x.invalid\")", "'-1+1", "-3.5")


def test_visits_csv_loans_are_whole_books(tmp_path):
    plan = make_plan()
    plan.routes[0].visits[0].loans = 12.5
    plan.routes[0].visits[1].loans = 7.25
    path = tmp_path / "visits.csv"
    write_visits_csv(plan, path)
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["loans"] for r in rows[:3]] == ["13", "7", "30"]
