"""Outbound webhooks: a project's subscriptions, each delivery stored before it is sent,
and every attempt at it (the delivery log the admin page and the API show).

A delivery row is written in the same transaction that moves its subscription's cursor
over the event log, so an event is turned into deliveries exactly once and a restart
loses none; the sender then works from these rows alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dozvon.core.db import Base, JSONType

BigId = BigInteger().with_variant(Integer, "sqlite")


class WebhookSubscription(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(ForeignKey("projects.slug", ondelete="CASCADE"), nullable=False)
    url: Mapped[str] = mapped_column(String(2000), nullable=False)
    #: Event types (``contact.arrived``), families (``message.*``) or ``*`` for all.
    events: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    description: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    #: The signing secret, encrypted (:mod:`dozvon.channels.secrets`); shown once.
    secret: Mapped[str] = mapped_column(Text, nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    #: The project's last event already turned into deliveries (or skipped): the cursor.
    after_seq: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (Index("ix_webhook_subscriptions_project", "project"),)


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(64), nullable=False)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"),
                                                 nullable=False)
    #: ``X-Dozvon-Delivery``: the same on every attempt and replay, so a receiver drops repeats.
    key: Mapped[str] = mapped_column(String(64), nullable=False)
    #: The event's ``seq`` in the project's log (None for a ping).
    event_seq: Mapped[int | None] = mapped_column(BigInteger)
    event_type: Mapped[str] = mapped_column(String(64), nullable=False)
    #: The JSON body as sent (signed as serialised at each attempt).
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    #: pending, delivered, failed
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: When it is next tried (a taken row's lease runs to here).
    due_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    finished_at_us: Mapped[int | None] = mapped_column(BigInteger)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(String(1000), nullable=False, default="")

    __table_args__ = (
        Index("ix_webhook_deliveries_key", "key", unique=True),
        Index("ix_webhook_deliveries_event", "subscription_id", "event_seq", unique=True),
        Index("ix_webhook_deliveries_due", "status", "due_at_us"),
        Index("ix_webhook_deliveries_log", "project", "subscription_id", "id"),
    )


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    #: The receiver's HTTP status (None: no answer — refused, timed out).
    status_code: Mapped[int | None] = mapped_column(Integer)
    #: The start of the receiver's answer, for the log.
    response: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    error: Mapped[str] = mapped_column(String(1000), nullable=False, default="")

    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id", "number"),)
