"""Inbound contacts and messages from channel adapters: stored, then routed — in batches.

Idempotent: the channel's own id of a call or message is the key. Within one server the
check and the insert run under the project's routing lock; across servers the unique
index on (project, channel, external_id) decides, and the loser returns the row the
winner wrote.

Group commit: under load, the requests that arrive while a transaction is being written
wait in :class:`IngestQueue` and are stored together in the next one — one commit, one
multi-row INSERT per table — instead of one transaction each. Every request is still
acknowledged only after the transaction holding it has committed.
"""

from __future__ import annotations

import queue
import threading
import uuid
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dozvon.acd.service import RouterService
from dozvon.conversations.models import Conversation, Message
from dozvon.conversations.service import OPEN, by_external, readable_conversations
from dozvon.core.errors import DozvonError
from dozvon.eventlog.repository import to_us
from dozvon.routing.engine import RoutingEngine
from dozvon.routing.events import Decision
from dozvon.routing.model import CONNECTED, OFFERED, WAITING, ContactSpec

#: The most requests stored in one transaction.
MAX_BATCH = 200
_TALKING = (WAITING, OFFERED, CONNECTED)


@dataclass(frozen=True)
class Inbound:
    """A call, an e-mail, a form or a chat message as an adapter reports it."""

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
    #: A text message: joins the customer's open conversation on the channel, if any.
    as_message: bool = False


@dataclass(frozen=True)
class IngestResult:
    conversation_id: str
    message_id: int | None
    created: bool
    decisions: list[Decision] = field(default_factory=list)


def ingest(svc: RouterService, item: Inbound) -> IngestResult:
    """Store and route one inbound contact or message; a retry changes nothing."""
    result = ingest_many(svc, [item])[0]
    if isinstance(result, DozvonError):
        raise result
    return result


def ingest_many(svc: RouterService, items: list[Inbound]) -> list[IngestResult | DozvonError]:
    """Store and route several in one transaction; each gets its result or its own error."""
    with svc.lock:
        try:
            return _batch(svc, items)
        except IntegrityError:  # another server stored one of these ids first: one by one
            return [_alone(svc, item) for item in items]


def _alone(svc: RouterService, item: Inbound) -> IngestResult | DozvonError:
    try:
        return _batch(svc, [item])[0]
    except IntegrityError:
        with svc.sessions() as session:
            found = _existing(session, svc.project, item)
        if found is None:
            raise
        return found


def _existing(session: Session, project: str, item: Inbound) -> IngestResult | None:
    if item.as_message:
        msg = by_external(session, Message, project, item.channel, item.external_id)
        if msg is not None:
            return IngestResult(msg.conversation_id, msg.id, created=False)
    conv = by_external(session, Conversation, project, item.channel, item.external_id)
    if conv is not None:
        first = session.scalar(select(Message.id).where(Message.conversation_id == conv.id)
                               .order_by(Message.id).limit(1))
        return IngestResult(conv.id, first, created=False)
    return None


def _open_conversation(session: Session, project: str, channel: str, customer_id: str) -> Conversation | None:
    return session.scalar(readable_conversations(project).where(
        Conversation.channel == channel, Conversation.customer_id == customer_id,
        Conversation.status == OPEN).order_by(Conversation.created_at_us.desc()).limit(1))


def _batch(svc: RouterService, items: list[Inbound]) -> list[IngestResult | DozvonError]:
    results: list[IngestResult | DozvonError | None] = [None] * len(items)
    first_of: dict[tuple[str, str], int] = {}
    repeats: list[tuple[int, int]] = []
    plan: list[tuple[int, str | None]] = []  # (index, the open conversation a message joins)
    engine = svc.engine
    with svc.sessions() as session:
        for i, item in enumerate(items):
            key = (item.channel, item.external_id)
            if key in first_of:
                repeats.append((i, first_of[key]))
                continue
            first_of[key] = i
            found = _existing(session, svc.project, item)
            if found is not None:
                results[i] = found
                continue
            joins = None
            if item.as_message and item.customer_id:
                current = _open_conversation(session, svc.project, item.channel, item.customer_id)
                if current is not None and current.id in engine.contacts \
                        and engine.contacts[current.id].state in _TALKING:
                    joins = current.id
            plan.append((i, joins))
    if plan:
        now_us = to_us(svc.clock.now())
        conversations: list[dict[str, Any]] = []
        messages: list[dict[str, Any]] = []

        def command(engine: RoutingEngine) -> None:
            opened: dict[tuple[str, str], str] = {}  # conversations this batch opened, by customer
            for i, joins in plan:
                item = items[i]
                key = (item.channel, item.customer_id or "")
                if joins is None and item.as_message and key in opened \
                        and engine.contacts[opened[key]].state in _TALKING:
                    joins = opened[key]
                try:
                    conv_id, decisions = _route(engine, item, joins)
                except DozvonError as error:  # the engine changes nothing on bad input
                    results[i] = error
                    continue
                if joins is None:
                    if item.as_message and item.customer_id:
                        opened[key] = conv_id
                    conversations.append({
                        "id": conv_id, "project": svc.project, "channel": item.channel, "queue": item.queue,
                        "external_id": item.external_id, "customer_id": item.customer_id,
                        "customer_name": item.customer_name, "subject": item.subject, "status": OPEN,
                        "created_at_us": now_us, "details": {}})
                if item.text is not None:
                    messages.append({
                        "project": svc.project, "conversation_id": conv_id, "channel": item.channel,
                        "external_id": item.external_id, "direction": "in", "author": item.customer_name,
                        "text": item.text, "at_us": now_us})
                results[i] = IngestResult(conv_id, None, True, decisions)

        def store(session: Session) -> None:
            if conversations:
                session.execute(insert(Conversation), conversations)
            if messages:
                ids = session.scalars(insert(Message).returning(Message.id, sort_by_parameter_order=True),
                                      messages).all()
                by_id = {row["external_id"]: new_id for row, new_id in zip(messages, ids, strict=True)}
                for i, _ in plan:
                    result = results[i]
                    if isinstance(result, IngestResult):
                        results[i] = IngestResult(result.conversation_id, by_id.get(items[i].external_id),
                                                  True, result.decisions)

        svc.run(command, also=store)
    for i, first in repeats:  # the same id twice in one batch: the second is a retry
        result = results[first]
        results[i] = result if not isinstance(result, IngestResult) else \
            IngestResult(result.conversation_id, result.message_id, False)
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


def _route(engine: RoutingEngine, item: Inbound, joins: str | None) -> tuple[str, list[Decision]]:
    """The engine's part of one item: a new contact (and its first message), or a message."""
    if joins is not None:
        engine.record_message(joins, "in", item.external_id, item.text or "", item.customer_name or None)
        return joins, []
    conv_id = uuid.uuid4().hex
    spec = ContactSpec(id=conv_id, queue=item.queue, channel=item.channel, priority=item.priority,
                       customer_id=item.customer_id, language=item.language, segment=item.segment,
                       source=item.source, skills=dict(item.skills))
    decisions = engine.contact_arrived(spec)
    contact = engine.contacts.get(conv_id)
    if item.text is not None and contact is not None and contact.state in _TALKING:
        engine.record_message(conv_id, "in", item.external_id, item.text, item.customer_name or None)
    return conv_id, decisions


class IngestQueue:
    """One project's group commit: requests wait while the previous batch is written."""

    def __init__(self, svc: RouterService, max_batch: int = MAX_BATCH) -> None:
        self.svc = svc
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[Inbound, Future[IngestResult]]] = queue.SimpleQueue()
        self._worker = threading.Thread(target=self._run, name=f"ingest-{svc.project}", daemon=True)
        self._worker.start()

    def submit(self, item: Inbound, timeout: float = 60.0) -> IngestResult:
        """Store and route ``item``; returns once its transaction has committed."""
        future: Future[IngestResult] = Future()
        self._queue.put((item, future))
        return future.result(timeout)

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                results = ingest_many(self.svc, [item for item, _ in batch])
            except Exception as error:  # the whole transaction failed: every request hears why
                for _, future in batch:
                    future.set_exception(error)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if isinstance(result, DozvonError):
                    future.set_exception(result)
                else:
                    future.set_result(result)
