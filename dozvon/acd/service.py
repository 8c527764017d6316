"""One project's routing engine, persisted: every command commits its events and state.

:class:`RouterService` is the only writer of the routing tables. Each command runs the
pure engine, then writes — in one transaction — the events it produced and the rows of
every contact, operator and queue those events name. Only after the commit are the
decisions returned to the caller (who rings phones, sends messages), so that nothing is
announced that the database does not hold. If the write fails, the in-memory engine is
rebuilt from the database, so memory never runs ahead of what is stored.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dozvon.acd import repository as repo
from dozvon.channels.registry import registry
from dozvon.core.clock import Clock, SystemClock
from dozvon.core.db import session_factory
from dozvon.eventlog import repository as eventlog
from dozvon.routing.engine import RoutingEngine
from dozvon.routing.events import Decision, RoutingEvent
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


class RouterService:
    def __init__(self, db: Engine, project: str = "default", clock: Clock | None = None,
                 settings: EngineSettings | None = None) -> None:
        self.db = db
        self.project = project
        self.clock = clock or SystemClock()
        self.settings = settings or EngineSettings(channel_buckets=registry.buckets())
        self.sessions = session_factory(db)
        self._lock = threading.RLock()
        self.engine = self._load()
        #: Called after each commit with the committed events (notifications, metrics).
        self.listeners: list[Callable[[list[RoutingEvent]], None]] = []
        #: Called inside each command's transaction with its events: read models that must
        #: never disagree with the log (conversations, callback tasks).
        self.projections: list[Callable[[Session, str, list[RoutingEvent]], None]] = []

    @property
    def lock(self) -> threading.RLock:
        """Held while a command runs; take it to check-then-act atomically (idempotency)."""
        return self._lock

    def _load(self) -> RoutingEngine:
        with self.sessions() as session:
            state = repo.load_state(session, self.project)
        return restore(self.clock, state["queues"], state["operators"], state["contacts"],
                       state["meta"], state["last_operator"], self.settings)

    def run(self, command: Callable[[RoutingEngine], T],
            also: Callable[[Session], None] | None = None) -> T:
        """Run one engine command and commit what it changed; atomic for the caller.

        ``also`` writes the caller's own rows (a conversation, a message) in the same
        transaction as the command's events: both are stored, or neither."""
        with self._lock:
            try:
                result = command(self.engine)
            except Exception:
                if self.engine.events:  # it changed something before failing: discard it
                    self.engine = self._load()
                raise
            events = self.engine.drain_events()
            if events or also is not None:
                try:
                    with self.sessions.begin() as session:
                        if also is not None:
                            also(session)
                            session.flush()
                        self._write(session, events)
                except Exception:
                    self.engine = self._load()
                    raise
                if events:
                    for listener in self.listeners:
                        listener(events)
            return result

    def tick(self) -> list[Decision]:
        """Fire due timers (offer deadlines, wrap-up, hours …) on the service's clock."""
        return self.run(lambda engine: engine.advance())

    def _row_changes(self, e: RoutingEvent) -> bool:
        return e.type != "offer.created" or self.engine.queues[e.queue or ""].cfg.strategy == "round_robin"

    def _write(self, session: Session, events: list[RoutingEvent]) -> None:
        engine = self.engine
        contact_ids = sorted({e.contact_id for e in events if e.contact_id})
        operator_ids = sorted({e.operator_id for e in events if e.operator_id})
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
        repo.save_operators(session, self.project, [export_operator(engine.operators[o])
                                                    for o in operator_ids if o in engine.operators])
        live = [export_contact(engine.contacts[c]) for c in contact_ids if c in engine.contacts]
        repo.save_contacts(session, self.project, live)
        repo.delete_contacts(session, self.project, [c for c in contact_ids if c not in engine.contacts])
        answered = {e.data["customer_id"]: engine.last_operator[e.data["customer_id"]]
                    for e in events if e.type == "contact.answered" and "customer_id" in e.data
                    and e.data["customer_id"] in engine.last_operator}
        repo.save_customer_operators(session, self.project, answered)
        meta = export_meta(engine)
        repo.save_meta(session, self.project, meta["event_seq"], meta["offer_seq"])
