"""Create users, sessions, households, cases, assignments, decisions and the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("area_code", sa.String(12), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("token_created_at", TZ, nullable=False),
    )
    op.create_table(
        "auth_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
    )
    op.create_table(
        "households",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("household_no", sa.String(32), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("county", sa.String(64)),
        sa.Column("township_code", sa.String(9)),
        sa.Column("township", sa.String(64)),
        sa.Column("village_code", sa.String(12), nullable=False),
        sa.Column("village", sa.String(64)),
        sa.Column("head_name_masked", sa.String(64)),
        sa.Column("household_size", sa.Integer),
        sa.Column("monitoring_category", sa.String(16)),
        sa.Column("laborers", sa.Integer),
        sa.Column("employed", sa.Integer),
        sa.Column("net_income_per_capita", sa.Float),
        sa.Column("problems_open", sa.Integer),
        sa.Column("problems_closed", sa.Integer),
        sa.Column("updated_at", TZ, nullable=False),
        sa.UniqueConstraint("county_code", "household_no", name="uq_households_county_no"),
    )
    op.create_index("ix_households_village_code", "households", ["village_code"])
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("household_id", sa.Integer,
                  sa.ForeignKey("households.id", ondelete="CASCADE"), nullable=False),
        sa.Column("period", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("flagged", sa.Boolean, nullable=False),
        sa.Column("rule_flagged", sa.Boolean, nullable=False),
        sa.Column("rule_reasons", sa.Text),
        sa.Column("risk_probability", sa.Float),
        sa.Column("risk_rank", sa.Integer),
        sa.Column("risk_band", sa.String(4)),
        sa.Column("suggested_category", sa.String(16)),
        sa.Column("risk_reasons", sa.Text),
        sa.Column("official_category", sa.String(16)),
        sa.Column("risks", sa.Text),
        sa.Column("publicity_start", sa.Date),
        sa.Column("publicity_end", sa.Date),
        sa.Column("elimination_method", sa.String(8)),
        sa.Column("assigned_to", sa.Integer, sa.ForeignKey("users.id"), index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("opened_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("last_run_at", TZ),
        sa.UniqueConstraint("household_id", "period", name="uq_cases_household_period"),
    )
    op.create_index("ix_cases_state", "cases", ["state"])
    op.create_index("ix_cases_risk", "cases", ["risk_probability"])
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("cadre_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("assigned_by", sa.String(64), nullable=False),
        sa.Column("assigned_at", TZ, nullable=False),
        sa.Column("note", sa.Text),
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=False),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", TZ, nullable=False, index=True),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("object_type", sa.String(16), nullable=False),
        sa.Column("object_id", sa.String(64)),
        sa.Column("detail", sa.Text),
    )


def downgrade():
    for table in ("audit_log", "decisions", "assignments", "cases", "households",
                  "auth_sessions", "users"):
        op.drop_table(table)
