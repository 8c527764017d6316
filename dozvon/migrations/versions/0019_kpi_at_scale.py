"""SQL KPIs at scale: the columns and indexes a year of events needs

``events.customer_id``: the ``customer_id`` of an event's data as a column of its own, and
an index of a customer's events by type and time (only the events that name a customer),
so that FCR ("did the customer come back within 7 days?") and "recovered" ("was the
customer answered within 24 h of abandoning?") look up one customer's events instead of
reading the JSON of every arrival in the window. Existing rows are filled from their JSON.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_id", sa.String(length=128), nullable=True))
    # The backfill reads the JSON as the reports read it before this column existed: a string
    # as it is, a whole number as its digits, anything else (null, a fraction, an object) as no customer.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE events SET customer_id = data->>'customer_id' "
                   "WHERE jsonb_typeof(data->'customer_id') = 'string' "
                   "OR (jsonb_typeof(data->'customer_id') = 'number' AND data->>'customer_id' ~ '^-?[0-9]+$')")
    else:
        op.execute("UPDATE events SET customer_id = CAST(json_extract(data, '$.customer_id') AS TEXT) "
                   "WHERE json_type(data, '$.customer_id') IN ('text', 'integer')")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_project_customer", ["project", "customer_id", "type", "at_us"],
                              unique=False, sqlite_where=sa.text("customer_id IS NOT NULL"),
                              postgresql_where=sa.text("customer_id IS NOT NULL"))


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_project_customer")
        batch_op.drop_column("customer_id")
