"""The periodic search on whole timetable scenarios: seeds, the price of stable times, and its parts.

    python -m benchmarks.search SCENARIO.toml... [--limit 30] [--seeds 1 2 3 4 5]
                                [--work 2000] [--ablations 1 2 3] [--out FILE.md]

For each scenario, one solve at a time, all at the same time limit:

* **default**: the product as it is, once per seed (``SearchParams(seed=...)``);
* **stable off**: the same with ``stable_minutes = 1440`` (a visit may open at
  any time of day): the difference to *default* is the price of stable times;
* **reproducible**: ``work_limit = --work`` (the product's ``--reproducible``
  default), once: the same plan on any machine, compared with the timed median;
* the ablations (``--ablations SEED...``), each with one part of the search
  switched off: **one run** (``restarts = 1``: the whole budget for one run),
  **no swap** and **no ruin** (that move's weight 0), **no pattern moves**
  (relocate and swap off, ruin only).

Every plan is judged by ``routeplanner.checker.check_plan``.  The knobs are
passed as :class:`routeplanner.solver.SearchParams`; nothing is patched.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
import traceback
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import Clock, fmt, header, log, md_table, median, write_output

#: variant -> SearchParams changes (seed added per run)
ABLATIONS = {
    "one run": {"restarts": 1},
    "no swap": {"swap_weight": 0.0},
    "no ruin": {"ruin_weight": 0.0},
    "ruin only": {"relocate_weight": 0.0, "swap_weight": 0.0},
}


def run(path: Path, variant: str, seed: int | None, limit: float, work: int) -> dict:
    from routeplanner.checker import check_plan
    from routeplanner.io.scenario import load_scenario
    from routeplanner.solver import SearchParams, solve
    from routeplanner.travel import scenario_matrix

    scenario = load_scenario(path)
    if variant == "stable off":
        scenario = dataclasses.replace(scenario, solver=dataclasses.replace(scenario.solver, stable_minutes=1440))
    matrix = scenario_matrix(scenario)
    params = SearchParams(seed=seed or 0, **ABLATIONS.get(variant, {}))
    t0 = time.perf_counter()
    if variant == "reproducible":
        plan = solve(scenario, matrix=matrix, work_limit=work, params=params)
    else:
        plan = solve(scenario, matrix=matrix, time_limit_s=limit, params=params)
    run_s = time.perf_counter() - t0
    report = check_plan(scenario, plan, matrix=matrix)
    return {
        "scenario": scenario.name,
        "stops": len(scenario.stops),
        "stable": scenario.solver.stable_minutes,
        "variant": variant,
        "seed": seed,
        "served": report.totals.stops_served,
        "km": report.totals.distance_km,
        "drive_h": report.totals.drive_minutes / 60.0,
        "violations": len(report.violations),
        "run_s": run_s,
    }


def report(rows: list[dict], args: argparse.Namespace, clock: Clock, done: bool) -> str:
    text = header("The periodic search on the timetable scenarios: seeds, stable times, ablations", clock,
                  extra=[("time limit", f"{args.limit:g} s per timed solve"),
                         ("seeds", " ".join(map(str, args.seeds))),
                         ("reproducible", f"work_limit = {args.work}"),
                         ("ablation seeds", " ".join(map(str, args.ablations)) or "none")],
                  packages=("ortools", "numpy"))
    if not done:
        text += "\n**incomplete**: the run is still going or was interrupted.\n"
    text += "\n### Summary\n\n"
    summary = []
    variants = ["default", "stable off", "reproducible", *ABLATIONS]
    for name in dict.fromkeys(r["scenario"] for r in rows):
        mine = [r for r in rows if r["scenario"] == name]
        base = [r["km"] for r in mine if r["variant"] == "default"]
        for variant in variants:
            rs = [r for r in mine if r["variant"] == variant]
            if not rs:
                continue
            km = [r["km"] for r in rs]
            ratio = fmt(median(km) / median(base), 3) if base else "–"
            summary.append([name, variant, len(rs), fmt(median(km)), fmt(min(km)), fmt(max(km)),
                            fmt(max(km) / min(km), 3) if min(km) else "–", ratio,
                            " ".join(str(r["served"]) for r in rs), sum(r["violations"] for r in rs),
                            fmt(median([r["run_s"] for r in rs]), 1)])
    text += md_table(["scenario", "variant", "runs", "median km", "min", "max", "max/min",
                      "median / default median", "served per run", "violations", "median s"],
                     summary, "llrrrrrrlrr")
    text += "\n### Every solve\n\n"
    text += md_table(["scenario", "variant", "stable min", "seed", "served", "km", "drive h", "violations", "run s"],
                     [[r["scenario"], r["variant"], r["stable"], r["seed"] if r["seed"] is not None else "–",
                       r["served"], fmt(r["km"]), fmt(r["drive_h"]), r["violations"], fmt(r["run_s"], 1)]
                      for r in rows],
                     "llrrrrrrr")
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.search", description=__doc__.split("\n\n")[0])
    ap.add_argument("scenarios", nargs="+", help="scenario TOML files")
    ap.add_argument("--limit", type=float, default=30.0, help="time limit per timed solve, s (default 30)")
    ap.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3, 4, 5],
                    help="seeds of the default and stable-off runs")
    ap.add_argument("--work", type=int, default=2000, help="work limit of the reproducible run (default 2000)")
    ap.add_argument("--ablations", nargs="*", type=int, default=[], help="seeds of the ablation runs (default none)")
    ap.add_argument("--out", help="write the markdown report here (rewritten after every solve)")
    args = ap.parse_args(argv)
    clock = Clock()
    rows: list[dict] = []
    for path in map(Path, args.scenarios):
        plan = [("default", s) for s in args.seeds] + [("stable off", s) for s in args.seeds] + \
            [("reproducible", None)] + [(v, s) for v in ABLATIONS for s in args.ablations]
        for variant, seed in plan:
            log(f"{path}: {variant} {'' if seed is None else f'seed {seed}'} ...")
            try:
                row = run(path, variant, seed, args.limit, args.work)
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
