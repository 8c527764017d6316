"""The evaluations' events, in the catalogue's form (:mod:`dozvon.eventlog.catalogue`
imports this module at its end, which registers them). Kept apart so the catalogue stays a
file one can read; the rules are the catalogue's.

An evaluation's events name the evaluated operator as ``operator_id`` (they and the
supervisors receive them) and the conversation as ``contact_id``; they carry ids, scores
and who acted, never the comments. A calibration score names no operator: calibration is
among supervisors.
"""

from __future__ import annotations

from dozvon.eventlog.catalogue import _OPERATOR, Event, _event

__all__ = ["CalibrationScored", "EvaluationAcknowledged", "EvaluationDisputed", "EvaluationRevised",
           "EvaluationSubmitted", "EvaluationUpheld"]


@_event
class EvaluationSubmitted(Event):
    """A supervisor scored the operator's conversation on a scorecard version (0–100; 0
    with ``failed_critical`` when a critical criterion failed)."""

    type = "evaluation.submitted"
    needs = ("contact_id", *_OPERATOR)
    evaluation_id: int
    scorecard_id: int
    score: float
    failed_critical: bool
    #: Who scored it (a login).
    by: str


@_event
class EvaluationAcknowledged(Event):
    """The operator read the evaluation and accepted it."""

    type = "evaluation.acknowledged"
    needs = ("contact_id", *_OPERATOR)
    evaluation_id: int
    by: str


@_event
class EvaluationDisputed(Event):
    """The operator disputed the evaluation, saying why: it is back with the supervisors."""

    type = "evaluation.disputed"
    needs = ("contact_id", *_OPERATOR)
    evaluation_id: int
    by: str


@_event
class EvaluationRevised(Event):
    """A supervisor answered a dispute with new scores."""

    type = "evaluation.revised"
    needs = ("contact_id", *_OPERATOR)
    evaluation_id: int
    score: float
    from_score: float
    by: str


@_event
class EvaluationUpheld(Event):
    """A supervisor answered a dispute keeping the scores, saying why."""

    type = "evaluation.upheld"
    needs = ("contact_id", *_OPERATOR)
    evaluation_id: int
    score: float
    by: str


@_event
class CalibrationScored(Event):
    """One supervisor's score in a calibration session (supervisors only: no operator named)."""

    type = "calibration.scored"
    needs = ("contact_id",)
    operator_receives = False
    evaluation_id: int
    calibration_id: int
    score: float
    by: str
