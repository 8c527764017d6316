"""KPIs from the event stream, exactly as ../shared/METRICS.md defines them.

:class:`KpiAccumulator` reads routing events one by one (from the engine's outbox in the
simulator, or from the event log) and keeps only counters and per-contact scraps that are
dropped when the contact closes, so that a day of a large center fits in memory.

Definitions as implemented (docs/kpi.md says the same in prose):

* inbound — ``contact.arrived``; offered — contacts that entered a queue
  (first ``contact.queued``), counted in the queue they first entered;
* answered — first ``contact.answered``; abandoned — ``contact.abandoned``;
* CAR — contacts closed without ever being answered ÷ inbound;
* LCR — abandoned ÷ offered;
* P(wait) — offered contacts not answered at once ÷ offered, where *at once* means the
  offer that was accepted was made the moment the contact entered the queue;
* ASA — mean ``wait_s`` of answered contacts (zero waits included);
* service level — answered with ``wait_s`` ≤ the target the contact was queued under ÷
  offered: the ``target_answer_s`` its ``contact.queued`` recorded; for older events, the
  queue's target of its latest ``queue.configured`` before it, else ``targets``/the default;
* AHT — mean talk + hold + wrap-up of answered contacts;
* occupancy — operator time with at least one contact (talking or in wrap-up) ÷ time
  logged in and not on a break, inside the measured window;
* RONA — offers that ran out without an answer (``offer.timed_out``).

Contacts that arrived before ``count_from`` (the simulator's warm-up) are ignored
entirely; operator time is clipped to ``[count_from, count_until]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from dozvon.routing.events import RoutingEvent

EPS = 1e-9
#: CSAT counts survey answers of 4 and 5 (of 5) as satisfied (METRICS.md).
CSAT_SATISFIED = 4


def ratio(part: float, whole: float) -> float:
    """part ÷ whole, and 0 when there is nothing to divide by (no contacts: no losses)."""
    return float(part) / float(whole) if whole else 0.0


@dataclass(slots=True)
class Counts:
    inbound: int = 0
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    lost: int = 0
    waited: int = 0
    within_target: int = 0
    wait_sum: float = 0.0
    abandon_wait_sum: float = 0.0
    handled: int = 0
    handle_sum: float = 0.0
    rona: int = 0
    short_abandons: int = 0

    def kpi(self, occupancy: float | None = None) -> dict[str, Any]:
        return {
            "inbound": self.inbound,
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "car": ratio(self.lost, self.inbound),
            "lcr": ratio(self.abandoned, self.offered),
            "p_wait": ratio(self.waited, self.offered),
            "asa_s": ratio(self.wait_sum, self.answered),
            "service_level": ratio(self.within_target, self.offered),
            "service_level_excl_short": ratio(self.within_target, self.offered - self.short_abandons),
            "service_level_of_answered": ratio(self.within_target, self.answered),
            "avg_abandon_s": ratio(self.abandon_wait_sum, self.abandoned),
            "aht_s": ratio(self.handle_sum, self.handled),
            "occupancy": occupancy if occupancy is not None else 0.0,
            "rona": self.rona,
        }


@dataclass(slots=True)
class AgentStats:
    answered: int = 0
    offers: int = 0
    rona: int = 0
    handle_s: float = 0.0
    max_concurrent: int = 0
    active: int = 0
    busy_since: float | None = None
    busy_s: float = 0.0
    available_since: float | None = None
    available_s: float = 0.0
    #: Contacts closed after an answer (their handle time is in ``handle_s``).
    handled: int = 0
    #: Survey answers about this operator's conversations, and those of 4 or 5.
    csat_answers: int = 0
    csat_satisfied: int = 0

    def public(self) -> dict[str, Any]:
        return {"answered": self.answered, "offers": self.offers, "rona": self.rona,
                "handle_s": self.handle_s, "max_concurrent": self.max_concurrent, "handled": self.handled,
                "aht_s": self.handle_s / self.handled if self.handled else None,
                "csat": self.csat_satisfied / self.csat_answers if self.csat_answers else None,
                "csat_answers": self.csat_answers}


@dataclass(slots=True)
class _Tracked:
    queue: str
    target: float


@dataclass
class KpiAccumulator:
    """Streams events into KPI counters. ``targets``: queue → target answer time (s), for
    events that do not record their own; each ``queue.configured`` updates it."""

    targets: dict[str, float] = field(default_factory=dict)
    count_from: float = float("-inf")
    count_until: float = float("inf")
    short_abandon_s: float = 5.0
    default_target: float = 20.0
    total: Counts = field(default_factory=Counts)
    queues: dict[str, Counts] = field(default_factory=dict)
    agents: dict[str, AgentStats] = field(default_factory=dict)
    _contacts: dict[str, _Tracked] = field(default_factory=dict)
    _ignored: set[str] = field(default_factory=set)

    def _queue(self, name: str) -> Counts:
        counts = self.queues.get(name)
        if counts is None:
            counts = self.queues[name] = Counts()
        return counts

    def agent(self, name: str) -> AgentStats:
        stats = self.agents.get(name)
        if stats is None:
            stats = self.agents[name] = AgentStats()
        return stats

    def _clip(self, start: float, end: float) -> float:
        return max(0.0, min(end, self.count_until) - max(start, self.count_from))

    def feed(self, events: list[RoutingEvent]) -> None:
        handlers = self._handlers
        for event in events:
            handler = handlers.get(event.type)
            if handler is not None:
                handler(self, event)

    def _queue_configured(self, e: RoutingEvent) -> None:
        target = e.data.get("config", {}).get("target_answer_s")
        if e.queue and target is not None:
            self.targets[e.queue] = float(target)

    # --- contact events ---------------------------------------------------------------

    def _arrived(self, e: RoutingEvent) -> None:
        cid = e.contact_id or ""
        if e.at < self.count_from:
            self._ignored.add(cid)
            return
        self.total.inbound += 1
        self._queue(e.queue or "").inbound += 1

    def _queued(self, e: RoutingEvent) -> None:
        cid = e.contact_id or ""
        if cid in self._ignored or cid in self._contacts:
            return
        queue = e.queue or ""
        target = e.data.get("target_answer_s")
        if target is None:  # logged before contact.queued recorded its target
            target = self.targets.get(queue, self.default_target)
        self._contacts[cid] = _Tracked(queue, float(target))
        self.total.offered += 1
        self._queue(queue).offered += 1

    def _offer_created(self, e: RoutingEvent) -> None:
        cid = e.contact_id or ""
        if cid in self._ignored:
            return
        self.agent(e.operator_id or "").offers += 1

    def _offer_timed_out(self, e: RoutingEvent) -> None:
        cid = e.contact_id or ""
        if cid in self._ignored:
            return
        self.agent(e.operator_id or "").rona += 1
        tracked = self._contacts.get(cid)
        self.total.rona += 1
        if tracked is not None:
            self._queue(tracked.queue).rona += 1

    def _answered(self, e: RoutingEvent) -> None:
        cid = e.contact_id or ""
        op = e.operator_id or ""
        if cid not in self._ignored:
            stats = self.agent(op)
            stats.answered += 1
        self._busy_change(op, e.at, +1)
        tracked = self._contacts.get(cid)
        if tracked is None or not e.data.get("first", True):
            return
        wait = e.data["wait_s"]
        at_once = wait - e.data.get("ring_s", 0.0) <= EPS
        for counts in (self.total, self._queue(tracked.queue)):
            counts.answered += 1
            counts.wait_sum += wait
            if wait <= tracked.target + EPS:
                counts.within_target += 1
            if not at_once:
                counts.waited += 1

    def _abandoned(self, e: RoutingEvent) -> None:
        tracked = self._contacts.get(e.contact_id or "")
        if tracked is None:
            return
        wait = e.data["wait_s"]
        for counts in (self.total, self._queue(tracked.queue)):
            counts.abandoned += 1
            counts.waited += 1
            counts.abandon_wait_sum += wait
            if wait < self.short_abandon_s:
                counts.short_abandons += 1

    def _closed(self, e: RoutingEvent) -> None:
        cid = e.contact_id or ""
        op = e.operator_id
        answered = e.data.get("answered", False)
        if answered and op and e.data.get("outcome") != "transferred_external":
            self._busy_change(op, e.at, -1)
        if cid in self._ignored:
            self._ignored.discard(cid)
            return
        tracked = self._contacts.pop(cid, None)
        queue_counts = self._queue(tracked.queue if tracked else (e.queue or ""))
        if not answered:
            self.total.lost += 1
            queue_counts.lost += 1
            if tracked is not None and e.data.get("outcome") != "abandoned":
                # Left the queue unanswered without hanging up (callback, overflow out …):
                # it waited, and it was not answered at once.
                self.total.waited += 1
                queue_counts.waited += 1
            return
        if "talk_s" not in e.data:
            return  # answered, but how long it lasted is unknown (an imported log that stops)
        handle = e.data["talk_s"] + e.data.get("hold_s", 0.0) + e.data.get("wrap_s", 0.0)
        for counts in (self.total, queue_counts):
            counts.handled += 1
            counts.handle_sum += handle
        if op:
            stats = self.agent(op)
            stats.handle_s += handle
            stats.handled += 1

    def _rated(self, e: RoutingEvent) -> None:
        """CSAT (METRICS.md): the share of answers of 4 or 5, here per operator."""
        if e.operator_id and isinstance(e.data.get("score"), int):
            stats = self.agent(e.operator_id)
            stats.csat_answers += 1
            stats.csat_satisfied += e.data["score"] >= CSAT_SATISFIED

    def _transferred(self, e: RoutingEvent) -> None:
        if e.operator_id:
            self._busy_change(e.operator_id, e.at, -1)

    # --- operator time ----------------------------------------------------------------

    def _busy_change(self, op: str, at: float, delta: int) -> None:
        stats = self.agent(op)
        if delta > 0:
            if stats.active == 0:
                stats.busy_since = at
            stats.active += 1
            stats.max_concurrent = max(stats.max_concurrent, stats.active)
        else:
            stats.active -= 1
            if stats.active == 0 and stats.busy_since is not None:
                stats.busy_s += self._clip(stats.busy_since, at)
                stats.busy_since = None

    def _state_changed(self, e: RoutingEvent) -> None:
        stats = self.agent(e.operator_id or "")
        working = e.data.get("to") == "available"
        if working and stats.available_since is None:
            stats.available_since = e.at
        elif not working and stats.available_since is not None:
            stats.available_s += self._clip(stats.available_since, e.at)
            stats.available_since = None

    def close(self, at: float) -> None:
        """Close open operator intervals at ``at`` (end of the measured period)."""
        for stats in self.agents.values():
            if stats.available_since is not None:
                stats.available_s += self._clip(stats.available_since, at)
                stats.available_since = at
            if stats.busy_since is not None:
                stats.busy_s += self._clip(stats.busy_since, at)
                stats.busy_since = at

    def occupancy(self, operators: Iterable[str] | None = None) -> float:
        """Busy ÷ available time of these operators (default: all of them)."""
        chosen = (self.agents.values() if operators is None
                  else [self.agents[o] for o in operators if o in self.agents])
        busy = sum(s.busy_s for s in chosen)
        available = sum(s.available_s for s in chosen)
        return busy / available if available else 0.0

    def report(self, members: dict[str, list[str]] | None = None) -> dict[str, Any]:
        """Totals, per queue and per operator. ``members`` (queue → operators) lets each
        queue report the occupancy of its own operators."""
        occupancy = self.occupancy()
        members = members or {}
        return {
            "total": self.total.kpi(occupancy),
            "queues": {name: counts.kpi(self.occupancy(members[name]) if name in members else occupancy)
                       for name, counts in sorted(self.queues.items())},
            "agents": {name: stats.public() for name, stats in sorted(self.agents.items())},
        }

    _handlers: ClassVar[dict[str, Any]] = {}


KpiAccumulator._handlers = {
    "queue.configured": KpiAccumulator._queue_configured,
    "contact.arrived": KpiAccumulator._arrived,
    "contact.queued": KpiAccumulator._queued,
    "offer.created": KpiAccumulator._offer_created,
    "offer.timed_out": KpiAccumulator._offer_timed_out,
    "contact.answered": KpiAccumulator._answered,
    "contact.abandoned": KpiAccumulator._abandoned,
    "contact.closed": KpiAccumulator._closed,
    "contact.transferred": KpiAccumulator._transferred,
    "csat.rated": KpiAccumulator._rated,
    "operator.state_changed": KpiAccumulator._state_changed,
}
