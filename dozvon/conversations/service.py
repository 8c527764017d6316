"""Inbound contacts and messages from channel adapters, and what operators do with them.

Every write goes through :meth:`RouterService.run`, so that a message and the engine's
events are committed in one transaction and a failure leaves nothing half-written.
Ingest itself lives in :mod:`dozvon.conversations.ingest`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from dozvon.acd.service import RouterService
from dozvon.conversations.models import CallbackTask, Conversation, Message
from dozvon.core.clock import now_us
from dozvon.core.errors import Conflict, NotFound
from dozvon.eventlog.repository import to_us
from dozvon.routing.events import Decision, RoutingEvent
from dozvon.routing.model import Disposition

OPEN = "open"


# ----------------------------------------------------------------- readable statements

def readable_conversations(project: str) -> Select[Conversation]:
    return select(Conversation).where(Conversation.project == project)


def readable_messages(project: str) -> Select[Message]:
    return select(Message).where(Message.project == project)


def readable_callbacks(project: str) -> Select[CallbackTask]:
    return select(CallbackTask).where(CallbackTask.project == project)


def by_external(session: Session, model: type[Conversation] | type[Message], project: str,
                channel: str, external_id: str) -> Any:
    return session.scalar(select(model).where(model.project == project, model.channel == channel,
                                              model.external_id == external_id))


def customer_left(svc: RouterService, channel: str, external_id: str) -> str:
    """The caller hung up / the visitor closed the chat. Repeating it changes nothing."""
    with svc.sessions() as session:
        conv = by_external(session, Conversation, svc.project, channel, external_id)
    if conv is None:
        raise NotFound("conversations.unknown_external", channel=channel, external_id=external_id)
    if conv.id in svc.engine.contacts:
        svc.run(lambda e: e.customer_left(conv.id))
    return str(conv.id)


# ----------------------------------------------------------------- operators' actions

def send_message(svc: RouterService, conversation_id: str, operator_id: str | None, author: str,
                 text: str) -> int:
    """An operator's reply; stored with the ``message.sent`` event in one transaction."""
    rows: list[Message] = []
    with svc.sessions() as session:
        conv = session.scalar(readable_conversations(svc.project).where(Conversation.id == conversation_id))
    if conv is None:
        raise NotFound("routing.unknown_contact", contact=conversation_id)
    if conv.channel == "voice":
        raise Conflict("conversations.voice_has_no_messages", contact=conversation_id)
    external_id = "out-" + uuid.uuid4().hex

    def store(session: Session) -> None:
        msg = Message(project=svc.project, conversation_id=conversation_id, channel=conv.channel,
                      external_id=external_id, direction="out", author=author, text=text,
                      at_us=to_us(svc.clock.now()))
        session.add(msg)
        session.flush()
        rows.append(msg)

    svc.run(lambda e: e.record_message(conversation_id, "out", external_id, text, operator_id), also=store)
    return rows[0].id


def dispose(svc: RouterService, conversation_id: str, operator_id: str | None, contact_type: str,
            resolved: bool, notes: str) -> list[Decision]:
    disposition = Disposition(contact_type=contact_type, resolved=resolved, notes=notes)
    disposition.validate()
    return svc.run(lambda e: e.finish_wrap_up(conversation_id, disposition, operator_id=operator_id))


def complete_callback(session: Session, project: str, task_id: int, actor: str) -> CallbackTask:
    task = session.scalar(readable_callbacks(project).where(CallbackTask.id == task_id))
    if task is None:
        raise NotFound("conversations.no_callback", task=task_id)
    if task.status == "done":
        raise Conflict("conversations.callback_done", task=task_id)
    task.status, task.done_by = "done", actor
    task.done_at_us = now_us()
    return task


# ----------------------------------------------------------------- the projection

def project_events(session: Session, project: str, events: Sequence[RoutingEvent]) -> None:
    """Keep conversation rows and callback tasks in step with the log (same transaction)."""
    for e in events:
        if e.contact_id is None:
            continue
        values: dict[str, Any] | None = None
        if e.type == "contact.answered":
            values = {"operator_id": e.operator_id, "answered_at_us": to_us(e.at)} if e.data.get("first") \
                else {"operator_id": e.operator_id}
        elif e.type == "contact.queued" and e.data.get("reason") != "arrival":
            values = {"queue": e.queue}
        elif e.type == "contact.disposition":
            values = {"disposition": {k: e.data.get(k) for k in ("contact_type", "resolved", "notes", "late")}}
        elif e.type == "contact.closed":
            values = {"status": e.data.get("outcome", "closed"), "closed_at_us": to_us(e.at)}
        elif e.type == "callback.created":
            session.add(CallbackTask(project=project, conversation_id=e.contact_id,
                                     customer_id=e.data.get("customer_id"), reason=e.data.get("reason", ""),
                                     created_at_us=to_us(e.at)))
        if values:
            session.execute(update(Conversation).where(Conversation.project == project,
                                                       Conversation.id == e.contact_id).values(**values))
