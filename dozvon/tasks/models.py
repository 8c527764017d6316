"""A task: something promised to a customer (call back, send an offer) that one operator
owns and must do by a time. No request is left unanswered: a task that runs past its due
time alerts its owner and the supervisors (:mod:`dozvon.tasks.alarms`), and the KPIs count
tasks done late and the time to done from the events the tasks write."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dozvon.core.db import Base

BigId = BigInteger().with_variant(Integer, "sqlite")

CALLBACK, OFFER, OTHER = "callback", "offer", "other"
#: What a task asks for; the desktop's words for each are in the message catalogue.
KINDS = (CALLBACK, OFFER, OTHER)
OPEN, DONE, CANCELLED = "open", "done", "cancelled"
STATUSES = (OPEN, DONE, CANCELLED)


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default=OTHER)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: Whom it is for (kept when the customer is merged; gone when they are erased).
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    #: The contact it came from, if any.
    conversation_id: Mapped[str | None] = mapped_column(String(64))
    #: The operator id (routing) of the one who must do it.
    owner: Mapped[str] = mapped_column(String(128), nullable=False)
    due_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=OPEN)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    #: When the alarm found it past due and told its owner (None: not yet, or never was).
    overdue_at_us: Mapped[int | None] = mapped_column(BigInteger)
    done_at_us: Mapped[int | None] = mapped_column(BigInteger)
    done_by: Mapped[str | None] = mapped_column(String(200))
    #: What came of it (done) or why it was dropped (cancelled).
    outcome: Mapped[str] = mapped_column(String(500), nullable=False, default="")

    __table_args__ = (
        Index("ix_tasks_due", "status", "due_at_us"),
        Index("ix_tasks_project_owner", "project", "owner", "status"),
        Index("ix_tasks_customer", "customer_id"),
    )
