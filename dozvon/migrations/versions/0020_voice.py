"""voice: recordings of calls and voice messages (the sound is a file in the data directory), and
the widget's "call us" button

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "voice_recordings",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("operators", sa.String(length=1000), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("delete_after_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["project"], ["projects.slug"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_voice_recordings_conversation", "voice_recordings", ["project", "conversation_id"])
    op.create_index("ix_voice_recordings_delete_after", "voice_recordings", ["delete_after_us"])
    with op.batch_alter_table("widget_settings") as batch:
        batch.add_column(sa.Column("calls", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("widget_settings") as batch:
        batch.drop_column("calls")
    op.drop_index("ix_voice_recordings_delete_after", table_name="voice_recordings")
    op.drop_index("ix_voice_recordings_conversation", table_name="voice_recordings")
    op.drop_table("voice_recordings")
