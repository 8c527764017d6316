"""The ``events`` table.

Times are stored as integer microseconds since the Unix epoch (``at_us``): exact, cheap to
compare and bucket, and the same arithmetic on SQLite and PostgreSQL, so that set-based
KPI queries give identical numbers on both.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from dozvon.core.db import Base, JSONType

BigId = BigInteger().with_variant(Integer, "sqlite")


class EventRecord(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(64), nullable=False)
    #: The engine's own sequence number within the project (gap-free, restart-safe).
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    type: Mapped[str] = mapped_column(String(64), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    contact_id: Mapped[str | None] = mapped_column(String(128))
    operator_id: Mapped[str | None] = mapped_column(String(128))
    queue: Mapped[str | None] = mapped_column(String(128))
    channel: Mapped[str | None] = mapped_column(String(32))
    #: ``data["customer_id"]`` as a column of its own (filled at append): FCR and "recovered"
    #: look up a customer's later contacts by it, through an index, instead of reading the
    #: JSON of every arrival in the window (docs/kpi.md, "At scale").
    customer_id: Mapped[str | None] = mapped_column(String(128))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)

    __table_args__ = (
        Index("ix_events_project_seq", "project", "seq", unique=True),
        Index("ix_events_project_at", "project", "at_us"),
        Index("ix_events_project_type_at", "project", "type", "at_us"),
        Index("ix_events_project_contact", "project", "contact_id"),
        # A customer's arrivals and answers in time order; only the events that name one.
        Index("ix_events_project_customer", "project", "customer_id", "type", "at_us",
              sqlite_where=text("customer_id IS NOT NULL"), postgresql_where=text("customer_id IS NOT NULL")),
    )
