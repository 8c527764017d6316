"""quality: scorecards, evaluations, disputes, calibration and best-practice examples

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "qa_scorecards",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_scorecards")),
    )
    op.create_index("ix_qa_scorecards_version", "qa_scorecards", ["project", "key", "version"], unique=True)
    op.create_index("ix_qa_scorecards_status", "qa_scorecards", ["project", "status"], unique=False)
    op.create_table(
        "qa_calibrations",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("scorecard_id", BIG_ID, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["scorecard_id"], ["qa_scorecards.id"],
                                name=op.f("fk_qa_calibrations_scorecard_id_qa_scorecards")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_calibrations")),
    )
    op.create_index("ix_qa_calibrations_project", "qa_calibrations", ["project", "created_at_us"], unique=False)
    op.create_table(
        "qa_evaluations",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("operator_id", sa.String(length=128), nullable=False),
        sa.Column("scorecard_id", BIG_ID, nullable=False),
        sa.Column("calibration_id", BIG_ID, nullable=True),
        sa.Column("evaluator", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("failed_critical", sa.Boolean(), nullable=False),
        sa.Column("answers", JSON, nullable=False),
        sa.Column("competency_scores", JSON, nullable=False),
        sa.Column("praise", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("contact_type", sa.String(length=32), nullable=True),
        sa.Column("conversation_at_us", sa.BigInteger(), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["scorecard_id"], ["qa_scorecards.id"],
                                name=op.f("fk_qa_evaluations_scorecard_id_qa_scorecards")),
        sa.ForeignKeyConstraint(["calibration_id"], ["qa_calibrations.id"],
                                name=op.f("fk_qa_evaluations_calibration_id_qa_calibrations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_evaluations")),
    )
    op.create_index("ix_qa_evaluations_operator", "qa_evaluations", ["project", "operator_id", "conversation_at_us"],
                    unique=False)
    op.create_index("ix_qa_evaluations_conversation", "qa_evaluations", ["project", "conversation_id"], unique=False)
    op.create_index("ix_qa_evaluations_status", "qa_evaluations", ["project", "status"], unique=False)
    op.create_index("ix_qa_evaluations_calibration", "qa_evaluations", ["calibration_id"], unique=False)
    op.create_table(
        "qa_evaluation_steps",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("evaluation_id", BIG_ID, nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["evaluation_id"], ["qa_evaluations.id"],
                                name=op.f("fk_qa_evaluation_steps_evaluation_id_qa_evaluations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_evaluation_steps")),
    )
    op.create_index("ix_qa_evaluation_steps_evaluation", "qa_evaluation_steps", ["evaluation_id", "id"], unique=False)
    op.create_table(
        "qa_examples",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("operator_id", sa.String(length=128), nullable=True),
        sa.Column("contact_type", sa.String(length=32), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("competencies", JSON, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("marked_by", sa.String(length=200), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_examples")),
    )
    op.create_index("ix_qa_examples_conversation", "qa_examples", ["project", "conversation_id"], unique=True)
    op.create_index("ix_qa_examples_type", "qa_examples", ["project", "contact_type"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_qa_examples_type", table_name="qa_examples")
    op.drop_index("ix_qa_examples_conversation", table_name="qa_examples")
    op.drop_table("qa_examples")
    op.drop_index("ix_qa_evaluation_steps_evaluation", table_name="qa_evaluation_steps")
    op.drop_table("qa_evaluation_steps")
    for index in ("ix_qa_evaluations_calibration", "ix_qa_evaluations_status", "ix_qa_evaluations_conversation",
                  "ix_qa_evaluations_operator"):
        op.drop_index(index, table_name="qa_evaluations")
    op.drop_table("qa_evaluations")
    op.drop_index("ix_qa_calibrations_project", table_name="qa_calibrations")
    op.drop_table("qa_calibrations")
    op.drop_index("ix_qa_scorecards_status", table_name="qa_scorecards")
    op.drop_index("ix_qa_scorecards_version", table_name="qa_scorecards")
    op.drop_table("qa_scorecards")
