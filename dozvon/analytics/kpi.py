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

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from dozvon.routing.events import EventSink, RoutingEvent

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

    def count_answer(self, wait: float, within_target: bool, at_once: bool) -> None:
        """A contact counted here was answered (first) after ``wait`` seconds. (A method,
        not a loop over the total and the queue: a compiled build calls it natively.)"""
        self.answered += 1
        self.wait_sum += wait
        if within_target:
            self.within_target += 1
        if not at_once:
            self.waited += 1

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


#: What the accumulator keeps of a contact it counts, from its ``contact.queued`` until its
#: close: (the target answer time it was queued under, its queue's counters, looked up
#: once). A plain tuple: one per contact, cheap to build (a compiled build keeps it unboxed).
_Tracked = tuple[float, Counts]


@dataclass
class KpiAccumulator(EventSink):
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
    #: Contacts that arrived before ``count_from``, until they close. Empty once the
    #: warm-up's contacts are gone: every per-contact method tests it for emptiness first
    #: (a look-up fewer per event in a long run).
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
        """Logged events, in order (the server's wallboard, an imported history)."""
        handlers = _HANDLERS
        for e in events:
            handler = handlers.get(e.type)
            if handler is not None:
                handler(self, e.at, e.contact_id, e.operator_id, e.queue, e.data)

    # The accumulator is an engine's event sink (routing.events.EventSink): an engine given
    # it (the simulator's) hands each event's parts straight here, without building the
    # event — the same definitions as feed(), which adapts logged events to them.

    def event(self, type_: str, at: float, contact_id: str | None, operator_id: str | None,
              queue: str | None, data: dict[str, Any]) -> None:
        handler = _HANDLERS.get(type_)
        if handler is not None:
            handler(self, at, contact_id, operator_id, queue, data)

    # Each handler takes an event's parts: (at, contact id, operator id, queue, data); the
    # events of every contact go on to a method with their fields as arguments.

    def _queue_configured(self, at: float, cid: str | None, op: str | None, queue: str | None,
                          data: dict[str, Any]) -> None:
        target = data.get("config", {}).get("target_answer_s")
        if queue and target is not None:
            self.targets[queue] = float(target)

    # --- contact events ---------------------------------------------------------------

    def _arrived(self, at: float, cid: str | None, op: str | None, queue: str | None,
                 data: dict[str, Any]) -> None:
        self.arrived(at, cid or "", queue or "")

    def arrived(self, at: float, contact_id: str, queue: str) -> None:
        if at < self.count_from:
            self._ignored.add(contact_id)
            return
        self.total.inbound += 1
        (self.queues.get(queue) or self._queue(queue)).inbound += 1

    def _queued(self, at: float, cid: str | None, op: str | None, queue: str | None,
                data: dict[str, Any]) -> None:
        self.queued(at, cid or "", queue or "", data.get("target_answer_s"))

    def queued(self, at: float, contact_id: str, queue: str, target_answer_s: float | None) -> None:
        if (self._ignored and contact_id in self._ignored) or contact_id in self._contacts:
            return
        target = target_answer_s
        if target is None:  # logged before contact.queued recorded its target
            target = self.targets.get(queue, self.default_target)
        counts = self.queues.get(queue) or self._queue(queue)
        self._contacts[contact_id] = (float(target), counts)
        self.total.offered += 1
        counts.offered += 1

    def _offer_created(self, at: float, cid: str | None, op: str | None, queue: str | None,
                       data: dict[str, Any]) -> None:
        self.offer_created(at, cid or "", op or "")

    def offer_created(self, at: float, contact_id: str, operator_id: str) -> None:
        if self._ignored and contact_id in self._ignored:
            return
        (self.agents.get(operator_id) or self.agent(operator_id)).offers += 1

    def _offer_timed_out(self, at: float, cid: str | None, op: str | None, queue: str | None,
                         data: dict[str, Any]) -> None:
        cid = cid or ""
        if cid in self._ignored:
            return
        self.agent(op or "").rona += 1
        tracked = self._contacts.get(cid)
        self.total.rona += 1
        if tracked is not None:
            tracked[1].rona += 1

    def _answered(self, at: float, cid: str | None, op: str | None, queue: str | None,
                  data: dict[str, Any]) -> None:
        self.answered(at, cid or "", op or "", data["wait_s"], data.get("first", True), data.get("ring_s", 0.0))

    def answered(self, at: float, contact_id: str, operator_id: str, wait_s: float, first: bool,
                 ring_s: float) -> None:
        stats = self.agents.get(operator_id) or self.agent(operator_id)
        if not (self._ignored and contact_id in self._ignored):
            stats.answered += 1
        # _busy_change(+1), written out: once per answered contact.
        if stats.active == 0:
            stats.busy_since = at
        stats.active += 1
        if stats.active > stats.max_concurrent:
            stats.max_concurrent = stats.active
        tracked = self._contacts.get(contact_id)
        if tracked is None or not first:
            return
        wait = wait_s
        at_once = wait - ring_s <= EPS
        target, queue_counts = tracked
        within_target = wait <= target + EPS
        self.total.count_answer(wait, within_target, at_once)
        queue_counts.count_answer(wait, within_target, at_once)

    def _abandoned(self, at: float, cid: str | None, op: str | None, queue: str | None,
                   data: dict[str, Any]) -> None:
        tracked = self._contacts.get(cid or "")
        if tracked is None:
            return
        wait = data["wait_s"]
        for counts in (self.total, tracked[1]):
            counts.abandoned += 1
            counts.waited += 1
            counts.abandon_wait_sum += wait
            if wait < self.short_abandon_s:
                counts.short_abandons += 1

    def _closed(self, at: float, cid: str | None, op: str | None, queue: str | None,
                data: dict[str, Any]) -> None:
        self.closed(at, cid or "", op, queue or "", data.get("outcome"), data.get("answered", False),
                    data.get("talk_s"), data.get("hold_s", 0.0), data.get("wrap_s", 0.0))

    def closed(self, at: float, contact_id: str, operator_id: str | None, queue: str, outcome: str | None,
               answered: bool, talk_s: float | None, hold_s: float, wrap_s: float) -> None:
        """``talk_s`` None: answered, but how long it lasted is unknown (an imported log
        that stops)."""
        cid, op = contact_id, operator_id
        stats: AgentStats | None = None
        if answered and op and outcome != "transferred_external":
            # _busy_change(op, at, -1), written out: once per answered contact.
            stats = self.agents.get(op) or self.agent(op)
            stats.active -= 1
            if stats.active == 0 and stats.busy_since is not None:
                # _clip(stats.busy_since, at), written out without the builtins (the same figure).
                until, since = self.count_until, stats.busy_since
                clipped = (until if until < at else at) - (self.count_from if self.count_from > since else since)
                stats.busy_s += clipped if clipped > 0.0 else 0.0
                stats.busy_since = None
        if self._ignored and cid in self._ignored:
            self._ignored.discard(cid)
            return
        tracked = self._contacts.get(cid)
        if tracked is not None:
            del self._contacts[cid]  # (not pop(cid, None): a method call in a compiled build)
        queue_counts = tracked[1] if tracked is not None else self._queue(queue)
        if not answered:
            self.total.lost += 1
            queue_counts.lost += 1
            if tracked is not None and outcome != "abandoned":
                # Left the queue unanswered without hanging up (callback, overflow out …):
                # it waited, and it was not answered at once.
                self.total.waited += 1
                queue_counts.waited += 1
            return
        if talk_s is None:
            return
        handle = talk_s + hold_s + wrap_s
        total = self.total
        total.handled += 1
        total.handle_sum += handle
        queue_counts.handled += 1
        queue_counts.handle_sum += handle
        if op:
            if stats is None:
                stats = self.agents.get(op) or self.agent(op)
            stats.handle_s += handle
            stats.handled += 1

    def _rated(self, at: float, cid: str | None, op: str | None, queue: str | None,
               data: dict[str, Any]) -> None:
        """CSAT (METRICS.md): the share of answers of 4 or 5, here per operator."""
        score = data.get("score")
        if op and isinstance(score, int):
            stats = self.agent(op)
            stats.csat_answers += 1
            stats.csat_satisfied += score >= CSAT_SATISFIED

    def _transferred(self, at: float, cid: str | None, op: str | None, queue: str | None,
                     data: dict[str, Any]) -> None:
        if op:
            self._busy_change(op, at, -1)

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

    def _state_changed(self, at: float, cid: str | None, op: str | None, queue: str | None,
                       data: dict[str, Any]) -> None:
        stats = self.agent(op or "")
        working = data.get("to") == "available"
        if working and stats.available_since is None:
            stats.available_since = at
        elif not working and stats.available_since is not None:
            stats.available_s += self._clip(stats.available_since, at)
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



#: An event's handler, unbound: (accumulator, at, contact id, operator id, queue, data).
_Handler = Callable[[KpiAccumulator, float, str | None, str | None, str | None, dict[str, Any]], None]

_HANDLERS: dict[str, _Handler] = {
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
