"""The automatic quality checks over HTTP: a conversation's results and suggested contact
type, the project's check settings, the contact-type classifier (train, status), and the
failures per operator or queue over a period.

Reading a conversation's results takes what reading the conversation takes; the settings
and the classifier are the supervisors' (``settings:manage``); the figures are the reports'.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from dozvon.acd import queries as live
from dozvon.conversations import queries as conversations
from dozvon.core.errors import NotFound
from dozvon.quality import actions, queries, reports
from dozvon.quality.settings import QualitySettings
from dozvon.server.deps import CallerDep, HubDep, SessionDep
from dozvon.server.gate import needs

router = APIRouter(tags=["quality"])
READ, MANAGE, SETTINGS, REPORTS = ("conversations:read", "conversations:manage", "settings:manage",
                                   "reports:read")
Seconds = Annotated[float | None, Query(ge=0, le=1e11)]


def _known(session: Any, project: str, conversation_id: str) -> Any:
    conv = conversations.conversation(session, project, conversation_id)
    if conv is None:
        raise NotFound("routing.unknown_contact", contact=conversation_id)
    return conv


@router.get("/projects/{project}/conversations/{conversation_id}/quality",
            summary="The automatic checks of a conversation: each check's result, score and evidence",
            **needs(READ))
def conversation_quality(project: str, conversation_id: str, session: SessionDep) -> dict[str, Any]:
    _known(session, project, conversation_id)
    found = queries.result_of(session, project, conversation_id)
    return {"conversation_id": conversation_id, "checked": found is not None, **(found or {})}


@router.post("/projects/{project}/conversations/{conversation_id}/quality/check",
             summary="Check a closed conversation again now (with the project's current settings)",
             **needs(MANAGE))
def check_now(project: str, conversation_id: str, hub: HubDep, session: SessionDep) -> dict[str, Any]:
    _known(session, project, conversation_id)
    actions.do_check(hub.service(project), [conversation_id])
    found = queries.result_of(session, project, conversation_id)
    return {"conversation_id": conversation_id, "checked": found is not None, **(found or {})}


@router.get("/projects/{project}/conversations/{conversation_id}/quality/suggestion",
            summary="The suggested contact type of a conversation (rules over the CRM and the first messages, "
                    "then the project's classifier)", **needs(READ))
def suggestion(project: str, conversation_id: str, session: SessionDep) -> dict[str, Any]:
    conv = _known(session, project, conversation_id)
    stored = queries.suggestion_of(session, project, conversation_id)
    if stored is not None:
        return {"conversation_id": conversation_id, "stored": True, **stored}
    made, read = queries.suggestion_for(session, project, conv)
    return {"conversation_id": conversation_id, "stored": False, **made.to_dict(), "messages": read}


@router.post("/projects/{project}/conversations/{conversation_id}/quality/suggestion",
             summary="Suggest the contact type again now and store it (a complaint alerts the supervisors)",
             **needs("conversations:handle|conversations:manage"))
def suggest_now(project: str, conversation_id: str, hub: HubDep) -> dict[str, Any]:
    return {"conversation_id": conversation_id, **actions.do_suggest(hub.service(project), conversation_id)}


@router.get("/projects/{project}/quality/settings", summary="The project's check settings",
            **needs(f"{SETTINGS}|{REPORTS}"))
def get_settings(project: str, session: SessionDep) -> dict[str, Any]:
    return queries.settings_of(session, project).to_dict()


@router.put("/projects/{project}/quality/settings",
            summary="Set the checks: on/off, weights, reply times, hold limit, words added or removed per list "
                    "and language, the FCR window, what a suspected complaint does", **needs(SETTINGS))
def put_settings(project: str, body: QualitySettings, caller: CallerDep, hub: HubDep,
                 session: SessionDep) -> dict[str, Any]:
    queues = live.queue_names(hub.service(project))
    return actions.do_set_settings(session, caller.name, project, body, queues).to_dict()


@router.get("/projects/{project}/quality/classifier",
            summary="The contact-type classifier: trained or not, on how many conversations, its cross-validated "
                    "accuracy", **needs(f"{SETTINGS}|{REPORTS}"))
def classifier_status(project: str, session: SessionDep) -> dict[str, Any]:
    return queries.classifier_status(session, project)


@router.post("/projects/{project}/quality/classifier/train",
             summary="Train the contact-type classifier on the dispositions operators gave", **needs(SETTINGS))
def train(project: str, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    trained = actions.do_train(session, caller.name, project)
    return {"trained": True, "samples": trained.samples, "accuracy": trained.accuracy, "folds": trained.folds,
            "classes": trained.classes}


def _period(since: float | None, until: float | None) -> tuple[int, int]:
    end = until if until is not None else time.time()
    start = since if since is not None else end - 7 * 86400
    return round(start * 1e6), round(end * 1e6)


@router.get("/projects/{project}/quality/report",
            summary="Failed checks per operator or queue over a period (default: the last 7 days)",
            **needs(REPORTS))
def report(project: str, session: SessionDep, since: Seconds = None, until: Seconds = None,
           by: Literal["operator", "queue"] = "operator") -> dict[str, Any]:
    start, end = _period(since, until)
    rows = reports.summary(session, project, start, end, by)
    return {"since": start / 1e6, "until": end / 1e6, "by": by, "items": rows, "total": reports.totals(rows)}


@router.get("/projects/{project}/quality/flagged",
            summary="Conversations that failed a check over a period, worst first (for the evaluation queue)",
            **needs(REPORTS))
def flagged(project: str, session: SessionDep, since: Seconds = None, until: Seconds = None,
            operator_id: Annotated[str | None, Query(max_length=128)] = None,
            limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    start, end = _period(since, until)
    return {"items": queries.flagged(session, project, since_us=start, until_us=end, operator_id=operator_id,
                                     limit=limit)}
