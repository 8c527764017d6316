"""Inbound contacts and messages from channel adapters, and what operators do with them.

Every write goes through :meth:`RouterService.run`, so that a conversation row, its
message and the engine's events are committed in one transaction — the contact is stored
before anybody is told about it, and a failure leaves nothing half-written.

Ingest is idempotent: the channel's own id of a call or message is the key. Within one
server the check and the insert run under the project's routing lock; across servers the
unique index on (project, channel, external_id) decides, and the loser returns the row
the winner wrote.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dozvon.acd.service import RouterService
from dozvon.conversations.models import CallbackTask, Conversation, Message
from dozvon.core.errors import Conflict, NotFound
from dozvon.eventlog.repository import to_us
from dozvon.routing.events import Decision, RoutingEvent
from dozvon.routing.model import ContactSpec, Disposition

OPEN = "open"


# ----------------------------------------------------------------- readable statements

def readable_conversations(project: str) -> Select[Conversation]:
    return select(Conversation).where(Conversation.project == project)


def readable_messages(project: str) -> Select[Message]:
    return select(Message).where(Message.project == project)


def readable_callbacks(project: str) -> Select[CallbackTask]:
    return select(CallbackTask).where(CallbackTask.project == project)


# ----------------------------------------------------------------- ingest

@dataclass(frozen=True)
class Inbound:
    """A call or a first message as an adapter reports it (validated by the API layer)."""

    channel: str
    external_id: str
    queue: str
    customer_id: str | None = None
    customer_name: str = ""
    subject: str = ""
    text: str | None = None
    language: str | None = None
    segment: str | None = None
    source: str | None = None
    priority: int = 0
    skills: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class IngestResult:
    conversation_id: str
    message_id: int | None
    created: bool
    decisions: list[Decision] = field(default_factory=list)


def _by_external(session: Session, model: type[Conversation] | type[Message], project: str,
                 channel: str, external_id: str) -> Any:
    return session.scalar(select(model).where(model.project == project, model.channel == channel,
                                              model.external_id == external_id))


def _existing(svc: RouterService, item: Inbound, as_message: bool) -> IngestResult | None:
    with svc.sessions() as session:
        if as_message:
            msg = _by_external(session, Message, svc.project, item.channel, item.external_id)
            if msg is not None:
                return IngestResult(msg.conversation_id, msg.id, created=False)
        conv = _by_external(session, Conversation, svc.project, item.channel, item.external_id)
        if conv is not None:
            first = session.scalar(select(Message.id).where(Message.conversation_id == conv.id)
                                   .order_by(Message.id).limit(1))
            return IngestResult(conv.id, first, created=False)
    return None


def _open_conversation(session: Session, project: str, channel: str, customer_id: str) -> Conversation | None:
    return session.scalar(readable_conversations(project).where(
        Conversation.channel == channel, Conversation.customer_id == customer_id,
        Conversation.status == OPEN).order_by(Conversation.created_at_us.desc()).limit(1))


def ingest(svc: RouterService, item: Inbound, *, as_message: bool = False) -> IngestResult:
    """Store and route an inbound contact; a retry with the same id changes nothing.

    ``as_message``: a text message. If the customer already has an open conversation on
    this channel it joins that one; otherwise it opens a new conversation."""
    with svc.lock:
        found = _existing(svc, item, as_message)
        if found is not None:
            return found
        try:
            return _ingest_new(svc, item, as_message)
        except IntegrityError:  # another server stored the same id first
            found = _existing(svc, item, as_message)
            if found is None:
                raise
            return found


def _ingest_new(svc: RouterService, item: Inbound, as_message: bool) -> IngestResult:
    now_us = to_us(svc.clock.now())
    message_row: list[Message] = []

    def add_message(session: Session, conversation_id: str) -> None:
        if item.text is None:
            return
        msg = Message(project=svc.project, conversation_id=conversation_id, channel=item.channel,
                      external_id=item.external_id, direction="in", author=item.customer_name,
                      text=item.text, at_us=now_us)
        session.add(msg)
        session.flush()
        message_row.append(msg)

    if as_message and item.customer_id:
        with svc.sessions() as session:
            current = _open_conversation(session, svc.project, item.channel, item.customer_id)
        if current is not None and current.id in svc.engine.contacts:
            conv_id = current.id
            decisions = svc.run(lambda e: e.record_message(conv_id, "in", item.external_id, item.text or "",
                                                           item.customer_name or None),
                                also=lambda s: add_message(s, conv_id))
            return IngestResult(conv_id, message_row[0].id if message_row else None, True, decisions)

    conv_id = uuid.uuid4().hex
    spec = ContactSpec(id=conv_id, queue=item.queue, channel=item.channel, priority=item.priority,
                       customer_id=item.customer_id, language=item.language, segment=item.segment,
                       source=item.source, skills=dict(item.skills))

    def command(engine: Any) -> list[Decision]:
        decisions: list[Decision] = engine.contact_arrived(spec)
        if item.text is not None and conv_id in engine.contacts:
            engine.record_message(conv_id, "in", item.external_id, item.text, item.customer_name or None)
        return decisions

    def store(session: Session) -> None:
        session.add(Conversation(id=conv_id, project=svc.project, channel=item.channel, queue=item.queue,
                                 external_id=item.external_id, customer_id=item.customer_id,
                                 customer_name=item.customer_name, subject=item.subject,
                                 created_at_us=now_us))
        session.flush()
        add_message(session, conv_id)

    decisions = svc.run(command, also=store)
    return IngestResult(conv_id, message_row[0].id if message_row else None, True, decisions)


def customer_left(svc: RouterService, channel: str, external_id: str) -> str:
    """The caller hung up / the visitor closed the chat. Repeating it changes nothing."""
    with svc.sessions() as session:
        conv = _by_external(session, Conversation, svc.project, channel, external_id)
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
    task.done_at_us = time.time_ns() // 1000
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
