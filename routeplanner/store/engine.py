"""Opening a database: the engine, the start-up lock, the migrations, the sessions.

SQLite (WAL, a busy timeout, foreign keys on) or PostgreSQL, by SQLAlchemy
URL.  :func:`open_sessions` migrates the schema (Alembic,
``routeplanner/migrations``) once, under :func:`startup_transaction`, and
hands out sessions; the web app and ``routeplanner worker`` both start here.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from routeplanner.store.rows import Base


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


def open_sessions(url: str) -> tuple[Engine, "sessionmaker[Session]"]:
    """The database at ``url``, its schema migrated to this version: (engine, session factory)."""
    from routeplanner.migrations import migrate

    engine = make_engine(url)
    try:
        with startup_transaction(engine, foreign_keys=False) as conn:
            migrate(conn, Base.metadata)
    except BaseException:
        engine.dispose()
        raise
    return engine, sessionmaker(engine, expire_on_commit=False)
