"""A plan for maps and sat-navs: GeoJSON (RFC 7946) for a GIS or a council's web map, GPX for a sat-nav.

* **GeoJSON**: a FeatureCollection; per route-day a ``LineString`` (depot,
  the stops in order, depot) with the van, week, day, date, times and km,
  then one ``Point`` per visit with its order and times.  Positions are
  ``[longitude, latitude]`` in WGS 84, as RFC 7946 requires (section 3.1.1),
  with no ``crs`` member (section 4) and six decimals (about 0.1 m; section 11.2).
* **GPX** 1.1 (gpxpy): per route-day a route (``rte``) whose points are the
  depot, the stops in visiting order and the depot again, named
  ``"1 Kamajai 10:00-10:45"``, so a sat-nav follows the day stop by stop;
  and each stop once as a waypoint (``wpt``) to find it by name.

Names are the plan's own: both formats are data (JSON and escaped XML), so a
hostile stop name stays text.
"""

from __future__ import annotations

import json
from typing import Any

import gpxpy.gpx

from routeplanner.io.planjson import rounded, rounded_km
from routeplanner.model import Plan, Route, calendar_routes, hhmm

#: Decimals of a position: RFC 7946 section 11.2 advises six (about 10 cm).
POSITION_DECIMALS = 6


def _position(lat: float, lon: float) -> list[float]:
    return [round(lon, POSITION_DECIMALS), round(lat, POSITION_DECIMALS)]


def _route_properties(plan: Plan, route: Route, number: int) -> dict[str, Any]:
    return {
        "kind": "route-day",
        "route_day": number,
        "scenario": plan.scenario,
        "vehicle": route.vehicle,
        "week": route.week,
        "day": route.day,
        "date": route.date.isoformat() if route.date else None,
        "start": hhmm(route.start_min),
        "end": hhmm(route.end_min),
        "distance_km": rounded_km(route.distance_m),
        "drive_minutes": rounded(route.drive_min),
        "stops": [v.stop_id for v in route.visits],
    }


def plan_geojson(plan: Plan) -> dict[str, Any]:
    """The plan as a GeoJSON FeatureCollection (a dict ready for ``json.dumps``)."""
    features: list[dict[str, Any]] = []
    for number, route in enumerate(calendar_routes(plan), start=1):
        if not route.visits:
            continue
        depot = _position(route.depot.lat, route.depot.lon)
        line = [depot] + [_position(v.lat, v.lon) for v in route.visits] + [depot]
        features.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": line},
                         "properties": _route_properties(plan, route, number)})
        for order, v in enumerate(route.visits, start=1):
            features.append({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": _position(v.lat, v.lon)},
                "properties": {
                    "kind": "visit", "route_day": number, "order": order, "stop_id": v.stop_id, "name": v.name,
                    "vehicle": route.vehicle, "week": route.week, "day": route.day,
                    "date": route.date.isoformat() if route.date else None,
                    "arrival": hhmm(v.arrival_min), "departure": hhmm(v.departure_min), "loans": rounded(v.loans),
                },
            })
    return {"type": "FeatureCollection", "features": features}


def plan_geojson_bytes(plan: Plan) -> bytes:
    return json.dumps(plan_geojson(plan), ensure_ascii=False, indent=1).encode("utf-8")


def route_name(route: Route) -> str:
    """``"Week 1 Tue 2026-12-01 Bibliobusas"``: how a sat-nav lists the route."""
    when = f" {route.date.isoformat()}" if route.date else ""
    return f"Week {route.week} {route.day}{when} {route.vehicle}"


def plan_gpx(plan: Plan) -> gpxpy.gpx.GPX:
    """The plan as a GPX document: a route per route-day, each stop once as a waypoint."""
    gpx = gpxpy.gpx.GPX()
    gpx.name = plan.scenario
    gpx.creator = "routeplanner"
    seen: set[str] = set()
    for route in calendar_routes(plan):
        if not route.visits:
            continue
        rte = gpxpy.gpx.GPXRoute(name=route_name(route),
                                 description=f"leave {hhmm(route.start_min)}, back {hhmm(route.end_min)}, "
                                 f"{route.distance_m / 1000:.1f} km")
        depot = route.depot
        rte.points.append(gpxpy.gpx.GPXRoutePoint(depot.lat, depot.lon, name=f"Depot: {depot.name}"))
        for order, v in enumerate(route.visits, start=1):
            times = f"{hhmm(v.arrival_min)}-{hhmm(v.departure_min)}"
            rte.points.append(gpxpy.gpx.GPXRoutePoint(v.lat, v.lon, name=f"{order} {v.name} {times}",
                                                      description=f"{v.stop_id}: open {times}"))
            if v.stop_id not in seen:
                seen.add(v.stop_id)
                gpx.waypoints.append(gpxpy.gpx.GPXWaypoint(v.lat, v.lon, name=v.name, description=v.stop_id))
        rte.points.append(gpxpy.gpx.GPXRoutePoint(depot.lat, depot.lon, name=f"Depot: {depot.name}"))
        gpx.routes.append(rte)
    return gpx


def plan_gpx_bytes(plan: Plan) -> bytes:
    return plan_gpx(plan).to_xml(version="1.1").encode("utf-8")
