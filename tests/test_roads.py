"""The road provider (``[travel] method = "osm"``) on real extracts.

Two kinds of extract, both offline:

* small road maps written here with osmium (libosmium's writer), whose every
  length and speed is known: a main road with a speed limit, a one-way street
  with a long way back, a road tagged in mph, an island road, a footway;
* the real extract that ships inside pyrosm (``test.osm.pbf``: motorway,
  secondary and residential roads east of Helsinki), against networkx's
  Dijkstra on pyrosm's own graph of it.

References come from outside the code under test: geopy's great-circle
distance, networkx, and the documented speeds.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pyrosm
import pytest
from geopy.distance import great_circle

from routeplanner import roads
from routeplanner.errors import InputError
from routeplanner.model import Travel
from routeplanner.roads import OsmProvider, load_graph
from routeplanner.travel import Point, provider_for

BUNDLED = Path(pyrosm.get_data("test_pbf"))


def write_extract(path: Path, nodes: dict[int, tuple[float, float]], ways: list[tuple[int, list[int], dict]]) -> Path:
    """An .osm.pbf with ``nodes`` {id: (lat, lon)} and ``ways`` (id, node ids, tags)."""
    import osmium
    from osmium.osm.mutable import Node, Way

    writer = osmium.SimpleWriter(str(path), overwrite=True)
    for nid, (lat, lon) in sorted(nodes.items()):
        writer.add_node(Node(id=nid, location=(lon, lat), version=1, tags={}))
    for wid, refs, tags in ways:
        writer.add_way(Way(id=wid, nodes=refs, version=1, tags=tags))
    writer.close()
    return path


def gc_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    return great_circle(a, b).meters


# A village map about 55.0 N 25.0 E.  A-B-C: a secondary road, maxspeed 60.
# C->D: a one-way residential street going north; back from D to C: D-E-C, unclassified (no maxspeed).
# C-F: a road tagged "30 mph".  G-H: an island road, 3 km east.  A-K: a footway (not for vans).
NODES = {
    1: (55.0, 25.0), 2: (55.0, 25.01), 3: (55.0, 25.02),  # A B C
    4: (55.005, 25.02),  # D
    5: (55.005, 25.03),  # E
    6: (54.99, 25.02),  # F
    7: (55.0, 25.07), 8: (55.0, 25.072),  # G H
    9: (55.003, 25.0),  # K
}
WAYS = [
    (100, [1, 2, 3], {"highway": "secondary", "maxspeed": "60"}),
    (101, [3, 4], {"highway": "residential", "oneway": "yes"}),
    (102, [4, 5, 3], {"highway": "unclassified"}),
    (103, [3, 6], {"highway": "tertiary", "maxspeed": "30 mph"}),
    (104, [7, 8], {"highway": "residential"}),
    (105, [1, 9], {"highway": "footway"}),
]


@pytest.fixture
def village(tmp_path) -> Path:
    return write_extract(tmp_path / "village.osm.pbf", NODES, WAYS)


@pytest.fixture
def provider(village, tmp_path) -> OsmProvider:
    return OsmProvider(village, tmp_path / "cache", snap_m=300)


def at(node: int, pid: str | None = None) -> Point:
    lat, lon = NODES[node]
    return Point(pid or f"n{node}", lat, lon)


def test_a_straight_road_is_its_length_at_its_speed_limit(provider):
    m = provider.matrix([at(1), at(3)])
    length = gc_m(NODES[1], NODES[2]) + gc_m(NODES[2], NODES[3])
    assert m.distance_m[0, 1] == pytest.approx(length, rel=2e-3)
    assert m.distance_m[1, 0] == pytest.approx(length, rel=2e-3)
    assert m.drive_min[0, 1] == pytest.approx(length / 1000 / 60 * 60, rel=2e-3)  # 60 km/h


def test_a_one_way_street_is_driven_one_way(provider):
    m = provider.matrix([at(3), at(4)])
    up = gc_m(NODES[3], NODES[4])
    back = gc_m(NODES[4], NODES[5]) + gc_m(NODES[5], NODES[3])
    assert m.distance_m[0, 1] == pytest.approx(up, rel=2e-3)
    assert m.distance_m[1, 0] == pytest.approx(back, rel=2e-3)  # the long way round
    assert m.drive_min[0, 1] == pytest.approx(up / 1000 / 30 * 60, rel=2e-3)  # residential: 30 km/h
    assert m.drive_min[1, 0] == pytest.approx(back / 1000 / 40 * 60, rel=2e-3)  # unclassified: 40 km/h


def test_speed_in_miles_per_hour(provider):
    m = provider.matrix([at(3), at(6)])
    assert m.drive_min[0, 1] == pytest.approx(gc_m(NODES[3], NODES[6]) / 1000 / (30 * 1.609344) * 60, rel=2e-3)


def test_a_stop_off_the_road_is_snapped_and_the_way_to_the_road_counted(provider):
    # 100 m south of B: snapped to B, 100 m each way at the access speed (15 km/h)
    off = Point("farm", 55.0 - 100 / 111_195, 25.01)
    m = provider.matrix([at(1), off])
    ab = gc_m(NODES[1], NODES[2])
    assert m.distance_m[0, 1] == pytest.approx(ab + 100, rel=3e-3)
    assert m.drive_min[0, 1] == pytest.approx(ab / 1000 / 60 * 60 + 0.1 / 15 * 60, rel=3e-3)


def test_a_footway_is_not_a_road(provider):
    # Beside the footway's end K, 330 m from A: farther than snap_m from every road for vans.
    with pytest.raises(InputError) as err:
        provider.matrix([at(1), at(9, "school")])
    (problem,) = err.value.problems
    assert problem.value.startswith("school:") and "300 m from a drivable road" in problem.expected


def test_a_stop_only_near_an_island_road_is_refused_with_the_reason(provider):
    with pytest.raises(InputError) as err:
        provider.matrix([at(1, "depot"), at(7, "island")])
    (problem,) = err.value.problems
    assert "island" in problem.value and "cut off from the rest" in problem.expected


def test_every_stop_out_of_reach_is_named_at_once(provider):
    far = [Point("riga", 56.95, 24.1), Point("vilnius", 54.69, 25.28)]
    with pytest.raises(InputError) as err:
        provider.matrix([at(1)] + far)
    assert [p.value.split(":")[0] for p in err.value.problems] == ["riga", "vilnius"]
    assert all("outside the extract" in p.expected for p in err.value.problems)


def test_a_damaged_extract_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"not a pbf at all" * 100)
    with pytest.raises(InputError) as err:
        OsmProvider(bad, tmp_path / "cache").matrix([at(1), at(3)])
    assert err.value.problems[0].column == "travel.osm_pbf"


def test_matrices_are_cached_by_stops_extract_and_settings(village, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = OsmProvider(village, cache, snap_m=300).matrix([at(1), at(4), at(6)])
    roads._graph.cache_clear()  # as a new process would

    def no_work(*_args, **_kw):
        raise AssertionError("computed again")

    monkeypatch.setattr(roads, "read_extract", no_work)
    monkeypatch.setattr(roads, "road_matrix", no_work)
    again = OsmProvider(village, cache, snap_m=300).matrix([at(1, "a"), at(4, "b"), at(6, "c")])
    assert again.ids == ("a", "b", "c")
    np.testing.assert_array_equal(again.drive_min, first.drive_min)
    with pytest.raises(AssertionError, match="computed again"):  # other stops
        OsmProvider(village, cache, snap_m=300).matrix([at(1), at(4)])
    with pytest.raises(AssertionError, match="computed again"):  # other settings
        OsmProvider(village, cache, snap_m=301).matrix([at(1), at(4), at(6)])
    roads._graph.cache_clear()
    write_extract(village, {**NODES, 2: (55.001, 25.01)}, WAYS)  # another extract under the same name
    with pytest.raises(AssertionError, match="computed again"):
        OsmProvider(village, cache, snap_m=300).matrix([at(1), at(4), at(6)])


def test_shapes_follow_the_roads(provider):
    (up, back) = provider.shapes([(at(3), at(4)), (at(4), at(3))])
    assert up[0] == NODES[3] and up[-1] == NODES[4]
    inner = [p for p in back[1:-1]]
    assert inner == [NODES[4], NODES[5], NODES[3]]  # round by E: the one-way street is not taken back


def test_provider_for_reads_the_extract_beside_the_scenario(village, tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTEPLANNER_CACHE_DIR", str(tmp_path / "c"))
    p = provider_for(Travel("osm", osm_pbf=village.name, snap_m=300), base_dir=village.parent)
    assert p.matrix([at(1), at(3)]).distance_m[0, 1] > 1000
    assert list((tmp_path / "c").glob("matrix-*.npz"))


# --- the extract that ships with pyrosm ----------------------------------------------


@pytest.fixture(scope="module")
def bundled_graph(tmp_path_factory):
    return load_graph(BUNDLED, tmp_path_factory.mktemp("cache"))


def random_points(graph, n: int, seed: int) -> list[Point]:
    """Places on the main network's nodes, so that the road distance is exactly node to node."""
    rng = np.random.default_rng(seed)
    nodes = rng.choice(np.flatnonzero(graph.main), size=n, replace=False)
    return [Point(f"s{i}", float(graph.lat[k]), float(graph.lon[k])) for i, k in enumerate(nodes)]


def test_bundled_extract_distances_agree_with_networkx(bundled_graph, tmp_path):
    osm = pyrosm.OSM(str(BUNDLED))
    nodes, edges = osm.get_network(network_type="driving", nodes=True)
    reference = osm.to_graph(nodes, edges, graph_type="networkx", direction="oneway", retain_all=True, simplify=False,
                             progress=False)
    where = {(round(la, 7), round(lo, 7)): i for i, la, lo in zip(nodes["id"], nodes["lat"], nodes["lon"])}
    pts = random_points(bundled_graph, 25, seed=7)
    m = OsmProvider(BUNDLED, tmp_path, snap_m=50).matrix(pts)
    ids = [where[(round(p.lat, 7), round(p.lon, 7))] for p in pts]
    lengths = {i: nx.single_source_dijkstra_path_length(reference, i, weight="length") for i in ids}
    checked = 0
    for a in range(len(pts)):
        for b in range(len(pts)):
            if a != b and ids[b] in lengths[ids[a]]:
                assert m.distance_m[a, b] == pytest.approx(lengths[ids[a]][ids[b]], rel=1e-6, abs=0.01)
                checked += 1
    assert checked >= 0.9 * 25 * 24


def test_bundled_extract_matrix_is_sound(bundled_graph, tmp_path):
    pts = random_points(bundled_graph, 40, seed=3)
    m = OsmProvider(BUNDLED, tmp_path).matrix(pts)
    assert np.isfinite(m.distance_m).all() and np.isfinite(m.drive_min).all()
    assert (np.diag(m.distance_m) == 0).all()
    straight = np.array([[gc_m((a.lat, a.lon), (b.lat, b.lon)) for b in pts] for a in pts])
    assert (m.distance_m >= straight - 0.5).all()  # no road is shorter than the straight line
    # Shortest paths: no leg is beaten by a detour through a third stop.
    for k in range(len(pts)):
        assert (m.drive_min <= m.drive_min[:, [k]] + m.drive_min[[k], :] + 1e-9).all()
    # Speeds between 10 and 90 km/h on every leg of more than 100 m.
    long = m.distance_m > 100
    kmh = m.distance_m[long] / 1000 / (m.drive_min[long] / 60)
    assert (kmh > 10).all() and (kmh <= 90 + 1e-6).all()


def test_bundled_shapes_are_the_fastest_way(bundled_graph, tmp_path):
    pts = random_points(bundled_graph, 6, seed=11)
    provider = OsmProvider(BUNDLED, tmp_path)
    m = provider.matrix(pts)
    legs = [(pts[i], pts[i + 1]) for i in range(5)]
    index = {(round(la, 7), round(lo, 7)): k for k, (la, lo) in enumerate(zip(bundled_graph.lat, bundled_graph.lon))}
    weights = bundled_graph.weights("time_s")
    for i, shape in enumerate(provider.shapes(legs)):
        path = [index[(round(la, 7), round(lo, 7))] for la, lo in shape[1:-1]]
        seconds = sum(weights[a, b] for a, b in zip(path, path[1:]))
        assert all(weights[a, b] > 0 for a, b in zip(path, path[1:]))  # every step is a road segment
        assert seconds / 60 == pytest.approx(m.drive_min[i, i + 1], rel=1e-9)


def test_a_plan_on_the_bundled_extract_drives_its_roads(bundled_graph, tmp_path, monkeypatch):
    """The solver and the checker both plan with road times: every leg of the plan is a road leg."""
    import dataclasses

    from builders import scenario, stop

    from routeplanner.checker import check_plan
    from routeplanner.solver import solve
    from routeplanner.travel import scenario_matrix

    monkeypatch.setenv("ROUTEPLANNER_CACHE_DIR", str(tmp_path))
    depot, *spots = random_points(bundled_graph, 7, seed=5)
    stops = [dataclasses.replace(stop(f"stop-{i}", 0.0), lat=p.lat, lon=p.lon) for i, p in enumerate(spots)]
    sc = scenario(stops, work_limit=200)
    sc = dataclasses.replace(sc, depot=dataclasses.replace(sc.depot, lat=depot.lat, lon=depot.lon),
                             travel=Travel("osm", osm_pbf=str(BUNDLED)))
    plan = solve(sc)
    assert not plan.unserved
    m = scenario_matrix(sc)
    (route,) = plan.routes
    places = ["depot"] + [v.stop_id for v in route.visits]
    for (a, b), visit in zip(zip(places, places[1:]), route.visits):
        assert visit.leg_distance_m == pytest.approx(m.distance_m[m.index(a), m.index(b)], abs=1)
        assert visit.leg_drive_min == pytest.approx(m.drive_min[m.index(a), m.index(b)], abs=0.01)
    assert plan.travel.osm_pbf == str(BUNDLED)
    assert check_plan(sc, plan).ok
