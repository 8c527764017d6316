"""Runtime state of one queue: waiting contacts and ready operators, both as heaps.

Both heaps use lazy deletion: an entry stays in the heap after it stops being true (the
contact was answered, the operator went on a break) and is dropped when it reaches the
top. Validity is checked with a token (contacts) or a version (operators) that the
engine bumps on every change, so no change ever has to search a heap.
"""

from __future__ import annotations

from heapq import heappush
from typing import TYPE_CHECKING, Any

from dozvon.routing.heaps import NATIVE, push
from dozvon.routing.model import BUCKETS, QueueConfig
from dozvon.routing.strategies import KeyFn, key_function, round_robin

if TYPE_CHECKING:
    from dozvon.routing.model import Contact, Operator

#: (ordering key, first enqueue time, token, contact id)
WaitEntry = tuple[float, float, int, str]


class QueueState:
    __slots__ = ("_next_order", "aging_rate", "by_turns", "cfg", "key", "members", "next_change", "open",
                 "ready", "turns", "waiting", "waiting_count")

    def __init__(self, cfg: QueueConfig) -> None:
        self.cfg = cfg
        self.key: KeyFn = key_function(cfg.strategy, cfg.skills_first)
        #: Whether the key is plain round robin's (the matcher builds that key itself).
        self.by_turns = self.key is round_robin
        self.aging_rate = cfg.aging_per_min / 60.0
        self.waiting: dict[str, list[WaitEntry]] = {b: [] for b in BUCKETS}
        self.waiting_count = 0
        #: operator id -> position in the queue's member list (stable tie-breaker)
        self.members: dict[str, int] = {}
        self._next_order = 0
        self.ready: dict[str, list[tuple[Any, ...]]] = {b: [] for b in BUCKETS}
        #: Round-robin turns per operator; persisted, so the turn survives restarts.
        self.turns: dict[str, int] = {}
        self.open = True
        self.next_change: float | None = None

    def reconfigure(self, cfg: QueueConfig) -> None:
        self.cfg = cfg
        self.key = key_function(cfg.strategy, cfg.skills_first)
        self.by_turns = self.key is round_robin
        self.aging_rate = cfg.aging_per_min / 60.0

    # --- waiting contacts -------------------------------------------------------------

    def wait_key(self, contact: Contact) -> float:
        """Time-invariant order: priority + aging × waited is highest first.

        priority + r·(now − since) ranks like priority − r·since, because r·now is the same
        for every contact of the queue at any instant.
        """
        return self.aging_rate * contact.queue_since - contact.priority

    def push_waiting(self, contact: Contact) -> None:
        heap = self.waiting[contact.bucket]
        entry = (self.wait_key(contact), contact.enqueued_at, contact.token, contact.id)
        if NATIVE:
            push(heap, entry)
        else:
            heappush(heap, entry)

    def score(self, contact: Contact, now: float) -> tuple[float, float, float]:
        """Comparable across queues for an operator in several: weight, aged priority, wait."""
        return (-self.cfg.weight,
                -(contact.priority + self.aging_rate * (now - contact.queue_since)),
                contact.enqueued_at)

    # --- ready operators --------------------------------------------------------------

    def add_member(self, operator_id: str) -> None:
        if operator_id in self.members:
            return
        self.members[operator_id] = self._next_order
        self._next_order += 1
        if self.turns:
            # A newcomer starts level with the others instead of taking every turn until
            # it has caught up with them.
            self.turns.setdefault(operator_id, min(self.turns.values()))

    def restore_member(self, operator_id: str, order: int) -> None:
        """A member restored from storage keeps its place (and its turns stay as stored)."""
        self.members[operator_id] = order
        self._next_order = max(self._next_order, order + 1)

    def remove_member(self, operator_id: str) -> None:
        self.members.pop(operator_id, None)

    def push_ready(self, op: Operator, bucket: str) -> None:
        heap = self.ready[bucket]
        entry = self.key(self, op, bucket) + (op.version, op.cfg.id)  # noqa: RUF005 (twice as fast)
        if NATIVE:
            push(heap, entry)
        else:
            heappush(heap, entry)

    def needs_compaction(self, bucket: str) -> bool:
        return len(self.ready[bucket]) > 4 * len(self.members) + 64
