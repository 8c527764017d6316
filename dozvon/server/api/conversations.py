"""Conversations and what operators do with them: offers, messages, end, disposition,
transfer, hold; callback tasks. Operators act on their own contacts only (the engine
checks); supervisors may act on anybody's."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from dozvon.conversations import service as conversations
from dozvon.conversations.models import CallbackTask, Conversation, Message
from dozvon.core.errors import NotFound
from dozvon.routing.events import Decision
from dozvon.server.deps import CallerDep, HubDep, SessionDep, acting_operator, page
from dozvon.server.gate import needs

router = APIRouter(tags=["conversations"])

HANDLE, MANAGE = "conversations:handle", "conversations:manage"


def decisions_out(decisions: list[Decision]) -> list[dict[str, Any]]:
    return [{"kind": d.kind, "contact_id": d.contact_id, "operator_id": d.operator_id,
             "offer_id": d.offer_id} for d in decisions]


def conversation_out(conv: Conversation, live: Any | None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": conv.id, "channel": conv.channel, "queue": conv.queue, "external_id": conv.external_id,
           "customer_id": conv.customer_id, "customer_name": conv.customer_name, "subject": conv.subject,
           "status": conv.status, "operator_id": conv.operator_id, "created_at": conv.created_at_us / 1e6,
           "answered_at": conv.answered_at_us / 1e6 if conv.answered_at_us else None,
           "closed_at": conv.closed_at_us / 1e6 if conv.closed_at_us else None,
           "disposition": conv.disposition}
    if live is not None:  # the engine's view is fresher than the row for open contacts
        out.update(state=live.state, queue=live.queue, operator_id=live.operator_id,
                   offers=[{"offer_id": o.id, "operator_id": o.operator_id, "deadline": o.deadline}
                           for o in live.offers.values()])
    else:
        out.update(state="closed", offers=[])
    return out


def message_out(m: Message) -> dict[str, Any]:
    return {"id": m.id, "direction": m.direction, "author": m.author, "text": m.text, "at": m.at_us / 1e6,
            "external_id": m.external_id}


@router.get("/projects/{project}/conversations", summary="Conversations, newest first",
            **needs("conversations:read"))
def list_conversations(project: str, hub: HubDep, session: SessionDep,
                       status: Annotated[str | None, Query(max_length=32)] = None,
                       queue: Annotated[str | None, Query(max_length=128)] = None,
                       operator_id: Annotated[str | None, Query(max_length=128)] = None,
                       customer_id: Annotated[str | None, Query(max_length=200)] = None,
                       before: Annotated[float | None, Query(ge=0, le=1e11)] = None,
                       limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    stmt = conversations.readable_conversations(project)
    for column, value in ((Conversation.status, status), (Conversation.queue, queue),
                          (Conversation.operator_id, operator_id), (Conversation.customer_id, customer_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if before is not None:
        stmt = stmt.where(Conversation.created_at_us < round(before * 1e6))
    rows = list(session.scalars(stmt.order_by(Conversation.created_at_us.desc()).limit(limit)))
    live = hub.service(project).engine.contacts
    items = [conversation_out(c, live.get(c.id)) for c in rows]
    return page(items, next_before=rows[-1].created_at_us / 1e6 if len(rows) == limit else None)


@router.get("/projects/{project}/conversations/{conversation_id}",
            summary="One conversation with its messages", **needs("conversations:read"))
def get_conversation(project: str, conversation_id: str, hub: HubDep, session: SessionDep) -> dict[str, Any]:
    conv = session.scalar(conversations.readable_conversations(project).where(Conversation.id == conversation_id))
    if conv is None:
        raise NotFound("routing.unknown_contact", contact=conversation_id)
    msgs = session.scalars(conversations.readable_messages(project)
                           .where(Message.conversation_id == conversation_id).order_by(Message.id))
    return {**conversation_out(conv, hub.service(project).engine.contacts.get(conv.id)),
            "messages": [message_out(m) for m in msgs]}


class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=20000)


@router.post("/projects/{project}/conversations/{conversation_id}/messages", status_code=201,
             summary="Reply to the customer", **needs(HANDLE))
def send_message(project: str, conversation_id: str, body: TextIn, caller: CallerDep,
                 hub: HubDep) -> dict[str, Any]:
    operator_id = acting_operator(caller, project, MANAGE)
    message_id = conversations.send_message(hub.service(project), conversation_id, operator_id,
                                            caller.name, body.text)
    return {"message_id": message_id}


@router.post("/projects/{project}/offers/{offer_id}/accept", summary="Answer an offer", **needs(HANDLE))
def accept(project: str, offer_id: str, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    operator_id = acting_operator(caller, project, MANAGE)
    return {"decisions": decisions_out(hub.service(project).run(lambda e: e.accept(offer_id, operator_id)))}


class DeclineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="declined", max_length=200)


@router.post("/projects/{project}/offers/{offer_id}/decline", summary="Refuse an offer", **needs(HANDLE))
def decline(project: str, offer_id: str, body: DeclineIn, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    operator_id = acting_operator(caller, project, MANAGE)
    decisions = hub.service(project).run(lambda e: e.decline(offer_id, operator_id, body.reason))
    return {"decisions": decisions_out(decisions)}


def _contact_command(project: str, conversation_id: str, caller: Any, hub: Any, name: str,
                     **kwargs: Any) -> dict[str, Any]:
    operator_id = acting_operator(caller, project, MANAGE)
    decisions = hub.service(project).run(
        lambda e: getattr(e, name)(conversation_id, operator_id=operator_id, **kwargs))
    return {"decisions": decisions_out(decisions)}


@router.post("/projects/{project}/conversations/{conversation_id}/end",
             summary="End the conversation; wrap-up starts", **needs(HANDLE))
def end(project: str, conversation_id: str, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    return _contact_command(project, conversation_id, caller, hub, "end_contact")


@router.post("/projects/{project}/conversations/{conversation_id}/hold", summary="Put on hold", **needs(HANDLE))
def hold(project: str, conversation_id: str, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    return _contact_command(project, conversation_id, caller, hub, "hold")


@router.post("/projects/{project}/conversations/{conversation_id}/resume", summary="Take off hold",
             **needs(HANDLE))
def resume(project: str, conversation_id: str, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    return _contact_command(project, conversation_id, caller, hub, "resume")


class DispositionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contact_type: Literal["new_inquiry", "clarification", "regular", "complaint", "partner", "competitor"]
    resolved: bool
    notes: str = Field(default="", max_length=5000)


@router.post("/projects/{project}/conversations/{conversation_id}/disposition",
             summary="Classify the contact (required); closes it and frees the slot", **needs(HANDLE))
def disposition(project: str, conversation_id: str, body: DispositionIn, caller: CallerDep,
                hub: HubDep) -> dict[str, Any]:
    operator_id = acting_operator(caller, project, MANAGE)
    decisions = conversations.dispose(hub.service(project), conversation_id, operator_id, body.contact_type,
                                      body.resolved, body.notes)
    return {"decisions": decisions_out(decisions)}


class TransferIn(BaseModel):
    """Exactly one target: an operator, a queue, or an external number."""

    model_config = ConfigDict(extra="forbid")
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
    return _contact_command(project, conversation_id, caller, hub, "transfer", to_operator=body.to_operator,
                            to_queue=body.to_queue, to_external=body.to_external, escalation=body.escalation)


# ----------------------------------------------------------------- callback tasks

def callback_out(t: CallbackTask) -> dict[str, Any]:
    return {"id": t.id, "conversation_id": t.conversation_id, "customer_id": t.customer_id,
            "reason": t.reason, "status": t.status, "created_at": t.created_at_us / 1e6,
            "done_at": t.done_at_us / 1e6 if t.done_at_us else None, "done_by": t.done_by}


@router.get("/projects/{project}/callbacks", summary="Callback tasks, oldest open first",
            **needs("conversations:read"))
def list_callbacks(project: str, session: SessionDep,
                   status: Annotated[Literal["open", "done"] | None, Query()] = "open",
                   limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    stmt = conversations.readable_callbacks(project)
    if status is not None:
        stmt = stmt.where(CallbackTask.status == status)
    rows = session.scalars(stmt.order_by(CallbackTask.created_at_us, CallbackTask.id).limit(limit))
    return page([callback_out(t) for t in rows])


@router.post("/projects/{project}/callbacks/{task_id}/done", summary="Mark a callback task done",
             **needs(HANDLE))
def callback_done(project: str, task_id: Annotated[int, Path(ge=1, le=2**62)], caller: CallerDep,
                  session: SessionDep) -> dict[str, Any]:
    return callback_out(conversations.complete_callback(session, project, task_id, caller.name))


