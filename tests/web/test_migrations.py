"""Schema migrations (Alembic): a database made by an older version is upgraded at start, data intact.

The "old" database is built from the DDL that the code before migrations
issued (``schema_before_migrations/<dialect>.sql``, captured from its
``create_all``), filled with a scenario, its stops, a plan and a job, and
then opened by today's app.  Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import os
import re
from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect, select, text
from sqlalchemy.orm import Session

from routeplanner import store
from routeplanner.io import load_scenario
from routeplanner.io.jsonform import settings_to_dict
from routeplanner.model import CalendarSettings
from routeplanner.store import Base, JobRow, PlanRow, ScenarioRow, StopRow
from routeplanner.web import create_app, db

pytestmark = pytest.mark.both_databases

ROOT = Path(__file__).resolve().parents[2]
OLD_SCHEMA = Path(__file__).parent / "schema_before_migrations"
SAMPLE = load_scenario(ROOT / "data" / "rokiskis" / "scenario.toml")
PLAN_DOCUMENT = {"scenario": "old", "routes": [], "unserved": [], "totals": {"distance_km": 12.5}}
WHEN = datetime(2026, 1, 5, 8, 30)
#: The settings as the code before [calendar] (issue 12) stored them.
OLD_SETTINGS = {k: v for k, v in settings_to_dict(SAMPLE).items() if k != "calendar"}
OLD_SAMPLE = dataclasses.replace(SAMPLE, calendar=CalendarSettings())

# (routeplanner.migrations is imported in the tests, not here, so that they run, and fail, on code without it)


def old_ddl(dialect: str) -> list[str]:
    sql = (OLD_SCHEMA / f"{dialect}.sql").read_text(encoding="utf-8")
    sql = "\n".join(line for line in sql.splitlines() if not line.startswith("--"))
    return [statement.strip() for statement in sql.split(";") if statement.strip()]


def make_old_database(db_url: str) -> dict[str, int]:
    """The database the code before migrations made, holding two scenarios (the newer
    one with stops, a plan and a job); returns their ids."""
    engine = store.make_engine(db_url)
    try:
        with engine.begin() as conn:
            for statement in old_ddl(engine.dialect.name):
                conn.exec_driver_sql(statement)
            tables = MetaData()
            tables.reflect(conn)
            scenarios, stops, plans, jobs = (tables.tables[n] for n in ("scenarios", "stops", "plans", "jobs"))
            ids = {}
            for name in ("Older", SAMPLE.name):
                ids[name] = conn.execute(scenarios.insert().values(
                    name=name, settings=OLD_SETTINGS, created_at=WHEN, updated_at=WHEN,
                    copied_from_id=ids.get("Older")).returning(scenarios.c.id)).scalar_one()
            sid = ids[SAMPLE.name]
            for position, stop in enumerate(SAMPLE.stops):
                row = StopRow.from_model(stop, position)
                conn.execute(stops.insert().values(scenario_id=sid, **{
                    c.name: getattr(row, c.name) for c in stops.columns if c.name not in ("id", "scenario_id")}))
            plan_id = conn.execute(plans.insert().values(
                scenario_id=sid, label="old plan", created_at=WHEN, plan=PLAN_DOCUMENT, scenario_snapshot={"x": 1},
                params={}, solver_version="old", run_time_s=1.5, distance_km=12.5, stops_served=53, stops_total=53,
                loans_served=0, loans_total=0).returning(plans.c.id)).scalar_one()
            job_id = conn.execute(jobs.insert().values(
                scenario_id=sid, status="done", params={"label": "old"}, created_at=WHEN, elapsed_s=1.5, phase="done",
                message="", cancel_requested=False, attempts=1, plan_id=plan_id, best_cost=2**40,
            ).returning(jobs.c.id)).scalar_one()
    finally:
        engine.dispose()
    return {"older": ids["Older"], "scenario": sid, "plan": plan_id, "job": job_id}


def open_app(db_url: str, **config_):
    return create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": db_url, "LOAD_SAMPLE": True,
                       "START_RUNNER": False, **config_})


def close(app) -> None:
    app.extensions["routeplanner.engine"].dispose()


def schema_differences(engine) -> list:
    """What Alembic's autogenerate would change to make the database match the models (nothing, we hope)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(context, Base.metadata)


def sqlite_schema(engine) -> list[tuple[str, list[str]]]:
    """SQLite's own text of every table and index, normalised: a rebuilt table's name comes back
    quoted, and its constraints in another order."""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT IN ('alembic_version')").all()
    out = []
    for (sql,) in rows:
        sql = re.sub(r"\s+", " ", sql).replace('"', "")
        head, _, body = sql.partition("(")
        parts, depth, item = [], 0, ""
        for char in body.rstrip(" )"):
            depth += (char == "(") - (char == ")")
            if char == "," and depth == 0:
                parts.append(item.strip())
                item = ""
            else:
                item += char
        parts.append(item.strip())
        columns = [p for p in parts if not p.startswith(("FOREIGN KEY", "PRIMARY KEY"))]  # columns keep their order
        out.append((head.strip(), columns + sorted(set(parts) - set(columns))))
    return sorted(out)


def fingerprint(engine) -> dict:
    """Tables, columns, keys and indexes, as the database reports them."""
    insp = inspect(engine)
    out = {}
    for table in sorted(t for t in insp.get_table_names() if t != "alembic_version"):
        out[table] = {
            "columns": [(c["name"], str(c["type"]), c["nullable"], c.get("default")) for c in insp.get_columns(table)],
            "pk": insp.get_pk_constraint(table)["constrained_columns"],
            "fks": sorted((tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]),
                           (f.get("options") or {}).get("ondelete")) for f in insp.get_foreign_keys(table)),
            "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                              for i in insp.get_indexes(table)),
        }
    if engine.dialect.name == "sqlite":
        out["sql"] = sqlite_schema(engine)
    return out


# --- tests ----------------------------------------------------------------------------------------------


def test_revision_1_is_exactly_the_schema_before_migrations(db_url):
    from routeplanner.migrations import FIRST_REVISION, config

    engine = store.make_engine(db_url)
    try:
        with engine.begin() as conn:
            for statement in old_ddl(engine.dialect.name):
                conn.exec_driver_sql(statement)
        before = fingerprint(engine)
        with engine.begin() as conn:
            for table in ("jobs", "stops", "plans", "scenarios"):
                conn.exec_driver_sql(f"DROP TABLE {table}")
        with engine.begin() as conn:
            command.upgrade(config(conn), FIRST_REVISION)
        assert fingerprint(engine) == before
    finally:
        engine.dispose()


def test_a_database_from_before_migrations_is_upgraded_on_start_with_everything_intact(db_url):
    from routeplanner.migrations import head, migrate

    ids = make_old_database(db_url)
    app = open_app(db_url)
    try:
        engine = app.extensions["routeplanner.engine"]
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT version_num FROM alembic_version")) == head()
        with db.new_session(app) as s:
            assert s.scalar(select(ScenarioRow.id).order_by(ScenarioRow.id.desc()).limit(1)) == ids["scenario"]
            row = s.get(ScenarioRow, ids["scenario"])  # no sample loaded beside it
            assert row.to_model() == dataclasses.replace(OLD_SAMPLE, source=f"scenario {row.id}")
            assert (row.version, row.created_at, row.copied_from_id) == (1, WHEN, ids["older"])
            assert s.get(ScenarioRow, ids["older"]).version == 1
            plan = s.get(PlanRow, ids["plan"])
            assert (plan.plan, plan.label, plan.scenario_id, plan.scenario_snapshot) == (
                PLAN_DOCUMENT, "old plan", row.id, {"x": 1})
            job = s.get(JobRow, ids["job"])
            assert (job.plan_id, job.best_cost, job.params, job.status) == (plan.id, 2**40, {"label": "old"}, "done")
        response = app.test_client().get(f"/api/scenarios/{ids['scenario']}")
        assert len(response.get_json()["stops"]) == len(SAMPLE.stops)
        # the upgraded schema is the one a new database gets
        assert schema_differences(engine) == []
        if engine.dialect.name == "sqlite":
            fresh = store.make_engine(db_url.replace(".sqlite", "-fresh.sqlite"))
            try:
                with store.startup_transaction(fresh, foreign_keys=False) as conn:
                    migrate(conn, Base.metadata)
                assert sqlite_schema(engine) == sqlite_schema(fresh)
            finally:
                fresh.dispose()
        # the foreign keys still hold after the tables were rebuilt
        client = app.test_client()
        assert client.delete(f"/api/scenarios/{ids['scenario']}").status_code == 204
        with db.new_session(app) as s:
            assert s.scalar(select(StopRow.id).limit(1)) is None
            assert (s.get(PlanRow, ids["plan"]), s.get(JobRow, ids["job"])) == (None, None)
        # ...and no id is reused: the migrated SQLite tables count on from the highest id they held
        copy = client.post(f"/api/scenarios/{ids['older']}/copy").get_json()
        assert copy["id"] > ids["scenario"]
    finally:
        close(app)
    app = open_app(db_url)  # a second start finds nothing to do
    close(app)


def test_routeplanner_db_upgrade_upgrades_a_database_from_before_migrations(db_url):
    import subprocess
    import sys
    from pathlib import Path

    from routeplanner.migrations import head

    ids = make_old_database(db_url)
    env = {**os.environ, "ROUTEPLANNER_DATABASE_URL": db_url}
    done = subprocess.run([str(Path(sys.executable).parent / "routeplanner"), "db", "upgrade"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"revision {head()}" in done.stderr
    engine = store.make_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT version_num FROM alembic_version")) == head()
        assert schema_differences(engine) == []
        with Session(engine) as s:
            assert s.get(ScenarioRow, ids["scenario"]).to_model().stops == SAMPLE.stops
    finally:
        engine.dispose()


def test_processes_starting_together_on_an_old_database_migrate_it_once(db_url):
    from startup_race import start_together

    ids = make_old_database(db_url)
    assert start_together(db_url, 4) == []
    app = open_app(db_url)
    try:
        with db.new_session(app) as s:
            assert s.scalars(select(ScenarioRow.id).order_by(ScenarioRow.id)).all() == [ids["older"], ids["scenario"]]
            assert len(s.get(ScenarioRow, ids["scenario"]).stops) == len(SAMPLE.stops)
        assert schema_differences(app.extensions["routeplanner.engine"]) == []
    finally:
        close(app)


def test_an_empty_database_goes_straight_to_the_newest_schema(app):
    from routeplanner.migrations import head

    engine = app.extensions["routeplanner.engine"]
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == head()
    assert schema_differences(engine) == []


def test_downgrade_and_upgrade_again_keep_the_data(app, client):
    from routeplanner.migrations import FIRST_REVISION, config

    engine = app.extensions["routeplanner.engine"]
    before = client.get("/api/scenarios/1").get_json()
    for target in (FIRST_REVISION, "head"):
        with store.startup_transaction(engine, foreign_keys=False) as conn:
            (command.downgrade if target == FIRST_REVISION else command.upgrade)(config(conn), target)
    engine.dispose()
    assert client.get("/api/scenarios/1").get_json() == before


def test_a_database_from_a_newer_version_is_refused_with_a_clear_message(app, db_url):
    with app.extensions["routeplanner.engine"].begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(RuntimeError, match="made by a newer version"):
        open_app(db_url)


def test_a_database_of_revision_2_gets_the_publications_table_with_its_data_intact(db_url):
    """Issue 12: upgrading a database made at revision 0002 (scenarios, a plan) adds the publications,
    publishes nothing, and a plan can then be published and shown at the stable address."""
    from routeplanner.migrations import config, head

    ids = make_old_database(db_url)
    engine = store.make_engine(db_url)
    try:
        with store.startup_transaction(engine, foreign_keys=False) as conn:
            command.stamp(config(conn), "0001")
            command.upgrade(config(conn), "0002")
        assert "publications" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
    app = open_app(db_url)
    try:
        engine = app.extensions["routeplanner.engine"]
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT version_num FROM alembic_version")) == head()
        assert schema_differences(engine) == []
        client = app.test_client()
        sid = ids["scenario"]
        assert client.get(f"/api/scenarios/{sid}/publications").get_json()["publications"] == []
        assert client.get(f"/scenarios/{sid}/timetable").status_code == 404
        with db.new_session(app) as s:
            assert s.get(PlanRow, ids["plan"]).plan == PLAN_DOCUMENT
            # the settings stored before [calendar] existed read with its defaults
            assert s.get(ScenarioRow, sid).to_model().calendar == CalendarSettings()
    finally:
        close(app)
