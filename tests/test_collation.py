"""Names in the local alphabet's order, and which alphabet a scenario's names are in."""

from __future__ import annotations

import dataclasses

from meridian import SCENARIO
from routeplanner import collation
from routeplanner.model import Place


def test_language_from_a_country_code():
    assert collation.language("LT") == "lt"
    assert collation.language("lv") == "lv"
    assert collation.language("EE") == "et"


def test_language_guessed_from_the_letters_of_the_names():
    assert collation.language(None, ["Rokiškio biblioteka", "Kėdainiai", "Juodupė"]) == "lt"
    assert collation.language(None, ["Ogres Centrālā bibliotēka", "Ķegums", "Suntaži"]) == "lv"
    # Š and Ž are written in both: they decide nothing
    assert collation.language(None, ["Šiauliai", "Žemaitija"]) == collation.ROOT
    assert collation.language(None, []) == collation.ROOT


def test_scenario_language_reads_a_country_key_first():
    lithuanian = collation.scenario_language(SCENARIO)  # Rokiškis, Kamajai, Obeliai, Juodupė
    assert lithuanian == "lt"
    # the letters are counted: Juodupė's one ė against the depot's ā, ā, ē
    in_latvia = dataclasses.replace(SCENARIO, depot=Place("Ogres Centrālā bibliotēka", 56.8, 24.6))
    assert collation.scenario_language(in_latvia) == "lv"
    with_country = type("WithCountry", (), {"country": "LV", "depot": SCENARIO.depot, "stops": SCENARIO.stops})()
    assert collation.scenario_language(with_country) == "lv"
    assert collation.scenario_language(None, ["Ķegums"]) == "lv"


def test_sort_by_name_lithuanian_and_latvian():
    lt = ["Žiobiškis", "Zarasai", "Čedasai", "Cypliai", "Dauliai", "Šetekšnai", "Salos"]
    assert collation.sort_by_name(lt, str, "lt") == [
        "Cypliai", "Čedasai", "Dauliai", "Salos", "Šetekšnai", "Zarasai", "Žiobiškis"]
    lv = ["Ļaudona", "Lielvārde", "Šķibe", "Suntaži", "Žūrnieki", "Zaube"]
    assert collation.sort_by_name(lv, str, "lv") == ["Lielvārde", "Ļaudona", "Suntaži", "Šķibe", "Zaube", "Žūrnieki"]
    # ties (one name, two stops) fall back to the id
    pairs = [("b", "Salos"), ("a", "Salos")]
    assert collation.sort_by_name(pairs, lambda p: p[1], "lt", tie=lambda p: p[0]) == [("a", "Salos"), ("b", "Salos")]
