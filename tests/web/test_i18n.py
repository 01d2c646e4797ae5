"""The language of every page: the switch (``?lang=``), the browser's choice, a scenario's patron language."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select
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


# --- nothing left in English ------------------------------------------------------------------------------

TRANSLATIONS = Path(i18n.__file__).parent / "translations"


@pytest.mark.parametrize("lang", [code for code in LANGUAGES if code != "en"])
def test_every_message_of_the_catalogue_is_translated(lang):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalogue = read_po(f)
    with (TRANSLATIONS / "messages.pot").open("rb") as f:
        template = read_po(f)
    assert {(m.context, m.id) for m in template if m.id} == {(m.context, m.id) for m in catalogue if m.id}, \
        "the catalogue is older than the template: run `make messages`"
    untranslated = [m.id for m in catalogue if m.id and (
        "fuzzy" in m.flags or not (m.string if isinstance(m.string, str) else all(m.string)))]
    assert not untranslated
    assert not [m.id for m in catalogue if m.id and catalogue.check and list(m.check(catalogue))]


class _Text(HTMLParser):
    """The visible text of a page: text nodes, and the attributes a person reads (title, alt,
    placeholder, aria-label, value of buttons), outside script and style."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("title", "alt", "placeholder", "aria-label") and value:
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data)


def visible(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return [" ".join(t.split()) for t in parser.texts]


#: Words that read the same in every language here: formats, units, names of things.
SAME_EVERYWHERE = {"CSV", "TOML", "JSON", "API", "GPX", "GeoJSON", "PDF", "Excel", "iCalendar", "OR-Tools", "km",
                   "min", "English", "Lietuvių", "Latviešu", "OpenStreetMap", "Leaflet", "ODbL", "GeoNames", "ISO",
                   "IANA", "HH:MM", "webcal"}


def _data_words(app) -> set[str]:
    """Names that come from the data (stops, vans, the scenario), not from the interface."""
    with db.new_session(app) as s:
        scenarios = [row.to_model() for row in s.scalars(select(store.ScenarioRow))]
        plans = [row.label for row in s.scalars(select(store.PlanRow))]
    words = set(plans)
    for sc in scenarios:
        words |= {sc.name, sc.depot.name} | {v.name for v in sc.vehicles}
        words |= {st.name for st in sc.stops} | {st.id for st in sc.stops}
    return {w for w in words if w}


def _english_left(text: str, data: set[str]) -> str:
    """What of a text node still reads as English words once data, numbers and the like are gone."""
    for word in sorted(data | set(i18n.NAMES.values()), key=len, reverse=True):
        text = text.replace(word, " ")
    text = re.sub(r"\S*/\S*", " ", text)  # addresses and paths
    words = re.findall(r"[A-Za-z][A-Za-z'’-]+", text)
    return " ".join(w for w in words if w not in SAME_EVERYWHERE and not re.fullmatch(r"[A-Z]{1,3}\d*", w))


@pytest.mark.parametrize("lang", [code for code in LANGUAGES if code != "en"])
def test_no_visible_string_is_left_in_english(app, client, lang):
    plan_id = store_plan(app)
    publish(client, plan_id)
    pages = ["/", "/scenarios/new", f"/scenarios/{SAMPLE_ID}", f"/scenarios/{SAMPLE_ID}/edit",
             f"/plans/{plan_id}", f"/plans/{plan_id}/driver", f"/plans/{plan_id}/driver/1",
             f"/plans/{plan_id}/timetable", f"/plans/{plan_id}/poster", f"/scenarios/{SAMPLE_ID}/timetable",
             "/compare", f"/compare?plans={plan_id}&plans={plan_id}", "/no-such-page"]
    data = _data_words(app)
    left = {}
    for page in pages:
        english = set(visible(client.get(page + ("&" if "?" in page else "?") + "lang=en").get_data(as_text=True)))
        response = client.get(page + ("&" if "?" in page else "?") + f"lang={lang}")
        for text in visible(response.get_data(as_text=True)):
            rest = _english_left(text, data)
            if rest and text in english:  # the same words in English and in this language
                left.setdefault(page, []).append(text)
    assert not left, left
