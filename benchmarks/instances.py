"""Standard VRP instances, read and turned into the product's own model.

Readers:

* the Solomon text format (Solomon 1987; also the Gehring & Homberger files):
  a name, ``VEHICLE / NUMBER CAPACITY``, then one row per customer
  ``CUST NO. XCOORD. YCOORD. DEMAND READY TIME DUE DATE SERVICE TIME`` with
  customer 0 the depot;
* VRPLIB (``X-*.vrp`` and friends): ``KEY : value`` lines, then
  ``NODE_COORD_SECTION``, ``DEMAND_SECTION``, ``DEPOT_SECTION`` and, when
  present, ``TIME_WINDOW_SECTION`` / ``SERVICE_TIME_SECTION``; ``EUC_2D`` only.

Rounding conventions (the ``convention`` column of ``bks.csv``):

* ``dimacs``: distance = travel time = ``floor(10 * euclid)``, integer
  tenths (DIMACS 2021, CVRPLIB and PyVRP benchmark convention).  Windows,
  service times and the depot horizon are multiplied by 10 as well, so every
  number the solvers see is an exact integer; costs are reported as
  ``total tenths / 10``.
* ``nint``: distance = travel time = ``floor(euclid + 0.5)`` (CVRPLIB X).

:func:`to_product` builds the product's Scenario from an instance -- the same
dataclasses a coordinator's stops table becomes: a one-day cycle, one Vehicle
per available vehicle, one Stop per customer -- plus an explicit
:class:`~routeplanner.travel.TravelMatrix` of the integer distances.  Pass
that matrix to ``solve()`` and ``check_plan()``; the lat/lon of the stops are
placeholders (``y/1000``, ``x/1000``) that nothing uses.

:func:`plan_from_routes` turns any solver's routes (lists of customer
indices) into a routeplanner Plan with arrival times computed from the
matrix (leave the depot at the shift start, wait for a window to open), so
our independent checker can judge every solver the same way.

As a command, verifies the conversion on the best-known solutions::

    python -m benchmarks.instances [--bks FILE] PATH...   # files or folders

It reads each instance's ``.sol``, turns it into a Plan and checks it with
``routeplanner.checker.check_plan``: the cost must equal the BKS and the plan
must be feasible.
"""

from __future__ import annotations

import argparse
import csv
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from routeplanner.model import (
    Cycle,
    Place,
    Plan,
    Route,
    Scenario,
    SolveInfo,
    SolverSettings,
    Stop,
    Travel,
    Unserved,
    Vehicle,
    Visit,
)
from routeplanner.totals import compute_totals
from routeplanner.travel import DEPOT_ID, TravelMatrix

#: ``../shared/benchmarks/instances`` beside the repository (``/work/shared/...`` here).
SHARED = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "instances"
DEFAULT_BKS = SHARED / "bks.csv"
INSTANCE_SUFFIXES = (".txt", ".vrp")

#: CVRP instances have no fleet size; every solver gets ceil(factor * k)
#: vehicles, k being the minimum number of routes in the instance name
#: (``X-n101-k25``) or VEHICLES field.  Best-known CVRP solutions may use a
#: few more routes than k (X-n101-k25: 26).
CVRP_FLEET_FACTOR = 1.5


@dataclass
class Instance:
    """One instance in solver units: index 0 is the depot, 1..n the customers."""

    name: str
    path: Path
    kind: str  # "vrptw" or "cvrp"
    convention: str  # "dimacs" or "nint"
    scale: int  # 10 for dimacs (tenths), 1 for nint
    x: np.ndarray
    y: np.ndarray
    demand: np.ndarray  # int
    capacity: int
    num_vehicles: int
    dist: np.ndarray  # int64, also the travel time
    ready: np.ndarray | None  # int, scaled; None: no windows
    due: np.ndarray | None  # latest start of service, scaled
    service: np.ndarray  # int, scaled
    horizon: int  # latest return to the depot, scaled
    labels: list[str] = field(default_factory=list)  # the file's number of each index
    bks: float | None = None
    bks_vehicles: int | None = None
    bks_source: str = ""
    family: str = ""
    fleet_note: str = ""

    @property
    def n(self) -> int:
        return len(self.demand) - 1

    def cost(self, total_units: float) -> float:
        """A total in solver units as the literature reports it (tenths -> one decimal)."""
        return round(total_units / self.scale, 1 if self.scale == 10 else 0)


# --- raw readers ---------------------------------------------------------------


@dataclass
class _Raw:
    name: str
    kind: str
    x: list[float]
    y: list[float]
    demand: list[float]
    ready: list[float] | None
    due: list[float] | None
    service: list[float]
    capacity: int
    vehicles: int | None
    labels: list[str]
    default_convention: str


def read_solomon(path: Path) -> _Raw:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    words = [ln.split() for ln in lines]
    name = next((w[0] for w in words if w), path.stem)
    number = capacity = None
    rows: list[list[float]] = []
    for i, w in enumerate(words):
        if w[:2] == ["NUMBER", "CAPACITY"]:
            nxt = next(x for x in words[i + 1:] if x)
            number, capacity = int(nxt[0]), int(float(nxt[1]))
        elif len(w) == 7 and all(_is_number(t) for t in w):
            rows.append([float(t) for t in w])
    if number is None or not rows:
        raise ValueError(f"{path}: not a Solomon-format file (no VEHICLE NUMBER CAPACITY or no customer rows)")
    if int(rows[0][0]) != 0:
        raise ValueError(f"{path}: the first customer row must be the depot (CUST NO. 0)")
    return _Raw(
        name=path.stem,
        kind="vrptw",
        x=[r[1] for r in rows],
        y=[r[2] for r in rows],
        demand=[r[3] for r in rows],
        ready=[r[4] for r in rows],
        due=[r[5] for r in rows],
        service=[r[6] for r in rows],
        capacity=capacity,
        vehicles=number,
        labels=[str(int(r[0])) for r in rows],
        default_convention="dimacs",
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def read_vrplib(path: Path) -> _Raw:
    spec: dict[str, str] = {}
    sections: dict[str, list[list[str]]] = {}
    current: str | None = None
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.upper() == "EOF":
            break
        head = line.split()[0].upper()
        if head.endswith("_SECTION"):
            current = head
            sections[current] = []
            continue
        if ":" in line and not _is_number(line.split(":")[0].strip()):
            key, _, value = line.partition(":")
            spec[key.strip().upper()] = value.strip()
            current = None
            continue
        if current is not None:
            sections[current].append(line.split())
    ewt = spec.get("EDGE_WEIGHT_TYPE", "").upper()
    if ewt != "EUC_2D":
        raise ValueError(f"{path}: EDGE_WEIGHT_TYPE {ewt or '(none)'} is not supported (EUC_2D only)")
    coords = {r[0]: (float(r[1]), float(r[2])) for r in sections.get("NODE_COORD_SECTION", [])}
    demand = {r[0]: float(r[1]) for r in sections.get("DEMAND_SECTION", [])}
    depots = [r[0] for r in sections.get("DEPOT_SECTION", []) if r[0] != "-1"]
    if not coords or not depots:
        raise ValueError(f"{path}: NODE_COORD_SECTION and DEPOT_SECTION are required")
    if len(depots) > 1:
        raise ValueError(f"{path}: {len(depots)} depots; one is supported")
    order = [depots[0]] + [k for k in coords if k != depots[0]]
    tw = {r[0]: (float(r[1]), float(r[2])) for r in sections.get("TIME_WINDOW_SECTION", [])}
    st = {r[0]: float(r[1]) for r in sections.get("SERVICE_TIME_SECTION", [])}
    vehicles = int(spec["VEHICLES"]) if "VEHICLES" in spec else None
    return _Raw(
        name=path.stem,
        kind="vrptw" if tw else "cvrp",
        x=[coords[k][0] for k in order],
        y=[coords[k][1] for k in order],
        demand=[demand.get(k, 0.0) for k in order],
        ready=[tw[k][0] for k in order] if tw else None,
        due=[tw[k][1] for k in order] if tw else None,
        service=[st.get(k, 0.0) for k in order],
        capacity=int(float(spec["CAPACITY"])),
        vehicles=vehicles,
        # CVRPLIB solutions number the customers by node id - 1 (depot node 1 is 0).
        labels=[str(int(k) - 1) for k in order],
        default_convention="dimacs" if tw else "nint",
    )


# --- best-known solutions ----------------------------------------------------------


def read_bks_csv(path: Path | None) -> dict[str, dict[str, str]]:
    if path is None or not path.exists():
        return {}
    with open(path, newline="", encoding="utf-8") as fh:
        return {row["instance"].strip().upper(): row for row in csv.DictReader(fh)}


def read_sol(path: Path) -> tuple[list[list[int]], float | None]:
    """Routes (customer numbers as in the file) and the ``Cost`` line of a VRPLIB solution."""
    routes: list[list[int]] = []
    cost = None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        m = re.match(r"\s*Route\s*#?\s*\d+\s*:(.*)", line, re.I)
        if m:
            routes.append([int(t) for t in m.group(1).split()])
            continue
        m = re.match(r"\s*Cost\s*:?\s*([-+0-9.eE]+)", line, re.I)
        if m:
            cost = float(m.group(1))
    return routes, cost


# --- instance ------------------------------------------------------------------------


def euclid(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])


def load_instance(path: str | Path, bks_table: dict[str, dict[str, str]] | None = None,
                  cvrp_fleet_factor: float = CVRP_FLEET_FACTOR) -> Instance:
    path = Path(path)
    raw = read_vrplib(path) if path.suffix.lower() == ".vrp" else read_solomon(path)
    row = (bks_table or {}).get(raw.name.upper())
    convention = (row or {}).get("convention") or raw.default_convention
    if convention not in ("dimacs", "nint"):
        raise ValueError(f"{path}: unknown rounding convention {convention!r}")
    scale = 10 if convention == "dimacs" else 1
    x, y = np.array(raw.x, float), np.array(raw.y, float)
    d = euclid(x, y)
    if convention == "dimacs":
        dist = np.floor(10.0 * d + 1e-9).astype(np.int64)
    else:
        dist = np.floor(d + 0.5).astype(np.int64)
    np.fill_diagonal(dist, 0)
    service = np.rint(np.array(raw.service, float) * scale).astype(np.int64)
    demand = np.rint(np.array(raw.demand, float)).astype(np.int64)
    demand[0] = 0
    if raw.ready is not None:
        ready = np.rint(np.array(raw.ready, float) * scale).astype(np.int64)
        due = np.rint(np.array(raw.due, float) * scale).astype(np.int64)
        horizon = int(due[0])
    else:
        ready = due = None
        # No time limit: longer than any route can take.
        horizon = int(dist.max()) * (len(demand) + 1) + int(service.sum()) + 1
    n_customers = len(demand) - 1
    fleet_note = ""
    if raw.vehicles is not None:
        vehicles = raw.vehicles
    else:
        m = re.search(r"-k(\d+)", raw.name)
        k = int(m.group(1)) if m else math.ceil(demand.sum() / raw.capacity)
        k = max(k, math.ceil(demand.sum() / raw.capacity))
        vehicles = min(n_customers, math.ceil(cvrp_fleet_factor * k))
        fleet_note = f"no fleet size in the file: {vehicles} vehicles = ceil({cvrp_fleet_factor:g} x k={k})"
    inst = Instance(
        name=raw.name, path=path, kind=raw.kind, convention=convention, scale=scale,
        x=x, y=y, demand=demand, capacity=raw.capacity, num_vehicles=vehicles, dist=dist,
        ready=ready, due=due, service=service, horizon=horizon, labels=raw.labels,
        fleet_note=fleet_note,
    )
    if row is not None and row.get("bks_distance"):
        inst.bks = float(row["bks_distance"])
        inst.bks_vehicles = int(float(row["bks_vehicles"])) if row.get("bks_vehicles") else None
        inst.bks_source = "bks.csv"
        inst.family = row.get("family", "")
    else:
        sol = path.with_suffix(".sol")
        if sol.exists():
            routes, cost = read_sol(sol)
            if cost is not None:
                inst.bks, inst.bks_vehicles, inst.bks_source = cost, len(routes), sol.name
    if not inst.family:
        inst.family = _family(inst)
    return inst


def _family(inst: Instance) -> str:
    if inst.kind == "cvrp":
        return "cvrp"
    m = re.match(r"(RC|R|C)(\d)", inst.name.upper())
    if m and inst.n <= 100:
        return f"solomon_{m.group(1)}{m.group(2)}"
    return f"vrptw_{inst.n}"


def load_instances(paths: list[str], bks_path: Path | None = DEFAULT_BKS,
                   cvrp_fleet_factor: float = CVRP_FLEET_FACTOR) -> list[Instance]:
    from benchmarks.common import expand_paths

    table = read_bks_csv(bks_path)
    return [load_instance(p, table, cvrp_fleet_factor) for p in expand_paths(paths, INSTANCE_SUFFIXES)]


# --- into the product's model ---------------------------------------------------------


def customer_id(k: int) -> str:
    return f"c{k}"


def vehicle_name(k: int) -> str:
    return f"v{k + 1:03d}"


@dataclass
class Converted:
    scenario: Scenario
    matrix: TravelMatrix


def to_product(inst: Instance, time_limit_s: float = 30.0) -> Converted:
    """The instance as a one-day routeplanner Scenario and its exact integer matrix.

    Vehicles: ``num_vehicles`` identical vans, shift 0..horizon, no break (the
    break rule is switched off by ``break_minutes=0`` and a driving limit
    longer than the shift).  Stops: demand as loans per visit, the service
    time, and the window.  The product's window is the time the door may be
    open (``window_end_min`` is the latest *departure*), Solomon's due date the
    latest *start* of service, so ``window_end = due + service``.
    """
    depot = Place("depot", float(inst.y[0]) / 1000.0, float(inst.x[0]) / 1000.0)
    vehicles = tuple(
        Vehicle(
            name=vehicle_name(k),
            capacity_books=int(inst.capacity),
            shift_start_min=0,
            shift_end_min=int(inst.horizon),
            break_minutes=0,
            break_after_minutes=int(inst.horizon) + 1,
        )
        for k in range(inst.num_vehicles)
    )
    stops = []
    for k in range(1, inst.n + 1):
        ws = we = None
        if inst.ready is not None:
            ws = int(inst.ready[k])
            we = int(inst.due[k]) + int(inst.service[k])
        stops.append(
            Stop(
                id=customer_id(k),
                name=f"customer {inst.labels[k]}",
                lat=float(inst.y[k]) / 1000.0,
                lon=float(inst.x[k]) / 1000.0,
                loans_per_visit=float(inst.demand[k]),
                service_min=int(inst.service[k]),
                window_start_min=ws,
                window_end_min=we,
            )
        )
    scenario = Scenario(
        name=inst.name,
        depot=depot,
        vehicles=vehicles,
        stops=tuple(stops),
        cycle=Cycle(weeks=1, days=("Mon",)),
        # The matrix is always passed explicitly; "matrix" without a file makes
        # any accidental rebuild from coordinates fail loudly.
        travel=Travel(method="matrix", circuity=1.0, speed_kmh=60.0, matrix=None),
        solver=SolverSettings(time_limit_s=time_limit_s),
        source=str(inst.path),
    )
    ids = (DEPOT_ID,) + tuple(customer_id(k) for k in range(1, inst.n + 1))
    d = inst.dist.astype(float)
    return Converted(scenario, TravelMatrix(ids, d, d.copy()))


def plan_from_routes(inst: Instance, conv: Converted, routes: list[list[int]], solver: str = "",
                     run_time_s: float = 0.0) -> Plan:
    """A Plan from routes of customer indices (1..n), timed by the matrix.

    Each route leaves the depot at the shift start, drives, waits for a
    window to open, serves; the checker then judges windows, capacity and the
    return time.  Routes beyond the fleet get names the scenario does not
    know, which the checker reports.
    """
    scenario = conv.scenario
    dist = inst.dist
    out: list[Route] = []
    seen: set[int] = set()
    for r, seq in enumerate(r for r in routes if r):
        name = vehicle_name(r) if r < inst.num_vehicles else f"extra-{r + 1}"
        t = 0
        prev = 0
        visits = []
        total = 0
        for k in seq:
            t += int(dist[prev, k])
            if inst.ready is not None:
                t = max(t, int(inst.ready[k]))
            total += int(dist[prev, k])
            stop = scenario.stops[k - 1]
            visits.append(
                Visit(stop.id, stop.name, stop.lat, stop.lon, t, t + int(inst.service[k]),
                      stop.loans_per_visit, float(dist[prev, k]), float(dist[prev, k]))
            )
            t += int(inst.service[k])
            prev = k
            seen.add(k)
        total += int(dist[prev, 0])
        end = t + int(dist[prev, 0])
        out.append(
            Route(vehicle=name, week=1, day="Mon", depot=scenario.depot, start_min=0, end_min=end,
                  visits=visits, breaks=[], distance_m=float(total), drive_min=float(total))
        )
    unserved = [
        Unserved(customer_id(k), scenario.stops[k - 1].name, 1, f"not routed by {solver or 'the solver'}")
        for k in range(1, inst.n + 1)
        if k not in seen
    ]
    return Plan(
        scenario=scenario.name, cycle=scenario.cycle, travel=scenario.travel, routes=out,
        unserved=unserved, totals=compute_totals(out, scenario),
        info=SolveInfo(solver=solver, run_time_s=run_time_s),
    )


def sol_routes(inst: Instance, sol_path: Path) -> tuple[list[list[int]], float | None]:
    """A ``.sol`` file's routes as customer indices of ``inst``."""
    routes, cost = read_sol(sol_path)
    index = {label: k for k, label in enumerate(inst.labels)}
    return [[index[str(c)] for c in r] for r in routes], cost


# --- command: verify the conversion on the best-known solutions ---------------------------


def main(argv: list[str] | None = None) -> int:
    from benchmarks.common import Clock, header, md_table, write_output
    from routeplanner.checker import check_plan

    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.instances",
        description="Read instances, convert them to the product's model, and check each best-known "
        "solution (.sol beside the instance) with routeplanner's checker.",
    )
    ap.add_argument("paths", nargs="+", help="instance files (.txt Solomon, .vrp VRPLIB) or folders")
    ap.add_argument("--bks", type=Path, default=DEFAULT_BKS, help=f"BKS table (default {DEFAULT_BKS})")
    ap.add_argument("--out", help="also write the markdown table to this file")
    args = ap.parse_args(argv)
    clock = Clock()
    rows = []
    bad = 0
    for inst in load_instances(args.paths, args.bks):
        conv = to_product(inst)
        sol = inst.path.with_suffix(".sol")
        if not sol.exists():
            rows.append([inst.name, inst.kind, inst.convention, inst.n, inst.num_vehicles, inst.capacity,
                         inst.bks, "no .sol", "", "", ""])
            continue
        routes, _ = sol_routes(inst, sol)
        plan = plan_from_routes(inst, conv, routes, "BKS")
        report = check_plan(conv.scenario, plan, matrix=conv.matrix)
        cost = inst.cost(report.totals.distance_km * 1000.0)
        same = inst.bks is not None and abs(cost - inst.bks) < 1e-6
        ok = report.ok and same
        bad += not ok
        kinds = ", ".join(sorted(report.kinds())) or "none"
        rows.append([inst.name, inst.kind, inst.convention, inst.n, inst.num_vehicles, inst.capacity,
                     inst.bks, cost, len([r for r in routes if r]), kinds, "yes" if ok else "NO"])
    text = header("BKS solutions re-checked through the product model", clock, packages=("ortools", "numpy"))
    text += "\n" + md_table(
        ["instance", "kind", "convention", "customers", "fleet", "capacity", "BKS", "BKS re-evaluated",
         "BKS routes", "checker violations", "ok"],
        rows, "lllrrrrrrll",
    )
    write_output(text, args.out)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
