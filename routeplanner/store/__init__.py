"""Storage: scenarios, their stops, the plans made from them, and solve jobs.

SQLAlchemy 2.x; SQLite in the instance folder by default, PostgreSQL (or any
SQLAlchemy URL) via ``ROUTEPLANNER_DATABASE_URL``.  Rows convert to and from
the pure domain model here, so views and the worker never build model objects
by hand.  Every plan keeps a snapshot of the exact scenario it was made from,
so it can be re-checked and compared after the scenario is edited.  A
publication says which plan patrons see from which date.

What every supported database stores alike (the tests run on SQLite and on
PostgreSQL): times are naive UTC (``utcnow``; the database server's time zone
plays no part), documents are JSON, solver costs are 64-bit.  Text must be
checked with :func:`unstorable` before it is stored: PostgreSQL refuses NUL
characters, and no database stores half of a UTF-16 surrogate pair.

The schema is made and upgraded by the Alembic migrations of
``routeplanner/migrations`` at every start (:func:`open_sessions`).  Ids are never
reused: a link to a deleted scenario, plan or job never opens another one
(PostgreSQL sequences; SQLite ``AUTOINCREMENT``).  Every scenario carries a
``version`` that each save moves on and checks in the UPDATE itself
(optimistic concurrency, :func:`save_scenario`).

No Flask here: the web app (``routeplanner.web.db``) and the solve worker
(``routeplanner.jobs``) both open the store with :func:`open_sessions`.
"""

from routeplanner.store.engine import STARTUP_LOCK_ID, make_engine, open_sessions, startup_transaction
from routeplanner.store.rows import (
    MAX_ID,
    MAX_NAME,
    MAX_STOP_ID,
    MAX_STOP_NAME,
    UNSTORABLE,
    Base,
    JobRow,
    PlanRow,
    PublicationRow,
    ScenarioRow,
    StopRow,
    unstorable,
    utcnow,
    valid_id,
)
from routeplanner.store.scenarios import Conflict, delete_scenario, etag, save_scenario, scenarios

__all__ = [
    "MAX_ID", "MAX_NAME", "MAX_STOP_ID", "MAX_STOP_NAME", "STARTUP_LOCK_ID", "UNSTORABLE", "Base", "Conflict",
    "JobRow", "PlanRow", "PublicationRow", "ScenarioRow", "StopRow",
    "delete_scenario", "etag", "make_engine", "open_sessions", "save_scenario", "scenarios", "startup_transaction",
    "unstorable", "utcnow", "valid_id",
]
