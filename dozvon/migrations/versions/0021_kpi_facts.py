"""The KPI projection (issue 13, goal 5): one row per contact and operators' busy and
available spans, derived from the event log and read by the KPI report instead of it
(dozvon.analytics.facts keeps them up to date after commit). The tables start empty: the
first fold (the first report, or the server's loop a few seconds after start) builds them
from the log.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kpi_contacts",
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("contact_id", sa.String(length=128), nullable=False),
        sa.Column("arrived_seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("segment", sa.Text(), nullable=True),
        sa.Column("customer_id", sa.String(length=128), nullable=True),
        sa.Column("queue", sa.String(length=128), nullable=True),
        sa.Column("queued_seq", sa.BigInteger(), nullable=True),
        sa.Column("queued_at_us", sa.BigInteger(), nullable=True),
        sa.Column("target_s", sa.Float(), nullable=True),
        sa.Column("operator_id", sa.String(length=128), nullable=True),
        sa.Column("answer_wait_s", sa.Float(), nullable=True),
        sa.Column("ring_s", sa.Float(), nullable=True),
        sa.Column("abandoned_at_us", sa.BigInteger(), nullable=True),
        sa.Column("abandon_wait_s", sa.Float(), nullable=True),
        sa.Column("closed", sa.SmallInteger(), nullable=True),
        sa.Column("was_answered", sa.SmallInteger(), nullable=True),
        sa.Column("talk_s", sa.Float(), nullable=True),
        sa.Column("hold_s", sa.Float(), nullable=True),
        sa.Column("wrap_s", sa.Float(), nullable=True),
        sa.Column("rona", sa.Integer(), nullable=False),
        sa.Column("disposition_seq", sa.BigInteger(), nullable=True),
        sa.Column("resolved", sa.Boolean(), nullable=True),
        sa.Column("first_in_us", sa.BigInteger(), nullable=True),
        sa.Column("first_out_us", sa.BigInteger(), nullable=True),
        sa.Column("csat_score", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("project", "contact_id", "arrived_seq"),
    )
    op.create_index("ix_kpi_contacts_project_at", "kpi_contacts", ["project", "at_us"])
    named = sa.text("customer_id IS NOT NULL")
    op.create_index("ix_kpi_contacts_project_customer", "kpi_contacts", ["project", "customer_id", "at_us"],
                    sqlite_where=named, postgresql_where=named)
    op.create_table(
        "kpi_operator_spans",
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("operator_id", sa.String(length=128), nullable=False),
        sa.Column("busy", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("start_us", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("end_us", sa.BigInteger(), nullable=True),
        sa.Column("long_span", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("project", "operator_id", "busy", "start_us"),
    )
    op.create_index("ix_kpi_operator_spans_start", "kpi_operator_spans", ["project", "long_span", "start_us"])
    op.create_table(
        "kpi_operator_cursors",
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("operator_id", sa.String(length=128), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("holding", sa.Integer(), nullable=False),
        sa.Column("busy_since_us", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(length=64), nullable=True),
        sa.Column("available_since_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("project", "operator_id"),
    )
    op.create_table(
        "kpi_watermarks",
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("project"),
    )


def downgrade() -> None:
    op.drop_table("kpi_watermarks")
    op.drop_table("kpi_operator_cursors")
    op.drop_index("ix_kpi_operator_spans_start", table_name="kpi_operator_spans")
    op.drop_table("kpi_operator_spans")
    op.drop_index("ix_kpi_contacts_project_customer", table_name="kpi_contacts")
    op.drop_index("ix_kpi_contacts_project_at", table_name="kpi_contacts")
    op.drop_table("kpi_contacts")
