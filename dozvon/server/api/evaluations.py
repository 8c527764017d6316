"""Evaluations by competencies over HTTP: scorecards, the evaluation queue, evaluations and
their disputes, calibration, examples, trends, and an operator's own figures.

Who may do what (dozvon/accounts/permissions.py): ``quality:evaluate`` (supervisors,
admins) scores conversations, answers disputes, calibrates and marks examples;
``quality:manage`` writes scorecards; ``quality:self`` (operators) sees only their own
evaluations — never calibration scores — acknowledges or disputes them, reads the
examples and their own figures beside the team's median.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from dozvon.accounts.permissions import Principal
from dozvon.accounts.queries import get_project
from dozvon.acd import queries as live
from dozvon.conversations import queries as conversations
from dozvon.core.errors import Forbidden, InvalidInput, NotFound
from dozvon.quality import evaluation_queries as q
from dozvon.quality import evaluations as actions
from dozvon.quality import examples, sampling, scorecards, selfcontrol
from dozvon.quality.evaluation_models import STATUSES, Example
from dozvon.server.deps import Body, CallerDep, HubDep, RowId, SessionDep, page
from dozvon.server.gate import needs
from dozvon.server.i18n import language_of

router = APIRouter(tags=["quality"])
SELF, EVALUATE, MANAGE = "quality:self", "quality:evaluate", "quality:manage"
READ = f"{SELF}|{EVALUATE}"
Status = Literal["submitted", "acknowledged", "disputed", "revised", "upheld"]
assert set(STATUSES) == {"submitted", "acknowledged", "disputed", "revised", "upheld"}


def _lang(request: Request) -> str:
    return language_of(request.headers.get("accept-language"))


def _now_us(hub: Any) -> int:
    return int(hub.clock.now() * 1_000_000)


def _own(caller: Principal, project: str) -> str | None:
    """None for evaluators (they see everyone's); else the caller's operator id."""
    if caller.can(EVALUATE, project):
        return None
    operator_id = caller.operator_ids.get(project)
    if operator_id is None:
        raise Forbidden("auth.not_an_operator", project=project)
    return operator_id


def _range(session: Session, project: str, since: date | None, until: date | None, days: int = 28
           ) -> tuple[str, int, int, date, date]:
    tz = get_project(session, project).timezone
    for given in (since, until):
        if given is not None and not 1971 <= given.year <= 9000:
            raise InvalidInput("report.bad_range", since=str(since), until=str(until))
    zone = ZoneInfo(tz)
    today = datetime.now(zone).date()
    last = until if until is not None else today + timedelta(days=1)
    first = since if since is not None else last - timedelta(days=days)
    if last <= first or (last - first).days > 3700 or first.year < 1971:
        raise InvalidInput("report.bad_range", since=first.isoformat(), until=last.isoformat())
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    end = datetime(last.year, last.month, last.day, tzinfo=zone)
    return tz, int(start.timestamp() * 1e6), int(end.timestamp() * 1e6), first, last


# ----------------------------------------------------------------------------- scorecards

class CardIn(Body):
    #: The card across versions; saving under an existing key writes its next version.
    key: str = Field(default=scorecards.DEFAULT_KEY, min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    #: [{id, title: {en, ru}, weight, criteria: [{id, text: {en, ru}, scale, weight, critical}]}]
    competencies: list[dict[str, Any]] = Field(max_length=scorecards.MAX_COMPETENCIES)


@router.get("/projects/{project}/quality/scorecards",
            summary="The scorecards in use (the default card is made on first use)",
            **needs(f"{READ}|{MANAGE}"))
def list_cards(project: str, request: Request, caller: CallerDep, session: SessionDep,
               hub: HubDep) -> dict[str, Any]:
    lang = _lang(request)
    if caller.can(EVALUATE, project) or caller.can(MANAGE, project):
        scorecards.ensure_default_card(session, project, caller.name, lang, _now_us(hub))
    return page([scorecards.card_dict(c, lang) for c in scorecards.current_cards(session, project)])


@router.post("/projects/{project}/quality/scorecards", status_code=201,
             summary="Save a scorecard: a new card, or the next version of the card with this key",
             **needs(MANAGE))
def save_card(project: str, body: CardIn, request: Request, caller: CallerDep, session: SessionDep,
              hub: HubDep) -> dict[str, Any]:
    row = scorecards.do_save_card(session, project, caller.name, body.key, body.name,
                                  {"competencies": body.competencies}, _now_us(hub))
    return scorecards.card_dict(row, _lang(request))


@router.post("/projects/{project}/quality/scorecards/default", summary="Make the default card (once per project)",
             **needs(MANAGE))
def default_card(project: str, request: Request, caller: CallerDep, session: SessionDep,
                 hub: HubDep) -> dict[str, Any]:
    row = scorecards.ensure_default_card(session, project, caller.name, _lang(request), _now_us(hub))
    return {"created": row is not None, "items": [scorecards.card_dict(c, _lang(request))
                                                  for c in scorecards.current_cards(session, project)]}


@router.get("/projects/{project}/quality/scorecards/{card_id}",
            summary="One scorecard version, with the list of its card's versions", **needs(f"{READ}|{MANAGE}"))
def get_card(project: str, card_id: RowId, request: Request, session: SessionDep) -> dict[str, Any]:
    row = scorecards.get_card(session, project, card_id)
    return {**scorecards.card_dict(row, _lang(request)),
            "versions": [{"id": v.id, "version": v.version, "status": v.status, "created_by": v.created_by,
                          "created_at": v.created_at_us / 1e6}
                         for v in scorecards.versions(session, project, row.key)]}


@router.post("/projects/{project}/quality/scorecards/{card_id}/retire",
             summary="Take a card out of use (past evaluations keep it)", **needs(MANAGE))
def retire_card(project: str, card_id: RowId, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    row = scorecards.get_card(session, project, card_id)
    scorecards.do_retire_card(session, project, caller.name, row.key)
    return {"key": row.key, "status": "retired"}


# ----------------------------------------------------------------------------- the queue

@router.get("/projects/{project}/quality/queue",
            summary="Conversations to evaluate this week: a fixed random sample per operator, those the "
                    "automatic checks flagged, low CSAT", **needs(EVALUATE))
def queue(project: str, session: SessionDep, hub: HubDep,
          week: Annotated[str | None, Query(max_length=10, description="ISO week, 2026-W49; default: this one")
                          ] = None,
          operator_id: Annotated[str | None, Query(max_length=128)] = None,
          per_operator: Annotated[int, Query(ge=0, le=50)] = sampling.PER_OPERATOR) -> dict[str, Any]:
    tz = get_project(session, project).timezone
    w = sampling.week(week, tz, datetime.now(ZoneInfo(tz)).date())
    items = sampling.proposals(session, project, w, per_operator=per_operator, operator_id=operator_id)
    names = live.operator_names(hub.service(project))
    for item in items:
        item["operator_name"] = names.get(item["operator_id"], item["operator_id"])
    before, after = sampling.neighbours(w, tz)
    return page(items, week=w.label, previous_week=before, next_week=after)


@router.get("/projects/{project}/quality/conversations/{conversation_id}",
            summary="A conversation as the evaluation screen shows it: transcript, automatic checks, "
                    "its evaluations, whether it is an example", **needs(READ))
def conversation(project: str, conversation_id: str, caller: CallerDep, session: SessionDep,
                 hub: HubDep) -> dict[str, Any]:
    conv = conversations.conversation(session, project, conversation_id)
    if conv is None:
        raise NotFound("routing.unknown_contact", contact=conversation_id)
    mine = _own(caller, project)
    example = session.scalar(select(Example).where(Example.project == project, Example.conversation_id == conv.id))
    if mine is not None and conv.operator_id != mine and example is None:
        raise Forbidden("quality.eval.not_yours", evaluation=conversation_id)
    rows = q.list_evaluations(session, project, conversation_id=conv.id,
                              operator_id=mine if mine is not None and conv.operator_id == mine else None,
                              include_calibration=False)
    if mine is not None and conv.operator_id != mine:
        rows = []  # an example of a colleague's: the transcript, never their evaluations
    names = live.operator_names(hub.service(project))
    return {**conversations.conversation_dict(conv, live.live_contact(hub.service(project), conv.id)),
            "operator_name": names.get(conv.operator_id or "", conv.operator_id),
            "csat": (conv.details or {}).get("csat"),
            "messages": [conversations.message_dict(m) for m in conversations.messages(session, project, conv.id)],
            "checks": sampling.check_result(session, project, conv.id),
            "evaluations": q.evaluations_out(session, rows, with_steps=True),
            "example": examples.example_dict(example) if example is not None else None}


# ----------------------------------------------------------------------------- evaluations

class AnswerIn(Body):
    #: 0…the criterion's scale; null: does not apply to this conversation.
    value: int | None = Field(ge=0, le=scorecards.MAX_SCALE)
    comment: str = Field(default="", max_length=actions.CRITERION_COMMENT_LIMIT)


class EvaluationIn(Body):
    conversation_id: str = Field(min_length=1, max_length=64)
    scorecard_id: int = Field(ge=1, le=2**62)
    #: criterion id → its answer; every criterion of the card.
    answers: dict[str, AnswerIn] = Field(max_length=scorecards.MAX_COMPETENCIES * scorecards.MAX_CRITERIA)
    praise: str = Field(default="", max_length=actions.COMMENT_LIMIT)
    comment: str = Field(default="", max_length=actions.COMMENT_LIMIT)
    #: Score inside a calibration session (supervisors only see it).
    calibration_id: int | None = Field(default=None, ge=1, le=2**62)


class StepIn(Body):
    comment: str = Field(default="", max_length=actions.COMMENT_LIMIT)


class ReviseIn(Body):
    comment: str = Field(min_length=1, max_length=actions.COMMENT_LIMIT)
    #: The criteria whose answers change (others keep theirs).
    answers: dict[str, AnswerIn] = Field(default_factory=dict,
                                         max_length=scorecards.MAX_COMPETENCIES * scorecards.MAX_CRITERIA)


def _answer(session: Session, project: str, row: Any) -> dict[str, Any]:
    return q.evaluations_out(session, [row], with_steps=True)[0]


@router.get("/projects/{project}/evaluations",
            summary="Evaluations, newest first: your own (operators), or anybody's (quality:evaluate)",
            **needs(READ))
def list_evaluations(project: str, caller: CallerDep, session: SessionDep,
                     operator_id: Annotated[str | None, Query(max_length=128)] = None,
                     status: Annotated[Status | None, Query()] = None,
                     conversation_id: Annotated[str | None, Query(max_length=64)] = None,
                     limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    mine = _own(caller, project)
    if mine is not None and operator_id not in (None, mine):
        raise Forbidden("quality.eval.not_yours", evaluation=operator_id)
    rows = q.list_evaluations(session, project, operator_id=mine or operator_id, status=status,
                              conversation_id=conversation_id, limit=limit)
    return page(q.evaluations_out(session, rows, with_steps=True))


@router.post("/projects/{project}/evaluations", status_code=201,
             summary="Score a conversation on a scorecard (or inside a calibration session)", **needs(EVALUATE))
def evaluate(project: str, body: EvaluationIn, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    row = actions.do_evaluate(hub.service(project), caller.name, actions.EvaluationIn(
        conversation_id=body.conversation_id, scorecard_id=body.scorecard_id,
        values={k: a.value for k, a in body.answers.items()},
        comments={k: a.comment for k, a in body.answers.items() if a.comment},
        praise=body.praise, comment=body.comment, calibration_id=body.calibration_id),
        actor_operator=caller.operator_ids.get(project))
    with hub.sessions() as session:
        return _answer(session, project, actions.get_evaluation(session, project, row.id))


@router.get("/projects/{project}/evaluations/{evaluation_id}", summary="One evaluation with its history",
            **needs(READ))
def get_evaluation(project: str, evaluation_id: RowId, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    row = actions.get_evaluation(session, project, evaluation_id)
    mine = _own(caller, project)
    if mine is not None and (row.operator_id != mine or row.calibration_id is not None):
        raise Forbidden("quality.eval.not_yours", evaluation=evaluation_id)
    return _answer(session, project, row)


def _stepped(hub: Any, project: str, row: Any) -> dict[str, Any]:
    with hub.sessions() as session:
        return _answer(session, project, actions.get_evaluation(session, project, row.id))


@router.post("/projects/{project}/evaluations/{evaluation_id}/acknowledge",
             summary="The operator accepts their evaluation", **needs(SELF))
def acknowledge(project: str, evaluation_id: RowId, body: StepIn, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    row = actions.do_acknowledge(hub.service(project), caller.name, evaluation_id, body.comment,
                                 as_operator=caller.operator_ids.get(project))
    return _stepped(hub, project, row)


@router.post("/projects/{project}/evaluations/{evaluation_id}/dispute",
             summary="The operator disputes their evaluation, saying why", **needs(SELF))
def dispute(project: str, evaluation_id: RowId, body: StepIn, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    row = actions.do_dispute(hub.service(project), caller.name, evaluation_id, body.comment,
                             as_operator=caller.operator_ids.get(project))
    return _stepped(hub, project, row)


@router.post("/projects/{project}/evaluations/{evaluation_id}/uphold",
             summary="Answer a dispute keeping the scores, saying why", **needs(EVALUATE))
def uphold(project: str, evaluation_id: RowId, body: StepIn, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    row = actions.do_uphold(hub.service(project), caller.name, evaluation_id, body.comment)
    return _stepped(hub, project, row)


@router.post("/projects/{project}/evaluations/{evaluation_id}/revise",
             summary="Answer a dispute with new scores, saying what changed", **needs(EVALUATE))
def revise(project: str, evaluation_id: RowId, body: ReviseIn, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    row = actions.do_revise(hub.service(project), caller.name, evaluation_id, body.comment,
                            {k: a.value for k, a in body.answers.items()},
                            {k: a.comment for k, a in body.answers.items()})
    return _stepped(hub, project, row)


# ----------------------------------------------------------------------------- calibration

class CalibrationIn(Body):
    conversation_id: str = Field(min_length=1, max_length=64)
    scorecard_id: int = Field(ge=1, le=2**62)
    title: str = Field(default="", max_length=actions.TITLE_LIMIT)


@router.get("/projects/{project}/calibrations", summary="Calibration sessions, newest first", **needs(EVALUATE))
def list_calibrations(project: str, session: SessionDep) -> dict[str, Any]:
    return page(q.list_calibrations(session, project))


@router.post("/projects/{project}/calibrations", status_code=201,
             summary="Start a calibration session: supervisors each score one conversation", **needs(EVALUATE))
def create_calibration(project: str, body: CalibrationIn, request: Request, caller: CallerDep,
                       session: SessionDep, hub: HubDep) -> dict[str, Any]:
    row = actions.do_create_calibration(session, project, caller.name, body.conversation_id, body.scorecard_id,
                                        body.title, _now_us(hub))
    return q.calibration_dict(session, row, _lang(request))


@router.get("/projects/{project}/calibrations/{calibration_id}",
            summary="A calibration session: every score and the spread per criterion — blind (who scored, not "
                    "what) until the caller has scored it, as the page is", **needs(EVALUATE))
def get_calibration(project: str, calibration_id: RowId, request: Request, caller: CallerDep,
                    session: SessionDep) -> dict[str, Any]:
    found = q.calibration_dict(session, actions.get_calibration(session, project, calibration_id), _lang(request))
    if caller.name not in found["evaluators"]:
        # A calibration is only worth something if each supervisor scores before seeing the others.
        found.update(scores=[], evaluations=[], criteria=[], score_spread=None, blind=True)
    else:
        found["blind"] = False
    return found


# ----------------------------------------------------------------------------- examples

class ExampleIn(Body):
    conversation_id: str = Field(min_length=1, max_length=64)
    note: str = Field(default="", max_length=examples.NOTE_LIMIT)
    competencies: list[str] = Field(default_factory=list, max_length=scorecards.MAX_COMPETENCIES)


@router.get("/projects/{project}/examples",
            summary="Best-practice examples by contact type, competency and words of the note", **needs(READ))
def list_examples(project: str, request: Request, session: SessionDep, hub: HubDep,
                  contact_type: Annotated[str | None, Query(max_length=32)] = None,
                  competency: Annotated[str | None, Query(max_length=64)] = None,
                  text: Annotated[str | None, Query(max_length=200)] = None) -> dict[str, Any]:
    rows = examples.search(session, project, contact_type=contact_type, competency=competency, text=text)
    convs = conversations.conversations_by_id(session, project, [r.conversation_id for r in rows])
    names = live.operator_names(hub.service(project))
    labels = examples.competency_labels(session, project, _lang(request))
    out = []
    for r in rows:
        item = examples.example_dict(r, convs.get(r.conversation_id))
        item["operator_name"] = names.get(r.operator_id or "", r.operator_id)
        item["competency_labels"] = [labels.get(c, c) for c in item["competencies"]]
        out.append(item)
    return page(out, competencies=[{"id": k, "label": v} for k, v in labels.items()])


@router.post("/projects/{project}/examples", status_code=201,
             summary="Mark a conversation as a best-practice example (again: replace its note)", **needs(EVALUATE))
def mark_example(project: str, body: ExampleIn, caller: CallerDep, session: SessionDep,
                 hub: HubDep) -> dict[str, Any]:
    row = examples.do_mark_example(session, project, caller.name, body.conversation_id, body.note,
                                   body.competencies, _now_us(hub))
    return examples.example_dict(row)


@router.delete("/projects/{project}/examples/{example_id}", status_code=204,
               summary="No longer an example", **needs(EVALUATE))
def unmark_example(project: str, example_id: RowId, caller: CallerDep, session: SessionDep) -> None:
    examples.do_unmark_example(session, project, caller.name, example_id)


# ----------------------------------------------------------------------------- figures

@router.get("/projects/{project}/quality/trends",
            summary="Mean evaluation scores per ISO week: the team, each operator, each competency",
            **needs(f"{EVALUATE}|reports:read"))
def trends(project: str, request: Request, session: SessionDep, hub: HubDep,
           since: Annotated[date | None, Query(description="first day; default: 12 weeks ago")] = None,
           until: Annotated[date | None, Query(description="day after the last; default: tomorrow")] = None
           ) -> dict[str, Any]:
    tz, start, end, first, last = _range(session, project, since, until, days=84)
    found = q.trends(session, project, start, end, tz)
    names = live.operator_names(hub.service(project))
    return {"since": first.isoformat(), "until": last.isoformat(), **found,
            "operator_names": {op: names.get(op, op) for op in found["operators"]},
            "competency_labels": examples.competency_labels(session, project, _lang(request))}


@router.get("/projects/{project}/quality/summary",
            summary="Per operator: evaluations and their mean score beside the KPIs, CSAT and the automatic "
                    "checks", **needs(f"{EVALUATE}|reports:read"))
def summary(project: str, session: SessionDep, hub: HubDep,
            since: Annotated[date | None, Query()] = None,
            until: Annotated[date | None, Query()] = None) -> dict[str, Any]:
    tz, start, end, first, last = _range(session, project, since, until)
    names = live.operator_names(hub.service(project))
    rows = [{"operator_id": op, "operator_name": names.get(op, op), **f}
            for op, f in sorted(selfcontrol.figures(session, project, start, end, tz).items())]
    return page(rows, since=first.isoformat(), until=last.isoformat())


@router.get("/projects/{project}/quality/me",
            summary="Your own KPIs, CSAT, evaluations and checks beside the team's median (never a ranking)",
            **needs(SELF))
def me(project: str, caller: CallerDep, session: SessionDep,
       since: Annotated[date | None, Query()] = None,
       until: Annotated[date | None, Query()] = None) -> dict[str, Any]:
    operator_id = caller.operator_ids.get(project)
    if operator_id is None:
        raise Forbidden("auth.not_an_operator", project=project)
    tz, start, end, first, last = _range(session, project, since, until)
    return {"since": first.isoformat(), "until": last.isoformat(),
            **selfcontrol.self_view(session, project, operator_id, start, end, tz)}
