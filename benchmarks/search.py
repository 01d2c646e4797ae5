"""The search on whole timetable scenarios: the product's search vs its parts and vs guided local search.

    python -m benchmarks.search SCENARIO.toml... [--limit 30] [--seeds 1 2 3 4] [--out FILE.md]

For each scenario, at the same time limit, one solve at a time:

* **default**: the product as it is (restarts, ruin and recreate), once per
  seed (``routeplanner.solver.RUIN_SEED`` = 1000 x the seed, so the restarts
  of two seeds, RUIN_SEED + k, never share a seed);
* **one run**: ruin and recreate without restarts (``RESTARTS_MAX = 1``), once per seed;
* **guided**: one run of guided local search everywhere
  (``RUIN_RECREATE_MAX_VISITS = 0``, ``RESTARTS_MAX = 1``): the search before
  issue 4.  It has no seed; its outcome depends on how far it gets in the time.

Every plan is judged by ``routeplanner.checker.check_plan``.  The seeds show
how much the outcome of a periodic timetable depends on chance.  The solver
constants are set here for the benchmark only; the product always runs with
its defaults.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import Clock, fmt, header, log, md_table, median, write_output


def run(path: Path, search: str, seed: int | None, limit: float) -> dict:
    from routeplanner import solver
    from routeplanner.checker import check_plan
    from routeplanner.io.scenario import load_scenario
    from routeplanner.travel import scenario_matrix

    scenario = load_scenario(path)
    matrix = scenario_matrix(scenario)
    saved = solver.RUIN_RECREATE_MAX_VISITS, solver.RUIN_SEED, solver.RESTARTS_MAX
    try:
        if search == "guided":
            solver.RUIN_RECREATE_MAX_VISITS = 0
            solver.RESTARTS_MAX = 1
        else:
            solver.RUIN_SEED = 1000 * seed  # apart: a restart k uses RUIN_SEED + k
            if search == "one run":
                solver.RESTARTS_MAX = 1
        t0 = time.perf_counter()
        plan = solver.solve(scenario, matrix=matrix, time_limit_s=limit)
        run_s = time.perf_counter() - t0
    finally:
        solver.RUIN_RECREATE_MAX_VISITS, solver.RUIN_SEED, solver.RESTARTS_MAX = saved
    report = check_plan(scenario, plan, matrix=matrix)
    return {
        "scenario": scenario.name,
        "stops": len(scenario.stops),
        "search": search,
        "seed": seed,
        "served": report.totals.stops_served,
        "km": report.totals.distance_km,
        "drive_h": report.totals.drive_minutes / 60.0,
        "violations": len(report.violations),
        "run_s": run_s,
    }


def report(rows: list[dict], args: argparse.Namespace, clock: Clock, done: bool) -> str:
    text = header("Search on the timetable scenarios: ruin and recreate (seeds) vs guided local search", clock,
                  extra=[("time limit", f"{args.limit:g} s per solve"), ("seeds", " ".join(map(str, args.seeds)))],
                  packages=("ortools", "numpy"))
    if not done:
        text += "\n**incomplete**: the run is still going or was interrupted.\n"
    text += "\n### Summary\n\n"
    summary = []

    def spread(rs: list[dict]) -> str:
        km = [r["km"] for r in rs]
        if not km:
            return "–"
        return f"{fmt(median(km))} ({fmt(min(km))} – {fmt(max(km))}); served {' '.join(str(r['served']) for r in rs)}"

    for name in dict.fromkeys(r["scenario"] for r in rows):
        mine = [r for r in rows if r["scenario"] == name]
        default = [r for r in mine if r["search"] == "default"]
        one = [r for r in mine if r["search"] == "one run"]
        gls = [r for r in mine if r["search"] == "guided"]
        ratio = "–"
        if default and gls and gls[0]["km"]:
            ratio = fmt(median([r["km"] for r in default]) / gls[0]["km"], 3)
        summary.append([name, mine[0]["stops"], spread(default), spread(one), spread(gls),
                        sum(r["violations"] for r in mine), ratio])
    text += md_table(["scenario", "stops", "default km: median (min – max); served per seed",
                      "one run (no restarts)", "guided (before)", "violations", "median ratio default / guided"],
                     summary, "lrlllrr")
    text += "\n### Every solve\n\n"
    text += md_table(["scenario", "search", "seed", "served", "km", "drive h", "violations", "run s"],
                     [[r["scenario"], r["search"], r["seed"] if r["seed"] is not None else "–", r["served"],
                       fmt(r["km"]), fmt(r["drive_h"]), r["violations"], fmt(r["run_s"], 1)] for r in rows],
                     "llrrrrrr")
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.search", description=__doc__.split("\n\n")[0])
    ap.add_argument("scenarios", nargs="+", help="scenario TOML files")
    ap.add_argument("--limit", type=float, default=30.0, help="time limit per solve, s (default 30)")
    ap.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3, 4], help="seeds of the default and one-run searches")
    ap.add_argument("--out", help="write the markdown report here (rewritten after every solve)")
    args = ap.parse_args(argv)
    clock = Clock()
    rows: list[dict] = []
    for path in map(Path, args.scenarios):
        plan = [("default", s) for s in args.seeds] + [("one run", s) for s in args.seeds] + [("guided", None)]
        for search, seed in plan:
            log(f"{path}: {search} {'' if seed is None else f'seed {seed}'} ...")
            try:
                row = run(path, search, seed, args.limit)
            except Exception:  # one failing solve must not stop the run
                log(traceback.format_exc())
                continue
            log(f"    served {row['served']}/{row['stops']}, {fmt(row['km'])} km, {row['violations']} violations")
            rows.append(row)
            if args.out:
                Path(args.out).parent.mkdir(parents=True, exist_ok=True)
                Path(args.out).write_text(report(rows, args, clock, False), encoding="utf-8")
    write_output(report(rows, args, clock, True), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
