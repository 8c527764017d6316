"""Reads of conversations, messages, callback tasks and the outbox.

Every statement starts from a ``readable_*(project)`` statement, so a forgotten tenant
filter cannot happen. The ``*_dict`` shapes are what the API and the web pages show, here
so that a page never imports an API handler.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from dozvon.acd.queries import LiveContact
from dozvon.conversations.models import CallbackTask, Conversation, Message, OutboxItem
from dozvon.core import bulk, pipeline
from dozvon.eventlog import repository as eventlog

#: A conversation the engine still holds (waiting, ringing, talking or in wrap-up).
OPEN = "open"


def readable_conversations(project: str) -> Select[Conversation]:
    return select(Conversation).where(Conversation.project == project)


def readable_messages(project: str) -> Select[Message]:
    return select(Message).where(Message.project == project)


def readable_callbacks(project: str) -> Select[CallbackTask]:
    return select(CallbackTask).where(CallbackTask.project == project)


def readable_outbox(project: str) -> Select[OutboxItem]:
    return select(OutboxItem).where(OutboxItem.project == project)


def by_external(session: Session, model: type[Conversation] | type[Message], project: str,
                channel: str, external_id: str) -> Any:
    """The conversation or message a channel knows by ``external_id`` (or None)."""
    return session.scalar(select(model).where(model.project == project, model.channel == channel,
                                              model.external_id == external_id))


def conversation(session: Session, project: str, conversation_id: str) -> Conversation | None:
    return session.scalar(readable_conversations(project).where(Conversation.id == conversation_id))


def conversations_by_id(session: Session, project: str, ids: Iterable[str]) -> dict[str, Conversation]:
    """The project's conversations of these ids, in one query."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {c.id: c for c in session.scalars(readable_conversations(project).where(Conversation.id.in_(wanted)))}


_OPEN_OF = bulk.PerDialect(lambda dialect: select(
    Conversation.channel, Conversation.customer_id, Conversation.created_at_us, Conversation.id).where(
    Conversation.project == bindparam("project"), Conversation.status == OPEN,
    bulk.among(Conversation.channel, "channels", dialect), bulk.among(Conversation.customer_id, "customers", dialect)))


def open_conversations(session: Session, project: str,
                       customers: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The id of each (channel, customer id) pair's newest open conversation (a new message
    joins it), for many pairs in one query; pairs with none are absent."""
    if not customers:
        return {}
    return newest_open(_OPEN_OF.rows(session, {
        "project": project, "channels": list({c for c, _ in customers}), "customers": list({k for _, k in customers})}),
        customers)


def open_conversations_ahead(session: Session, project: str, channels: Iterable[str],
                             customers: Iterable[str]) -> pipeline.Ahead:
    """The open conversations of these customers on these channels, sent now and read
    later (:func:`dozvon.core.pipeline.ahead`): rows for :func:`newest_open`."""
    return _OPEN_OF.ahead(session, {"project": project, "channels": list(set(channels)),
                                    "customers": list(set(customers))})


def newest_open(rows: Iterable[Sequence[Any]], customers: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Of open conversations' rows (channel, customer id, created_at_us, id), the newest of
    each (channel, customer id) pair asked for; pairs with none are absent."""
    wanted = set(customers)
    newest: dict[tuple[str, str], tuple[int, str]] = {}
    for channel, customer_id, created, conversation_id in rows:
        key = (channel, customer_id)
        if key in wanted and (key not in newest or created > newest[key][0]):
            newest[key] = (created, conversation_id)
    return {key: conversation_id for key, (_, conversation_id) in newest.items()}


def messages(session: Session, project: str, conversation_id: str) -> list[Message]:
    return list(session.scalars(readable_messages(project)
                                .where(Message.conversation_id == conversation_id).order_by(Message.id)))


#: How many of a customer's conversations a card lists (newest first).
HISTORY_LIMIT = 50


def of_customer(session: Session, project: str, customer_id: str,
                limit: int = HISTORY_LIMIT) -> tuple[list[Conversation], int]:
    """A customer's conversations on every channel, newest first, and how many there are."""
    where = (Conversation.project == project, Conversation.customer_id == customer_id)
    total = session.scalar(select(func.count()).select_from(Conversation).where(*where)) or 0
    rows = session.scalars(readable_conversations(project).where(Conversation.customer_id == customer_id)
                           .order_by(Conversation.created_at_us.desc(), Conversation.id).limit(limit))
    return list(rows), int(total)


def notes(session: Session, project: str, conversation_id: str) -> list[dict[str, Any]]:
    """The private notes on a conversation (``note.added`` events: they are never messages),
    oldest first — for a page that opens the conversation later, or after a reload."""
    rows = eventlog.list_events(session, project, types=("note.added",), contact_id=conversation_id, limit=500)
    return [{"note_id": r.data.get("note_id"), "text": r.data.get("text", ""), "author": r.data.get("author"),
             "at": r.at_us / 1e6} for r in rows]


def conversation_dict(conv: Conversation, live: LiveContact | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": conv.id, "channel": conv.channel, "queue": conv.queue, "external_id": conv.external_id,
        "customer_id": conv.customer_id, "customer_name": conv.customer_name, "subject": conv.subject,
        "status": conv.status, "operator_id": conv.operator_id, "created_at": conv.created_at_us / 1e6,
        "answered_at": conv.answered_at_us / 1e6 if conv.answered_at_us else None,
        "closed_at": conv.closed_at_us / 1e6 if conv.closed_at_us else None,
        "disposition": conv.disposition}
    if live is not None:  # the engine's view is fresher than the row for open contacts
        out.update(state=live.state, queue=live.queue, operator_id=live.operator_id,
                   offers=[{"offer_id": o.offer_id, "operator_id": o.operator_id, "deadline": o.deadline}
                           for o in live.offers])
    else:
        out.update(state="closed", offers=[])
    return out


def message_dict(m: Message, delivery: OutboxItem | None = None) -> dict[str, Any]:
    out = {"id": m.id, "direction": m.direction, "author": m.author, "text": m.text, "at": m.at_us / 1e6,
           "external_id": m.external_id}
    if m.direction == "out":
        out["delivery"] = delivery.status if delivery is not None else None
    return out


def deliveries(session: Session, project: str, conversation_id: str) -> dict[int, OutboxItem]:
    """The outbox rows of a conversation's messages, by message id."""
    rows = session.scalars(readable_outbox(project).where(OutboxItem.conversation_id == conversation_id))
    return {r.message_id: r for r in rows if r.message_id is not None}


def callback_dict(t: CallbackTask) -> dict[str, Any]:
    return {"id": t.id, "conversation_id": t.conversation_id, "customer_id": t.customer_id,
            "reason": t.reason, "status": t.status, "created_at": t.created_at_us / 1e6,
            "done_at": t.done_at_us / 1e6 if t.done_at_us else None, "done_by": t.done_by}


def outbox_dict(item: OutboxItem) -> dict[str, Any]:
    return {"id": item.id, "channel": item.channel, "conversation_id": item.conversation_id,
            "message_id": item.message_id, "key": item.key, "status": item.status,
            "attempts": item.attempts, "last_error": item.last_error,
            "created_at": item.created_at_us / 1e6,
            "done_at": item.done_at_us / 1e6 if item.done_at_us else None, **item.payload}
