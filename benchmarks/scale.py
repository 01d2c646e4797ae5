"""Scale: time and peak memory as the number of stops grows.

    python -m benchmarks.scale [--sizes 50 200 1000 2000] [--limit 60] [--first-limit 20] [SCENARIO.toml ...] [--out FILE.md]

For each size a synthetic bookmobile scenario is generated (deterministic
seed): stops in a ~100 x 100 km region around a depot in the middle (70 %
scattered villages, 30 % around ten market towns), a 4-week cycle Mon-Fri,
15 % weekly / 35 % fortnightly / 50 % 4-weekly stops, the product's default
door-open time from the expected loans, 5 % schools open 09:00-15:00 only,
haversine x 1.35 at 45 km/h (the product's defaults), and enough vans of
08:30-17:30 with the default 45-minute break.  Scenario TOML files given on
the command line are measured the same way.

Each size runs in a **fresh subprocess** (one at a time), which measures:

* the travel matrix, built by the product (``routeplanner.travel.scenario_matrix``):
  wall time, and peak Python/NumPy memory by ``tracemalloc`` (a second build,
  so tracing does not slow the timed one);
* the first solution: time of the solver's first ``progress`` callback (any
  phase; the periodic search's first report is already a complete timetable),
  and of the first callback of the ``timetable`` phase (the last phase, which
  fits the times of the whole cycle);
* the final plan at ``--limit`` seconds: wall time, stops served, km, and
  ``check_plan`` violations;
* peak resident memory of the whole process (``getrusage`` ``ru_maxrss``,
  which includes OR-Tools' C++ memory) after imports, after the matrix and at
  the end.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from benchmarks.common import REPO, Clock, fmt, header, log, md_table, write_output

DEFAULT_SIZES = (50, 200, 1000, 2000)
CENTRE = (52.65, 1.0)  # lat, lon: somewhere rural (Norfolk-like); any would do
HALF_SIDE_KM = 50.0


def _rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def synthetic_scenario(n: int, seed: int = 20240601, time_limit_s: float = 60.0, vehicle_slack: float = 1.25):
    """A deterministic bookmobile scenario with ``n`` stops (see the module docstring)."""
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

    rng = np.random.default_rng(seed + n)
    km_lat = 111.2
    km_lon = 111.2 * math.cos(math.radians(CENTRE[0]))
    towns = rng.uniform(-0.8 * HALF_SIDE_KM, 0.8 * HALF_SIDE_KM, size=(10, 2))
    stops = []
    for i in range(n):
        if rng.random() < 0.3:
            t = towns[rng.integers(0, len(towns))]
            xy = t + rng.normal(0.0, 3.0, size=2)
        else:
            xy = rng.uniform(-HALF_SIDE_KM, HALF_SIDE_KM, size=2)
        xy = np.clip(xy, -HALF_SIDE_KM, HALF_SIDE_KM)
        lat = CENTRE[0] + xy[1] / km_lat
        lon = CENTRE[1] + xy[0] / km_lon
        r = rng.random()
        freq = Frequency(period_weeks=1 if r < 0.15 else 2 if r < 0.50 else 4)
        loans = float(rng.integers(3, 45))
        school = rng.random() < 0.05
        stops.append(
            Stop(
                id=f"s{i + 1:04d}",
                name=f"{'School' if school else 'Village'} {i + 1}",
                lat=round(float(lat), 6),
                lon=round(float(lon), 6),
                loans_per_visit=loans,
                frequency=freq,
                service_min=default_service_min(loans),
                window_start_min=9 * 60 if school else None,
                window_end_min=15 * 60 if school else None,
            )
        )
    cycle = Cycle(weeks=4, days=("Mon", "Tue", "Wed", "Thu", "Fri"))
    # Vans: door-open time plus ~12 min of driving per visit and ~90 min to and
    # from the depot per day, over 20 working days of 540 - 45 (break) minutes.
    visits = sum(s.frequency.visits_per_cycle(cycle.weeks) for s in stops)
    work = sum((s.service_min + 12) * s.frequency.visits_per_cycle(cycle.weeks) for s in stops)
    per_van = 20 * (540 - 45 - 90)
    n_vans = max(1, math.ceil(vehicle_slack * work / per_van))
    vehicles = tuple(
        Vehicle(f"Van {k + 1}", capacity_books=3000, shift_start_min=8 * 60 + 30, shift_end_min=17 * 60 + 30)
        for k in range(n_vans)
    )
    scenario = Scenario(
        name=f"synthetic {n} stops (seed {seed})",
        depot=Place("Depot", CENTRE[0], CENTRE[1]),
        vehicles=vehicles,
        stops=tuple(stops),
        cycle=cycle,
        travel=Travel(),
        solver=SolverSettings(time_limit_s=time_limit_s),
    )
    return scenario, visits


# --- the measuring child -------------------------------------------------------


def child(args: argparse.Namespace) -> int:
    import tracemalloc

    from routeplanner.checker import check_plan
    from routeplanner.solver import solve
    from routeplanner.travel import scenario_matrix

    out: dict = {"rss_imports_mb": _rss_mb()}
    base_dir = None
    if args.child_scenario:
        from routeplanner.io import load_scenario

        scenario = load_scenario(args.child_scenario)
        base_dir = Path(args.child_scenario).parent
        visits = sum(s.frequency.visits_per_cycle(scenario.cycle.weeks) for s in scenario.stops)
        out["label"] = Path(args.child_scenario).name
    else:
        scenario, visits = synthetic_scenario(args.child_size, args.seed, args.limit, args.vehicle_slack)
        out["label"] = f"synthetic {args.child_size}"
    out.update(
        stops=len(scenario.stops), visits=visits, vehicles=len(scenario.vehicles),
        route_days=len(scenario.route_days), cycle=f"{scenario.cycle.weeks} wk x {len(scenario.cycle.days)} d",
    )

    t0 = time.perf_counter()
    matrix = scenario_matrix(scenario, base_dir)
    out["matrix_s"] = time.perf_counter() - t0
    out["rss_matrix_mb"] = _rss_mb()
    del matrix
    tracemalloc.start()
    matrix = scenario_matrix(scenario, base_dir)
    out["matrix_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()

    if args.first_limit:
        # The first complete plan: the solver under a short limit returns a
        # whole timetable (every area of a large fleet planned), checked here.
        t0 = time.perf_counter()
        quick = solve(scenario, matrix=matrix, time_limit_s=args.first_limit)
        out["first_plan_s"] = time.perf_counter() - t0
        out["first_plan_served"] = quick.totals.stops_served
        out["first_plan_violations"] = len(check_plan(scenario, quick, matrix=matrix).violations)
        del quick

    events: list[tuple[str, float, int]] = []

    def progress(p) -> None:  # routeplanner.model.SolveProgress
        events.append((p.phase, p.elapsed_s, p.cost))

    t0 = time.perf_counter()
    plan = solve(scenario, matrix=matrix, time_limit_s=args.limit, progress=progress)
    out["final_s"] = time.perf_counter() - t0
    out["rss_final_mb"] = _rss_mb()
    out["first_any_s"] = events[0][1] if events else None
    out["first_any_phase"] = events[0][0] if events else None
    first_tt = next((e for e in events if e[0] == "timetable"), None)
    out["first_timetable_s"] = first_tt[1] if first_tt else None
    out["solutions"] = len(events)
    out["served"] = plan.totals.stops_served
    out["km"] = plan.totals.distance_km
    t0 = time.perf_counter()
    report = check_plan(scenario, plan, matrix=matrix)
    out["check_s"] = time.perf_counter() - t0
    out["violations"] = len(report.violations)
    out["violation_kinds"] = sorted(report.kinds())
    print("RESULT " + json.dumps(out), flush=True)
    return 0


def run_child(cmd: list[str], timeout: float) -> dict:
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s", "wall_s": time.perf_counter() - t0}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            res = json.loads(line[len("RESULT "):])
            res["wall_s"] = time.perf_counter() - t0
            return res
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
    return {"error": f"exit {proc.returncode}: " + " / ".join(tail), "wall_s": time.perf_counter() - t0}


# --- report ------------------------------------------------------------------------


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b <= 0:
        return "–"
    return f"x{a / b:.1f}"


def _exponent(a: float | None, b: float | None, na: int, nb: int) -> str:
    if not a or not b or a <= 0 or b <= 0 or na == nb:
        return "–"
    return f"{math.log(a / b) / math.log(na / nb):.2f}"


def report(rows: list[dict], args: argparse.Namespace, clock: Clock, finished: bool) -> str:
    extra = [
        ("final-plan limit", f"{args.limit:g} s (solve(time_limit_s=...))"),
        ("synthetic scenarios", f"seed {args.seed}; ~100 x 100 km; 4-week cycle Mon-Fri; 15 % weekly, 35 % "
         "fortnightly, 50 % 4-weekly; default service minutes; 5 % with a 09:00-15:00 window; vans "
         f"08:30-17:30 with a 45 min break, count = ceil({args.vehicle_slack:g} x estimated work / van capacity); "
         "haversine x 1.35 at 45 km/h"),
        ("first complete plan", f"solve(time_limit_s={args.first_limit:g}) on its own, before the final plan: "
         "its wall time, stops served and check violations (0 = feasible)" if args.first_limit else "not measured"),
        ("isolation", "each size in a fresh subprocess, one at a time"),
        ("memory", "matrix: tracemalloc peak (Python + NumPy); RSS: getrusage ru_maxrss of the child "
         "(includes OR-Tools)"),
        ("first timetable", "first solution of the solver's timetable phase (progress callback); "
         "'first solution' is the first of any phase (the pattern phase runs first when stops have a choice "
         "of days)"),
    ]
    if not finished:
        extra.append(("status", f"**incomplete** ({len(rows)} sizes so far)"))
    text = header("Scale: matrix, first solution, final plan", clock, extra, packages=("ortools", "numpy"))
    table = []
    for r in rows:
        if "error" in r:
            table.append([r.get("label"), r.get("stops", "–")] + ["–"] * 13 + [r["error"]])
            continue
        table.append([
            r["label"], r["stops"], r["visits"], r["vehicles"], r["route_days"],
            fmt(r["matrix_s"] * 1000.0, 1), fmt(r["matrix_peak_mb"], 1),
            f"{fmt(r['first_any_s'], 2)} ({r['first_any_phase']})" if r["first_any_s"] is not None
            else "none in the limit",
            fmt(r["first_timetable_s"], 2) if r["first_timetable_s"] is not None else "none in the limit",
            (f"{fmt(r['first_plan_s'], 1)} s, {r['first_plan_served']}/{r['stops']}, {r['first_plan_violations']} viol."
             if r.get("first_plan_s") is not None else "–"),
            fmt(r["final_s"], 1),
            f"{r['served']}/{r['stops']}", fmt(r["km"], 0),
            fmt(r["rss_matrix_mb"], 0) + " / " + fmt(r["rss_final_mb"], 0),
            r["violations"],
            ", ".join(r["violation_kinds"]),
        ])
    text += "\n" + md_table(
        ["scenario", "stops", "visits / cycle", "vans", "route-days", "matrix ms", "matrix peak MB",
         "first solution s (phase)", "first timetable s", "first complete plan", "final s", "served", "km", "peak RSS MB (matrix / end)",
         "check violations", "violation kinds / error"],
        table, "lrrrrrrrrrrrrrrl",
    )
    ok = sorted((r for r in rows if "error" not in r and str(r["label"]).startswith("synthetic")),
                key=lambda r: r["stops"])
    if len(ok) > 1:
        text += "\n#### Growth from the previous size\n\nexponent = log(time ratio) / log(stops ratio): 1 linear, 2 quadratic.\n\n"
        g = []
        for prev, cur in zip(ok, ok[1:]):
            g.append([
                f"{prev['stops']} -> {cur['stops']}",
                _ratio(cur["matrix_s"], prev["matrix_s"]), _exponent(cur["matrix_s"], prev["matrix_s"], cur["stops"], prev["stops"]),
                _ratio(cur["first_timetable_s"], prev["first_timetable_s"]),
                _exponent(cur["first_timetable_s"], prev["first_timetable_s"], cur["stops"], prev["stops"]),
                _ratio(cur["rss_final_mb"], prev["rss_final_mb"]),
            ])
        text += md_table(["stops", "matrix time", "matrix exponent", "first timetable time", "first timetable exponent",
                          "peak RSS"], g, "lrrrrr")
    big = [r for r in ok if r["stops"] >= 2000]  # synthetic only
    if big:
        r = big[-1]
        m_ok = r["matrix_s"] < 1.0
        first = r.get("first_plan_s")
        f_ok = first is not None and first < 60.0 and r["first_plan_violations"] == 0 and r["first_plan_served"] > 0
        text += (f"\n**Issue 4 target** ({r['stops']} stops): matrix under 1 s: {fmt(r['matrix_s'], 3)} s "
                 f"-> {'met' if m_ok else 'not met'}; first feasible plan under 60 s: "
                 f"{fmt(first, 1) if first is not None else '–'} s "
                 f"({r.get('first_plan_served', '–')}/{r['stops']} stops served, "
                 f"{r.get('first_plan_violations', '–')} violations) -> {'met' if f_ok else 'not met'}\n")
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.scale",
        description="Time and peak memory of the travel matrix, first solution and final plan as stops grow; "
        "each case in a fresh subprocess.",
    )
    ap.add_argument("scenarios", nargs="*", help="extra scenario TOML files to measure as they are")
    ap.add_argument("--sizes", nargs="*", type=int, default=list(DEFAULT_SIZES),
                    help="synthetic sizes (default 50 200 1000 2000; give none to measure only files)")
    ap.add_argument("--limit", type=float, default=60.0, help="time limit of the final plan, seconds (default 60)")
    ap.add_argument("--first-limit", type=float, default=20.0,
                    help="time limit of the separate first-complete-plan run, seconds (default 20; 0 skips it)")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--vehicle-slack", type=float, default=1.25, help="vans = ceil(slack x estimated need)")
    ap.add_argument("--child-timeout", type=float, default=None,
                    help="kill a size after this many seconds (default 3 x limit + 600)")
    ap.add_argument("--write-scenarios", metavar="DIR",
                    help="also write each synthetic scenario as DIR/synthetic-N/scenario.toml + stops.csv")
    ap.add_argument("--out", help="write the markdown report here (rewritten after every size)")
    ap.add_argument("--child-size", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--child-scenario", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child_size is not None or args.child_scenario:
        return child(args)

    clock = Clock()
    timeout = args.child_timeout or (3 * args.limit + 600)
    cases: list[tuple[str, list[str]]] = []
    common = ["--limit", str(args.limit), "--first-limit", str(args.first_limit), "--seed", str(args.seed), "--vehicle-slack", str(args.vehicle_slack)]
    for n in args.sizes:
        cases.append((f"synthetic {n}", ["--child-size", str(n)] + common))
        if args.write_scenarios:
            _write_scenario(n, args)
    for p in args.scenarios:
        cases.append((Path(p).name, ["--child-scenario", str(Path(p).resolve())] + common))
    rows: list[dict] = []
    for label, extra in cases:
        log(f"{label}: measuring in a fresh process (limit {args.limit:g} s) ...")
        res = run_child([sys.executable, "-m", "benchmarks.scale"] + extra, timeout)
        res.setdefault("label", label)
        log("    " + json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in res.items()}))
        rows.append(res)
        if args.out:
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            Path(args.out).write_text(report(rows, args, clock, False), encoding="utf-8")
    write_output(report(rows, args, clock, True), args.out)
    return 0


def _write_scenario(n: int, args: argparse.Namespace) -> None:
    from routeplanner.io import dump_scenario_toml, write_stops_csv

    scenario, _ = synthetic_scenario(n, args.seed, args.limit, args.vehicle_slack)
    folder = Path(args.write_scenarios) / f"synthetic-{n}"
    folder.mkdir(parents=True, exist_ok=True)
    write_stops_csv(scenario.stops, folder / "stops.csv")
    (folder / "scenario.toml").write_text(dump_scenario_toml(scenario, "stops.csv"), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
