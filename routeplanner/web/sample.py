"""The Rokiškis sample scenario, loaded into an empty database on first start."""

from __future__ import annotations

from importlib.resources import as_file, files

from flask import Flask
from sqlalchemy import func, select

from routeplanner.io import load_scenario
from routeplanner.web import db

SAMPLE = ("rokiskis", "scenario.toml")


def load_sample(app: Flask) -> int | None:
    """Store the sample scenario; returns its id (None when already there)."""
    with db.new_session(app) as s:
        if s.scalar(select(func.count()).select_from(db.ScenarioRow)):
            return None
        with as_file(files("routeplanner.data").joinpath(*SAMPLE)) as path:
            scenario = load_scenario(path)
        row = db.ScenarioRow()
        row.set_from_model(scenario)
        s.add(row)
        s.commit()
        return row.id


def init_app(app: Flask) -> None:
    if app.config.get("LOAD_SAMPLE"):
        load_sample(app)
