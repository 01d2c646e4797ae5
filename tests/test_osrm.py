"""The OSRM provider against a local HTTP server that speaks OSRM's table service.

No OSRM server can be installed here, so the server below answers as the
documented HTTP API v5 does (``GET /table/v1/{profile}/{lon,lat;...}`` with
``sources``, ``destinations`` and ``annotations``; ``{"code": "Ok", "durations",
"distances", "sources", "destinations"}``, ``null`` for a pair without a route,
``{"code": "TooBig", ...}`` with status 400 when sources x destinations exceeds
``--max-table-size`` squared).  Its travel times come from its own rule
(great-circle metres x 1.3 at 50 km/h, plus a one-way penalty), so the
provider's assembled matrix can be compared with a matrix computed here.
"""

from __future__ import annotations

import json
import math
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from routeplanner.errors import InputError
from routeplanner.model import Travel
from routeplanner.travel import OsrmProvider, Point, provider_for

PLACES = [Point(f"s{i}", 55.9 + 0.013 * i, 25.5 + 0.021 * ((i * 7) % 5)) for i in range(8)]


def reference(a: Point, b: Point) -> tuple[float, float]:
    """(seconds, metres) the fake server answers from a to b."""
    la1, lo1, la2, lo2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    metres = 2 * 6_371_008.8 * math.asin(math.sqrt(h)) * 1.3
    seconds = metres / (50 / 3.6) + (30.0 if a.lat < b.lat else 0.0)  # uphill (north) costs 30 s more
    return seconds, metres


class FakeOsrm(BaseHTTPRequestHandler):
    max_table = 100
    requests: list[str] = []
    no_route: set[tuple[int, int]] = set()  # pairs of PLACES without a route
    snapped_m = 3.2
    answer: tuple[int, bytes] | None = None  # a fixed answer instead

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        type(self).requests.append(self.path)
        if self.answer is not None:
            return self._send(*self.answer)
        url = urlsplit(self.path)  # not urlparse: it would cut the path at its first ";"
        parts = url.path.split("/")
        if parts[1:4] != ["table", "v1", "driving"]:
            return self._send(400, json.dumps({"code": "InvalidUrl", "message": "URL string malformed"}).encode())
        coords = [tuple(map(float, c.split(","))) for c in parts[4].split(";")]
        places = [next(i for i, p in enumerate(PLACES) if abs(p.lon - lon) < 1e-6 and abs(p.lat - lat) < 1e-6)
                  for lon, lat in coords]
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        sources = [int(x) for x in q["sources"].split(";")] if "sources" in q else list(range(len(coords)))
        dests = [int(x) for x in q["destinations"].split(";")] if "destinations" in q else list(range(len(coords)))
        if len(sources) * len(dests) > self.max_table ** 2:
            return self._send(400, json.dumps({"code": "TooBig", "message": "Too many table coordinates"}).encode())
        assert q.get("annotations") == "duration,distance"

        def cell(s, d, k):
            a, b = places[s], places[d]
            return None if (a, b) in self.no_route else reference(PLACES[a], PLACES[b])[k]

        waypoint = [{"location": [lon, lat], "distance": self.snapped_m, "name": "Vilniaus g."} for lon, lat in coords]
        body = {
            "code": "Ok",
            "durations": [[cell(s, d, 0) for d in dests] for s in sources],
            "distances": [[cell(s, d, 1) for d in dests] for s in sources],
            "sources": [waypoint[s] for s in sources],
            "destinations": [waypoint[d] for d in dests],
        }
        self._send(200, json.dumps(body).encode())


@pytest.fixture
def server():
    handler = type("Handler", (FakeOsrm,), {"requests": [], "no_route": set(), "answer": None})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def expected_matrix() -> tuple[np.ndarray, np.ndarray]:
    n = len(PLACES)
    minutes, metres = np.zeros((n, n)), np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j:
                s, m = reference(PLACES[i], PLACES[j])
                minutes[i, j], metres[i, j] = s / 60, m
    return minutes, metres


@pytest.mark.parametrize("max_table, requests", [(100, 1), (3, 9), (5, 4)])
def test_the_matrix_is_assembled_from_blocks_within_the_table_limit(server, max_table, requests):
    handler, url = server
    handler.max_table = max_table  # the server refuses larger tables (TooBig), as osrm-routed does
    m = OsrmProvider(url + "/", max_table=max_table).matrix(PLACES)
    minutes, metres = expected_matrix()
    np.testing.assert_allclose(m.drive_min, minutes, rtol=1e-9)
    np.testing.assert_allclose(m.distance_m, metres, rtol=1e-9)
    assert m.drive_min[0, 1] != m.drive_min[1, 0]  # directions are not mixed up
    assert m.ids == tuple(p.id for p in PLACES)
    assert len(handler.requests) == requests


def test_a_table_too_big_for_the_server_is_its_error(server):
    handler, url = server
    handler.max_table = 3
    with pytest.raises(InputError) as err:
        OsrmProvider(url, max_table=4).matrix(PLACES)
    (problem,) = err.value.problems
    assert problem.column == "travel.osrm_url" and "TooBig: Too many table coordinates" in problem.value


def test_a_server_that_cannot_be_reached(server):
    handler, url = server
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    with pytest.raises(InputError) as err:
        OsrmProvider(closed).matrix(PLACES)
    (problem,) = err.value.problems
    assert problem.value == closed and "could not be reached" in problem.expected


def test_an_answer_that_is_not_osrm(server):
    handler, url = server
    handler.answer = (502, b"<html><body>Bad Gateway</body></html>")
    with pytest.raises(InputError) as err:
        OsrmProvider(url).matrix(PLACES)
    assert "is this the address of an OSRM server" in err.value.problems[0].expected


def test_a_pair_without_a_route_is_named(server):
    handler, url = server
    handler.no_route = {(2, 5), (5, 2)}
    with pytest.raises(InputError) as err:
        OsrmProvider(url, max_table=3).matrix(PLACES)
    assert sorted(p.value for p in err.value.problems) == ["s2,s5", "s5,s2"]


def test_a_place_far_from_the_roads_is_named(server):
    handler, url = server
    handler.snapped_m = 2500.0
    with pytest.raises(InputError) as err:
        OsrmProvider(url, snap_m=1000).matrix(PLACES[:2])
    assert [p.value.split(":")[0] for p in err.value.problems] == ["s0", "s1"]
    assert "2,500 m away" in err.value.problems[0].expected


def test_provider_for_osrm(server):
    handler, url = server
    p = provider_for(Travel("osrm", osrm_url=url, osrm_max_table=4))
    assert isinstance(p, OsrmProvider) and p.max_table == 4
    assert p.matrix(PLACES[:3]).drive_min[0, 2] == pytest.approx(reference(PLACES[0], PLACES[2])[0] / 60)
