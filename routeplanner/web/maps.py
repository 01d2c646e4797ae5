"""Maps of plans: folium (Leaflet) for the browser, a static SVG for paper.

Two rules keep these maps safe and working offline:

* **One escaping helper.**  folium pastes popup and tooltip text into its
  JavaScript as raw HTML, tooltips inside a JS template literal (`` `...` ``),
  and Leaflet's layer control writes layer names with ``innerHTML``.  So
  every piece of text that reaches folium goes through :func:`map_text`,
  which HTML-escapes it *and* turns the characters that mean something in a
  template literal or a JS string (backslash, backtick, ``$``) into HTML
  character references.  The result is inert in HTML, in a template literal
  and in a JSON string alike, and the browser still shows the original text.
  HTML fragments are built only with :func:`map_html` from such pieces.
* **Leaflet served by the app.**  folium's defaults load Leaflet, jQuery,
  Bootstrap and awesome-markers from public CDNs; without internet the map
  is blank (``L is not defined``).  The maps here use plain circle markers,
  polylines, popups, tooltips, feature groups and the layer control, which
  need only ``leaflet.js`` and ``leaflet.css``; :class:`Popup` replaces
  folium's popup template, which needs jQuery.  Tiles are an optional
  background: routes, stops and labels are drawn without them.

The driver sheet's map is :func:`route_svg`: a drawing made here from the
coordinates, so it prints without tiles, JavaScript or internet.

Routes follow the roads where the plan's travel method knows them
(``routeplanner.travel.leg_shapes``: a mapping of each leg's two ends to its
way); otherwise legs are straight lines, and the page's legend says so.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import folium
from branca.element import MacroElement
from folium.template import Template
from flask_babel import gettext as _
from flask_babel import ngettext

from routeplanner import formats
from routeplanner.config import DEFAULT_MAP_TILES
from routeplanner.datachecks import DEPOT, DataWarning
from routeplanner.model import WEEKDAYS, Place, Plan, Route, Scenario, calendar_routes, hhmm

#: (lat, lon) of a leg's two ends -> its way along the roads, end to end.
Shapes = Mapping[tuple[tuple[float, float], tuple[float, float]], Sequence[tuple[float, float]]]

#: One colour per weekday (Okabe-Ito, readable by colour-blind people).
DAY_COLOURS: dict[str, str] = {
    "Mon": "#0072B2",
    "Tue": "#D55E00",
    "Wed": "#009E73",
    "Thu": "#CC79A7",
    "Fri": "#E69F00",
    "Sat": "#56B4E9",
    "Sun": "#444444",
}
#: Line patterns for the weeks of the cycle: week 1 solid, week 2 dashed, ...
WEEK_DASHES: tuple[str | None, ...] = (None, "10 6", "2 6", "12 4 2 4")
#: One colour per plan on the comparison map.
PLAN_COLOURS: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#444444")
UNSERVED_COLOUR = "#B00020"
DEPOT_COLOUR = "#111111"

#: The maps' background unless ``ROUTEPLANNER_MAP_TILES`` says otherwise.
DEFAULT_TILES = DEFAULT_MAP_TILES


# --- the one escaping helper ------------------------------------------------

# Characters that mean something in a JS template literal or string (backslash,
# backtick, ``$``) or to Jinja2 (``{`` and ``}``: branca compiles folium's output
# as a template, so ``{{ ... }}`` in a stop name would run on the server, and
# ``{% raw %}`` would break every render); as character references they are
# only text.  ``%`` and ``#`` need no reference once ``{`` has one: Jinja's
# delimiters all start with ``{`` (line statements are not enabled).
_JS_SPECIALS = str.maketrans({"\\": "&#92;", "`": "&#96;", "$": "&#36;", "{": "&#123;", "}": "&#125;"})


def map_text(value: object) -> "MapHTML":
    """Any text as HTML that is inert inside HTML, JS template literals and strings.

    ``<img src=x onerror=alert(1)>`` -> ``&lt;img src=x onerror=alert(1)&gt;``;
    ``Vila ${alert(1)}`` -> ``Vila &#36;{alert(1)}``; ``C:\\users\\x`` ->
    ``C:&#92;users&#92;x``; ``{{7*7}}`` -> ``&#123;&#123;7*7&#125;&#125;``.  Line
    breaks become spaces (folium joins lines).
    """
    text = html.escape(str(value), quote=True)
    text = text.translate(_JS_SPECIALS)
    if "\n" in text or "\r" in text:
        text = " ".join(text.splitlines())
    return MapHTML(text)


class MapHTML(str):
    """An HTML fragment built only from :func:`map_text` pieces (our markup + escaped text)."""


def map_html(template: str, **values: object) -> MapHTML:
    """``template`` (our own markup, never user text) with escaped ``values``.

    ``map_html("<b>{name}</b>", name=stop.name)``; a value that is already a
    :class:`MapHTML` is inserted as it is.
    """
    safe = {k: v if isinstance(v, MapHTML) else map_text(v) for k, v in values.items()}
    return MapHTML(template.format(**safe))


def join_html(parts: Iterable[MapHTML], sep: str = "<br>") -> MapHTML:
    return MapHTML(sep.join(p for p in parts if p))


class Popup(folium.Popup):
    """folium's popup without jQuery: the content goes in as a JSON string.

    folium's own template calls ``$(`...`)``, which needs jQuery and puts the
    content inside a template literal.  Content here is always a
    :class:`MapHTML` (escaped by :func:`map_text`); ``tojson`` also escapes
    ``<``, ``>``, ``&`` and quotes for the surrounding ``<script>``.
    """

    # folium renders a popup's template whole (no script macro).
    _template = Template(
        """
        var {{ this.get_name() }} = L.popup({{ this.options|tojavascript }});
        {%- for name, element in this.html._children.items() %}
        {{ this.get_name() }}.setContent({{ element.render(**kwargs)|tojson }});
        {%- endfor %}
        {{ this._parent.get_name() }}.bindPopup({{ this.get_name() }});
        """
    )

    def __init__(self, content: MapHTML, max_width: int = 320):
        if not isinstance(content, MapHTML):
            raise TypeError("popup content must be built with map_html()")
        super().__init__(content, max_width=max_width)


def _tooltip(content: MapHTML) -> folium.Tooltip:
    if not isinstance(content, MapHTML):
        raise TypeError("tooltip content must be built with map_html()")
    return folium.Tooltip(content, sticky=True)


def _group(name: MapHTML, show: bool = True) -> folium.FeatureGroup:
    """A layer; its name is HTML in Leaflet's layer control, so it must be MapHTML."""
    if not isinstance(name, MapHTML):
        raise TypeError("layer names must be built with map_html()")
    return folium.FeatureGroup(name=name, show=show)


# --- labels -------------------------------------------------------------------


def day_name(day: str) -> str:
    """``"Tue"`` -> ``"Tuesday"``, translated."""
    return formats.day_name(day, "name", _)


def route_title(route: Route) -> str:
    """``"Week 1, Tuesday — Bibliobusas"`` (plain text; escape where it is used)."""
    return _("Week %(week)d, %(day)s — %(vehicle)s", week=route.week, day=day_name(route.day), vehicle=route.vehicle)


def _swatch(colour: str, dash: str | None = None) -> MapHTML:
    style = f"border-bottom:3px {'dashed' if dash else 'solid'} {colour}"
    return MapHTML(f'<span aria-hidden="true" style="display:inline-block;width:1.6em;margin-right:.3em;{style}"></span>')


def week_dash(week: int) -> str | None:
    return WEEK_DASHES[(week - 1) % len(WEEK_DASHES)]


def _visit_popup(route: Route, visit, order: int, extra: MapHTML | None = None) -> MapHTML:
    when = route_title(route)
    if route.date is not None:
        when += f" ({route.date.isoformat()})"
    lines = [
        map_html("<strong>{n}. {name}</strong>", n=order, name=visit.name),
        map_text(when),
        map_text(_("Open %(start)s–%(end)s", start=hhmm(visit.arrival_min), end=hhmm(visit.departure_min))),
        map_text(_("Expected loans: %(loans)s", loans=formats.loans(visit.loans))),
    ]
    if extra:
        lines.insert(0, extra)
    return join_html(MapHTML(x) for x in lines)


# --- folium maps ---------------------------------------------------------------


@dataclass
class MapAssets:
    """Where the browser gets Leaflet, and which tiles to draw under the routes."""

    leaflet_js: str
    leaflet_css: str
    tiles: str | None = DEFAULT_TILES


def _new_map(centre: Place, assets: MapAssets) -> folium.Map:
    m = folium.Map(
        location=(centre.lat, centre.lon),
        zoom_start=10,
        tiles=assets.tiles or None,
        zoom_snap=0.25,  # fit the routes snugly, not to the next whole zoom level
    )
    # Instance attributes shadow folium's CDN lists: only Leaflet, from us.
    m.default_js = [("leaflet", assets.leaflet_js)]
    m.default_css = [("leaflet_css", assets.leaflet_css)]
    _MetricScale().add_to(m)
    return m


class _MetricScale(MacroElement):
    """A kilometre scale bar (folium's shows miles too, which then covers the attribution on a phone)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )


def _fit(m: folium.Map, points: Sequence[tuple[float, float]]) -> None:
    if not points:
        return
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    pad = 0.01
    m.fit_bounds([[min(lats) - pad, min(lons) - pad], [max(lats) + pad, max(lons) + pad]])


def _near(points: Sequence[tuple[float, float]], extra: Sequence[tuple[float, float]],
          margin: float = 0.5) -> list[tuple[float, float]]:
    """The ``extra`` points inside the box of ``points`` grown by ``margin`` of its size."""
    if len(points) < 2:
        return list(extra)
    lat0, lat1 = min(p[0] for p in points), max(p[0] for p in points)
    lon0, lon1 = min(p[1] for p in points), max(p[1] for p in points)
    dlat, dlon = max(lat1 - lat0, 0.05) * margin, max(lon1 - lon0, 0.05) * margin
    return [p for p in extra if lat0 - dlat <= p[0] <= lat1 + dlat and lon0 - dlon <= p[1] <= lon1 + dlon]


def _depot_layer(depot: Place, label: MapHTML | None = None) -> folium.FeatureGroup:
    group = _group(join_html([_swatch(DEPOT_COLOUR), label or map_text(_("Depot"))], sep=""))
    _marker(group, (depot.lat, depot.lon), DEPOT_COLOUR, radius=10, weight=3, fill="#FFFFFF", opacity=1.0,
            popup=join_html([map_html("<strong>{n}</strong>", n=depot.name), map_text(_("Depot"))]),
            tooltip=map_html("{n} ({d})", n=depot.name, d=_("depot")))
    return group


def _marker(group: folium.FeatureGroup, point: tuple[float, float], colour: str, *, radius: int, weight: int,
            fill: str, opacity: float, popup: MapHTML, tooltip: MapHTML, dash: str | None = None,
            class_name: str | None = None) -> None:
    """A round marker with its popup and tooltip (both already inert: :func:`map_text`, :func:`map_html`);
    ``class_name`` (ours, never user text) marks its SVG path for the page's tests and styles."""
    folium.CircleMarker(
        point, radius=radius, color=colour, weight=weight, dash_array=dash, fill=True, fill_color=fill,
        fill_opacity=opacity, popup=Popup(popup), tooltip=_tooltip(tooltip), class_name=class_name,
    ).add_to(group)


def route_line(route: Route, shapes: Shapes | None = None) -> list[tuple[float, float]]:
    """The route's line, depot to depot: along the roads of ``shapes`` where it has the leg, else straight."""
    stops = [(route.depot.lat, route.depot.lon)] + [(v.lat, v.lon) for v in route.visits]
    stops.append(stops[0])
    if not shapes:
        return stops
    line = [stops[0]]
    for a, b in zip(stops, stops[1:]):
        line += list(shapes.get((a, b), (a, b)))[1:]
    return line


def _route_into(group: folium.FeatureGroup, route: Route, colour: str, dash: str | None,
                popup_extra: MapHTML | None = None, shapes: Shapes | None = None) -> list[tuple[float, float]]:
    points = [(route.depot.lat, route.depot.lon)] + [(v.lat, v.lon) for v in route.visits]
    points.append((route.depot.lat, route.depot.lon))
    if route.visits:
        folium.PolyLine(
            route_line(route, shapes), color=colour, weight=4, opacity=0.85, dash_array=dash,
            tooltip=_tooltip(map_text(route_title(route))),
        ).add_to(group)
    for order, visit in enumerate(route.visits, start=1):
        _marker(group, (visit.lat, visit.lon), colour, radius=7, weight=2, fill=colour, opacity=0.9,
                popup=_visit_popup(route, visit, order, popup_extra),
                tooltip=map_html("{n}. {name}", n=order, name=visit.name))
    return points


def _unserved_layer(plan: Plan, scenario: Scenario | None) -> tuple[folium.FeatureGroup | None, list]:
    if not plan.unserved:
        return None, []
    where = {s.id: s for s in scenario.stops} if scenario is not None else {}
    group = _group(
        join_html([_swatch(UNSERVED_COLOUR, "dash"),
                   map_text(_("Not served (%(n)d)", n=len(plan.unserved)))], sep="")
    )
    points = []
    for u in plan.unserved:
        stop = where.get(u.stop_id)
        if stop is None:
            continue  # no coordinates known; the page lists it anyway
        lines = [
            map_html("<strong>{name}</strong>", name=u.name),
            map_text(_("Not served: %(n)d visit(s) missing", n=u.missing_visits)),
            map_text(u.reason),
        ]
        if u.suggestion:
            lines.append(map_text(_("Suggestion: %(text)s", text=u.suggestion)))
        _marker(group, (stop.lat, stop.lon), UNSERVED_COLOUR, radius=8, weight=3, dash="4 3", fill="#FFFFFF",
                opacity=0.8, popup=join_html(lines), tooltip=map_html("{name} ({what})", name=u.name, what=_("not served")))
        points.append((stop.lat, stop.lon))
    return group, points


def plan_map(plan: Plan, scenario: Scenario | None, assets: MapAssets, shapes: Shapes | None = None) -> folium.Map:
    """The plan on a map: a layer per route-day, coloured by weekday, dashed by week.

    ``scenario`` (the snapshot the plan was made from) places the unserved
    stops; without it they are only listed on the page.  ``shapes``: the legs'
    ways along the roads (straight lines without).
    """
    routes = calendar_routes(plan)
    depot = routes[0].depot if routes else (scenario.depot if scenario else Place("", 0.0, 0.0))
    m = _new_map(depot, assets)
    points: list[tuple[float, float]] = [(depot.lat, depot.lon)]
    for route in routes:
        colour, dash = DAY_COLOURS.get(route.day, "#333333"), week_dash(route.week)
        name = join_html(
            [_swatch(colour, dash), map_text(route_title(route)),
             map_text(" · " + ngettext("%(num)d stop", "%(num)d stops", len(route.visits)))], sep=""
        )
        group = _group(name)
        points += _route_into(group, route, colour, dash, shapes=shapes)
        group.add_to(m)
    unserved, more = _unserved_layer(plan, scenario)
    if unserved is not None:
        unserved.add_to(m)
        # A stop left out because it is far away must not shrink the routes to a dot.
        points += _near(points, more)
    _depot_layer(depot).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    _fit(m, points)
    return m


def compare_map(plans: Sequence[tuple[str, Plan]], assets: MapAssets,
                shapes: Sequence[Shapes | None] = ()) -> folium.Map:
    """Several plans on one map: one layer per plan, one colour and line pattern each;
    ``shapes[i]``: plan i's legs along the roads (straight lines where it has none)."""
    depot = next((r.depot for _label, p in plans for r in p.routes), Place("", 0.0, 0.0))
    m = _new_map(depot, assets)
    points: list[tuple[float, float]] = [(depot.lat, depot.lon)]
    for i, (label, plan) in enumerate(plans):
        colour = PLAN_COLOURS[i % len(PLAN_COLOURS)]
        dash = None if i == 0 else WEEK_DASHES[1 + (i - 1) % (len(WEEK_DASHES) - 1)]
        group = _group(join_html([_swatch(colour, dash), map_text(label)], sep=""))
        extra = map_html("<em>{label}</em>", label=label)
        for route in calendar_routes(plan):
            points += _route_into(group, route, colour, dash, popup_extra=extra,
                                  shapes=shapes[i] if i < len(shapes) else None)
        group.add_to(m)
    _depot_layer(depot).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    _fit(m, points)
    return m


#: Stops without a warning on the map of the stops, and those with one.
STOP_COLOUR = "#0072B2"
WARNING_COLOUR = "#B00020"


def stops_map(scenario: Scenario, warnings: Sequence[DataWarning], assets: MapAssets) -> folium.Map:
    """The stops before planning: every stop and the depot, the ones with a warning in a layer of
    their own, drawn larger and red, with the warnings in their popups.  The view holds every
    point, the far ones too: a stop in the wrong place must show far from the others."""
    m = _new_map(scenario.depot, assets)
    by_stop: dict[str, list[DataWarning]] = {}
    for w in warnings:
        if w.stop_id is not None:
            by_stop.setdefault(w.stop_id, []).append(w)
    flagged = [s for s in scenario.stops if s.id in by_stop]
    fine = [s for s in scenario.stops if s.id not in by_stop]
    group = _group(join_html([_swatch(STOP_COLOUR),
                              map_text(ngettext("Stops (%(num)d)", "Stops (%(num)d)", len(fine)))], sep=""))
    for stop in fine:
        _marker(group, (stop.lat, stop.lon), STOP_COLOUR, radius=6, weight=2, fill=STOP_COLOUR, opacity=0.8,
                popup=_stop_popup(stop, []), tooltip=map_text(stop.name), class_name="stop")
    group.add_to(m)
    if flagged:
        warned = _group(join_html([_swatch(WARNING_COLOUR), map_text(ngettext(
            "With a warning (%(num)d)", "With a warning (%(num)d)", len(flagged)))], sep=""))
        for stop in flagged:
            _marker(warned, (stop.lat, stop.lon), WARNING_COLOUR, radius=10, weight=3, fill="#FFFFFF", opacity=0.9,
                    popup=_stop_popup(stop, by_stop[stop.id]),
                    tooltip=map_html("{name} ({what})", name=stop.name, what=_("warning")), class_name="stop-warning")
        warned.add_to(m)
    depot = _depot_layer(scenario.depot, map_text(_("Depot")) if DEPOT not in by_stop else map_html(
        "{d} ({w})", d=_("Depot"), w=_("warning")))
    depot.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    _fit(m, [(scenario.depot.lat, scenario.depot.lon)] + [(s.lat, s.lon) for s in scenario.stops])
    return m


def _stop_popup(stop, warnings: Sequence[DataWarning]) -> MapHTML:
    lines = [map_html("<strong>{name}</strong>", name=stop.name),
             map_text(f"{stop.lat:g}, {stop.lon:g}")]
    if stop.address:
        lines.append(map_text(stop.address))
    for w in warnings:
        where = _("row %(row)d", row=w.row) if w.row is not None else ""
        lines.append(map_html("<em>{where}</em> {why}", where=where, why=w.why))
    return join_html(lines)


class _DepotPicker(MacroElement):
    """A click on the map places the depot: a marker there, and the point sent to the page that frames
    the map (``postMessage`` to our own origin only; the page's script fills in latitude and longitude)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            var marker = null;
            function place(lat, lon) {
                if (marker) { marker.setLatLng([lat, lon]); }
                else {
                    marker = L.circleMarker([lat, lon], {radius: 10, color: "#111111", weight: 3,
                        fillColor: "#FFFFFF", fillOpacity: 1, className: "depot-pick"}).addTo(map);
                }
            }
            {% if this.start %}place({{ this.start[0] }}, {{ this.start[1] }});{% endif %}
            map.on("click", function (e) {
                var lat = Math.round(e.latlng.lat * 1e6) / 1e6, lon = Math.round(e.latlng.lng * 1e6) / 1e6;
                place(lat, lon);
                if (window.parent && window.parent !== window) {
                    window.parent.postMessage({type: "routeplanner:depot", lat: lat, lon: lon}, window.location.origin);
                }
            });
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, start: tuple[float, float] | None):
        super().__init__()
        self._name = "DepotPicker"
        self.start = start


#: Where the depot picker opens without a point: the Baltic states.
PICKER_CENTRE = Place("", 56.0, 24.0)
PICKER_ZOOM = 6


def depot_picker_map(start: tuple[float, float] | None, around: Sequence[tuple[float, float]],
                     assets: MapAssets) -> folium.Map:
    """A map to click the depot on: at ``start`` (the depot so far) when there is one, else around the
    depots of the other scenarios (``around``), else the Baltic states.  No user text is drawn."""
    centre = Place("", *start) if start else PICKER_CENTRE
    m = _new_map(centre, assets)
    if start:
        m.options["zoom"] = 13
    elif around:
        _fit(m, list(around))
    else:
        m.options["zoom"] = PICKER_ZOOM
    _DepotPicker(start).add_to(m)
    return m


def render_map(m: folium.Map, title: str = "") -> str:
    """The map as a whole HTML document (the page embeds it in an iframe)."""
    root = m.get_root()
    root.title = map_text(title) if title else None
    return root.render()


# --- a static drawing for paper --------------------------------------------------


@dataclass
class SvgPoint:
    x: float
    y: float
    order: int
    name: str  # plain text: the template escapes it
    label_x: float = 0.0
    label_y: float = 0.0
    anchor: str = "start"


@dataclass
class RouteSvg:
    """What a template needs to draw one route-day as inline SVG."""

    width: int
    height: int
    depot: tuple[float, float]
    stops: list[SvgPoint] = field(default_factory=list)
    path: str = ""  # "x,y x,y ..." for <polyline points=...>
    scale_px: float = 0.0  # length of the scale bar
    scale_label: str = ""
    colour: str = "#0072B2"
    along_roads: bool = False  # the path follows the roads (else straight lines between stops)


def route_svg(route: Route, width: int = 640, height: int = 300, pad: int = 28,
              shapes: Shapes | None = None) -> RouteSvg:
    """Project the route (equirectangular, true to scale at its mid latitude) into a box;
    along the roads of ``shapes`` where it has the legs."""
    line = route_line(route, shapes)
    pts = [(route.depot.lat, route.depot.lon)] + [(v.lat, v.lon) for v in route.visits]
    stop_count = len(pts)
    pts += line  # the roads may swing outside the stops' box
    lat0 = sum(p[0] for p in pts) / len(pts)
    kx = math.cos(math.radians(lat0))
    xs = [p[1] * kx for p in pts]
    ys = [-p[0] for p in pts]
    span_x = max(xs) - min(xs)
    span_y = max(ys) - min(ys)
    if span_x <= 0 and span_y <= 0:
        scale = 1.0
    else:
        scale = min((width - 2 * pad) / span_x if span_x > 0 else math.inf,
                    (height - 2 * pad) / span_y if span_y > 0 else math.inf)
    cx = (max(xs) + min(xs)) / 2
    cy = (max(ys) + min(ys)) / 2

    def project(i: int) -> tuple[float, float]:
        return (round(width / 2 + (xs[i] - cx) * scale, 1), round(height / 2 + (ys[i] - cy) * scale, 1))

    depot = project(0)
    placed: list[tuple[float, float]] = [depot]
    stops = []
    for i, v in enumerate(route.visits):
        x, y = _apart(project(i + 1), placed, width, height)
        placed.append((x, y))
        stops.append(SvgPoint(x, y, order=i + 1, name=v.name))
    boxes: list[tuple[float, float, float, float]] = []
    for p in stops:
        p.label_x, p.label_y, p.anchor = _label_place(p, stops, depot, width, boxes)
    along = bool(shapes) and len(line) > stop_count + 1
    if along:
        path = " ".join("{},{}".format(*project(stop_count + i)) for i in range(len(line)))
    else:
        path = " ".join(f"{x},{y}" for x, y in [depot] + [(p.x, p.y) for p in stops] + [depot])
    # A scale bar of a round number of km, about a fifth of the width.
    km_per_px = (111.32 / scale) if scale not in (0, math.inf) and span_x + span_y > 0 else 0.0
    scale_px, scale_label = 0.0, ""
    if km_per_px > 0:
        target = km_per_px * width / 5
        nice = min((1, 2, 5, 10, 20, 50, 100, 200), key=lambda k: abs(k - target))
        scale_px = round(nice / km_per_px, 1)
        scale_label = f"{nice} km"
    return RouteSvg(width, height, depot, stops, path, scale_px, scale_label,
                    DAY_COLOURS.get(route.day, "#333333"), along)


MARK_R = 10  # radius of a numbered stop mark
LABEL_CHARS = 28  # labels are cut to this many characters
CHAR_W = 6.0  # about the width of a character of the 11 px label font


def _apart(p: tuple[float, float], placed: list[tuple[float, float]], width: int, height: int) -> tuple[float, float]:
    """Nudge a mark off marks already drawn (stops a few hundred metres apart would hide each other)."""
    x, y = p
    for step in range(12):
        clash = next((q for q in placed if math.hypot(x - q[0], y - q[1]) < 2 * MARK_R + 1), None)
        if clash is None:
            break
        dx, dy = x - clash[0], y - clash[1]
        dist = math.hypot(dx, dy)
        if dist < 1e-6:  # the same spot: go round it
            angle = math.radians(45 + 70 * step)
            dx, dy, dist = math.cos(angle), math.sin(angle), 1.0
        x = clash[0] + dx / dist * (2 * MARK_R + 2)
        y = clash[1] + dy / dist * (2 * MARK_R + 2)
    x = min(max(x, MARK_R + 1), width - MARK_R - 1)
    y = min(max(y, MARK_R + 1), height - MARK_R - 1)
    return (round(x, 1), round(y, 1))


def _label_place(p: SvgPoint, stops: list[SvgPoint], depot: tuple[float, float], width: int,
                 boxes: list[tuple[float, float, float, float]]) -> tuple[float, float, str]:
    """Right of the mark, else left, above or below: the place that covers the fewest marks and labels.

    ``boxes`` holds the labels placed so far; the chosen one is added.
    """
    w = min(len(p.name), LABEL_CHARS) * CHAR_W
    h = 12.0
    candidates = [
        (p.x + MARK_R + 3, p.y, "start"),
        (p.x - MARK_R - 3, p.y, "end"),
        (p.x + MARK_R - 2, p.y - MARK_R - 7, "start"),
        (p.x + MARK_R - 2, p.y + MARK_R + 7, "start"),
        (p.x - MARK_R + 2, p.y - MARK_R - 7, "end"),
        (p.x - MARK_R + 2, p.y + MARK_R + 7, "end"),
    ]
    marks = [(q.x, q.y) for q in stops if q is not p] + [depot]

    def box(c) -> tuple[float, float, float, float]:
        x, y, anchor = c
        left = x if anchor == "start" else x - w
        return left, y - h / 2, left + w, y + h / 2

    def cost(c) -> float:
        x0, y0, x1, y1 = box(c)
        out = 0.0 if 0 <= x0 and x1 <= width else 5.0
        out += sum(1 for ox, oy in marks if x0 - MARK_R < ox < x1 + MARK_R and y0 - MARK_R < oy < y1 + MARK_R)
        out += sum(2 for b in boxes if x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1)
        return out

    best = min(candidates, key=cost)  # min keeps the first of equals: right of the mark
    boxes.append(box(best))
    return best


def weekday_legend(days: Iterable[str]) -> list[tuple[str, str, str]]:
    """(day code, day name, colour) for the days of a cycle, in week order."""
    wanted = set(days)
    return [(d, day_name(d), DAY_COLOURS[d]) for d in WEEKDAYS if d in wanted]
