"""Quick replies and the project's automatic messages.

A *quick reply* is a text an operator inserts with ``/`` and its keyword — the
project's, for everyone, or an operator's own (``owner_id``), seen only by them; an *automatic
message* is sent by Dozvon itself: the welcome a customer gets as soon as they write on
a text channel, the greeting when an operator takes the conversation, the farewell when
the operator ends it, and the survey that asks the customer for a 1–5 score after it on a
channel that has no rating of its own (e-mail, Telegram; :mod:`dozvon.conversations.survey`).
Both may hold variables (``{customer.first_name}``,
``{operator.name}``) filled in when they are used (:mod:`dozvon.replies.render`).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from dozvon.core.db import Base

BigId = BigInteger().with_variant(Integer, "sqlite")

#: The automatic messages a project may set, in the order a conversation meets them.
AUTO_KINDS = ("welcome", "greeting", "farewell", "survey")
#: Those that may be on with no text of the project's: Dozvon's own standard text goes out,
#: in the customer's language (the survey's question must say how to answer).
STANDARD_TEXT_KINDS = ("survey",)


class QuickReply(Base):
    __tablename__ = "quick_replies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(64), nullable=False)
    #: What the operator types after ``/`` (``delivery``, ``доставка``), lower case.
    shortcut: Mapped[str] = mapped_column(String(64), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    text: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_by: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    #: The operator whose own reply this is (only they see it); None: the project's, for everyone.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))

    #: A keyword is unique among the project's replies and among each person's own; a
    #: person's own may repeat a project keyword (theirs wins in their composer).
    __table_args__ = (
        Index("ix_quick_replies_project_shortcut", "project", "shortcut", unique=True,
              sqlite_where=sql("owner_id IS NULL"), postgresql_where=sql("owner_id IS NULL")),
        Index("ix_quick_replies_owner_shortcut", "project", "owner_id", "shortcut", unique=True,
              sqlite_where=sql("owner_id IS NOT NULL"), postgresql_where=sql("owner_id IS NOT NULL")),
    )


class AutoText(Base):
    __tablename__ = "auto_texts"

    project: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: One of :data:`AUTO_KINDS`.
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    updated_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_by: Mapped[str] = mapped_column(String(200), nullable=False, default="")
