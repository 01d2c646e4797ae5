"""The ``routeplanner`` command line: plan a timetable cycle, check any plan.

    routeplanner plan SCENARIO.toml [--json FILE] [--csv FILE] [--time-limit S] [--reproducible [N]]
                                    [--base PLAN.json [--replan keep|free]]
    routeplanner check SCENARIO.toml PLAN.json
    routeplanner serve [--host H] [--port P] [--no-runner]   (the web service)
    routeplanner worker                                       (background solves only)
    routeplanner db upgrade                                   (the database schema to this version)

Exit codes: 0 fine, 1 the checker found violations, 2 bad input (every
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

    check = sub.add_parser("check", help="check any plan against a scenario and print KPIs and violations")
    check.add_argument("scenario", help="scenario TOML file")
    check.add_argument("plan", help="plan JSON file")

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

    sub.add_parser(
        "worker",
        help="run queued solves only, in the foreground (beside `routeplanner serve --no-runner`)",
    )

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
    from routeplanner.io import load_scenario, write_plan_json, write_visits_csv
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
    scenario = load_scenario(args.scenario)
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


def _check(args: argparse.Namespace) -> int:
    from routeplanner.checker import check_plan, format_report
    from routeplanner.io import load_scenario, read_plan_json

    scenario = load_scenario(args.scenario)
    plan = read_plan_json(args.plan)
    report = check_plan(scenario, plan)
    _print(format_report(report))
    return 0 if report.ok else 1


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
        if args.command == "roads":
            return _roads_import(args)
        return _check(args)
    except RoutePlannerError as exc:  # InputError among them: bad input
        _print(f"routeplanner: {exc}", file=sys.stderr)
        return 2
