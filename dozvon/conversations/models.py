"""Conversations, their messages, and callback tasks.

A conversation is one inbound contact as people see it: the routing engine knows it by
the same id. Its row is written in the same transaction as the ``contact.arrived`` event
and kept up to date by a projection of later events (answered, closed, disposition), so
that history survives after the engine forgets a closed contact.

The channel's own id of a call or message (``external_id``) is unique per project and
channel: that constraint is what makes ingest idempotent even across server processes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dozvon.core.db import Base, JSONType

BigId = BigInteger().with_variant(Integer, "sqlite")


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project: Mapped[str] = mapped_column(String(64), nullable=False)
    channel: Mapped[str] = mapped_column(String(32), nullable=False)
    queue: Mapped[str] = mapped_column(String(128), nullable=False)
    external_id: Mapped[str] = mapped_column(String(200), nullable=False)
    customer_id: Mapped[str | None] = mapped_column(String(200))
    customer_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    subject: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    #: open while the engine holds it; then the engine's outcome (handled, abandoned …).
    status: Mapped[str] = mapped_column(String(32), nullable=False, default="open")
    operator_id: Mapped[str | None] = mapped_column(String(128))
    created_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    answered_at_us: Mapped[int | None] = mapped_column(BigInteger)
    closed_at_us: Mapped[int | None] = mapped_column(BigInteger)
    disposition: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)

    __table_args__ = (
        Index("ix_conversations_external", "project", "channel", "external_id", unique=True),
        Index("ix_conversations_project_created", "project", "created_at_us"),
        Index("ix_conversations_project_customer", "project", "customer_id", "channel"),
    )


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(64), nullable=False)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"),
                                                 nullable=False)
    channel: Mapped[str] = mapped_column(String(32), nullable=False)
    #: The channel's message id for inbound messages; ours for outbound ones.
    external_id: Mapped[str] = mapped_column(String(200), nullable=False)
    #: ``in`` (customer → us) or ``out`` (operator → customer).
    direction: Mapped[str] = mapped_column(String(3), nullable=False)
    author: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (
        Index("ix_messages_external", "project", "channel", "external_id", unique=True),
        Index("ix_messages_conversation", "conversation_id", "id"),
    )


class CallbackTask(Base):
    """A promise to call a customer back (abandoned call, out of hours, queue full)."""

    __tablename__ = "callback_tasks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(64), nullable=False)
    conversation_id: Mapped[str] = mapped_column(String(64), nullable=False)
    customer_id: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    created_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    done_at_us: Mapped[int | None] = mapped_column(BigInteger)
    done_by: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_callback_tasks_project_status", "project", "status", "created_at_us"),)


class OutboxItem(Base):
    """One message to a customer, waiting for (or done with) delivery by its channel.

    Written in the same transaction as the message and its ``message.sent`` event, so a
    message is never announced without being on its way, nor sent without being logged.
    ``key`` is the idempotency key the channel sees on every attempt.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(64), nullable=False)
    channel: Mapped[str] = mapped_column(String(32), nullable=False)
    conversation_id: Mapped[str] = mapped_column(String(64), nullable=False)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    key: Mapped[str] = mapped_column(String(200), nullable=False)
    #: pending → delivered | failed
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: When the next attempt is due; while an attempt is under way, when it is given up
    #: as lost (the sender died) and may be made again.
    due_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    created_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    done_at_us: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_outbox_key", "project", "key", unique=True),
        Index("ix_outbox_due", "status", "due_at_us"),
        Index("ix_outbox_conversation", "project", "conversation_id"),
    )
