"""The engine's one timer heap: offer deadlines, wrap-ups, waits, opening hours.

Timers are never cancelled. A timer stays in the heap after what it guards has changed
(the offer was answered, the contact left) and is recognised as stale when it comes due,
by comparing it with the state it guards; so no change ever has to search the heap, and
the timers of an engine rebuilt from storage are simply armed again from that state.
"""

from __future__ import annotations

import heapq

from dozvon.routing.model import CLOSED, OFFERED, WAITING, WRAP_UP, Contact, Offer
from dozvon.routing.queues import QueueState

#: Order of timers due at the same instant: hours first (a queue opening at 09:00 is open
#: for the offer that times out at 09:00), then offers, wrap-ups, waits.
TIMER_RANK = {"hours": 0, "offer": 1, "wrap_up": 2, "max_wait": 3, "sticky": 4, "forget": 5}

#: (at, rank, key, kind): the key is an offer id, a queue name or a contact id by kind.
Timer = tuple[float, int, str, str]


class Timers:
    __slots__ = ("_contacts", "_heap", "_offers", "_queues")

    def __init__(self, queues: dict[str, QueueState], contacts: dict[str, Contact],
                 offers: dict[str, Offer]) -> None:
        self._queues = queues
        self._contacts = contacts
        self._offers = offers
        self._heap: list[Timer] = []

    def arm(self, at: float, kind: str, key: str) -> None:
        # Timers due at the same instant fire in a canonical order (kind, then key), not in
        # the order they were set, so that an engine restored from the database fires them
        # exactly as the engine that set them would have.
        heapq.heappush(self._heap, (at, TIMER_RANK[kind], key, kind))

    def next_deadline(self) -> float | None:
        """When the next live timer is due (None: none is armed)."""
        heap = self._heap
        while heap:
            at, _, key, kind = heap[0]
            if self._live(at, kind, key):
                return at
            heapq.heappop(heap)
        return None

    def pop_due(self, now: float) -> tuple[str, str] | None:
        """The next live timer due by ``now`` as (kind, key), taken off the heap; None if none."""
        heap = self._heap
        while heap and heap[0][0] <= now:
            at, _, key, kind = heapq.heappop(heap)
            if self._live(at, kind, key):
                return kind, key
        return None

    def armed(self, kind: str) -> int:
        """How many live timers of this kind are armed (a timer armed twice counts twice)."""
        return sum(1 for at, _, key, k in self._heap if k == kind and self._live(at, kind, key))

    def _live(self, at: float, kind: str, key: str) -> bool:
        """Whether what the timer guards still expects it at this instant."""
        if kind == "offer":
            offer = self._offers.get(key)
            return offer is not None and offer.deadline == at
        if kind == "hours":
            state = self._queues.get(key)
            return state is not None and state.next_change == at
        contact = self._contacts.get(key)
        if contact is None:
            return False
        if kind == "wrap_up":
            return contact.state == WRAP_UP and contact.wrap_deadline == at
        if kind == "max_wait":
            return contact.state in (WAITING, OFFERED) and contact.max_wait_at == at
        if kind == "sticky":
            return contact.state in (WAITING, OFFERED) and contact.sticky_until == at
        return kind == "forget" and contact.state == CLOSED
