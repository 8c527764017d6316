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

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import BigInteger, Table, bindparam, delete, literal, select, union_all
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from dozvon.acd import queries as live
from dozvon.acd.service import RouterService
from dozvon.channels.registry import registry
from dozvon.conversations import queries as q
from dozvon.conversations import survey
from dozvon.conversations.identity import ChannelIdentity, CustomerRef, IdentityResolver, IdentityTaken, Standing
from dozvon.conversations.models import Conversation, Message
from dozvon.core import bulk, ids, pipeline, tracing
from dozvon.core.errors import DozvonError, InvalidInput
from dozvon.eventlog.repository import to_us
from dozvon.routing.engine import RoutingEngine
from dozvon.routing.events import Decision
from dozvon.routing.model import CONNECTED, OFFERED, WAITING, Action, ContactSpec

CONVERSATIONS: Table = Conversation.__table__  # type: ignore[assignment]
MESSAGES: Table = Message.__table__  # type: ignore[assignment]
#: The most requests stored in one transaction.
MAX_BATCH = 200
#: The fewest requests waiting for a batch's successor to be taken before its COMMIT
#: (:class:`Following`). Those that arrive while it commits then wait for the batch after:
#: worth a round trip less to many, not to two or three at a moment of light load.
FOLLOW_MIN = 8
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


def ingest_many(svc: RouterService, items: list[Inbound], identity: IdentityResolver | None = None, *,
                looked: LookUps | None = None, following: Following | None = None,
                checked: bool = False) -> list[IngestResult | DozvonError]:
    """Store and route several in one transaction; each gets its result or its own error.

    ``looked``: these items' look-ups, sent before the previous batch's COMMIT
    (:class:`IngestQueue`); used if no command of the project committed since, else asked
    again. ``following``: sends the next batch's look-ups before this one's COMMIT.
    ``checked``: every item passed :func:`check_storable` already (the queue checks each
    as it is submitted), so the single writer's thread does not check it again."""
    resolver = identity or ChannelIdentity()
    results: list[IngestResult | DozvonError | None] = [None] * len(items)
    todo = []
    for i, item in enumerate(items):
        try:
            if not checked:
                check_storable(item)
            todo.append(i)
        except DozvonError as error:
            results[i] = error
    with svc.lock:
        if looked is not None and looked.seq != svc.last_seq():
            looked = None  # another command committed since they were read: ask again
        while todo:
            batch = [items[i] for i in todo]
            try:
                done, deferred = _batch(svc, batch, resolver, looked, following)
            except IdentityTaken:
                looked = None
                continue  # another server's customer: found by the batch run again
            except (IntegrityError, DataError):
                # Another server stored one of these ids first, or the database refused an
                # item the checks let through: one at a time, so each gets its own answer.
                for i in todo:
                    results[i] = _alone(svc, items[i], resolver)
                break
            looked = None
            for position, result in done.items():
                results[todo[position]] = result
            todo = [todo[position] for position in deferred]
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


def _alone(svc: RouterService, item: Inbound, resolver: IdentityResolver) -> IngestResult | DozvonError:
    while True:
        try:
            done, deferred = _batch(svc, [item], resolver)
        except IdentityTaken:
            continue
        except (IntegrityError, DataError) as error:
            with svc.sessions() as session:
                found = _existing_many(session, svc.project, [item]).get((item.channel, item.external_id))
            if found is not None:
                return found
            reason = str(error.orig).splitlines()[0] if error.orig else type(error).__name__
            return InvalidInput("api.unstorable", reason=reason)
        if not deferred:
            return done[0]


def _existing_many(session: Session, project: str, items: list[Inbound]) -> dict[tuple[str, str], IngestResult]:
    """The retries among these items, by (channel, external id): the message or the
    conversation each one already stored (its first message) — one query for the messages
    and the conversations together (a round trip less for every batch of chat messages),
    and one more per retried whole contact."""
    return _Retries(session, project, items).found(session)


class _Retries:
    """:func:`_existing_many` in two steps: the look-up is sent at once (in a pipelined
    transaction it travels with the identity step's first look-up: a round trip less per
    batch), its rows read by :meth:`found`."""

    def __init__(self, session: Session, project: str, items: list[Inbound]) -> None:
        self.wanted = {(i.channel, i.external_id) for i in items}
        # A message, or what may be a survey's answer: stored as a message of an old conversation.
        self.messages = {(i.channel, i.external_id) for i in items
                         if i.as_message or survey.score_of(i.text) is not None}
        parameters = {"project": project, "channels": list({c for c, _ in self.wanted}),
                      "ids": list({e for _, e in self.wanted})}
        if self.messages:
            parameters.update(m_channels=list({c for c, _ in self.messages}),
                              m_ids=list({e for _, e in self.messages}))
        self.asked = (_RETRIES_WITH_MESSAGES if self.messages else _RETRIES).ahead(session, parameters)

    def found(self, session: Session) -> dict[tuple[str, str], IngestResult]:
        found: dict[tuple[str, str], IngestResult] = {}
        conversations: dict[tuple[str, str], str] = {}
        for kind, channel, external_id, conversation_id, message_id in self.asked.all():
            key = (channel, external_id)
            if kind == "m" and key in self.messages:
                found[key] = IngestResult(conversation_id, message_id, created=False)
            elif kind == "c" and key in self.wanted:
                conversations[key] = conversation_id
        for key, conversation_id in conversations.items():  # retries of whole contacts: rare, one by one
            if key in found:
                continue
            first = session.scalar(select(Message.id).where(Message.conversation_id == conversation_id)
                                   .order_by(Message.id).limit(1))
            found[key] = IngestResult(conversation_id, first, created=False)
        return found


def _retried_conversations(dialect: str) -> Any:
    return select(literal("c").label("kind"), Conversation.channel, Conversation.external_id, Conversation.id,
                  literal(None, BigInteger).label("message_id")).where(
        Conversation.project == bindparam("project"), bulk.among(Conversation.channel, "channels", dialect),
        bulk.among(Conversation.external_id, "ids", dialect))


_RETRIES = bulk.PerDialect(_retried_conversations)
_RETRIES_WITH_MESSAGES = bulk.PerDialect(lambda dialect: union_all(
    select(literal("m").label("kind"), Message.channel, Message.external_id, Message.conversation_id,
           Message.id).where(Message.project == bindparam("project"),
                             bulk.among(Message.channel, "m_channels", dialect),
                             bulk.among(Message.external_id, "m_ids", dialect)),
    _retried_conversations(dialect)))


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
    #: The item answers this conversation's survey (``conversation_id``): a message of it, no contact.
    answer: survey.Answer | None = None

    @property
    def queue(self) -> str:
        """Where the contact goes: the channel's queue, unless a flag's policy names another."""
        return (self.standing.queue if self.standing is not None else None) or self.item.queue


class LookUps:
    """A batch's look-ups, sent without waiting: which items are retries, the open
    conversations its messages may join, and the identity step's (whose customers these
    are; the project's segment rules). Sent in the batch's own transaction, they travel
    with its first wait. :class:`IngestQueue` sends them in the transaction of the batch
    before instead, just before its COMMIT, and reads them once that committed: the batch
    then waits for the database once less (twice for new contacts, once for chat
    messages). They see that batch's rows (its transaction's own) and what others committed
    before; ``seq`` is the project's last event once it committed, and :func:`ingest_many`
    asks again if a command of the project committed after it. Nothing here writes or
    locks: a batch's COMMIT never waits on its successor's look-ups."""

    def __init__(self, session: Session, project: str, items: list[Inbound], resolver: IdentityResolver) -> None:
        self.items = items
        self.retries = _Retries(session, project, items)
        self.refs = [CustomerRef(i.channel, i.customer_id, i.customer_name, opens=not i.as_message) for i in items]
        # The conversations messages may join, when the resolver can name their customers
        # before it resolves them (one round trip less per batch of messages).
        messages = [r for r in self.refs if not r.opens]
        self.open = resolver.open_ahead(session, project, messages) if messages else None
        self.identities = resolver.ask(session, project, self.refs)
        #: The project's last event when the transaction that sent them committed (None:
        #: sent in the batch's own transaction, or that one did not commit).
        self.seq: int | None = None

    def asked_for(self, items: list[Inbound]) -> bool:
        """Whether these are the very items they were sent for, in order."""
        return len(items) == len(self.items) and all(a is b for a, b in zip(items, self.items, strict=True))


class Following:
    """The requests that arrived while a batch was written: taken just before its COMMIT,
    with their look-ups sent along (:class:`LookUps`), to run as the next batch."""

    def __init__(self, take: Callable[[], list[Queued]]) -> None:
        self._take = take
        self.queued: list[Queued] = []
        self.looked: LookUps | None = None

    def send(self, svc: RouterService, session: Session, resolver: IdentityResolver) -> None:
        """In the batch's transaction, before its COMMIT (a batch run again sends them
        again for the requests it took the first time). The queue holds only items
        :func:`check_storable` let through (:meth:`IngestQueue.submit`), so the next
        batch's items are these very ones, and :meth:`LookUps.asked_for` finds them so."""
        if not self.queued:
            self.queued = self._take()
        items = [item for item, _, _ in self.queued]
        self.looked = LookUps(session, svc.project, items, resolver) if items else None

    def committed(self, seq: int) -> None:
        if self.looked is not None:
            self.looked.seq = seq

    def pop(self) -> tuple[list[Queued], LookUps | None]:
        queued, looked = self.queued, self.looked
        self.queued, self.looked = [], None
        return queued, looked


def _plan(svc: RouterService, session: Session, items: list[Inbound], resolver: IdentityResolver,
          results: dict[int, IngestResult | DozvonError],
          looked: LookUps | None) -> tuple[list[_Planned], list[int], list[tuple[int, int]]]:
    """Which items are new, which are retries, which join an open conversation (in the
    batch's transaction: the customers the identity step creates are stored with their
    contacts, or not at all). A second message of a customer whose conversation this batch
    opens waits for the next batch (whether it joins depends on how the first is routed)."""
    fresh: list[tuple[int, str | None]] = []
    repeats: list[tuple[int, int]] = []
    first_of: dict[tuple[str, str], int] = {}
    open_of: dict[tuple[str, str], str] = {}
    if looked is None or not looked.asked_for(items):
        looked = LookUps(session, svc.project, items, resolver)  # read with the identity step's wait
    asked, refs, open_asked = looked.retries, looked.refs, looked.open
    customers = resolver.resolve(session, svc.project, refs, looked.identities)
    tracing.mark("identity")
    retries = asked.found(session)
    tracing.mark("retries")
    for i, item in enumerate(items):
        key = (item.channel, item.external_id)
        if key in first_of:
            repeats.append((i, first_of[key]))
            continue
        first_of[key] = i
        found = retries.get(key)
        if found is not None:
            results[i] = found
            continue
        customer = customers[i]
        fresh.append((i, customer))
        who = (item.channel, customer or "")
        if item.as_message and customer and who not in open_of:
            open_of[who] = ""
    # A lone score after a survey answers it rather than opening a conversation (survey.py).
    answers = survey.answers(session, svc.project, [(i, items[i], c) for i, c in fresh], to_us(svc.clock.now()))
    tracing.mark("surveys")
    if open_of:
        open_of.update(q.newest_open(open_asked.all(), open_of) if open_asked is not None
                       else q.open_conversations(session, svc.project, list(open_of)))
    elif open_asked is not None:
        open_asked.all()  # read, so that its cursor is closed
    talking = live.live_contacts(svc, [c for c in open_of.values() if c])
    tracing.mark("open")
    planned: list[_Planned] = []
    deferred: list[int] = []
    opened: set[tuple[str, str]] = set()
    for i, customer in fresh:
        item = items[i]
        who = (item.channel, customer or "")
        answer = answers.get(i)
        if answer is not None:
            planned.append(_Planned(i, item, answer.conversation_id, True, customer, answer=answer))
            continue
        if not (item.as_message and customer):
            planned.append(_Planned(i, item, ids.new_hex(), False, customer))
            continue
        now = talking.get(open_of[who])
        if now is not None and now.state in _TALKING:
            planned.append(_Planned(i, item, now.id, True, customer))
        elif who in opened:
            deferred.append(i)
        else:
            opened.add(who)
            planned.append(_Planned(i, item, ids.new_hex(), False, customer))
    # The customer's standing (segment, priority) counts contacts: only for new ones, so a
    # chat's every message costs nothing here.
    arriving = [p.customer_id for p in planned if not p.joins and p.customer_id]
    if arriving:
        standings = resolver.standing(session, svc.project, arriving, to_us(svc.clock.now()))
        if any(s.queue for s in standings.values()):  # a policy's queue that was since removed: not used
            queues = svc.read(lambda engine: set(engine.queues))
            standings = {c: replace(s, queue=s.queue if s.queue in queues else None) for c, s in standings.items()}
        planned = [replace(p, standing=standings.get(p.customer_id)) if not p.joins and p.customer_id else p
                   for p in planned]
        tracing.mark("standing")
    return planned, deferred, repeats


class _Batch:
    """One transaction's work: who the customers are, which items are retries, the rows
    (:meth:`plan_and_store`, before the engine moves), then the engine (:meth:`command`),
    and each item's result (:meth:`outcome`)."""

    def __init__(self, svc: RouterService, items: list[Inbound], resolver: IdentityResolver,
                 looked: LookUps | None = None) -> None:
        self.svc, self.items, self.resolver, self.looked = svc, items, resolver, looked
        self.results: dict[int, IngestResult | DozvonError] = {}
        self.planned: list[_Planned] = []
        self.deferred: list[int] = []
        self.repeats: list[tuple[int, int]] = []
        self.message_ids = pipeline.Ahead([])
        self.decided: dict[int, list[Decision]] = {}
        self.refused: list[_Planned] = []
        #: The transaction's session, kept by :meth:`plan_and_store` for :meth:`command`.
        self.session: Session | None = None

    def plan_and_store(self, session: Session) -> bool:
        """The batch's rows. Returns whether the engine only notes facts for them (every
        item joins a conversation): :meth:`RouterService.run` then sends the rows with the
        events and COMMIT instead of waiting for them first — a batch of chat messages
        waits for PostgreSQL twice, not three times. The messages' new ids travel with
        COMMIT too, read in :meth:`outcome`. Any other batch's rows are waited for before
        the engine moves, and with them the claims of the customers the identity step
        created, which :meth:`command` has the resolver confirm first
        (:meth:`IdentityResolver.confirm`): one wait for both — a batch of new contacts
        waits three times, not four."""
        svc = self.svc
        self.session = session
        self.planned, self.deferred, self.repeats = _plan(svc, session, self.items, self.resolver, self.results,
                                                          self.looked)
        planned = self.planned
        if not planned:
            return True
        now_us = to_us(svc.clock.now())
        conversations = [_conversation_row(svc.project, p, now_us) for p in planned if not p.joins]
        if conversations:
            bulk.insert_rows(session, CONVERSATIONS, conversations)
            tracing.mark("conversations")
        messages = [_message_row(svc.project, p, now_us) for p in planned if p.item.text is not None]
        for p in planned:
            if p.answer is not None and p.answer.counts:  # once: a later score is only a message
                row = session.get(Conversation, p.conversation_id)
                assert row is not None
                row.details = {**(row.details or {}), "csat": p.answer.score}
        if messages:
            self.message_ids = bulk.insert_rows_read_later(session, MESSAGES, messages,
                                                          returning=("channel", "external_id", "id"))
        tracing.mark("planned")
        return all(p.joins for p in planned)

    def command(self, engine: RoutingEngine) -> None:
        # The new customers' claims came with the rows' wait (RouterService.run's, before
        # the engine moves): another server's claim undoes the batch before anything moved.
        assert self.session is not None, "plan_and_store runs first"
        self.resolver.confirm(self.session)
        for p in self.planned:
            try:
                self.decided[p.index] = _route(engine, p)
            except DozvonError as error:  # the engine changes nothing on bad input
                self.results[p.index] = error
                self.refused.append(p)
        tracing.mark("routed")

    def forget_refused(self, session: Session) -> None:
        for p in self.refused:
            session.execute(delete(Message).where(Message.project == self.svc.project,
                                                  Message.channel == p.item.channel,
                                                  Message.external_id == p.item.external_id))
            if not p.joins:
                session.execute(delete(Conversation).where(Conversation.id == p.conversation_id))

    def outcome(self) -> tuple[dict[int, IngestResult | DozvonError], list[int]]:
        """After the commit: each done item's result by position, and the positions
        deferred to the next batch."""
        results, deferred = self.results, list(self.deferred)
        message_ids = {(channel, external_id): new_id for channel, external_id, new_id in self.message_ids.all()}
        for p in self.planned:
            if p.index in self.decided:
                results[p.index] = IngestResult(p.conversation_id,
                                                message_ids.get((p.item.channel, p.item.external_id)),
                                                True, self.decided[p.index], opened=not p.joins)
        for i, first in self.repeats:  # the same id twice in one batch: the second is a retry
            result = results.get(first)
            if result is None:  # the first was deferred: so is the repeat
                deferred.append(i)
                continue
            results[i] = result if not isinstance(result, IngestResult) else \
                IngestResult(result.conversation_id, result.message_id, False)
        return results, deferred


def _batch(svc: RouterService, items: list[Inbound], resolver: IdentityResolver, looked: LookUps | None = None,
           following: Following | None = None) -> tuple[dict[int, IngestResult | DozvonError], list[int]]:
    """One transaction, under the project's lock from its first statement to its commit.
    Returns each done item's result by position, and the positions deferred to the next batch.
    ``following`` sends the next batch's look-ups before COMMIT, unless items of this one
    wait for a batch of their own first."""
    work = _Batch(svc, items, resolver, looked)

    def send_following(session: Session) -> None:
        if following is not None and not work.deferred:
            following.send(svc, session, resolver)

    svc.run(work.command, also=work.forget_refused, before=work.plan_and_store,
            last=send_following if following is not None else None)
    if following is not None and not work.deferred:
        following.committed(svc.last_seq())
    return work.outcome()


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
    if p.answer is not None:  # the survey's answer: the customer's rating, as the widget's
        if p.answer.counts:
            engine.note("csat.rated", p.conversation_id, p.answer.operator_id, queue=p.answer.queue,
                        channel=p.answer.channel, score=p.answer.score)
        return []
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


#: Where a request waits for its batch: a thread's future, or an asyncio future with its loop.
Waiter = Future[IngestResult] | tuple[asyncio.AbstractEventLoop, "asyncio.Future[IngestResult]"]
#: A request in the queue: the item, who waits for it, when it arrived (``tracing.clock``).
Queued = tuple[Inbound, Waiter, float]


class IngestQueue:
    """One project's group commit: requests wait while the previous batch is written.

    Requests come from worker threads (:meth:`submit`) or straight from the event loop
    (:meth:`submit_async`, the HTTP API: no thread is held while a request waits). After a
    batch commits, the answers for one event loop are handed over in one callback, not one
    wake-up of the loop per request.

    One batch after another, in one thread. But the next batch is taken while one is
    written, when enough requests wait (:data:`FOLLOW_MIN`): its look-ups go in this one's
    transaction, just before COMMIT, and come back with it (:class:`Following`,
    :class:`LookUps`) — the next batch starts with them in hand, a wait for the database
    less. They only read. Planning the next batch in a transaction of its own while the
    one before commits (a pipeline) was built and measured: +38 % in-process, nothing
    through HTTP (the interpreter's lock is shared with the event loop), and its open
    transaction could hold a row lock that a writer under the project's lock waits for
    while the pipeline's commit waits for that lock — a deadlock no database would see. It
    was taken out (docs/architecture.md, "The ingest under load")."""

    def __init__(self, svc: RouterService, identity: IdentityResolver | None = None,
                 max_batch: int = MAX_BATCH) -> None:
        self.svc = svc
        self.identity = identity or ChannelIdentity()
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[Queued] = queue.SimpleQueue()
        self._following = Following(self._ahead)
        self._worker = threading.Thread(target=self._run, name=f"ingest-{svc.project}", daemon=True)
        self._worker.start()

    def submit(self, item: Inbound, timeout: float = 60.0) -> IngestResult:
        """Store and route ``item``; returns once its transaction has committed."""
        check_storable(item)  # a bad item is refused at once, without joining a batch
        future: Future[IngestResult] = Future()
        self._queue.put((item, future, tracing.clock()))
        return future.result(timeout)

    async def submit_async(self, item: Inbound, timeout: float = 60.0) -> IngestResult:
        """:meth:`submit` for a caller on an event loop."""
        check_storable(item)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[IngestResult] = loop.create_future()
        # The timeout is one timer on the future itself: ``asyncio.wait_for`` wraps it in a
        # second future with callbacks both ways, 2.6 µs more on the event loop for each
        # request (the loop's CPU is what every batch waits on for the interpreter's lock).
        expiry = loop.call_later(timeout, _expire, future)
        self._queue.put((item, (loop, future), tracing.clock()))
        try:
            return await future
        finally:
            expiry.cancel()

    def _take(self) -> list[Queued]:
        return [self._queue.get(), *self._waiting(self.max_batch - 1)]

    def _waiting(self, most: int) -> list[Queued]:
        batch: list[Queued] = []
        while len(batch) < most:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _ahead(self) -> list[Queued]:
        return self._waiting(self.max_batch) if self._queue.qsize() >= FOLLOW_MIN else []

    def _run(self) -> None:
        while True:
            queued, looked = self._following.pop()
            self._run_one(queued or self._take(), looked)

    def _run_one(self, batch: list[Queued], looked: LookUps | None = None) -> None:
        """One batch in one transaction, in this thread; the requests waiting meanwhile are
        taken before its COMMIT, and their look-ups sent with it (:class:`Following`)."""
        trace = tracing.TRACE.begin([(item.external_id, at) for item, _, at in batch]) \
            if tracing.TRACE is not None else None
        try:
            answers: list[IngestResult | BaseException] = list(ingest_many(
                self.svc, [item for item, _, _ in batch], self.identity, looked=looked, following=self._following,
                checked=True))
        except Exception as error:  # the whole transaction failed (database down): all hear why
            answers = [error] * len(batch)
        self._answer(batch, answers, trace)

    def _answer(self, batch: list[Queued], answers: list[IngestResult | BaseException],
                trace: tracing.Batch | None) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[IngestResult], Any]]] = {}
        for (_, waiter, _), answer in zip(batch, answers, strict=True):
            if isinstance(waiter, Future):
                if isinstance(answer, BaseException):
                    waiter.set_exception(answer)
                else:
                    waiter.set_result(answer)
            else:
                by_loop.setdefault(waiter[0], []).append((waiter[1], answer))
        for loop, settled in by_loop.items():
            with contextlib.suppress(RuntimeError):  # that loop has closed: nobody waits any more
                loop.call_soon_threadsafe(_settle, settled, trace)
        if trace is not None:
            trace.mark("answered")
            tracing.TRACE.end(trace)  # type: ignore[union-attr]


def _expire(future: asyncio.Future[IngestResult]) -> None:
    """A request that waited its whole timeout: answered with :class:`TimeoutError` (its
    batch's answer, if it ever comes, is then left alone by :func:`_settle`)."""
    if not future.done():
        future.set_exception(TimeoutError("the ingest did not answer in time"))


def _settle(settled: list[tuple[asyncio.Future[IngestResult], Any]], trace: tracing.Batch | None = None) -> None:
    """On the waiters' loop: each request's answer (a waiter that timed out is left alone)."""
    if trace is not None:
        trace.mark("answers_on_loop")
    for future, answer in settled:
        if future.done():
            continue
        if isinstance(answer, BaseException):
            future.set_exception(answer)
        else:
            future.set_result(answer)
