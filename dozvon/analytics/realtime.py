"""Live wallboard figures, kept up to date event by event (O(1) per event).

What a supervisor's wallboard shows: per queue, contacts waiting now and the longest
wait; operators by presence (available, ringing, busy, wrap-up, break, offline) — every
configured operator, offline until they log in — and each operator's own line with how
long they have been in that presence; and today's offered, answered, abandoned, service
level (against the queue's own target answer time), ASA, CAR and LCR. It reads only events — the
same stream the log stores — so the server can feed it as events commit, and a restarted
server can rebuild it by replaying today's log. "Today" is the local day of the project's
time zone; the day's counters restart at local midnight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dozvon.analytics.kpi import AgentStats, Counts, KpiAccumulator
from dozvon.routing.events import RoutingEvent
from dozvon.routing.presence import derive_presence

_OFFER_ENDS = frozenset({"offer.accepted", "offer.declined", "offer.timed_out", "offer.withdrawn"})


#: The share of contacts a queue should answer within its target time when its
#: configuration does not say (QueueConfig.service_level_goal): the usual 80/20.
DEFAULT_SL_GOAL = 0.8


@dataclass
class _Operator:
    name: str = ""
    state: str = "offline"
    reason: str | None = None
    ringing: int = 0
    talking: int = 0
    wrapping: int = 0
    #: When the operator entered what the board shows for them (presence and break
    #: reason), epoch s; None while unknown (a board rebuilt mid-state).
    since: float | None = None
    #: Contacts the operator may carry per bucket (voice, chat, email), once configured.
    capacity: dict[str, int] | None = None

    def presence(self) -> str:
        return derive_presence(self.state, self.ringing, self.talking, self.wrapping)

    def shown(self) -> tuple[str, str | None]:
        """What the board shows: a change of it starts the operator's time in state anew."""
        return self.presence(), self.reason


@dataclass
class Wallboard:
    tz: str = "UTC"
    #: Service-level targets for events that do not record their own (``contact.queued``
    #: carries ``target_answer_s``); the day's accumulator keeps it current from
    #: ``queue.configured``.
    targets: dict[str, float] = field(default_factory=dict)
    default_target: float = 20.0
    #: The share answered within target the whole project should reach (the total's goal).
    sl_goal: float = DEFAULT_SL_GOAL
    #: Each queue's own goal (its ``service_level_goal``), kept current from ``queue.configured``.
    goals: dict[str, float] = field(default_factory=dict)
    #: queue -> {contact id: when it entered the queue (epoch s)}
    waiting: dict[str, dict[str, float]] = field(default_factory=dict)
    operators: dict[str, _Operator] = field(default_factory=dict)
    today: KpiAccumulator | None = None
    day: date | None = None
    _queue_of: dict[str, str] = field(default_factory=dict)
    _wrapping: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._zone = ZoneInfo(self.tz)

    def _roll_day(self, at: float) -> KpiAccumulator:
        local = datetime.fromtimestamp(at, self._zone)
        # Forward only: an event of an earlier day (an imported history) is not today's.
        if self.today is None or self.day is None or local.date() > self.day:
            midnight = local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
            self.today = KpiAccumulator(targets=self.targets, default_target=self.default_target, count_from=midnight)
            self.day = local.date()
        return self.today

    def _operator(self, operator_id: str) -> _Operator:
        op = self.operators.get(operator_id)
        if op is None:
            op = self.operators[operator_id] = _Operator()
        return op

    def seed_operator(self, operator_id: str, state: str, reason: str | None = None, name: str | None = None,
                      since: float | None = None, capacity: dict[str, int] | None = None) -> None:
        """A configured operator and the state they are in when the board starts (from the
        engine or the log); events keep it current from then on. ``since``: when they
        entered that state, if known — else the time of today's event that put them there
        is kept when it agrees, and the time is unknown otherwise."""
        op = self._operator(operator_id)
        before = op.shown()
        op.state, op.reason = state, reason
        if since is not None:
            op.since = since
        elif op.shown() != before:
            op.since = None
        if name is not None:
            op.name = name
        if capacity is not None:
            op.capacity = dict(capacity)

    def seed_live(self, waiting: dict[str, dict[str, float]], wrapping: dict[str, str],
                  loads: list[tuple[str, int, int, int]]) -> None:
        """Replace what is live now — who waits since when, and what each operator
        (id, ringing, talking, wrapping) holds — with the engine's own account, after
        today's events were replayed for the day's figures: a contact that began before
        midnight is on the board, and nobody's count goes negative."""
        self.waiting = {queue: dict(contacts) for queue, contacts in waiting.items()}
        self._queue_of = {cid: queue for queue, contacts in waiting.items() for cid in contacts}
        self._wrapping = dict(wrapping)
        for op in self.operators.values():
            op.ringing = op.talking = op.wrapping = 0
        for operator_id, ringing, talking, wrapping_n in loads:
            op = self._operator(operator_id)
            op.ringing, op.talking, op.wrapping = ringing, talking, wrapping_n

    def feed(self, events: list[RoutingEvent]) -> None:
        for e in events:
            self._roll_day(e.at).feed([e])
            self._apply(e)

    def _stop_waiting(self, contact_id: str) -> None:
        queue = self._queue_of.pop(contact_id, None)
        if queue is not None:
            self.waiting.get(queue, {}).pop(contact_id, None)

    def _apply(self, e: RoutingEvent) -> None:
        # The operators this event may move: its own, and whoever wraps its contact up.
        touched = {o for o in (e.operator_id, self._wrapping.get(e.contact_id or "")) if o}
        before = {o: self.operators[o].shown() if o in self.operators else None for o in touched}
        self._change(e)
        for operator_id, shown in before.items():
            op = self.operators.get(operator_id)
            if op is not None and op.shown() != shown:
                op.since = e.at

    def _change(self, e: RoutingEvent) -> None:
        t, cid, oid = e.type, e.contact_id or "", e.operator_id
        if t == "operator.configured" and oid:
            # Known from the moment it exists: offline until it logs in, not missing.
            config = e.data.get("config", {})
            op = self._operator(oid)
            op.name = str(config.get("name") or "")
            if isinstance(config.get("capacity"), dict):
                op.capacity = {str(k): int(v) for k, v in config["capacity"].items()}
        elif t == "queue.configured" and e.queue:
            goal = e.data.get("config", {}).get("service_level_goal")
            if isinstance(goal, (int, float)):
                self.goals[e.queue] = float(goal)
        elif t == "queue.removed" and e.queue:
            self.targets.pop(e.queue, None)
            self.goals.pop(e.queue, None)
        elif t == "contact.queued":
            self._stop_waiting(cid)
            queue = e.queue or ""
            self.waiting.setdefault(queue, {})[cid] = e.at
            self._queue_of[cid] = queue
        elif t in ("contact.answered", "contact.abandoned", "contact.overflowed", "consult.answered", "consult.ended"):
            self._stop_waiting(cid)
            if t == "contact.answered" and oid:
                self._operator(oid).talking += 1
        elif t == "contact.closed":
            self._stop_waiting(cid)
            holder = self._wrapping.pop(cid, None)
            if holder is not None:
                self._operator(holder).wrapping -= 1
        elif t == "contact.ended" and oid:
            op = self._operator(oid)
            op.talking -= 1
            op.wrapping += 1
            self._wrapping[cid] = oid
        elif t == "contact.transferred" and oid:
            self._operator(oid).talking -= 1
        elif t == "offer.created" and oid:
            self._operator(oid).ringing += 1
        elif t in _OFFER_ENDS and oid:
            self._operator(oid).ringing -= 1
        elif t == "operator.state_changed" and oid:
            op = self._operator(oid)
            op.state, op.reason = e.data.get("to", op.state), e.data.get("reason")

    def operator_today(self, operator_id: str, now: float) -> dict[str, Any]:
        """One operator's own day for their desktop: what they took and closed, their
        average handle time and CSAT, and how long they have been in their present state."""
        stats = self._roll_day(now).agents.get(operator_id)
        day = stats.public() if stats is not None else AgentStats().public()
        op = self.operators.get(operator_id)
        return {"day": self.day.isoformat() if self.day else None, **day,
                "presence": op.presence() if op is not None else "offline",
                "in_state_s": max(0.0, now - op.since) if op is not None and op.since is not None else None}

    def snapshot(self, now: float) -> dict[str, Any]:
        """The wallboard at ``now`` (epoch s)."""
        today = self._roll_day(now)
        report = today.report()
        queues: dict[str, Any] = {}
        for name in sorted(set(self.waiting) | set(report["queues"]) | set(self.targets)):
            contacts = self.waiting.get(name, {})
            target = self.targets.get(name, self.default_target)
            goal = self.goals.get(name, self.sl_goal)
            queues[name] = {
                "waiting": len(contacts),
                "longest_wait_s": max((now - since for since in contacts.values()), default=0.0),
                **_today(report["queues"].get(name)),
                "target_answer_s": target,
                "sl_goal": goal,
                **self._service_now(today.queues.get(name), self._undecided(contacts, target, now), goal),
            }
        presence: dict[str, int] = {}
        by_operator: dict[str, dict[str, Any]] = {}
        for operator_id in sorted(self.operators):
            op = self.operators[operator_id]
            key = op.presence()
            presence[key] = presence.get(key, 0) + 1
            by_operator[operator_id] = {"name": op.name, "presence": key, "reason": op.reason,
                                        "contacts": op.talking + op.wrapping, "ringing": op.ringing,
                                        "since": op.since,
                                        "in_state_s": max(0.0, now - op.since) if op.since is not None else None,
                                        "capacity": dict(op.capacity) if op.capacity is not None else None}
        waiting_all = [since for contacts in self.waiting.values() for since in contacts.values()]
        return {
            "now": now,
            "day": self.day.isoformat() if self.day else None,
            "sl_goal": self.sl_goal,
            "waiting": len(waiting_all),
            "longest_wait_s": max((now - since for since in waiting_all), default=0.0),
            "operators": presence,
            # The same presences, one per operator: a table of operators and its totals
            # read them from here, so they cannot disagree.
            "by_operator": by_operator,
            "queues": queues,
            "today": {**_today(report["total"]),
                      **self._service_now(today.total, sum(
                          self._undecided(contacts, self.targets.get(name, self.default_target), now)
                          for name, contacts in self.waiting.items()), self.sl_goal)},
        }

    @staticmethod
    def _undecided(waiting: dict[str, float], target: float, now: float) -> int:
        """Contacts still waiting inside their queue's target: they may yet make it."""
        return sum(1 for since in waiting.values() if now - since <= target)

    @staticmethod
    def _service_now(counts: Counts | None, undecided: int, goal: float) -> dict[str, Any]:
        """Service level so far, for the board: today's answered within target ÷ the
        offered contacts whose outcome is decided — a contact still waiting inside its
        target may yet make it, so it is not a failure yet; one waiting past it is.
        Once nobody waits this is exactly today's ``service_level`` (METRICS.md). A queue
        is ``below_goal`` when that share is under ``goal``; with nothing decided, it is not."""
        offered = counts.offered if counts is not None else 0
        within = counts.within_target if counts is not None else 0
        decided = offered - undecided
        level = within / decided if decided > 0 else None
        return {"service_level_now": level, "below_goal": level is not None and level < goal}


_TODAY = ("offered", "answered", "abandoned", "service_level", "asa_s", "car", "lcr")


def _today(kpi: dict[str, Any] | None) -> dict[str, Any]:
    if kpi is None:
        return {key: 0 if key in ("offered", "answered", "abandoned") else 0.0 for key in _TODAY}
    return {key: kpi[key] for key in _TODAY}
