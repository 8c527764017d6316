"""Every write to evaluations: score a conversation, the operator's acknowledgement or
dispute, the supervisor's revision or upholding, calibration scores, calibration sessions.

Each runs through the project's :class:`~dozvon.acd.service.RouterService` as the tasks'
actions do: the rows are written first (``before``), the engine logs the event with the
project's next ``seq``, all of it commits together, and the event reaches the operator's
and the supervisors' sockets after the commit. Events carry ids, scores and who acted —
never the comments, which are a person's words about a person and stay in the rows.

``as_operator`` is the caller's operator id when they act as the evaluated operator; None
for evaluators (``quality:evaluate``), who may not acknowledge or dispute for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dozvon.accounts.actions import audit
from dozvon.acd.service import RouterService
from dozvon.conversations.models import Conversation
from dozvon.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from dozvon.quality import evaluation_messages as _messages  # noqa: F401  (registers the texts)
from dozvon.quality.evaluation_models import (
    ACKNOWLEDGED,
    CURRENT,
    DISPUTED,
    REVISED,
    SUBMITTED,
    UPHELD,
    Calibration,
    Evaluation,
    EvaluationStep,
    Scorecard,
)
from dozvon.quality.scorecards import card_of, check_answers, get_card, score

COMMENT_LIMIT, CRITERION_COMMENT_LIMIT, TITLE_LIMIT = 4000, 1000, 200


@dataclass(frozen=True)
class EvaluationIn:
    conversation_id: str
    scorecard_id: int
    #: criterion id → 0…scale, or None (does not apply).
    values: Mapping[str, int | None]
    #: criterion id → the evaluator's comment on it (praise or what to improve).
    comments: Mapping[str, str] = field(default_factory=dict)
    praise: str = ""
    comment: str = ""
    calibration_id: int | None = None


def _now_us(svc: RouterService) -> int:
    return int(svc.read(lambda e: e.clock.now()) * 1_000_000)


def _text(value: str, where: str, limit: int = COMMENT_LIMIT) -> str:
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput("quality.eval.too_long", field=where, length=len(value), limit=limit)
    return value


def _required(value: str, where: str) -> str:
    value = _text(value, where)
    if not value:
        raise InvalidInput("quality.eval.say_why", field=where)
    return value


def get_evaluation(session: Session, project: str, evaluation_id: int) -> Evaluation:
    row = session.get(Evaluation, evaluation_id)
    if row is None or row.project != project:
        raise NotFound("quality.eval.unknown", evaluation=evaluation_id)
    return row


def get_calibration(session: Session, project: str, calibration_id: int) -> Calibration:
    row = session.get(Calibration, calibration_id)
    if row is None or row.project != project:
        raise NotFound("quality.calibration.unknown", calibration=calibration_id)
    return row


def _answers(card_row: Scorecard, wanted: EvaluationIn) -> tuple[dict[str, Any], Any]:
    card = card_of(card_row)
    values = check_answers(card, wanted.values)
    for key in wanted.comments:
        if key not in values:
            raise InvalidInput("quality.eval.unknown_criterion", field=f"answers.{key}", value=key)
    answers = {key: {"value": value, "comment": _text(wanted.comments.get(key, ""), f"answers.{key}.comment",
                                                       CRITERION_COMMENT_LIMIT)}
               for key, value in values.items()}
    return answers, score(card, values)


def _conversation(session: Session, project: str, conversation_id: str) -> Conversation:
    conv = session.get(Conversation, conversation_id)
    if conv is None or conv.project != project:
        raise InvalidInput("quality.eval.no_conversation", field="conversation_id", value=conversation_id)
    if not conv.operator_id:
        raise InvalidInput("quality.eval.no_operator", field="conversation_id", value=conversation_id)
    return conv


def do_evaluate(svc: RouterService, actor: str, wanted: EvaluationIn, *, actor_operator: str | None = None
                ) -> Evaluation:
    """Score a conversation on a card's current version — or, with ``calibration_id``, one
    supervisor's score in a calibration session (seen by supervisors only). One evaluation
    per evaluator and conversation (per session in calibration). ``actor_operator``: the
    evaluator's own operator id, if they are one (nobody evaluates their own work)."""
    praise = _text(wanted.praise, "praise")
    comment = _text(wanted.comment, "comment")
    now = _now_us(svc)
    made: list[tuple[Evaluation, Conversation]] = []

    def write(session: Session) -> None:
        conv = _conversation(session, svc.project, wanted.conversation_id)
        if actor_operator is not None and conv.operator_id == actor_operator:
            raise Forbidden("quality.eval.own_work", conversation=conv.id)
        card_row = get_card(session, svc.project, wanted.scorecard_id)
        if wanted.calibration_id is not None:
            calibration = get_calibration(session, svc.project, wanted.calibration_id)
            if calibration.conversation_id != conv.id:
                raise InvalidInput("quality.calibration.other_conversation", field="conversation_id",
                                   calibration=calibration.id, expected=calibration.conversation_id, value=conv.id)
            if calibration.scorecard_id != card_row.id:  # the session fixes the card: spreads compare like with like
                card_row = get_card(session, svc.project, calibration.scorecard_id)
        elif card_row.status != CURRENT:
            raise Conflict("quality.card.not_current", card=card_row.id, version=card_row.version,
                           card_key=card_row.key)
        earlier = session.scalar(select(Evaluation.id).where(
            Evaluation.project == svc.project, Evaluation.conversation_id == conv.id, Evaluation.evaluator == actor,
            Evaluation.calibration_id.is_(None) if wanted.calibration_id is None
            else Evaluation.calibration_id == wanted.calibration_id))
        if earlier is not None:
            raise Conflict("quality.eval.already", conversation=conv.id, evaluation=earlier)
        answers, scored = _answers(card_row, wanted)
        row = Evaluation(project=svc.project, conversation_id=conv.id, operator_id=conv.operator_id,
                         scorecard_id=card_row.id, calibration_id=wanted.calibration_id, evaluator=actor,
                         status=SUBMITTED, score=scored.score, failed_critical=scored.failed_critical,
                         answers=answers, competency_scores=scored.competencies, praise=praise, comment=comment,
                         channel=conv.channel, contact_type=(conv.disposition or {}).get("contact_type"),
                         conversation_at_us=conv.closed_at_us or conv.created_at_us, created_at_us=now,
                         updated_at_us=now)
        session.add(row)
        session.flush()
        session.add(EvaluationStep(evaluation_id=row.id, action=SUBMITTED, actor=actor, comment=comment,
                                   score=scored.score, at_us=now))
        audit(session, actor, "evaluation.submitted", svc.project, str(row.id), conversation=conv.id,
              score=scored.score, calibration=wanted.calibration_id)
        made.append((row, conv))

    def log(e: Any) -> None:
        row, conv = made[0]
        if row.calibration_id is None:
            e.note("evaluation.submitted", conv.id, row.operator_id, queue=conv.queue, channel=conv.channel,
                   evaluation_id=row.id, scorecard_id=row.scorecard_id, score=row.score,
                   failed_critical=row.failed_critical, by=actor)
        else:  # supervisors only: the operator is not named, so their socket is not told
            e.note("calibration.scored", conv.id, None, queue=conv.queue, channel=conv.channel,
                   evaluation_id=row.id, calibration_id=row.calibration_id, score=row.score, by=actor)

    svc.run(log, before=write)
    return made[0][0]


#: step → (the statuses it may follow, the status it leaves, who takes it).
_STEPS: dict[str, tuple[frozenset[str], str, str]] = {
    "acknowledge": (frozenset({SUBMITTED, REVISED, UPHELD}), ACKNOWLEDGED, "operator"),
    "dispute": (frozenset({SUBMITTED, REVISED, UPHELD}), DISPUTED, "operator"),
    "revise": (frozenset({DISPUTED}), REVISED, "evaluator"),
    "uphold": (frozenset({DISPUTED}), UPHELD, "evaluator"),
}


def _step(svc: RouterService, actor: str, evaluation_id: int, step: str, comment: str, *,
          as_operator: str | None, change: Any = None) -> Evaluation:
    follows, becomes, who = _STEPS[step]
    now = _now_us(svc)
    found: list[tuple[Evaluation, Conversation | None, float]] = []

    def write(session: Session) -> None:
        row = get_evaluation(session, svc.project, evaluation_id)
        if row.calibration_id is not None:
            raise Conflict("quality.eval.calibration", evaluation=row.id)
        if who == "operator" and row.operator_id != as_operator:
            raise Forbidden("quality.eval.not_yours", evaluation=row.id)
        if row.status not in follows:
            raise Conflict("quality.eval.wrong_step", evaluation=row.id, status=row.status, step=step)
        before = row.score
        if change is not None:
            change(session, row)
        row.status, row.updated_at_us = becomes, now
        session.add(EvaluationStep(evaluation_id=row.id, action=becomes, actor=actor, comment=comment,
                                   score=row.score, at_us=now))
        audit(session, actor, f"evaluation.{becomes}", svc.project, str(row.id), score=row.score)
        found.append((row, session.get(Conversation, row.conversation_id), before))

    def log(e: Any) -> None:
        row, conv, before = found[0]
        where = {"queue": conv.queue, "channel": conv.channel} if conv is not None else {}
        data: dict[str, Any] = {"evaluation_id": row.id, "by": actor}
        if becomes in (REVISED, UPHELD):
            data["score"] = row.score
        if becomes == REVISED:
            data["from_score"] = before
        e.note(f"evaluation.{becomes}", row.conversation_id, row.operator_id, **where, **data)

    svc.run(log, before=write)
    return found[0][0]


def do_acknowledge(svc: RouterService, actor: str, evaluation_id: int, comment: str = "", *,
                   as_operator: str | None) -> Evaluation:
    """The operator has read it and accepts it (a comment is welcome, not required)."""
    return _step(svc, actor, evaluation_id, "acknowledge", _text(comment, "comment"), as_operator=as_operator)


def do_dispute(svc: RouterService, actor: str, evaluation_id: int, comment: str, *,
               as_operator: str | None) -> Evaluation:
    """The operator disagrees, saying why: it goes back to the supervisors."""
    return _step(svc, actor, evaluation_id, "dispute", _required(comment, "comment"), as_operator=as_operator)


def do_uphold(svc: RouterService, actor: str, evaluation_id: int, comment: str) -> Evaluation:
    """A supervisor answers a dispute keeping the scores, saying why."""
    return _step(svc, actor, evaluation_id, "uphold", _required(comment, "comment"), as_operator=None)


def do_revise(svc: RouterService, actor: str, evaluation_id: int, comment: str,
              values: Mapping[str, int | None], comments: Mapping[str, str] | None = None) -> Evaluation:
    """A supervisor answers a dispute with new scores (on the same card version the
    evaluation was given on), saying what changed. Criteria left out keep their answers."""
    said = _required(comment, "comment")

    def change(session: Session, row: Evaluation) -> None:
        card_row = get_card(session, row.project, row.scorecard_id)
        merged_values = {k: a["value"] for k, a in row.answers.items()}
        merged_values.update(values)
        merged_comments = {k: a.get("comment", "") for k, a in row.answers.items()}
        merged_comments.update(comments or {})
        answers, scored = _answers(card_row, EvaluationIn(row.conversation_id, row.scorecard_id, merged_values,
                                                          merged_comments))
        row.answers, row.competency_scores = answers, scored.competencies
        row.score, row.failed_critical = scored.score, scored.failed_critical

    return _step(svc, actor, evaluation_id, "revise", said, as_operator=None, change=change)


def do_create_calibration(session: Session, project: str, actor: str, conversation_id: str, scorecard_id: int,
                          title: str, now_us: int) -> Calibration:
    """A calibration session: the supervisors each score this conversation on this card."""
    conv = _conversation(session, project, conversation_id)
    card_row = get_card(session, project, scorecard_id)
    if card_row.status != CURRENT:
        raise Conflict("quality.card.not_current", card=card_row.id, version=card_row.version,
                           card_key=card_row.key)
    title = _text(title, "title", TITLE_LIMIT)
    row = Calibration(project=project, conversation_id=conv.id, scorecard_id=card_row.id, title=title,
                      created_by=actor, created_at_us=now_us)
    session.add(row)
    session.flush()
    audit(session, actor, "calibration.created", project, str(row.id), conversation=conv.id)
    return row
