"""A hand-written SimPy model of the *same* behaviour Dozvon's simulator runs — the fair
peer for its speed (what a user would write instead of `dozvon simulate`).

The center: operator groups, each serving two queues; round robin by turns (the member
with the fewest offers in the contact's queue rings first, ties in member order); every
operator answers after ``answer_delay_s`` with probability ``answer_probability``, else
lets it ring for the offer timeout (RONA) and the contact goes to the next operator, never
straight back to the one who missed it; exponential talk time, a fixed wrap-up; customers
leave after an exponential patience if nobody has answered (also while it rings). A freed
operator takes the longest-waiting contact of its two queues.

``tests/sim/test_simpy_peer.py`` checks that it gives the KPIs `dozvon simulate` gives on
the same scenario within a fraction of a point.
"""

from __future__ import annotations

import heapq
import itertools
import random
from dataclasses import dataclass, field
from typing import Any

import simpy


@dataclass
class Center:
    groups: int = 25
    per_group: int = 40
    hours: float = 24.0
    load: float = 0.9
    aht_s: float = 180.0
    patience_s: float = 120.0
    answer_delay_s: float = 2.0
    answer_probability: float = 0.95
    offer_timeout_s: float = 15.0
    wrap_up_s: float = 10.0
    target_s: float = 20.0
    seed: int = 1

    @property
    def rate_per_queue_s(self) -> float:
        """Arrivals per second per queue for ``load`` of each operator's time in talk and wrap-up."""
        return self.load * self.per_group / (self.aht_s + self.wrap_up_s) / 2

    def scenario(self) -> dict[str, Any]:
        """The same center as a `dozvon simulate` scenario."""
        queues = [f"g{g}q{k}" for g in range(self.groups) for k in (0, 1)]
        return {
            "seed": self.seed,
            "duration_s": self.hours * 3600,
            "queues": [{"name": q, "strategy": "round_robin", "offer_timeout_s": self.offer_timeout_s,
                        "target_answer_s": self.target_s, "aging_per_min": 0} for q in queues],
            "agents": [{"name": f"g{g}op", "count": self.per_group, "queues": [f"g{g}q0", f"g{g}q1"],
                        "capacity": {"voice": 1}, "answer_delay_s": self.answer_delay_s,
                        "answer_probability": self.answer_probability, "wrap_up_s": self.wrap_up_s}
                       for g in range(self.groups)],
            "traffic": [{"queue": q, "channel": "voice", "arrivals_per_hour": self.rate_per_queue_s * 3600,
                         "handle_time_s": {"dist": "exponential", "mean": self.aht_s},
                         "patience_s": {"dist": "exponential", "mean": self.patience_s}} for q in queues],
        }


@dataclass(eq=False)
class _Contact:
    queue: int
    arrived: float
    number: int
    answered: bool = False
    gone: bool = False
    ringing: _Operator | None = None
    excluded: set[int] = field(default_factory=set)
    last_missed: int | None = None
    #: Its entry in the waiting line is valid while it carries this token (lazy deletion).
    token: int = 0


@dataclass(eq=False)
class _Operator:
    index: int
    group: int
    busy: bool = False


def run(center: Center) -> tuple[int, dict[str, float]]:
    """Simulate; returns (contacts arrived, KPIs: service_level, abandon_rate, asa_s, rona)."""
    env = simpy.Environment()
    rng = random.Random(center.seed)
    end = center.hours * 3600
    operators = [[_Operator(g * center.per_group + i, g) for i in range(center.per_group)]
                 for g in range(center.groups)]
    turns = [dict.fromkeys(range(center.per_group), 0) for _ in range(2 * center.groups)]
    #: Per queue, (arrival, number, token, contact): a contact back from a RONA keeps its place.
    waiting: list[list[tuple[float, int, int, _Contact]]] = [[] for _ in range(2 * center.groups)]
    numbers = itertools.count()
    stats = {"arrived": 0, "answered": 0, "abandoned": 0, "in_target": 0, "wait_sum": 0.0, "rona": 0}

    def choose(contact: _Contact) -> _Operator | None:
        members = operators[contact.queue // 2]
        queue_turns = turns[contact.queue]
        best = None
        for op in members:
            if not op.busy and op.index not in contact.excluded and (
                    best is None or queue_turns[op.index % center.per_group]
                    < queue_turns[best.index % center.per_group]):
                best = op
        return best

    def route(contact: _Contact) -> None:
        """Offer the contact to the next operator, or put it back in line."""
        op = choose(contact)
        if op is None and contact.excluded - {contact.last_missed}:
            # Nobody else can take it: those who missed it earlier may try again.
            contact.excluded = {contact.last_missed} if contact.last_missed is not None else set()
            op = choose(contact)
        if op is None:
            contact.token += 1
            heapq.heappush(waiting[contact.queue], (contact.arrived, contact.number, contact.token, contact))
            return
        offer(contact, op)

    def offer(contact: _Contact, op: _Operator) -> None:
        op.busy = True
        contact.ringing = op
        turns[contact.queue][op.index % center.per_group] += 1
        env.process(ring(contact, op))

    def next_for(op: _Operator) -> None:
        """A freed operator takes the longest-waiting contact of its queues it may take."""
        op.busy = False
        best: _Contact | None = None
        for q in (2 * op.group, 2 * op.group + 1):
            line = waiting[q]
            set_aside = []
            while line:
                _, _, token, contact = line[0]
                if contact.gone or contact.token != token:
                    heapq.heappop(line)
                elif op.index in contact.excluded:
                    set_aside.append(heapq.heappop(line))
                else:
                    if best is None or (contact.arrived, contact.number) < (best.arrived, best.number):
                        best = contact
                    break
            for entry in set_aside:
                heapq.heappush(line, entry)
        if best is not None:
            best.token += 1  # out of the line
            offer(best, op)

    def ring(contact: _Contact, op: _Operator) -> Any:
        if rng.random() < center.answer_probability:
            yield env.timeout(center.answer_delay_s)
            if contact.gone:
                return  # the customer left while it rang; next_for ran when they left
            contact.answered, contact.ringing = True, None
            wait = env.now - contact.arrived
            stats["answered"] += 1
            stats["wait_sum"] += wait
            stats["in_target"] += wait <= center.target_s
            yield env.timeout(rng.expovariate(1 / center.aht_s) + center.wrap_up_s)
            next_for(op)
        else:
            yield env.timeout(center.offer_timeout_s)
            if contact.gone:
                return
            stats["rona"] += 1
            contact.ringing = None
            contact.excluded.add(op.index)
            contact.last_missed = op.index
            route(contact)  # the contact first, to the next operator
            next_for(op)

    def patience(contact: _Contact) -> Any:
        yield env.timeout(rng.expovariate(1 / center.patience_s))
        if not contact.answered:
            contact.gone = True
            stats["abandoned"] += 1
            if contact.ringing is not None:
                op, contact.ringing = contact.ringing, None
                next_for(op)

    def source(queue: int) -> Any:
        rate = center.rate_per_queue_s
        while True:
            yield env.timeout(rng.expovariate(rate))
            if env.now >= end:
                return
            stats["arrived"] += 1
            contact = _Contact(queue, env.now, next(numbers))
            env.process(patience(contact))
            route(contact)

    for q in range(2 * center.groups):
        env.process(source(q))
    env.run()
    offered = stats["arrived"]
    return offered, {
        "service_level": stats["in_target"] / offered if offered else 0.0,
        "abandon_rate": stats["abandoned"] / offered if offered else 0.0,
        "asa_s": stats["wait_sum"] / stats["answered"] if stats["answered"] else 0.0,
        "rona": float(stats["rona"]),
    }
