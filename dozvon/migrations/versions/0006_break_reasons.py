"""break reasons per project, with the default four for every existing project

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-15
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The list every project had before reasons became settings (the desktop's fixed four);
#: a copy, not an import, so that this migration stays what it was when it was written.
DEFAULTS = (("lunch", "Lunch", "Обед"), ("coffee", "Short break", "Короткий перерыв"),
            ("training", "Training", "Обучение"), ("meeting", "Meeting", "Совещание"))


def upgrade() -> None:
    reasons = op.create_table(
        "break_reasons",
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label_en", sa.String(length=100), nullable=False),
        sa.Column("label_ru", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["project"], ["projects.slug"], name=op.f("fk_break_reasons_project_projects"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project", "code", name=op.f("pk_break_reasons")),
    )
    projects = [row[0] for row in op.get_bind().execute(sa.text("SELECT slug FROM projects"))]
    if projects:
        op.bulk_insert(reasons, [{"project": p, "code": code, "position": i, "label_en": en, "label_ru": ru}
                                 for p in projects for i, (code, en, ru) in enumerate(DEFAULTS)])


def downgrade() -> None:
    op.drop_table("break_reasons")
