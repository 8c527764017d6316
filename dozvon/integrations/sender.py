"""The server's webhook loop: turns committed events into stored deliveries, then sends
them — signed, at least once, with exponential backoff — and logs every attempt.

It never runs in the committing thread: the hub's tap only wakes it (a projects' set
lookup and a ``call_soon_threadsafe``). The loop reads the event log from each
subscription's stored cursor, so events committed while the server was down are
delivered after a restart, and a delivery taken but never reported (the process died
mid-request) comes due again when its lease runs out.

Concurrency is bounded (``DOZVON_WEBHOOK_CONCURRENCY`` requests at once), each request has
a timeout, and a slow receiver holds only its own slot. Each round of the loop is one
transaction — the attempts that ended are recorded, new events become deliveries, due ones
are taken — so a busy project costs the database a write a round, not three a delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

import anyio.to_thread
import httpx
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from dozvon import __version__
from dozvon.channels.forms.intake import sign
from dozvon.core.clock import Clock
from dozvon.core.settings import Settings
from dozvon.eventlog.repository import to_us
from dozvon.integrations import webhooks
from dozvon.integrations.webhooks import Outcome, Outgoing
from dozvon.routing.events import RoutingEvent

#: The most of a receiver's answer read (the log keeps its start).
READ_LIMIT = 2048
USER_AGENT = f"Dozvon-Webhooks/{__version__}"
#: How often the loop forgets old finished deliveries.
PRUNE_EVERY_S = 600.0

#: The running loops' wake-ups: an API call that makes a delivery due (a replay, a new
#: subscription) rings them so it goes out now rather than at the next poll.
_wakers: set[Callable[[], None]] = set()


def nudge() -> None:
    for wake in list(_wakers):
        wake()


def headers(item: Outgoing) -> dict[str, str]:
    return {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
            "X-Dozvon-Signature": sign(item.secret, item.body), "X-Dozvon-Delivery": item.key,
            "X-Dozvon-Event": item.event_type, "X-Dozvon-Attempt": str(item.attempt)}


def _outcome(item: Outgoing, started_us: int, started: float, status: int | None, response: bytes,
             error: str) -> Outcome:
    text = response.decode("utf-8", "replace")[:webhooks.RESPONSE_LIMIT]
    if status is not None and not 200 <= status < 300 and not error:
        error = f"HTTP {status}" + (" (redirects are not followed)" if 300 <= status < 400 else "")
    return Outcome(item.delivery_id, item.attempt, started_us, round((time.monotonic() - started) * 1000),
                   status, text, error)


def _failure(error: Exception) -> str:
    if isinstance(error, httpx.TimeoutException):
        return f"timed out ({type(error).__name__})"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


async def attempt(client: httpx.AsyncClient, item: Outgoing, clock: Clock) -> Outcome:
    """One POST; its answer's status and start, or why there was none. Never raises."""
    started_us, started = to_us(clock.now()), time.monotonic()
    try:
        async with client.stream("POST", item.url, content=item.body, headers=headers(item)) as answer:
            read = b""
            async for chunk in answer.aiter_bytes():
                read += chunk
                if len(read) >= READ_LIMIT:
                    break
            return _outcome(item, started_us, started, answer.status_code, read, "")
    except Exception as error:  # refused, timed out, a bad address: a failed attempt
        return _outcome(item, started_us, started, None, b"", _failure(error))


def attempt_now(item: Outgoing, clock: Clock, timeout_s: float) -> Outcome:
    """The same attempt from a worker thread (the ping a person asks for)."""
    started_us, started = to_us(clock.now()), time.monotonic()
    try:
        with httpx.Client(timeout=timeout_s, follow_redirects=False) as client, \
                client.stream("POST", item.url, content=item.body, headers=headers(item)) as answer:
            read = b""
            for chunk in answer.iter_bytes():
                read += chunk
                if len(read) >= READ_LIMIT:
                    break
            return _outcome(item, started_us, started, answer.status_code, read, "")
    except Exception as error:
        return _outcome(item, started_us, started, None, b"", _failure(error))


class WebhookSender:
    """One server's webhook loop (:meth:`run`), started with the server's other loops."""

    def __init__(self, db: Engine, sessions: sessionmaker[Session], clock: Clock, settings: Settings) -> None:
        self.db, self.sessions, self.clock = db, sessions, clock
        self.timeout_s = settings.webhook_timeout_s
        self.concurrency = settings.webhook_concurrency
        self.max_attempts = settings.webhook_max_attempts
        self.base_s, self.max_s = settings.webhook_backoff_s, settings.webhook_backoff_max_s
        #: Finished deliveries are kept this long in the log, then forgotten.
        self.keep_s = settings.webhook_keep_days * 86400.0
        self._pruned_at = 0.0
        #: A taken delivery comes due again after this, should its report never come (an
        #: attempt ends within the timeout; it is recorded by the next round).
        self.lease_s = self.timeout_s + 10.0
        #: Projects with an enabled subscription: only their commits wake the loop.
        self.watched: frozenset[str] = frozenset()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._inflight: dict[asyncio.Task[None], Outgoing] = {}
        #: Attempts that ended, recorded by the loop's next round (one transaction for all).
        self._ended: list[Outcome] = []
        #: Its own worker-thread tokens: under a burst of requests the loop's database steps
        #: do not queue behind the API's.
        self._threads: anyio.CapacityLimiter | None = None

    def tap(self, project: str, events: list[RoutingEvent]) -> None:
        """After a commit, in the committing thread: wake the loop, nothing more."""
        if project in self.watched:
            self.wake()

    def wake(self) -> None:
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def now_us(self) -> int:
        return to_us(self.clock.now())

    # ------------------------------------------------------------------ database steps (worker threads)

    def step(self, outcomes: list[Outcome], free: int) -> tuple[list[Outgoing], bool, float | None]:
        """One transaction a round: the attempts that ended are recorded, new events become
        deliveries, up to ``free`` due ones are taken. Returns them, whether more events are
        waiting, and when the next delivery comes due. Should it fail, the attempts' rows
        stay leased and are tried again when the lease runs out (at least once)."""
        now = self.now_us()
        with self.sessions.begin() as session:
            if outcomes:
                webhooks.record(session, outcomes, now, max_attempts=self.max_attempts, base_s=self.base_s,
                                max_s=self.max_s)
            _, watched, more = webhooks.produce(session, now)
            taken = webhooks.take_due(session, now, self.lease_s, free)
            due = webhooks.next_due_us(session)
            if time.monotonic() - self._pruned_at >= PRUNE_EVERY_S:
                self._pruned_at = time.monotonic()
                webhooks.prune(session, now - round(self.keep_s * 1e6))
        self.watched = frozenset(watched)
        return taken, more, None if due is None else due / 1e6

    def report(self, outcomes: list[Outcome], max_attempts: int | None = None) -> None:
        """Should this fail, the delivery stays pending under its lease and is tried again."""
        with self.sessions.begin() as session:
            webhooks.record(session, outcomes, self.now_us(), max_attempts=max_attempts or self.max_attempts,
                            base_s=self.base_s, max_s=self.max_s)

    # ------------------------------------------------------------------ the loop

    async def _one(self, client: httpx.AsyncClient, item: Outgoing) -> None:
        outcome = await attempt(client, item, self.clock)
        self._ended.append(outcome)  # the list of now (the loop swaps it for a new one each round)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.pop(task, None)
        if self._wake is not None:
            self._wake.set()

    async def run(self, taps: list[Callable[[str, list[RoutingEvent]], None]]) -> None:
        """For ever: after each commit of a watched project, when an attempt ends or a retry
        comes due, and at least every second (a subscription made by another process)."""
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        self._threads = anyio.CapacityLimiter(2)
        taps.append(self.tap)
        _wakers.add(self.wake)
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s, follow_redirects=False, limits=limits) as client:
                await self._serve(client)
        finally:
            taps.remove(self.tap)
            _wakers.discard(self.wake)
            for task in list(self._inflight):
                task.cancel()
            self._hand_back()

    def _hand_back(self) -> None:
        """At shutdown: the attempts that ended are recorded, and those cut short are due
        again now, so that the next start sends them at once rather than after the lease."""
        try:
            with self.sessions.begin() as session:
                if self._ended:
                    webhooks.record(session, self._ended, self.now_us(), max_attempts=self.max_attempts,
                                    base_s=self.base_s, max_s=self.max_s)
                webhooks.release(session, [item.delivery_id for item in self._inflight.values()], self.now_us())
        except Exception as error:  # the leases bring them back all the same
            print(f"dozvon: webhook deliveries not handed back at shutdown: {error!r}", flush=True)

    async def _serve(self, client: httpx.AsyncClient) -> None:
        assert self._wake is not None
        while True:
            self._wake.clear()
            ended, self._ended = self._ended, []
            nearest: float | None = None
            try:
                taken, more, nearest = await anyio.to_thread.run_sync(
                    self.step, ended, self.concurrency - len(self._inflight), limiter=self._threads)
            except Exception as error:  # the database may be down: try again shortly
                print(f"dozvon: webhook loop failed: {error!r}", flush=True)
                taken, more = [], False
            for item in taken:
                task = asyncio.create_task(self._one(client, item))
                self._inflight[task] = item
                task.add_done_callback(self._done)
            if more:  # a backlog of events (after a restart): on at once
                continue
            timeout = 1.0 if nearest is None else min(1.0, max(0.01, nearest - self.clock.now()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    # ------------------------------------------------------------------ a person's ping

    def ping(self, actor: str, project: str, webhook_id: int) -> dict[str, Any]:
        """Send a test delivery now (in the caller's worker thread) and say how it went;
        it is in the delivery log like any other, and not retried."""
        with self.sessions.begin() as session:
            delivery = webhooks.ping(session, actor, project, webhook_id, self.now_us(), self.lease_s)
            sub = webhooks.get_subscription(session, project, webhook_id)
            item = webhooks.outgoing(delivery, sub)
        outcome = attempt_now(item, self.clock, self.timeout_s)
        self.report([outcome], max_attempts=1)
        with self.sessions() as session:
            stored = webhooks.get_delivery(session, project, webhook_id, item.delivery_id)
            return {"ok": outcome.ok, "status_code": outcome.status_code, "error": outcome.error or None,
                    "duration_ms": outcome.duration_ms,
                    "delivery": webhooks.delivery_dict(stored, webhooks.attempts_of(session, [stored.id])[stored.id])}
