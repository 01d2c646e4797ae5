"""A solve's progress in a librarian's terms: ``jobs.figures``.

The stops served, km and duty minutes of the best plan so far, and which run
of how many (issue 12): a JSON object the solve process writes beside
``best_cost``; NULL until the first report, and for solves made before.
SQLite rebuilds the table (batch mode, keeping ``AUTOINCREMENT``), so its
schema is the one a new database gets.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.add_column("jobs", sa.Column("figures", sa.JSON(), nullable=True))
        return
    with op.batch_alter_table("jobs", recreate="always", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("figures", sa.JSON(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_column("jobs", "figures")
        return
    with op.batch_alter_table("jobs", recreate="always", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("figures")
