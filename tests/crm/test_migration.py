"""Migration 0004 on a database already in use: projects and their people stay (on SQLite,
where altering a table referenced by others is the risky case, each test has a fresh file;
the shared PostgreSQL test database may already be at head)."""

from __future__ import annotations

from sqlalchemy import func, select, text

from dozvon.accounts import actions as accounts
from dozvon.accounts.models import Membership
from dozvon.core.db import get_engine, session_factory, upgrade


def test_upgrading_a_used_database_to_0004_keeps_its_projects_and_members(database_url: str, project: str) -> None:
    upgrade(database_url, "0003")
    db = get_engine(database_url)
    with db.begin() as conn:  # rows as 0003 knew them (the models already have projects.region)
        conn.execute(text("INSERT INTO projects (slug, name, language, timezone, created_at_us) "
                          "VALUES (:p, 'Old', 'ru', 'Europe/Moscow', 1)"), {"p": project})
        conn.execute(text("INSERT INTO users (username, display_name, password_hash, is_superadmin, is_active, "
                          "language, created_at_us) VALUES (:u, 'U', 'x', false, true, 'ru', 1)"),
                     {"u": f"u-{project}"})
        conn.execute(text("INSERT INTO memberships (user_id, project, role) "
                          "SELECT id, :p, 'admin' FROM users WHERE username = :u"),
                     {"p": project, "u": f"u-{project}"})
    upgrade(database_url)
    with session_factory(db).begin() as session:
        assert session.scalar(select(func.count()).select_from(Membership)
                              .where(Membership.project == project)) == 1
        created = accounts.create_project(session, "test", project + "_by", "New", region="BY")
        assert created.region == "BY"
