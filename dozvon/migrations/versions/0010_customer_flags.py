"""flags on customers (competitor, blocked, do-not-call) with their history, and the
project's policy for them

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_flags",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.Column("set_at_us", sa.BigInteger(), nullable=False),
        sa.Column("cleared_by", sa.String(length=200), nullable=True),
        sa.Column("cleared_at_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_customer_flags_customer_id_customers"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_flags")),
    )
    op.create_index("ix_customer_flags_project_customer", "customer_flags", ["project", "customer_id"], unique=False)
    op.create_table(
        "crm_policies",
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("doc", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                  nullable=False),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["project"], ["projects.slug"], name=op.f("fk_crm_policies_project_projects"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project", name=op.f("pk_crm_policies")),
    )


def downgrade() -> None:
    op.drop_table("crm_policies")
    op.drop_index("ix_customer_flags_project_customer", table_name="customer_flags")
    op.drop_table("customer_flags")
