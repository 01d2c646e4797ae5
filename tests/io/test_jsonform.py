"""The JSON form of a scenario is lossless: snapshots beside plans rely on it."""

import dataclasses
from pathlib import Path

import pytest

from routeplanner.io import load_scenario
from routeplanner.io.jsonform import scenario_from_dict, scenario_to_dict
from routeplanner.model import Travel

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.mark.parametrize("sample", ["rokiskis", "ogre"])
def test_round_trip_of_the_samples(sample):
    scenario = load_scenario(DATA / sample / "scenario.toml")
    form = scenario_to_dict(scenario)
    assert scenario_from_dict(form, scenario.source) == scenario
    # plain JSON types only
    import json

    assert json.loads(json.dumps(form)) == form


@pytest.mark.parametrize("travel", [
    Travel("osm", osm_pbf="/maps/lt.osm.pbf", snap_m=250.0),
    Travel("osrm", osrm_url="http://127.0.0.1:5000", osrm_max_table=500),
])
def test_road_settings_survive_the_snapshot(travel):
    sample = load_scenario(DATA / "rokiskis" / "scenario.toml")
    s = dataclasses.replace(sample, travel=travel)
    assert scenario_from_dict(scenario_to_dict(s), source=s.source).travel == travel
