"""Standard VRPTW / CVRP instances: our solver next to PyVRP and VROOM, same limits, same matrices.

    python -m benchmarks.vrptw PATH... [--limits 5 30] [--solvers ours,pyvrp,vroom] [--out FILE.md]

PATH: instance files (Solomon ``.txt``, VRPLIB ``.vrp``) or folders of them.

* **ours**: ``routeplanner.solver.solve`` on the instance converted by
  :func:`benchmarks.instances.to_product` -- the same entry point and model a
  coordinator's plan goes through.
* **PyVRP**: a ``pyvrp.Model`` built from the same integer distance/duration
  matrix, ``MaxRuntime(limit)``, a fixed seed.
* **VROOM** (pyvroom): the same matrices (durations = costs = distances),
  ``timeout=limit``; VROOM may stop earlier when its search ends, so its own
  run time is reported.

Every solver's routes become a routeplanner Plan (times from the matrix) and
are judged by ``routeplanner.checker.check_plan``, not by the solver.  Solves
run one at a time, never in parallel: timing matters (and there is no
``--jobs`` on purpose).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import traceback
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import Clock, fmt, header, log, md_table, median, write_output
from benchmarks.instances import (
    CVRP_FLEET_FACTOR,
    DEFAULT_BKS,
    Converted,
    Instance,
    load_instances,
    plan_from_routes,
    to_product,
)
from routeplanner.checker import check_plan
from routeplanner.model import Plan

SOLVERS = ("ours", "pyvrp", "vroom")


@dataclass
class Result:
    instance: str
    family: str
    n: int
    limit: float
    solver: str
    cost: float | None = None
    vehicles: int | None = None
    gap: float | None = None
    feasible: bool = False
    unserved: int | None = None
    run_s: float | None = None
    note: str = ""

    @property
    def complete(self) -> bool:
        """Feasible by our checker and every customer served: only then is a gap meaningful."""
        return self.feasible and self.unserved == 0 and self.cost is not None


def evaluate(inst: Instance, conv: Converted, plan: Plan, result: Result) -> Result:
    report = check_plan(conv.scenario, plan, matrix=conv.matrix)
    result.cost = inst.cost(report.totals.distance_km * 1000.0)
    result.vehicles = sum(1 for r in plan.routes if r.visits)
    result.unserved = inst.n - report.totals.stops_served
    result.feasible = report.ok
    if inst.bks:
        result.gap = (result.cost - inst.bks) / inst.bks * 100.0
    if not report.ok:
        kinds: dict[str, int] = {}
        for v in report.violations:
            kinds[v.kind] = kinds.get(v.kind, 0) + 1
        result.note = "violations: " + ", ".join(f"{k} x{c}" for k, c in sorted(kinds.items()))
    return result


# --- the three solvers ---------------------------------------------------------


def run_ours(inst: Instance, conv: Converted, limit: float, args: argparse.Namespace) -> tuple[Plan, float, str]:
    from routeplanner.solver import solve

    t0 = time.perf_counter()
    plan = solve(conv.scenario, matrix=conv.matrix, time_limit_s=limit)
    return plan, time.perf_counter() - t0, ""


def run_pyvrp(inst: Instance, conv: Converted, limit: float, args: argparse.Namespace) -> tuple[Plan, float, str]:
    import pyvrp
    from pyvrp.stop import MaxRuntime

    m = pyvrp.Model()
    locs = [m.add_location(float(inst.x[k]), float(inst.y[k])) for k in range(inst.n + 1)]
    tw = inst.ready is not None
    depot = m.add_depot(locs[0], tw_early=0, tw_late=int(inst.horizon)) if tw else m.add_depot(locs[0])
    vt = dict(num_available=inst.num_vehicles, capacity=int(inst.capacity), start_depot=depot, end_depot=depot)
    if tw:
        vt.update(tw_early=0, tw_late=int(inst.horizon))
    m.add_vehicle_type(**vt)
    for k in range(1, inst.n + 1):
        kw = dict(delivery=int(inst.demand[k]), service_duration=int(inst.service[k]))
        if tw:
            kw.update(tw_early=int(inst.ready[k]), tw_late=int(inst.due[k]))
        m.add_client(locs[k], **kw)
    d = inst.dist
    for i in range(inst.n + 1):
        row = d[i]
        for j in range(inst.n + 1):
            if i != j:
                m.add_edge(locs[i], locs[j], distance=int(row[j]), duration=int(row[j]))
    t0 = time.perf_counter()
    res = m.solve(stop=MaxRuntime(limit), seed=args.seed, display=False)
    run = time.perf_counter() - t0
    routes = []
    for route in res.best.routes():
        seq = []
        for a in route:
            if hasattr(a, "is_client"):  # PyVRP >= 0.13: scheduled activities
                if a.is_client():
                    seq.append(int(a.idx) + 1)
            else:  # older PyVRP: location indices, depot 0
                seq.append(int(a))
        routes.append(seq)
    note = "" if res.best.is_feasible() else "PyVRP reports its best solution infeasible"
    return plan_from_routes(inst, conv, routes, "PyVRP", run), run, note


def run_vroom(inst: Instance, conv: Converted, limit: float, args: argparse.Namespace) -> tuple[Plan, float, str]:
    import vroom

    d = inst.dist.tolist()
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=d)
    problem.set_distances_matrix(profile="car", matrix_input=d)
    problem.set_costs_matrix(profile="car", matrix_input=d)
    tw = inst.ready is not None
    for k in range(inst.num_vehicles):
        kw = dict(start=0, end=0, capacity=[int(inst.capacity)])
        if tw:
            kw["time_window"] = vroom.TimeWindow(0, int(inst.horizon))
        problem.add_vehicle(vroom.Vehicle(k, **kw))
    for k in range(1, inst.n + 1):
        kw = dict(location=k, default_service=int(inst.service[k]), delivery=[int(inst.demand[k])])
        if tw:
            kw["time_windows"] = [vroom.TimeWindow(int(inst.ready[k]), int(inst.due[k]))]
        problem.add_job(vroom.Job(k, **kw))
    t0 = time.perf_counter()
    sol = problem.solve(
        exploration_level=args.vroom_exploration, nb_threads=args.vroom_threads, timeout=timedelta(seconds=limit)
    )
    run = time.perf_counter() - t0
    frame = sol.routes
    routes: list[list[int]] = []
    if len(frame):
        for _vid, group in frame.groupby("vehicle_id", sort=True):
            routes.append([int(j) for t, j in zip(group["type"], group["id"]) if str(t) == "job"])
    note = "stopped by itself before the limit" if run < 0.9 * limit else ""
    return plan_from_routes(inst, conv, routes, "VROOM", run), run, note


RUNNERS = {"ours": run_ours, "pyvrp": run_pyvrp, "vroom": run_vroom}


# --- report ---------------------------------------------------------------------


def _gap_text(r: Result) -> str:
    if r.gap is None:
        return "–"
    return f"{r.gap:.2f}" + ("" if r.complete else " (!)")


def _median_gap(results: list[Result]) -> float | None:
    """Median gap; a result that is infeasible or leaves customers out counts as worst (+inf)."""
    if not results:
        return None
    return median([r.gap if (r.complete and r.gap is not None) else math.inf for r in results])


def _pct(v: float | None) -> str:
    if v is None:
        return "–"
    if math.isinf(v):
        return "fail"
    return f"{v:.2f} %"


def _group(r: Result) -> str:
    if r.family.startswith("solomon"):
        return "Solomon (100)"
    if r.family.startswith("homberger"):
        return "Homberger (200)"
    if r.family.startswith("cvrplib") or r.family == "cvrp":
        return "CVRP (X)"
    return r.family


def summary(results: list[Result], solvers: list[str], limits: list[float], target_limit: float) -> str:
    lines = ["### Summary", ""]
    lines.append(
        "Median gap to the best known, per group of instances.  A result that our checker finds infeasible, "
        "or that leaves a customer out, counts as the worst (shown as *fail* when it decides the median).  "
        "*complete* = feasible and every customer served.\n"
    )
    groups = sorted({_group(r) for r in results})
    rows = []
    for g in groups + (["all"] if len(groups) > 1 else []):
        for limit in limits:
            row = [g, fmt(limit, 0)]
            for s in solvers:
                rs = [r for r in results if r.solver == s and r.limit == limit and (g == "all" or _group(r) == g)]
                done = sum(r.complete for r in rs)
                row.append(f"{_pct(_median_gap(rs))} ({done}/{len(rs)} complete)" if rs else "–")
            rows.append(row)
    lines.append(md_table(["instances", "limit s"] + [f"{s}: median gap" for s in solvers], rows,
                          ["l", "r"] + ["r"] * len(solvers)))
    if "ours" in solvers and "vroom" in solvers:
        lines += ["", "#### Ours vs VROOM (same run, same instances)", ""]
        rows = []
        for limit in limits:
            ours = {r.instance: r for r in results if r.solver == "ours" and r.limit == limit}
            vroom = {r.instance: r for r in results if r.solver == "vroom" and r.limit == limit}
            both = [k for k in ours if k in vroom and ours[k].complete and vroom[k].complete]
            better = sum(ours[k].cost < vroom[k].cost - 1e-9 for k in both)
            equal = sum(abs(ours[k].cost - vroom[k].cost) <= 1e-9 for k in both)
            worse = len(both) - better - equal
            rel = median([(ours[k].cost / vroom[k].cost - 1.0) * 100.0 for k in both]) if both else None
            rows.append([fmt(limit, 0), len(both), better, equal, worse, _pct(rel)])
        lines.append(md_table(
            ["limit s", "instances both complete", "ours better", "equal", "ours worse", "median (ours / VROOM - 1)"],
            rows, "rrrrrr",
        ))
    if "ours" in solvers:
        solomon = [r for r in results if r.family.startswith("solomon") and r.limit == target_limit]
        ours = _median_gap([r for r in solomon if r.solver == "ours"])
        vroom = _median_gap([r for r in solomon if r.solver == "vroom"]) if "vroom" in solvers else None
        if solomon and ours is not None:
            ok = ours <= 1.0 and (vroom is None or ours <= vroom)
            lines += ["", f"**Issue 4 target** (Solomon 100-customer, {fmt(target_limit, 0)} s): median gap <= 1.0 % "
                      f"and no worse than VROOM's: ours {_pct(ours)}, VROOM {_pct(vroom)} -> "
                      f"**{'met' if ok else 'not met'}**" + ("" if vroom is not None else " (VROOM not run)")]
    return "\n".join(lines) + "\n"


def report(results: list[Result], instances: list[Instance], args: argparse.Namespace, clock: Clock,
           solvers: list[str], finished: bool) -> str:
    fleet_notes = sorted({i.fleet_note for i in instances if i.fleet_note})
    extra = [
        ("solvers", ", ".join(solvers) + f" (one solve at a time; PyVRP seed {args.seed}; VROOM "
         f"exploration level {args.vroom_exploration}, {args.vroom_threads} thread(s), timeout = limit)"),
        ("time limits", ", ".join(f"{x:g} s" for x in args.limits)),
        ("instances", f"{len(instances)}: " + ", ".join(i.name for i in instances)),
        ("rounding", "dimacs: distance = time = floor(10 x euclid) tenths, cost = tenths / 10; "
         "nint: floor(euclid + 0.5)"),
        ("feasibility", "routeplanner.checker.check_plan on every solver's routes (times recomputed from the matrix)"),
    ]
    if fleet_notes:
        extra.append(("CVRP fleet", f"factor {args.cvrp_fleet_factor:g}; " + "; ".join(fleet_notes)))
    if not finished:
        extra.append(("status", f"**incomplete** ({len(results)} results so far)"))
    text = header("VRPTW / CVRP: ours vs PyVRP vs VROOM", clock, extra)
    text += "\n" + summary(results, solvers, args.limits, args.target_limit)
    text += "\n### Per instance\n\n(!) after a gap: infeasible or incomplete, so the gap is not comparable.\n\n"
    bks = {i.name: i for i in instances}
    rows = []
    for r in results:
        inst = bks[r.instance]
        rows.append([
            r.instance, r.family, r.n, fmt(inst.bks, 1) if inst.bks else "–", fmt(r.limit, 0), r.solver,
            fmt(r.cost, 1), r.vehicles, _gap_text(r), "yes" if r.feasible else "NO", r.unserved,
            fmt(r.run_s, 2), r.note,
        ])
    text += md_table(
        ["instance", "family", "n", "BKS", "limit s", "solver", "cost", "vehicles", "gap %", "feasible",
         "unserved", "run s", "note"],
        rows, "llrrrlrrrlrrl",
    )
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.vrptw",
        description="Run ours, PyVRP and VROOM on VRPTW/CVRP instances at the given time limits, one solve at a "
        "time, and write a markdown table (feasibility by routeplanner's checker).",
    )
    ap.add_argument("paths", nargs="+", help="instance files (.txt Solomon, .vrp VRPLIB) or folders")
    ap.add_argument("--limits", nargs="+", type=float, default=[5.0, 30.0], help="time limits in seconds (default 5 30)")
    ap.add_argument("--solvers", default=",".join(SOLVERS), help="comma-separated subset of ours,pyvrp,vroom")
    ap.add_argument("--out", help="write the markdown report here (rewritten after every solve)")
    ap.add_argument("--bks", type=Path, default=DEFAULT_BKS, help=f"BKS table (default {DEFAULT_BKS})")
    ap.add_argument("--seed", type=int, default=1, help="PyVRP seed (default 1)")
    ap.add_argument("--vroom-threads", type=int, default=1, help="VROOM threads (default 1, like the others)")
    ap.add_argument("--vroom-exploration", type=int, default=5, help="VROOM exploration level 1..5 (default 5)")
    ap.add_argument("--cvrp-fleet-factor", type=float, default=CVRP_FLEET_FACTOR,
                    help=f"CVRP without a fleet size: ceil(factor x k) vehicles (default {CVRP_FLEET_FACTOR:g})")
    ap.add_argument("--target-limit", type=float, default=None,
                    help="the limit the issue-4 target line refers to (default: 30 if given, else the largest)")
    args = ap.parse_args(argv)
    solvers = [s.strip().lower() for s in args.solvers.split(",") if s.strip()]
    unknown = [s for s in solvers if s not in RUNNERS]
    if unknown:
        ap.error(f"unknown solver(s): {', '.join(unknown)} (choose from {', '.join(SOLVERS)})")
    if args.target_limit is None:
        args.target_limit = 30.0 if 30.0 in args.limits else max(args.limits)
    clock = Clock()
    instances = load_instances(args.paths, args.bks, args.cvrp_fleet_factor)
    if not instances:
        ap.error("no instances found")
    converted = {inst.name: to_product(inst) for inst in instances}
    results: list[Result] = []
    total = len(args.limits) * len(instances) * len(solvers)
    for limit in args.limits:
        for inst in instances:
            conv = converted[inst.name]
            for s in solvers:
                res = Result(inst.name, inst.family, inst.n, limit, s)
                log(f"[{len(results) + 1}/{total}] {inst.name} {s} {limit:g} s ...")
                try:
                    plan, run, note = RUNNERS[s](inst, conv, limit, args)
                    res.run_s = run
                    evaluate(inst, conv, plan, res)
                    res.note = "; ".join(x for x in (note, res.note) if x)
                except Exception as exc:  # one solver failing must not stop the run
                    res.note = f"error: {type(exc).__name__}: {exc}"
                    log(traceback.format_exc())
                log(f"    cost {fmt(res.cost)} gap {_gap_text(res)} feasible {res.feasible} "
                    f"unserved {res.unserved} in {fmt(res.run_s, 2)} s {res.note}")
                results.append(res)
                if args.out:  # keep a readable partial report on disk
                    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
                    Path(args.out).write_text(report(results, instances, args, clock, solvers, False), encoding="utf-8")
    write_output(report(results, instances, args, clock, solvers, True), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
