"""Live wallboard figures, kept up to date event by event (O(1) per event).

What a supervisor's wallboard shows: per queue, contacts waiting now and the longest
wait; operators by presence (available, ringing, busy, wrap-up, break, offline) — every
configured operator, offline until they log in — and each operator's own line; and
today's offered, answered, abandoned, service level and ASA. It reads only events — the
same stream the log stores — so the server can feed it as events commit, and a restarted
server can rebuild it by replaying today's log. "Today" is the local day of the project's
time zone; the day's counters restart at local midnight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dozvon.analytics.kpi import KpiAccumulator
from dozvon.routing.events import RoutingEvent
from dozvon.routing.presence import derive_presence

_OFFER_ENDS = frozenset({"offer.accepted", "offer.declined", "offer.timed_out", "offer.withdrawn"})


@dataclass
class _Operator:
    name: str = ""
    state: str = "offline"
    reason: str | None = None
    ringing: int = 0
    talking: int = 0
    wrapping: int = 0

    def presence(self) -> str:
        return derive_presence(self.state, self.ringing, self.talking, self.wrapping)


@dataclass
class Wallboard:
    tz: str = "UTC"
    #: Service-level targets for events that do not record their own (``contact.queued``
    #: carries ``target_answer_s``); the day's accumulator keeps it current from
    #: ``queue.configured``.
    targets: dict[str, float] = field(default_factory=dict)
    default_target: float = 20.0
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
        if self.today is None or local.date() != self.day:
            midnight = local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
            self.today = KpiAccumulator(targets=self.targets, default_target=self.default_target, count_from=midnight)
            self.day = local.date()
        return self.today

    def _operator(self, operator_id: str) -> _Operator:
        op = self.operators.get(operator_id)
        if op is None:
            op = self.operators[operator_id] = _Operator()
        return op

    def seed_operator(self, operator_id: str, state: str, reason: str | None = None, name: str | None = None) -> None:
        """A configured operator and the state they are in when the board starts (from the
        engine or the log); events keep it current from then on."""
        op = self._operator(operator_id)
        op.state, op.reason = state, reason
        if name is not None:
            op.name = name

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
        t, cid, oid = e.type, e.contact_id or "", e.operator_id
        if t == "operator.configured" and oid:
            # Known from the moment it exists: offline until it logs in, not missing.
            self._operator(oid).name = str(e.data.get("config", {}).get("name") or "")
        elif t == "contact.queued":
            self._stop_waiting(cid)
            queue = e.queue or ""
            self.waiting.setdefault(queue, {})[cid] = e.at
            self._queue_of[cid] = queue
        elif t in ("contact.answered", "contact.abandoned", "contact.overflowed"):
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

    def snapshot(self, now: float) -> dict[str, Any]:
        """The wallboard at ``now`` (epoch s)."""
        today = self._roll_day(now)
        report = today.report()
        queues: dict[str, Any] = {}
        for name in sorted(set(self.waiting) | set(report["queues"])):
            contacts = self.waiting.get(name, {})
            kpi = report["queues"].get(name)
            queues[name] = {
                "waiting": len(contacts),
                "longest_wait_s": max((now - since for since in contacts.values()), default=0.0),
                **_today(kpi),
            }
        presence: dict[str, int] = {}
        by_operator: dict[str, dict[str, Any]] = {}
        for operator_id in sorted(self.operators):
            op = self.operators[operator_id]
            key = op.presence()
            presence[key] = presence.get(key, 0) + 1
            by_operator[operator_id] = {"name": op.name, "presence": key, "reason": op.reason,
                                        "contacts": op.talking + op.wrapping}
        waiting_all = [since for contacts in self.waiting.values() for since in contacts.values()]
        return {
            "day": self.day.isoformat() if self.day else None,
            "waiting": len(waiting_all),
            "longest_wait_s": max((now - since for since in waiting_all), default=0.0),
            "operators": presence,
            # The same presences, one per operator: a table of operators and its totals
            # read them from here, so they cannot disagree.
            "by_operator": by_operator,
            "queues": queues,
            "today": _today(report["total"]),
        }


def _today(kpi: dict[str, Any] | None) -> dict[str, Any]:
    if kpi is None:
        return {"offered": 0, "answered": 0, "abandoned": 0, "service_level": 0.0, "asa_s": 0.0}
    return {key: kpi[key] for key in ("offered", "answered", "abandoned", "service_level", "asa_s")}
