"""routeplanner.geocoding: addresses to coordinates through real geopy geocoder classes.

Offline: the Gazetteer (a geopy Geocoder subclass) reads the extracts in
tests/fixtures/geodata; geopy's own Nominatim class talks HTTP to a small
Nominatim-shaped server on 127.0.0.1 that this file starts, so its user agent,
rate limit, disk cache and failures are tested as they happen.  Every failure
and every doubt must reach the coordinator: as a problem (the file is refused)
or as a warning with the row.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from geopy.geocoders.base import Geocoder as GeopyGeocoder
from geopy.location import Location

from routeplanner import limits
from routeplanner.config import Settings
from routeplanner.datachecks import (
    DEPOT,
    FAR_AWAY,
    GEOCODE_AMBIGUOUS,
    GEOCODE_FALLBACK,
    ImportNotes,
    check_scenario,
)
from routeplanner.errors import InputError
from routeplanner.geocoding import GeocodingConfig, GeocodingFailed, build
from routeplanner.geocoding.gazetteer import Gazetteer
from routeplanner.io import load_scenario, read_stops_bytes

GEODATA = Path(__file__).resolve().parent / "fixtures" / "geodata"
OSM = GEODATA / "osm_places.csv"
GEONAMES = GEODATA / "geonames_dump.txt"
ROKISKIS_LIBRARY = (55.9644, 25.5912)


# --- the gazetteer is a geopy geocoder ------------------------------------------------------


def test_gazetteer_is_a_geopy_geocoder_answering_as_geopy_does():
    g = Gazetteer(OSM)
    assert isinstance(g, GeopyGeocoder)
    one = g.geocode("Jūžintai")
    assert isinstance(one, Location)
    assert (one.latitude, one.longitude, one.raw["name"], one.raw["kind"]) == (55.773751, 25.675908, "Jūžintai", "town")
    several = g.geocode("Obeliai", exactly_one=False)
    assert [loc.raw["name"] for loc in several] == ["Obeliai"] * 4
    assert several[0].raw["kind"] == "town"  # the most populous first: the town of 1,074
    assert g.geocode("Nowhere at all") is None
    assert g.geocode("Ogre", country_codes=["LT"]) is None
    assert g.geocode("Ogre", country_codes="lv").raw["country"] == "LV"


def test_gazetteer_reads_addresses_as_coordinators_write_them():
    g = Gazetteer(OSM)
    # diacritics and case do not matter; "k." (village) and postcodes are not names
    assert g.geocode("JUODUPE").raw["name"] == "Juodupė"
    assert g.geocode("Kriaunos k., LT-42150").raw["name"] == "Kriaunos"
    # the country named in the address keeps the answer there
    assert g.geocode("Ogre, Lietuva") is None
    assert g.geocode("Ogre, Latvija").raw["name"] == "Ogre"
    # a street address in a known town: the town, marked as found only in part
    town = g.geocode("Kauno g. 7, Rokiškis")
    assert town.raw["name"] == "Rokiškis" and town.raw["fallback"] == "Rokiškis"
    assert g.geocode("Kamajai").raw["fallback"] == ""


def test_geonames_dump_layout_and_only_populated_places():
    g = Gazetteer(GEONAMES)
    assert g.geocode("Rokischken").raw["name"] == "Rokiškis"  # an alternate name
    found = g.geocode("Obeliai", exactly_one=False)
    # the made-up lake of that name (feature class H) is not a place to stop at
    assert [(loc.latitude, loc.longitude) for loc in found] == [(55.96895, 25.15648)]


def test_a_file_that_is_no_gazetteer_is_refused(tmp_path):
    bad = tmp_path / "places.csv"
    bad.write_text("town,x\nA,1\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        Gazetteer(bad)
    assert "name, lat and lon" in err.value.problems[0].expected


# --- choosing among namesakes, and saying what is doubtful -----------------------------------


def gazetteer_geocoding(path=OSM, countries=("LT",)):
    return build(GeocodingConfig(provider="gazetteer", gazetteer=str(path), countries=countries))


def test_the_namesake_nearest_the_depot_is_taken_without_doubt_when_it_is_clearly_nearest():
    geo = gazetteer_geocoding().focused(near=ROKISKIS_LIBRARY)
    found = geo("Kavoliškis")  # 4 km from Rokiškis; its namesakes 46-62 km away
    assert (found.lat, found.lon) == (55.948114, 25.53681)
    assert found.doubts == ()


def test_namesakes_about_as_near_are_a_doubt_listing_the_others():
    geo = gazetteer_geocoding().focused(near=ROKISKIS_LIBRARY)
    found = geo("Obeliai")  # the town 13 km away, and a village of that name 27 km away
    assert (found.lat, found.lon) == (55.940618, 25.796293)
    (doubt,) = found.doubts
    assert doubt.kind == GEOCODE_AMBIGUOUS
    assert "4 places far apart match 'Obeliai'" in doubt.why and "the nearest to the depot" in doubt.why
    assert "55.97, 25.154" in doubt.why  # the other one, to choose instead
    # without a depot to go by, several places far apart are a doubt...
    salos = gazetteer_geocoding()("Salos")  # villages of 321, 152, 144, 103 ... inhabitants
    assert [d.kind for d in salos.doubts] == [GEOCODE_AMBIGUOUS] and "the geocoder's first answer" in salos.doubts[0].why
    # ... unless one is a town that outnumbers its namesakes (Kavoliškis, 1,212, over villages of 3)
    assert gazetteer_geocoding()("Kavoliškis").doubts == ()


def test_a_part_of_the_address_is_a_fallback_doubt():
    found = gazetteer_geocoding().focused(near=ROKISKIS_LIBRARY)("Kauno g. 7, Rokiškis")
    assert [d.kind for d in found.doubts] == [GEOCODE_FALLBACK]
    assert "found only 'Rokiškis'" in found.doubts[0].why


# --- through the readers: stops and depot by address ------------------------------------------

SCENARIO = """\
name = "Geocoded"
stops = "stops.csv"

[depot]
name = "Rokiškio biblioteka"
address = "Rokiškis"

[[vehicles]]
name = "Bibliobusas"

[calendar]
country = "LT"

[geocoding]
gazetteer = "{gazetteer}"
"""

STOPS = """\
name,lat,lon,address,loans_per_visit
Given,55.82,25.50,,30
Kriaunos,,,Kriaunos,20
Obeliai,,,Obeliai,25
School,,,"Kauno g. 7, Rokiškis",10
Juodupė,,,Juodupė,18
Jūžintai,,,Jūžintai k.,12
"""


def write_scenario(tmp_path, stops=STOPS, scenario=SCENARIO, gazetteer=OSM) -> Path:
    (tmp_path / "stops.csv").write_text(stops, encoding="utf-8")
    path = tmp_path / "scenario.toml"
    path.write_text(scenario.format(gazetteer=gazetteer.as_posix()), encoding="utf-8")
    return path


def test_stops_and_depot_get_the_gazetteers_coordinates_and_every_doubt_is_a_warning(tmp_path):
    notes = ImportNotes()
    scenario = load_scenario(write_scenario(tmp_path), notes=notes)
    assert (scenario.depot.lat, scenario.depot.lon) == (55.954025, 25.591746)  # Rokiškis town
    by_name = {s.name: (s.lat, s.lon) for s in scenario.stops}
    assert by_name["Given"] == (55.82, 25.50)  # coordinates given are never looked up
    assert by_name["Kriaunos"] == (55.851, 25.796354)  # the one in the district, not the one 100 km away
    assert by_name["Jūžintai"] == (55.773751, 25.675908)
    assert notes.geocoded == {DEPOT: "Rokiškis", "kriaunos": "Kriaunos", "obeliai": "Obeliai",
                              "school": "Kauno g. 7, Rokiškis", "juodupe": "Juodupė", "juzintai": "Jūžintai k."}
    warnings = check_scenario(scenario, notes)
    assert [(w.kind, w.row, w.column, w.value, w.stop_id) for w in warnings] == [
        (GEOCODE_AMBIGUOUS, 4, "address", "Obeliai", "obeliai"),
        (GEOCODE_FALLBACK, 5, "address", "Kauno g. 7, Rokiškis", "school"),
    ]


def test_addresses_not_found_are_problems_with_row_and_value(tmp_path):
    stops = STOPS + "Atlantis,,,Atlantis,5\nSunken,,,Atlantis,5\n"
    with pytest.raises(InputError) as err:
        load_scenario(write_scenario(tmp_path, stops))
    assert [(p.row, p.column, p.value) for p in err.value.problems] == [(8, "address", "Atlantis"),
                                                                         (9, "address", "Atlantis")]
    assert "the geocoder found no place of that name" in err.value.problems[0].expected


def test_a_depot_address_not_found_is_a_problem_on_its_key(tmp_path):
    path = write_scenario(tmp_path, scenario=SCENARIO.replace('address = "Rokiškis"', 'address = "Atlantis"'))
    with pytest.raises(InputError) as err:
        load_scenario(path)
    assert [(p.column, p.value) for p in err.value.problems] == [("depot.address", "Atlantis")]
    assert err.value.problems[0].expected.startswith("lat and lon, or an address that can be geocoded")


def test_the_calendars_country_keeps_namesakes_abroad_out(tmp_path):
    stops = "name,address,loans_per_visit\nOgre,Ogre,5\n"
    with pytest.raises(InputError) as err:  # the scenario is in Lithuania: no Ogre there
        load_scenario(write_scenario(tmp_path, stops))
    assert err.value.problems[0].value == "Ogre"
    latvian = SCENARIO.replace('country = "LT"', 'country = "LT"\n').replace(
        "[geocoding]\n", '[geocoding]\ncountries = ["LT", "LV"]\n')
    scenario = load_scenario(write_scenario(tmp_path, stops, latvian))
    assert scenario.stops[0].lat == pytest.approx(56.8192, abs=0.01)


def test_a_geocoded_namesake_far_away_is_flagged_by_the_checks(tmp_path):
    # Kalniškiai: 26 villages in Lithuania, none in the Rokiškis district
    stops = STOPS + "Kalniškiai,,,Kalniškiai,5\n"
    notes = ImportNotes()
    scenario = load_scenario(write_scenario(tmp_path, stops), notes=notes)
    far = [w for w in check_scenario(scenario, notes) if w.kind == FAR_AWAY]
    assert [(w.row, w.stop_id) for w in far] == [(8, "kalniskiai")]
    assert "geocoded from 'Kalniškiai'" in far[0].why


def test_geocoding_settings_are_checked_with_their_keys(tmp_path):
    bad = SCENARIO.replace('gazetteer = "{gazetteer}"', 'provider = "google"\nmin_delay_s = -1\ncountries = [1]')
    with pytest.raises(InputError) as err:
        load_scenario(write_scenario(tmp_path, scenario=bad))
    assert {p.column for p in err.value.problems} >= {"geocoding.min_delay_s", "geocoding.countries"}
    missing = SCENARIO.replace('gazetteer = "{gazetteer}"', 'gazetteer = "nowhere.csv"')
    with pytest.raises(InputError) as err:
        load_scenario(write_scenario(tmp_path, scenario=missing))
    assert [p.column for p in err.value.problems][0] == "geocoding.gazetteer"
    nominatim = SCENARIO.replace('gazetteer = "{gazetteer}"', 'provider = "nominatim"')
    with pytest.raises(InputError) as err:
        load_scenario(write_scenario(tmp_path, scenario=nominatim))
    assert [p.column for p in err.value.problems][0] == "geocoding.user_agent"
    assert "usage policy" in err.value.problems[0].expected
    # the addresses say why they were not looked up
    assert {p.expected for p in err.value.problems[1:]} == {
        "lat and lon, or an address that can be geocoded (the geocoder failed: the [geocoding] settings are wrong: "
        "see the problems with geocoding.*)",
        "coordinates, or an address that can be geocoded (the geocoder failed: the [geocoding] settings are wrong: "
        "see the problems with geocoding.*)"}


def test_without_a_geocoder_an_address_is_a_problem_that_says_how_to_get_one(tmp_path):
    path = write_scenario(tmp_path, scenario=SCENARIO.replace('gazetteer = "{gazetteer}"', ""))
    with pytest.raises(InputError) as err:
        load_scenario(path)
    assert err.value.problems[0].column == "depot.address"
    assert "no geocoder is configured" in err.value.problems[0].expected


def test_environment_settings_name_their_variables(tmp_path):
    settings = Settings.from_env({"ROUTEPLANNER_GAZETTEER": str(OSM), "ROUTEPLANNER_INSTANCE_DIR": str(tmp_path),
                                  "ROUTEPLANNER_GEOCODER_COUNTRIES": "lt, lv"})
    config = settings.geocoding()
    assert (config.provider, config.gazetteer, config.countries) == ("gazetteer", str(OSM), ("LT", "LV"))
    assert config.cache_dir == str(tmp_path / "geocoder-cache")
    assert settings.geocoding_problems() == []
    public = Settings.from_env({"ROUTEPLANNER_GEOCODER": "nominatim", "ROUTEPLANNER_GEOCODER_DELAY_S": "0.2"})
    wrong = public.geocoding_problems()
    assert [w.split("=")[0] for w in wrong] == ["ROUTEPLANNER_GEOCODER_USER_AGENT", "ROUTEPLANNER_GEOCODER_DELAY_S"]
    own = Settings.from_env({"ROUTEPLANNER_GEOCODER": "nominatim", "ROUTEPLANNER_GEOCODER_DELAY_S": "0.2",
                             "ROUTEPLANNER_NOMINATIM_URL": "https://geo.example.lt/nominatim",
                             "ROUTEPLANNER_GEOCODER_USER_AGENT": "routeplanner (it@example.lt)"})
    assert own.geocoding_problems() == []  # an own server may be asked faster


# --- geopy's Nominatim, against a Nominatim-shaped server on this machine -------------------

PLACES = {
    "kriaunos": [{"lat": "55.851", "lon": "25.7964", "display_name": "Kriaunos, Rokiškio rajono savivaldybė",
                  "addresstype": "village", "place_rank": 19, "importance": 0.3}],
    "lietuva": [{"lat": "55.35", "lon": "23.75", "display_name": "Lietuva", "addresstype": "country",
                 "place_rank": 4, "importance": 0.9}],
}


class FakeNominatim:
    """A server answering /search as Nominatim does, recording every request."""

    def __init__(self):
        self.requests: list[dict] = []
        self.fail = False
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                outer.requests.append({"path": parts.path, "query": query, "agent": self.headers.get("User-Agent"),
                                       "at": time.monotonic()})
                if outer.fail:
                    self.send_response(503)
                    self.end_headers()
                    return
                body = json.dumps(PLACES.get(query.get("q", "").lower(), [])).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def nominatim():
    server = FakeNominatim()
    yield server
    server.close()


AGENT = "routeplanner-tests (tests@example.org)"


def nominatim_config(server, tmp_path, delay=0.0):
    return GeocodingConfig(provider="nominatim", url=server.url, user_agent=AGENT, min_delay_s=delay,
                           cache_dir=str(tmp_path / "cache"))


def test_nominatim_is_asked_as_its_policy_says_and_answers_are_kept_on_disk(nominatim, tmp_path):
    config = nominatim_config(nominatim, tmp_path, delay=0.5)
    assert config.problems() == []
    geo = build(config).focused(countries=["LT"])
    found = geo("Kriaunos")
    assert (found.lat, found.lon, found.doubts) == (55.851, 25.7964, ())
    assert geo("Nowhere") is None
    first, second = nominatim.requests
    assert first["path"] == "/search" and first["agent"] == AGENT
    assert first["query"]["q"] == "Kriaunos" and first["query"]["countrycodes"].lower() == "lt"
    # geopy's RateLimiter keeps the requests 0.5 s apart (less the first connection's set-up, as the server sees it)
    assert second["at"] - first["at"] >= 0.3
    # another process (a new geocoder on the same cache folder) asks nothing again, the misses included
    again = build(config).focused(countries=["LT"])
    assert again.uncached(["Kriaunos", "Nowhere", "Salos"]) == 1
    assert again("Kriaunos").lat == 55.851 and again("Nowhere") is None
    assert len(nominatim.requests) == 2
    assert (tmp_path / "cache").is_dir()


def test_nominatims_country_fallback_is_a_doubt(nominatim, tmp_path):
    found = build(nominatim_config(nominatim, tmp_path))("Lietuva")
    assert [d.kind for d in found.doubts] == [GEOCODE_FALLBACK]
    assert "a whole country" in found.doubts[0].why


def test_a_failing_service_is_reported_per_address_and_not_asked_again(nominatim, tmp_path):
    nominatim.fail = True
    geo = build(nominatim_config(nominatim, tmp_path), error_wait_s=0.01)
    with pytest.raises(GeocodingFailed, match="Nominatim .* failed: .*503"):
        geo("Kriaunos")
    asked = len(nominatim.requests)
    assert asked == 3  # the first try and geopy's two retries
    stops = "name,address,loans_per_visit\nA,Salos,5\nB,Kamajai,5\n"
    with pytest.raises(InputError) as err:
        read_stops_bytes(stops.encode(), "s.csv", geocoder=geo)
    assert [p.row for p in err.value.problems] == [2, 3]
    assert all("not looked up: the geocoder Nominatim" in p.expected for p in err.value.problems)
    assert len(nominatim.requests) == asked  # a service that is down is not asked 2,000 times


def test_too_many_new_addresses_for_an_online_geocoder_are_refused_before_asking(nominatim, tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_GEOCODE_LOOKUPS", 2)
    config = nominatim_config(nominatim, tmp_path)
    build(config)("Kriaunos")  # kept in the cache from now on
    before = len(nominatim.requests)
    stops = "name,address,loans_per_visit\nA,Kriaunos,5\nB,Salos,5\nC,Kamajai,5\nD,Kamajai,5\n"
    with pytest.raises(InputError) as err:
        read_stops_bytes((stops + "E,Ogre,5\n").encode(), "s.csv", geocoder=build(config))
    (problem,) = err.value.problems
    assert (problem.column, problem.value) == ("address", "3 addresses to look up")
    assert "at most 2 addresses" in problem.expected
    assert len(nominatim.requests) == before  # refused before the first request
    # two new addresses are within the limit (the one kept is not counted); the fake server knows neither
    with pytest.raises(InputError) as err:
        read_stops_bytes(stops.encode(), "s.csv", geocoder=build(config))
    assert [p.value for p in err.value.problems] == ["Salos", "Kamajai", "Kamajai"]
    assert len(nominatim.requests) == before + 2
