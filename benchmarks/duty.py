"""Duty days as drivers live them: idle time, the end of the shift, breaks, and stable times.

    python -m benchmarks.duty SCENARIO.toml... [--limit 30] [--seeds 1 2 3] [--weights 1 4 100]
                              [--out FILE.md]

Each scenario is solved once per seed; the final timing of the routes (the
solver's compact-times step, ``routeplanner.solver.routing.retime``) is
recorded as it runs, so *before* (the times the search gave the chosen routes)
and *after* (the compact times the plan publishes) are the same routes timed
two ways: a side-by-side comparison on one solve.  Per duty day:

* **idle**: minutes on duty neither driving, with the door open nor on a break
  (waiting);
* **at shift end**: days that come back exactly at the end of the shift;
* **end breaks**: breaks before the first stop or after the last;
* **spread**: per stop with several visits, the largest difference between its
  opening times (the published window narrows by it);
* **window short of the visit**: per stop, the minutes its published window
  (on every visit, in 5-minute marks) is shorter than the visit.

The same routes are also timed with other weights of a minute on duty against
a minute of spread (``--weights``; the product's is
``SearchParams.retime_duty_weight``), to show the trade.  The plan (with the
product's *after* times) is judged by ``routeplanner.checker.check_plan``.
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


def day_figures(problem, days: dict[int, list[int]], times: dict) -> dict:
    """Idle minutes, days at shift end, end breaks and stop spreads of timed route-days."""
    from routeplanner.published import window

    idle = []
    at_end = end_breaks = 0
    opens: dict[int, list[int]] = {}
    for r, seq in days.items():
        t = times[r]
        nodes = [0] + [i + 1 for i in seq] + [0]
        drive = sum(int(problem.drive[a, b]) for a, b in zip(nodes, nodes[1:]))
        service = sum(int(problem.service[i]) for i in seq)
        pause = sum(m for _s, m in t.breaks)
        idle.append(t.end - t.start - drive - service - pause)
        at_end += t.end == problem.vehicle_of[r].shift_end_min
        for start, _m in t.breaks:
            end_breaks += start < t.arrivals[0] or start >= t.arrivals[-1] + int(problem.service[seq[-1]])
        for i, a in zip(seq, t.arrivals):
            opens.setdefault(i, []).append(a)
    spreads = [max(v) - min(v) for v in opens.values() if len(v) > 1]
    # The window patrons are given (routeplanner.published: on every visit, 5-minute marks).
    losses = []
    for i, v in opens.items():
        service = int(problem.service[i])
        shown = window((a, a + service) for a in v)
        losses.append(service - (shown[1] - shown[0] if shown else 0))
    return {
        "days": len(days),
        "idle_per_day": sum(idle) / len(idle) if idle else 0.0,
        "idle_max": max(idle) if idle else 0,
        "duty_h": sum(times[r].end - times[r].start for r in days) / 60.0,
        "at_end": at_end,
        "end_breaks": end_breaks,
        "spread_mean": sum(spreads) / len(spreads) if spreads else 0.0,
        "window_loss": sum(losses) / len(losses) if losses else 0.0,
    }


def run(path: Path, seed: int, limit: float, weights: list[int]) -> dict:
    from routeplanner.checker import check_plan
    from routeplanner.io.scenario import load_scenario
    from routeplanner.solver import SearchParams, solve
    from routeplanner.solver import routing  # the product's retimer, recorded as it runs
    from routeplanner.travel import scenario_matrix

    scenario = load_scenario(path)
    matrix = scenario_matrix(scenario)
    params = SearchParams(seed=seed)
    seen: list[dict] = []

    def recording(problem, days, current, budget):
        import dataclasses

        from routeplanner.solver import Budget

        timed = routing.retime(problem, days, current, budget, params=params)
        figures = {"before": day_figures(problem, days, current),
                   "after": day_figures(problem, days, timed if timed is not None else current)}
        for w in weights:  # outside the solve's budget: the plan does not wait for these
            other = routing.retime(problem, days, current, Budget(seconds=10),
                                   params=dataclasses.replace(params, retime_duty_weight=w))
            figures[f"w{w}"] = day_figures(problem, days, other if other is not None else current)
        seen.append(figures)
        return timed

    t0 = time.perf_counter()
    plan = solve(scenario, matrix=matrix, time_limit_s=limit, params=params, retimer=recording)
    wall = time.perf_counter() - t0
    report = check_plan(scenario, plan, matrix=matrix)
    # Areas are timed one by one: their figures are summed (idle weighted by days).
    out = {"scenario": scenario.name, "seed": seed, "km": plan.totals.distance_km, "wall_s": wall,
           "violations": len(report.violations)}
    for side in seen[0]:
        parts = [s[side] for s in seen]
        days = sum(p["days"] for p in parts)
        out[side] = {
            "days": days,
            "idle_per_day": sum(p["idle_per_day"] * p["days"] for p in parts) / days if days else 0.0,
            "idle_max": max((p["idle_max"] for p in parts), default=0),
            "duty_h": sum(p["duty_h"] for p in parts),
            "at_end": sum(p["at_end"] for p in parts),
            "end_breaks": sum(p["end_breaks"] for p in parts),
            "spread_mean": median(p["spread_mean"] for p in parts) or 0.0,
            "window_loss": median(p["window_loss"] for p in parts) or 0.0,
        }
    return out


def report(rows: list[dict], clock: Clock, weights: list[int]) -> str:
    text = header("Duty days: idle time, shift ends, breaks and stable times, before and after compact times",
                  clock)
    text += "\n" + md_table(
        ["scenario", "seed", "km", "route-days", "idle min/day before", "after", "max idle before", "after",
         "duty h before", "after", "at shift end before", "after", "end breaks before", "after",
         "mean spread min before", "after", "window short of the visit, min: before", "after", "violations"],
        [[r["scenario"], r["seed"], fmt(r["km"]), r["after"]["days"],
          fmt(r["before"]["idle_per_day"]), fmt(r["after"]["idle_per_day"]),
          r["before"]["idle_max"], r["after"]["idle_max"],
          fmt(r["before"]["duty_h"]), fmt(r["after"]["duty_h"]),
          r["before"]["at_end"], r["after"]["at_end"], r["before"]["end_breaks"], r["after"]["end_breaks"],
          fmt(r["before"]["spread_mean"]), fmt(r["after"]["spread_mean"]),
          fmt(r["before"]["window_loss"]), fmt(r["after"]["window_loss"]), r["violations"]] for r in rows],
        ["l"] + ["r"] * 18,
    )
    if weights:
        from routeplanner.solver import SearchParams

        product = SearchParams().retime_duty_weight
        text += f"\n### The same routes timed with other weights (the product's: {product})\n\n" + md_table(
            ["scenario", "seed", "weight of a duty minute", "idle min/day", "duty h", "mean spread min",
             "window short, min", "end breaks"],
            [[r["scenario"], r["seed"], w, fmt(r[f"w{w}"]["idle_per_day"]), fmt(r[f"w{w}"]["duty_h"]),
              fmt(r[f"w{w}"]["spread_mean"]), fmt(r[f"w{w}"]["window_loss"]), r[f"w{w}"]["end_breaks"]]
             for r in rows for w in weights],
            ["l", "r", "r", "r", "r", "r", "r", "r"],
        )
    by: dict[str, list[dict]] = {}
    for r in rows:
        by.setdefault(r["scenario"], []).append(r)
    text += "\n### Medians over the seeds\n\n" + md_table(
        ["scenario", "idle min/day before", "after", "duty h before", "after", "end breaks before", "after",
         "window short before", "after"],
        [[name, fmt(median(r["before"]["idle_per_day"] for r in rs)), fmt(median(r["after"]["idle_per_day"] for r in rs)),
          fmt(median(r["before"]["duty_h"] for r in rs)), fmt(median(r["after"]["duty_h"] for r in rs)),
          fmt(median(r["before"]["end_breaks"] for r in rs), 0), fmt(median(r["after"]["end_breaks"] for r in rs), 0),
          fmt(median(r["before"]["window_loss"] for r in rs)), fmt(median(r["after"]["window_loss"] for r in rs))]
         for name, rs in by.items()],
        ["l"] + ["r"] * 8,
    )
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.duty", description=__doc__.split("\n\n")[0])
    ap.add_argument("scenarios", nargs="+", help="scenario TOML files")
    ap.add_argument("--limit", type=float, default=30.0, help="time limit per solve, s (default 30)")
    ap.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3], help="seeds (default 1 2 3)")
    ap.add_argument("--weights", nargs="*", type=int, default=[],
                    help="also time the same routes with these weights of a duty minute (default none)")
    ap.add_argument("--out", help="write the markdown report here")
    args = ap.parse_args(argv)
    clock = Clock()
    rows: list[dict] = []
    for path in map(Path, args.scenarios):
        for seed in args.seeds:
            log(f"{path}: seed {seed} ...")
            try:
                row = run(path, seed, args.limit, args.weights)
            except Exception:  # one failing solve must not stop the run
                log(traceback.format_exc())
                continue
            log(f"    {fmt(row['km'])} km, idle/day {fmt(row['before']['idle_per_day'])} -> "
                f"{fmt(row['after']['idle_per_day'])}, {row['violations']} violations")
            rows.append(row)
    write_output(report(rows, clock, args.weights), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
