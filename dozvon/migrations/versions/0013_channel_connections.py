"""a project's connected channels (mailboxes, bots, forms): settings, an encrypted
secret, health

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channel_connections",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("queue", sa.String(length=128), nullable=False),
        sa.Column("settings", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                  nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.Column("last_in_at_us", sa.BigInteger(), nullable=True),
        sa.Column("last_out_at_us", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=False),
        sa.Column("last_error_at_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["project"], ["projects.slug"], name=op.f("fk_channel_connections_project_projects"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_connections")),
    )
    op.create_index("ix_channel_connections_name", "channel_connections", ["project", "name"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_channel_connections_name", table_name="channel_connections")
    op.drop_table("channel_connections")
