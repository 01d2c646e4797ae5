"""Roads on the service's PostgreSQL: pgRouting (``[travel] method = "pgrouting"``).

For larger installations: the road network lives in the database the service
already uses, imported once from the same OpenStreetMap extract as the
embedded provider (:mod:`routeplanner.roads`):

1. :func:`import_extract` turns the ``.osm.pbf`` into OSM XML (``osmium cat``,
   Debian's ``osmium-tool``) and loads it with Debian's ``osm2pgrouting`` into
   the tables ``ways`` and ``ways_vertices_pgr`` (PostGIS and pgRouting
   extensions, ``postgresql-15-pgrouting``).  The road classes and their
   speeds are the embedded provider's (:data:`routeplanner.roads.SPEEDS_KMH`),
   written into osm2pgrouting's configuration, so a road's ``maxspeed`` tag
   wins where it has one, as in the embedded provider; the roads that
   pyrosm's driving network leaves out (closed by access tags) are deleted.
2. :class:`PgRoutingProvider` snaps the places exactly as the embedded provider
   does (:func:`routeplanner.roads.snap`: the nearest vertex of the largest
   strongly connected part, found by ``pgr_strongComponents``; the same
   errors), then asks ``pgr_dijkstraCostMatrix`` twice: costs in seconds
   (``drive_min``) and in metres (``distance_m``), speeds capped at
   :data:`~routeplanner.roads.MAX_SPEED_KMH`.

osm2pgrouting keeps only the junctions and ends of the roads as vertices (the
embedded provider every node), so a stop is snapped to the nearest junction.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Sequence
from xml.sax.saxutils import quoteattr

import numpy as np

from routeplanner import roads
from routeplanner.errors import InputError, Problem
from routeplanner.travel import Point, TravelMatrix

#: The classes of pyrosm's "driving" network, which leaves service roads out.
CLASSES = sorted(c for c in roads.SPEEDS_KMH if c != "service")
_MAPCONFIG_ID = {name: 100 + i for i, name in enumerate(CLASSES)}


def mapconfig_xml() -> str:
    """osm2pgrouting's configuration: the embedded provider's road classes and speeds."""
    rows = "\n".join(
        f'    <tag_value name={quoteattr(name)} id="{_MAPCONFIG_ID[name]}" priority="1.0" '
        f'maxspeed="{roads.SPEEDS_KMH[name]:g}" />'
        for name in CLASSES)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<configuration>\n  <tag_name name="highway" id="1">\n' \
           f"{rows}\n  </tag_name>\n</configuration>\n"


def postgresql_url(database_url: str) -> str:
    """The service's database URL when it is PostgreSQL; else the InputError that says what is needed."""
    if not database_url.startswith("postgresql"):
        raise InputError([Problem("ROUTEPLANNER_DATABASE_URL", None, "travel.method", "pgrouting",
                                  "the service on PostgreSQL with pgRouting (ROUTEPLANNER_DATABASE_URL="
                                  "postgresql+psycopg://...); SQLite has no road network: use method = \"osm\"")])
    return database_url


def _libpq(database_url: str) -> dict[str, str]:
    """osm2pgrouting's connection options from a SQLAlchemy URL (a unix socket folder as ``?host=``)."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    host = url.query.get("host") or url.host or "localhost"
    return {"-d": url.database or "", "-U": url.username or "", "-h": str(host), "-p": str(url.port or
            url.query.get("port") or 5432), "-W": url.password or ""}


def import_extract(database_url: str, pbf: str | Path) -> None:
    """Load the extract's roads into the database (replacing an earlier import)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            for ext in ("postgis", "pgrouting"):
                conn.execute(text(f"CREATE EXTENSION IF NOT EXISTS {ext}"))
    finally:
        engine.dispose()
    with tempfile.TemporaryDirectory() as folder:
        osm = Path(folder) / "roads.osm"
        conf = Path(folder) / "mapconfig.xml"
        conf.write_text(mapconfig_xml(), encoding="utf-8")
        _run(["osmium", "cat", str(pbf), "-o", str(osm), "--overwrite"], pbf)
        options = [x for k, v in _libpq(database_url).items() if v for x in (k, v)]
        _run(["osm2pgrouting", "-f", str(osm), "-c", str(conf), "--clean", *options], pbf)
    # The same roads as the embedded provider: osm2pgrouting knows classes, not access rules
    # (access=private, motor_vehicle=no), which pyrosm's driving network applies.
    keep = roads.drivable_way_ids(Path(pbf))
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TEMPORARY TABLE drivable (osm_id bigint PRIMARY KEY) ON COMMIT DROP"))
            conn.execute(text("INSERT INTO drivable SELECT unnest(CAST(:ids AS BIGINT[]))"),
                         {"ids": [int(i) for i in keep]})
            conn.execute(text("DELETE FROM ways w WHERE NOT EXISTS (SELECT 1 FROM drivable d WHERE d.osm_id = w.osm_id)"))
            conn.execute(text("DELETE FROM ways_vertices_pgr v WHERE NOT EXISTS "
                              "(SELECT 1 FROM ways w WHERE w.source = v.id OR w.target = v.id)"))
    finally:
        engine.dispose()


def _run(command: list[str], pbf: str | Path) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=6 * 3600)
    except OSError as exc:
        raise InputError([Problem(str(pbf), None, "travel.osm_pbf", command[0],
                                  f"{command[0]} installed (Debian: osmium-tool, osm2pgrouting): {exc}")]) from None
    if done.returncode != 0:
        raise InputError([Problem(str(pbf), None, "travel.osm_pbf", (done.stderr or done.stdout)[-200:],
                                  f"an extract {command[0]} can read")])


# Costs per edge, one-way streets as osm2pgrouting marks them (a negative cost: not that way).
_EDGES = {
    "time_s": "SELECT gid AS id, source, target, "
              "CASE WHEN cost_s < 0 THEN -1 ELSE length_m / (LEAST(maxspeed_forward, {cap}) / 3.6) END AS cost, "
              "CASE WHEN reverse_cost_s < 0 THEN -1 "
              "ELSE length_m / (LEAST(maxspeed_backward, {cap}) / 3.6) END AS reverse_cost FROM ways",
    "length_m": "SELECT gid AS id, source, target, CASE WHEN cost_s < 0 THEN -1 ELSE length_m END AS cost, "
                "CASE WHEN reverse_cost_s < 0 THEN -1 ELSE length_m END AS reverse_cost FROM ways",
}


class PgRoutingProvider:
    """Travel along the roads imported into PostgreSQL (see the module's docstring)."""

    def __init__(self, database_url: str, snap_m: float = 500.0):
        self.database_url = database_url
        self.snap_m = float(snap_m)

    def _graph(self, conn) -> "_VertexGraph":
        """The vertices as a RoadGraph (coordinates and main part only: the search runs in the database)."""
        from sqlalchemy import text

        rows = conn.execute(text(
            "SELECT v.id, ST_Y(v.the_geom), ST_X(v.the_geom), c.component FROM ways_vertices_pgr v "
            "JOIN pgr_strongComponents(:edges) c ON c.node = v.id ORDER BY v.id"),
            {"edges": _EDGES["length_m"]}).all()
        if not rows:
            raise InputError([Problem(self.database_url.split("@")[-1], None, "travel.method", "pgrouting",
                                      "a road network imported into the database (routeplanner roads import)")])
        ids, lat, lon, comp = (np.array(c) for c in zip(*rows))
        _labels, part = np.unique(comp, return_inverse=True)
        return _VertexGraph(lat.astype(float), lon.astype(float), ids.astype(np.int64),
                            part == np.bincount(part).argmax())

    def matrix(self, points: Sequence[Point]) -> TravelMatrix:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                graph = self._graph(conn)
                node, off = roads.snap(graph, points, self.snap_m, "pgrouting")
                vids = graph.ids[node]
                unique = sorted(set(int(v) for v in vids))
                out = {}
                for metric in ("time_s", "length_m"):
                    sql = _EDGES[metric].format(cap=roads.MAX_SPEED_KMH)
                    rows = conn.execute(text("SELECT start_vid, end_vid, agg_cost FROM "
                                             "pgr_dijkstraCostMatrix(:edges, CAST(:vids AS BIGINT[]), directed => true)"),
                                        {"edges": sql, "vids": unique}).all()
                    at = {v: i for i, v in enumerate(unique)}
                    m = np.full((len(unique), len(unique)), np.inf)
                    np.fill_diagonal(m, 0.0)
                    for a, b, cost in rows:
                        m[at[a], at[b]] = cost
                    index = np.array([at[int(v)] for v in vids])
                    out[metric] = m[np.ix_(index, index)]
        finally:
            engine.dispose()
        access = off[:, None] + off[None, :]
        distance = out["length_m"] + access
        drive = (out["time_s"] + access / (roads.ACCESS_SPEED_KMH / 3.6)) / 60.0
        np.fill_diagonal(distance, 0.0)
        np.fill_diagonal(drive, 0.0)
        return TravelMatrix(tuple(p.id for p in points), distance, drive)


class _VertexGraph:
    """What :func:`routeplanner.roads.snap` needs of a graph: coordinates and the main part."""

    def __init__(self, lat: np.ndarray, lon: np.ndarray, ids: np.ndarray, main: np.ndarray):
        self.lat, self.lon, self.ids, self.main = lat, lon, ids, main
        self.nodes = len(lat)
