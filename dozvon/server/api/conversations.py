"""Conversations and what operators do with them: offers, messages, end, disposition,
transfer, hold; callback tasks. Operators act on their own contacts only (the engine
checks); supervisors may act on anybody's. Handlers parse, authorise, call the action in
:mod:`dozvon.conversations.actions` and shape the answer."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field, model_validator

from dozvon.acd import queries as live
from dozvon.conversations import actions
from dozvon.conversations import queries as q
from dozvon.conversations.models import CallbackTask, Conversation
from dozvon.core.errors import NotFound
from dozvon.quality import queries as quality
from dozvon.routing.events import Decision
from dozvon.routing.model import CONTACT_TYPES
from dozvon.server.deps import Body, CallerDep, HubDep, RowId, SessionDep, acting_operator, page
from dozvon.server.gate import needs

router = APIRouter(tags=["conversations"])

HANDLE, MANAGE = "conversations:handle", "conversations:manage"


def decisions_out(decisions: list[Decision]) -> list[dict[str, Any]]:
    """Decisions as the API shows them: kind and whom they concern, and what an adapter
    needs (deadline, text, target, reason, channel) where set."""
    return [d.to_dict() for d in decisions]


@router.get("/projects/{project}/conversations", summary="Conversations, newest first",
            **needs("conversations:read"))
def list_conversations(project: str, hub: HubDep, session: SessionDep,
                       status: Annotated[str | None, Query(max_length=32)] = None,
                       queue: Annotated[str | None, Query(max_length=128)] = None,
                       operator_id: Annotated[str | None, Query(max_length=128)] = None,
                       customer_id: Annotated[str | None, Query(max_length=200)] = None,
                       before: Annotated[float | None, Query(ge=0, le=1e11)] = None,
                       limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    svc = hub.service(project)
    seq = svc.last_seq()
    stmt = q.readable_conversations(project)
    for column, value in ((Conversation.status, status), (Conversation.queue, queue),
                          (Conversation.operator_id, operator_id), (Conversation.customer_id, customer_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if before is not None:
        stmt = stmt.where(Conversation.created_at_us < round(before * 1e6))
    rows = list(session.scalars(stmt.order_by(Conversation.created_at_us.desc()).limit(limit)))
    now = live.live_contacts(svc, [c.id for c in rows])
    items = [q.conversation_dict(c, now.get(c.id)) for c in rows]
    return page(items, next_before=rows[-1].created_at_us / 1e6 if len(rows) == limit else None, seq=seq)


@router.get("/projects/{project}/conversations/{conversation_id}",
            summary="One conversation with its messages and their delivery", **needs("conversations:read"))
def get_conversation(project: str, conversation_id: str, hub: HubDep, session: SessionDep) -> dict[str, Any]:
    svc = hub.service(project)
    seq = svc.last_seq()
    conv = q.conversation(session, project, conversation_id)
    if conv is None:
        raise NotFound("routing.unknown_contact", contact=conversation_id)
    sent = q.deliveries(session, project, conversation_id)
    return {**q.conversation_dict(conv, live.live_contact(svc, conv.id)),
            "messages": [q.message_dict(m, sent.get(m.id)) for m in q.messages(session, project, conversation_id)],
            "notes": q.notes(session, project, conversation_id), "seq": seq,
            **quality.conversation_fields(session, project, conv)}


class TextIn(Body):
    text: str = Field(min_length=1, max_length=20000)


@router.post("/projects/{project}/conversations/{conversation_id}/messages", status_code=201,
             summary="Reply to the customer (delivered through the outbox)", **needs(HANDLE))
def send_message(project: str, conversation_id: str, body: TextIn, caller: CallerDep,
                 hub: HubDep) -> dict[str, Any]:
    operator_id = acting_operator(caller, project, MANAGE)
    message_id = actions.do_send_message(hub.service(project), conversation_id, operator_id, caller.name, body.text)
    return {"message_id": message_id}


@router.post("/projects/{project}/offers/{offer_id}/accept", summary="Answer an offer", **needs(HANDLE))
def accept(project: str, offer_id: str, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    operator_id = acting_operator(caller, project, MANAGE)
    return {"decisions": decisions_out(actions.do_accept_offer(hub.service(project), offer_id, operator_id))}


class DeclineIn(Body):
    reason: str = Field(default="declined", max_length=200)


@router.post("/projects/{project}/offers/{offer_id}/decline", summary="Refuse an offer", **needs(HANDLE))
def decline(project: str, offer_id: str, body: DeclineIn, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    operator_id = acting_operator(caller, project, MANAGE)
    decisions = actions.do_decline_offer(hub.service(project), offer_id, operator_id, body.reason)
    return {"decisions": decisions_out(decisions)}


@router.post("/projects/{project}/conversations/{conversation_id}/end",
             summary="End the conversation; wrap-up starts", **needs(HANDLE))
def end(project: str, conversation_id: str, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    operator_id = acting_operator(caller, project, MANAGE)
    return {"decisions": decisions_out(actions.do_end(hub.service(project), conversation_id, operator_id))}


@router.post("/projects/{project}/conversations/{conversation_id}/hold", summary="Put on hold", **needs(HANDLE))
def hold(project: str, conversation_id: str, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    operator_id = acting_operator(caller, project, MANAGE)
    return {"decisions": decisions_out(actions.do_hold(hub.service(project), conversation_id, operator_id))}


@router.post("/projects/{project}/conversations/{conversation_id}/resume", summary="Take off hold",
             **needs(HANDLE))
def resume(project: str, conversation_id: str, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    operator_id = acting_operator(caller, project, MANAGE)
    return {"decisions": decisions_out(actions.do_resume(hub.service(project), conversation_id, operator_id))}


class DispositionIn(Body):
    #: One of the six contact types.
    contact_type: Literal[CONTACT_TYPES]  # type: ignore[valid-type]
    resolved: bool
    notes: str = Field(default="", max_length=5000)


@router.post("/projects/{project}/conversations/{conversation_id}/disposition",
             summary="Classify the contact (required); closes it and frees the slot", **needs(HANDLE))
def disposition(project: str, conversation_id: str, body: DispositionIn, caller: CallerDep,
                hub: HubDep) -> dict[str, Any]:
    operator_id = acting_operator(caller, project, MANAGE)
    decisions = actions.do_dispose(hub.service(project), conversation_id, operator_id, body.contact_type,
                                   body.resolved, body.notes)
    return {"decisions": decisions_out(decisions)}


class TransferIn(Body):
    """Exactly one target: an operator, a queue, or an external number."""

    to_operator: str | None = Field(default=None, min_length=1, max_length=128)
    to_queue: str | None = Field(default=None, min_length=1, max_length=128)
    to_external: str | None = Field(default=None, min_length=1, max_length=64)
    escalation: bool = False

    @model_validator(mode="after")
    def one_target(self) -> TransferIn:
        if sum(x is not None for x in (self.to_operator, self.to_queue, self.to_external)) != 1:
            raise ValueError("give exactly one of to_operator, to_queue, to_external")
        return self


@router.post("/projects/{project}/conversations/{conversation_id}/transfer",
             summary="Hand the contact to another operator, queue or number", **needs(HANDLE))
def transfer(project: str, conversation_id: str, body: TransferIn, caller: CallerDep,
             hub: HubDep) -> dict[str, Any]:
    operator_id = acting_operator(caller, project, MANAGE)
    decisions = actions.do_transfer(hub.service(project), conversation_id, operator_id,
                                    to_operator=body.to_operator, to_queue=body.to_queue,
                                    to_external=body.to_external, escalation=body.escalation)
    return {"decisions": decisions_out(decisions)}


class ReassignIn(Body):
    """Exactly one target: a queue, or an operator with room for it."""

    to_operator: str | None = Field(default=None, min_length=1, max_length=128)
    to_queue: str | None = Field(default=None, min_length=1, max_length=128)

    @model_validator(mode="after")
    def one_target(self) -> ReassignIn:
        if (self.to_operator is None) == (self.to_queue is None):
            raise ValueError("give exactly one of to_operator, to_queue")
        return self


@router.post("/projects/{project}/conversations/{conversation_id}/reassign",
             summary="Move a contact nobody has answered yet to another queue or operator (supervisors)",
             **needs(MANAGE))
def reassign(project: str, conversation_id: str, body: ReassignIn, caller: CallerDep,
             hub: HubDep) -> dict[str, Any]:
    decisions = actions.do_reassign(hub.service(project), conversation_id, caller.name,
                                    to_queue=body.to_queue, to_operator=body.to_operator)
    return {"decisions": decisions_out(decisions)}


# ----------------------------------------------------------------- callback tasks

@router.get("/projects/{project}/callbacks", summary="Callback tasks, oldest open first",
            **needs("conversations:read"))
def list_callbacks(project: str, session: SessionDep,
                   status: Annotated[Literal["open", "done"] | None, Query()] = "open",
                   limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    stmt = q.readable_callbacks(project)
    if status is not None:
        stmt = stmt.where(CallbackTask.status == status)
    rows = session.scalars(stmt.order_by(CallbackTask.created_at_us, CallbackTask.id).limit(limit))
    return page([q.callback_dict(t) for t in rows])


@router.post("/projects/{project}/callbacks/{task_id}/done", summary="Mark a callback task done",
             **needs(HANDLE))
def callback_done(project: str, task_id: RowId, caller: CallerDep,
                  session: SessionDep) -> dict[str, Any]:
    return q.callback_dict(actions.do_complete_callback(session, project, task_id, caller.name))
