"""Saving and deleting a scenario with optimistic concurrency (a ``version`` checked in the UPDATE)."""

from __future__ import annotations

from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from routeplanner.model import Scenario
from routeplanner.store.rows import ScenarioRow, utcnow


def scenarios(s: Session) -> Iterator[ScenarioRow]:
    return iter(s.scalars(select(ScenarioRow).order_by(ScenarioRow.id)))


class Conflict(Exception):
    """The scenario was saved by someone else since it was read; nothing was saved.

    ``version`` is its version now (None: it was deleted meanwhile).
    """

    def __init__(self, scenario_id: int, version: int | None):
        super().__init__(f"scenario {scenario_id} changed since it was read (now version {version})")
        self.scenario_id = scenario_id
        self.version = version


def etag(scenario_id: int, version: int) -> str:
    """A scenario's strong entity tag (unquoted): one per version, so it changes with every save."""
    return f"scenario-{scenario_id}-v{version}"


#: How often a save that asked for no version check is retried when another
#: writer got in between (it then simply overwrites, as it asked).
_RETRIES = 5


def save_scenario(s: Session, row: ScenarioRow, scenario: Scenario | None = None, *,
                  expected_version: int | None = None) -> ScenarioRow:
    """Replace the row's name, settings and stops with ``scenario``'s and commit.

    ``expected_version``: the version the writer read; when the row has moved
    on, before the UPDATE or by a writer that commits between our check and
    our UPDATE (the UPDATE's ``WHERE version = ...`` then matches nothing),
    :class:`Conflict` is raised and nothing is saved.  None: the last write
    wins, as before versions existed.  Returns the row (reloaded after a retry).
    """
    scenario_id = row.id
    for _attempt in range(_RETRIES):
        if expected_version is not None and row.version != expected_version:
            raise Conflict(scenario_id, row.version)
        with s.no_autoflush:  # one UPDATE, one new version (loading the old stops would flush)
            if scenario is not None:
                row.set_from_model(scenario)
            # Always an UPDATE of the row, so the version moves (and is
            # checked) even when only the stops changed.
            row.updated_at = utcnow()
        try:
            s.commit()
            return row
        except StaleDataError:
            s.rollback()
            row = s.get(ScenarioRow, scenario_id, populate_existing=True)
            if row is None:
                raise Conflict(scenario_id, None) from None
            if expected_version is not None:
                raise Conflict(scenario_id, row.version) from None
    raise Conflict(scenario_id, row.version)


def delete_scenario(s: Session, row: ScenarioRow, *, expected_version: int | None = None) -> None:
    """Delete the scenario with its stops, plans and jobs (committed); the
    version check of :func:`save_scenario`.  Already gone: nothing to do."""
    scenario_id = row.id
    for _attempt in range(_RETRIES):
        if expected_version is not None and row.version != expected_version:
            raise Conflict(scenario_id, row.version)
        s.delete(row)
        try:
            s.commit()
            return
        except StaleDataError:
            s.rollback()
            row = s.get(ScenarioRow, scenario_id, populate_existing=True)
            if row is None:
                return
            if expected_version is not None:
                raise Conflict(scenario_id, row.version) from None
    raise Conflict(scenario_id, row.version)
