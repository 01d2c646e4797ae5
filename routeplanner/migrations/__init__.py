"""Schema migrations (Alembic): the database follows the code on every start.

:func:`migrate` runs inside :func:`routeplanner.store.startup_transaction`
(so processes starting together migrate once), programmatically: no
``alembic.ini`` is needed at run time.

* an empty database gets the current schema (``create_all``) and is stamped
  at the newest revision;
* a database made before there were migrations (the tables, no
  ``alembic_version``) is stamped at revision ``0001``, which is exactly
  that schema, and upgraded;
* any other database is upgraded to the newest revision.

A new revision goes in ``versions/`` (``alembic revision -m ...`` with the
repository's ``alembic.ini``); ``tests/web/test_migrations.py`` checks that the
upgraded schema is the one the models make.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import Connection

#: The schema of the releases before migrations existed.
FIRST_REVISION = "0001"


def config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for this package's migrations, on ``connection``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent))
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest revision."""
    return ScriptDirectory.from_config(config()).get_current_head()


def migrate(conn: Connection, metadata: MetaData) -> None:
    """Bring the database of ``conn`` to the newest schema (in the caller's transaction)."""
    cfg = config(conn)
    tables = set(inspect(conn).get_table_names())
    if "alembic_version" not in tables:
        if "scenarios" not in tables:
            metadata.create_all(conn)
            command.stamp(cfg, "head")
            return
        command.stamp(cfg, FIRST_REVISION)
    try:
        command.upgrade(cfg, "head")
    except CommandError as exc:  # a revision this code does not know
        raise RuntimeError(
            f"the database's schema is not one this version of routeplanner knows ({exc}); "
            "was it made by a newer version?"
        ) from exc
