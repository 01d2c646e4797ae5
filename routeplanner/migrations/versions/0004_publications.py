"""Publications: which plan a scenario's patrons see, from which date (issue 12).

A new table; nothing existing changes, so the data of an older database is
kept as it is and no scenario is published until a coordinator publishes one.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-20
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["scenario_id"], ["scenarios.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], ondelete="CASCADE"),
        sqlite_autoincrement=True,  # ids never reused: a publication's id is its feeds' SEQUENCE
    )
    op.create_index("ix_publications_scenario_id", "publications", ["scenario_id"])
    op.create_index("ix_publications_plan_id", "publications", ["plan_id"])


def downgrade() -> None:
    op.drop_index("ix_publications_plan_id", table_name="publications")
    op.drop_index("ix_publications_scenario_id", table_name="publications")
    op.drop_table("publications")
