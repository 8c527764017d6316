"""call scripts per queue and contact type; an operator's own quick replies

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
PROJECT_WIDE = sa.text("owner_id IS NULL")
PERSONAL = sa.text("owner_id IS NOT NULL")


def upgrade() -> None:
    op.create_table(
        "call_scripts",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("queue", sa.String(length=128), nullable=False),
        sa.Column("contact_type", sa.String(length=32), nullable=False),
        sa.Column("steps", JSON, nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["project"], ["projects.slug"], name=op.f("fk_call_scripts_project_projects"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_scripts")),
    )
    op.create_index("ix_call_scripts_project_queue_type", "call_scripts", ["project", "queue", "contact_type"],
                    unique=True)
    # The keyword was unique in the project; now among the project's replies and among
    # each person's own (a partial index each, on both databases).
    op.drop_index("ix_quick_replies_project_shortcut", table_name="quick_replies")
    with op.batch_alter_table("quick_replies") as batch:
        batch.add_column(sa.Column("owner_id", BIG_ID, nullable=True))
        batch.create_foreign_key(op.f("fk_quick_replies_owner_id_users"), "users", ["owner_id"], ["id"],
                                 ondelete="CASCADE")
    op.create_index("ix_quick_replies_project_shortcut", "quick_replies", ["project", "shortcut"], unique=True,
                    sqlite_where=PROJECT_WIDE, postgresql_where=PROJECT_WIDE)
    op.create_index("ix_quick_replies_owner_shortcut", "quick_replies", ["project", "owner_id", "shortcut"],
                    unique=True, sqlite_where=PERSONAL, postgresql_where=PERSONAL)


def downgrade() -> None:
    op.execute("DELETE FROM quick_replies WHERE owner_id IS NOT NULL")
    op.drop_index("ix_quick_replies_owner_shortcut", table_name="quick_replies")
    op.drop_index("ix_quick_replies_project_shortcut", table_name="quick_replies")
    with op.batch_alter_table("quick_replies") as batch:
        batch.drop_constraint("fk_quick_replies_owner_id_users", type_="foreignkey")
        batch.drop_column("owner_id")
    op.create_index("ix_quick_replies_project_shortcut", "quick_replies", ["project", "shortcut"], unique=True)
    op.drop_index("ix_call_scripts_project_queue_type", table_name="call_scripts")
    op.drop_table("call_scripts")
