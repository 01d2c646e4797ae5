"""Travel distances and drive times between places, behind one small interface.

A provider turns a list of points into a :class:`TravelMatrix`.  Built in:

* ``haversine``: great-circle distance x ``circuity``, driven at ``speed_kmh``
  (NumPy, vectorised: 2,000 points take well under a second);
* ``geodesic``: ellipsoid distance (geopy) x ``circuity`` at ``speed_kmh``;
* ``matrix``: a user-supplied CSV with columns ``from,to,km,minutes`` between
  stop ids (the depot is ``depot``).

A road-network provider (OSRM) plugs in as one more class with the same
``matrix(points)`` method.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from routeplanner.errors import InputError, Problem
from routeplanner.model import Scenario, Travel

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
    """

    COLUMNS = ("from", "to", "km", "minutes")

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._legs = self._read()

    def _read(self) -> dict[tuple[str, str], tuple[float, float]]:
        import pandas as pd

        name = str(self.path)
        try:
            # utf-8-sig: Excel's "CSV UTF-8" starts with a BOM.  Blank lines are
            # kept so row numbers match what the spreadsheet shows.
            frame = pd.read_csv(
                self.path, dtype=str, keep_default_na=False, sep=None, engine="python",
                encoding="utf-8-sig", skip_blank_lines=False,
            )
        except (OSError, ValueError) as exc:
            raise InputError([Problem(name, None, "", str(exc), "a readable CSV file from,to,km,minutes")])
        frame = frame.fillna("")  # blank lines come back as NaN
        frame.columns = [str(c).strip().lower() for c in frame.columns]
        missing = [c for c in self.COLUMNS if c not in frame.columns]
        if missing:
            raise InputError(
                [Problem(name, 1, c, "", f"a column named {c!r}") for c in missing]
            )
        legs: dict[tuple[str, str], tuple[float, float]] = {}
        problems: list[Problem] = []
        for i, row in enumerate(frame.itertuples(index=False), start=2):
            rec = dict(zip(frame.columns, row))
            if not any(str(v).strip() for v in row):
                continue
            values = []
            for col in ("km", "minutes"):
                text = rec[col].strip().replace(",", ".")
                try:
                    v = float(text)
                    if not np.isfinite(v) or v < 0:
                        raise ValueError
                    values.append(v)
                except ValueError:
                    problems.append(Problem(name, i, col, rec[col], "a number >= 0"))
            if len(values) == 2:
                legs[(rec["from"].strip(), rec["to"].strip())] = (values[0], values[1])
        if problems:
            raise InputError(problems)
        return legs

    def matrix(self, points: Sequence[Point]) -> TravelMatrix:
        n = len(points)
        dist = np.zeros((n, n))
        drive = np.zeros((n, n))
        problems: list[Problem] = []
        for i, a in enumerate(points):
            for j, b in enumerate(points):
                if i == j:
                    continue
                leg = self._legs.get((a.id, b.id)) or self._legs.get((b.id, a.id))
                if leg is None:
                    if len(problems) < 50:
                        problems.append(
                            Problem(str(self.path), None, "from,to", f"{a.id},{b.id}", "a row for this pair of stops")
                        )
                    continue
                dist[i, j] = leg[0] * 1000.0
                drive[i, j] = leg[1]
        if problems:
            raise InputError(problems)
        return TravelMatrix(tuple(p.id for p in points), dist, drive)


def provider_for(travel: Travel, base_dir: str | Path | None = None) -> MatrixProvider:
    """The provider a scenario's ``[travel]`` table asks for."""
    if travel.method == "haversine":
        return HaversineProvider(travel.circuity, travel.speed_kmh)
    if travel.method == "geodesic":
        return GeodesicProvider(travel.circuity, travel.speed_kmh)
    if travel.method == "matrix":
        if not travel.matrix:
            raise InputError([Problem("scenario", None, "travel.matrix", "", "a path to a from,to,km,minutes CSV")])
        path = Path(travel.matrix)
        if base_dir is not None and not path.is_absolute():
            path = Path(base_dir) / path
        return MatrixFileProvider(path)
    raise InputError(
        [Problem("scenario", None, "travel.method", travel.method, "haversine, geodesic or matrix")]
    )


def scenario_points(scenario: Scenario) -> list[Point]:
    """The depot first, then every stop, as matrix points."""
    pts = [Point(DEPOT_ID, scenario.depot.lat, scenario.depot.lon)]
    pts += [Point(s.id, s.lat, s.lon) for s in scenario.stops]
    return pts


def scenario_matrix(scenario: Scenario, base_dir: str | Path | None = None) -> TravelMatrix:
    """Travel matrix over the depot (index 0) and the scenario's stops (1..n)."""
    return provider_for(scenario.travel, base_dir).matrix(scenario_points(scenario))
