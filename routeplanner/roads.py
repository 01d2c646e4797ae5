"""Drive times and distances along real roads, from an OpenStreetMap extract.

``[travel] method = "osm"`` with ``osm_pbf = "lithuania-latest.osm.pbf"``
(any ``.osm.pbf`` extract: a country from a download service, or a region cut
with ``osmium extract``).  How it works:

1. **The road graph.**  pyrosm reads the extract's drivable network (its
   ``"driving"`` filter: public roads a car may use, without tracks closed to
   motor vehicles, footways or cycleways).  Every road segment between two OSM
   nodes is an edge; one-way streets (``oneway=yes``, ``-1``, roundabouts,
   motorways) are edges in one direction only.
2. **Speeds.**  A segment's speed is its ``maxspeed`` tag when that is a number
   (``"50"``, ``"30 mph"``), else the default of its road class
   (:data:`SPEEDS_KMH`), and never more than :data:`MAX_SPEED_KMH`, the speed
   limiter of a bookmobile (a lorry over 3.5 t).
3. **Snapping.**  Each stop goes to the nearest node of the main road network
   (the largest part of the graph in which every node reaches every other):
   a k-d tree (scipy's ``cKDTree``) on coordinates projected to metres.  A
   stop farther than ``snap_m`` from it is refused with its id, its distance
   and the reason (outside the extract, or only near a piece of road cut off
   from the rest).  The way from the stop to its node is added to every leg,
   straight, at :data:`ACCESS_SPEED_KMH`.
4. **Shortest paths.**  scipy's ``csgraph.dijkstra`` from all snapped nodes at
   once (``indices=``), once weighted by time (``drive_min``: the fastest way)
   and once by length (``distance_m``: the shortest way; on a road map they
   are usually the same way, and the distance is never more than the
   fastest way's).  Sources go in chunks so the working arrays stay near
   :data:`WORK_BYTES` on a country's graph.
5. **Caches.**  The graph (as arrays), every matrix and every route shape are
   kept in ``ROUTEPLANNER_CACHE_DIR``, keyed by a SHA-256 of the extract's
   bytes and the settings (and, for matrices and shapes, the coordinates
   asked for): a second plan of the same stops reads its matrix from disk.

Route shapes (:meth:`OsmProvider.shapes`) follow the fastest way, node by node.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from routeplanner import limits
from routeplanner.errors import InputError, Problem
from routeplanner.travel import EARTH_RADIUS_M, Point, TravelMatrix

#: Speed by OSM ``highway`` class, km/h, where a road has no numeric ``maxspeed``:
#: a bookmobile's pace on Lithuanian and Latvian roads of that class, below the
#: legal limits (90 on rural main roads, 50 in towns, 20 in living streets).
SPEEDS_KMH: dict[str, float] = {
    "motorway": 90, "motorway_link": 50,
    "trunk": 80, "trunk_link": 45,
    "primary": 70, "primary_link": 40,
    "secondary": 60, "secondary_link": 40,
    "tertiary": 50, "tertiary_link": 35,
    "unclassified": 40,  # minor rural roads, often gravel
    "residential": 30,
    "living_street": 10,
    "service": 15,
    "road": 30,  # class not yet known to the mappers
}
#: A road class not listed above.
DEFAULT_SPEED_KMH = 30.0
#: No segment is driven faster: the speed limiter of a goods vehicle over 3.5 t (EU directive 92/6/EEC).
MAX_SPEED_KMH = 90.0
#: From a stop to the road node it is snapped to (a yard, a car park, a short lane).
ACCESS_SPEED_KMH = 15.0
#: Classes that are one-way unless tagged otherwise (OSM's implied one-way roads).
IMPLIED_ONEWAY = frozenset({"motorway"})
#: Working memory of one chunk of shortest-path searches (sources x graph nodes x 8 bytes).
WORK_BYTES = 256 * 2**20
#: Bumped when the graph or the matrices are built differently: older caches are then not used.
CACHE_VERSION = 1


@dataclass(frozen=True, eq=False)  # eq=False: hashed by identity (one object per extract, see _graph)
class RoadGraph:
    """A directed road graph: nodes (lat, lon) and edges with length and drive time."""

    lat: np.ndarray
    lon: np.ndarray
    u: np.ndarray  # edge from-node (index into lat/lon)
    v: np.ndarray  # edge to-node
    length_m: np.ndarray
    time_s: np.ndarray
    key: str  # hash of the extract and the settings the graph was built with

    @property
    def nodes(self) -> int:
        return len(self.lat)

    def weights(self, metric: str):
        """The graph as a CSR matrix weighted by ``"time_s"`` or ``"length_m"`` (parallel edges: the least)."""
        from scipy.sparse import csr_matrix

        w = getattr(self, metric)
        order = np.lexsort((w, self.v, self.u))
        u, v, w = self.u[order], self.v[order], w[order]
        first = np.ones(len(u), bool)
        first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
        # An explicit zero would read as "no edge": a segment of length 0 costs a millimetre.
        return csr_matrix((np.maximum(w[first], 1e-3), (u[first], v[first])), shape=(self.nodes, self.nodes))

    @property
    def main(self) -> np.ndarray:
        """Whether each node is in the largest strongly connected part of the graph."""
        return _main_component(self)


@lru_cache(maxsize=4)
def _main_component(graph: RoadGraph) -> np.ndarray:
    from scipy.sparse.csgraph import connected_components

    _n, labels = connected_components(graph.weights("time_s"), directed=True, connection="strong")
    return labels == np.bincount(labels).argmax()


# --- reading an extract --------------------------------------------------------


def speeds_kmh(highway: np.ndarray, maxspeed: np.ndarray) -> np.ndarray:
    """Each segment's speed: a numeric ``maxspeed`` (``"50"``, ``"30 mph"``), else its class default, capped."""
    import pandas as pd

    tag = pd.Series(maxspeed, dtype="object").astype("string")
    # "50", "50;70" (first value), "30 mph"; "none", "signals", "LT:rural" are not numbers.
    parts = tag.str.extract(r"^\s*(\d+(?:\.\d+)?)\s*(mph)?", expand=True)
    tagged = pd.to_numeric(parts[0], errors="coerce").to_numpy(float)
    tagged = np.where(parts[1].notna().to_numpy(), tagged * 1.609344, tagged)
    by_class = pd.Series(highway, dtype="object").map(SPEEDS_KMH).fillna(DEFAULT_SPEED_KMH).to_numpy(float)
    speed = np.where(np.isfinite(tagged) & (tagged > 0), tagged, by_class)
    return np.minimum(speed, MAX_SPEED_KMH)


def _directions(edges) -> tuple[np.ndarray, np.ndarray]:
    """(drivable from u to v, drivable from v to u) per segment, from ``oneway``, ``junction`` and the class."""
    oneway = edges["oneway"].astype("string").str.lower() if "oneway" in edges else None
    n = len(edges)
    forward_only = np.zeros(n, bool)
    backward_only = np.zeros(n, bool)
    if oneway is not None:
        forward_only |= oneway.isin(["yes", "true", "1"]).fillna(False).to_numpy(bool)
        backward_only |= oneway.isin(["-1", "reverse"]).fillna(False).to_numpy(bool)
    untagged = oneway.isna().to_numpy(bool) if oneway is not None else np.ones(n, bool)
    implied = edges["highway"].isin(IMPLIED_ONEWAY).to_numpy(bool)
    if "junction" in edges:
        implied |= edges["junction"].isin(["roundabout", "circular"]).fillna(False).to_numpy(bool)
    forward_only |= implied & untagged
    return ~backward_only, ~forward_only


def read_extract(pbf: Path) -> dict[str, np.ndarray]:
    """The drivable graph of an ``.osm.pbf`` as arrays (nodes lat/lon; directed edges u, v, length_m, time_s)."""
    import pyrosm

    problem = Problem(str(pbf), None, "travel.osm_pbf", pbf.name, "an OpenStreetMap extract (.osm.pbf) with roads")
    try:
        network = pyrosm.OSM(str(pbf)).get_network(network_type="driving", nodes=True)
    except Exception as exc:  # pyrosm reports a damaged file in many ways (ValueError, OSError, its own errors)
        raise InputError([Problem(problem.file, None, problem.column, f"{pbf.name}: {exc}"[:200],
                                  problem.expected)]) from None
    if network is None or network[1] is None or len(network[1]) == 0:
        raise InputError([Problem(problem.file, None, problem.column, pbf.name,
                                  problem.expected + " (this one has no drivable road)")])
    nodes, edges = network
    ids = np.unique(np.concatenate([edges["u"].to_numpy(np.int64), edges["v"].to_numpy(np.int64)]))
    where = nodes.drop_duplicates("id").set_index("id").reindex(ids)
    lat, lon = where["lat"].to_numpy(float), where["lon"].to_numpy(float)
    u = np.searchsorted(ids, edges["u"].to_numpy(np.int64))
    v = np.searchsorted(ids, edges["v"].to_numpy(np.int64))
    length = edges["length"].to_numpy(float)
    speed = speeds_kmh(edges["highway"].to_numpy(object),
                       edges["maxspeed"].to_numpy(object) if "maxspeed" in edges else np.full(len(edges), None))
    time_s = length / (speed / 3.6)
    ok = np.isfinite(lat[u]) & np.isfinite(lat[v]) & np.isfinite(length) & (u != v)
    fwd, bwd = _directions(edges)
    fwd, bwd = fwd & ok, bwd & ok
    return {
        "lat": lat, "lon": lon,
        "u": np.concatenate([u[fwd], v[bwd]]).astype(np.int32),
        "v": np.concatenate([v[fwd], u[bwd]]).astype(np.int32),
        "length_m": np.concatenate([length[fwd], length[bwd]]),
        "time_s": np.concatenate([time_s[fwd], time_s[bwd]]),
    }


def drivable_way_ids(pbf: Path) -> np.ndarray:
    """The OSM ids of the ways in the extract's drivable network (for other importers of the same roads)."""
    import pyrosm

    edges = pyrosm.OSM(str(pbf)).get_network(network_type="driving")
    return np.unique(edges["id"].to_numpy(np.int64)) if edges is not None else np.zeros(0, np.int64)


@lru_cache(maxsize=16)
def _file_hash(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(2**20), b""):
            h.update(block)
    return h.hexdigest()


def extract_hash(pbf: Path) -> str:
    """SHA-256 of the extract's bytes (remembered per path, size and modification time)."""
    st = pbf.stat()
    return _file_hash(str(pbf.resolve()), st.st_size, st.st_mtime_ns)


def _settings_key() -> dict:
    return {"version": CACHE_VERSION, "speeds": SPEEDS_KMH, "default": DEFAULT_SPEED_KMH, "max": MAX_SPEED_KMH,
            "implied_oneway": sorted(IMPLIED_ONEWAY)}


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _save_npz(path: Path, **arrays: np.ndarray) -> None:
    """Write whole or not at all: a run stopped half-way leaves no broken cache file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _load_npz(path: Path) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError, KeyError):
        return None  # absent or unreadable: built again


@lru_cache(maxsize=2)
def _graph(pbf: str, size: int, mtime_ns: int, cache_dir: str) -> RoadGraph:
    path = Path(pbf)
    key = _digest(extract_hash(path), _settings_key())
    cached = Path(cache_dir) / f"graph-{key}.npz"
    arrays = _load_npz(cached)
    if arrays is None:
        arrays = read_extract(path)
        _save_npz(cached, **arrays)
    return RoadGraph(key=key, **arrays)


def load_graph(pbf: str | Path, cache_dir: str | Path) -> RoadGraph:
    """The road graph of an extract, from the cache when it was read before."""
    path = Path(pbf).resolve()
    try:
        st = path.stat()
    except OSError as exc:
        raise InputError([Problem(str(pbf), None, "travel.osm_pbf", str(pbf),
                                  f"an OpenStreetMap extract (.osm.pbf) that can be read ({exc.strerror})")]) from None
    return _graph(str(path), st.st_size, st.st_mtime_ns, str(cache_dir))


# --- snapping --------------------------------------------------------------------


def haversine_pairs_m(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distances between matching pairs of points (degrees in, metres out)."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(a, float)) for a in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


class _Snapper:
    """Nearest graph node by a k-d tree on an equirectangular projection (metres) about the graph's middle."""

    def __init__(self, graph: RoadGraph, nodes: np.ndarray):
        from scipy.spatial import cKDTree

        self.graph, self.nodes = graph, nodes
        self.lat0 = math.radians(float(np.nanmean(graph.lat)))
        self.tree = cKDTree(self._xy(graph.lat[nodes], graph.lon[nodes]))

    def _xy(self, lat, lon) -> np.ndarray:
        k = EARTH_RADIUS_M * math.pi / 180
        return np.column_stack([np.asarray(lon, float) * k * math.cos(self.lat0), np.asarray(lat, float) * k])

    def nearest(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(graph node, great-circle metres to it) of each point."""
        _d, i = self.tree.query(self._xy(lat, lon), k=1)
        node = self.nodes[i]
        return node, haversine_pairs_m(lat, lon, self.graph.lat[node], self.graph.lon[node])


@lru_cache(maxsize=4)
def _snappers(graph: RoadGraph) -> tuple[_Snapper, _Snapper]:
    """(main network, every node): the second only explains a refusal."""
    return _Snapper(graph, np.flatnonzero(graph.main)), _Snapper(graph, np.arange(graph.nodes))


def snap(graph: RoadGraph, points: Sequence[Point], snap_m: float, source: str) -> tuple[np.ndarray, np.ndarray]:
    """(node, metres to it) of each point on the main road network; InputError naming every stop too far."""
    lat = np.fromiter((p.lat for p in points), float, len(points))
    lon = np.fromiter((p.lon for p in points), float, len(points))
    main, every = _snappers(graph)
    node, off = main.nearest(lat, lon)
    far = np.flatnonzero(off > snap_m)
    if len(far):
        _any, any_off = every.nearest(lat[far], lon[far])
        box = (np.nanmin(graph.lat), np.nanmax(graph.lat), np.nanmin(graph.lon), np.nanmax(graph.lon))
        problems = []
        for i, near_any in zip(far, any_off):
            p = points[i]
            why = f"the nearest road of the network is {off[i] / 1000:,.1f} km away"
            if not (box[0] <= p.lat <= box[1] and box[2] <= p.lon <= box[3]):
                why += (f"; the place is outside the extract's roads (lat {box[0]:.3f} to {box[1]:.3f}, "
                        f"lon {box[2]:.3f} to {box[3]:.3f})")
            elif near_any <= snap_m:
                why += (f"; a road {near_any:,.0f} m away is cut off from the rest of the network "
                        "(an island, a private area, or cut at the extract's edge)")
            problems.append(Problem(source, None, "lat,lon", f"{p.id}: {p.lat:.6f},{p.lon:.6f}",
                                    f"a place at most {snap_m:,.0f} m from a drivable road ({why}); "
                                    "move the stop to its road or raise travel.snap_m"))
        raise InputError(problems[: limits.MAX_LISTED_PROBLEMS], more=max(0, len(problems) - limits.MAX_LISTED_PROBLEMS))
    return node, off


# --- shortest paths ----------------------------------------------------------------


def _chunk(graph: RoadGraph) -> int:
    return max(1, min(512, WORK_BYTES // (8 * max(1, graph.nodes))))


def road_matrix(graph: RoadGraph, nodes: np.ndarray, metric: str) -> np.ndarray:
    """Least ``metric`` ("time_s" or "length_m") from every node in ``nodes`` to every other, node to node."""
    from scipy.sparse.csgraph import dijkstra

    weights = graph.weights(metric)
    sources, back = np.unique(nodes, return_inverse=True)
    out = np.empty((len(sources), len(sources)))
    step = _chunk(graph)
    for start in range(0, len(sources), step):
        part = sources[start:start + step]
        out[start:start + len(part)] = dijkstra(weights, directed=True, indices=part)[:, sources]
    return out[np.ix_(back, back)]


def road_paths(graph: RoadGraph, legs: Sequence[tuple[int, int]]) -> list[list[int]]:
    """The nodes of the fastest way of each (from node, to node) leg."""
    from scipy.sparse.csgraph import dijkstra

    weights = graph.weights("time_s")
    sources = sorted({a for a, _b in legs})
    out: dict[tuple[int, int], list[int]] = {}
    step = max(1, _chunk(graph) // 2)  # predecessors (int32) come with the distances
    for start in range(0, len(sources), step):
        part = sources[start:start + step]
        _dist, pred = dijkstra(weights, directed=True, indices=part, return_predecessors=True)
        for row, a in enumerate(part):
            for b in {b for x, b in legs if x == a}:
                path = [b]
                while path[-1] != a and pred[row, path[-1]] >= 0:
                    path.append(int(pred[row, path[-1]]))
                out[a, b] = path[::-1] if path[-1] == a else [a, b]
    return [out[leg] for leg in legs]


# --- the provider ------------------------------------------------------------------


class OsmProvider:
    """Travel along the roads of an OpenStreetMap extract (see the module's docstring)."""

    def __init__(self, pbf: str | Path, cache_dir: str | Path, snap_m: float = 500.0):
        self.pbf = Path(pbf)
        self.cache_dir = Path(cache_dir)
        self.snap_m = float(snap_m)

    @property
    def graph(self) -> RoadGraph:
        return load_graph(self.pbf, self.cache_dir)

    def _key(self, kind: str, *parts: object) -> Path:
        return self.cache_dir / f"{kind}-{_digest(self.graph.key, self.snap_m, ACCESS_SPEED_KMH, *parts)}.npz"

    def matrix(self, points: Sequence[Point]) -> TravelMatrix:
        ids = tuple(p.id for p in points)
        coords = [(round(p.lat, 7), round(p.lon, 7)) for p in points]
        cached = self._key("matrix", coords)
        arrays = _load_npz(cached)
        if arrays is None or arrays["drive_min"].shape != (len(points), len(points)):
            graph = self.graph
            node, off = snap(graph, points, self.snap_m, str(self.pbf))
            length = road_matrix(graph, node, "length_m")
            time_s = road_matrix(graph, node, "time_s")
            # The way from the stop to the road and from the road to the next stop, both ends.
            access = off[:, None] + off[None, :]
            distance = length + access
            drive = (time_s + access / (ACCESS_SPEED_KMH / 3.6)) / 60.0
            np.fill_diagonal(distance, 0.0)
            np.fill_diagonal(drive, 0.0)
            arrays = {"distance_m": distance, "drive_min": drive}
            _save_npz(cached, **arrays)
        return TravelMatrix(ids, arrays["distance_m"], arrays["drive_min"])

    def shapes(self, legs: Sequence[tuple[Point, Point]]) -> list[list[tuple[float, float]]]:
        """The road way of each leg as (lat, lon) from the first place to the second."""
        if not legs:
            return []
        coords = [((round(a.lat, 7), round(a.lon, 7)), (round(b.lat, 7), round(b.lon, 7))) for a, b in legs]
        cached = self._key("shapes", coords)
        arrays = _load_npz(cached)
        if arrays is None:
            graph = self.graph
            ends = [a for a, _b in legs] + [b for _a, b in legs]
            node, _off = snap(graph, ends, self.snap_m, str(self.pbf))
            paths = road_paths(graph, list(zip(node[: len(legs)].tolist(), node[len(legs):].tolist())))
            arrays = {"nodes": np.concatenate([np.asarray(p, np.int64) for p in paths]),
                      "ends": np.cumsum([len(p) for p in paths])}
            _save_npz(cached, **arrays)
        graph = self.graph
        out = []
        for (a, b), part in zip(legs, np.split(arrays["nodes"], arrays["ends"][:-1])):
            out.append([(a.lat, a.lon)] + [(float(graph.lat[n]), float(graph.lon[n])) for n in part] + [(b.lat, b.lon)])
        return out
