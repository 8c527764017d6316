"""Evaluations by competencies: scorecards (versioned), evaluations with their history of
acknowledgements, disputes and answers, calibration sessions, and best-practice examples.

A scorecard is never edited in place: a change writes the next version of the same card
(``key``) and the earlier one is kept, so an evaluation — which points at the version it
was scored on and stores its own computed score — never changes when the card does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dozvon.core.db import Base, JSONType

BigId = BigInteger().with_variant(Integer, "sqlite")

#: A card's versions: the one in use (``current``), older ones (``superseded``), and a card
#: taken out of use altogether (``retired``: no new evaluations on any of its versions).
CURRENT, SUPERSEDED, RETIRED = "current", "superseded", "retired"

#: An evaluation's life: scored → the operator acknowledges it or disputes it → the
#: supervisor revises the scores or upholds them (each with a comment) → the operator
#: may acknowledge (or dispute a revision again).
SUBMITTED, ACKNOWLEDGED, DISPUTED, REVISED, UPHELD = "submitted", "acknowledged", "disputed", "revised", "upheld"
STATUSES = (SUBMITTED, ACKNOWLEDGED, DISPUTED, REVISED, UPHELD)


class Scorecard(Base):
    __tablename__ = "qa_scorecards"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(64), nullable=False)
    #: The card across its versions ("default", "sales").
    key: Mapped[str] = mapped_column(String(64), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    #: Competencies and their criteria (:mod:`dozvon.quality.scorecards`).
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=CURRENT)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (
        Index("ix_qa_scorecards_version", "project", "key", "version", unique=True),
        Index("ix_qa_scorecards_status", "project", "status"),
    )


class Calibration(Base):
    """Several supervisors score the same conversation on the same card, apart, to see
    where they disagree (the spread per criterion)."""

    __tablename__ = "qa_calibrations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(64), nullable=False)
    conversation_id: Mapped[str] = mapped_column(String(64), nullable=False)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("qa_scorecards.id"), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (Index("ix_qa_calibrations_project", "project", "created_at_us"),)


class Evaluation(Base):
    __tablename__ = "qa_evaluations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(64), nullable=False)
    conversation_id: Mapped[str] = mapped_column(String(64), nullable=False)
    #: The operator whose work is evaluated (routing id).
    operator_id: Mapped[str] = mapped_column(String(128), nullable=False)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("qa_scorecards.id"), nullable=False)
    #: Set for a calibration score: seen by supervisors only, never by the operator.
    calibration_id: Mapped[int | None] = mapped_column(ForeignKey("qa_calibrations.id", ondelete="CASCADE"))
    #: Who scored it (a login).
    evaluator: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=SUBMITTED)
    #: 0–100, computed when scored (0 when a critical criterion failed).
    score: Mapped[float] = mapped_column(Float, nullable=False)
    failed_critical: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: criterion id → {"value": int | null (not applicable), "comment": str}.
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    #: competency id → 0–100 (null: none of its criteria applied).
    competency_scores: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    #: What was done well (praise) and what to work on — both, not only criticism.
    praise: Mapped[str] = mapped_column(Text, nullable=False, default="")
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: The conversation's facts when scored, so trends need no join: its channel, its
    #: contact type (the disposition) and when it took place.
    channel: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    contact_type: Mapped[str | None] = mapped_column(String(32))
    conversation_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (
        Index("ix_qa_evaluations_operator", "project", "operator_id", "conversation_at_us"),
        Index("ix_qa_evaluations_conversation", "project", "conversation_id"),
        Index("ix_qa_evaluations_status", "project", "status"),
        Index("ix_qa_evaluations_calibration", "calibration_id"),
    )


class EvaluationStep(Base):
    """One step of an evaluation's history: scored, acknowledged, disputed, revised, upheld —
    who, when, what they said, and the score after it."""

    __tablename__ = "qa_evaluation_steps"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("qa_evaluations.id", ondelete="CASCADE"), nullable=False)
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    score: Mapped[float] = mapped_column(Float, nullable=False)
    at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (Index("ix_qa_evaluation_steps_evaluation", "evaluation_id", "id"),)


class Example(Base):
    """A conversation marked as an example of good practice, for training: why (the note),
    for which competencies, and its contact type (searchable by both)."""

    __tablename__ = "qa_examples"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project: Mapped[str] = mapped_column(String(64), nullable=False)
    conversation_id: Mapped[str] = mapped_column(String(64), nullable=False)
    operator_id: Mapped[str | None] = mapped_column(String(128))
    contact_type: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    #: Competency ids this conversation shows well.
    competencies: Mapped[list[str]] = mapped_column(JSONType, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    marked_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (
        Index("ix_qa_examples_conversation", "project", "conversation_id", unique=True),
        Index("ix_qa_examples_type", "project", "contact_type"),
    )
