"""Create the problem ledger's table (model: fupin_lib.checks._ledger.ProblemItem).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04

A database where the ledger created the table itself before this migration
existed keeps that table; the columns are the same.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    if sa.inspect(op.get_bind()).has_table("problem_items"):
        return
    op.create_table(
        "problem_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_key", sa.String(200), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("county_code", sa.String(12), nullable=False),
        sa.Column("first_year", sa.Integer, nullable=False),
        sa.Column("last_year", sa.Integer, nullable=False),
        sa.Column("township", sa.String(60)),
        sa.Column("village_code", sa.String(20)),
        sa.Column("village", sa.String(60)),
        sa.Column("household_no", sa.String(40)),
        sa.Column("person_no", sa.String(40)),
        sa.Column("id_number", sa.String(24)),
        sa.Column("check_code", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("responsible", sa.String(100)),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("updated_by", sa.String(64)),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("closed_at", TZ),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_problem_items_county_status", "problem_items", ["county_code", "status"])
    op.create_index("ix_problem_items_household", "problem_items", ["county_code", "household_no"])
    op.create_index("ix_problem_items_key", "problem_items", ["item_key"])


def downgrade():
    op.drop_table("problem_items")
