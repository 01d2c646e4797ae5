"""The ``routeplanner`` command line: plan a timetable cycle, check any plan.

    routeplanner plan SCENARIO.toml [--json FILE] [--csv FILE] [--time-limit S] [--reproducible [N]]
                                    [--base PLAN.json [--replan keep|free]]
    routeplanner check SCENARIO.toml PLAN.json
    routeplanner validate SCENARIO.toml [--stops-out FILE]     (the checks before planning)
    routeplanner import-timetable SCENARIO.toml TIMETABLE.csv|.xlsx -o PLAN.json
    routeplanner export SCENARIO.toml PLAN.json FILE.xlsx|.csv|.geojson|.gpx|.pdf
    routeplanner serve [--host H] [--port P] [--no-runner]   (the web service)
    routeplanner worker                                       (background solves only)
    routeplanner db upgrade                                   (the database schema to this version)

Exit codes: 0 fine (``validate``: also with warnings), 1 the checker found violations, 2 bad input (every
problem is printed, with file, row, column, value and what was expected; the
first 100 of them, and how many more there are).  Input past a limit of
:mod:`routeplanner.limits` (a file too large, more than 2,000 stops, a time
limit over an hour, ...) is bad input too: it is refused before the work,
never by running out of memory.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from routeplanner.errors import InputError, RoutePlannerError

#: Improving solutions allowed in reproducible mode when no number is given.
DEFAULT_WORK_LIMIT = 2000


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="routeplanner",
        description="Plan and check mobile library (bookmobile) timetable cycles.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    plan = sub.add_parser("plan", help="optimise a timetable cycle for a scenario")
    plan.add_argument("scenario", help="scenario TOML file (see README: Inputs)")
    plan.add_argument("--json", metavar="FILE", help="write the plan as JSON (plan.schema.json)")
    plan.add_argument("--csv", metavar="FILE", help="write one row per visit as CSV")
    plan.add_argument("--time-limit", type=float, metavar="S", help="solver time limit in seconds (at most 3600)")
    plan.add_argument(
        "--reproducible",
        nargs="?",
        const=DEFAULT_WORK_LIMIT,
        type=int,
        metavar="N",
        help="bound the search by work (N units, default "
        f"{DEFAULT_WORK_LIMIT}) instead of time: the same input gives the same plan on any machine",
    )
    plan.add_argument(
        "--base", metavar="PLAN.json",
        help="re-plan from this published plan, changing as little of it as --replan allows",
    )
    plan.add_argument(
        "--replan", choices=("keep", "free"),
        help="with --base: keep (default: every stop whose visits still work keeps its day and time; "
        "others move only to make room) or free (optimise freely, and say what moved)",
    )
    plan.add_argument("--quiet", action="store_true", help="print only the totals")

    validate = sub.add_parser(
        "validate", help="read a scenario and print the warnings about its data before planning",
        description="Reads the scenario and its stops (geocoding addresses, see README: Geocoding) and prints "
        "what is probably a mistake: stops far outside the area of the others, two stops on one spot, rows with "
        "fewer fields than the header, frequencies the cycle cannot hold, loans beyond the vans, doubtful "
        "geocoding. Exit code 0 with or without warnings, 2 when the input is refused.",
    )
    validate.add_argument("scenario", help="scenario TOML file")
    validate.add_argument("--stops-out", metavar="FILE",
                          help="write the stops as read (geocoded coordinates filled in) to this CSV, to correct them")

    check = sub.add_parser("check", help="check any plan against a scenario and print KPIs and violations")
    check.add_argument("scenario", help="scenario TOML file")
    check.add_argument("plan", help="plan JSON file")

    imp = sub.add_parser(
        "import-timetable",
        help="read today's timetable (CSV or .xlsx) as a plan of the scenario, to check, compare or re-plan from",
        description="Read a timetable spreadsheet (stop, day, weeks or frequency, arrival, departure, vehicle; "
        "see README: Today's timetable) as a plan of SCENARIO: its stops and vans by name, id or coordinates, "
        "legs from the scenario's travel model. The plan is written as JSON for `check`, the compare page and "
        "`plan --base`.",
    )
    imp.add_argument("scenario", help="scenario TOML file")
    imp.add_argument("timetable", help="timetable file, CSV or Excel .xlsx")
    imp.add_argument("-o", "--output", metavar="PLAN.json", required=True, help="write the plan here as JSON")

    export = sub.add_parser(
        "export",
        help="write a plan as Excel, CSV, GeoJSON, GPX or the driver sheets' PDF (the format from FILE's extension)",
        description="Write PLAN (a plan of SCENARIO) to FILE; the extension picks the format: .xlsx (the "
        "timetable and a sheet per route-day), .csv (a row per visit), .geojson (RFC 7946, for a GIS), "
        ".gpx (a route per route-day, for a sat-nav), .pdf (the driver sheets).",
    )
    export.add_argument("scenario", help="scenario TOML file")
    export.add_argument("plan", help="plan JSON file")
    export.add_argument("file", help="the file to write: .xlsx, .csv, .geojson, .gpx or .pdf")

    serve = sub.add_parser(
        "serve",
        help="run the web service (waitress) with its background solves",
        description="Serve the web app and the JSON API. Settings come from ROUTEPLANNER_* "
        "(see routeplanner/config.py): by default SQLite in the instance folder, the sample scenario "
        "loaded into an empty database, one solve at a time in a separate process.",
    )
    serve.add_argument("--host", help="address to listen on (default: ROUTEPLANNER_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: ROUTEPLANNER_PORT or 5000)")
    serve.add_argument("--threads", type=int, default=8, help="request threads (default 8)")
    serve.add_argument(
        "--no-runner", action="store_true", help="do not run solves here; run `routeplanner worker` beside it"
    )

    worker = sub.add_parser(
        "worker",
        help="run queued solves only, in the foreground (beside `routeplanner serve --no-runner`; "
             "with ROUTEPLANNER_REDIS_URL, an RQ worker: start as many as you like, on any machine)",
    )
    worker.add_argument("--burst", action="store_true", help="with Redis: stop when the queue is empty")

    dbp = sub.add_parser("db", help="the service's database (ROUTEPLANNER_DATABASE_URL)")
    dbsub = dbp.add_subparsers(dest="db_command", required=True)
    dbsub.add_parser("upgrade", help="migrate the schema to this version (also done at every start)")

    roadsp = sub.add_parser("roads", help="road networks in the service's PostgreSQL ([travel] method = \"pgrouting\")")
    roadsub = roadsp.add_subparsers(dest="roads_command", required=True)
    imp = roadsub.add_parser("import", help="load an OpenStreetMap extract's roads (osmium, osm2pgrouting), "
                                            "replacing those loaded before")
    imp.add_argument("osm_pbf", help="the extract, .osm.pbf")
    return parser


def _plan(args: argparse.Namespace) -> int:
    from routeplanner import collation, limits
    from routeplanner.io import write_plan_json, write_visits_csv
    from routeplanner.report import format_timetable, format_totals
    from routeplanner.solver import solve

    if args.time_limit is not None and args.time_limit not in limits.TIME_LIMIT_S:
        most = limits.number(limits.MAX_TIME_LIMIT_S)
        raise InputError([_arg_problem("--time-limit", str(args.time_limit),
                                       f"a number of seconds > 0 and at most {most}")])
    if args.reproducible is not None and args.reproducible not in limits.WORK_LIMIT:
        raise InputError([_arg_problem("--reproducible", str(args.reproducible),
                                       f"a whole number > 0 and at most {limits.MAX_WORK_LIMIT:,}")])
    if args.replan is not None and args.base is None:
        raise InputError([_arg_problem("--replan", args.replan, "--base PLAN.json with it (the plan to re-plan from)")])
    scenario, warnings = _read_checked(args.scenario)
    _print_warnings(warnings, "before planning")
    replanned = None
    if args.base is not None:
        from routeplanner.io import read_plan_json
        from routeplanner.replan import replan

        base = read_plan_json(args.base)
        replanned = replan(scenario, base, mode=args.replan or "keep", time_limit_s=args.time_limit,
                           work_limit=args.reproducible)
        plan = replanned.plan
    else:
        plan = solve(scenario, time_limit_s=args.time_limit, work_limit=args.reproducible)
    if args.quiet:
        _print("\n".join(format_totals(plan.totals)))
    else:
        _print(format_timetable(plan, collation.scenario_language(scenario)))
    if replanned is not None:
        from routeplanner.replan import summary

        _print(summary(replanned))
    if args.json:
        write_plan_json(plan, args.json)
        print(f"plan written to {args.json}", file=sys.stderr)
    if args.csv:
        write_visits_csv(plan, args.csv)
        print(f"visits written to {args.csv}", file=sys.stderr)
    return 0


def _read_checked(path: str):
    """The scenario at ``path``, addresses geocoded with the ``ROUTEPLANNER_GEOCODER*`` settings
    and its ``[geocoding]``, and the warnings of the checks before planning."""
    from routeplanner.config import Settings
    from routeplanner.datachecks import ImportNotes, check_scenario
    from routeplanner.errors import Problem
    from routeplanner.io import load_scenario

    settings = Settings.from_env()
    wrong = settings.geocoding_problems()
    if wrong:
        raise InputError([Problem("environment", None, text.split("=", 1)[0], "", text) for text in wrong])
    notes = ImportNotes()
    scenario = load_scenario(path, geocoding=settings.geocoding(), notes=notes)
    return scenario, check_scenario(scenario, notes)


def _print_warnings(warnings, when: str) -> None:
    if not warnings:
        return
    n = len(warnings)
    lines = [f"routeplanner: {n} warning{'s' if n != 1 else ''} {when} (the plan is made all the same; "
             "correct the data if they are right):"]
    lines += [f"  - {w}" for w in warnings]
    _print("\n".join(lines), file=sys.stderr)


def _validate(args: argparse.Namespace) -> int:
    from routeplanner.io import write_stops_csv

    scenario, warnings = _read_checked(args.scenario)
    n = len(warnings)
    head = (f"{scenario.name}: {len(scenario.stops)} stops, depot {scenario.depot.name} "
            f"({scenario.depot.lat:g}, {scenario.depot.lon:g}), a {scenario.cycle.weeks}-week cycle, "
            f"{len(scenario.vehicles)} vehicle{'s' if len(scenario.vehicles) != 1 else ''}")
    if warnings:
        lines = [head, f"{n} warning{'s' if n != 1 else ''}: correct the data, or plan anyway if it is right"]
        lines += [f"  - {w}" for w in warnings]
    else:
        lines = [head, "no warnings: ready to plan"]
    _print("\n".join(lines))
    if args.stops_out:
        write_stops_csv(scenario.stops, args.stops_out)
        print(f"stops written to {args.stops_out}", file=sys.stderr)
    return 0


def _check(args: argparse.Namespace) -> int:
    from routeplanner.checker import check_plan, format_report
    from routeplanner.io import read_plan_json

    scenario, _warnings = _read_checked(args.scenario)  # addresses looked up as `plan` looked them up
    plan = read_plan_json(args.plan)
    report = check_plan(scenario, plan)
    _print(format_report(report))
    return 0 if report.ok else 1


def _import_timetable(args: argparse.Namespace) -> int:
    from routeplanner.imported import import_timetable
    from routeplanner.io import load_scenario, write_plan_json
    from routeplanner.io.timetable import read_timetable
    from routeplanner.report import format_totals

    scenario = load_scenario(args.scenario)
    imported = import_timetable(scenario, read_timetable(args.timetable))
    for note in imported.notes:
        _print(f"note: {note}", file=sys.stderr)
    plan = imported.plan
    lines = [f"Timetable {args.timetable}: {sum(1 for r in plan.routes if r.visits)} route-days"]
    lines += format_totals(plan.totals)
    if plan.unserved:
        lines.append(f"Not in the timetable: {', '.join(u.name for u in plan.unserved)}")
    _print("\n".join(lines))
    write_plan_json(plan, args.output)
    print(f"plan written to {args.output}; `routeplanner check {args.scenario} {args.output}` judges it",
          file=sys.stderr)
    return 0


def _export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from routeplanner.io import load_scenario, read_plan_json
    from routeplanner.io.exports import export_bytes, format_of

    fmt = format_of(args.file)  # an unknown extension is refused before anything is read
    scenario = load_scenario(args.scenario)
    plan = read_plan_json(args.plan)
    Path(args.file).write_bytes(export_bytes(plan, fmt, scenario))
    print(f"{fmt.what} written to {args.file}", file=sys.stderr)
    return 0


def _on_sigterm_exit() -> None:
    """Let SIGTERM end the process like Ctrl-C, so running solves are recorded as stopped."""
    import signal

    def _exit(_signum, _frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _exit)


def _serve(args: argparse.Namespace) -> int:
    import logging

    from waitress.server import create_server

    from routeplanner.config import Settings
    from routeplanner.web import create_app
    from routeplanner.web import jobs as web_jobs

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    app = create_app({"START_RUNNER": not args.no_runner})
    _on_sigterm_exit()
    try:
        server = create_server(app, host=host, port=port, threads=max(1, args.threads))
        print(f"routeplanner: serving on http://{host}:{server.effective_port}/  (Ctrl-C stops it)",
              file=sys.stderr, flush=True)
        server.run()  # returns on Ctrl-C or SIGTERM
    except KeyboardInterrupt:
        pass
    finally:
        web_jobs.stop_runner(app)
    return 0


def _worker(args: argparse.Namespace) -> int:
    import logging
    import signal
    import threading

    from routeplanner import jobs
    from routeplanner.config import Settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    if settings.redis_url:
        from routeplanner import rqueue
        from routeplanner.store import open_sessions

        print("routeplanner: solving jobs from the RQ queue (Ctrl-C stops)", file=sys.stderr)
        engine, _sessions = open_sessions(settings.database(create_folder=True))  # the schema, migrated once
        engine.dispose()
        rqueue.work(settings.redis_url, burst=args.burst)  # RQ handles SIGINT/SIGTERM itself
        return 0
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda _s, _f: stop.set())
    print("routeplanner: solving queued jobs (Ctrl-C stops)", file=sys.stderr)
    # No Flask app: the worker needs the store and the solver only.
    jobs.run_worker(settings.database(create_folder=True), settings.solve_workers, stop)
    return 0


def _db_upgrade(_args: argparse.Namespace) -> int:
    from sqlalchemy import text

    from routeplanner.config import Settings
    from routeplanner.store import open_sessions

    engine, sessions = open_sessions(Settings.from_env().database(create_folder=True))
    try:
        with sessions() as s:
            revision = s.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()
    print(f"routeplanner: the database is at schema revision {revision}", file=sys.stderr)
    return 0


def _roads_import(args: argparse.Namespace) -> int:
    from routeplanner.config import Settings
    from routeplanner.pgrouting import import_extract, postgresql_url

    url = postgresql_url(Settings.from_env().database())
    import_extract(url, args.osm_pbf)
    print(f"routeplanner: the roads of {args.osm_pbf} are in the database", file=sys.stderr)
    return 0


def _print(text: str, file=None) -> None:
    """Print text that holds names from the input: control characters shown, never run.

    The importers refuse them, but a plan file given to ``check`` is not
    theirs, and a terminal takes ``ESC [31m`` as an order.
    """
    from routeplanner.text import visible

    print(visible(text), file=file or sys.stdout)


def _arg_problem(option: str, value: str, expected: str):
    from routeplanner.errors import Problem

    return Problem("command line", None, option, value, expected)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "plan":
            return _plan(args)
        if args.command == "serve":
            return _serve(args)
        if args.command == "worker":
            return _worker(args)
        if args.command == "db":
            return _db_upgrade(args)
        if args.command == "validate":
            return _validate(args)
        if args.command == "import-timetable":
            return _import_timetable(args)
        if args.command == "export":
            return _export(args)
        if args.command == "roads":
            return _roads_import(args)
        return _check(args)
    except RoutePlannerError as exc:  # InputError among them: bad input
        _print(f"routeplanner: {exc}", file=sys.stderr)
        return 2
