"""The language of every page: the switch (``?lang=``), the browser's choice, a scenario's patron language."""

from __future__ import annotations

import re

import pytest
from test_publishing import publish, store_plan

from routeplanner import store
from routeplanner.model import LANGUAGES
from routeplanner.web import db, i18n

SAMPLE_ID = 1


def html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:200]
    return match.group(1)


@pytest.fixture
def app(make_app):
    # Every language offered, whatever catalogues this checkout has: the choice is what is tested here.
    return make_app(LANGUAGES=list(LANGUAGES))


@pytest.fixture
def client(app):
    return app.test_client()


def test_the_languages_offered_are_the_model_s():
    assert tuple(i18n.NAMES) == LANGUAGES
    assert i18n.available_languages()[0] == "en"


def test_the_browser_chooses_unless_the_switch_did(client):
    assert html_lang(client.get("/", headers={"Accept-Language": "lv,en;q=0.5"})) == "lv"
    assert html_lang(client.get("/", headers={"Accept-Language": "de"})) == "en"
    # the switch wins and is kept for the next pages of the session
    assert html_lang(client.get("/scenarios?lang=lt", headers={"Accept-Language": "lv"})) == "lt"
    assert html_lang(client.get("/", headers={"Accept-Language": "lv"})) == "lt"
    assert html_lang(client.get("/?lang=xx", headers={"Accept-Language": "lv"})) == "lt"  # unknown: ignored


def test_every_page_has_the_switch_to_this_page_in_each_language(client):
    page = client.get(f"/scenarios/{SAMPLE_ID}?lang=en").get_data(as_text=True)
    for code, name in i18n.NAMES.items():
        assert f'href="/scenarios/{SAMPLE_ID}?lang={code}" hreflang="{code}" lang="{code}"' in page
        assert name in page
    assert re.search(r'hreflang="en" lang="en" aria-current="true"', page)


def test_a_scenario_s_patron_pages_speak_its_language_unless_the_visitor_chose(app, client):
    plan_id = store_plan(app)
    publish(client, plan_id)
    with db.new_session(app) as s:
        row = s.get(store.ScenarioRow, SAMPLE_ID)
        row.settings = {**row.settings, "calendar": {**row.settings["calendar"], "language": "lv"}}
        s.commit()
    fresh = app.test_client()
    english_browser = {"Accept-Language": "en"}
    for address in ("timetable", "poster"):
        assert html_lang(fresh.get(f"/scenarios/{SAMPLE_ID}/{address}", headers=english_browser)) == "lv"
    # the coordinator's own pages still follow the browser
    assert html_lang(fresh.get(f"/scenarios/{SAMPLE_ID}", headers=english_browser)) == "en"
    assert html_lang(fresh.get(f"/scenarios/{SAMPLE_ID}/timetable?lang=en", headers=english_browser)) == "en"


def test_the_patron_language_is_read_and_refused_like_every_setting():
    from routeplanner.errors import InputError
    from routeplanner.io.scenario import scenario_from_toml_text

    base = '''name = "x"
stops = "stops.csv"
[depot]
name = "d"
lat = 55.9
lon = 25.6
[[vehicles]]
name = "v"
capacity_books = 100
'''
    stops = ("stops.csv", b"id,name,lat,lon,loans_per_visit\ns1,Kamajai,55.81,25.49,10\n")
    with pytest.raises(InputError) as err:
        scenario_from_toml_text(base + '[calendar]\nlanguage = "de"\n', stops_upload=stops)
    assert [(p.column, p.value) for p in err.value.problems] == [("calendar.language", "de")], err.value.problems
    read = scenario_from_toml_text(base + '[calendar]\nlanguage = " LV "\n', stops_upload=stops)
    assert read.calendar.language == "lv"


@pytest.mark.parametrize("lang, expected", [("en", "1,234.5"), ("lt", "1\u00a0234,5"), ("lv", "1\u00a0234,5")])
def test_numbers_are_written_as_each_language_writes_them(app, lang, expected):
    from routeplanner.web.pages_text import num

    with app.test_request_context(f"/?lang={lang}"):
        assert num(1234.5) == expected
        assert num(40.0) == "40" and num(None) == "—"
