"""Maps: the one escaping helper, Leaflet from the app only, layers and markers, the SVG drawing.

The folium HTML is also run through Node.js with a stand-in for Leaflet, so
the JavaScript is proven to parse (a backslash in a template literal is a
SyntaxError that blanks the whole map) and to hand Leaflet only inert text.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from flask import Flask

from routeplanner.model import (
    Cycle,
    Frequency,
    Place,
    Plan,
    Route,
    Scenario,
    Stop,
    Totals,
    Travel,
    Unserved,
    Vehicle,
    Visit,
)
from routeplanner.web.maps import (
    DAY_COLOURS,
    MapAssets,
    MapHTML,
    Popup,
    compare_map,
    depot_picker_map,
    map_html,
    map_text,
    plan_map,
    render_map,
    route_svg,
    route_line,
    stops_map,
)

HOSTILE = ("<img src=x onerror=alert(1)>", "Vila ${alert(1)}", "C:\\users\\x",
           "{{7*7}} {% raw %} {# x </script>")
ASSETS = MapAssets("/static/vendor/leaflet/leaflet.js", "/static/vendor/leaflet/leaflet.css", None)
DEPOT = Place("Depot <b>", 55.96, 25.59)


@pytest.fixture(autouse=True)
def app_context():
    """gettext needs an app context; a bare Flask app will do."""
    from flask_babel import Babel

    app = Flask(__name__)
    Babel(app)
    with app.app_context():
        yield


def visit(stop_id: str, name: str, lat: float, lon: float, t: int) -> Visit:
    return Visit(stop_id, name, lat, lon, t, t + 20, 12.5, 5000.0, 7.0)


def sample_plan() -> tuple[Plan, Scenario]:
    """A hand-made plan: 2 weeks x Mon/Tue, hostile names, one unserved stop."""
    stops = [
        Stop("img", HOSTILE[0], 55.98, 25.60, 20),
        Stop("vila", HOSTILE[1], 55.95, 25.65, 15),
        Stop("path", HOSTILE[2], 55.99, 25.55, 10),
        Stop("k", "Kamajai", 55.82, 25.50, 30, Frequency(period_weeks=1)),
        Stop("jinja", HOSTILE[3], 55.90, 25.52, 10),
        Stop("far", "Far `away` ${x}", 57.5, 27.0, 5),
    ]
    scenario = Scenario("S", DEPOT, (Vehicle("Van <i>", 2500),), tuple(stops), Cycle(2, ("Mon", "Tue")))
    routes = [
        Route("Van <i>", 1, "Mon", DEPOT, 480, 900, [visit("img", HOSTILE[0], 55.98, 25.60, 540),
                                                      visit("k", "Kamajai", 55.82, 25.50, 600)]),
        Route("Van <i>", 1, "Tue", DEPOT, 480, 900, [visit("vila", HOSTILE[1], 55.95, 25.65, 540),
                                                      visit("path", HOSTILE[2], 55.99, 25.55, 600)]),
        Route("Van <i>", 2, "Mon", DEPOT, 480, 900, [visit("k", "Kamajai", 55.82, 25.50, 600),
                                                      visit("jinja", HOSTILE[3], 55.90, 25.52, 660)]),
        Route("Van <i>", 2, "Tue", DEPOT, 480, 900, []),
    ]
    unserved = [Unserved("far", "Far `away` ${x}", 1, "too far: <b>400 km</b>", "a longer shift")]
    totals = Totals(100, 120, 100, 5, 4, 5, 60, 65)
    return Plan("S", scenario.cycle, Travel(), routes, unserved, totals), scenario


# --- the escaping helper ------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, escaped",
    [
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ("Vila ${alert(1)}", "Vila &#36;&#123;alert(1)&#125;"),
        ("{{7*7}}", "&#123;&#123;7*7&#125;&#125;"),
        ("{% raw %}{# x", "&#123;% raw %&#125;&#123;# x"),
        ("C:\\users\\x", "C:&#92;users&#92;x"),
        ("`back` 'single' \"double\" & amp", "&#96;back&#96; &#x27;single&#x27; &quot;double&quot; &amp; amp"),
        ("two\nlines\r\nhere", "two lines here"),
        (42, "42"),
    ],
)
def test_map_text(raw, escaped):
    out = map_text(raw)
    assert out == escaped and isinstance(out, MapHTML)
    for ch in "<>`$\\\"'\n{}":
        assert ch not in out
    assert html.unescape(out) == " ".join(str(raw).splitlines())


def test_map_html_escapes_values_but_not_its_own_markup():
    out = map_html("<b>{name}</b> {n}", name=HOSTILE[0], n=3)
    assert out == "<b>&lt;img src=x onerror=alert(1)&gt;</b> 3"
    nested = map_html("<p>{inner}</p>", inner=out)  # already MapHTML: kept as is
    assert nested == f"<p>{out}</p>"


def test_raw_text_cannot_reach_folium():
    with pytest.raises(TypeError):
        Popup("<b>raw</b>")
    assert Popup(map_text("ok")) is not None


# --- folium maps ----------------------------------------------------------------------------


def test_plan_map_uses_only_our_leaflet_and_no_jquery():
    plan, scenario = sample_plan()
    out = render_map(plan_map(plan, scenario, ASSETS), "title <x>")
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', out)
    styles = re.findall(r'<link[^>]*href="([^"]+)"', out)
    assert scripts == [ASSETS.leaflet_js] and styles == [ASSETS.leaflet_css]
    assert "$(" not in out and "jquery" not in out.lower() and "bootstrap" not in out.lower()
    assert "tile.openstreetmap" not in out  # tiles off
    assert "<title>title &lt;x&gt;</title>" in out


def test_plan_map_with_tiles():
    plan, scenario = sample_plan()
    out = render_map(plan_map(plan, scenario, dataclasses.replace(ASSETS, tiles="OpenStreetMap")))
    assert "tile.openstreetmap.org" in out and "L.tileLayer" in out


def test_plan_map_layers_and_markers():
    plan, scenario = sample_plan()
    out = render_map(plan_map(plan, scenario, ASSETS))
    visits = sum(len(r.visits) for r in plan.routes)
    assert out.count("L.circleMarker(") == visits + 1 + 1  # + the depot + one unserved stop
    assert out.count("L.polyline(") == sum(1 for r in plan.routes if r.visits)
    assert out.count("L.featureGroup(") == len(plan.routes) + 2  # + unserved + depot
    assert "L.control.layers" in out
    for day in ("Mon", "Tue"):
        assert DAY_COLOURS[day] in out
    assert '"dashArray": "10 6"' in out  # week 2 is dashed
    assert "Not served (1)" in out and "Week 1, Monday" in out


def test_plan_map_escapes_every_name():
    plan, scenario = sample_plan()
    out = render_map(plan_map(plan, scenario, ASSETS))
    for bad in ("<img src=x", "${alert", "${x}", "C:\\users", "`away`", "<b>400 km</b>", "Van <i>", "Depot <b>",
                "{{", "{%", "{#", "</script> "):
        assert bad not in out, bad


def test_compare_map():
    plan, scenario = sample_plan()
    other = dataclasses.replace(plan, routes=plan.routes[:2])
    out = render_map(compare_map([("Plan 1 <a>", plan), ("Plan 2", other)], ASSETS))
    assert out.count("L.featureGroup(") == 3
    assert "Plan 1 \\u0026lt;a\\u0026gt;" in out and "<a>" not in out  # escaped, then JSON
    assert out.count("L.circleMarker(") == 6 + 4 + 1


def stops_sample():
    from routeplanner.datachecks import check_scenario

    _plan, scenario = sample_plan()
    return scenario, check_scenario(scenario)


def test_stops_map_marks_the_stops_with_a_warning_and_shows_every_point():
    scenario, warnings = stops_sample()
    assert [(w.kind, w.stop_id) for w in warnings] == [("far-away", "far")]
    out = render_map(stops_map(scenario, warnings, ASSETS), "stops <x>")
    assert out.count("L.circleMarker(") == len(scenario.stops) + 1  # and the depot
    assert out.count('"className": "stop-warning"') == 1 and out.count('"className": "stop"') == 5
    assert "With a warning (1)" in out and "Stops (5)" in out
    # the view holds the far stop too: a stop in the wrong place must be seen far away
    bounds = json.loads(re.search(r"fitBounds\(\s*(\[\[.*?\]\])", out, re.S).group(1))
    assert bounds[1][0] > 57.5 and bounds[1][1] > 27.0
    for bad in ("<img src=x", "${alert", "${x}", "C:\\users", "`away`", "Depot <b>", "{{", "{%", "{#", "</script> "):
        assert bad not in out, bad
    assert "is 1" in html.unescape(out)  # the warning's text is in the far stop's popup


def test_depot_picker_sends_the_click_to_its_own_origin_only():
    out = render_map(depot_picker_map((55.9644, 25.5912), [], ASSETS))
    assert 'postMessage({type: "routeplanner:depot", lat: lat, lon: lon}, window.location.origin)' in out
    assert "place(55.9644, 25.5912);" in out and '"zoom": 13' in out
    fresh = render_map(depot_picker_map(None, [], ASSETS))
    assert "place(" in fresh and "place(5" not in fresh and '"zoom": 6' in fresh
    around = render_map(depot_picker_map(None, [(55.96, 25.59), (56.82, 24.61)], ASSETS))
    assert "fitBounds" in around


NODE_HARNESS = r"""
const fs = require("fs");
const calls = [];
let alerts = 0;
function stub(name) {
  const f = function (...args) { calls.push([name, args]); return stub(name); };
  return new Proxy(f, {
    get(target, prop) {
      if (prop === Symbol.toPrimitive) { return () => ""; }
      if (prop === "then") { return undefined; }
      return stub(String(prop));
    },
  });
}
globalThis.L = stub("L");
globalThis.document = stub("document");
globalThis.window = globalThis;
globalThis.alert = () => { alerts += 1; };
globalThis.$ = () => { throw new Error("jQuery used"); };
const code = fs.readFileSync(process.argv[2], "utf8");
(0, eval)(code);
const texts = calls
  .filter(([name]) => ["setContent", "bindTooltip", "layers"].includes(name))
  .map(([name, args]) => [name, typeof args[0] === "string" ? args[0] : JSON.stringify(Object.keys(args[1] || {}))]);
process.stdout.write(JSON.stringify({ alerts, texts }));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
@pytest.mark.parametrize("which", ["plan", "compare", "stops"])
def test_map_javascript_runs_and_shows_names_as_text(tmp_path: Path, which: str):
    plan, scenario = sample_plan()
    if which == "stops":
        m = stops_map(*stops_sample(), ASSETS)
    else:
        m = plan_map(plan, scenario, ASSETS) if which == "plan" else compare_map([(HOSTILE[1], plan)], ASSETS)
    out = render_map(m)
    inline = "\n".join(re.findall(r"<script>(.*?)</script>", out, re.S))
    (tmp_path / "map.js").write_text(inline, encoding="utf-8")
    (tmp_path / "harness.js").write_text(NODE_HARNESS, encoding="utf-8")
    run = subprocess.run(["node", str(tmp_path / "harness.js"), str(tmp_path / "map.js")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr  # a SyntaxError here is a blank map in the browser
    result = json.loads(run.stdout)
    assert result["alerts"] == 0
    shown = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", t)) for _name, t in result["texts"])
    for name in HOSTILE:
        assert name in shown, name
    # the HTML Leaflet receives has no tags but ours
    tags = {t for _n, text in result["texts"] for t in re.findall(r"<\s*(\w+)", text)}
    assert tags <= {"div", "strong", "br", "em", "span"}, tags
    if which == "plan":
        layer_names = next(json.loads(t) for n, t in result["texts"] if n == "layers")
        assert any("Van &lt;i&gt;" in k for k in layer_names)


# --- the driver sheet's drawing ---------------------------------------------------------------------


def test_route_svg_fits_the_box_and_keeps_marks_apart():
    plan, _ = sample_plan()
    route = dataclasses.replace(plan.routes[0], visits=plan.routes[0].visits + [
        visit("same", "Same place", 55.82, 25.50, 700),  # on top of Kamajai
        visit("near", "Near", 55.8201, 25.5001, 760),
    ])
    svg = route_svg(route, width=640, height=300)
    assert len(svg.stops) == 4 and [p.order for p in svg.stops] == [1, 2, 3, 4]
    for p in svg.stops:
        assert 0 <= p.x <= 640 and 0 <= p.y <= 300
        assert 0 <= p.label_x <= 640
    marks = [(p.x, p.y) for p in svg.stops] + [svg.depot]
    for i, a in enumerate(marks):
        for b in marks[i + 1:]:
            assert (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 >= 19 ** 2, (a, b)
    assert svg.path.count(",") == len(svg.stops) + 2
    assert svg.scale_label.endswith("km") and svg.scale_px > 0


@pytest.mark.parametrize("visits", [[], [visit("a", "At the depot", 55.96, 25.59, 540)]])
def test_route_svg_degenerate_routes(visits):
    route = Route("V", 1, "Mon", Place("D", 55.96, 25.59), 480, 900, visits)
    svg = route_svg(route)
    assert 0 <= svg.depot[0] <= svg.width and 0 <= svg.depot[1] <= svg.height
    assert all(0 <= p.x <= svg.width for p in svg.stops)


def test_weekday_colours_are_distinct():
    assert len(set(DAY_COLOURS.values())) == 7


def test_map_tiles_come_from_the_environment(monkeypatch, tmp_path):
    """ROUTEPLANNER_MAP_TILES: a provider's name, or none; a name folium does not know stops the start."""
    from routeplanner.web import create_app
    from routeplanner.web.pages import map_assets

    config = {"DATABASE_URL": f"sqlite:///{tmp_path / 'tiles.sqlite'}", "START_RUNNER": False, "LOAD_SAMPLE": False}
    for value, expected in ((None, "OpenStreetMap"), ("none", None), ("OpenTopoMap", "OpenTopoMap")):
        if value is None:
            monkeypatch.delenv("ROUTEPLANNER_MAP_TILES", raising=False)
        else:
            monkeypatch.setenv("ROUTEPLANNER_MAP_TILES", value)
        app = create_app(config)
        try:
            with app.test_request_context():
                assert map_assets().tiles == expected
        finally:
            app.extensions["routeplanner.engine"].dispose()
    monkeypatch.setenv("ROUTEPLANNER_MAP_TILES", "no such tiles")
    with pytest.raises(ValueError, match="ROUTEPLANNER_MAP_TILES='no such tiles'"):
        create_app(config)


def test_a_stop_name_never_runs_as_a_template_on_the_server():
    """branca compiles folium's output as Jinja2: ``{{ ... }}`` in a name would run here (issue 9).

    The payload is the issue's: it runs ``id`` through ``os.popen`` without a quote character.
    """
    payload = "{{ lipsum.__globals__.os.popen(dict(id=1)|first).read() }} {{7*7}}"
    route = Route("Van", 1, "Mon", Place("Depot", 55.96, 25.59), 480, 900,
                  [visit("x", payload, 55.98, 25.60, 540)])
    plan = Plan("S", Cycle(1, ("Mon",)), Travel(), [route], [], Totals(1, 1, 1, 1, 1, 1, 1, 1))
    out = render_map(plan_map(plan, None, ASSETS), title=payload)
    assert "uid=" not in out and "{{" not in out
    assert html.unescape(out.replace("\\u0026", "&")).count(payload) >= 2  # popup and tooltip, as text


# --- routes along the roads (issue 15) ---------------------------------------------------------


def detour_shapes(route: Route) -> dict:
    """Every leg of ``route`` by way of a point 0.0123 degrees west of its middle."""
    stops = [(route.depot.lat, route.depot.lon)] + [(v.lat, v.lon) for v in route.visits]
    stops.append(stops[0])
    return {(a, b): [a, ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2 - 0.0123), b] for a, b in zip(stops, stops[1:])}


def test_plan_map_draws_the_roads_where_it_has_them():
    plan, scenario = sample_plan()
    shapes = detour_shapes(plan.routes[0])
    a, b = (DEPOT.lat, DEPOT.lon), (55.98, 25.60)
    middle = shapes[(a, b)][1]
    with_roads = render_map(plan_map(plan, scenario, ASSETS, shapes))
    straight = render_map(plan_map(plan, scenario, ASSETS))
    assert f"[{middle[0]}, {middle[1]}]" in with_roads and f"[{middle[0]}, {middle[1]}]" not in straight
    # the other routes have no shapes: straight, and every marker is where it was
    assert with_roads.count("L.circleMarker(") == straight.count("L.circleMarker(")
    assert with_roads.count("L.polyline(") == straight.count("L.polyline(")


def test_compare_map_draws_each_plan_with_its_own_roads():
    plan, _scenario = sample_plan()
    shapes = detour_shapes(plan.routes[0])
    middle = next(iter(shapes.values()))[1]
    out = render_map(compare_map([("A", plan), ("B", plan)], ASSETS, [shapes, None]))
    assert out.count(f"[{middle[0]}, {middle[1]}]") == 1


def test_route_svg_along_the_roads():
    plan, _ = sample_plan()
    route = plan.routes[0]
    straight = route_svg(route)
    roads = route_svg(route, shapes=detour_shapes(route))
    assert not straight.along_roads and roads.along_roads
    points = [tuple(map(float, p.split(","))) for p in roads.path.split()]
    assert len(points) == 2 * (len(route.visits) + 1) + 1  # a middle point on each leg
    assert all(0 <= x <= roads.width and 0 <= y <= roads.height for x, y in points)
    # the stops are still where the path passes
    for stop in roads.stops:
        assert min((x - stop.x) ** 2 + (y - stop.y) ** 2 for x, y in points) < 25 ** 2


def test_route_line_keeps_a_leg_without_a_shape_straight():
    plan, _ = sample_plan()
    route = plan.routes[0]
    shapes = detour_shapes(route)
    first = next(iter(shapes))
    del shapes[first]
    line = route_line(route, shapes)
    assert line[0] == line[-1] == (DEPOT.lat, DEPOT.lon)
    assert line[:2] == list(first)  # the depot, then straight to stop 1
    assert len(line) == 2 + 2 * len(route.visits)
