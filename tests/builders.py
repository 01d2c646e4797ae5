"""Small scenarios built in code for the tests (import as ``from builders import ...``)."""

from __future__ import annotations

from routeplanner.model import (
    Cycle,
    Frequency,
    Place,
    Scenario,
    SolverSettings,
    Stop,
    Travel,
    Vehicle,
    default_service_min,
)

DEPOT = Place("Depot", 55.0, 25.0)


def stop(
    stop_id: str,
    lon_offset: float,
    *,
    lat_offset: float = 0.0,
    loans: float = 10,
    frequency: Frequency = Frequency(visits=1),
    service: int | None = None,
    window: tuple[int, int] | None = None,
    days: tuple[str, ...] = (),
    must: bool = False,
) -> Stop:
    """A stop placed relative to the depot (degrees east / north)."""
    return Stop(
        id=stop_id,
        name=stop_id.title(),
        lat=DEPOT.lat + lat_offset,
        lon=DEPOT.lon + lon_offset,
        loans_per_visit=loans,
        frequency=frequency,
        service_min=service if service is not None else default_service_min(loans),
        window_start_min=window[0] if window else None,
        window_end_min=window[1] if window else None,
        days=days,
        must=must,
    )


def scenario(
    stops,
    *,
    weeks: int = 1,
    days=("Mon",),
    vehicles=None,
    stable: int = 15,
    time_limit: float = 3.0,
    work_limit: int | None = None,
    name: str = "test",
) -> Scenario:
    if vehicles is None:
        vehicles = (Vehicle("Van", 2500, 8 * 60, 17 * 60, 45, 270),)
    return Scenario(
        name=name,
        depot=DEPOT,
        vehicles=tuple(vehicles),
        stops=tuple(stops),
        cycle=Cycle(weeks, tuple(days)),
        travel=Travel("haversine", 1.35, 45.0),
        solver=SolverSettings(time_limit, stable, work_limit),
    )
