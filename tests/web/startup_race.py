"""Several processes starting the app at once on one database (the start-up race tests).

Real processes, as in production (web servers and ``routeplanner worker``
processes starting together), not threads: werkzeug compiles an AST for every
URL rule it adds, and CPython 3.11 counts the depth of that work per
interpreter, not per thread, so apps built in threads at once sometimes fail
with "SystemError: AST constructor recursion depth mismatch" (python/cpython
gh-106905 and kin; seen here on 3.11.7).
"""

from __future__ import annotations

import multiprocessing
import traceback


def _start(db_url: str, barrier, results) -> None:
    try:
        from routeplanner.web import create_app

        barrier.wait(60)
        app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": db_url, "LOAD_SAMPLE": True,
                          "START_RUNNER": False})
        app.extensions["routeplanner.engine"].dispose()
        results.put("")
    except BaseException:  # noqa: BLE001 - reported to the test
        results.put(traceback.format_exc())


def start_together(db_url: str, n: int = 4, timeout: float = 120) -> list[str]:
    """Start ``n`` apps at the same moment in ``n`` processes; the tracebacks of those that failed."""
    # forkserver: a clean process (no threads, no open connections of the test's) that imports the app
    # once, then forks each child from it
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["routeplanner.web", "startup_race"])
    barrier, results = ctx.Barrier(n), ctx.Queue()
    processes = [ctx.Process(target=_start, args=(db_url, barrier, results)) for _ in range(n)]
    for p in processes:
        p.start()
    try:
        outcomes = [results.get(timeout=timeout) for _ in processes]
    finally:
        for p in processes:
            p.join(timeout)
            if p.is_alive():
                p.kill()
    return [o for o in outcomes if o]
