"""Background solves: they never run in a web thread, nor in the web process.

A solve is a :class:`~routeplanner.store.JobRow`:
``queued -> running -> done | failed | cancelled``.

* :func:`submit` queues one (a re-plan too: a solve with a base plan of the same
  scenario, :mod:`routeplanner.replan`); :func:`request_cancel` asks to stop it;
  ``routeplanner.web.jobs.job_status`` is what pages and the API show while it runs.
* The **runner** is a daemon thread in the web process (or the foreground
  loop of ``routeplanner worker``).  It claims queued jobs atomically
  (``UPDATE ... WHERE status = 'queued'``: several web processes on one
  database never run a job twice) and runs each one in its own *spawned*
  process, up to ``SOLVE_WORKERS`` at once.  An OR-Tools solve holds the GIL
  for its whole run, so it must not share a process with the pages; and
  OR-Tools is imported only in that child, never in the web process.
* The child opens its own engine, loads the scenario, solves with a progress
  callback that writes phase, elapsed time, best cost and the best plan's
  figures (stops served, km, duty minutes, run k of n: ``figures``) to the job
  row (at most every :data:`PROGRESS_EVERY_S`), then stores the plan and marks the job
  done in ONE transaction, only if the job is still running (a cancelled or
  deleted job never gets a plan).
* Cancel: the runner sees ``cancel_requested`` and terminates the child.  A
  child that dies (killed, out of memory) leaves its job ``failed``; the
  scenario is never touched by a solve, so it is intact.
* Children die with the runner that started them (Linux parent-death signal,
  plus a parent check on every progress report): a server killed mid-solve
  leaves no orphan solve behind.

Restart recovery (chosen: **fail, never re-queue**).  The runner refreshes
``heartbeat_at`` of its running jobs every :data:`HEARTBEAT_EVERY_S`.  A
running job whose heartbeat is older than ``JOB_STALE_S`` (default
:data:`STALE_AFTER_S`) belongs to a server that is gone: :func:`init_app`
marks it failed with :data:`MSG_SERVER_STOPPED` at start, and every runner
keeps sweeping for such jobs, so a job orphaned by a quick restart is failed
within ``JOB_STALE_S`` too.  Going by the heartbeat rather than failing every
running job at start keeps the solves of other live web processes on the same
database alive.  Re-queueing was not chosen: a solve that took its server
down (memory) would take it down again, and a coordinator who sees "failed,
start again" knows where things stand.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from routeplanner import limits, store
from routeplanner.errors import InputError, Problem
from routeplanner.model import Plan, SolveProgress
from routeplanner.store import JobRow, PlanRow, ScenarioRow, utcnow

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
ACTIVE = (QUEUED, RUNNING)
FINISHED = (DONE, FAILED, CANCELLED)

#: The child writes progress to the job row at most this often.
PROGRESS_EVERY_S = 0.5
#: The runner refreshes the heartbeat of its running jobs this often.
HEARTBEAT_EVERY_S = 2.0
#: A running job whose heartbeat is older than this has lost its server.
STALE_AFTER_S = 20.0
#: How often the runner looks for work, cancels and dead children.
POLL_S = 0.25
#: Bounds of what a solve may ask for (routeplanner.limits: the same for the file and the request).
MAX_TIME_LIMIT_S = limits.MAX_TIME_LIMIT_S
MAX_WORK_LIMIT = limits.MAX_WORK_LIMIT
MAX_LABEL = 300



def N_(message: str) -> str:
    """Marks a message for the catalogue; it is stored in English and translated when shown."""
    return message


MSG_SERVER_STOPPED = N_("the server stopped during the solve; the scenario is intact — start the plan again")
MSG_CHILD_DIED = N_("the solve stopped unexpectedly (its worker process ended); the scenario is intact — "
                    "start the plan again")
MSG_INTERNAL = N_(
    "the solver failed with an internal error; the scenario is intact — start the plan again, "
    "and if it fails again tell the administrator (the details are in the server log)"
)
MSG_CANCELLED = N_("cancelled")
MSG_QUEUE_DOWN = N_("the solve queue (Redis) could not be reached; the scenario is intact — start the plan again")
_TRANSLATED = (MSG_SERVER_STOPPED, MSG_CHILD_DIED, MSG_INTERNAL, MSG_CANCELLED, MSG_QUEUE_DOWN)


class JobNotFound(LookupError):
    """No job, or no scenario to solve, with that id."""


# --- the public interface ------------------------------------------------------


def _limit_problems(time_limit_s: Any, work_limit: Any, label: Any) -> list[Problem]:
    problems = []
    if time_limit_s is not None and time_limit_s not in limits.TIME_LIMIT_S:
        problems.append(Problem("request", None, "time_limit_s", str(time_limit_s), limits.EXPECT_TIME_LIMIT))
    if work_limit is not None and (not isinstance(work_limit, int) or work_limit not in limits.WORK_LIMIT):
        problems.append(Problem("request", None, "work_limit", str(work_limit), limits.EXPECT_WORK_LIMIT))
    if not isinstance(label, str) or len(label) > MAX_LABEL:
        problems.append(Problem("request", None, "label", str(label)[:80], f"text of at most {MAX_LABEL} characters"))
    elif store.unstorable(label):
        problems.append(Problem("request", None, "label", store.UNSTORABLE.sub("?", label)[:80],
                                "text without control characters"))
    return problems


#: How a re-plan may treat its base plan (routeplanner.replan.MODES; not imported from there,
#: which would bring numpy into every web process for two words).
REPLAN_MODES = ("keep", "free")


def _replan_problems(s: Session, scenario_id: int, base_plan_id: Any, mode: Any) -> list[Problem]:
    """What is wrong with a re-plan's base and mode (empty: fine, or no re-plan asked for)."""
    if base_plan_id is None:
        if mode is not None:
            return [Problem("request", None, "replan", str(mode)[:80],
                            "base_plan_id with it (the plan to re-plan from), or no replan")]
        return []
    problems = []
    if mode is not None and mode not in REPLAN_MODES:
        problems.append(Problem("request", None, "replan", str(mode)[:80], " or ".join(REPLAN_MODES)))
    expected = f"the id of a plan of scenario {scenario_id}"
    if not isinstance(base_plan_id, int) or isinstance(base_plan_id, bool) or not store.valid_id(base_plan_id):
        return problems + [Problem("request", None, "base_plan_id", str(base_plan_id)[:80], expected)]
    base = s.get(PlanRow, base_plan_id)
    if base is None or base.scenario_id != scenario_id:
        # Another scenario's plan would keep stops of another timetable: never a base.
        problems.append(Problem("request", None, "base_plan_id", str(base_plan_id), expected))
    else:
        problems += _base_problems(base)
    return problems


def _base_problems(base: PlanRow) -> list[Problem]:
    """A stored plan that cannot be read back (written by an older version, say) is no base."""
    from routeplanner.io.planjson import plan_from_dict

    try:
        plan_from_dict(base.plan, f"plan {base.id}")
    except InputError as err:
        return [Problem("request", None, "base_plan_id", str(base.id),
                        f"a plan that can be read ({len(err.problems)} problem(s) in plan {base.id})")]
    return []


def stored_problems(row: ScenarioRow) -> list[Problem]:
    """The bounds of :mod:`routeplanner.limits` that a stored scenario breaks (empty: it can be planned)."""
    source = f"scenario {row.id}"
    unreadable = (KeyError, TypeError, ValueError, AttributeError)
    try:
        scenario = row.to_model()
    except unreadable as exc:
        # Name the stops that cannot be read (a frequency of 10^20, say), else the settings.
        problems = []
        for stop in row.stops:
            try:
                stop.to_model()
            except unreadable as stop_exc:
                problems.append(Problem(f"{source} stops", stop.position + 2, "", str(stop_exc)[:200],
                                        "a stop within the limits: correct it in the stops table"))
        return problems or [Problem(source, None, "", str(exc)[:200],
                                    "settings that can be read: correct them in the settings form")]
    return limits.scenario_problems(scenario, source, f"{source} stops")


def submit(
    s: Session,
    scenario_id: int,
    *,
    time_limit_s: float | None = None,
    work_limit: int | None = None,
    label: str = "",
    base_plan_id: int | None = None,
    replan: str | None = None,
) -> JobRow:
    """Queue a solve of the scenario (committed).  None limits: the scenario's own.

    With ``base_plan_id`` (a plan of the same scenario) the solve is a re-plan
    from it (:func:`routeplanner.replan.replan`) in mode ``replan`` (:data:`REPLAN_MODES`,
    "keep" when None).

    Raises :class:`JobNotFound` for an unknown scenario and
    :class:`~routeplanner.errors.InputError` for impossible limits or an impossible base
    (unknown, another scenario's, unreadable), nothing queued.
    """
    problems = _limit_problems(time_limit_s, work_limit, label)
    if problems:
        raise InputError(problems)
    scenario = s.get(ScenarioRow, scenario_id)
    if scenario is None:
        raise JobNotFound(f"scenario {scenario_id} not found")
    problems = _replan_problems(s, scenario_id, base_plan_id, replan)
    if problems:
        raise InputError(problems)
    # A solve is queued only when it can run: the scenario as stored (a
    # database written by an older version may hold a time limit of 1e12, or
    # 300 vans over 52 weeks) must be inside every bound, like an import.
    problems = stored_problems(scenario)
    if problems:
        raise InputError(problems)
    solver = (scenario.settings or {}).get("solver") or {}
    params = {
        "time_limit_s": float(time_limit_s if time_limit_s is not None else solver.get("time_limit_s") or 30.0),
        "work_limit": work_limit if work_limit is not None else solver.get("work_limit"),
        "label": label.strip(),
    }
    if base_plan_id is not None:
        params.update(base_plan_id=base_plan_id, replan=replan or "keep")
    job = JobRow(scenario_id=scenario_id, status=QUEUED, params=params, phase="", message="")
    s.add(job)
    s.commit()
    return job


def fail_queued(s: Session, job_id: int, message: str) -> JobRow:
    """Mark a queued job failed with ``message`` (committed): it could not be handed to a worker."""
    s.execute(update(JobRow).where(JobRow.id == job_id, JobRow.status == QUEUED)
              .values(status=FAILED, message=message, finished_at=utcnow(), phase=""))
    s.commit()
    job = s.get(JobRow, job_id, populate_existing=True)
    assert job is not None
    return job


def request_cancel(s: Session, job_id: int) -> JobRow:
    """Ask a job to stop (committed).  A queued job is cancelled at once, a
    running one by its runner within a moment; a finished job is left as it is.

    Raises :class:`JobNotFound` for an unknown job.
    """
    if s.get(JobRow, job_id) is None:
        raise JobNotFound(f"job {job_id} not found")
    now = utcnow()
    s.execute(
        update(JobRow)
        .where(JobRow.id == job_id, JobRow.status == QUEUED)
        .values(status=CANCELLED, cancel_requested=True, finished_at=now, message=MSG_CANCELLED, phase="")
    )
    s.execute(update(JobRow).where(JobRow.id == job_id, JobRow.status == RUNNING).values(cancel_requested=True))
    s.commit()
    job = s.get(JobRow, job_id, populate_existing=True)
    assert job is not None
    return job


# --- recovery --------------------------------------------------------------------


def recover_stale(s: Session, stale_after_s: float, keep: set[int] | frozenset[int] = frozenset()) -> list[int]:
    """Fail every running job whose heartbeat is older than ``stale_after_s``
    (its server is gone), except ``keep``.  Returns their ids (committed)."""
    cutoff = utcnow() - timedelta(seconds=stale_after_s)
    ids = [
        jid
        for jid, beat, started in s.execute(
            select(JobRow.id, JobRow.heartbeat_at, JobRow.started_at).where(JobRow.status == RUNNING)
        )
        if jid not in keep and (beat or started or datetime.min) < cutoff
    ]
    done = []
    for jid in ids:
        res = s.execute(
            update(JobRow)
            .where(JobRow.id == jid, JobRow.status == RUNNING)
            .values(status=FAILED, message=MSG_SERVER_STOPPED, finished_at=utcnow())
        )
        if res.rowcount:
            done.append(jid)
    s.commit()
    if done:
        log.warning("jobs %s had lost their server and are marked failed", done)
    return done


# --- the runner --------------------------------------------------------------------


class Runner:
    """Claims queued jobs and runs each in a spawned child process."""

    def __init__(
        self,
        url: str,
        sessions: Callable[[], Session],
        workers: int = 1,
        *,
        poll_s: float = POLL_S,
        stale_after_s: float = STALE_AFTER_S,
    ):
        self.url = url
        self.sessions = sessions
        self.workers = max(1, int(workers))
        self.poll_s = poll_s
        self.stale_after_s = stale_after_s
        self._ctx = multiprocessing.get_context("spawn")
        self._active: dict[int, Any] = {}  # job id -> multiprocessing.Process
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_beat = 0.0
        self._last_sweep = 0.0

    # lifecycle
    def start(self) -> "Runner":
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self.run_forever, name="routeplanner-runner", daemon=True)
            self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming, end the children, mark their jobs failed."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._thread = None
        self._shutdown_children()

    def pids(self) -> dict[int, int]:
        """Job id -> pid of its child process (for tests and diagnostics)."""
        return {jid: p.pid for jid, p in list(self._active.items()) if p.pid is not None}

    def run_forever(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # a database hiccup must not end the runner
                log.exception("solve runner: tick failed; trying again")
                self._stop.wait(2.0)
            self._stop.wait(self.poll_s)

    def run_one(self, job_id: int) -> str | None:
        """Claim job ``job_id`` (if it is still queued), solve it in a child and supervise it to its
        end, in the foreground: how an RQ worker runs a job (:mod:`routeplanner.rqueue`).  Returns the
        job's final status, or None when it was not queued (cancelled, or taken by another worker)."""
        with self.sessions() as s:
            if self._claim(s, job_id) is None:
                return None
            self._spawn(s, job_id)
        try:
            while self._active and not self._stop.is_set():
                self.tick(claim=False)
                self._stop.wait(self.poll_s)
        finally:
            self._shutdown_children()
        with self.sessions() as s:
            return s.scalar(select(JobRow.status).where(JobRow.id == job_id))

    # one round
    def tick(self, claim: bool = True) -> None:
        with self.sessions() as s:
            self._supervise(s)
            now = time.monotonic()
            if self._active and now - self._last_beat >= HEARTBEAT_EVERY_S:
                s.execute(
                    update(JobRow)
                    .where(JobRow.id.in_(list(self._active)), JobRow.status == RUNNING)
                    .values(heartbeat_at=utcnow())
                )
                s.commit()
                self._last_beat = now
            if now - self._last_sweep >= min(5.0, self.stale_after_s / 2):
                recover_stale(s, self.stale_after_s, keep=set(self._active))
                self._last_sweep = now
            while claim and len(self._active) < self.workers and not self._stop.is_set():
                job_id = self._claim(s)
                if job_id is None:
                    break
                self._spawn(s, job_id)

    def _supervise(self, s: Session) -> None:
        if not self._active:
            return
        rows = {
            jid: (status, cancel)
            for jid, status, cancel in s.execute(
                select(JobRow.id, JobRow.status, JobRow.cancel_requested).where(JobRow.id.in_(list(self._active)))
            )
        }
        for jid, proc in list(self._active.items()):
            state = rows.get(jid)
            if state is None:  # deleted with its scenario
                _end(proc)
                del self._active[jid]
                continue
            status, cancel = state
            if not proc.is_alive():
                proc.join(0.1)
                code = proc.exitcode
                del self._active[jid]
                if status == RUNNING:
                    _finish(s, jid, FAILED, MSG_CHILD_DIED)
                    how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
                    log.error("job %s: worker process ended (%s) without finishing", jid, how)
                continue
            if status != RUNNING:  # finished meanwhile: the child is exiting
                continue
            if cancel:
                _end(proc)
                del self._active[jid]
                _finish(s, jid, CANCELLED, MSG_CANCELLED)
                log.info("job %s cancelled", jid)

    def _claim(self, s: Session, job_id: int | None = None) -> int | None:
        """The oldest queued job (or ``job_id``), marked running by this runner; None if there is none."""
        for _ in range(5):
            wanted = select(JobRow.id).where(JobRow.status == QUEUED)
            if job_id is not None:
                wanted = wanted.where(JobRow.id == job_id)
            jid = s.scalar(wanted.order_by(JobRow.id).limit(1))
            if jid is None:
                return None
            now = utcnow()
            res = s.execute(
                update(JobRow)
                .where(JobRow.id == jid, JobRow.status == QUEUED)
                .values(
                    status=RUNNING,
                    started_at=now,
                    heartbeat_at=now,
                    attempts=JobRow.attempts + 1,
                    phase="starting",
                    message="",
                )
            )
            s.commit()
            if res.rowcount == 1:
                return jid
        return None

    def _spawn(self, s: Session, job_id: int) -> None:
        proc = self._ctx.Process(
            target=child_main,
            args=(self.url, job_id, os.getpid()),
            name=f"routeplanner-solve-{job_id}",
            daemon=True,
        )
        try:
            proc.start()
        except Exception:
            log.exception("job %s: could not start a worker process", job_id)
            _finish(s, job_id, FAILED, MSG_INTERNAL)
            return
        self._active[job_id] = proc
        log.info("job %s: solving in process %s", job_id, proc.pid)

    def _shutdown_children(self) -> None:
        active, self._active = self._active, {}
        if not active:
            return
        for proc in active.values():
            _end(proc)
        try:
            with self.sessions() as s:
                for jid in active:
                    _finish(s, jid, FAILED, MSG_SERVER_STOPPED)
        except Exception:  # the database may be gone at exit; recovery handles it
            log.exception("solve runner: could not mark stopped jobs failed")


def _end(proc) -> None:
    if proc.is_alive():
        proc.terminate()
        proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join(5)
    else:
        proc.join(0.1)


def _finish(s: Session, job_id: int, status: str, message: str) -> bool:
    res = s.execute(
        update(JobRow)
        .where(JobRow.id == job_id, JobRow.status == RUNNING)
        .values(status=status, message=message, finished_at=utcnow())
    )
    s.commit()
    return bool(res.rowcount)


# --- the child process ------------------------------------------------------------


def _die_with_parent(parent_pid: int) -> None:
    """End this process when the runner that started it ends (Linux)."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except Exception:  # not Linux: the progress callback checks the parent instead
        pass
    if os.getppid() != parent_pid:
        os._exit(1)


def child_main(url: str, job_id: int, parent_pid: int) -> None:
    """Entry point of a solve process: solve job ``job_id`` of the database at ``url``."""
    _die_with_parent(parent_pid)
    import signal

    # Ctrl-C in the server's terminal reaches the whole process group; the
    # server ends its children itself, so the solve must not fail on its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s [solve %(process)d] %(message)s")
    engine = store.make_engine(url)
    sessions = sessionmaker(engine, expire_on_commit=False)
    try:
        _solve_job(sessions, job_id, parent_pid)
    except BaseException as exc:  # noqa: BLE001 - the job must end in a state
        if isinstance(exc, InputError):
            message = "the scenario cannot be planned: " + "; ".join(str(p) for p in exc.problems)
            log.warning("job %s: %s", job_id, message)
        else:
            message = MSG_INTERNAL
            log.exception("job %s: the solve failed", job_id)
        try:
            with sessions() as s:
                _finish(s, job_id, FAILED, message)
        except Exception:
            log.exception("job %s: could not record the failure", job_id)
    finally:
        engine.dispose()


def progress_figures(p: SolveProgress) -> dict[str, Any]:
    """What a job row keeps of a progress report beside the phase, time and cost (``JobRow.figures``)."""
    out: dict[str, Any] = {"run": p.run, "runs": p.runs}
    if p.stops_served is not None:
        out["stops_served"] = p.stops_served
    if p.distance_km is not None:
        out["distance_km"] = round(p.distance_km, 1)
    if p.duty_minutes is not None:
        out["duty_minutes"] = round(p.duty_minutes)
    return out


def plan_figures(plan: Plan) -> dict[str, Any]:
    """The same figures of the finished plan (:func:`progress_figures`)."""
    duty = sum(r.end_min - r.start_min for r in plan.routes if r.visits)
    return {"stops_served": plan.totals.stops_served, "stops_total": plan.totals.stops_total,
            "distance_km": round(plan.totals.distance_km, 1), "duty_minutes": round(duty)}


def _solve_job(sessions: Callable[[], Session], job_id: int, parent_pid: int) -> None:
    from routeplanner.io.jsonform import scenario_to_dict
    from routeplanner.io.planjson import plan_from_dict, plan_to_dict
    from routeplanner.replan import replan
    from routeplanner.solver import solve  # OR-Tools: here, in the child, only

    with sessions() as s:
        job = s.get(JobRow, job_id)
        if job is None or job.status != RUNNING:
            return
        row = s.get(ScenarioRow, job.scenario_id)
        if row is None:
            return
        # Checked again here: a job queued by an older version never passed submit().
        problems = stored_problems(row)
        params = dict(job.params or {})
        problems += _limit_problems(params.get("time_limit_s"), params.get("work_limit"), params.get("label") or "")
        base = None
        if params.get("base_plan_id") is not None:
            # Checked again: the base may have been deleted since (a published one is kept).
            replan_problems = _replan_problems(s, row.id, params["base_plan_id"], params.get("replan"))
            problems += replan_problems
            if not replan_problems:
                base = plan_from_dict(s.get(PlanRow, params["base_plan_id"]).plan,
                                      f"plan {params['base_plan_id']}")
        if problems:
            raise InputError(problems)
        scenario = row.to_model()
        scenario_id = row.id

    last = [0.0]
    figures: dict[str, Any] = {"stops_total": len(scenario.stops)}

    def progress(p: SolveProgress) -> None:
        if os.getppid() != parent_pid:  # the runner is gone: so is the point of solving
            os._exit(1)
        figures.update(progress_figures(p))
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY_S:
            return
        last[0] = now
        try:
            with sessions() as ps:
                ps.execute(
                    update(JobRow)
                    .where(JobRow.id == job_id, JobRow.status == RUNNING)
                    .values(phase=p.phase, elapsed_s=round(float(p.elapsed_s), 3), best_cost=int(p.cost),
                            figures=dict(figures), heartbeat_at=utcnow())
                )
                ps.commit()
        except Exception:  # progress is a nicety; never let it break the solve
            log.exception("job %s: could not write progress", job_id)

    _write(sessions, job_id, phase="travel matrix")
    if base is None:
        plan = solve(
            scenario,
            time_limit_s=params.get("time_limit_s"),
            work_limit=params.get("work_limit"),
            progress=progress,
        )
    else:
        # The rounds of a re-plan share the limits; the plan lists what moved (plan.changes).
        plan = replan(
            scenario,
            base,
            mode=params.get("replan") or "keep",
            time_limit_s=params.get("time_limit_s"),
            work_limit=params.get("work_limit"),
            progress=progress,
        ).plan
    document = plan_to_dict(plan)
    t = plan.totals
    with sessions() as s:
        prow = PlanRow(
            scenario_id=scenario_id,
            label=params.get("label") or "",
            plan=document,
            scenario_snapshot=scenario_to_dict(scenario),
            params={**params, "job_id": job_id},
            solver_version=plan.info.solver,
            run_time_s=plan.info.run_time_s,
            distance_km=float(t.distance_km),
            stops_served=int(t.stops_served),
            stops_total=int(t.stops_total),
            loans_served=float(t.loans_served),
            loans_total=float(t.loans_total),
        )
        s.add(prow)
        s.flush()
        res = s.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.status == RUNNING)
            .values(
                status=DONE,
                plan_id=prow.id,
                phase="done",
                elapsed_s=float(plan.info.run_time_s),
                best_cost=plan.info.objective,
                figures={**figures, **plan_figures(plan)},
                finished_at=utcnow(),
                heartbeat_at=utcnow(),
                message="",
            )
        )
        if res.rowcount != 1:  # cancelled, failed or deleted meanwhile: no plan
            s.rollback()
            log.info("job %s: no longer running; its plan is discarded", job_id)
            return
        s.commit()
        log.info("job %s: done, plan %s", job_id, prow.id)


def _write(sessions: Callable[[], Session], job_id: int, **values: Any) -> None:
    with sessions() as s:
        s.execute(update(JobRow).where(JobRow.id == job_id, JobRow.status == RUNNING).values(heartbeat_at=utcnow(), **values))
        s.commit()


def run_worker(url: str, workers: int = 1, stop: threading.Event | None = None, *, poll_s: float = POLL_S,
               stale_after_s: float = STALE_AFTER_S) -> None:
    """The runner loop in the foreground (``routeplanner worker``) on the database at ``url``,
    for a deployment whose web processes run without a runner.  No Flask: it opens the store itself."""
    engine, sessions = store.open_sessions(url)
    with sessions() as s:
        recover_stale(s, stale_after_s)
    runner = Runner(url, sessions, workers, poll_s=poll_s, stale_after_s=stale_after_s)
    if stop is not None:
        runner._stop = stop
    try:
        runner.run_forever()
    finally:
        runner.stop()
        engine.dispose()
