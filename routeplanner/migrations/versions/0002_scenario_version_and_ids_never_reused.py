"""Scenarios carry a version (optimistic concurrency); SQLite never reuses ids.

* ``scenarios.version``: every save moves it on and checks it (issue 9,
  point 8); existing scenarios start at 1.
* SQLite: ``scenarios``, ``plans`` and ``jobs`` get ``AUTOINCREMENT``, so a
  link to a deleted row never opens a newer one (issue 9, point 11).  SQLite
  adds it only by rebuilding the table (batch mode); the rebuild runs with
  foreign keys off (``routeplanner.store.startup_transaction``), else dropping the old
  table would delete the rows that refer to it.  PostgreSQL's sequences never
  reuse ids already.

Revision ID: 0002
Revises: 0001
Create Date: 2026-05-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LINKED = ("scenarios", "plans", "jobs")  # the tables whose ids appear in links


def _version() -> sa.Column:
    return sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.add_column("scenarios", _version())
        return
    for table in LINKED:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": True}) as batch:
            if table == "scenarios":
                batch.add_column(_version())


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_column("scenarios", "version")
        return
    for table in LINKED:
        with op.batch_alter_table(table, recreate="always") as batch:
            if table == "scenarios":
                batch.drop_column("version")
