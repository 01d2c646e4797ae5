"""Alembic's environment: run the migrations on the connection that
:func:`routeplanner.migrations.migrate` passes in ``config.attributes``.

From the command line (``alembic -c alembic.ini ...``, for writing a new
revision) it connects to ``ROUTEPLANNER_DATABASE_URL`` instead.
"""

from alembic import context
from sqlalchemy import create_engine

from routeplanner.store import Base


def _run(connection) -> None:
    # render_as_batch: SQLite changes most of a table only by rebuilding it
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                      compare_server_default=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from routeplanner.config import Settings

    url = Settings.from_env().database_url
    if not url:
        raise SystemExit("set ROUTEPLANNER_DATABASE_URL to the database to migrate")
    with create_engine(url).begin() as conn:
        _run(conn)
