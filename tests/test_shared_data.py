"""The shared material beside the checkout (``../shared``), checked as the project uses it.

Tests of that data itself, not of the code: each published PVRP instance is
read as its table says and each reference solution scores its stated km; the
plan contract in the repository is the shared one, byte for byte.  The code
they exercise is tested on the repository's own fixtures elsewhere.  This
module is collected only where ``../shared`` is (on the project machine and
in CI; ``tests/conftest.py``): a clone without it has no such data to check.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_benchmarks_pvrp import assert_read_as_stated, assert_scores_stated_km

from benchmarks.pvrp import SHARED

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "routeplanner" / "contracts" / "plan.schema.json"
SHARED_SCHEMA = ROOT.parent / "shared" / "contracts" / "plan.schema.json"

# instance: vehicles m, customers n, days t, capacity Q, customers per frequency, combinations in all
SHARED_INSTANCES = {
    "p02": (3, 50, 5, 160, {1: 17, 2: 26, 5: 7}, 170),
    "p03": (1, 50, 5, 160, {1: 50}, 250),
    "p04": (5, 75, 2, 140, {1: 75}, 150),
    "p05": (6, 75, 5, 140, {1: 30, 2: 34, 5: 11}, 263),
    "p06": (1, 75, 10, 140, {1: 75}, 750),
    "p07": (4, 100, 2, 200, {1: 100}, 200),
    "p12": (3, 163, 5, 140, {1: 148, 2: 8, 3: 7}, 785),
}


@pytest.mark.parametrize("name", sorted(SHARED_INSTANCES))
def test_reader_on_every_shared_file(name):
    assert_read_as_stated(SHARED / f"{name}.txt", SHARED_INSTANCES[name])


@pytest.mark.parametrize("name", sorted(SHARED_INSTANCES))
def test_reference_scores_its_stated_km(name):
    assert_scores_stated_km(SHARED / f"{name}.txt")


def test_the_repository_copy_is_the_shared_contract():
    assert SCHEMA.read_bytes() == SHARED_SCHEMA.read_bytes(), (
        f"{SCHEMA.relative_to(ROOT)} differs from {SHARED_SCHEMA}: copy the shared contract into the repository"
    )


# --- geocoding with the shared gazetteers --------------------------------------------------------

GEODATA = ROOT.parent / "shared" / "geodata"
ROKISKIS_LIBRARY = (55.964422, 25.591231)  # geodata/rokiskis_library_points.csv


def test_every_rokiskis_settlement_by_name_is_its_own_point_or_a_doubt_or_not_found():
    """The 72 settlements of the Rokiškis district (OSM), geocoded by name with the OSM places of all
    of Lithuania, as a coordinator's file of village names would be: each lands within 1 km of its
    own point, or the geocoder says why it may not (a namesake about as near), or finds nothing
    (the file's own names for two places OSM names otherwise).  Never a wrong point without a word."""
    import csv

    from routeplanner.datachecks import distance_km
    from routeplanner.geocoding import GeocodingConfig, build

    geo = build(GeocodingConfig(provider="gazetteer", gazetteer=str(GEODATA / "osm_LT_LV_places_2019.csv"),
                                countries=("LT",))).focused(near=ROKISKIS_LIBRARY)
    with open(GEODATA / "rokiskis_district_settlements.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    right, doubted, missing = [], [], []
    for row in rows:
        found = geo(row["name"])
        if found is None:
            missing.append(row["name"])
            continue
        off = distance_km((found.lat, found.lon), (float(row["lat"]), float(row["lon"])))
        if found.doubts:
            doubted.append(row["name"])
        else:
            assert off < 1.0, (row["name"], off)  # taken without a doubt: it is the right place
        if off < 1.0:
            right.append(row["name"])
    assert len(rows) == 72
    assert len(right) >= 66 and len(missing) <= 3, (missing, doubted)
    assert {"Raišiai", "Vaitkūnai", "Mieliūnai"} <= set(doubted)  # the three namesakes taken wrongly, each doubted


def test_geonames_cities_in_the_dump_layout_agree_with_the_csv_subset(tmp_path):
    """The shared GeoNames subset (CSV) and the same rows written as GeoNames' own dump layout read alike."""
    import csv

    from routeplanner.geocoding.gazetteer import Gazetteer

    with open(GEODATA / "geonames_LT_LV_places.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    dump = tmp_path / "LT_LV.txt"
    with open(dump, "w", encoding="utf-8") as out:
        for r in rows:
            fields = [r["geonameid"], r["name"], r["asciiname"], "", r["lat"], r["lon"], "P", "PPL", r["country"],
                      "", r["admin1_code"], "", "", "", r["population"], "", "", r["timezone"], "2019-01-01"]
            out.write("\t".join(fields) + "\n")
    as_csv, as_dump = Gazetteer(GEODATA / "geonames_LT_LV_places.csv"), Gazetteer(dump)
    for name in ("Rokiškis", "Ogre", "Obeliai", "Kaunas", "Daugavpils"):
        a, b = as_csv.geocode(name), as_dump.geocode(name)
        assert (a.latitude, a.longitude) == (b.latitude, b.longitude), name
    # GeoNames' known error: its Obeliai lies 42 km west of the town (geodata/SOURCES.md)
    assert as_csv.geocode("Obeliai").longitude == pytest.approx(25.15648)
