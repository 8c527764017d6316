"""segments by rules: each customer's rule-given segment and last contact, the project's rules

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("auto_segment", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("last_contact_at_us", sa.BigInteger(), nullable=True))
    op.create_table(
        "segment_rules",
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("rules", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                  nullable=False),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["project"], ["projects.slug"], name=op.f("fk_segment_rules_project_projects"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project", name=op.f("pk_segment_rules")),
    )


def downgrade() -> None:
    op.drop_table("segment_rules")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("last_contact_at_us")
        batch.drop_column("auto_segment")
