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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.engine import Engine

from dozvon.accounts.models import Project
from dozvon.acd import queries as live
from dozvon.acd.service import RouterService
from dozvon.analytics.realtime import Wallboard
from dozvon.channels import connections
from dozvon.channels.registry import DeliveryFailed, OutboundMessage, registry
from dozvon.conversations import actions, outbox
from dozvon.conversations.actions import DeliveryReport
from dozvon.conversations.identity import IdentityResolver
from dozvon.conversations.ingest import Inbound, IngestQueue, IngestResult
from dozvon.conversations.projection import project_events
from dozvon.core import jsontext, planner_statistics, tracing
from dozvon.core.clock import Clock, SystemClock
from dozvon.core.db import refresh_planner_statistics, session_factory
from dozvon.core.errors import NotFound
from dozvon.crm.identity import CrmIdentity, kinds_written
from dozvon.crm.segments import mark_lost
from dozvon.eventlog import repository as eventlog
from dozvon.eventlog.recipients import recipients
from dozvon.routing.events import Decision, RoutingEvent
from dozvon.server.metrics import Metrics
from dozvon.tasks import alarms
from dozvon.tasks import queries as task_queries

#: The overdue tasks the wallboard lists by name (the count is always whole).
WALLBOARD_OVERDUE = 10


def event_payload(e: RoutingEvent) -> dict[str, Any]:
    """An event as clients receive it (the same shape as ``GET …/events``)."""
    return {"kind": "event", "seq": e.seq, "type": e.type, "at": e.at, "contact_id": e.contact_id,
            "operator_id": e.operator_id, "queue": e.queue, "channel": e.channel, "data": e.data}


def encoded(payload: dict[str, Any]) -> str:
    """A frame's text as Starlette's ``send_json`` writes it: encoded once per event, however
    many sockets it goes to."""
    return jsontext.dumps(payload)


#: What a socket's queue holds: the event's seq (None for a passing signal) and its text.
Frame = tuple[int | None, str]


@dataclass(eq=False)
class Subscription:
    """One WebSocket's share of a project's stream: its operator's events, or all of them."""

    project: str
    operator_id: str | None
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[Frame] = field(default_factory=asyncio.Queue)

    def push(self, payload: dict[str, Any]) -> None:
        self.loop.call_soon_threadsafe(self.queue.put_nowait, (payload.get("seq"), encoded(payload)))


def _hand_over(frames: list[tuple[Subscription, Frame]], trace: tracing.Batch | None = None) -> None:
    """On the sockets' loop: one commit's frames into their queues (one wake-up, not one per frame)."""
    if trace is not None:
        trace.mark("frames_on_loop")
    for sub, frame in frames:
        sub.queue.put_nowait(frame)


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
        self._outbox_wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sampler: asyncio.Task[None] | None = None
        self.loaded = False
        #: The ingest step that tells who a customer is: one customer per person, found
        #: by any of their phones, addresses and messenger ids (dozvon/crm).
        self.identity: IdentityResolver = CrmIdentity()
        #: Called after every commit with (project, events), in the committing thread:
        #: other live audiences than operators and supervisors (the widget's visitors).
        self.taps: list[Callable[[str, list[RoutingEvent]], None]] = []

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
                svc.decision_hooks.append(actions.auto_replies(svc))
                svc.listeners.append(partial(self._committed, project))
                svc.decision_listeners.append(partial(self._carry_out, project))
                self._wallboards[project] = self._rebuild_wallboard(svc, row.timezone)
                self._services[project] = svc
                self.metrics.track(project, svc)
        return svc

    def ingest(self, project: str, item: Inbound) -> IngestResult:
        """Store and route an inbound contact, committed together with concurrent ones."""
        return self._ingest_line(project).submit(item)

    async def ingest_async(self, project: str, item: Inbound) -> IngestResult:
        """:meth:`ingest` on the event loop: no worker thread waits while the batch is
        written (a thread only to load a project's engine the first time)."""
        line = self._ingest.get(project)
        if line is None:
            line = await anyio.to_thread.run_sync(self._ingest_line, project)
        return await line.submit_async(item)

    def loaded_service(self, project: str) -> RouterService | None:
        """The project's routing service if it is loaded (never waits, never loads)."""
        return self._services.get(project)

    async def service_async(self, project: str) -> RouterService:
        """:meth:`service` on the event loop: a thread only when it must be loaded."""
        svc = self._services.get(project)
        return svc if svc is not None else await anyio.to_thread.run_sync(self.service, project)

    def _ingest_line(self, project: str) -> IngestQueue:
        svc = self.service(project)
        with self._guard:
            line = self._ingest.get(project)
            if line is None:
                line = self._ingest[project] = IngestQueue(svc, self.identity)
        return line

    def wallboard(self, project: str) -> dict[str, Any]:
        """The live board, with the project's open tasks and the overdue ones by name (no
        request left unanswered: a supervisor sees whose promises are late)."""
        svc = self.service(project)
        board = self._wallboards[project]
        snapshot = svc.read(lambda _engine: board.snapshot(self.clock.now()))
        now = eventlog.to_us(self.clock.now())
        names = live.operator_names(svc)
        with self.sessions() as session:
            counts = task_queries.counts(session, project, now)
            late = task_queries.list_tasks(session, project, overdue_before_us=now, limit=WALLBOARD_OVERDUE)
            snapshot["tasks"] = {**counts, "overdue_items": [task_queries.task_dict(t, names, now) for t in late]}
            snapshot["channels"] = [{"name": c.name, "kind": c.kind, "enabled": c.enabled,
                                     **connections.as_dict(c)["health"]}
                                    for c in connections.connections(session, project)]
        return snapshot

    def queue_today(self, project: str, queue: str) -> dict[str, Any]:
        """One queue's figures today, as the wallboard shows them (a waiting caller is told
        the queue's average wait from them)."""
        svc = self.service(project)
        board = self._wallboards[project]
        queues: dict[str, dict[str, Any]] = svc.read(lambda _engine: board.snapshot(self.clock.now())["queues"])
        return queues.get(queue, {})

    def operator_today(self, project: str, operator_id: str) -> dict[str, Any]:
        """One operator's figures today, from the same day's events as the wallboard."""
        svc = self.service(project)
        board = self._wallboards[project]
        return svc.read(lambda _engine: board.operator_today(operator_id, self.clock.now()))

    def _rebuild_wallboard(self, svc: RouterService, tz: str) -> Wallboard:
        """Today's figures after a restart: replay today's events, then take what is live
        now (every configured operator, their load, who waits) from the engine."""
        seed = live.board_seed(svc)
        board = Wallboard(tz=tz, targets=seed.targets, goals=dict(seed.goals))
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
        for op in seed.operators:  # every configured operator, logged in or not
            board.seed_operator(op.id, op.state, op.reason, op.name)
        board.seed_live(seed.waiting, seed.wrapping,
                        [(op.id, op.ringing, op.talking, op.wrapping) for op in seed.operators])
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
        trace = tracing.TRACE.current() if tracing.TRACE is not None else None
        if trace is not None:
            trace.mark("committed")
        self._wallboards[project].feed(events)
        self.metrics.observe(project, events)
        by_operator = self._subs.get(project, {})
        if by_operator:
            # Only the sockets each event is for are looked up (an event goes to one or two
            # operators): copying every operator's subscriptions per commit cost 7 % of the
            # server's CPU with 300 operators connected (bench/bench_web.py).
            deliveries: list[tuple[RoutingEvent, list[Subscription]]] = []
            with self._guard:
                for e in events:
                    audience = recipients(e)
                    subs = list(by_operator.get(None, ())) if audience.supervisors else []
                    for operator_id in audience.operators:
                        subs.extend(by_operator.get(operator_id, ()))
                    if subs:
                        deliveries.append((e, subs))
            by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Subscription, Frame]]] = {}
            for event, subs in deliveries:
                frame = (event.seq, encoded(event_payload(event)))
                for sub in subs:
                    by_loop.setdefault(sub.loop, []).append((sub, frame))
            for loop, frames in by_loop.items():
                with contextlib.suppress(RuntimeError):  # a loop that has closed: nobody listens
                    loop.call_soon_threadsafe(_hand_over, frames, trace)
        if trace is not None:
            trace.mark("framed")
        for tap in self.taps:
            try:
                tap(project, events)
            except Exception as error:  # a listener's bug must not stop the fan-out
                print(f"dozvon: an event tap failed: {error!r}", flush=True)
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)
            if self._outbox_wake is not None and any(e.type == "message.sent" for e in events):
                self._loop.call_soon_threadsafe(self._outbox_wake.set)

    def push_operator(self, project: str, operator_id: str, payload: dict[str, Any]) -> None:
        """A passing signal (the customer is typing) to one operator's sockets; not logged."""
        with self._guard:
            subs = list(self._subs.get(project, {}).get(operator_id, ()))
        for sub in subs:
            sub.push(payload)

    def kick_outbox(self, project: str, conversation_ids: list[str]) -> None:
        """The customer of these conversations is reachable again: their waiting messages
        are due now, and the delivery loop wakes."""
        with self.sessions.begin() as session:
            moved = outbox.make_due(session, project, conversation_ids, eventlog.to_us(self.clock.now()))
        if moved and self._loop is not None and self._outbox_wake is not None:
            self._loop.call_soon_threadsafe(self._outbox_wake.set)

    def _carry_out(self, project: str, decisions: list[Decision]) -> None:
        """After a commit (in the committing thread): each decision to the adapter of its
        contact's channel. An adapter hands the work on and returns; one that fails is
        logged and never undoes what was committed."""
        for decision in decisions:
            channel = registry.find(decision.channel)
            if channel is None:
                continue
            try:
                channel.adapter.carry_out(project, decision)
            except Exception as error:
                self.metrics.adapter_errors.labels(decision.channel or "").inc()
                print(f"dozvon: channel {decision.channel!r} failed to carry out {decision.kind}: {error}",
                      flush=True)

    # ------------------------------------------------------------------ timers

    async def run_timers(self) -> None:
        """Fire offer deadlines, wrap-up ends, opening hours … on the wall clock, for ever."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        if tracing.TRACE is not None:  # the benchmark's trace: the loop's stalls, sampled beside the timers
            self._sampler = asyncio.create_task(tracing.TRACE.sample_loop())
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
            yield svc, svc.next_deadline()

    def _due_services(self) -> list[RouterService]:
        now = self.clock.now()
        return [svc for svc, at in self._deadlines() if at is not None and at <= now]

    def _nearest_deadline(self) -> float | None:
        times = [at for _, at in self._deadlines() if at is not None]
        return min(times) if times else None

    # ------------------------------------------------------------------ the outbox

    #: Deliveries under way at once (a slow channel must not hold up the others).
    DELIVERY_CONCURRENCY = 8

    async def run_maintenance(self, every_s: float = 6 * 3600, first_after_s: float = 5.0) -> None:
        """A little after start, then every few hours: silent customers become 'lost', and
        the database's planner statistics are refreshed so that reports over a growing
        event log stay fast."""
        await asyncio.sleep(first_after_s)
        while True:
            for chore in (self.mark_lost_customers, self.refresh_statistics):
                try:
                    await anyio.to_thread.run_sync(self._marked, chore.__name__, chore)
                except Exception as error:  # a busy database now: the next round tries again
                    print(f"dozvon: maintenance {chore!r} failed: {error!r}", flush=True)
            await asyncio.sleep(every_s)

    @staticmethod
    def _marked(name: str, chore: Callable[[], object]) -> None:
        with tracing.busy(name):
            chore()

    async def _repeat(self, name: str, chore: Callable[[], object], every_s: float, what: str,
                      first_after_s: float = 0.0) -> None:
        """``chore`` in a worker thread every ``every_s`` seconds, for ever, marked for the
        trace; a failure (a busy database now) is printed and the next round tries again."""
        await asyncio.sleep(first_after_s)
        while True:
            try:
                await anyio.to_thread.run_sync(self._marked, name, chore)
            except Exception as error:
                print(f"dozvon: {what} failed: {error!r}", flush=True)
            await asyncio.sleep(every_s)

    async def run_task_alarms(self, every_s: float = 5.0) -> None:
        """Announce the tasks that ran past their due time — within seconds of it, not at the
        next maintenance round — for ever."""
        await self._repeat("task_alarms", self.sound_task_alarms, every_s, "the task alarm")

    async def run_planner_statistics(self, every_s: float = planner_statistics.EVERY_S) -> None:
        """PostgreSQL, for ever: a table every ingest batch looks up is analyzed when a
        project, channel or identity kind came into it that its planner statistics do not
        list (:mod:`dozvon.core.planner_statistics`)."""
        keeper = planner_statistics.StatisticsKeeper(self.db, self._written_values)
        await self._repeat("planner_statistics", keeper.round, every_s, "planner statistics", first_after_s=every_s)

    def _written_values(self) -> dict[str, list[str]]:
        """The values of the watched columns this server may write: its projects, the
        channels, the identities' kinds."""
        channels = registry.names()
        return {"project": list(self._services), "channel": channels, "kind": kinds_written(channels)}

    def sound_task_alarms(self) -> int:
        """One round of the overdue alarm over every project; how many tasks it announced."""
        return alarms.sound(self.sessions, self.service, eventlog.to_us(self.clock.now()))

    def refresh_statistics(self) -> None:
        """SQLite's planner statistics (it never gathers its own). On PostgreSQL autovacuum
        keeps the event log's current, :meth:`run_planner_statistics` the ingest's tables; a
        bulk load analyzes right after itself."""
        if self.db.dialect.name == "sqlite":
            refresh_planner_statistics(self.db)

    def mark_lost_customers(self) -> int:
        """Every project's silent customers become 'lost' (the segment rules' win-back list)."""
        now = eventlog.to_us(self.clock.now())
        changed = 0
        for project in list(self._services):
            with self.sessions.begin() as session:
                changed += mark_lost(session, project, now)
        return changed

    async def run_outbox(self) -> None:
        """Deliver due outbox messages of the channels whose adapters run in this server,
        for ever: after every commit that queued a message, and when a retry comes due."""
        self._outbox_wake = asyncio.Event()
        limiter = anyio.CapacityLimiter(self.DELIVERY_CONCURRENCY)
        while True:
            pushing = [name for name in registry.names() if registry.get(name).adapter.pushes]
            self._outbox_wake.clear()
            try:
                due = await anyio.to_thread.run_sync(self._take_due, pushing)
                if due:
                    reports: list[tuple[str, DeliveryReport]] = []
                    # One conversation's messages one after another, in the order they were
                    # written (a farewell before the survey's question); conversations side by side.
                    in_order: dict[tuple[str, str], list[OutboundMessage]] = {}
                    for message in due:
                        in_order.setdefault((message.project, message.conversation_id), []).append(message)
                    async with anyio.create_task_group() as group:
                        for messages in in_order.values():
                            group.start_soon(self._deliver_in_order, messages, limiter, reports)
                    await anyio.to_thread.run_sync(self.report_deliveries, reports)
                    continue  # there may be more due
                nearest = await anyio.to_thread.run_sync(self._next_due, pushing)
            except Exception as error:  # the database may be down: try again shortly
                self.metrics.timer_errors.inc()
                print(f"dozvon: outbox delivery failed: {error}", flush=True)
                nearest = None
            timeout = 1.0 if nearest is None else min(1.0, max(0.01, nearest - self.clock.now()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._outbox_wake.wait(), timeout)

    def _take_due(self, channels: list[str]) -> list[OutboundMessage]:
        if not channels:
            return []
        with self.sessions.begin() as session:
            return outbox.take_due(session, eventlog.to_us(self.clock.now()), channels)

    def _next_due(self, channels: list[str]) -> float | None:
        with self.sessions() as session:
            due = outbox.next_due_us(session, channels)
        return None if due is None else due / 1e6

    async def _deliver_in_order(self, messages: list[OutboundMessage], limiter: anyio.CapacityLimiter,
                                reports: list[tuple[str, DeliveryReport]]) -> None:
        for message in messages:
            report = await anyio.to_thread.run_sync(self.attempt, message, limiter=limiter)
            reports.append((message.project, report))

    @staticmethod
    def attempt(message: OutboundMessage) -> DeliveryReport:
        """One attempt at one message through its channel's adapter (in a worker thread)."""
        channel = registry.find(message.channel)
        try:
            if channel is None:
                raise DeliveryFailed(f"no channel {message.channel!r} is registered", permanent=False)
            channel_message_id = channel.adapter.deliver(message)
        except DeliveryFailed as failure:
            return DeliveryReport(message.id, False, failure.reason, failure.permanent)
        except Exception as error:  # an adapter's bug is a failed attempt, not a lost message
            return DeliveryReport(message.id, False, f"{type(error).__name__}: {error}")
        return DeliveryReport(message.id, True, channel_message_id=channel_message_id)

    def report_deliveries(self, reports: list[tuple[str, DeliveryReport]]) -> None:
        """A batch's outcomes, one transaction per project. Should it fail, the messages stay
        pending with their lease and are attempted again when it runs out: at least once."""
        by_project: dict[str, list[DeliveryReport]] = {}
        for project, report in reports:
            by_project.setdefault(project, []).append(report)
        for project, batch in by_project.items():
            try:
                actions.do_report_deliveries(self.service(project), batch, answer=False)
            except Exception as error:
                print(f"dozvon: delivery reports of {project!r} not stored: {error!r}", flush=True)
