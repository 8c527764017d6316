"""The KPI projection's tables (migration ``0021_kpi_facts``): derived from the event log,
rebuildable from it at any time, read by the KPI report instead of the raw log.

- ``kpi_contacts``: one row per contact (per ``contact.arrived``) with everything the report
  needs of it — its arrival, first queueing, first answer, abandon, close, RONA, last
  disposition, first messages, survey — folded from all its events.
- ``kpi_operator_spans``: each operator's busy spans (holding at least one contact) and
  available spans, closed ones with their end, the current one open (``end_us`` NULL).
- ``kpi_operator_cursors``: where each operator's replay stands (the spans' running state).
- ``kpi_watermarks``: per project, the ``seq`` up to which every event is folded.

How they are kept up to date (after commit, never in the ingest transaction) is
:mod:`dozvon.analytics.facts`.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from dozvon.core.db import Base


class KpiContactRow(Base):
    __tablename__ = "kpi_contacts"

    project: Mapped[str] = mapped_column(String(64), primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    #: The ``seq`` of its ``contact.arrived`` (one row per arrival).
    arrived_seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    channel: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(Text)
    segment: Mapped[str | None] = mapped_column(Text)
    customer_id: Mapped[str | None] = mapped_column(String(128))
    #: The first ``contact.queued``: its queue, sequence number, instant and recorded target
    #: (the target itself is resolved at report time: older events name none).
    queue: Mapped[str | None] = mapped_column(String(128))
    queued_seq: Mapped[int | None] = mapped_column(BigInteger)
    queued_at_us: Mapped[int | None] = mapped_column(BigInteger)
    target_s: Mapped[float | None] = mapped_column(Float)
    #: The first answer.
    operator_id: Mapped[str | None] = mapped_column(String(128))
    answer_wait_s: Mapped[float | None] = mapped_column(Float)
    ring_s: Mapped[float | None] = mapped_column(Float)
    abandoned_at_us: Mapped[int | None] = mapped_column(BigInteger)
    abandon_wait_s: Mapped[float | None] = mapped_column(Float)
    #: 1 once closed (else NULL); whether the close says it was answered (1/0).
    closed: Mapped[int | None] = mapped_column(SmallInteger)
    was_answered: Mapped[int | None] = mapped_column(SmallInteger)
    talk_s: Mapped[float | None] = mapped_column(Float)
    hold_s: Mapped[float | None] = mapped_column(Float)
    wrap_s: Mapped[float | None] = mapped_column(Float)
    rona: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: The last ``contact.disposition`` (its seq, NULL when none) and whether it resolved.
    disposition_seq: Mapped[int | None] = mapped_column(BigInteger)
    resolved: Mapped[bool | None] = mapped_column(Boolean)
    first_in_us: Mapped[int | None] = mapped_column(BigInteger)
    first_out_us: Mapped[int | None] = mapped_column(BigInteger)
    csat_score: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_kpi_contacts_project_at", "project", "at_us"),
        # FCR's "did the customer arrive again within 7 days?": one look-up per contact.
        Index("ix_kpi_contacts_project_customer", "project", "customer_id", "at_us",
              sqlite_where=text("customer_id IS NOT NULL"), postgresql_where=text("customer_id IS NOT NULL")),
    )


class KpiOperatorSpanRow(Base):
    __tablename__ = "kpi_operator_spans"

    project: Mapped[str] = mapped_column(String(64), primary_key=True)
    operator_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    #: 1: busy (holding at least one contact); 0: available.
    busy: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    start_us: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    #: NULL while the span is still open.
    end_us: Mapped[int | None] = mapped_column(BigInteger)
    #: Open, or longer than a day: the few spans a report looks up beyond a day before its start.
    long_span: Mapped[bool] = mapped_column(Boolean, nullable=False)

    __table_args__ = (Index("ix_kpi_operator_spans_start", "project", "long_span", "start_us"),)


class KpiOperatorCursorRow(Base):
    __tablename__ = "kpi_operator_cursors"

    project: Mapped[str] = mapped_column(String(64), primary_key=True)
    operator_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    #: The last folded move or state change (its instant and seq): the replay's order.
    at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    holding: Mapped[int] = mapped_column(Integer, nullable=False)
    busy_since_us: Mapped[int | None] = mapped_column(BigInteger)
    state: Mapped[str | None] = mapped_column(String(64))
    available_since_us: Mapped[int | None] = mapped_column(BigInteger)


class KpiWatermarkRow(Base):
    __tablename__ = "kpi_watermarks"

    project: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: Every event of the project up to this ``seq`` (with no gap below it) is folded.
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
