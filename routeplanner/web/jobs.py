"""Solves in the Flask app: the runner thread started with the app, and a job's status as pages show it.

The jobs themselves (queueing, the runner, the solve process) are
:mod:`routeplanner.jobs`, which needs no Flask.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask

from routeplanner.jobs import _TRANSLATED, DONE, POLL_S, QUEUED, RUNNING, STALE_AFTER_S, Runner, recover_stale
from routeplanner.store import JobRow, utcnow
from routeplanner.web import db


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"


def _shown(message: str) -> str:
    if message in _TRANSLATED:
        from flask_babel import gettext

        return gettext(message)
    return message


def best_text(figures: dict[str, Any]) -> str:
    """The best plan so far in a librarian's words: "51 of 53 stops, 612.8 km, 38 h 20 min on duty · run 2 of 3".

    Empty before the solver has a complete plan.
    """
    from flask_babel import gettext, ngettext

    from routeplanner.web.pages_text import duration, num

    parts = []
    if figures.get("stops_served") is not None and figures.get("distance_km") is not None:
        total = figures.get("stops_total")
        stops = (gettext("%(served)d of %(total)d stops", served=figures["stops_served"], total=total)
                 if total is not None else ngettext("%(num)d stop", "%(num)d stops", figures["stops_served"]))
        parts.append(gettext("%(stops)s, %(km)s km, %(duty)s on duty", stops=stops, km=num(figures["distance_km"]),
                             duty=duration(figures.get("duty_minutes"))))
    if (figures.get("runs") or 1) > 1:
        parts.append(gettext("run %(run)d of %(runs)d", run=figures["run"], runs=figures["runs"]))
    return " · ".join(parts)


def job_status(job: JobRow) -> dict[str, Any]:
    """What a progress bar needs, JSON-able.

    ``elapsed_s`` is wall-clock time since the job started (it moves even
    while the solver finds nothing better, and never goes back); ``progress`` is
    that as a share of the time limit (None in work-limit mode).  The best plan
    so far is in ``stops_served``, ``distance_km``, ``duty_minutes``, ``run`` of
    ``runs``, and in words in ``best_text`` (``best_cost`` is the solver's own
    measure, for benchmarks).
    """
    params = job.params or {}
    limit = params.get("time_limit_s")
    elapsed = float(job.elapsed_s or 0.0)
    if job.started_at is not None and job.status != QUEUED:
        end = job.finished_at if job.finished_at is not None else utcnow()
        elapsed = max(elapsed, (end - job.started_at).total_seconds())
    progress: float | None
    if job.status == DONE:
        progress = 1.0
    elif job.status == QUEUED or not limit or params.get("work_limit"):
        progress = 0.0 if job.status == QUEUED else None
    else:
        progress = round(min(0.99, elapsed / float(limit)), 3) if job.status == RUNNING else None
    figures = job.figures or {}
    return {
        "id": job.id,
        "scenario_id": job.scenario_id,
        "status": job.status,
        "phase": job.phase or "",
        "elapsed_s": round(elapsed, 1),
        "time_limit_s": limit,
        "work_limit": params.get("work_limit"),
        "label": params.get("label", ""),
        "base_plan_id": params.get("base_plan_id"),
        "replan": params.get("replan"),
        "best_cost": job.best_cost,
        "run": figures.get("run"),
        "runs": figures.get("runs"),
        "stops_served": figures.get("stops_served"),
        "stops_total": figures.get("stops_total"),
        "distance_km": figures.get("distance_km"),
        "duty_minutes": figures.get("duty_minutes"),
        "best_text": best_text(figures),
        "progress": progress,
        "message": _shown(job.message or ""),
        "cancel_requested": bool(job.cancel_requested),
        "plan_id": job.plan_id,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
    }


# --- wiring ---------------------------------------------------------------------------


def dispatcher(app: Flask):
    """What hands a queued job to the workers: RQ when the app has a Redis URL, else None
    (the app's own runner finds queued jobs in the database)."""
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    from routeplanner import rqueue  # only a deployment with Redis needs RQ loaded

    return rqueue.dispatcher(url)


def get_runner(app: Flask) -> Runner | None:
    return app.extensions.get("routeplanner.runner")


def start_runner(app: Flask) -> Runner:
    """Start (or return) the app's runner thread."""
    runner = get_runner(app)
    if runner is None:
        runner = Runner(
            app.config["DATABASE_URL"],
            app.extensions["routeplanner.sessions"],
            app.config.get("SOLVE_WORKERS", 1),
            poll_s=float(app.config.get("JOB_POLL_S", POLL_S)),
            stale_after_s=float(app.config.get("JOB_STALE_S", STALE_AFTER_S)),
        )
        app.extensions["routeplanner.runner"] = runner
    return runner.start()


def stop_runner(app: Flask) -> None:
    runner = app.extensions.pop("routeplanner.runner", None)
    if runner is not None:
        runner.stop()


def init_app(app: Flask) -> None:
    """Recover jobs lost with a previous server, then start the runner if asked."""
    app.config.setdefault("JOB_STALE_S", STALE_AFTER_S)
    app.config.setdefault("JOB_POLL_S", POLL_S)
    with db.new_session(app) as s:
        recover_stale(s, float(app.config["JOB_STALE_S"]))
    if app.config.get("START_RUNNER") and not app.config.get("REDIS_URL"):
        start_runner(app)  # with Redis, `routeplanner worker` processes solve (routeplanner.rqueue)
