"""The server's live core: one persisted routing engine per project, the fan-out of
committed events to WebSocket subscribers, the wall-clock timer loop, live metrics.

Commands run in worker threads (SQLAlchemy is synchronous); each project's
:class:`RouterService` serialises its own commands. After a command commits, its events
are handed to the subscribers' asyncio queues with ``call_soon_threadsafe`` — so an
operator hears of an offer only once it is stored, and within milliseconds of that.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.engine import Engine

from dozvon.accounts.models import Project
from dozvon.acd.service import RouterService
from dozvon.analytics.realtime import Wallboard
from dozvon.conversations.ingest import Inbound, IngestQueue, IngestResult
from dozvon.conversations.service import project_events
from dozvon.core.clock import Clock, SystemClock
from dozvon.core.db import session_factory
from dozvon.core.errors import NotFound
from dozvon.eventlog import repository as eventlog
from dozvon.routing.events import RoutingEvent
from dozvon.server.metrics import Metrics


def event_payload(e: RoutingEvent) -> dict[str, Any]:
    """An event as clients receive it (the same shape as ``GET …/events``)."""
    return {"kind": "event", "seq": e.seq, "type": e.type, "at": e.at, "contact_id": e.contact_id,
            "operator_id": e.operator_id, "queue": e.queue, "channel": e.channel, "data": e.data}


@dataclass(eq=False)
class Subscription:
    """One WebSocket's share of a project's stream: its operator's events, or all of them."""

    project: str
    operator_id: str | None
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)

    def push(self, payload: dict[str, Any]) -> None:
        self.loop.call_soon_threadsafe(self.queue.put_nowait, payload)


class Hub:
    def __init__(self, db: Engine, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.sessions = session_factory(db)
        self.metrics = Metrics()
        self._services: dict[str, RouterService] = {}
        self._ingest: dict[str, IngestQueue] = {}
        self._wallboards: dict[str, Wallboard] = {}
        self._guard = threading.Lock()
        #: project → operator id (None: whole project) → subscriptions
        self._subs: dict[str, dict[str | None, set[Subscription]]] = {}
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.loaded = False

    # ------------------------------------------------------------------ services

    def load_all(self) -> None:
        with self.sessions() as session:
            projects = list(session.scalars(select(Project.slug)))
        for slug in projects:
            self.service(slug)
        self.loaded = True

    def project_count(self) -> int:
        """How many projects' engines are loaded."""
        return len(self._services)

    def service(self, project: str) -> RouterService:
        """The project's routing service, loaded from the database on first use."""
        svc = self._services.get(project)
        if svc is not None:
            return svc
        with self._guard:
            svc = self._services.get(project)
            if svc is None:
                with self.sessions() as session:
                    row = session.get(Project, project)
                if row is None:
                    raise NotFound("accounts.no_project", project=project)
                svc = RouterService(self.db, project, self.clock)
                svc.projections.append(project_events)
                svc.listeners.append(partial(self._committed, project))
                self._wallboards[project] = self._rebuild_wallboard(svc, row.timezone)
                self._services[project] = svc
                self.metrics.track(project, svc)
        return svc

    def ingest(self, project: str, item: Inbound) -> IngestResult:
        """Store and route an inbound contact, committed together with concurrent ones."""
        svc = self.service(project)
        with self._guard:
            line = self._ingest.get(project)
            if line is None:
                line = self._ingest[project] = IngestQueue(svc)
        return line.submit(item)

    def wallboard(self, project: str) -> dict[str, Any]:
        svc = self.service(project)
        with svc.lock:
            return self._wallboards[project].snapshot(self.clock.now())

    def _rebuild_wallboard(self, svc: RouterService, tz: str) -> Wallboard:
        """Today's figures after a restart: replay today's events, then the live states."""
        board = Wallboard(tz=tz, targets={n: q.cfg.target_answer_s for n, q in svc.engine.queues.items()})
        midnight = datetime.fromtimestamp(self.clock.now(), ZoneInfo(tz)).replace(
            hour=0, minute=0, second=0, microsecond=0).timestamp()
        after = 0
        with self.sessions() as session:
            while True:
                rows = eventlog.list_events(session, svc.project, after_seq=after, limit=5000,
                                            since_us=eventlog.to_us(midnight))
                if not rows:
                    break
                board.feed([RoutingEvent(r.seq, r.type, r.at_us / 1e6, r.contact_id, r.operator_id,
                                         r.queue, r.channel, r.data) for r in rows])
                after = rows[-1].seq
        for op in svc.engine.operators.values():
            board.seed_operator(op.cfg.id, op.state, op.reason)
        return board

    # ------------------------------------------------------------------ fan-out

    def subscribe(self, project: str, operator_id: str | None) -> Subscription:
        sub = Subscription(project, operator_id, asyncio.get_running_loop())
        with self._guard:
            self._subs.setdefault(project, {}).setdefault(operator_id, set()).add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._guard:
            self._subs.get(sub.project, {}).get(sub.operator_id, set()).discard(sub)

    def _committed(self, project: str, events: list[RoutingEvent]) -> None:
        """After a commit (in the committing thread): wallboard, metrics, subscribers, timers."""
        self._wallboards[project].feed(events)
        self.metrics.observe(project, events)
        by_operator = self._subs.get(project, {})
        if by_operator:
            with self._guard:
                everyone = list(by_operator.get(None, ()))
                targeted = {e.operator_id: list(by_operator.get(e.operator_id, ()))
                            for e in events if e.operator_id is not None}
            for e in events:
                payload = event_payload(e)
                for sub in everyone:
                    sub.push(payload)
                for sub in targeted.get(e.operator_id or "", ()):
                    sub.push(payload)
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    # ------------------------------------------------------------------ timers

    async def run_timers(self) -> None:
        """Fire offer deadlines, wrap-up ends, opening hours … on the wall clock, for ever."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        while True:
            due = self._due_services()
            for svc in due:
                try:
                    await anyio.to_thread.run_sync(svc.tick)
                except Exception as error:  # a failed tick is retried; the loop must survive
                    self.metrics.timer_errors.inc()
                    print(f"dozvon: timer tick for {svc.project!r} failed: {error}", flush=True)
            nearest = self._nearest_deadline()
            timeout = 1.0 if nearest is None else min(1.0, max(0.0, nearest - self.clock.now()))
            self._wake.clear()
            if timeout > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)

    def _deadlines(self) -> Iterable[tuple[RouterService, float | None]]:
        for svc in list(self._services.values()):
            yield svc, svc.engine.next_deadline()

    def _due_services(self) -> list[RouterService]:
        now = self.clock.now()
        return [svc for svc, at in self._deadlines() if at is not None and at <= now]

    def _nearest_deadline(self) -> float | None:
        times = [at for _, at in self._deadlines() if at is not None]
        return min(times) if times else None
