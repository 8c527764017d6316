"""the Telegram channel: where each polling bot's getUpdates stands, and the files of
conversations (customers' photos and documents, operators' files)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "telegram_offsets",
        sa.Column("connection_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("next_offset", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["channel_connections.id"],
                                name=op.f("fk_telegram_offsets_connection_id_channel_connections"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", name=op.f("pk_telegram_offsets")),
    )
    op.create_table(
        "channel_files",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("source_key", sa.String(length=300), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"],
                                name=op.f("fk_channel_files_conversation_id_conversations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"],
                                name=op.f("fk_channel_files_message_id_messages"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_files")),
    )
    op.create_index("ix_channel_files_source", "channel_files", ["project", "channel", "source_key"], unique=True)
    op.create_index("ix_channel_files_conversation", "channel_files", ["conversation_id", "id"], unique=False)
    op.create_index("ix_channel_files_message", "channel_files", ["message_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_channel_files_message", table_name="channel_files")
    op.drop_index("ix_channel_files_conversation", table_name="channel_files")
    op.drop_index("ix_channel_files_source", table_name="channel_files")
    op.drop_table("channel_files")
    op.drop_table("telegram_offsets")
