"""Conversations: a contact from the answer to its close.

Connected, perhaps on hold, perhaps handed from one operator to another (each operator's
part is a *leg* with its own talk time), then wrap-up: the operator's slot stays taken
until they save the disposition or the queue's wrap-up time runs out. A contact closed
without a disposition may still get a late one.
"""

from __future__ import annotations

from typing import Any

from dozvon.core.clock import Clock
from dozvon.routing import events as ev
from dozvon.routing.admission import Admission
from dozvon.routing.events import Decision, decision
from dozvon.routing.matching import Matcher
from dozvon.routing.model import CONNECTED, WRAP_UP, Contact, Disposition, Offer, Operator
from dozvon.routing.outbox import Outbox
from dozvon.routing.queues import QueueState
from dozvon.routing.timers import Timers

#: The contact type after which a queue may give the operator recovery time.
COMPLAINT = "complaint"


class Conversations:
    __slots__ = ("_admission", "_clock", "_contacts", "_decided", "_emit", "_matcher", "_operators",
                 "_queues", "_sink", "_timers")

    def __init__(self, clock: Clock, queues: dict[str, QueueState], operators: dict[str, Operator],
                 contacts: dict[str, Contact], outbox: Outbox, timers: Timers, matcher: Matcher,
                 admission: Admission) -> None:
        self._clock = clock
        self._queues = queues
        self._operators = operators
        self._contacts = contacts
        self._emit = outbox.emit
        self._sink = outbox.sink
        self._decided = outbox.decided
        self._timers = timers
        self._matcher = matcher
        self._admission = admission

    def connect(self, contact: Contact, op: Operator, offer: Offer) -> None:
        """The operator answered this offer: a new leg starts, the contact is theirs."""
        self._admission.leave_queue(contact)
        now = self._clock.now()
        first = not contact.answered_once
        contact.state = CONNECTED
        contact.operator_id = op.cfg.id
        contact.leg_started = now
        contact.directed_to = None
        if first:
            contact.answered_at = now
            contact.answered_once = True
        op.contacts.add(contact.id)
        customer_id = contact.spec.customer_id
        if customer_id is not None:
            self._admission.remember_operator(customer_id, op.cfg.id)
        if self._sink is not None:
            self._sink.answered(now, contact.id, op.cfg.id, now - contact.enqueued_at, first,
                                now - offer.created_at)
        else:
            data: dict[str, Any] = {"wait_s": now - contact.enqueued_at, "first": first,
                                    "queue_wait_s": now - contact.queue_since, "ring_s": now - offer.created_at}
            if customer_id is not None:
                data["customer_id"] = customer_id
            self._emit("contact.answered", contact, op.cfg.id, **data)
        self._decided.append(decision(ev.CONNECT, contact.id, op.cfg.id, offer.id, None, contact.spec.channel))

    def hold(self, contact: Contact) -> None:
        if contact.hold_started is None:
            contact.hold_started = self._clock.now()
            self._emit("contact.held", contact, contact.operator_id)

    def resume(self, contact: Contact) -> None:
        if contact.hold_started is not None:
            held = self._clock.now() - contact.hold_started
            contact.hold_s += held
            contact.hold_started = None
            self._emit("contact.resumed", contact, contact.operator_id, hold_s=held)

    def hand_over(self, contact: Contact, to_operator: str | None, to_queue: str | None,
                  to_external: str | None, escalation: bool) -> None:
        """A transfer: the current operator's leg ends and their slot is free; where the
        contact goes next is the caller's business."""
        from_op = self._operators[contact.operator_id or ""]
        leg_talk = self._end_leg(contact, self._clock.now())
        contact.transfers += 1
        self._emit("contact.transferred", contact, from_op.cfg.id, to_operator=to_operator,
                   to_queue=to_queue, to_external=to_external, escalation=escalation,
                   leg_talk_s=leg_talk)
        from_op.contacts.discard(contact.id)
        self._matcher.release(from_op, contact.bucket)
        contact.operator_id = None

    def transfer_out(self, contact: Contact, number: str) -> None:
        """Handed to an external number: the call leaves the center."""
        self._decided.append(Decision(ev.TRANSFER_OUT, contact.id, target=number, channel=contact.spec.channel))
        contact.ended_at = self._clock.now()
        self._admission.close(contact, "transferred_external")

    def end(self, contact: Contact, by: str) -> None:
        """The conversation is over: wrap-up for the queue's wrap-up time (none: closed now)."""
        if self._start_wrap_up(contact, by) <= 0:
            self.finish(contact, None, True)
        else:
            self._timers.arm_wrap_up(contact.wrap_deadline or 0.0, contact.id)

    def close_with(self, contact: Contact, disposition: Disposition) -> None:
        """The disposition is saved: wrap-up ends (a conversation still going ends too) —
        unless it was a complaint and the queue gives recovery time: then the slot stays in
        wrap-up for that long and the contact closes with this disposition when it is over.
        Saving a disposition again during the recovery ends it at once."""
        if contact.state == CONNECTED:
            self._start_wrap_up(contact, "operator")
        recovery = self._queues[contact.queue].cfg.recovery_after_complaint_s
        if contact.recovering_with is None and disposition.contact_type == COMPLAINT and recovery > 0:
            contact.recovering_with = disposition.to_dict()
            contact.wrap_deadline = self._clock.now() + recovery  # the earlier wrap-up timer goes stale
            self._timers.arm(contact.wrap_deadline, "wrap_up", contact.id)
            return
        contact.recovering_with = None
        self.finish(contact, disposition, False)

    def wrap_up_over(self, contact: Contact) -> None:
        """The wrap-up timer: the queue's wrap-up time ran out (no disposition yet), or the
        recovery after a complaint is over (the disposition saved before it closes the contact)."""
        if contact.recovering_with is not None:
            saved = Disposition(**contact.recovering_with)
            contact.recovering_with = None
            self.finish(contact, saved, False)
        else:
            self.finish(contact, None, True)

    def late_disposition(self, contact: Contact, disposition: Disposition) -> None:
        """A disposition for a contact whose wrap-up ran out: recorded, and the contact goes."""
        self._emit("contact.disposition", contact, contact.operator_id, late=True, **disposition.to_dict())
        del self._contacts[contact.id]

    def finish(self, contact: Contact, disposition: Disposition | None, timed_out: bool) -> None:
        """Wrap-up is over (saved, or its time ran out): close the contact, free the slot."""
        op = self._operators.get(contact.operator_id or "")
        if self._sink is None:  # events no KPI reads: not handed to a sink
            if disposition is not None:
                self._emit("contact.disposition", contact, contact.operator_id, late=False,
                           **disposition.to_dict())
            now = self._clock.now()
            ended = contact.ended_at if contact.ended_at is not None else now
            self._emit("contact.wrap_up_ended", contact, contact.operator_id,
                       wrap_s=now - ended, timed_out=timed_out)
        self._admission.close(contact, "handled", "wrap_up_timeout" if timed_out else None,
                              disposition_missing=disposition is None)
        if op is not None:
            op.contacts.discard(contact.id)
            self._matcher.release(op, contact.bucket)

    def _start_wrap_up(self, contact: Contact, by: str) -> float:
        """Stop the talk clock and enter wrap-up; returns the queue's wrap-up limit."""
        now = self._clock.now()
        self._end_leg(contact, now)
        contact.ended_at = now
        contact.state = WRAP_UP
        wrap = self._queues[contact.queue].cfg.wrap_up_s
        contact.wrap_deadline = now + wrap
        if self._sink is None:  # no KPI reads it: not handed to a sink
            self._emit("contact.ended", contact, contact.operator_id, by=by,
                       talk_s=contact.talk_s - contact.hold_s, hold_s=contact.hold_s, wrap_up_s=wrap)
        return wrap

    @staticmethod
    def _end_leg(contact: Contact, now: float) -> float:
        """Stop the talk clock of the current operator's leg; returns the leg's talk time."""
        if contact.hold_started is not None:
            contact.hold_s += now - contact.hold_started
            contact.hold_started = None
        talk = now - (contact.leg_started or now)
        contact.talk_s += talk
        contact.leg_started = None
        return talk
