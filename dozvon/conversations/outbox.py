"""The durable outbox: every message to a customer, delivered at least once.

A message to a customer (an operator's reply, an auto-reply) is written here in the same
transaction as the message row and its ``message.sent`` event. A sender then takes due
rows — the server's delivery loop for channels whose adapter runs in-process, or an
outside adapter through ``GET …/outbox`` — and reports each attempt's result:
delivered (``message.delivered``), or failed, in which case it is due again after a
growing delay, until :data:`MAX_ATTEMPTS` or a permanent failure (``message.failed``).

Taking a row pushes its due time a lease ahead instead of locking it for the whole
attempt: if the sender dies mid-way, the row comes due again by itself, and a restarted
server resumes every pending delivery. The same ``key`` rides on every attempt so that
the channel can drop a repeat.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dozvon.channels.registry import OutboundMessage
from dozvon.conversations.models import OutboxItem
from dozvon.conversations.queries import readable_outbox

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
#: Attempts before a message is given up as failed.
MAX_ATTEMPTS = 10
#: Seconds a taken row is left to its sender before it comes due again.
LEASE_S = 60.0
#: The delay after the n-th failed attempt: 2, 4, 8 … seconds, at most 10 minutes.
BACKOFF_BASE_S, BACKOFF_MAX_S = 2.0, 600.0


def backoff_s(attempts: int) -> float:
    return float(min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2.0 ** max(0, attempts - 1)))


def enqueue(session: Session, *, project: str, channel: str, conversation_id: str, message_id: int | None,
            key: str, at_us: int, **payload: Any) -> None:
    """Add a message for delivery (in the caller's transaction)."""
    session.add(OutboxItem(project=project, channel=channel, conversation_id=conversation_id,
                           message_id=message_id, key=key, status=PENDING, attempts=0, due_at_us=at_us,
                           payload=payload, created_at_us=at_us))


def as_message(item: OutboxItem) -> OutboundMessage:
    p = item.payload
    return OutboundMessage(id=item.id, project=item.project, channel=item.channel,
                           conversation_id=item.conversation_id, key=item.key, text=str(p.get("text", "")),
                           author=p.get("author"), external_id=p.get("external_id"),
                           customer_id=p.get("customer_id"), attempt=item.attempts,
                           data={k: v for k, v in p.items()
                                 if k not in ("text", "author", "external_id", "customer_id")})


def take_due(session: Session, now_us: int, channels: Sequence[str], project: str | None = None,
             limit: int = 50) -> list[OutboundMessage]:
    """Take up to ``limit`` due pending messages of these channels for one attempt each:
    the attempt is counted and the row leased (it comes due again if never reported)."""
    if not channels:
        return []
    stmt = (readable_outbox(project) if project is not None else select(OutboxItem)).where(
        OutboxItem.status == PENDING, OutboxItem.due_at_us <= now_us, OutboxItem.channel.in_(list(channels)))
    stmt = stmt.order_by(OutboxItem.due_at_us, OutboxItem.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)  # two senders never take the same row
    taken = []
    for item in session.scalars(stmt):
        item.attempts += 1
        item.due_at_us = now_us + round(LEASE_S * 1e6)
        taken.append(as_message(item))
    return taken


def get(session: Session, project: str, item_id: int) -> OutboxItem | None:
    return session.scalar(readable_outbox(project).where(OutboxItem.id == item_id))


def get_many(session: Session, project: str, item_ids: Sequence[int]) -> dict[int, OutboxItem]:
    """The project's outbox rows of these ids (absent ones are missing), in one query."""
    wanted = sorted(set(item_ids))
    if not wanted:
        return {}
    return {row.id: row for row in session.scalars(readable_outbox(project).where(OutboxItem.id.in_(wanted)))}


def next_due_us(session: Session, channels: Sequence[str]) -> int | None:
    """When the earliest pending message of these channels comes due."""
    if not channels:
        return None
    return session.scalar(select(OutboxItem.due_at_us).where(
        OutboxItem.status == PENDING, OutboxItem.channel.in_(list(channels)))
        .order_by(OutboxItem.due_at_us).limit(1))


def make_due(session: Session, project: str, conversation_ids: Sequence[str], now_us: int) -> int:
    """Pending messages of these conversations due now (their customer is back): how many."""
    if not conversation_ids:
        return 0
    result = session.execute(update(OutboxItem).where(
        OutboxItem.project == project, OutboxItem.status == PENDING,
        OutboxItem.conversation_id.in_(list(conversation_ids)), OutboxItem.due_at_us > now_us)
        .values(due_at_us=now_us))
    return int(getattr(result, "rowcount", 0) or 0)
