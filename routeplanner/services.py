"""The service's use cases, each rule in one place: plain Python over the model and the store.

The JSON API (``web/api.py``) and the pages (``web/pages_*.py``) are
adapters: they turn a request into a :class:`~routeplanner.model.Scenario`
(through the importers) or a name, call a function here, and turn its
result or its :class:`~routeplanner.errors.InputError` into JSON or HTML.
Nothing here knows Flask; the session is the caller's (one per request).

* :func:`create_scenario`, :func:`copy_scenario`, :func:`save_scenario`
  (new settings, or a new stops table): what may be stored
  (:func:`storage_problems`, :func:`copy_name`) is checked here, for every
  entry point alike;
* :func:`start_solve`: a solve, or a re-plan from a base plan, queued for the worker (:mod:`routeplanner.jobs`);
* :func:`import_plan`: today's timetable, uploaded, stored as a plan of the scenario
  (:mod:`routeplanner.imported`), to check, compare and re-plan from like any other;
* :func:`publish_plan`, :func:`published`, :func:`delete_plan`: which plan
  patrons see from which date, and keeping a published plan from being deleted.

Messages are English, as every problem the importers report; the adapters
translate what they show.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from routeplanner import jobs, store
from routeplanner.errors import InputError, Problem
from routeplanner.model import Scenario
from routeplanner.store import MAX_NAME, MAX_STOP_ID, MAX_STOP_NAME, JobRow, PlanRow, PublicationRow, ScenarioRow

log = logging.getLogger(__name__)

#: How long a value is shown in a problem.
_SHOWN = 60


def _row(i: int) -> int:
    return i + 2  # the stops table's header is row 1


def storage_problems(scenario: Scenario, source: str, stops_file: str,
                     row_of: Callable[[int], int] = _row) -> list[Problem]:
    """What the storage columns cannot hold (the importers have refused control characters
    already): names and ids longer than their columns.  ``row_of(i)``: the row of stop ``i``
    as the user sees it (the spreadsheet's row by default; the editor's row on the pages)."""
    problems = []
    if len(scenario.name) > MAX_NAME:
        problems.append(Problem(source, None, "name", scenario.name[:_SHOWN] + "…",
                                f"a name of at most {MAX_NAME} characters"))
    for i, stop in enumerate(scenario.stops):
        if len(stop.id) > MAX_STOP_ID:
            problems.append(Problem(stops_file, row_of(i), "id", stop.id[:_SHOWN] + "…",
                                    f"an id of at most {MAX_STOP_ID} characters"))
        if len(stop.name) > MAX_STOP_NAME:
            problems.append(Problem(stops_file, row_of(i), "name", stop.name[:_SHOWN] + "…",
                                    f"a name of at most {MAX_STOP_NAME} characters"))
    return problems


def copy_name(requested: object, default: str, source: str = "request") -> str:
    """The name of a copy: ``requested`` stripped, or ``default`` (such as "X (copy)", cut to
    fit) when it is None.  Raises :class:`InputError` for a name that is blank or cannot be
    stored.  (A form field left empty is no name given: the pages pass None for it.)"""
    if requested is None:
        return default.strip()[:MAX_NAME]
    if not isinstance(requested, str) or not requested.strip() or len(requested.strip()) > MAX_NAME:
        shown = requested[:_SHOWN] + "…" if isinstance(requested, str) else repr(requested)[:_SHOWN]
        raise InputError([Problem(source, None, "name", shown, f"a name of 1 to {MAX_NAME} characters")])
    if store.unstorable(requested):
        raise InputError([Problem(source, None, "name", store.UNSTORABLE.sub("?", requested)[:_SHOWN],
                                  "text without control characters")])
    return requested.strip()


def _check(scenario: Scenario, source: str, stops_file: str, row_of: Callable[[int], int]) -> None:
    problems = storage_problems(scenario, source, stops_file, row_of)
    if problems:
        raise InputError(problems)


def create_scenario(s: Session, scenario: Scenario, *, source: str = "scenario", stops_file: str = "stops",
                    row_of: Callable[[int], int] = _row) -> ScenarioRow:
    """Store a new scenario (committed); :class:`InputError` when it cannot be stored."""
    _check(scenario, source, stops_file, row_of)
    row = ScenarioRow()
    row.set_from_model(scenario)
    s.add(row)
    s.commit()
    return row


def copy_scenario(s: Session, source_row: ScenarioRow, name: str) -> ScenarioRow:
    """A copy of a stored scenario under ``name`` (from :func:`copy_name`), committed."""
    row = ScenarioRow(copied_from_id=source_row.id)
    row.set_from_model(source_row.to_model())
    row.name = name
    s.add(row)
    s.commit()
    return row


def save_scenario(s: Session, row: ScenarioRow, scenario: Scenario, *, expected_version: int | None = None,
                  source: str = "scenario", stops_file: str = "stops",
                  row_of: Callable[[int], int] = _row) -> ScenarioRow:
    """Replace a stored scenario's settings and stops (committed), checking the version the
    writer read (:class:`~routeplanner.store.Conflict`) and what storage holds (:class:`InputError`)."""
    _check(scenario, source, stops_file, row_of)
    return store.save_scenario(s, row, scenario, expected_version=expected_version)


def start_solve(s: Session, scenario_id: int, *, time_limit_s: float | None = None, work_limit: int | None = None,
                label: str = "", base_plan_id: int | None = None, replan: str | None = None,
                dispatch: Callable[[int], None] | None = None) -> JobRow:
    """Queue a solve of a stored scenario for the worker (committed): :func:`routeplanner.jobs.submit`.

    With ``base_plan_id`` it is a re-plan from that plan of the same scenario, in mode
    ``replan`` ("keep", the default, or "free").  ``dispatch`` hands the queued job to the
    workers (RQ, :func:`routeplanner.rqueue.dispatcher`); None: the embedded runner finds it.
    A job that cannot be handed over is failed at once with the reason."""
    job = jobs.submit(s, scenario_id, time_limit_s=time_limit_s, work_limit=work_limit, label=label,
                      base_plan_id=base_plan_id, replan=replan)
    if dispatch is not None:
        try:
            dispatch(job.id)
        except Exception:  # Redis down or refusing: the job must not wait for nobody
            log.exception("job %s: could not be queued for the workers", job.id)
            job = jobs.fail_queued(s, job.id, jobs.MSG_QUEUE_DOWN)
    return job


@dataclass
class ImportedPlan:
    row: PlanRow
    notes: list  # routeplanner.io.timetable.Note: readings worth a look


def import_plan(s: Session, scenario_row: ScenarioRow, data: bytes, filename: str, label: str = "") -> ImportedPlan:
    """Store today's timetable (the bytes of a CSV or .xlsx file) as a plan of the scenario (committed).

    :class:`InputError` with every problem of the file, its stops and its vans,
    and nothing stored.  The plan's ``params`` say where it came from
    (``{"imported": filename}``), and its scenario snapshot is the scenario as it is now.
    """
    from routeplanner.imported import import_timetable
    from routeplanner.io.jsonform import scenario_to_dict
    from routeplanner.io.planjson import plan_to_dict
    from routeplanner.io.timetable import read_timetable_bytes

    if len(label) > store.MAX_NAME or store.unstorable(label):
        raise InputError([Problem("request", None, "label", label[:_SHOWN],
                                  f"a label of at most {store.MAX_NAME} characters, without control characters")])
    scenario = scenario_row.to_model()
    imported = import_timetable(scenario, read_timetable_bytes(data, filename))
    plan = imported.plan
    t = plan.totals
    row = PlanRow(
        scenario_id=scenario_row.id, label=label, plan=plan_to_dict(plan), scenario_snapshot=scenario_to_dict(scenario),
        params={"imported": filename}, solver_version=plan.info.solver, run_time_s=0.0,
        distance_km=float(t.distance_km), stops_served=int(t.stops_served), stops_total=int(t.stops_total),
        loans_served=float(t.loans_served), loans_total=float(t.loans_total),
    )
    s.add(row)
    s.commit()
    return ImportedPlan(row, imported.notes)


# --- publishing ----------------------------------------------------------------------------


def publish_plan(s: Session, plan: PlanRow, effective_from: date) -> PublicationRow:
    """Publish a stored plan to its scenario's patrons from ``effective_from`` on (committed).

    The scenario's stable addresses follow it from that date; a publication made
    earlier that has not taken effect by then is replaced by this one
    (:func:`published`).  Publishing needs a plan that visits at least one stop.
    """
    if not any((route.get("visits") or []) for route in (plan.plan or {}).get("routes") or []):
        raise InputError([Problem("publish", None, "plan_id", str(plan.id), "a plan that visits at least one stop")])
    row = PublicationRow(scenario_id=plan.scenario_id, plan_id=plan.id, effective_from=effective_from)
    s.add(row)
    s.commit()
    return row


@dataclass
class Published:
    """What a scenario's patrons see on a date: the publication in effect (None before the first
    takes effect) and the one that replaces it later (None when there is none)."""

    current: PublicationRow | None
    upcoming: PublicationRow | None

    @property
    def shown(self) -> PublicationRow | None:
        """What the stable addresses show: the publication in effect, else the first one to come."""
        return self.current or self.upcoming


def published(s: Session, scenario_id: int, today: date) -> Published:
    """The publication in effect on ``today``: the newest (highest id) that has taken effect by
    then; and the upcoming one: the newest publication after it that has not yet."""
    rows = list(s.scalars(select(PublicationRow).where(PublicationRow.scenario_id == scenario_id)
                          .order_by(PublicationRow.id)))
    in_effect = [r for r in rows if r.effective_from <= today]
    current = in_effect[-1] if in_effect else None
    later = [r for r in rows if r.effective_from > today and (current is None or r.id > current.id)]
    return Published(current, later[-1] if later else None)


class PlanPublished(Exception):
    """A plan that has been published is kept: patrons' timetables and calendars were made from it."""

    def __init__(self, plan_id: int):
        super().__init__(f"plan {plan_id} has been published and is kept")
        self.plan_id = plan_id


def delete_plan(s: Session, plan: PlanRow) -> None:
    """Delete a plan (committed); :class:`PlanPublished` when it has ever been published."""
    if plan.publications:
        raise PlanPublished(plan.id)
    s.delete(plan)
    s.commit()
