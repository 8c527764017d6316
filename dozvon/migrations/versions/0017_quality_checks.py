"""quality: automatic checks of conversations and suggested contact types

Per project: the checks' settings, the trained contact-type classifier (plain numbers, no
pickle) and the background checker's cursors over the event log; per conversation: the
checks' results (one row per failed check beside them, for reports) and the suggested
contact type.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _project_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["project"], ["projects.slug"], name=op.f(f"fk_{table}_project_projects"),
                                   ondelete="CASCADE")


def _conversation_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"],
                                   name=op.f(f"fk_{table}_conversation_id_conversations"), ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "quality_settings",
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("doc", _JSON, nullable=False),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        _project_fk("quality_settings"),
        sa.PrimaryKeyConstraint("project", name=op.f("pk_quality_settings")),
    )
    op.create_table(
        "quality_results",
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("queue", sa.String(length=128), nullable=False),
        sa.Column("operator_id", sa.String(length=128), nullable=True),
        sa.Column("closed_at_us", sa.BigInteger(), nullable=False),
        sa.Column("checked_at_us", sa.BigInteger(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("failed", _JSON, nullable=False),
        sa.Column("checks", _JSON, nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        _conversation_fk("quality_results"),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_quality_results")),
    )
    op.create_index("ix_quality_results_project_closed", "quality_results", ["project", "closed_at_us"])
    op.create_index("ix_quality_results_project_operator", "quality_results",
                    ["project", "operator_id", "closed_at_us"])
    op.create_index("ix_quality_results_project_failed", "quality_results",
                    ["project", "failed_count", "closed_at_us"])
    op.create_table(
        "quality_failures",
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("check", sa.String(length=32), nullable=False),
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("queue", sa.String(length=128), nullable=False),
        sa.Column("operator_id", sa.String(length=128), nullable=True),
        sa.Column("closed_at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["quality_results.conversation_id"],
                                name=op.f("fk_quality_failures_conversation_id_quality_results"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("conversation_id", "check", name=op.f("pk_quality_failures")),
    )
    op.create_index("ix_quality_failures_project_closed", "quality_failures", ["project", "closed_at_us"])
    op.create_index("ix_quality_failures_project_operator", "quality_failures",
                    ["project", "operator_id", "closed_at_us"])
    op.create_table(
        "quality_suggestions",
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("contact_type", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("evidence", _JSON, nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("suggested_at_us", sa.BigInteger(), nullable=False),
        sa.Column("alerted", sa.Boolean(), nullable=False),
        _conversation_fk("quality_suggestions"),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_quality_suggestions")),
    )
    op.create_index("ix_quality_suggestions_project_at", "quality_suggestions", ["project", "suggested_at_us"])
    op.create_table(
        "quality_classifiers",
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("model", _JSON, nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("accuracy", sa.Float(), nullable=True),
        sa.Column("classes", _JSON, nullable=False),
        sa.Column("trained_at_us", sa.BigInteger(), nullable=False),
        sa.Column("trained_by", sa.String(length=200), nullable=False),
        _project_fk("quality_classifiers"),
        sa.PrimaryKeyConstraint("project", name=op.f("pk_quality_classifiers")),
    )
    op.create_table(
        "quality_cursors",
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("after_seq", sa.BigInteger(), nullable=False),
        _project_fk("quality_cursors"),
        sa.PrimaryKeyConstraint("project", "name", name=op.f("pk_quality_cursors")),
    )


def downgrade() -> None:
    op.drop_table("quality_cursors")
    op.drop_table("quality_classifiers")
    op.drop_index("ix_quality_suggestions_project_at", table_name="quality_suggestions")
    op.drop_table("quality_suggestions")
    op.drop_index("ix_quality_failures_project_operator", table_name="quality_failures")
    op.drop_index("ix_quality_failures_project_closed", table_name="quality_failures")
    op.drop_table("quality_failures")
    op.drop_index("ix_quality_results_project_failed", table_name="quality_results")
    op.drop_index("ix_quality_results_project_operator", table_name="quality_results")
    op.drop_index("ix_quality_results_project_closed", table_name="quality_results")
    op.drop_table("quality_results")
