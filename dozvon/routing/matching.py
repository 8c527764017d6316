"""Matching: which operator gets a contact, and which contact an operator gets next.

The :class:`Matcher` keeps three kinds of heap: operators ready to take a queue's next
contact of a bucket (ordered by the queue's strategy), contacts waiting in a queue (by
aged priority), and contacts held for one operator (sticky routing, directed transfers).
All use lazy deletion (see :mod:`dozvon.routing.queues`): a change bumps a version or a
token instead of searching a heap, and stale entries are dropped when they reach the top.

It also keeps the worklist of what a command made worth routing again (contacts that
started waiting, operators who got a free slot); :meth:`Offering.settle
<dozvon.routing.offers.Offering.settle>` works through it at the end of every command.
"""

from __future__ import annotations

from heapq import heappop, heappush
from typing import Any

from dozvon.core.clock import Clock
from dozvon.routing.heaps import NATIVE, pop, push
from dozvon.routing.model import AVAILABLE, BUCKETS, WAITING, Contact, EngineSettings, Operator
from dozvon.routing.queues import QueueState, WaitEntry


class Matcher:
    __slots__ = ("_clock", "_contacts", "_held", "_operators", "_queues", "_settings", "_token",
                 "released", "woken_contacts", "woken_operators")

    def __init__(self, clock: Clock, settings: EngineSettings, queues: dict[str, QueueState],
                 operators: dict[str, Operator], contacts: dict[str, Contact]) -> None:
        self._clock = clock
        self._settings = settings
        self._queues = queues
        self._operators = operators
        self._contacts = contacts
        #: operator id -> contacts held for that operator only (sticky routing, directed transfers)
        self._held: dict[str, list[WaitEntry]] = {}
        #: The last position token handed out (tokens order contacts of equal priority and wait).
        self._token = 0
        #: The worklist, in order: contacts that started waiting and operators who may have
        #: room, to be routed before the command returns (drained by Offering.settle).
        self.woken_contacts: list[Contact] = []
        self.woken_operators: list[Operator] = []
        #: Operators released and not yet pushed into the ready heaps (see :meth:`release`).
        self.released: list[Operator] = []

    # ------------------------------------------------------------------ who may take what

    def has_capacity(self, op: Operator, bucket: str) -> bool:
        """Whether the operator may be offered one more contact of this bucket now."""
        if op.state != AVAILABLE:
            return False
        if op.load[bucket] >= op.cfg.capacity.get(bucket, 0):
            return False
        return not (bucket != "voice" and self._settings.voice_blocks_text and op.load["voice"])

    @staticmethod
    def eligible(op: Operator, contact: Contact) -> bool:
        """Whether this operator may take this contact at all (capacity aside)."""
        if op.cfg.id in contact.excluded:
            return False
        if contact.consult_by is not None and contact.consult_by == op.cfg.id:
            return False  # never offered their own consultation (an attended transfer to a queue)
        if contact.directed_to is not None:
            # A transfer to a named person: the transferring operator chose them.
            return contact.directed_to == op.cfg.id
        needed = contact.needs
        if needed:
            skills = op.cfg.skills
            for name, level in needed.items():
                if skills.get(name, 0) < level:
                    return False
        return True

    # ------------------------------------------------------------------ ready operators

    def refresh(self, op: Operator) -> None:
        """Record that the operator changed: old heap entries go stale, fresh ones go in.

        (:meth:`QueueState.push_ready <dozvon.routing.queues.QueueState.push_ready>` and
        its compaction check written out: this runs on every change of every operator.)"""
        op.version += 1
        op.released = False  # (this pushes what a release left to push)
        if op.state != AVAILABLE:
            return
        cfg = op.cfg
        operator_id, version, queues = cfg.id, op.version, self._queues
        load, capacity = op.load, cfg.capacity
        for bucket in cfg.buckets:
            # has_capacity written out (the state is checked above).
            if load[bucket] >= capacity.get(bucket, 0) or (
                    bucket != "voice" and load["voice"] and self._settings.voice_blocks_text):
                continue
            for name in cfg.queues:
                state = queues.get(name)
                if state is None:
                    continue
                member = state.members.get(operator_id)
                if member is None:
                    continue
                heap = state.ready[bucket]
                if state.by_turns:  # the usual strategy's key built here: a compiled build
                    # makes it natively, where the key function is a generic call
                    entry: tuple[Any, ...] = (state.turns.get(operator_id, 0), member, version, operator_id)
                else:  # a concatenation, not (*key, …): twice as fast
                    entry = state.key(state, op, bucket) + (version, operator_id)  # noqa: RUF005
                if NATIVE:
                    push(heap, entry)
                else:
                    heappush(heap, entry)
                if len(heap) > 4 * len(state.members) + 64:
                    self._rebuild_ready(state, bucket)

    def rebuild_ready(self, state: QueueState) -> None:
        """Order the queue's ready operators again (its strategy or members changed)."""
        for bucket in BUCKETS:
            self._rebuild_ready(state, bucket)

    def _rebuild_ready(self, state: QueueState, bucket: str) -> None:
        state.ready[bucket] = []
        for operator_id in state.members:
            op = self._operators.get(operator_id)
            if op is not None and self.has_capacity(op, bucket):
                state.push_ready(op, bucket)

    def release(self, op: Operator, bucket: str, idle: bool = True) -> None:
        """Free one slot of the operator and let them take the next contact.

        Their fresh entries go into the ready heaps only when routing needs them there
        (:meth:`Offering.settle <dozvon.routing.offers.Offering.settle>`): before it looks
        for an operator for a contact (:meth:`push_released`), or once it has looked for a
        waiting contact for this operator and found none. In a busy queue the freed operator
        takes a waiting contact at once, and entries pushed here would only have gone stale
        (two pushes and two pops of stale entries per such contact). Whenever a contact is
        routed, the heaps hold what they would have held had the entries gone in here."""
        load = op.load
        load[bucket] = load[bucket] - 1  # (not -=: a compiled build subtracts two objects then)
        if idle and not op.contacts:
            op.idle_since = self._clock.now()
        if not op.released:
            op.released = True
            self.released.append(op)
        self.woken_operators.append(op)

    def push_released(self) -> None:
        """Push the ready entries of every operator released since (see :meth:`release`)."""
        released = self.released
        for op in released:
            if op.released:
                self.refresh(op)
        released.clear()

    # ------------------------------------------------------------------ choosing

    def operator_for(self, state: QueueState, contact: Contact) -> Operator | None:
        """The best ready operator for the contact by the queue's strategy, or None.

        Stale entries met on the way are dropped for good; live ones that may not take
        this contact (skills, exclusions) are set aside and pushed back for the next."""
        operators, members, bucket = self._operators, state.members, contact.bucket
        heap = state.ready[bucket]
        skipped: list[tuple[Any, ...]] = []
        found = None
        # Whether anything but the operator's capacity decides (else eligible() is True).
        choosy = bool(contact.excluded or contact.directed_to is not None or contact.needs
                      or contact.consult_by is not None)
        blocks_text = bucket != "voice" and self._settings.voice_blocks_text
        while heap:
            entry = heap[0]
            op = operators.get(entry[-1])
            version: int = entry[-2]  # (typed: a compiled build compares two ints, not two objects)
            # has_capacity written out (once or twice per routed contact).
            if (op is None or version != op.version or op.cfg.id not in members or op.state != AVAILABLE
                    or op.load[bucket] >= op.cfg.capacity.get(bucket, 0) or (blocks_text and op.load["voice"])):
                if NATIVE:
                    pop(heap)
                else:
                    heappop(heap)
            elif choosy and not Matcher.eligible(op, contact):
                skipped.append(pop(heap) if NATIVE else heappop(heap))
            else:
                found = op
                break
        for entry in skipped:
            if NATIVE:
                push(heap, entry)
            else:
                heappush(heap, entry)
        return found

    def ring_all_targets(self, state: QueueState, contact: Contact) -> list[Operator]:
        """Every member who may take the contact now, in member order (ring-all)."""
        targets = []
        for operator_id in state.members:
            op = self._operators.get(operator_id)
            if op is not None and self.has_capacity(op, contact.bucket) and self.eligible(op, contact):
                targets.append(op)
        return targets

    def contact_for(self, op: Operator, bucket: str) -> Contact | None:
        """The contact this operator should take next in this bucket, or None.

        A contact held for them comes first; then the best of the heads of their queues by
        queue weight, aged priority and wait."""
        held = self._held.get(op.cfg.id)
        if held:
            contact = self._first_waiting(held, op, None)
            if contact is not None and contact.bucket == bucket:
                return contact
        best: Contact | None = None
        best_score: tuple[float, float, float] | None = None
        now = self._clock.now()
        for name in op.cfg.queues:
            state = self._queues.get(name)
            if state is None or not state.waiting_count:
                continue
            contact = self._first_waiting(state.waiting[bucket], op, name)
            if contact is None:
                continue
            score = state.score(contact, now)
            if best_score is None or score < best_score:
                best, best_score = contact, score
        return best

    def _first_waiting(self, heap: list[WaitEntry], op: Operator, queue: str | None) -> Contact | None:
        """The first contact of a waiting heap (of this queue, if named) the operator may
        take; stale entries are dropped, others set aside and pushed back (as in
        :meth:`operator_for`)."""
        contacts = self._contacts
        skipped: list[WaitEntry] = []
        found = None
        while heap:
            entry = heap[0]
            contact = contacts.get(entry[3])
            if (contact is None or contact.state != WAITING or contact.token != entry[2]
                    or (queue is not None and contact.queue != queue)):
                if NATIVE:
                    pop(heap)
                else:
                    heappop(heap)
            elif not Matcher.eligible(op, contact):
                skipped.append(pop(heap) if NATIVE else heappop(heap))
            else:
                found = contact
                break
        for entry in skipped:
            if NATIVE:
                push(heap, entry)
            else:
                heappush(heap, entry)
        return found

    # ------------------------------------------------------------------ waiting contacts

    def wait_in_queue(self, contact: Contact, state: QueueState) -> None:
        """Nobody can take the contact now: it waits in its queue for the next operator."""
        contact.token = self._next_token()
        state.push_waiting(contact)

    def hold_for(self, operator_id: str, contact: Contact) -> None:
        """The contact waits for this one operator only (sticky routing, a directed transfer)."""
        contact.token = self._next_token()
        self._hold(operator_id, contact)

    def _hold(self, operator_id: str, contact: Contact) -> None:
        heap = self._held.setdefault(operator_id, [])
        entry = (-contact.priority, contact.enqueued_at, contact.token, contact.id)
        if NATIVE:
            push(heap, entry)
        else:
            heappush(heap, entry)

    def adopt_waiting(self, contact: Contact, state: QueueState) -> None:
        """A waiting contact restored from storage takes its place again, token and all."""
        target = contact.directed_to or contact.sticky_operator
        if target is not None:
            self._hold(target, contact)
        else:
            state.push_waiting(contact)

    def continue_tokens_after(self, token: int) -> None:
        """Hand out tokens after this one (a restored contact holds it): every place kept."""
        self._token = max(self._token, token)

    def _next_token(self) -> int:
        self._token += 1
        return self._token

    # ------------------------------------------------------------------ the worklist

    def wake_contact(self, contact: Contact) -> None:
        """The contact is waiting and should be routed before the command returns."""
        self.woken_contacts.append(contact)

    def wake_operator(self, op: Operator) -> None:
        """The operator may have room for a contact: look for one before the command returns."""
        self.woken_operators.append(op)
