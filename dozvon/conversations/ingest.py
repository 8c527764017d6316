"""Inbound contacts and messages from channel adapters: stored, then routed — in batches.

Idempotent: the channel's own id of a call or message is the key. Within one server the
check and the insert run under the project's routing lock; across servers the unique
index on (project, channel, external_id) decides, and the loser returns the row the
winner wrote.

Group commit: under load, the requests that arrive while a transaction is being written
wait in :class:`IngestQueue` and are stored together in the next one — one commit, one
multi-row INSERT per table — instead of one transaction each. Every request is still
acknowledged only after the transaction holding it has committed.

A bad item fails alone. What the database would refuse (a NUL character, a value longer
than its column) is refused before the batch (:func:`check_storable`); the batch's rows
are written *before* the engine moves, so that if the database still refuses them the
engine is untouched, and the batch is retried one item at a time — only the offender gets
an error, and the engine is never rebuilt for it.
"""

from __future__ import annotations

import queue
import threading
import uuid
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from dozvon.acd import queries as live
from dozvon.acd.service import RouterService
from dozvon.channels.registry import registry
from dozvon.conversations import queries as q
from dozvon.conversations.identity import ChannelIdentity, CustomerRef, IdentityResolver, Standing
from dozvon.conversations.models import Conversation, Message
from dozvon.core.errors import DozvonError, InvalidInput
from dozvon.eventlog.repository import to_us
from dozvon.routing.engine import RoutingEngine
from dozvon.routing.events import Decision
from dozvon.routing.model import CONNECTED, OFFERED, WAITING, Action, ContactSpec

#: The most requests stored in one transaction.
MAX_BATCH = 200
_TALKING = (WAITING, OFFERED, CONNECTED)
#: Column limits of what an item stores (conversations and messages tables).
_LIMITS = {"channel": 32, "external_id": 200, "queue": 128, "customer_id": 200, "customer_name": 200,
           "subject": 500, "language": 16, "segment": 32, "source": 200}
#: How an item's fields are named in the API's request body (for error messages).
_API_NAMES = {"customer_id": "customer.id", "customer_name": "customer.name", "language": "customer.language",
              "segment": "customer.segment"}


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
    #: This item opened the conversation (False: it joined an open one, or was a retry).
    opened: bool = False


def check_storable(item: Inbound) -> None:
    """Refuse what the database would refuse, naming the field: a NUL character, a value
    longer than its column, an unknown channel, a priority out of range."""
    registry.get(item.channel)
    strings: dict[str, str | None] = {name: getattr(item, name) for name in _LIMITS}
    strings["text"] = item.text
    for name, value in [*strings.items(), *((f"skills.{k}", k) for k in item.skills)]:
        if value is None:
            continue
        where = _API_NAMES.get(name, name)
        if "\x00" in value:
            raise InvalidInput("ingest.nul_character", field=where)
        limit = _LIMITS.get(name)
        if limit is not None and len(value) > limit:
            raise InvalidInput("ingest.too_long", field=where, limit=limit, length=len(value))
    if not -10**6 <= item.priority <= 10**6:
        raise InvalidInput("ingest.out_of_range", field="priority", value=item.priority, low=-10**6, high=10**6)


def ingest(svc: RouterService, item: Inbound, identity: IdentityResolver | None = None) -> IngestResult:
    """Store and route one inbound contact or message; a retry changes nothing."""
    result = ingest_many(svc, [item], identity)[0]
    if isinstance(result, DozvonError):
        raise result
    return result


def ingest_many(svc: RouterService, items: list[Inbound],
                identity: IdentityResolver | None = None) -> list[IngestResult | DozvonError]:
    """Store and route several in one transaction; each gets its result or its own error."""
    resolver = identity or ChannelIdentity()
    results: list[IngestResult | DozvonError | None] = [None] * len(items)
    todo = []
    for i, item in enumerate(items):
        try:
            check_storable(item)
            todo.append(i)
        except DozvonError as error:
            results[i] = error
    with svc.lock:
        while todo:
            batch = [items[i] for i in todo]
            try:
                done, deferred = _batch(svc, batch, resolver)
            except (IntegrityError, DataError):
                # Another server stored one of these ids first, or the database refused an
                # item the checks let through: one at a time, so each gets its own answer.
                for i in todo:
                    results[i] = _alone(svc, items[i], resolver)
                break
            for position, result in done.items():
                results[todo[position]] = result
            todo = [todo[position] for position in deferred]
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


def _alone(svc: RouterService, item: Inbound, resolver: IdentityResolver) -> IngestResult | DozvonError:
    while True:
        try:
            done, deferred = _batch(svc, [item], resolver)
        except (IntegrityError, DataError) as error:
            with svc.sessions() as session:
                found = _existing(session, svc.project, item)
            if found is not None:
                return found
            reason = str(error.orig).splitlines()[0] if error.orig else type(error).__name__
            return InvalidInput("api.unstorable", reason=reason)
        if not deferred:
            return done[0]


def _existing(session: Session, project: str, item: Inbound) -> IngestResult | None:
    if item.as_message:
        msg = q.by_external(session, Message, project, item.channel, item.external_id)
        if msg is not None:
            return IngestResult(msg.conversation_id, msg.id, created=False)
    conv = q.by_external(session, Conversation, project, item.channel, item.external_id)
    if conv is not None:
        first = session.scalar(select(Message.id).where(Message.conversation_id == conv.id)
                               .order_by(Message.id).limit(1))
        return IngestResult(conv.id, first, created=False)
    return None


@dataclass(frozen=True)
class _Planned:
    index: int
    item: Inbound
    conversation_id: str
    #: True: a message joining the customer's open conversation; False: a new contact.
    joins: bool
    customer_id: str | None
    #: The customer's segment and rule priority at this contact (None: unknown customer).
    standing: Standing | None = None

    @property
    def queue(self) -> str:
        """Where the contact goes: the channel's queue, unless a flag's policy names another."""
        return (self.standing.queue if self.standing is not None else None) or self.item.queue


def _plan(svc: RouterService, items: list[Inbound], resolver: IdentityResolver,
          results: dict[int, IngestResult | DozvonError]) -> tuple[list[_Planned], list[int], list[tuple[int, int]]]:
    """Which items are new, which are retries, which join an open conversation. A second
    message of a customer whose conversation this batch opens waits for the next batch
    (whether it joins depends on how the first is routed)."""
    fresh: list[tuple[int, str | None]] = []
    repeats: list[tuple[int, int]] = []
    first_of: dict[tuple[str, str], int] = {}
    open_of: dict[tuple[str, str], str] = {}
    # A transaction of its own: the identity step may create customers (committed here,
    # before the contacts; a retry of a failed batch then finds them).
    with svc.sessions.begin() as session:
        customers = resolver.resolve(session, svc.project,
                                     [CustomerRef(i.channel, i.customer_id, i.customer_name) for i in items])
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
            customer = customers[i]
            fresh.append((i, customer))
            who = (item.channel, customer or "")
            if item.as_message and customer and who not in open_of:
                current = q.open_conversation(session, svc.project, item.channel, customer)
                open_of[who] = current.id if current is not None else ""
    talking = live.live_contacts(svc, [c for c in open_of.values() if c])
    planned: list[_Planned] = []
    deferred: list[int] = []
    opened: set[tuple[str, str]] = set()
    for i, customer in fresh:
        item = items[i]
        who = (item.channel, customer or "")
        if not (item.as_message and customer):
            planned.append(_Planned(i, item, uuid.uuid4().hex, False, customer))
            continue
        now = talking.get(open_of[who])
        if now is not None and now.state in _TALKING:
            planned.append(_Planned(i, item, now.id, True, customer))
        elif who in opened:
            deferred.append(i)
        else:
            opened.add(who)
            planned.append(_Planned(i, item, uuid.uuid4().hex, False, customer))
    # The customer's standing (segment, priority) counts contacts: only for new ones, so a
    # chat's every message costs nothing here.
    arriving = [p.customer_id for p in planned if not p.joins and p.customer_id]
    if arriving:
        with svc.sessions.begin() as session:
            standings = resolver.standing(session, svc.project, arriving, to_us(svc.clock.now()))
        if any(s.queue for s in standings.values()):  # a policy's queue that was since removed: not used
            queues = svc.read(lambda engine: set(engine.queues))
            standings = {c: replace(s, queue=s.queue if s.queue in queues else None) for c, s in standings.items()}
        planned = [replace(p, standing=standings.get(p.customer_id)) if not p.joins and p.customer_id else p
                   for p in planned]
    return planned, deferred, repeats


def _batch(svc: RouterService, items: list[Inbound],
           resolver: IdentityResolver) -> tuple[dict[int, IngestResult | DozvonError], list[int]]:
    """One transaction: rows first, then the engine. Returns each done item's result by
    position, and the positions deferred to the next batch."""
    results: dict[int, IngestResult | DozvonError] = {}
    planned, deferred, repeats = _plan(svc, items, resolver, results)
    if planned:
        now_us = to_us(svc.clock.now())
        message_ids: dict[str, int] = {}
        decided: dict[int, list[Decision]] = {}
        refused: list[_Planned] = []

        def store(session: Session) -> None:
            conversations = [_conversation_row(svc.project, p, now_us) for p in planned if not p.joins]
            if conversations:
                session.execute(insert(Conversation), conversations)
            messages = [_message_row(svc.project, p, now_us) for p in planned if p.item.text is not None]
            if messages:
                ids = session.scalars(insert(Message).returning(Message.id, sort_by_parameter_order=True),
                                      messages).all()
                message_ids.update((row["external_id"], new_id) for row, new_id in zip(messages, ids, strict=True))

        def command(engine: RoutingEngine) -> None:
            for p in planned:
                try:
                    decided[p.index] = _route(engine, p)
                except DozvonError as error:  # the engine changes nothing on bad input
                    results[p.index] = error
                    refused.append(p)

        def forget_refused(session: Session) -> None:
            for p in refused:
                session.execute(delete(Message).where(Message.project == svc.project, Message.channel == p.item.channel,
                                                      Message.external_id == p.item.external_id))
                if not p.joins:
                    session.execute(delete(Conversation).where(Conversation.id == p.conversation_id))

        svc.run(command, also=forget_refused, before=store)
        for p in planned:
            if p.index in decided:
                results[p.index] = IngestResult(p.conversation_id, message_ids.get(p.item.external_id), True,
                                                decided[p.index], opened=not p.joins)
    for i, first in repeats:  # the same id twice in one batch: the second is a retry
        result = results.get(first)
        if result is None:  # the first was deferred: so is the repeat
            deferred.append(i)
            continue
        results[i] = result if not isinstance(result, IngestResult) else \
            IngestResult(result.conversation_id, result.message_id, False)
    return results, deferred


def _conversation_row(project: str, p: _Planned, now_us: int) -> dict[str, Any]:
    item = p.item
    details: dict[str, Any] = {}
    if item.customer_id is not None and item.customer_id != p.customer_id:
        details["customer_ref"] = item.customer_id
    return {"id": p.conversation_id, "project": project, "channel": item.channel, "queue": p.queue,
            "external_id": item.external_id, "customer_id": p.customer_id, "customer_name": item.customer_name,
            "subject": item.subject, "status": q.OPEN, "created_at_us": now_us, "details": details}


def _message_row(project: str, p: _Planned, now_us: int) -> dict[str, Any]:
    item = p.item
    return {"project": project, "conversation_id": p.conversation_id, "channel": item.channel,
            "external_id": item.external_id, "direction": "in", "author": item.customer_name,
            "text": item.text, "at_us": now_us}


def _route(engine: RoutingEngine, p: _Planned) -> list[Decision]:
    """The engine's part of one item: a new contact (and its first message), or a message."""
    item = p.item
    if p.joins:
        engine.record_message(p.conversation_id, "in", item.external_id, item.text or "", item.customer_name or None)
        return []
    standing = p.standing or Standing(None)
    spec = ContactSpec(id=p.conversation_id, queue=p.queue, channel=item.channel,
                       priority=item.priority + standing.priority, customer_id=p.customer_id,
                       language=item.language, segment=item.segment or standing.segment,
                       source=item.source, skills=dict(item.skills), flags=standing.flags)
    refuse = None
    if standing.refuse_text is not None:
        refuse = Action("message", text=standing.refuse_text) if standing.refuse_text else Action("reject")
    decisions = engine.contact_arrived(spec, refuse=refuse)
    contact = engine.contacts.get(p.conversation_id)
    if item.text is not None and contact is not None and contact.state in _TALKING:
        engine.record_message(p.conversation_id, "in", item.external_id, item.text, item.customer_name or None)
    return decisions


class IngestQueue:
    """One project's group commit: requests wait while the previous batch is written."""

    def __init__(self, svc: RouterService, identity: IdentityResolver | None = None,
                 max_batch: int = MAX_BATCH) -> None:
        self.svc = svc
        self.identity = identity or ChannelIdentity()
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[Inbound, Future[IngestResult]]] = queue.SimpleQueue()
        self._worker = threading.Thread(target=self._run, name=f"ingest-{svc.project}", daemon=True)
        self._worker.start()

    def submit(self, item: Inbound, timeout: float = 60.0) -> IngestResult:
        """Store and route ``item``; returns once its transaction has committed."""
        check_storable(item)  # a bad item is refused at once, without joining a batch
        future: Future[IngestResult] = Future()
        self._queue.put((item, future))
        return future.result(timeout)

    def _take(self) -> list[tuple[Inbound, Future[IngestResult]]]:
        batch = [self._queue.get()]
        while len(batch) < self.max_batch:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _run(self) -> None:
        while True:
            batch = self._take()
            try:
                results: Iterable[IngestResult | DozvonError] = ingest_many(
                    self.svc, [item for item, _ in batch], self.identity)
            except Exception as error:  # the whole transaction failed (database down): all hear why
                for _, future in batch:
                    future.set_exception(error)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if isinstance(result, DozvonError):
                    future.set_exception(result)
                else:
                    future.set_result(result)
