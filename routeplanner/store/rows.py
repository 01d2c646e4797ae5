"""The tables: scenarios, their stops, the plans made from them, and solve jobs (SQLAlchemy 2.x rows).

Rows convert to and from the pure domain model here, so the services and the
worker never build model objects by hand.  What every supported database
stores alike: times are naive UTC (:func:`utcnow`), documents are JSON,
solver costs are 64-bit.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from routeplanner.io.jsonform import scenario_from_dict, settings_to_dict, stop_from_dict, stop_to_dict
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


#: What the text columns hold: longer names and ids are refused before they are stored
#: (``routeplanner.services.storage_problems``).
MAX_NAME, MAX_STOP_ID, MAX_STOP_NAME = 300, 200, 300


class Base(DeclarativeBase):
    pass


#: The largest id a row can have: PostgreSQL's ``Integer`` is 32 bits (SQLite's 64).
MAX_ID = 2**31 - 1


def valid_id(value: int) -> bool:
    """Whether ``value`` can be the id of a row (else no lookup is made: it cannot exist)."""
    return 0 <= value <= MAX_ID


class ScenarioRow(Base):
    __tablename__ = "scenarios"
    # AUTOINCREMENT: SQLite would otherwise give a deleted scenario's id to the next one
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME))
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
    publications: Mapped[list["PublicationRow"]] = relationship(
        back_populates="scenario", cascade="all, delete-orphan", order_by="PublicationRow.id"
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
    stop_id: Mapped[str] = mapped_column(String(MAX_STOP_ID))
    name: Mapped[str] = mapped_column(String(MAX_STOP_NAME))
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
    # Pins (revision 0005): NULL for none, and for the stops stored before pins existed.
    weeks: Mapped[str | None] = mapped_column(Text)  # "1;3": the weeks of the cycle
    opens: Mapped[str | None] = mapped_column(String(5))  # "10:00": the opening time of every visit

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
            "weeks": [int(w) for w in (self.weeks or "").split(";") if w],
            "opens": self.opens or None,
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
            weeks=";".join(str(w) for w in d["weeks"]) or None,
            opens=d["opens"],
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
    #: the plan as plan.schema.json (io.planjson.plan_to_dict)
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
    publications: Mapped[list["PublicationRow"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PublicationRow.id"
    )


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
    # The best plan so far as a librarian measures it (routeplanner.model.SolveProgress):
    # run, runs, stops_served, distance_km, duty_minutes; None until the first report.
    figures: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    scenario: Mapped[ScenarioRow] = relationship(back_populates="jobs")


class PublicationRow(Base):
    """A plan published to patrons: from ``effective_from`` on, the scenario's stable addresses
    (timetable, poster, calendar feeds) show it, until a later publication takes effect.

    On a date, the publication in effect is the newest one (highest id) that has taken
    effect by then (:func:`routeplanner.services.published`); a newer one therefore
    replaces an older one that has not taken effect yet.  Ids never go back, so the id is
    also the calendar feeds' SEQUENCE.
    """

    __tablename__ = "publications"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    effective_from: Mapped[date] = mapped_column(Date)
    published_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    scenario: Mapped[ScenarioRow] = relationship(back_populates="publications")
    plan: Mapped[PlanRow] = relationship(back_populates="publications")
