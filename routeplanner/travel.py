"""Travel distances and drive times between places, behind one small interface.

A provider turns a list of points into a :class:`TravelMatrix`.  Built in:

* ``haversine``: great-circle distance x ``circuity``, driven at ``speed_kmh``
  (NumPy, vectorised: 2,000 points take well under a second);
* ``geodesic``: ellipsoid distance (geopy) x ``circuity`` at ``speed_kmh``;
* ``matrix``: a user-supplied CSV with columns ``from,to,km,minutes`` between
  stop ids (the depot is ``depot``);
* ``osm``: along the roads of an OpenStreetMap extract (:mod:`routeplanner.roads`);
* ``osrm``: an OSRM server's table service (:class:`OsrmProvider`);
* ``pgrouting``: the roads loaded into the service's PostgreSQL (:mod:`routeplanner.pgrouting`).

A provider that knows the roads also has ``shapes(legs)``: the way of each
leg as (lat, lon) points, for the maps (:func:`leg_shapes`).
"""

from __future__ import annotations

import csv
import json
import math
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol, Sequence

import numpy as np

from routeplanner import limits
from routeplanner.errors import InputError, Problem
from routeplanner.model import Route, Scenario, Travel

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
DEPOT_ID = "depot"


@dataclass(frozen=True)
class Point:
    id: str
    lat: float
    lon: float


@dataclass(frozen=True)
class TravelMatrix:
    """Distances (metres) and drive times (minutes) between ``ids``, row = from."""

    ids: tuple[str, ...]
    distance_m: np.ndarray
    drive_min: np.ndarray

    def index(self, point_id: str) -> int:
        return self.ids.index(point_id)


class MatrixProvider(Protocol):
    def matrix(self, points: Sequence[Point]) -> TravelMatrix: ...


def _coords(points: Sequence[Point]) -> tuple[np.ndarray, np.ndarray]:
    lat = np.radians(np.fromiter((p.lat for p in points), float, len(points)))
    lon = np.radians(np.fromiter((p.lon for p in points), float, len(points)))
    return lat, lon


def haversine_m(points: Sequence[Point]) -> np.ndarray:
    """Great-circle distances in metres between all pairs of points."""
    lat, lon = _coords(points)
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


@dataclass(frozen=True)
class _StraightLine:
    circuity: float = 1.35
    speed_kmh: float = 45.0

    def _straight_m(self, points: Sequence[Point]) -> np.ndarray:
        raise NotImplementedError

    def matrix(self, points: Sequence[Point]) -> TravelMatrix:
        dist = self._straight_m(points) * self.circuity
        drive = dist / 1000.0 / self.speed_kmh * 60.0
        return TravelMatrix(tuple(p.id for p in points), dist, drive)


class HaversineProvider(_StraightLine):
    """Great-circle distance times circuity, at an average speed."""

    def _straight_m(self, points: Sequence[Point]) -> np.ndarray:
        return haversine_m(points)


class GeodesicProvider(_StraightLine):
    """WGS84 ellipsoid distance (geopy) times circuity, at an average speed."""

    def _straight_m(self, points: Sequence[Point]) -> np.ndarray:
        from geopy.distance import geodesic

        n = len(points)
        out = np.zeros((n, n))
        for i in range(n):
            a = (points[i].lat, points[i].lon)
            for j in range(i + 1, n):
                out[i, j] = out[j, i] = geodesic(a, (points[j].lat, points[j].lon)).meters
        return out


class MatrixFileProvider:
    """Distances and times read from a CSV (``from,to,km,minutes``).

    Every ordered pair of points used must be in the file (a pair given once
    is used both ways unless the reverse is given too).

    The file is read twice, a row at a time, and never held: once when the
    provider is made (every row checked, problems listed at once), once by
    :meth:`matrix` (the rows of the points asked for go straight into the
    arrays).  A full matrix of 2,000 stops is four million rows; as a Python
    dictionary it would take gigabytes.  Its size and rows are bounded
    (:data:`~routeplanner.limits.MAX_MATRIX_BYTES`, ``MAX_MATRIX_ROWS``).
    """

    COLUMNS = ("from", "to", "km", "minutes")

    def __init__(self, path: str | Path):
        self.path = Path(path)
        for _ in self._legs():
            pass  # the first pass only checks

    def _rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(spreadsheet row, {column: text}) of every non-blank data row."""
        name = str(self.path)
        try:
            size = self.path.stat().st_size
            if size > limits.MAX_MATRIX_BYTES:
                raise InputError([limits.too_large(name, size, limits.MAX_MATRIX_BYTES, "a travel matrix")])
            # utf-8-sig: Excel's "CSV UTF-8" starts with a BOM.
            with open(self.path, encoding="utf-8-sig", newline="") as fh:
                first = fh.readline(64 * 1024)
                header = next(csv.reader([first], delimiter=_delimiter(first)), [])
                columns = [c.strip().lower() for c in header]
                missing = [c for c in self.COLUMNS if c not in columns]
                if missing:
                    raise InputError([Problem(name, 1, c, "", f"a column named {c!r}") for c in missing])
                where = {c: columns.index(c) for c in self.COLUMNS}
                # Row numbers count blank lines, as the spreadsheet shows them.
                for number, row in enumerate(csv.reader(fh, delimiter=_delimiter(first)), start=2):
                    if number > limits.MAX_MATRIX_ROWS + 1:
                        raise InputError([Problem(
                            name, number, "", "", f"a travel matrix of at most {limits.MAX_MATRIX_ROWS:,} rows "
                            f"(every ordered pair of the depot and {limits.MAX_STOPS:,} stops)")])
                    if not any(c.strip() for c in row):
                        continue
                    yield number, {c: (row[i] if i < len(row) else "") for c, i in where.items()}
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise InputError([Problem(name, None, "", str(exc), "a readable CSV file from,to,km,minutes")]) from None

    def _legs(self) -> Iterator[tuple[str, str, float, float]]:
        """(from, to, km, minutes) of every row; InputError listing every bad cell at the end."""
        problems: list[Problem] = []
        more = 0
        for number, rec in self._rows():
            values = []
            for col, bound in (("km", limits.LEG_KM), ("minutes", limits.LEG_MIN)):
                text = rec[col].strip().replace(",", ".")
                try:
                    v = float(text)
                except ValueError:
                    v = math.nan
                if v in bound:
                    values.append(v)
                elif len(problems) < limits.MAX_LISTED_PROBLEMS:
                    problems.append(Problem(str(self.path), number, col, rec[col][:60],
                                            f"a number, {bound.text()}"))
                else:
                    more += 1  # counted, not kept: a file of millions of bad cells stays small
            if len(values) == 2 and not problems:
                yield rec["from"].strip(), rec["to"].strip(), values[0], values[1]
        if problems:
            raise InputError(problems, more=more)

    def matrix(self, points: Sequence[Point]) -> TravelMatrix:
        n = len(points)
        index = {p.id: i for i, p in enumerate(points)}
        # NaN: no row for that direction (yet); a later row for a pair wins.
        dist = np.full((n, n), np.nan)
        drive = np.full((n, n), np.nan)
        for a, b, km, minutes in self._legs():
            i, j = index.get(a), index.get(b)
            if i is not None and j is not None:
                dist[i, j], drive[i, j] = km * 1000.0, minutes
        # A pair given in one direction only is used both ways.
        one_way = np.isnan(dist) & ~np.isnan(dist.T)
        dist[one_way], drive[one_way] = dist.T[one_way], drive.T[one_way]
        np.fill_diagonal(dist, 0.0)
        np.fill_diagonal(drive, 0.0)
        missing = np.argwhere(np.isnan(dist))
        problems = [
            Problem(str(self.path), None, "from,to", f"{points[i].id},{points[j].id}", "a row for this pair of stops")
            for i, j in missing[: limits.MAX_LISTED_PROBLEMS]
        ]
        if problems:
            raise InputError(problems, more=len(missing) - len(problems))
        return TravelMatrix(tuple(p.id for p in points), dist, drive)


class OsrmProvider:
    """Drive times and distances from an OSRM server's table service.

    ``GET {url}/table/v1/driving/{lon,lat;...}?sources=..&destinations=..&annotations=duration,distance``
    (OSRM's HTTP API, v5).  The matrix is asked in blocks of at most ``max_table``
    sources x ``max_table`` destinations, the limit the server checks
    (``osrm-routed --max-table-size``, 100 by default): n places take
    ceil(n / max_table)^2 requests.  A place the server snaps more than ``snap_m``
    metres to a road, a pair it finds no way between, a server that does not
    answer and an answer other than ``"code": "Ok"`` are each a clear
    :class:`InputError` (the server's own message included).
    """

    TIMEOUT_S = 120.0

    def __init__(self, url: str, max_table: int = 100, snap_m: float = 500.0, profile: str = "driving"):
        self.url = url.rstrip("/")
        self.max_table = int(max_table)
        self.snap_m = float(snap_m)
        self.profile = profile

    def _problem(self, value: str, expected: str) -> InputError:
        return InputError([Problem(self.url, None, "travel.osrm_url", value, expected)])

    def _table(self, points: Sequence[Point], sources: list[int], destinations: list[int]) -> dict:
        coords = ";".join(f"{p.lon:.6f},{p.lat:.6f}" for p in points)
        query = urllib.parse.urlencode({
            "sources": ";".join(map(str, sources)), "destinations": ";".join(map(str, destinations)),
            "annotations": "duration,distance"}, safe=";,")
        url = f"{self.url}/table/v1/{self.profile}/{coords}?{query}"
        try:
            with urllib.request.urlopen(url, timeout=self.TIMEOUT_S) as answer:
                body = answer.read()
        except urllib.error.HTTPError as err:  # OSRM answers its errors with 400 and a JSON body
            body = err.read()
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise self._problem(self.url, f"an OSRM server that answers (it could not be reached: {reason})") from None
        try:
            data = json.loads(body)
        except ValueError:
            raise self._problem(body[:80].decode("utf-8", "replace"),
                                "an answer of OSRM's table service (JSON); is this the address of an OSRM server?"
                                ) from None
        if not isinstance(data, dict) or data.get("code") != "Ok":
            code = data.get("code") if isinstance(data, dict) else None
            message = data.get("message", "") if isinstance(data, dict) else ""
            raise self._problem(f"{code}: {message}"[:200], "an answer with \"code\": \"Ok\" from the OSRM server")
        return data

    def matrix(self, points: Sequence[Point]) -> TravelMatrix:
        n = len(points)
        dist = np.full((n, n), np.nan)
        drive = np.full((n, n), np.nan)
        snapped = np.zeros(n)
        k = self.max_table
        blocks = [list(range(i, min(i + k, n))) for i in range(0, n, k)]
        for rows in blocks:
            for cols in blocks:
                places = rows + [c for c in cols if c not in set(rows)]
                where = {p: i for i, p in enumerate(places)}
                data = self._table([points[p] for p in places], [where[r] for r in rows], [where[c] for c in cols])
                try:
                    durations = np.array(data["durations"], dtype=float)  # null -> nan: no way found
                    distances = np.array(data["distances"], dtype=float)
                    for r, s in zip(rows, data["sources"]):
                        snapped[r] = float(s.get("distance", 0.0))
                except (KeyError, TypeError, ValueError):
                    raise self._problem(str(sorted(data))[:120], "durations, distances and sources in the answer "
                                        "(OSRM 5.8 or later, annotations=duration,distance)") from None
                if durations.shape != (len(rows), len(cols)) or distances.shape != durations.shape:
                    raise self._problem(f"{durations.shape}", f"a table of {len(rows)} x {len(cols)}")
                drive[np.ix_(rows, cols)] = durations / 60.0
                dist[np.ix_(rows, cols)] = distances
        far = [i for i in range(n) if snapped[i] > self.snap_m]
        if far:
            raise InputError([Problem(self.url, None, "lat,lon", f"{points[i].id}: {points[i].lat:.6f},"
                                      f"{points[i].lon:.6f}", f"a place at most {self.snap_m:,.0f} m from a road "
                                      f"(the OSRM server's nearest road is {snapped[i]:,.0f} m away); move the stop "
                                      "to its road or raise travel.snap_m") for i in far])
        np.fill_diagonal(dist, 0.0)
        np.fill_diagonal(drive, 0.0)
        missing = np.argwhere(np.isnan(drive) | np.isnan(dist))
        if len(missing):
            shown = [Problem(self.url, None, "from,to", f"{points[i].id},{points[j].id}",
                             "a pair of places the OSRM server finds a road between")
                     for i, j in missing[: limits.MAX_LISTED_PROBLEMS]]
            raise InputError(shown, more=len(missing) - len(shown))
        return TravelMatrix(tuple(p.id for p in points), dist, drive)


def _delimiter(header: str) -> str:
    """The most frequent of ``,`` ``;`` tab in the header line (``,`` when none)."""
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def provider_for(travel: Travel, base_dir: str | Path | None = None) -> MatrixProvider:
    """The provider a scenario's ``[travel]`` table asks for."""
    if travel.method == "haversine":
        return HaversineProvider(travel.circuity, travel.speed_kmh)
    if travel.method == "geodesic":
        return GeodesicProvider(travel.circuity, travel.speed_kmh)
    if travel.method == "matrix":
        if not travel.matrix:
            raise InputError([Problem("scenario", None, "travel.matrix", "", "a path to a from,to,km,minutes CSV")])
        return MatrixFileProvider(_beside(travel.matrix, base_dir))
    if travel.method == "osm":
        from routeplanner import config
        from routeplanner.roads import OsmProvider

        pbf = travel.osm_pbf or config.osm_pbf()  # the scenario's extract, else the server's
        if not pbf:
            raise InputError([Problem("scenario", None, "travel.osm_pbf", "",
                                      "a path to an OpenStreetMap extract (.osm.pbf), or ROUTEPLANNER_OSM_PBF")])
        return OsmProvider(_beside(pbf, base_dir), config.cache_dir(), travel.snap_m)
    if travel.method == "osrm":
        if not travel.osrm_url:
            raise InputError([Problem("scenario", None, "travel.osrm_url", "", "the address of an OSRM server")])
        return OsrmProvider(travel.osrm_url, travel.osrm_max_table, travel.snap_m)
    if travel.method == "pgrouting":
        from routeplanner import config
        from routeplanner.pgrouting import PgRoutingProvider, postgresql_url

        return PgRoutingProvider(postgresql_url(config.Settings.from_env().database()), travel.snap_m)
    raise InputError(
        [Problem("scenario", None, "travel.method", travel.method, "haversine, geodesic, matrix, osm, osrm or pgrouting")]
    )


def _beside(path: str, base_dir: str | Path | None) -> Path:
    """``path``, relative to ``base_dir`` when it is relative and a folder is given."""
    out = Path(path)
    return Path(base_dir) / out if base_dir is not None and not out.is_absolute() else out


#: A leg's two ends, (lat, lon) each: the key of a route shape.
Leg = tuple[tuple[float, float], tuple[float, float]]


def leg_shapes(travel: Travel, routes: Sequence[Route]) -> dict[Leg, list[tuple[float, float]]] | None:
    """The way along the roads of every leg of ``routes``, as (lat, lon) points from end to end.

    None when the travel method knows no roads (the maps then draw straight
    lines and say so), or when the roads cannot be read now (an extract moved
    or deleted since the plan was made: the plan stays readable).
    """
    if travel.method != "osm":
        return None
    legs: dict[Leg, tuple[Point, Point]] = {}
    for route in routes:
        places = [(route.depot.lat, route.depot.lon)] + [(v.lat, v.lon) for v in route.visits]
        if route.visits:
            places.append(places[0])
        for a, b in zip(places, places[1:]):
            legs.setdefault((a, b), (Point("from", *a), Point("to", *b)))
    try:
        shapes = provider_for(travel).shapes(list(legs.values()))
    except InputError:
        return None
    return dict(zip(legs, shapes))


def scenario_points(scenario: Scenario) -> list[Point]:
    """The depot first, then every stop, as matrix points."""
    pts = [Point(DEPOT_ID, scenario.depot.lat, scenario.depot.lon)]
    pts += [Point(s.id, s.lat, s.lon) for s in scenario.stops]
    return pts


def scenario_matrix(scenario: Scenario, base_dir: str | Path | None = None) -> TravelMatrix:
    """Travel matrix over the depot (index 0) and the scenario's stops (1..n)."""
    return provider_for(scenario.travel, base_dir).matrix(scenario_points(scenario))
