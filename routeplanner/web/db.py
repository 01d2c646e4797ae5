"""Storage: scenarios, their stops, the plans made from them, and solve jobs.

SQLAlchemy 2.x; SQLite in the instance folder by default, PostgreSQL (or any
SQLAlchemy URL) via ``ROUTEPLANNER_DATABASE_URL``.  Rows convert to and from
the pure domain model here, so views and the worker never build model objects
by hand.  Every plan keeps a snapshot of the exact scenario it was made from,
so it can be re-checked and compared after the scenario is edited.

What every supported database stores alike (the tests run on SQLite and on
PostgreSQL): times are naive UTC (``utcnow``; the database server's time zone
plays no part), documents are JSON, solver costs are 64-bit.  Text must be
checked with :func:`unstorable` before it is stored: PostgreSQL refuses NUL
characters, and no database stores half of a UTF-16 surrogate pair.

The schema is made and upgraded by the Alembic migrations of
``routeplanner/migrations`` at every start (:func:`init_app`).  Ids are never
reused: a link to a deleted scenario, plan or job never opens another one
(PostgreSQL sequences; SQLite ``AUTOINCREMENT``).  Every scenario carries a
``version`` that each save moves on and checks in the UPDATE itself
(optimistic concurrency, :func:`save_scenario`).
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Iterator

from flask import Flask, current_app, g
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.routing import IntegerConverter

from routeplanner.io.jsonform import (
    scenario_from_dict,
    settings_to_dict,
    stop_from_dict,
    stop_to_dict,
)
from routeplanner.model import Scenario
from routeplanner.text import FORBIDDEN, forbidden


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


#: Characters refused in stored text (routeplanner.text): control characters
#: other than tab and newline (PostgreSQL cannot store NUL at all), lone UTF-16
#: surrogates, which JSON can carry but no UTF-8 database can store, and the
#: bidirectional overrides that make a name read as something else.
UNSTORABLE = FORBIDDEN
unstorable = forbidden


class Base(DeclarativeBase):
    pass


#: The largest id a row can have: PostgreSQL's ``Integer`` is 32 bits (SQLite's 64).
MAX_ID = 2**31 - 1


def digits_upto(n: int) -> str:
    """A regular expression matching exactly the decimal numbers 0 to ``n``
    (ASCII digits; leading zeros allowed below ``n``'s length)."""
    text = str(n)
    branches = [f"[0-9]{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    for i, digit in enumerate(text):
        if digit != "0":  # this prefix, a smaller digit here, anything after
            tail = f"[0-9]{{{len(text) - i - 1}}}" if i < len(text) - 1 else ""
            branches.append(f"{text[:i]}[0-{int(digit) - 1}]{tail}")
    branches.append(text)
    return "(?:" + "|".join(branches) + ")"


class IdConverter(IntegerConverter):
    """The ``<int:...>`` of every route: a whole number an id column can hold.

    Any other number (``2**63`` and up overflow the database driver; on
    PostgreSQL already ``2**31``) is no id of anything.  The pattern itself
    refuses it, so the URL matches no route: a 404 like any unknown id, never
    a 500 (and never a 405: a number refused only by ``max`` after the
    pattern matched makes werkzeug answer 405 for a DELETE whose URL also has
    a GET).
    """

    regex = digits_upto(MAX_ID)

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed)


def valid_id(value: int) -> bool:
    """Whether ``value`` can be the id of a row (else no lookup is made: it cannot exist)."""
    return 0 <= value <= MAX_ID


class ScenarioRow(Base):
    __tablename__ = "scenarios"
    # AUTOINCREMENT: SQLite would otherwise give a deleted scenario's id to the next one
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    #: depot, cycle, vehicles, travel, solver (see io.jsonform.settings_to_dict)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("scenarios.id", ondelete="SET NULL"))
    #: moves on with every save; the UPDATE checks it (``WHERE version = :read``)
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    __mapper_args__ = {"version_id_col": version}

    stops: Mapped[list["StopRow"]] = relationship(
        back_populates="scenario", cascade="all, delete-orphan", order_by="StopRow.position"
    )
    plans: Mapped[list["PlanRow"]] = relationship(
        back_populates="scenario", cascade="all, delete-orphan", order_by="PlanRow.id"
    )
    jobs: Mapped[list["JobRow"]] = relationship(
        back_populates="scenario", cascade="all, delete-orphan", order_by="JobRow.id"
    )

    def to_model(self) -> Scenario:
        return scenario_from_dict(
            {"name": self.name, **self.settings, "stops": [s.data for s in self.stops]},
            source=f"scenario {self.id}",
        )

    def set_from_model(self, scenario: Scenario) -> None:
        """Replace name, settings and stops with the model's."""
        self.name = scenario.name
        self.settings = settings_to_dict(scenario)
        self.stops = [StopRow.from_model(stop, position) for position, stop in enumerate(scenario.stops)]


class StopRow(Base):
    __tablename__ = "stops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    stop_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    address: Mapped[str] = mapped_column(Text, default="")
    loans_per_visit: Mapped[float] = mapped_column(Float)
    frequency: Mapped[str] = mapped_column(String(50))
    service_minutes: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[str | None] = mapped_column(String(5))
    window_end: Mapped[str | None] = mapped_column(String(5))
    days: Mapped[str] = mapped_column(String(100), default="")  # "Tue;Thu"
    must: Mapped[bool] = mapped_column(Boolean, default=False)

    scenario: Mapped[ScenarioRow] = relationship(back_populates="stops")

    @property
    def data(self) -> dict[str, Any]:
        return {
            "id": self.stop_id,
            "name": self.name,
            "lat": self.lat,
            "lon": self.lon,
            "address": self.address,
            "loans_per_visit": self.loans_per_visit,
            "frequency": self.frequency,
            "service_minutes": self.service_minutes,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "days": [d for d in self.days.split(";") if d],
            "priority": "must" if self.must else "",
        }

    @classmethod
    def from_model(cls, stop, position: int) -> "StopRow":
        d = stop_to_dict(stop)
        return cls(
            position=position,
            stop_id=d["id"],
            name=d["name"],
            lat=d["lat"],
            lon=d["lon"],
            address=d["address"],
            loans_per_visit=d["loans_per_visit"],
            frequency=d["frequency"],
            service_minutes=d["service_minutes"],
            window_start=d["window_start"],
            window_end=d["window_end"],
            days=";".join(d["days"]),
            must=stop.must,
        )

    def to_model(self):
        return stop_from_dict(self.data)


class PlanRow(Base):
    __tablename__ = "plans"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: the plan as plan.schema.json (planio.plan_to_dict)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: the scenario exactly as solved (io.jsonform.scenario_to_dict)
    scenario_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: how it was made: time limit, work limit, ...
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    solver_version: Mapped[str] = mapped_column(String(200), default="")
    run_time_s: Mapped[float] = mapped_column(Float, default=0.0)
    # KPIs copied out of the plan for listing and comparing without parsing it
    distance_km: Mapped[float] = mapped_column(Float, default=0.0)
    stops_served: Mapped[int] = mapped_column(Integer, default=0)
    stops_total: Mapped[int] = mapped_column(Integer, default=0)
    loans_served: Mapped[float] = mapped_column(Float, default=0.0)
    loans_total: Mapped[float] = mapped_column(Float, default=0.0)

    scenario: Mapped[ScenarioRow] = relationship(back_populates="plans")


class JobRow(Base):
    """A solve: queued -> running -> done | failed | cancelled."""

    __tablename__ = "jobs"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    elapsed_s: Mapped[float] = mapped_column(Float, default=0.0)
    # BigInteger: OR-Tools costs include drop penalties far beyond 2**31
    best_cost: Mapped[int | None] = mapped_column(BigInteger)
    phase: Mapped[str] = mapped_column(String(40), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="SET NULL"))

    scenario: Mapped[ScenarioRow] = relationship(back_populates="jobs")


# --- engine and sessions ------------------------------------------------------


def make_engine(url: str) -> Engine:
    engine = create_engine(url, future=True, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            # WAL lets the worker process write progress while pages read;
            # the busy timeout makes writers queue instead of failing.
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

    return engine


#: The PostgreSQL advisory lock taken by :func:`startup_transaction`.
STARTUP_LOCK_ID = 0x726F757465  # "route"


@contextmanager
def startup_transaction(engine: Engine, *, foreign_keys: bool = True) -> Iterator[Connection]:
    """A transaction that no other process's start-up runs beside.

    Several processes (web servers, ``routeplanner worker``) may start at once
    on an empty database; migrating the schema and loading the sample must then
    happen once, not race (duplicate tables, two samples).  PostgreSQL: an
    advisory lock held until the transaction ends; SQLite: the write lock
    (others wait for it, up to the busy timeout).

    ``foreign_keys=False`` (SQLite; for migrations): foreign keys are not
    enforced inside, so a table can be rebuilt (copied, dropped, renamed)
    without its DROP cascading to the rows that refer to it; they are checked
    before the commit instead.  (SQLite ignores the switch inside a
    transaction, hence here and not in the migration.)
    """
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite and not foreign_keys:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        try:
            with conn.begin():
                if sqlite:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                elif engine.dialect.name == "postgresql":
                    conn.execute(select(func.pg_advisory_xact_lock(STARTUP_LOCK_ID)))
                yield conn
                if sqlite and not foreign_keys:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"the database has rows that refer to missing rows: {broken[:5]}")
        finally:
            if sqlite and not foreign_keys:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")  # the connection goes back to the pool
                conn.commit()


def init_app(app: Flask, url: str) -> None:
    from routeplanner.migrations import migrate

    engine = make_engine(url)
    try:
        with startup_transaction(engine, foreign_keys=False) as conn:
            migrate(conn, Base.metadata)
    except BaseException:
        engine.dispose()
        raise
    app.extensions["routeplanner.engine"] = engine
    app.extensions["routeplanner.sessions"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def session() -> Session:
    """The request's database session (one per app context)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["routeplanner.sessions"]()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    s = g.pop("db_session", None)
    if s is not None:
        s.close()


def new_session(app: Flask) -> Session:
    """A session outside a request (CLI commands, start-up)."""
    return app.extensions["routeplanner.sessions"]()


def scenarios(s: Session) -> Iterator[ScenarioRow]:
    return iter(s.scalars(select(ScenarioRow).order_by(ScenarioRow.id)))


# --- saving a scenario: optimistic concurrency -------------------------------------


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
