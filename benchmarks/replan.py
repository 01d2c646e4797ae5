"""Re-planning after one edit: what keep mode saves patrons, and what it costs in km.

    python -m benchmarks.replan SCENARIO.toml... [--limit 30] [--edits 3] [--out FILE.md]

For each scenario: a base plan (the product at ``--limit`` seconds), then
``--edits`` one-cell edits, each re-planned from the base in keep mode and in
free mode at the same limit, side by side in one run:

* **unchanged**: the scenario as it was;
* **frequency**: one stop's visits made more frequent (4-weekly to
  fortnightly, fortnightly to weekly, or one visit more per cycle), the stops
  taken in turn from the top of the table;
* **removed**: one stop taken out.

Each row: stops served, km, and the stops whose visits changed for patrons
(another day, or only another time), by ``routeplanner.compare``'s
definition.  Every plan is judged by ``routeplanner.checker.check_plan``.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from dataclasses import replace
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import Clock, fmt, header, log, md_table, median, write_output


def edits(scenario, n: int):
    """(label, edited scenario) for the unchanged scenario and ``n`` one-cell edits of each kind."""
    from routeplanner.model import Frequency

    out = [("unchanged", scenario)]
    weeks = scenario.cycle.weeks
    found = 0
    for stop in scenario.stops:
        f = stop.frequency
        if f.period_weeks and f.period_weeks > 1 and weeks % (f.period_weeks // 2 or 1) == 0:
            new = Frequency(period_weeks=f.period_weeks // 2)
        elif f.period_weeks is None and (f.visits or 1) < weeks * len(scenario.cycle.days):
            new = Frequency(visits=(f.visits or 1) + 1)
        else:
            continue
        label = f"frequency: {stop.id} {f.label()} -> {new.label()}"
        out.append((label, replace(scenario, stops=tuple(replace(s, frequency=new) if s.id == stop.id else s
                                                          for s in scenario.stops))))
        found += 1
        if found >= n:
            break
    for stop in scenario.stops[-n:]:
        out.append((f"removed: {stop.id}", replace(scenario, stops=tuple(s for s in scenario.stops if s.id != stop.id))))
    return out


def run(path: Path, limit: float, n: int) -> list[dict]:
    from routeplanner.checker import check_plan
    from routeplanner.io.scenario import load_scenario
    from routeplanner.replan import replan
    from routeplanner.solver import solve
    from routeplanner.travel import scenario_matrix

    scenario = load_scenario(path)
    base = solve(scenario, matrix=scenario_matrix(scenario), time_limit_s=limit)
    rows = []
    for label, edited in edits(scenario, n):
        matrix = scenario_matrix(edited)
        for mode in ("keep", "free"):
            t0 = time.perf_counter()
            out = replan(edited, base, mode=mode, matrix=matrix, time_limit_s=limit)
            wall = time.perf_counter() - t0
            report = check_plan(edited, out.plan, matrix=matrix)
            rows.append({
                "scenario": scenario.name, "edit": label, "mode": mode,
                "served": out.plan.totals.stops_served, "stops": len(edited.stops),
                "base_km": base.totals.distance_km, "km": out.plan.totals.distance_km,
                "moved": len(out.moved), "day": sum(1 for m in out.moved if "day" in m.changes),
                "time": sum(1 for m in out.moved if m.changes == ("time",)),
                "rounds": out.rounds, "wall_s": wall, "violations": len(report.violations),
            })
            log(f"  {label} {mode}: {rows[-1]['moved']} moved, {fmt(rows[-1]['km'])} km, "
                f"{rows[-1]['served']}/{rows[-1]['stops']} served")
    return rows


def report(rows: list[dict], clock: Clock) -> str:
    text = header("Re-planning after one edit: keep mode against free mode", clock)
    text += "\n" + md_table(
        ["scenario", "edit", "mode", "served", "base km", "km", "stops changed", "another day", "only the time",
         "rounds", "run s", "violations"],
        [[r["scenario"], r["edit"], r["mode"], f"{r['served']}/{r['stops']}", fmt(r["base_km"]), fmt(r["km"]),
          r["moved"], r["day"], r["time"], r["rounds"], fmt(r["wall_s"]), r["violations"]] for r in rows],
        ["l", "l", "l", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
    )
    by: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        if r["edit"] != "unchanged":
            by.setdefault((r["scenario"], r["mode"]), []).append(r)
    text += "\n### Medians over the edits\n\n" + md_table(
        ["scenario", "mode", "stops changed", "km", "km / free mode's"],
        [[s, m, fmt(median(r["moved"] for r in rs), 0), fmt(median(r["km"] for r in rs)),
          fmt(median(r["km"] for r in rs) / median(x["km"] for x in by[(s, "free")]), 3)]
         for (s, m), rs in by.items()],
        ["l", "l", "r", "r", "r"],
    )
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.replan", description=__doc__.split("\n\n")[0])
    ap.add_argument("scenarios", nargs="+", help="scenario TOML files")
    ap.add_argument("--limit", type=float, default=30.0, help="time limit of every solve, s (default 30)")
    ap.add_argument("--edits", type=int, default=3, help="edits of each kind per scenario (default 3)")
    ap.add_argument("--out", help="write the markdown report here")
    args = ap.parse_args(argv)
    clock = Clock()
    rows: list[dict] = []
    for path in map(Path, args.scenarios):
        log(f"{path} ...")
        try:
            rows += run(path, args.limit, args.edits)
        except Exception:  # one failing scenario must not stop the run
            log(traceback.format_exc())
    write_output(report(rows, clock), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
