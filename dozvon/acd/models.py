"""Tables holding the routing engine's state between restarts (one set per project).

The rows are the engine's own export (JSON documents) rather than a normalised schema:
they exist so that a restarted engine continues exactly where it stopped; the
conversations, customers and reports people query are built from the event log.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, String
from sqlalchemy.orm import Mapped, mapped_column

from dozvon.core.db import Base, JSONType


class QueueRow(Base):
    __tablename__ = "rt_queues"

    project: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    turns: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    members: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    is_open: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class OperatorRow(Base):
    __tablename__ = "rt_operators"

    project: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    doc: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)


class ContactRow(Base):
    """An unfinished contact; deleted when the engine forgets it (closed and disposed)."""

    __tablename__ = "rt_contacts"

    project: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    queue: Mapped[str] = mapped_column(String(128), nullable=False)
    doc: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)


class CustomerOperatorRow(Base):
    """Who handled each customer last, for sticky routing after a restart."""

    __tablename__ = "rt_customer_operator"

    project: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    operator_id: Mapped[str] = mapped_column(String(128), nullable=False)
    at: Mapped[float] = mapped_column(Float, nullable=False)


class EngineMetaRow(Base):
    __tablename__ = "rt_meta"

    project: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_seq: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    offer_seq: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
