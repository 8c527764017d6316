"""A customer's history in one timeline, newest first: every conversation (a call is a
conversation on the voice channel) with how it ended, the private notes on them, orders
and deals, and tasks — so the operator sees "вижу ваш прошлый заказ" and the callback a
colleague promised, side by side.

Each source gives at most ``limit`` entries older than ``before``; the merged page is their
newest ``limit``, which is exact: no source can hold an entry of the page it did not give.
The next page starts before the last entry's time (entries at the very same microsecond
across a page boundary are the only ones a page may repeat or skip, and never a
conversation's or an order's own).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dozvon.conversations.models import Conversation
from dozvon.crm import orders
from dozvon.crm.models import Order
from dozvon.eventlog.models import EventRecord
from dozvon.tasks.models import Task
from dozvon.tasks.queries import task_dict

LIMIT = 30
NEVER = 2**62


def conversation_entry(c: Conversation, names: dict[str, str]) -> dict[str, Any]:
    return {"id": c.id, "channel": c.channel, "queue": c.queue, "status": c.status, "subject": c.subject,
            "operator_id": c.operator_id, "operator_name": names.get(c.operator_id or "", c.operator_id),
            "created_at": c.created_at_us / 1e6, "closed_at": c.closed_at_us / 1e6 if c.closed_at_us else None,
            "disposition": c.disposition, "csat": (c.details or {}).get("csat")}


def timeline(session: Session, project: str, customer_id: str, names: dict[str, str], *,
             before_us: int | None = None, limit: int = LIMIT) -> dict[str, Any]:
    """One page of the timeline: ``items`` ({type, at, …}, newest first) and
    ``next_before_us`` (pass it as ``before_us`` for the next page; None at the end)."""
    before = NEVER if before_us is None else before_us
    conversations = list(session.scalars(
        select(Conversation).where(Conversation.project == project, Conversation.customer_id == customer_id,
                                   Conversation.created_at_us < before)
        .order_by(Conversation.created_at_us.desc()).limit(limit)))
    theirs = select(Conversation.id).where(Conversation.project == project,
                                           Conversation.customer_id == customer_id).scalar_subquery()
    notes = list(session.scalars(
        select(EventRecord).where(EventRecord.project == project, EventRecord.type == "note.added",
                                  EventRecord.contact_id.in_(theirs), EventRecord.at_us < before)
        .order_by(EventRecord.at_us.desc()).limit(limit)))
    bought = list(session.scalars(
        select(Order).where(Order.project == project, Order.customer_id == customer_id, Order.placed_at_us < before)
        .order_by(Order.placed_at_us.desc()).limit(limit)))
    tasks = list(session.scalars(
        select(Task).where(Task.project == project, Task.customer_id == customer_id, Task.created_at_us < before)
        .order_by(Task.created_at_us.desc()).limit(limit)))
    entries: list[tuple[int, dict[str, Any]]] = []
    for c in conversations:
        kind = "call" if c.channel == "voice" else "conversation"
        entries.append((c.created_at_us, {"type": kind, "at": c.created_at_us / 1e6, **conversation_entry(c, names)}))
    for n in notes:
        entries.append((n.at_us, {"type": "note", "at": n.at_us / 1e6, "conversation_id": n.contact_id,
                                  "text": n.data.get("text", ""), "author": n.data.get("author")}))
    for o in bought:
        entries.append((o.placed_at_us, {"type": "order", "at": o.placed_at_us / 1e6, **orders.as_dict(o)}))
    for t in tasks:
        entries.append((t.created_at_us, {"type": "task", "at": t.created_at_us / 1e6, **task_dict(t, names)}))
    entries.sort(key=lambda entry: entry[0], reverse=True)
    page = entries[:limit]
    more = len(entries) > limit or any(len(source) == limit for source in (conversations, notes, bought, tasks))
    return {"items": [entry for _, entry in page], "next_before_us": page[-1][0] if page and more else None}
