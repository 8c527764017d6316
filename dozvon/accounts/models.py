"""Tables of people and tenants.

A *project* is one client company of an outsourcing contact center: every routing row,
event and conversation carries its slug. Users are global (one login for a person who
works for several clients); what they may do is given per project by a membership's
role. Secrets (session ids, API tokens) are stored only as SHA-256 digests: a stolen
database does not let anybody in.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dozvon.core.db import Base, JSONType

BigId = BigInteger().with_variant(Integer, "sqlite")


class Project(Base):
    __tablename__ = "projects"

    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    language: Mapped[str] = mapped_column(String(8), nullable=False, default="ru")
    #: The client's local time: "today" on the wallboard, business days in reports.
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, default="Europe/Moscow")
    #: ISO 3166 alpha-2 (BY, RU): the country of phone numbers written without a country code.
    region: Mapped[str | None] = mapped_column(String(2))
    created_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    #: A superadmin administers every project (the contact center's own IT).
    is_superadmin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    language: Mapped[str] = mapped_column(String(8), nullable=False, default="ru")
    created_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)


class Membership(Base):
    """A user's role in one project; an operator also has their routing operator id."""

    __tablename__ = "memberships"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    project: Mapped[str] = mapped_column(ForeignKey("projects.slug", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    operator_id: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (Index("ix_memberships_project_operator", "project", "operator_id", unique=True),)


class WebSession(Base):
    """A logged-in browser: the cookie holds the secret, the row its digest."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    expires_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    revoked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class ApiToken(Base):
    """An integration's credential: one project, an explicit list of permissions."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(ForeignKey("projects.slug", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    #: The first characters of the token, shown in lists so people can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    permissions: Mapped[list[str]] = mapped_column(JSONType, nullable=False)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    revoked_at_us: Mapped[int | None] = mapped_column(BigInteger)


class AuditEntry(Base):
    """Who changed what: every administrative action, written in the action's transaction."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    target: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (Index("ix_audit_project_at", "project", "at_us"),)


class BreakReason(Base):
    """A reason an operator may give for a break in this project (lunch, training…).

    Per project because each client company has its own rules and names for them; the
    code is what the event log records (``operator.state_changed``), the labels are what
    people read — so renaming a reason never rewrites history."""

    __tablename__ = "break_reasons"

    project: Mapped[str] = mapped_column(ForeignKey("projects.slug", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: The order the desktop lists them in.
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    label_en: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    label_ru: Mapped[str] = mapped_column(String(100), nullable=False, default="")
