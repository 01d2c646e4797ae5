"""The JSON form of a scenario is lossless: snapshots beside plans rely on it."""

from pathlib import Path

import pytest

from routeplanner.io import load_scenario
from routeplanner.io.jsonform import scenario_from_dict, scenario_to_dict

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.mark.parametrize("sample", ["rokiskis", "ogre"])
def test_round_trip_of_the_samples(sample):
    scenario = load_scenario(DATA / sample / "scenario.toml")
    form = scenario_to_dict(scenario)
    assert scenario_from_dict(form, scenario.source) == scenario
    # plain JSON types only
    import json

    assert json.loads(json.dumps(form)) == form
