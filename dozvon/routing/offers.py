"""Offering: making offers, ending them, and routing what a command made possible.

An offer rings a contact at one operator until a deadline (ring-all rings several at
once). It ends exactly once: accepted, declined, timed out (RONA: the contact moves on to
the next operator, the one who missed it stays excluded) or withdrawn (answered
elsewhere, the customer left, the operator went away).

Routing happens in :meth:`Offering.settle`, at the end of each command: contacts waiting
to be routed first, then operators with free capacity, so that the order of routing never
depends on the order of the code that freed them.
"""

from __future__ import annotations

from typing import Any

from dozvon.core.clock import Clock
from dozvon.routing import events as ev
from dozvon.routing.admission import Admission
from dozvon.routing.events import Decision, decision
from dozvon.routing.matching import Matcher
from dozvon.routing.model import AVAILABLE, NOBODY, OFFERED, WAITING, Contact, Offer, Operator
from dozvon.routing.outbox import Outbox
from dozvon.routing.queues import QueueState
from dozvon.routing.timers import Timers


class Offering:
    __slots__ = ("_admission", "_clock", "_contacts", "_decided", "_emit", "_matcher", "_offers",
                 "_operators", "_outbox", "_queues", "_sink", "_timers", "arm_offers", "seq")

    def __init__(self, clock: Clock, queues: dict[str, QueueState], operators: dict[str, Operator],
                 contacts: dict[str, Contact], offers: dict[str, Offer], outbox: Outbox,
                 timers: Timers, matcher: Matcher, admission: Admission) -> None:
        self._clock = clock
        self._queues = queues
        self._operators = operators
        self._contacts = contacts
        self._offers = offers
        self._outbox = outbox
        self._emit = outbox.emit
        self._sink = outbox.sink
        self._decided = outbox.decided
        self._timers = timers
        self._matcher = matcher
        self._admission = admission
        #: The number of the last offer made (offer ids are ``of<seq>``; persisted).
        self.seq = 0
        #: False: the driver arms offer deadlines itself (``RoutingEngine(offer_timers=False)``).
        self.arm_offers = True

    # ------------------------------------------------------------------ routing

    def settle(self) -> None:
        """Route everything the last change made possible: contacts first, then operators."""
        contacts, matcher = self._contacts, self._matcher
        woken_contacts, woken_operators, released = matcher.woken_contacts, matcher.woken_operators, matcher.released
        while woken_contacts or woken_operators:
            while woken_contacts:
                contact = woken_contacts.pop(0)
                if contacts.get(contact.id) is contact and contact.state == WAITING:
                    if released:  # a contact sees every operator released before it
                        matcher.push_released()
                    self._route_contact(contact)
            if woken_operators:
                op = woken_operators.pop(0)
                if op.state == AVAILABLE:
                    self._route_operator(op)
                if op.released:  # it took nothing: into the ready heaps
                    matcher.refresh(op)
        if released:
            matcher.push_released()

    def _route_contact(self, contact: Contact) -> None:
        matcher = self._matcher
        state = self._queues[contact.queue]
        target = contact.directed_to or contact.sticky_operator
        if target is not None:
            op = self._operators.get(target)
            if op is not None and matcher.has_capacity(op, contact.bucket) and matcher.eligible(op, contact):
                self.make(contact, op, state)
            else:
                matcher.hold_for(target, contact)
            return
        if state.cfg.strategy == "ring_all":
            targets = matcher.ring_all_targets(state, contact)
            for op in targets:
                self.make(contact, op, state)
            if targets:
                return
        else:
            found = matcher.operator_for(state, contact)
            if found is not None:
                self.make(contact, found, state)
                return
        if contact.excluded and _clear_exclusions(contact):
            self._route_contact(contact)
            return
        matcher.wait_in_queue(contact, state)

    def _route_operator(self, op: Operator) -> None:
        matcher = self._matcher
        load, capacity = op.load, op.cfg.capacity
        while op.state == AVAILABLE:
            offered = False
            for bucket in op.cfg.buckets:
                if load[bucket] >= capacity.get(bucket, 0) or not matcher.has_capacity(op, bucket):
                    continue  # (the first test is has_capacity's own, the usual answer, without a call)
                contact = matcher.contact_for(op, bucket)
                if contact is not None:
                    self.make(contact, op, self._queues[contact.queue])
                    offered = True
                    break
            if not offered:
                return

    # ------------------------------------------------------------------ one offer's life

    def make(self, contact: Contact, op: Operator, state: QueueState) -> None:
        """Ring the contact at the operator until the queue's offer timeout."""
        now = self._clock.now()
        self.seq += 1
        offer_id = f"of{self.seq}"
        cfg, bucket, contact_id, operator_id = state.cfg, contact.bucket, contact.id, op.cfg.id
        timeout = cfg.offer_timeout_s
        deadline = now + (timeout if timeout is not None else cfg.timeout_for(bucket))
        offer = Offer(offer_id, contact_id, operator_id, now, deadline)
        contact.offers[offer_id] = offer
        contact.state = OFFERED
        self._offers[offer_id] = offer
        op.offers.add(offer_id)
        load = op.load
        load[bucket] = load[bucket] + 1  # (not +=: a compiled build adds two objects then)
        if cfg.strategy == "round_robin" and not contact.directed_to:
            turns = state.turns
            turns[operator_id] = turns.get(operator_id, 0) + 1
        self._matcher.refresh(op)
        if self.arm_offers or deadline <= now:
            self._timers.arm_offer(deadline, offer_id)
        if self._sink is None:
            if contact.consult_by is None:
                self._emit("offer.created", contact, operator_id, offer_id=offer_id, deadline=deadline,
                           directed=contact.directed_to is not None,
                           sticky=contact.sticky_operator is not None)
            else:  # an introduction: the operator's card says who is introducing the customer
                self._emit("offer.created", contact, operator_id, offer_id=offer_id, deadline=deadline,
                           directed=False, sticky=False, consult_by=contact.consult_by)
        else:
            self._sink.offer_created(now, contact_id, operator_id)
        self._decided.append(decision(ev.OFFER, contact_id, operator_id, offer_id, deadline, contact.spec.channel))

    def end(self, offer: Offer, outcome: str, reason: str | None = None) -> None:
        """Close one offer (declined, timed out, withdrawn) and free the operator's slot."""
        contact = self._contacts[offer.contact_id]
        op = self._operators[offer.operator_id]
        del self._offers[offer.id]
        del contact.offers[offer.id]
        op.offers.discard(offer.id)
        self._matcher.release(op, contact.bucket, idle=False)
        data: dict[str, Any] = {"offer_id": offer.id, "ring_s": self._clock.now() - offer.created_at}
        if reason:
            data["reason"] = reason
        self._outbox.emit_data(f"offer.{outcome}", contact, op.cfg.id, None, data)
        if outcome in ("withdrawn", "timed_out"):
            self._decided.append(Decision(ev.WITHDRAW, contact.id, op.cfg.id, offer.id,
                                  reason=reason or outcome, channel=contact.spec.channel))

    def accepted(self, offer: Offer) -> tuple[Contact, Operator]:
        """The operator answered: the offer is theirs, every other offer of the contact is
        withdrawn. The slot stays taken (now by the conversation)."""
        contact = self._contacts[offer.contact_id]
        op = self._operators[offer.operator_id]
        del self._offers[offer.id]
        del contact.offers[offer.id]
        op.offers.discard(offer.id)
        op.missed = 0
        if self._sink is None:
            self._emit("offer.accepted", contact, op.cfg.id, offer_id=offer.id,
                       ring_s=self._clock.now() - offer.created_at)
        if contact.offers:
            self.withdraw_all(contact, "answered_elsewhere")
        return contact, op

    def declined(self, offer: Offer, reason: str | None) -> None:
        """The operator said no: the contact goes to the next operator."""
        contact = self._contacts[offer.contact_id]
        op = self._operators[offer.operator_id]
        self.end(offer, "declined", reason)
        self.after_missed(contact, op)

    def ran_out(self, offer: Offer) -> tuple[Contact, Operator]:
        """The offer rang out unanswered (RONA): ended, and counted against the operator.

        The caller decides whether the count sends the operator on a break, then passes the
        contact on with :meth:`after_missed`."""
        contact = self._contacts[offer.contact_id]
        op = self._operators[offer.operator_id]
        self.end(offer, "timed_out", "no_answer")
        op.missed += 1
        return contact, op

    def after_missed(self, contact: Contact, op: Operator) -> None:
        """An offer was declined or ran out: the contact goes to the next operator."""
        contact.excluded = contact.excluded | {op.cfg.id}
        contact.last_missed = op.cfg.id
        if contact.offers:
            return  # ring-all: others are still ringing
        self._admission.back_to_queue(contact)

    def withdraw_all(self, contact: Contact, reason: str) -> None:
        """Stop every offer of the contact ringing (it was answered, or the customer left)."""
        for offer in list(contact.offers.values()):
            self.end(offer, "withdrawn", reason)

    def withdraw_from(self, op: Operator) -> None:
        """The operator is no longer available: their ringing offers go to others."""
        for offer_id in sorted(op.offers):
            offer = self._offers[offer_id]
            contact = self._contacts[offer.contact_id]
            self.end(offer, "withdrawn", "operator_unavailable")
            if not contact.offers:
                self._admission.back_to_queue(contact)

    # ------------------------------------------------------------------ restore

    def adopt(self, contact: Contact, offer: Offer) -> None:
        """An offer restored from storage rings again until its own deadline (a deadline
        that passed while the server was down runs out on the first timer tick).

        An offer to an operator who no longer exists is simply gone."""
        op = self._operators.get(offer.operator_id)
        if op is None:
            return
        contact.offers[offer.id] = offer
        self._offers[offer.id] = offer
        op.offers.add(offer.id)
        op.load[contact.bucket] += 1
        self._timers.arm(offer.deadline, "offer", offer.id)


def _clear_exclusions(contact: Contact) -> bool:
    """Nobody else can take it: let those who missed it earlier try again.

    The operator who missed it last stays excluded, so that a contact never bounces
    straight back to the person who just let it ring out — it goes to the next one.
    """
    last = contact.last_missed
    if not contact.excluded - {last}:
        return False
    contact.excluded = frozenset((last,)) if last else NOBODY
    return True
