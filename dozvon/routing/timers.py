"""The engine's one timer heap: offer deadlines, wrap-ups, waits, opening hours.

Timers are never cancelled. A timer stays in the heap after what it guards has changed
(the offer was answered, the contact left) and is recognised as stale when it comes due,
by comparing it with the state it guards; so no change ever has to search the heap, and
the timers of an engine rebuilt from storage are simply armed again from that state.

A driver may hand the engine the heap to arm its timers in (the simulator does, and arms
offer deadlines there itself), and read it to know when the next timer is due. It may
also keep entries of its own there: they carry a negative second item, which puts them
before every timer due at the same instant, and the engine leaves them alone —
:meth:`Timers.pop_due` stops at one, and the driver pops its own before it calls
``advance``. (The simulator keeps its own events apart now, in a heap of plain instants
that orders faster: see dozvon/sim/simulator.py.)
"""

from __future__ import annotations

from heapq import heappop, heappush
from typing import Any, Final

from dozvon.routing.heaps import NATIVE, pop, push
from dozvon.routing.model import CLOSED, OFFERED, WAITING, WRAP_UP, Contact, Offer
from dozvon.routing.queues import QueueState

#: Order of timers due at the same instant: hours first (a queue opening at 09:00 is open
#: for the offer that times out at 09:00), then offers, wrap-ups, waits.
_OFFER_RANK: Final = 1  # constants of their own: a compiled build inlines them
_WRAP_UP_RANK: Final = 2
TIMER_RANK = {"hours": 0, "offer": _OFFER_RANK, "wrap_up": _WRAP_UP_RANK, "max_wait": 3, "sticky": 4, "forget": 5}

#: (at, rank, key, kind): the key is an offer id, a queue name or a contact id by kind.
Timer = tuple[float, int, str, str]
#: An entry of the heap: a timer, or a driver's own entry in a shared heap (typed loosely,
#: so that a compiled build does not reject the driver's entries when it reads the top).
Entry = tuple[float, int, Any, Any]


class Timers:
    __slots__ = ("_contacts", "_offers", "_queues", "heap")

    def __init__(self, queues: dict[str, QueueState], contacts: dict[str, Contact],
                 offers: dict[str, Offer], heap: list[Any] | None = None) -> None:
        self._queues = queues
        self._contacts = contacts
        self._offers = offers
        #: The heap itself (the engine's :meth:`advance <dozvon.routing.engine.RoutingEngine.advance>`
        #: reads its top directly).
        self.heap: list[Entry] = [] if heap is None else heap

    def arm(self, at: float, kind: str, key: str) -> None:
        # Timers due at the same instant fire in a canonical order (kind, then key), not in
        # the order they were set, so that an engine restored from the database fires them
        # exactly as the engine that set them would have.
        if NATIVE:
            push(self.heap, (at, TIMER_RANK[kind], key, kind))
        else:
            heappush(self.heap, (at, TIMER_RANK[kind], key, kind))

    def arm_offer(self, at: float, offer_id: str) -> None:
        """:meth:`arm` for an offer's deadline, the timer armed most often (no rank lookup)."""
        if NATIVE:
            push(self.heap, (at, _OFFER_RANK, offer_id, "offer"))
        else:
            heappush(self.heap, (at, _OFFER_RANK, offer_id, "offer"))

    def arm_wrap_up(self, at: float, contact_id: str) -> None:
        """:meth:`arm` for the end of a wrap-up, armed once per answered contact (no rank lookup)."""
        if NATIVE:
            push(self.heap, (at, _WRAP_UP_RANK, contact_id, "wrap_up"))
        else:
            heappush(self.heap, (at, _WRAP_UP_RANK, contact_id, "wrap_up"))

    def next_deadline(self) -> float | None:
        """When the next live timer is due (None: none is armed); in a shared heap, when
        the next live timer or the driver's next entry is due."""
        heap = self.heap
        while heap:
            at, rank, key, kind = heap[0]
            if rank < 0 or self.live(at, kind, key):
                return at
            if NATIVE:
                pop(heap)
            else:
                heappop(heap)
        return None

    def pop_due(self, now: float) -> tuple[str, str] | None:
        """The next live timer due by ``now`` as (kind, key), taken off the heap; None if none."""
        heap = self.heap
        while heap and heap[0][0] <= now and heap[0][1] >= 0:
            at, _, key, kind = pop(heap) if NATIVE else heappop(heap)
            if self.live(at, kind, key):
                return kind, key
        return None

    def is_live(self, timer: Entry) -> bool:
        """Whether this timer (a heap entry) still guards something, for a driver that
        shares the heap: it pops stale timers itself and calls ``advance`` for a live one."""
        at, _, key, kind = timer
        return self.live(at, kind, key)

    def armed(self, kind: str) -> int:
        """How many live timers of this kind are armed (a timer armed twice counts twice)."""
        return sum(1 for at, _, key, k in self.heap if k == kind and self.live(at, kind, key))

    def live(self, at: float, kind: str, key: str) -> bool:
        """Whether what the timer guards still expects it at this instant.

        (Each optional time is tested for None before it is compared: a compiled build
        then compares two floats instead of two objects.)"""
        if kind == "offer":
            offer = self._offers.get(key)
            return offer is not None and offer.deadline == at
        if kind == "hours":
            state = self._queues.get(key)
            if state is None:
                return False
            change = state.next_change
            return change is not None and change == at
        contact = self._contacts.get(key)
        if contact is None:
            return False
        if kind == "wrap_up":
            due = contact.wrap_deadline
            return contact.state == WRAP_UP and due is not None and due == at
        if kind == "max_wait":
            due = contact.max_wait_at
            return contact.state in (WAITING, OFFERED) and due is not None and due == at
        if kind == "sticky":
            due = contact.sticky_until
            return contact.state in (WAITING, OFFERED) and due is not None and due == at
        return kind == "forget" and contact.state == CLOSED
