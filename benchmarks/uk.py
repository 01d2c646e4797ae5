"""Real published UK timetables: check them, re-plan them, compare.

    python -m benchmarks.uk PATH... [--limit 60] [--keep-weekdays] [--period norfolk=4] [--out FILE.md]

PATH: timetable CSV files of ``/work/shared/datasets/uk-mobile-timetables/``
or folders of them (``authorities.csv``, the index of that folder, is
ignored).  For each authority (see :mod:`benchmarks.uk_timetables`):

1. import the published timetable: a Scenario (stops with their published
   frequency and door-open minutes, the vans, working days, a cycle of lcm
   of the frequencies, the depot at the medoid of the stops) and the
   published timetable as a Plan with the same depot;
2. ``check_plan`` the published plan: its km and hours by our travel model
   (haversine x 1.3 at 45 km/h) and every rule it breaks;
3. re-plan with ``routeplanner.solver.solve`` at the same frequencies and
   door-open minutes, the same vans and shifts, and check that plan too;
4. compare km (issue 4 target: at least 15 % fewer) and stops served, and
   list the data-quality findings.

Authorities run one at a time.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import Clock, expand_paths, fmt, header, log, md_table, write_output
from benchmarks.uk_timetables import (
    CIRCUITY,
    FAR_KM,
    SPEED_KMH,
    aggregate,
    build_case,
    duty_hours,
    read_authority,
    route_days_used,
)
from routeplanner.checker import check_plan
from routeplanner.model import hhmm

TARGET_SAVING = 15.0
MAX_ISSUES_LISTED = 150


def _kinds(report) -> str:
    if report.ok:
        return "OK"
    c = Counter(v.kind for v in report.violations)
    return ", ".join(f"{k} x{n}" for k, n in sorted(c.items()))


def run_one(path: Path, args: argparse.Namespace) -> dict:
    from routeplanner.solver import solve

    out: dict = {"authority": path.stem}
    imp = read_authority(path, period_override=args.period.get(path.stem.lower()),
                         keep_suspect_points=args.keep_suspect_points, far_km=args.far_km,
                         ignore_dates=path.stem.lower() in args.ignore_dates)
    out["imported"] = imp
    if not imp.rows:
        out["error"] = "no usable rows"
        return out
    case = build_case(imp, keep_weekdays=args.keep_weekdays, break_minutes=args.break_minutes,
                      break_after_minutes=args.break_after, circuity=args.circuity, speed_kmh=args.speed,
                      time_limit_s=args.limit)
    out["case"] = case
    pub = check_plan(case.scenario, case.published, matrix=case.matrix)
    out["pub"] = pub
    log(f"  published: {pub.totals.distance_km:,.1f} km, {len(pub.violations)} violation(s); re-planning "
        f"{len(case.scenario.stops)} stops, {len(case.scenario.vehicles)} van(s), "
        f"{case.scenario.cycle.weeks} week(s) x {len(case.scenario.cycle.days)} day(s), limit {args.limit:g} s ...")
    t0 = time.perf_counter()
    plan = solve(case.scenario, matrix=case.matrix, time_limit_s=args.limit)
    out["solve_s"] = time.perf_counter() - t0
    out["plan"] = plan
    ours = check_plan(case.scenario, plan, matrix=case.matrix)
    out["ours"] = ours
    log(f"  ours: {ours.totals.distance_km:,.1f} km, served {ours.totals.stops_served}/{ours.totals.stops_total}, "
        f"{len(ours.violations)} violation(s), {out['solve_s']:.1f} s")
    return out


def report(results: list[dict], args: argparse.Namespace, clock: Clock, finished: bool) -> str:
    extra = [
        ("travel model", f"haversine x {args.circuity:g} at {args.speed:g} km/h (both plans; the product's default "
         "circuity is 1.35)"),
        ("depot rule", "one fixed depot per authority: the medoid of its used stops (smallest sum of great-circle "
         "distances to all stops), the same for the published plan and the re-plan; named in the table"),
        ("vans and shifts", "as many vans as the published timetable needs at once; each van's shift = the earliest "
         "start and latest end of its published days (leave the depot in time for the first published opening, "
         f"back after the last); break {args.break_minutes} min within every {args.break_after} min on duty "
         "(published plans: placed in their longest idle gap when the day is that long)"),
        ("re-plan", f"routeplanner.solver.solve, {args.limit:g} s, same stops, frequencies and door-open minutes; "
         + ("each stop kept on its published weekday" if args.keep_weekdays else
            "weekdays free (any working day of the cycle)") + "; may use every van on every working day"),
        ("frequency overrides", ", ".join(f"{k}={v} weeks" for k, v in args.period.items()) or "none"),
        ("dates ignored", ", ".join(args.ignore_dates) or "none (route days run in the week of their date)"),
        ("target", f"re-plan serves every stop and drives >= {TARGET_SAVING:g} % fewer km than published"),
    ]
    if not finished:
        extra.append(("status", f"**incomplete** ({len(results)} authorities so far)"))
    text = header("UK published timetables: published vs re-plan", clock, extra, packages=("ortools", "numpy"))
    rows = []
    for r in results:
        imp = r["imported"]
        skipped = sum(1 for i in imp.issues if i.kind == "skipped")
        if "case" not in r:
            rows.append([r["authority"], imp.layout, f"{len(imp.rows)}/{imp.total_rows}", "–", "–", "–", "–", "–",
                         "–", "–", "–", "–", "–", "–", "–", r.get("error", "")])
            continue
        case = r["case"]
        sc = case.scenario
        pub = r.get("pub")
        ours = r.get("ours")
        saving = None
        if pub is not None and ours is not None and pub.totals.distance_km > 0:
            saving = (1.0 - ours.totals.distance_km / pub.totals.distance_km) * 100.0
        met = "–"
        if ours is not None and saving is not None:
            reasons = []
            if ours.totals.stops_served < ours.totals.stops_total:
                reasons.append(f"{ours.totals.stops_total - ours.totals.stops_served} stop(s) unserved")
            if saving < TARGET_SAVING:
                reasons.append(f"saving {saving:.1f} % < {TARGET_SAVING:g} %")
            if not ours.ok:
                reasons.append("re-plan breaks rules")
            met = "met" if not reasons else "not met: " + "; ".join(reasons)
        shifts = "; ".join(f"{v.name} {hhmm(v.shift_start_min)}-{hhmm(v.shift_end_min)}" for v in sc.vehicles[:4])
        if len(sc.vehicles) > 4:
            shifts += f"; ... ({len(sc.vehicles)} vans)"
        rows.append([
            r["authority"], imp.layout, f"{len(imp.rows)}/{imp.total_rows} ({skipped} skipped)", len(sc.stops),
            shifts, f"{sc.cycle.weeks} wk: {' '.join(sc.cycle.days)}",
            f"{case.depot_row.label} ({case.depot_row.lat:.4f}, {case.depot_row.lon:.4f})",
            f"{route_days_used(case.published)}",
            fmt(pub.totals.distance_km, 1) if pub else "–",
            f"{fmt(pub.totals.drive_minutes / 60, 1)} / {fmt(duty_hours(case.published), 1)}" if pub else "–",
            _kinds(pub) if pub else "–",
            f"{route_days_used(r['plan'])}" if "plan" in r else "–",
            fmt(ours.totals.distance_km, 1) if ours else "–",
            f"{fmt(ours.totals.drive_minutes / 60, 1)} / {fmt(duty_hours(r['plan']), 1)}" if ours else "–",
            f"{ours.totals.stops_served}/{ours.totals.stops_total}" if ours else "–",
            _kinds(ours) if ours else r.get("error", "–"),
            f"{-saving:+.1f} %" if saving is not None else "–",
            met,
        ])
    text += "\n" + md_table(
        ["authority", "layout", "rows used", "stops", "vans (shift)", "cycle", "depot = medoid stop",
         "published route-days", "published km", "published drive / duty h", "published check",
         "ours route-days", "ours km", "ours drive / duty h", "ours served", "ours check", "km change", "target"],
        rows, "lllrlllrrrlrrrrlrl",
    )
    text += "\n### Data quality\n"
    for r in results:
        imp = r["imported"]
        skipped = [i for i in imp.issues if i.kind == "skipped"]
        warns = [i for i in imp.issues if i.kind == "warning"]
        far = [i for i in warns if i.what.startswith("far from")]
        overlaps = [i for i in warns if "before the previous stop" in i.what]
        text += (f"\n#### {r['authority']}\n\n{imp.total_rows} rows, layout {imp.layout}: {len(imp.rows)} used, "
                 f"{len(skipped)} skipped, {len(warns)} warning(s) ({len(far)} stop(s) far from the rest of their "
                 f"route, > {args.far_km:g} km and > 3x the route's typical spacing; {len(overlaps)} published "
                 "time(s) overlapping the previous stop).\n")
        if "case" in r:
            for note in r["case"].notes:
                text += f"\n- {note}\n"
        issues = aggregate(skipped) + aggregate(warns)
        if issues:
            text += "\n" + md_table(
                ["row", "", "what", "stop"],
                [[i.line if i.line is not None else "–", i.kind, i.what, i.detail] for i in issues[:MAX_ISSUES_LISTED]],
                "rlll",
            )
            if len(issues) > MAX_ISSUES_LISTED:
                text += f"\n... and {len(issues) - MAX_ISSUES_LISTED} more.\n"
        pub = r.get("pub")
        if pub is not None and pub.violations:
            text += "\nPublished plan, first rules broken under our travel model:\n\n"
            text += "".join(f"- {v}\n" for v in pub.violations[:10])
            if len(pub.violations) > 10:
                text += f"- ... and {len(pub.violations) - 10} more\n"
    return text


def _period_arg(values: list[str]) -> dict[str, int]:
    out = {}
    for v in values:
        name, sep, weeks = v.partition("=")
        if not sep or not weeks.isdigit() or int(weeks) < 1:
            raise SystemExit(f"--period expects AUTHORITY=WEEKS (e.g. norfolk=4), got {v!r}")
        out[name.strip().lower()] = int(weeks)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.uk",
        description="Check each published UK mobile-library timetable under our travel model, re-plan it with the "
        "product's solver at the same frequencies and stop durations, and compare.",
    )
    ap.add_argument("paths", nargs="+", help="timetable CSV files or folders (authorities.csv is skipped)")
    ap.add_argument("--limit", type=float, default=60.0, help="re-plan time limit per authority, s (default 60)")
    ap.add_argument("--keep-weekdays", action="store_true", help="keep every stop on its published weekday")
    ap.add_argument("--period", nargs="*", default=[], metavar="AUTHORITY=WEEKS",
                    help="override the published frequency of a file (name without .csv), e.g. norfolk=4")
    ap.add_argument("--ignore-dates", nargs="*", default=[], metavar="AUTHORITY",
                    help="place these files' route days by first free week, not by their dates (e.g. norfolk)")
    ap.add_argument("--keep-suspect-points", action="store_true",
                    help="keep rows whose coordinates are shared by several communities (default: skip them)")
    ap.add_argument("--far-km", type=float, default=FAR_KM, help=f"report stops this far from their route (default {FAR_KM:g})")
    ap.add_argument("--circuity", type=float, default=CIRCUITY, help=f"default {CIRCUITY:g}")
    ap.add_argument("--speed", type=float, default=SPEED_KMH, help=f"km/h, default {SPEED_KMH:g}")
    ap.add_argument("--break-minutes", type=int, default=45)
    ap.add_argument("--break-after", type=int, default=270, help="minutes on duty before a break (default 270)")
    ap.add_argument("--out", help="write the markdown report here (rewritten after every authority)")
    args = ap.parse_args(argv)
    args.period = _period_arg(args.period)
    args.ignore_dates = {a.strip().lower() for a in args.ignore_dates}
    clock = Clock()
    files = [p for p in expand_paths(args.paths, (".csv",)) if p.name.lower() != "authorities.csv"]
    if not files:
        ap.error("no timetable files")
    results: list[dict] = []
    for path in files:
        log(f"{path.stem}:")
        try:
            res = run_one(path, args)
        except Exception as exc:  # one broken file must not stop the others
            log(traceback.format_exc())
            res = {"authority": path.stem, "error": f"{type(exc).__name__}: {exc}",
                   "imported": read_authority(path)}
        results.append(res)
        if args.out:
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            Path(args.out).write_text(report(results, args, clock, False), encoding="utf-8")
    write_output(report(results, args, clock, True), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
