"""Knowledge-base articles and each project's index generation.

The database is the source of truth; the search index (:mod:`dozvon.knowledge.index`) is
derived from it. Every write raises the project's ``generation`` and stamps the rows it
touched with it, so an index that knows the generation it holds can catch up by reading
only the rows written since — in any process, on SQLite and PostgreSQL alike. A deleted
article stays as a tombstone (``deleted``) for that reason: the index must learn of it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dozvon.core.db import Base, JSONType

BigId = BigInteger().with_variant(Integer, "sqlite")


class Article(Base):
    __tablename__ = "kb_articles"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(ForeignKey("projects.slug", ondelete="CASCADE"), nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    #: Markdown or plain text, shown to operators as text (never as HTML).
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    category: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    tags: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    #: A promotion: inserted into call scripts while it is valid.
    promotion: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: Outside these days (in the project's time zone) the article is neither found nor suggested.
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    #: The project's generation when this row was last written (see the module's docstring).
    generation: Mapped[int] = mapped_column(BigInteger, nullable=False)
    deleted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_by: Mapped[str] = mapped_column(String(200), nullable=False, default="")

    __table_args__ = (
        Index("ix_kb_articles_project_generation", "project", "generation"),
        Index("ix_kb_articles_project_title", "project", "title"),
    )


class KbState(Base):
    """One row per project that has ever had an article."""

    __tablename__ = "kb_state"

    project: Mapped[str] = mapped_column(ForeignKey("projects.slug", ondelete="CASCADE"), primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    #: Random, made with the row: names the index directory, so a database created anew
    #: (same path, same project) never reuses an index built from another one.
    index_key: Mapped[str] = mapped_column(String(32), nullable=False)


class CallScript(Base):
    """A step-by-step guide for a conversation: for one queue, one type of contact, both, or
    (both empty) every conversation of the project. ``""`` is "any", so that the unique
    index keeps one script per pair on SQLite and PostgreSQL alike (NULLs never clash).

    ``steps`` is a list of ``{"kind": "text", "title", "text"}`` (variables such as
    ``{customer.first_name}`` filled in for the conversation) and at most one
    ``{"kind": "promotions", "title"}``: where the promotions valid today go when the
    script is shown — so an ended promotion leaves every script by itself."""

    __tablename__ = "call_scripts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(ForeignKey("projects.slug", ondelete="CASCADE"), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    queue: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    contact_type: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    steps: Mapped[list[dict[str, str]]] = mapped_column(JSONType, nullable=False, default=list)
    created_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_by: Mapped[str] = mapped_column(String(200), nullable=False, default="")

    __table_args__ = (Index("ix_call_scripts_project_queue_type", "project", "queue", "contact_type", unique=True),)
