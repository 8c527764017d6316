"""One project's routing engine, persisted: every command commits its events and state.

:class:`RouterService` is the only writer of the routing tables. Each command runs the
pure engine, then writes — in one transaction — the events it produced and the rows of
every contact, operator and queue those events name. Only after the commit are the
decisions returned to the caller (who rings phones, sends messages), so that nothing is
announced that the database does not hold. If the write fails, the in-memory engine is
rebuilt from the database (a command that only noted facts just puts its event counter
back), so memory never runs ahead of what is stored; if the rebuild fails too, the
database being away, it is rebuilt before the engine is used again.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dozvon.acd import repository as repo
from dozvon.channels.registry import registry
from dozvon.core import pipeline
from dozvon.core.clock import Clock, SystemClock
from dozvon.core.db import session_factory
from dozvon.eventlog import repository as eventlog
from dozvon.routing.engine import RoutingEngine
from dozvon.routing.events import FACTS_ONLY, Decision, RoutingEvent
from dozvon.routing.model import EngineSettings
from dozvon.routing.snapshot import (
    export_contact,
    export_meta,
    export_operator,
    export_queue,
    restore,
)

T = TypeVar("T")

#: Events after which every queue row is rewritten (membership may have changed).
_RECONFIGURING = frozenset({"operator.configured", "queue.configured"})
#: Events that change the stored row of the queue they name: opening hours, and the
#: round-robin turn an offer takes. Other contact events leave the row as it was, and
#: rewriting it (every member's turn) on each of them would cost O(members) per contact.
_QUEUE_ROW_EVENTS = frozenset({"queue.opened", "queue.closed", "offer.created"})


#: Called inside a command's transaction with the decisions it made: may log further facts
#: on the engine (an auto-reply's ``message.sent``) and returns what to write with them
#: (the message and its outbox row), or None.
DecisionHook = Callable[[RoutingEngine, list[Decision]], Callable[[Session], None] | None]


class RouterService:
    def __init__(self, db: Engine, project: str = "default", clock: Clock | None = None,
                 settings: EngineSettings | None = None) -> None:
        self.db = db
        self.project = project
        self.clock = clock or SystemClock()
        self.settings = settings or EngineSettings(channel_buckets=registry.bucket_map)
        self.sessions = session_factory(db)
        self._lock = threading.RLock()
        self.engine = self._load()
        #: A failed command's rebuild failed too (the database away): the engine in memory
        #: may be ahead of the database, and is rebuilt before it is used again.
        self._stale = False
        self._committed_seq = self.engine.event_seq
        self._deadline: float | None = self.engine.next_deadline()
        #: Called after each commit with the committed events (notifications, metrics).
        self.listeners: list[Callable[[list[RoutingEvent]], None]] = []
        #: Called after each commit with the decisions it carried — from commands and timer
        #: ticks alike — so that the channel adapters act on them (see dozvon.channels).
        self.decision_listeners: list[Callable[[list[Decision]], None]] = []
        #: Called inside each command's transaction with its events: read models that must
        #: never disagree with the log (conversations, callback tasks).
        self.projections: list[Callable[[Session, str, list[RoutingEvent]], None]] = []
        self.decision_hooks: list[DecisionHook] = []

    @property
    def lock(self) -> threading.RLock:
        """Held while a command runs; take it to check-then-act atomically (idempotency)."""
        return self._lock

    def _load(self) -> RoutingEngine:
        with self.sessions() as session:
            state = repo.load_state(session, self.project)
        engine = restore(self.clock, state["queues"], state["operators"], state["contacts"],
                         state["meta"], state["last_operator"], self.settings)
        engine.issued = []  # the decisions of a command reach the adapters after its commit
        return engine

    def read(self, view: Callable[[RoutingEngine], T]) -> T:
        """Read live state consistently: ``view`` runs under the project's lock, between
        commands, and must return plain copies (never the engine's own objects), so that
        callers never iterate what a command thread is changing."""
        with self._lock:
            return view(self._fresh())

    def _fresh(self) -> RoutingEngine:
        """The engine, first rebuilt from the database if it may be ahead of it
        (:meth:`_undo` could not rebuild it): a command never works from state that was
        never stored. Raises while the database is still away."""
        if self._stale:
            self.engine = self._load()
            self._committed_seq = self.engine.event_seq
            self._deadline = self.engine.next_deadline()
            self._stale = False
        return self.engine

    def knows_queue(self, name: str) -> bool:
        """Whether the queue exists now — without the lock, so that the event loop can ask
        while a batch holds it (a set membership test on the engine of the moment; a queue
        added or removed just now may be seen either way, as it could a moment later)."""
        return name in self.engine.queues

    def run(self, command: Callable[[RoutingEngine], T], also: Callable[[Session], None] | None = None,
            before: Callable[[Session], bool | None] | None = None,
            last: Callable[[Session], None] | None = None) -> T:
        """Run one engine command and commit what it changed; atomic for the caller.

        ``before`` writes the caller's rows *before* the engine moves (an ingested
        conversation): if the database refuses them, the engine has not changed and needs
        no rebuild. ``also`` writes rows that depend on the command's outcome, in the same
        transaction as its events: everything is stored, or nothing. Decisions reach
        :attr:`decision_listeners` only after the commit.

        ``before`` returns True when the command that follows only notes facts
        (:data:`~dozvon.routing.events.FACTS_ONLY`: a batch of chat messages into open
        conversations). Its rows are then not waited for before the engine moves but travel
        with the events and COMMIT, a round trip less: if the database refuses them there,
        the engine has still changed nothing but its event counter, which is put back
        (:meth:`_undo`) — no rebuild either way.

        ``last`` runs after everything of the command is written, just before COMMIT: it
        may send look-ups for what the caller does next, which travel with COMMIT (the
        ingest's next batch, :class:`~dozvon.conversations.ingest.IngestQueue`). What was
        written is put on the wire first, so that the database works on it meanwhile.

        The transaction is pipelined on PostgreSQL (:mod:`dozvon.core.pipeline`): the
        plain writes of the rows and events go with the next read or with COMMIT — the
        pipeline is left after the commit."""
        with self._lock:
            engine = self._fresh()
            ran = False
            events: list[RoutingEvent] = []
            try:
                with self.sessions() as session, contextlib.ExitStack() as after_commit, session.begin():
                    after_commit.enter_context(pipeline.pipelined(session))
                    if before is not None:
                        facts_only = before(session)
                        session.flush()
                        if not facts_only:
                            pipeline.wait(session)  # refused rows are refused before the engine moves
                    ran = True
                    result = command(engine)
                    decided = list(engine.issued or ())
                    writers = [hook(engine, decided) for hook in self.decision_hooks] if decided else []
                    events = engine.drain_events()
                    if also is not None:
                        also(session)
                        session.flush()
                    for writer in writers:
                        if writer is not None:
                            writer(session)
                    if events:
                        self._write(session, events)
                    if last is not None:
                        pipeline.send(session)
                        last(session)
            except Exception:
                if ran and (engine.events or engine.issued or engine.event_seq != self._committed_seq):
                    self._undo(engine, events)  # memory never runs ahead of the database
                else:
                    engine.drain_events()
                    engine.drain_decisions()
                raise
            self._committed_seq = engine.event_seq
            self._deadline = engine.next_deadline()
            decisions = engine.drain_decisions()
            if events:
                for listener in self.listeners:
                    listener(events)
            if decisions:
                for decision_listener in self.decision_listeners:
                    decision_listener(decisions)
            return result

    def _undo(self, engine: RoutingEngine, written: list[RoutingEvent]) -> None:
        """After a command whose transaction failed: a command that noted only facts and
        decided nothing changed no state, so its events are dropped and the counter put
        back; any other is undone by rebuilding the engine from the database — or, if that
        fails too, before the next command or read (:meth:`_fresh`)."""
        noted = written + engine.drain_events()
        if not engine.issued and all(e.type in FACTS_ONLY for e in noted):
            engine.event_seq = self._committed_seq
            engine.drain_decisions()
            return
        self._stale = True  # until the rebuild succeeds: it fails while the database is away
        self._fresh()

    def tick(self) -> list[Decision]:
        """Fire due timers (offer deadlines, wrap-up, hours …) on the service's clock."""
        return self.run(lambda engine: engine.advance())

    def next_deadline(self) -> float | None:
        """When :meth:`tick` has work next (None: no timer pending) — as of the last command,
        without the lock: the server's timer loop asks after every commit, on the event
        loop, and must not wait there while the next batch is being written."""
        return self._deadline

    def last_seq(self) -> int:
        """The ``seq`` of the project's last committed event: a client that read state now
        and streams ``after`` it misses nothing and sees nothing twice.

        Without the lock: an operator's socket asks on the event loop as it opens, and
        waiting there for the batch being written stalled every other socket and request
        with it. A subscriber that reads this after subscribing loses nothing either way:
        read before a commit, the commit's events reach it with higher numbers; read after,
        they are the ones it skips as already in the state it was told of."""
        return self._committed_seq

    def _row_changes(self, e: RoutingEvent) -> bool:
        return e.type != "offer.created" or self.engine.queues[e.queue or ""].cfg.strategy == "round_robin"

    def _write(self, session: Session, events: list[RoutingEvent]) -> None:
        engine = self.engine
        changed = [e for e in events if e.type not in FACTS_ONLY]
        contact_ids = sorted({e.contact_id for e in changed if e.contact_id})
        operator_ids = sorted({e.operator_id for e in changed if e.operator_id})
        if any(e.type in _RECONFIGURING for e in events):
            queue_names = sorted(engine.queues)
        else:
            queue_names = sorted({e.queue for e in events if e.type in _QUEUE_ROW_EVENTS
                                  and e.queue in engine.queues and self._row_changes(e)})
        if not events:
            return
        eventlog.append(session, self.project, events)
        for projection in self.projections:
            projection(session, self.project, events)
        repo.save_queues(session, self.project, [export_queue(engine.queues[n]) for n in queue_names])
        repo.delete_queues(session, self.project, [e.queue for e in events
                                                   if e.type == "queue.removed" and e.queue not in engine.queues])
        repo.save_operators(session, self.project, [export_operator(engine.operators[o])
                                                    for o in operator_ids if o in engine.operators])
        live = [export_contact(engine.contacts[c]) for c in contact_ids if c in engine.contacts]
        repo.save_contacts(session, self.project, live)
        repo.delete_contacts(session, self.project, [c for c in contact_ids if c not in engine.contacts])
        answered = {e.data["customer_id"]: engine.last_operator[e.data["customer_id"]]
                    for e in events if e.type in ("contact.answered", "customer.merged") and "customer_id" in e.data
                    and e.data["customer_id"] in engine.last_operator}
        repo.save_customer_operators(session, self.project, answered)
        repo.delete_customer_operators(session, self.project, [e.data["merged"] for e in events
                                                               if e.type == "customer.merged"])
        meta = export_meta(engine)
        repo.save_meta(session, self.project, meta["event_seq"], meta["offer_seq"])
