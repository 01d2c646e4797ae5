"""pgRouting on a real PostgreSQL (tests/pgserver.py) against the embedded road provider.

The same extract is imported with Debian's osmium-tool and osm2pgrouting and its
matrix compared with the embedded provider's (pyrosm + scipy).  Places are put
on junctions, which both providers have as vertices, so snapping is exact.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyrosm
import pytest
from pgserver import PostgresServer, PostgresUnavailable
from test_roads import NODES, WAYS, at, write_extract

from routeplanner import pgrouting, roads
from routeplanner.errors import InputError
from routeplanner.roads import OsmProvider
from routeplanner.travel import Point

BUNDLED = Path(pyrosm.get_data("test_pbf"))


@pytest.fixture(scope="module")
def server():
    missing = [tool for tool in ("osmium", "osm2pgrouting") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed: `make postgres` installs osmium-tool, osm2pgrouting and "
                    "postgresql-15-pgrouting", pytrace=False)
    try:
        pg = PostgresServer().start()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    yield pg
    pg.stop()


def imported(server, pbf: Path) -> str:
    url = server.url(server.create_database("roads"))
    pgrouting.import_extract(url, pbf)
    return url


def test_the_village_agrees_with_the_embedded_provider(server, tmp_path):
    village = write_extract(tmp_path / "village.osm.pbf", NODES, WAYS)
    url = imported(server, village)
    places = [at(1), at(3), at(4), at(6)]  # ends and junctions: vertices in both
    pg = pgrouting.PgRoutingProvider(url, snap_m=300).matrix(places)
    embedded = OsmProvider(village, tmp_path / "cache", snap_m=300).matrix(places)
    # Lengths: PostGIS on the ellipsoid, the embedded provider on the sphere (0.1 to 0.3 % apart at 55 N).
    np.testing.assert_allclose(pg.distance_m, embedded.distance_m, rtol=4e-3)
    np.testing.assert_allclose(pg.drive_min, embedded.drive_min, rtol=4e-3)
    assert pg.drive_min[2, 1] > 2 * pg.drive_min[1, 2]  # the one-way street, back the long way


def test_the_same_errors_for_a_stop_no_road_reaches(server, tmp_path):
    village = write_extract(tmp_path / "village.osm.pbf", NODES, WAYS)
    url = imported(server, village)
    with pytest.raises(InputError) as err:
        pgrouting.PgRoutingProvider(url, snap_m=300).matrix([at(1, "depot"), at(7, "island"),
                                                             Point("riga", 56.95, 24.1)])
    assert [p.value.split(":")[0] for p in err.value.problems] == ["island", "riga"]
    assert "cut off from the rest" in err.value.problems[0].expected
    assert "outside the extract" in err.value.problems[1].expected


def test_no_network_imported_is_a_clear_error(server):
    url = server.url(server.create_database("empty"))
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION postgis"))
        conn.execute(text("CREATE EXTENSION pgrouting"))
        conn.execute(text("CREATE TABLE ways (gid bigint, source bigint, target bigint, length_m float, cost_s float, "
                          "reverse_cost_s float)"))
        conn.execute(text("CREATE TABLE ways_vertices_pgr (id bigint, the_geom geometry)"))
    engine.dispose()
    with pytest.raises(InputError) as err:
        pgrouting.PgRoutingProvider(url).matrix([at(1), at(3)])
    assert "imported into the database" in err.value.problems[0].expected


def test_the_bundled_extract_agrees_where_its_roads_are_whole(server, tmp_path):
    """pyrosm leaves out the segments of a way whose nodes the clipped extract lacks (1,419 references
    are missing in it: ``osmium check-refs``); osm2pgrouting joins the nodes on either side of such a
    gap, so pgRouting may find a way along a cut road that the embedded provider does not.  So: never
    longer, and the same (within 0.4 %: ellipsoid against sphere) on most pairs."""
    url = imported(server, BUNDLED)
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.connect() as conn:
        vertices = pgrouting.PgRoutingProvider(url)._graph(conn)
    engine.dispose()
    graph = roads.load_graph(BUNDLED, tmp_path / "cache")
    candidates = [Point(f"v{k}", float(vertices.lat[k]), float(vertices.lon[k])) for k in np.flatnonzero(vertices.main)]
    _node, off = roads.snap(graph, candidates, 10_000, "test")
    shared = [p for p, d in zip(candidates, off) if d < 0.5]  # junctions of both main networks
    assert len(shared) > 0.75 * len(candidates)
    places = [shared[i] for i in np.random.default_rng(2).choice(len(shared), 30, replace=False)]
    pg = pgrouting.PgRoutingProvider(url).matrix(places)
    embedded = OsmProvider(BUNDLED, tmp_path / "cache").matrix(places)
    pairs = ~np.eye(len(places), dtype=bool)
    assert (pg.distance_m[pairs] <= embedded.distance_m[pairs] * 1.004).all()
    same = np.abs(pg.distance_m - embedded.distance_m)[pairs] <= 0.004 * embedded.distance_m[pairs]
    assert same.mean() > 0.5  # 67 % of these 870 pairs on 2026-12-02; the rest shorter in pgRouting


def test_the_command_line_imports_and_a_scenario_plans_on_the_services_database(server, tmp_path, monkeypatch):
    from routeplanner.cli import main
    from routeplanner.model import Travel
    from routeplanner.travel import provider_for

    village = write_extract(tmp_path / "village.osm.pbf", NODES, WAYS)
    url = server.url(server.create_database("service"))
    monkeypatch.setenv("ROUTEPLANNER_DATABASE_URL", url)
    assert main(["roads", "import", str(village)]) == 0
    provider = provider_for(Travel("pgrouting", snap_m=300))
    assert isinstance(provider, pgrouting.PgRoutingProvider)
    m = provider.matrix([at(1), at(3)])
    assert m.distance_m[0, 1] == pytest.approx(OsmProvider(village, tmp_path, 300).matrix([at(1), at(3)])
                                               .distance_m[0, 1], rel=4e-3)


def test_pgrouting_needs_the_service_on_postgresql(monkeypatch, tmp_path):
    from routeplanner.model import Travel
    from routeplanner.travel import provider_for

    monkeypatch.setenv("ROUTEPLANNER_DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite")
    with pytest.raises(InputError) as err:
        provider_for(Travel("pgrouting"))
    assert err.value.problems[0].column == "travel.method" and "PostgreSQL" in err.value.problems[0].expected
