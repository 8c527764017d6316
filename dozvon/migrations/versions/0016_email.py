"""the e-mail channel: mails taken in (threading headers, text, sanitised HTML) and their
attachments

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "email_mails",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("connection_id", sa.BigInteger(), nullable=True),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("mail_id", sa.String(length=200), nullable=False),
        sa.Column("in_reply_to", sa.String(length=1000), nullable=False),
        sa.Column("references", _JSON, nullable=False),
        sa.Column("from_address", sa.String(length=320), nullable=False),
        sa.Column("from_name", sa.String(length=200), nullable=False),
        sa.Column("recipients", _JSON, nullable=False),
        sa.Column("subject", sa.String(length=1000), nullable=False),
        sa.Column("sent_at_us", sa.BigInteger(), nullable=True),
        sa.Column("received_at_us", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("html_with_images", sa.Text(), nullable=False),
        sa.Column("remote_images", sa.Integer(), nullable=False),
        sa.Column("notes", _JSON, nullable=False),
        sa.ForeignKeyConstraint(["project"], ["projects.slug"], name=op.f("fk_email_mails_project_projects"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["connection_id"], ["channel_connections.id"],
                                name=op.f("fk_email_mails_connection_id_channel_connections"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"],
                                name=op.f("fk_email_mails_conversation_id_conversations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_mails")),
    )
    op.create_index("ix_email_mails_mail_id", "email_mails", ["project", "mail_id"], unique=True)
    op.create_index("ix_email_mails_conversation", "email_mails", ["conversation_id", "id"], unique=False)
    op.create_table(
        "email_attachments",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("mail_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("content_id", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("refused", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["project"], ["projects.slug"], name=op.f("fk_email_attachments_project_projects"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["mail_id"], ["email_mails.id"], name=op.f("fk_email_attachments_mail_id_email_mails"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_attachments")),
    )
    op.create_index("ix_email_attachments_mail", "email_attachments", ["mail_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_email_attachments_mail", table_name="email_attachments")
    op.drop_table("email_attachments")
    op.drop_index("ix_email_mails_conversation", table_name="email_mails")
    op.drop_index("ix_email_mails_mail_id", table_name="email_mails")
    op.drop_table("email_mails")
