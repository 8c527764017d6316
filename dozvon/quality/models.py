"""The quality checks' tables: each project's settings, the stored results of every
checked conversation (with one row per failed check, for reports), the suggested contact
type of a conversation, the trained classifier, and the background checker's cursors.

Times are integer microseconds like everywhere else. Results are keyed by conversation:
checking a conversation again replaces its result (the settings changed, ``dozvon qa
run``). The failure rows repeat the operator, queue and close time so that "failed checks
per operator and team over a period" is one indexed ``GROUP BY`` with no join.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dozvon.core.db import Base, JSONType

BigId = BigInteger().with_variant(Integer, "sqlite")


class QualitySettingsRow(Base):
    """A project's settings (one JSON document: :class:`dozvon.quality.settings.QualitySettings`)."""

    __tablename__ = "quality_settings"

    project: Mapped[str] = mapped_column(ForeignKey("projects.slug", ondelete="CASCADE"), primary_key=True)
    doc: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    updated_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_by: Mapped[str] = mapped_column(String(200), nullable=False, default="")


class CheckResultRow(Base):
    """The automatic checks of one closed conversation."""

    __tablename__ = "quality_results"

    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    project: Mapped[str] = mapped_column(String(64), nullable=False)
    channel: Mapped[str] = mapped_column(String(32), nullable=False)
    queue: Mapped[str] = mapped_column(String(128), nullable=False)
    operator_id: Mapped[str | None] = mapped_column(String(128))
    closed_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    checked_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    #: 0–100, the weighted mean of the applicable checks' scores.
    score: Mapped[int] = mapped_column(Integer, nullable=False)
    failed_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: The failed checks' ids.
    failed: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    #: check id → {passed, applies, score, evidence}.
    checks: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    language: Mapped[str | None] = mapped_column(String(8))

    __table_args__ = (
        Index("ix_quality_results_project_closed", "project", "closed_at_us"),
        Index("ix_quality_results_project_operator", "project", "operator_id", "closed_at_us"),
        Index("ix_quality_results_project_failed", "project", "failed_count", "closed_at_us"),
    )


class CheckFailureRow(Base):
    """One failed check of one conversation (what reports count)."""

    __tablename__ = "quality_failures"

    conversation_id: Mapped[str] = mapped_column(ForeignKey("quality_results.conversation_id", ondelete="CASCADE"),
                                                 primary_key=True)
    check: Mapped[str] = mapped_column(String(32), primary_key=True)
    project: Mapped[str] = mapped_column(String(64), nullable=False)
    queue: Mapped[str] = mapped_column(String(128), nullable=False)
    operator_id: Mapped[str | None] = mapped_column(String(128))
    closed_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (
        Index("ix_quality_failures_project_closed", "project", "closed_at_us"),
        Index("ix_quality_failures_project_operator", "project", "operator_id", "closed_at_us"),
    )


class SuggestionRow(Base):
    """The contact type suggested for a conversation (pre-fills the wrap-up form)."""

    __tablename__ = "quality_suggestions"

    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    project: Mapped[str] = mapped_column(String(64), nullable=False)
    contact_type: Mapped[str] = mapped_column(String(32), nullable=False)
    #: ``rule`` or ``model`` or ``default``; ``reason`` says which rule (``flag``, ``repeat`` …).
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    confidence: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)
    #: How many of the customer's messages it was made from.
    messages: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    suggested_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    #: The supervisors were alerted to a suspected complaint (once per conversation).
    alerted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    __table_args__ = (Index("ix_quality_suggestions_project_at", "project", "suggested_at_us"),)


class ClassifierRow(Base):
    """A project's trained contact-type classifier: TF-IDF over lemmas and a logistic
    regression, stored as plain numbers (JSON), never as a pickle."""

    __tablename__ = "quality_classifiers"

    project: Mapped[str] = mapped_column(ForeignKey("projects.slug", ondelete="CASCADE"), primary_key=True)
    model: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    samples: Mapped[int] = mapped_column(Integer, nullable=False)
    #: The mean accuracy of a stratified k-fold cross-validation; None with too few samples.
    accuracy: Mapped[float | None] = mapped_column(Float)
    #: contact type → how many training samples.
    classes: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    trained_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    trained_by: Mapped[str] = mapped_column(String(200), nullable=False, default="")


class CursorRow(Base):
    """How far in a project's event log the background checker has read (per purpose)."""

    __tablename__ = "quality_cursors"

    project: Mapped[str] = mapped_column(ForeignKey("projects.slug", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    after_seq: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
