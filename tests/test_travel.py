"""Travel providers: distances against independent references, exact scaling, matrix files.

References come from outside the code under test: geopy's great-circle and
geodesic distances, and closed forms on a sphere (a degree of a meridian).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from geopy.distance import geodesic, great_circle

from routeplanner.errors import InputError
from routeplanner.model import Travel
from routeplanner.travel import (
    EARTH_RADIUS_M,
    GeodesicProvider,
    HaversineProvider,
    MatrixFileProvider,
    Point,
    haversine_m,
    provider_for,
)

VILNIUS = Point("vilnius", 54.6872, 25.2797)
KAUNAS = Point("kaunas", 54.8985, 23.9036)
ROKISKIS = Point("rokiskis", 55.9644, 25.5912)
OGRE = Point("ogre", 56.8192, 24.6074)
RIGA = Point("riga", 56.9496, 24.1052)
TOWNS = [VILNIUS, KAUNAS, ROKISKIS, OGRE, RIGA]


def km(metres: float) -> float:
    return metres / 1000.0


# --- haversine -----------------------------------------------------------------


def test_vilnius_kaunas_matches_geopy_great_circle():
    m = HaversineProvider(circuity=1.0, speed_kmh=60.0).matrix([VILNIUS, KAUNAS])
    reference_km = great_circle((VILNIUS.lat, VILNIUS.lon), (KAUNAS.lat, KAUNAS.lon)).km
    assert 90 < reference_km < 93  # sanity of the reference itself
    assert km(m.distance_m[0, 1]) == pytest.approx(reference_km, rel=1e-3)
    # at 60 km/h, minutes equal kilometres
    assert m.drive_min[0, 1] == pytest.approx(reference_km, rel=1e-3)


@pytest.mark.parametrize("a, b", [(ROKISKIS, OGRE), (OGRE, RIGA), (VILNIUS, RIGA), (KAUNAS, ROKISKIS)])
def test_haversine_matches_geopy_great_circle_on_baltic_pairs(a, b):
    d = haversine_m([a, b])
    reference = great_circle((a.lat, a.lon), (b.lat, b.lon)).meters
    assert d[0, 1] == pytest.approx(reference, rel=1e-3)


def test_haversine_closed_forms_on_the_sphere():
    # One degree along a meridian, a quarter meridian, and antipodes.
    pts = [Point("a", 55.0, 25.0), Point("b", 56.0, 25.0), Point("eq", 0.0, 0.0),
           Point("pole", 90.0, 0.0), Point("anti", 0.0, 180.0)]
    d = haversine_m(pts)
    assert d[0, 1] == pytest.approx(EARTH_RADIUS_M * math.pi / 180, rel=1e-9)
    assert d[2, 3] == pytest.approx(EARTH_RADIUS_M * math.pi / 2, rel=1e-9)
    assert d[2, 4] == pytest.approx(EARTH_RADIUS_M * math.pi, rel=1e-9)
    # near-identical points: tiny but not NaN
    near = haversine_m([Point("x", 55.0, 25.0), Point("y", 55.0, 25.000001)])
    assert 0 < near[0, 1] < 1 and np.isfinite(near).all()


@pytest.mark.parametrize("circuity, speed", [(1.0, 45.0), (1.35, 45.0), (1.5, 30.0), (2.0, 90.0)])
def test_circuity_and_speed_scale_distance_and_time_exactly(circuity, speed):
    straight = haversine_m(TOWNS)
    m = HaversineProvider(circuity=circuity, speed_kmh=speed).matrix(TOWNS)
    np.testing.assert_allclose(m.distance_m, straight * circuity, rtol=1e-12)
    np.testing.assert_allclose(m.drive_min, straight * circuity / 1000.0 / speed * 60.0, rtol=1e-12)
    # doubling the speed halves every drive, distances unchanged
    fast = HaversineProvider(circuity=circuity, speed_kmh=2 * speed).matrix(TOWNS)
    np.testing.assert_allclose(fast.drive_min * 2, m.drive_min, rtol=1e-12)
    np.testing.assert_array_equal(fast.distance_m, m.distance_m)


def test_default_provider_is_135_circuity_at_45_kmh():
    m = HaversineProvider().matrix([VILNIUS, KAUNAS])
    straight = great_circle((VILNIUS.lat, VILNIUS.lon), (KAUNAS.lat, KAUNAS.lon)).meters
    assert m.distance_m[0, 1] == pytest.approx(straight * 1.35, rel=1e-3)
    assert m.drive_min[0, 1] == pytest.approx(straight * 1.35 / 1000 / 45 * 60, rel=1e-3)


@pytest.mark.parametrize("provider", [HaversineProvider(1.35, 45.0), GeodesicProvider(1.35, 45.0)],
                         ids=["haversine", "geodesic"])
def test_matrix_is_symmetric_with_zero_diagonal_and_keeps_ids(provider):
    m = provider.matrix(TOWNS)
    assert m.ids == tuple(p.id for p in TOWNS)
    assert m.distance_m.shape == m.drive_min.shape == (len(TOWNS), len(TOWNS))
    np.testing.assert_allclose(m.distance_m, m.distance_m.T, rtol=1e-12)
    np.testing.assert_allclose(m.drive_min, m.drive_min.T, rtol=1e-12)
    np.testing.assert_array_equal(np.diag(m.distance_m), 0.0)
    np.testing.assert_array_equal(np.diag(m.drive_min), 0.0)
    off = ~np.eye(len(TOWNS), dtype=bool)
    assert (m.distance_m[off] > 0).all()
    assert m.index("ogre") == 3


def test_triangle_inequality_holds():
    d = haversine_m(TOWNS)
    n = len(TOWNS)
    for i in range(n):
        for j in range(n):
            for k in range(n):
                assert d[i, j] <= d[i, k] + d[k, j] + 1e-6


def test_haversine_on_2000_points():
    rng = np.random.default_rng(20261130)
    lat = rng.uniform(53.9, 58.1, 2000)
    lon = rng.uniform(20.9, 28.3, 2000)
    pts = [Point(f"p{i}", float(a), float(b)) for i, (a, b) in enumerate(zip(lat, lon))]
    m = HaversineProvider(circuity=1.35, speed_kmh=45.0).matrix(pts)
    assert m.distance_m.shape == (2000, 2000)
    assert m.drive_min.shape == (2000, 2000)
    assert np.isfinite(m.distance_m).all()
    np.testing.assert_array_equal(np.diag(m.distance_m), 0.0)
    for i, j in [(0, 1), (17, 1999), (1234, 56), (999, 1000)]:
        ref = great_circle((lat[i], lon[i]), (lat[j], lon[j])).meters * 1.35
        assert m.distance_m[i, j] == pytest.approx(ref, rel=1e-3)
        assert m.distance_m[j, i] == pytest.approx(m.distance_m[i, j], rel=1e-12)
        assert m.drive_min[i, j] == pytest.approx(ref / 1000 / 45 * 60, rel=1e-3)


# --- geodesic ------------------------------------------------------------------


def test_geodesic_equals_geopy_and_is_close_to_haversine():
    geo = GeodesicProvider(circuity=1.2, speed_kmh=50.0).matrix(TOWNS)
    hav = HaversineProvider(circuity=1.2, speed_kmh=50.0).matrix(TOWNS)
    reference = geodesic((VILNIUS.lat, VILNIUS.lon), (KAUNAS.lat, KAUNAS.lon)).meters * 1.2
    assert geo.distance_m[0, 1] == pytest.approx(reference, rel=1e-9)
    assert geo.drive_min[0, 1] == pytest.approx(reference / 1000 / 50 * 60, rel=1e-9)
    off = ~np.eye(len(TOWNS), dtype=bool)
    ratio = geo.distance_m[off] / hav.distance_m[off]
    assert np.all(np.abs(ratio - 1) < 0.005), ratio
    # the ellipsoid is not the sphere: the providers really differ
    assert not np.allclose(geo.distance_m, hav.distance_m, rtol=1e-6)


# --- matrix file ---------------------------------------------------------------

A, B, C = Point("a", 55.0, 25.0), Point("b", 55.1, 25.1), Point("c", 55.2, 25.2)
DEPOT = Point("depot", 55.05, 25.05)


def write(tmp_path, text: str, name: str = "matrix.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_matrix_file_pair_given_once_is_used_both_ways(tmp_path):
    path = write(tmp_path, "from,to,km,minutes\na,b,12.5,20\nb,c,3,4.5\na,c,15,25\n")
    m = MatrixFileProvider(path).matrix([A, B, C])
    assert m.ids == ("a", "b", "c")
    expected_km = np.array([[0, 12.5, 15], [12.5, 0, 3], [15, 3, 0]])
    expected_min = np.array([[0, 20, 25], [20, 0, 4.5], [25, 4.5, 0]])
    np.testing.assert_allclose(m.distance_m, expected_km * 1000)
    np.testing.assert_allclose(m.drive_min, expected_min)


def test_matrix_file_direction_given_both_ways_is_kept_apart(tmp_path):
    path = write(tmp_path, "from,to,km,minutes\na,b,10,12\nb,a,11,14\n")
    m = MatrixFileProvider(path).matrix([B, A])  # order of points, not of rows
    assert m.distance_m[1, 0] == pytest.approx(10_000) and m.drive_min[1, 0] == pytest.approx(12)
    assert m.distance_m[0, 1] == pytest.approx(11_000) and m.drive_min[0, 1] == pytest.approx(14)


def test_matrix_file_reads_semicolons_decimal_commas_and_loose_headers(tmp_path):
    path = write(tmp_path, "From ; TO;Km;MINUTES\ndepot;a;7,5;10,25\n")
    m = MatrixFileProvider(path).matrix([DEPOT, A])
    assert m.distance_m[0, 1] == pytest.approx(7_500)
    assert m.drive_min[1, 0] == pytest.approx(10.25)


def test_matrix_file_missing_pair_names_the_pair(tmp_path):
    path = write(tmp_path, "from,to,km,minutes\na,b,12,20\nb,c,3,4\n")
    provider = MatrixFileProvider(path)
    with pytest.raises(InputError) as err:
        provider.matrix([A, B, C])
    problems = err.value.problems
    assert problems and all(p.column == "from,to" for p in problems)
    assert {p.value for p in problems} <= {"a,c", "c,a"}
    assert "a,c" in str(err.value)
    assert str(path) in str(err.value)


@pytest.mark.parametrize(
    "rows, bad_row, column, value",
    [
        ("a,b,12,20\nb,c,x,4\n", 3, "km", "x"),
        ("a,b,12,20\nb,c,3,-1\n", 3, "minutes", "-1"),
        ("a,b,,20\n", 2, "km", ""),
        ("a,b,1,2\na,c,3,4\nb,c,5,nan\n", 4, "minutes", "nan"),
    ],
    ids=["text", "negative", "empty", "nan"],
)
def test_matrix_file_bad_number_names_row_and_column(tmp_path, rows, bad_row, column, value):
    path = write(tmp_path, "from,to,km,minutes\n" + rows)
    with pytest.raises(InputError) as err:
        MatrixFileProvider(path)
    (problem,) = err.value.problems
    assert (problem.row, problem.column, problem.value) == (bad_row, column, value)
    text = str(err.value)
    assert f"row {bad_row}" in text and repr(column) in text


def test_matrix_file_lists_every_bad_cell_at_once(tmp_path):
    path = write(tmp_path, "from,to,km,minutes\na,b,x,y\nb,c,1,2\nc,a,-3,4\n")
    with pytest.raises(InputError) as err:
        MatrixFileProvider(path)
    got = {(p.row, p.column) for p in err.value.problems}
    assert got == {(2, "km"), (2, "minutes"), (4, "km")}


def test_matrix_file_missing_column_is_named(tmp_path):
    path = write(tmp_path, "from,to,km\na,b,12\n")
    with pytest.raises(InputError) as err:
        MatrixFileProvider(path)
    (problem,) = err.value.problems
    assert problem.column == "minutes" and problem.row == 1


def test_matrix_file_that_does_not_exist_is_an_input_error(tmp_path):
    with pytest.raises(InputError) as err:
        MatrixFileProvider(tmp_path / "nowhere.csv")
    assert "nowhere.csv" in str(err.value)


def test_matrix_file_row_numbers_count_blank_lines(tmp_path):
    # line 1 header, line 2 a row, line 3 blank, line 4 the bad value
    path = write(tmp_path, "from,to,km,minutes\na,b,12,20\n\nb,c,x,4\n")
    with pytest.raises(InputError) as err:
        MatrixFileProvider(path)
    (problem,) = err.value.problems
    assert problem.row == 4


def test_matrix_file_with_utf8_bom_is_read(tmp_path):
    path = write(tmp_path, "from,to,km,minutes\na,b,12,20\n", encoding="utf-8-sig")
    m = MatrixFileProvider(path).matrix([A, B])
    assert m.distance_m[0, 1] == pytest.approx(12_000)


# --- provider_for --------------------------------------------------------------


def test_provider_for_each_method(tmp_path):
    hav = provider_for(Travel("haversine", 1.4, 50.0))
    assert isinstance(hav, HaversineProvider) and (hav.circuity, hav.speed_kmh) == (1.4, 50.0)
    geo = provider_for(Travel("geodesic", 1.1, 40.0))
    assert isinstance(geo, GeodesicProvider) and (geo.circuity, geo.speed_kmh) == (1.1, 40.0)

    write(tmp_path, "from,to,km,minutes\na,b,12,20\n", name="legs.csv")
    relative = provider_for(Travel("matrix", 1.35, 45.0, "legs.csv"), base_dir=tmp_path)
    assert isinstance(relative, MatrixFileProvider)
    assert relative.matrix([A, B]).drive_min[1, 0] == pytest.approx(20)
    absolute = provider_for(Travel("matrix", 1.35, 45.0, str(tmp_path / "legs.csv")), base_dir="/elsewhere")
    assert absolute.matrix([A, B]).distance_m[0, 1] == pytest.approx(12_000)


def test_provider_for_matrix_without_a_path():
    with pytest.raises(InputError) as err:
        provider_for(Travel("matrix", 1.35, 45.0, None))
    assert err.value.problems[0].column == "travel.matrix"


@pytest.mark.parametrize("method", ["teleport", "OSM", ""])
def test_provider_for_unknown_method_names_it(method):
    with pytest.raises(InputError) as err:
        provider_for(Travel(method, 1.35, 45.0))
    (problem,) = err.value.problems
    assert problem.column == "travel.method" and problem.value == method
    assert "haversine" in problem.expected
