"""The periodic VRP benchmark (issue 10): visit days and routes chosen together.

    python -m benchmarks.pvrp PATH... [--limit 60] [--out FILE.md] [--json FILE] [--plans DIR]
    python -m benchmarks.pvrp PATH... --check-references [--out FILE.md]

PATH: instance files in the format of Cordeau, Gendreau & Laporte (1997)
(``pNN.txt``, with the reference solution ``pNN.res`` beside it), or folders
of them.  The format is described in ``../shared/benchmarks/pvrp/README.md``::

    type m n t                  type 1 = PVRP; m vehicles, n customers, t days
    D Q                         t lines: max route duration (0 = none), capacity
    i x y d q f a c1 c2 ...     depot (i = 0) then customers: coordinates,
                                service duration, demand, visits in the period,
                                number of allowed combinations, the combinations
                                as bit masks of days (bit 0 = day 1)

The reference (``.res``): the total distance on the first line, then one route
per line, ``day vehicle route_cost route_load 0 c1 c2 ... 0``.

Each instance becomes the product's own model (:func:`to_product`): a
Scenario whose stops are the customers (id = the customer number, ``must``,
``loans_per_visit`` = demand, ``Frequency(visits=f)``, ``allowed_patterns`` =
the instance's combinations), m identical vans of capacity Q with no break and
a shift that never binds, no stable-time rule (``stable_minutes = 1440``), and
an explicit :class:`~routeplanner.travel.TravelMatrix` of Euclidean distances
in double precision: ``distance_m = 1000 x euclid`` (so a plan's km are the
instance's distance units) and ``drive_min = euclid``.  Day d of the instance
is route-day d of the cycle in calendar order (:func:`day_mapping`).

Every plan comes from ``routeplanner.solver.solve(scenario, matrix=...,
time_limit_s=limit)``, one solve at a time, and is judged by
``routeplanner.checker.check_plan``: the km are the plan's routes recomputed
with the matrix, not the solver's claim; a customer on a combination the
instance forbids is a ``pattern-not-allowed`` violation.

``--check-references`` solves nothing: it turns each ``.res`` into a Plan
(:func:`reference_plan`) and checks it; each must score exactly its stated
distance, to the two decimals the file gives, with no violation.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from benchmarks.common import Clock, expand_paths, fmt, header, log, md_table, median, write_output
from routeplanner.model import (
    WEEKDAYS,
    Cycle,
    Frequency,
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

#: ``../shared/benchmarks/pvrp`` beside the repository (``/work/shared/...`` here).
SHARED = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "pvrp"
INSTANCE_SUFFIXES = (".txt",)

#: The issue-10 targets, stated for 60 s per instance.
TARGET_LIMIT_S = 60.0
TARGET_MEDIAN_GAP = 1.5
TARGET_EACH_GAP = 4.0

#: Plan times are wall-clock ``HH:MM`` of one day (the plan contract), so the
#: shift is the whole day: 00:00 to 23:59.  At one minute per distance unit
#: this never binds on the shared instances (see :func:`day_bound`).
SHIFT_START_MIN = 0
SHIFT_END_MIN = 24 * 60 - 1
#: No stable-time rule: a customer's visits may open at any time of the day.
NO_STABLE_RULE_MIN = 24 * 60

#: Where the drawings put the instance: 1 distance unit = 1 km east (x) or
#: north (y) of this point, so a map's scale agrees with the plan's km.
ORIGIN_LAT, ORIGIN_LON = 56.0, 24.0
KM_PER_DEGREE_LAT = 111.195


# --- reading ------------------------------------------------------------------------------------


@dataclass
class Instance:
    """One Cordeau-format instance: index 0 is the depot, 1..n the customers."""

    name: str
    path: Path
    type: int
    m: int  # vehicles per day
    n: int  # customers
    t: int  # days in the period
    duration: list[float]  # per day, 0 = no limit
    capacity: list[int]  # per day
    x: np.ndarray
    y: np.ndarray
    service: np.ndarray
    demand: np.ndarray
    frequency: np.ndarray
    masks: list[list[int]]  # per node, the allowed combinations as bit masks
    labels: list[str]  # the file's number of each node
    reference: float | None = None
    reference_text: str = ""  # the stated total as written, for an exact comparison
    reference_routes: list["RefRoute"] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def dist(self) -> np.ndarray:
        """Euclidean distances in double precision, no rounding."""
        return np.hypot(self.x[:, None] - self.x[None, :], self.y[:, None] - self.y[None, :])

    def combinations(self, node: int) -> list[tuple[int, ...]]:
        """The allowed combinations of ``node`` as sorted day numbers 1..t."""
        return [tuple(d + 1 for d in range(self.t) if mask >> d & 1) for mask in self.masks[node]]


@dataclass
class RefRoute:
    day: int
    vehicle: int
    cost: float
    load: float
    customers: list[int]  # node indices


def read_cordeau(path: str | Path) -> Instance:
    """A Cordeau-format PVRP file (type 1).  Lines may wrap: the file is read as numbers."""
    path = Path(path)
    words = path.read_text(encoding="utf-8", errors="replace").split()
    pos = 0

    def take(count: int) -> list[str]:
        nonlocal pos
        if pos + count > len(words):
            raise ValueError(f"{path}: the file ends early (wanted {count} more numbers after {pos})")
        out = words[pos:pos + count]
        pos += count
        return out

    kind, m, n, t = (int(w) for w in take(4))
    if kind != 1:
        raise ValueError(f"{path}: problem type {kind}; only type 1 (periodic VRP) is read")
    duration, capacity = [], []
    for _ in range(t):
        d, q = take(2)
        duration.append(float(d))
        capacity.append(int(float(q)))
    labels, xs, ys, service, demand, freq, masks = [], [], [], [], [], [], []
    for k in range(n + 1):
        i, x, y, d, q, f, a = take(7)
        labels.append(str(int(i)))
        xs.append(float(x))
        ys.append(float(y))
        service.append(float(d))
        demand.append(float(q))
        freq.append(int(f))
        masks.append([int(c) for c in take(int(a))])
    if pos != len(words):
        raise ValueError(f"{path}: {len(words) - pos} numbers left after {n} customers")
    if labels[0] != "0":
        raise ValueError(f"{path}: the first node must be the depot (0), not {labels[0]}")
    inst = Instance(
        name=path.stem, path=path, type=kind, m=m, n=n, t=t, duration=duration, capacity=capacity,
        x=np.array(xs), y=np.array(ys), service=np.array(service), demand=np.array(demand),
        frequency=np.array(freq), masks=masks, labels=labels,
    )
    _validate(inst)
    res = path.with_suffix(".res")
    if res.exists():
        read_reference(inst, res)
    return inst


def _validate(inst: Instance) -> None:
    for k in range(1, inst.n + 1):
        who = f"{inst.path}: customer {inst.labels[k]}"
        if not inst.masks[k]:
            raise ValueError(f"{who} has no allowed combination of days")
        for mask in inst.masks[k]:
            if mask <= 0 or mask >> inst.t:
                raise ValueError(f"{who}: combination {mask} names a day outside 1..{inst.t}")
            if bin(mask).count("1") != inst.frequency[k]:
                raise ValueError(f"{who}: combination {mask} has {bin(mask).count('1')} days, "
                                 f"the frequency is {inst.frequency[k]}")
        if len(set(inst.masks[k])) != len(inst.masks[k]):
            inst.notes.append(f"customer {inst.labels[k]} lists a combination twice")
    if len(set(inst.capacity)) > 1:
        raise ValueError(f"{inst.path}: the capacity differs by day ({sorted(set(inst.capacity))}); "
                         "the product's vans carry the same books every day")
    if len(set(inst.duration)) > 1:
        raise ValueError(f"{inst.path}: the route duration limit differs by day ({sorted(set(inst.duration))})")


def read_reference(inst: Instance, path: Path) -> None:
    """The ``.res`` beside the instance: stated total, then one route per line."""
    lines = [ln.split() for ln in path.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
    if not lines:
        return
    inst.reference_text = lines[0][0]
    inst.reference = float(lines[0][0])
    index = {label: k for k, label in enumerate(inst.labels)}
    for words in lines[1:]:
        day, vehicle, cost, load = int(words[0]), int(words[1]), float(words[2]), float(words[3])
        nodes = words[4:]
        if not nodes or nodes[0] != "0" or nodes[-1] != "0":
            raise ValueError(f"{path}: a route must run from 0 to 0: {' '.join(words)}")
        unknown = [c for c in nodes[1:-1] if c not in index or c == "0"]
        if unknown:
            raise ValueError(f"{path}: day {day} vehicle {vehicle} names customer(s) {', '.join(unknown)} "
                             "the instance does not have")
        inst.reference_routes.append(RefRoute(day, vehicle, cost, load, [index[c] for c in nodes[1:-1]]))


def load_instances(paths: list[str]) -> list[Instance]:
    return [read_cordeau(p) for p in expand_paths(paths, INSTANCE_SUFFIXES)]


# --- into the product's model -------------------------------------------------------------------


def day_mapping(t: int) -> tuple[Cycle, list[tuple[int, str]]]:
    """The cycle of a t-day period and, per instance day 1..t, its ``(week, weekday)``.

    Day d is route-day d of the cycle in calendar order.  t <= 7: one week of t
    days from Monday; otherwise the fewest weeks of equal length, each at most
    7 days from Monday (t = 8: two weeks Mon-Thu; t = 10: two weeks Mon-Fri).
    """
    if t < 1:
        raise ValueError(f"a period of {t} days")
    weeks = next(w for w in range(1, t + 1) if t % w == 0 and t // w <= len(WEEKDAYS))
    per_week = t // weeks
    days = WEEKDAYS[:per_week]
    return Cycle(weeks=weeks, days=days), [(d // per_week + 1, days[d % per_week]) for d in range(t)]


def customer_id(inst: Instance, k: int) -> str:
    return inst.labels[k]


def vehicle_name(v: int) -> str:
    """Vehicle ``v`` (1..m in the ``.res`` files)."""
    return f"van {v}"


def lat_lon(inst: Instance, k: int) -> tuple[float, float]:
    """Node k drawn at x km east, y km north of the origin (for maps and the sweep by bearing only)."""
    lat = ORIGIN_LAT + float(inst.y[k]) / KM_PER_DEGREE_LAT
    lon = ORIGIN_LON + float(inst.x[k]) / (KM_PER_DEGREE_LAT * math.cos(math.radians(ORIGIN_LAT)))
    return round(lat, 7), round(lon, 7)


def day_bound(inst: Instance) -> float:
    """Minutes that always suffice for one day's route when it is well ordered.

    A day's route visits a subset of the customers; ordered at its best it is
    no longer than a tour through every node (triangle inequality), hence no
    longer than the nearest-neighbour tour.  Add one minute per leg for the
    solver's whole minutes and every service duration.
    """
    d = inst.dist
    left = set(range(1, inst.n + 1))
    here, length = 0, 0.0
    while left:
        nxt = min(left, key=lambda j: (d[here, j], j))
        length += d[here, nxt]
        left.remove(nxt)
        here = nxt
    length += d[here, 0]
    return length + (inst.n + 1) + float(inst.service.sum())


@dataclass
class Converted:
    scenario: Scenario
    matrix: TravelMatrix
    slots: list[tuple[int, str]]  # instance day d (index d - 1) -> (week, weekday)
    shift_note: str


def to_product(inst: Instance, time_limit_s: float = 60.0) -> Converted:
    """The instance as a routeplanner Scenario over the whole period, and its exact matrix."""
    cycle, slots = day_mapping(inst.t)
    limit = inst.duration[0]
    if limit > 0:
        if SHIFT_START_MIN + limit > SHIFT_END_MIN:
            raise ValueError(f"{inst.path}: a route duration limit of {limit:g} does not fit in one day of minutes")
        shift_end = SHIFT_START_MIN + int(math.floor(limit + 1e-9))
        shift_note = f"D = {limit:g}: shift 0..{shift_end} min (the solver rounds each leg up to a minute)"
    else:
        shift_end = SHIFT_END_MIN
        bound = day_bound(inst)
        shift_note = f"D = 0: shift 00:00-23:59 ({shift_end} min), any well-ordered day route takes <= {bound:.0f} min"
        if bound > shift_end - SHIFT_START_MIN:
            shift_note += " -- THE SHIFT MAY BIND"
    lat0, lon0 = lat_lon(inst, 0)
    depot = Place("depot", lat0, lon0)
    vehicles = tuple(
        Vehicle(
            name=vehicle_name(v),
            capacity_books=int(inst.capacity[0]),
            shift_start_min=SHIFT_START_MIN,
            shift_end_min=shift_end,
            break_minutes=0,
            break_after_minutes=shift_end - SHIFT_START_MIN + 1,
        )
        for v in range(1, inst.m + 1)
    )
    stops = []
    for k in range(1, inst.n + 1):
        lat, lon = lat_lon(inst, k)
        patterns = tuple(tuple(slots[d - 1] for d in combo) for combo in inst.combinations(k))
        stops.append(
            Stop(
                id=customer_id(inst, k),
                name=f"customer {inst.labels[k]}",
                lat=lat,
                lon=lon,
                loans_per_visit=float(inst.demand[k]),
                frequency=Frequency(visits=int(inst.frequency[k])),
                service_min=int(round(float(inst.service[k]))),
                must=True,
                allowed_patterns=patterns,
            )
        )
    scenario = Scenario(
        name=inst.name,
        depot=depot,
        vehicles=vehicles,
        stops=tuple(stops),
        cycle=cycle,
        # The matrix is always passed explicitly; "matrix" without a file makes
        # any accidental rebuild from coordinates fail loudly.  60 km/h: one
        # distance unit is one km and one minute.
        travel=Travel(method="matrix", circuity=1.0, speed_kmh=60.0, matrix=None),
        solver=SolverSettings(time_limit_s=time_limit_s, stable_minutes=NO_STABLE_RULE_MIN),
        source=str(inst.path),
    )
    ids = (DEPOT_ID,) + tuple(customer_id(inst, k) for k in range(1, inst.n + 1))
    d = inst.dist
    return Converted(scenario, TravelMatrix(ids, d * 1000.0, d.copy()), slots, shift_note)


def reference_plan(inst: Instance, conv: Converted) -> Plan:
    """The ``.res`` routes as a Plan: each leaves the depot at the shift start, times from the matrix."""
    scenario = conv.scenario
    dist = inst.dist
    routes: list[Route] = []
    for ref in inst.reference_routes:
        week, day = conv.slots[ref.day - 1]
        now = float(SHIFT_START_MIN)
        prev = 0
        visits = []
        metres = minutes = 0.0
        for k in ref.customers:
            leg = float(dist[prev, k])
            # Whole minutes, rounded up like the solver's: never faster than the matrix.
            arrival = int(math.ceil(now + leg - 1e-9))
            stop = scenario.stops[k - 1]
            visits.append(Visit(stop.id, stop.name, stop.lat, stop.lon, arrival, arrival + stop.service_min,
                                stop.loans_per_visit, leg * 1000.0, leg))
            now = arrival + stop.service_min
            metres += leg * 1000.0
            minutes += leg
            prev = k
        leg = float(dist[prev, 0])
        metres += leg * 1000.0
        minutes += leg
        routes.append(Route(vehicle=vehicle_name(ref.vehicle), week=week, day=day, depot=scenario.depot,
                            start_min=SHIFT_START_MIN, end_min=int(math.ceil(now + leg - 1e-9)),
                            visits=visits, breaks=[], distance_m=metres, drive_min=minutes))
    counts: dict[str, int] = {}
    for r in routes:
        for v in r.visits:
            counts[v.stop_id] = counts.get(v.stop_id, 0) + 1
    unserved = [
        Unserved(s.id, s.name, s.frequency.visits_per_cycle(scenario.cycle.weeks), "not in the reference solution")
        for s in scenario.stops if s.id not in counts
    ]
    return Plan(scenario=scenario.name, cycle=scenario.cycle, travel=scenario.travel, routes=routes,
                unserved=unserved, totals=compute_totals(routes, scenario), info=SolveInfo(solver="reference"))


def cycle_text(cycle: Cycle) -> str:
    days = f"{cycle.days[0]}-{cycle.days[-1]}" if len(cycle.days) > 1 else cycle.days[0]
    return f"{cycle.weeks} x {days}"


# --- judging ----------------------------------------------------------------------------------------


@dataclass
class Result:
    instance: str
    customers: int
    vehicles: int
    days: int
    cycle: str
    reference: float | None
    limit_s: float
    km: float | None = None
    gap_pct: float | None = None
    served: int | None = None
    unserved: int | None = None
    forbidden: int | None = None  # customers on a combination the instance forbids
    violations: int | None = None
    kinds: dict[str, int] = field(default_factory=dict)
    wall_s: float | None = None
    note: str = ""

    @property
    def complete(self) -> bool:
        """No violation and every customer served: only then is the gap a fair one."""
        return self.violations == 0 and self.unserved == 0 and self.km is not None

    def as_json(self) -> dict:
        return {
            "instance": self.instance,
            "reference": self.reference,
            "km": None if self.km is None else round(self.km, 3),
            "gap_pct": None if self.gap_pct is None else round(self.gap_pct, 3),
            "violations": self.violations,
            "served": self.served,
            "wall_s": None if self.wall_s is None else round(self.wall_s, 3),
            # extras
            "customers": self.customers,
            "unserved": self.unserved,
            "forbidden_combinations": self.forbidden,
            "violation_kinds": dict(sorted(self.kinds.items())),
            "limit_s": self.limit_s,
            "note": self.note,
        }


def judge(inst: Instance, conv: Converted, plan: Plan, result: Result) -> Result:
    from routeplanner.checker import check_plan

    report = check_plan(conv.scenario, plan, matrix=conv.matrix)
    result.km = report.totals.distance_km  # the routes recomputed with the matrix
    result.served = report.totals.stops_served
    result.unserved = inst.n - result.served
    result.violations = len(report.violations)
    result.kinds = {}
    for v in report.violations:
        result.kinds[v.kind] = result.kinds.get(v.kind, 0) + 1
    result.forbidden = len({v.stop_id for v in report.violations if v.kind == "pattern-not-allowed"})
    if inst.reference:
        result.gap_pct = (result.km - inst.reference) / inst.reference * 100.0
    return result


# --- report -----------------------------------------------------------------------------------------


def _pct(v: float | None) -> str:
    if v is None:
        return "–"
    if math.isinf(v):
        return "fail"
    return f"{v:.2f} %"


def _kinds_text(kinds: dict[str, int]) -> str:
    return ", ".join(f"{k} x{c}" for k, c in sorted(kinds.items())) or "none"


def summary(results: list[Result], limit: float) -> str:
    done = [r for r in results if r.km is not None]
    gaps = [r.gap_pct for r in done if r.gap_pct is not None]
    strict = [r.gap_pct if (r.complete and r.gap_pct is not None) else math.inf for r in results]
    med, med_strict = median(gaps), (median(strict) if strict else None)
    worst = max(gaps) if gaps else None
    within = sum(1 for r in results if r.complete and r.gap_pct is not None and r.gap_pct <= TARGET_EACH_GAP)
    forbidden = sum(r.forbidden or 0 for r in done)
    unserved = sum(r.unserved or 0 for r in done)
    failed = len(results) - len(done)
    rows = [
        ["median gap to the reference (plans as they are)", _pct(med)],
        ["median gap (a plan with a violation or an unserved customer counts as failed)", _pct(med_strict)],
        ["worst gap", _pct(worst)],
        [f"instances within {TARGET_EACH_GAP:g} % (and complete)", f"{within} / {len(results)}"],
        ["customers on a combination the instance forbids (must be 0)", forbidden],
        ["customers not served", unserved],
        ["plans with any violation", sum(1 for r in done if r.violations)],
    ]
    if failed:
        rows.append(["solves that failed (error)", failed])
    lines = ["### Summary", "", md_table(["", f"{fmt(limit, 0)} s per instance"], rows, "lr")]
    ok = (
        med_strict is not None and med_strict <= TARGET_MEDIAN_GAP
        and within == len(results) and forbidden == 0 and unserved == 0 and not failed
    )
    at = "" if limit == TARGET_LIMIT_S else f" (this run is at {fmt(limit, 0)} s, so the verdict is indicative)"
    lines.append(
        f"**Issue 10 target** at {fmt(TARGET_LIMIT_S, 0)} s per instance{at}: median gap <= {TARGET_MEDIAN_GAP:g} %, "
        f"each instance within {TARGET_EACH_GAP:g} %, every customer served on an allowed combination -> "
        f"**{'met' if ok else 'not met'}**\n"
    )
    return "\n".join(lines)


def report(results: list[Result], instances: list[Instance], converted: dict[str, Converted], args, clock: Clock,
           finished: bool) -> str:
    extra = [
        ("solver", f"routeplanner.solver.solve(scenario, matrix=..., time_limit_s={args.limit:g}"
                   + (f", params=SearchParams(**{args.params})" if args.params.strip() not in ("", "{}") else "")
                   + "), one solve at a time"),
        ("instances", f"{len(instances)}: " + ", ".join(i.name for i in instances)),
        ("model", "every customer must, loans = demand, Frequency(visits=f), allowed_patterns = the instance's "
         "combinations; m identical vans of capacity Q, no break; stable_minutes = 1440 (no stable-time rule)"),
        ("distances", "Euclidean in double precision, no rounding: distance_m = 1000 x euclid (plan km = "
         "instance units), drive_min = euclid"),
        ("days", "instance day d = route-day d of the cycle in calendar order; "
         + "; ".join(f"t = {t}: {cycle_text(day_mapping(t)[0])}" for t in sorted({i.t for i in instances}))),
        ("shift", "; ".join(f"{i.name}: {converted[i.name].shift_note}" for i in instances)),
        ("judged by", "routeplanner.checker.check_plan; km = the plan's routes recomputed with the matrix"),
    ]
    notes = [f"{i.name}: {n}" for i in instances for n in i.notes]
    if notes:
        extra.append(("notes", "; ".join(notes)))
    if not finished:
        extra.append(("status", f"**incomplete** ({len(results)} of {len(instances)} instances so far)"))
    text = header("Periodic VRP (Cordeau et al. 1997 instances): ours vs the reference", clock, extra,
                  packages=("ortools", "numpy"))
    text += "\n" + summary(results, args.limit)
    text += "\n### Per instance\n\n(!) after a gap: the plan breaks a rule or leaves a customer out.\n\n"
    rows = []
    for r in results:
        gap = "–" if r.gap_pct is None else f"{r.gap_pct:.2f}" + ("" if r.complete else " (!)")
        rows.append([
            r.instance, r.vehicles, r.customers, f"{r.days} ({r.cycle})", fmt(r.reference, 2), fmt(r.km, 2), gap,
            "–" if r.served is None else f"{r.served} / {r.customers}", r.forbidden,
            "–" if r.violations is None else _kinds_text(r.kinds), fmt(r.wall_s, 1), r.note,
        ])
    text += md_table(
        ["instance", "vans", "customers", "days (cycle)", "reference km", "ours km", "gap %", "served",
         "forbidden combinations", "violations", "wall s", "note"],
        rows, "lrrlrrrrrlrl",
    )
    return text


def write_json(results: list[Result], path: str | None) -> None:
    if not path:
        return
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps([r.as_json() for r in results], indent=2) + "\n", encoding="utf-8")


# --- the reference check ----------------------------------------------------------------------------


@dataclass
class RefCheck:
    instance: str
    stated: str
    km: float
    routes: int
    kinds: dict[str, int]
    route_costs_ok: bool

    @property
    def same(self) -> bool:
        """The stated total to the decimals the file gives."""
        decimals = len(self.stated.partition(".")[2])
        return f"{self.km:.{decimals}f}" == f"{float(self.stated):.{decimals}f}"

    @property
    def ok(self) -> bool:
        return self.same and not self.kinds and self.route_costs_ok


def check_reference(inst: Instance, conv: Converted | None = None) -> RefCheck:
    """Turn the ``.res`` solution into a Plan and check it with the product's checker."""
    from routeplanner.checker import check_plan

    if not inst.reference_routes:
        raise ValueError(f"{inst.path}: no reference solution (.res) beside it")
    conv = conv or to_product(inst)
    plan = reference_plan(inst, conv)
    rep = check_plan(conv.scenario, plan, matrix=conv.matrix)
    kinds: dict[str, int] = {}
    for v in rep.violations:
        kinds[v.kind] = kinds.get(v.kind, 0) + 1
    # Each route's stated cost, to its two decimals, against the same matrix.
    route_ok = all(abs(r.distance_m / 1000.0 - ref.cost) <= 0.005 + 1e-9
                   for r, ref in zip(plan.routes, inst.reference_routes))
    return RefCheck(inst.name, inst.reference_text, rep.totals.distance_km, len(plan.routes), kinds, route_ok)


def check_references(instances: list[Instance], args, clock: Clock) -> int:
    rows, bad = [], 0
    for inst in instances:
        if not inst.reference_routes:
            rows.append([inst.name, inst.n, inst.t, inst.m, "no .res", "", "", "", "", "skipped"])
            continue
        conv = to_product(inst)
        try:
            c = check_reference(inst, conv)
        except Exception as exc:  # one bad file must not hide the others
            bad += 1
            rows.append([inst.name, inst.n, inst.t, inst.m, inst.reference_text, "", "", "", f"error: {exc}", "NO"])
            continue
        bad += not c.ok
        rows.append([inst.name, inst.n, inst.t, inst.m, c.stated, f"{c.km:.6f}", c.routes,
                     "yes" if c.route_costs_ok else "NO", _kinds_text(c.kinds), "yes" if c.ok else "NO"])
    text = header("PVRP reference solutions re-checked through the product model", clock, packages=("ortools", "numpy"))
    text += "\n" + md_table(
        ["instance", "customers", "days", "vans", "stated km", "re-evaluated km", "routes", "route costs agree",
         "checker violations", "ok"],
        rows, "lrrrrrrlll",
    )
    write_output(text, args.out)
    return 1 if bad else 0


# --- command ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.pvrp",
        description="Plan periodic VRP instances (Cordeau format) with routeplanner's solver, one at a time, and "
        "compare with the reference solutions; or re-check the references (--check-references).",
    )
    ap.add_argument("paths", nargs="+", help="instance files (pNN.txt, reference pNN.res beside) or folders")
    ap.add_argument("--limit", type=float, default=60.0, help="seconds per instance (default 60)")
    ap.add_argument("--out", help="write the markdown report here (rewritten after every solve)")
    ap.add_argument("--json", help="write one object per instance here (rewritten after every solve)")
    ap.add_argument("--plans", help="write each plan as DIR/<instance>.json (the plan contract)")
    ap.add_argument("--params", metavar="JSON", default="{}",
                    help='SearchParams fields to change, as a JSON object (e.g. \'{"area_split_size": 5000, "seed": 1}\')')
    ap.add_argument("--check-references", action="store_true",
                    help="solve nothing: check that each .res solution scores its stated distance with no violation")
    args = ap.parse_args(argv)
    clock = Clock()
    instances = load_instances(args.paths)
    if not instances:
        ap.error("no instances found")
    if args.check_references:
        return check_references(instances, args, clock)

    from routeplanner.io.planjson import write_plan_json
    from routeplanner.solver import SearchParams, solve

    try:
        overrides = json.loads(args.params)
        params = SearchParams(**{k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items()})
    except (ValueError, TypeError) as exc:
        ap.error(f"--params: {exc}")
    converted = {inst.name: to_product(inst, args.limit) for inst in instances}
    results: list[Result] = []
    for inst in instances:
        conv = converted[inst.name]
        res = Result(inst.name, inst.n, inst.m, inst.t, cycle_text(conv.scenario.cycle), inst.reference, args.limit)
        log(f"[{len(results) + 1}/{len(instances)}] {inst.name} ({inst.n} customers, {inst.t} days, "
            f"{inst.m} vans) {args.limit:g} s ...")
        try:
            t0 = time.perf_counter()
            plan = solve(conv.scenario, matrix=conv.matrix, time_limit_s=args.limit, params=params)
            res.wall_s = time.perf_counter() - t0
            judge(inst, conv, plan, res)
            if args.plans:
                Path(args.plans).mkdir(parents=True, exist_ok=True)
                write_plan_json(plan, Path(args.plans) / f"{inst.name}.json")
        except Exception as exc:  # one instance failing must not stop the run
            res.note = f"error: {type(exc).__name__}: {exc}"
            log(traceback.format_exc())
        log(f"    km {fmt(res.km, 2)} gap {_pct(res.gap_pct)} served {res.served}/{inst.n} "
            f"forbidden {res.forbidden} violations {res.violations} in {fmt(res.wall_s, 1)} s {res.note}")
        results.append(res)
        write_json(results, args.json)
        if args.out:  # keep a readable partial report on disk
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            Path(args.out).write_text(report(results, instances, converted, args, clock, False), encoding="utf-8")
    write_output(report(results, instances, converted, args, clock, True), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
