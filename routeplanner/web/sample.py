"""The Rokiškis sample scenario, loaded into an empty database on first start."""

from __future__ import annotations

from importlib.resources import as_file, files

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from routeplanner import store
from routeplanner.io import load_scenario

SAMPLE = ("rokiskis", "scenario.toml")


def load_sample(app: Flask) -> int | None:
    """Store the sample scenario into an empty database; returns its id (None
    when the database has scenarios).  Processes starting together store it once."""
    engine = app.extensions["routeplanner.engine"]
    with store.startup_transaction(engine) as conn, Session(bind=conn) as s:
        if s.scalar(select(func.count()).select_from(store.ScenarioRow)):
            return None
        with as_file(files("routeplanner.data").joinpath(*SAMPLE)) as path:
            scenario = load_scenario(path)
        row = store.ScenarioRow()
        row.set_from_model(scenario)
        s.add(row)
        s.flush()
        return row.id


def init_app(app: Flask) -> None:
    if app.config.get("LOAD_SAMPLE"):
        load_sample(app)
