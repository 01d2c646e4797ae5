"""Pins in the stored stops table: ``stops.weeks`` and ``stops.opens`` (issue 12).

The stops editor and the API took a stop's pinned weeks and opening time,
but the stops table had no columns for them, so a saved pin was dropped
without a word.  Two nullable columns: NULL is no pin, which is what every
stop stored before holds, so an older database reads exactly as before.
SQLite adds them at the end of the table, where a new database has them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("stops", sa.Column("weeks", sa.Text(), nullable=True))
    op.add_column("stops", sa.Column("opens", sa.String(length=5), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_column("stops", "opens")
        op.drop_column("stops", "weeks")
        return
    with op.batch_alter_table("stops", recreate="always") as batch:
        batch.drop_column("opens")
        batch.drop_column("weeks")
