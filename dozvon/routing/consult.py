"""Consultations: an attended transfer to a queue, routed by the engine.

The operator talking to the customer (A) wants to hand them to a queue but talk to whoever
answers there first. The consultation is the contact itself, routed in that queue exactly
as a blind transfer's would be — admission (a closed or full queue refuses it up front,
since A is still there to hear the refusal), skills, priority, the queue's strategy, offers
with its ring timeout and RONA to the next operator, waiting when nobody is free — with
three differences that keep A on the call:

* A keeps the contact (``operator_id``) and its slot: no new offers to A, who is never
  offered their own consultation (:meth:`~dozvon.routing.matching.Matcher.eligible`);
  the caller is on hold from the start (``contact.held``), so A's handle time counts the
  consultation as hold time, as it is for the caller.
* The operator who accepts the offer (B) is *not* connected to the caller: the contact
  goes back to ``connected`` with A, B's slot is taken by it (``consult_with``) and
  ``consult.answered`` tells the voice layer to bridge B's softphone to A's. No
  ``contact.answered`` yet: an answer the KPIs count would need its undoing if A went back.
* A completes (a transfer to the queue: A's leg ends and A's slot is free as after a blind
  transfer, one ``contact.transferred``, then B's ``contact.answered`` in the queue and the
  ``connect`` decision that bridges the caller to B) or cancels (the offers withdrawn or B
  released, the contact back in A's queue, ``contact.resumed``; no transfer is counted).
  The customer leaving at any moment ends the consultation and then the conversation by the
  customer, with A: never an abandon, since the contact was answered.

State on the contact (stored by the snapshot like every field): ``consult_by`` (A; a
consultation is under way while it is set), ``consult_back`` (the queue to go back to),
``consult_with`` (B, once answered), ``consult_at`` (when it began).
"""

from __future__ import annotations

from typing import Any

from dozvon.core.clock import Clock
from dozvon.core.errors import Conflict
from dozvon.core.i18n import register
from dozvon.routing import events as ev
from dozvon.routing.admission import Admission
from dozvon.routing.conversation import Conversations
from dozvon.routing.events import decision
from dozvon.routing.matching import Matcher
from dozvon.routing.model import CONNECTED, OFFERED, WAITING, Contact, Offer, Operator
from dozvon.routing.offers import Offering
from dozvon.routing.outbox import Outbox
from dozvon.routing.queues import QueueState

register("routing.consulting", "Contact {contact!r} is in a consultation: hand the customer over or go back to them "
         "first", "По обращению {contact!r} идёт консультация: сначала передайте клиента или вернитесь к нему")
register("routing.not_consulting", "Contact {contact!r} has no consultation under way",
         "По обращению {contact!r} консультация не идёт")
register("routing.consult_unanswered", "Nobody in queue {queue!r} has answered the consultation about contact "
         "{contact!r} yet", "В очереди {queue!r} ещё никто не ответил на консультацию по обращению {contact!r}")
register("routing.queue_full", "Queue {queue!r} is full now", "Очередь {queue!r} сейчас переполнена")
register("routing.same_queue_consult", "Contact {contact!r} is already in queue {queue!r}: consult a colleague "
         "instead", "Обращение {contact!r} уже в очереди {queue!r}: позовите коллегу напрямую")

#: How a consultation ended (``consult.ended``'s ``outcome``).
COMPLETED = "completed"
CANCELLED = "cancelled"
DECLINED = "declined"
CUSTOMER_LEFT = "customer_left"


class Consultations:
    __slots__ = ("_admission", "_clock", "_conversations", "_decided", "_emit", "_matcher", "_offering",
                 "_operators", "_queues")

    def __init__(self, clock: Clock, queues: dict[str, QueueState], operators: dict[str, Operator],
                 outbox: Outbox, matcher: Matcher, admission: Admission, offering: Offering,
                 conversations: Conversations) -> None:
        self._clock = clock
        self._queues = queues
        self._operators = operators
        self._emit = outbox.emit
        self._decided = outbox.decided
        self._matcher = matcher
        self._admission = admission
        self._offering = offering
        self._conversations = conversations

    def check_start(self, contact: Contact, state: QueueState) -> None:
        """Refuse before changing anything: a queue that would turn the contact away (A is
        still on the line to hear why), the queue the contact is already in."""
        name = state.cfg.name
        if contact.consult_by is not None:
            raise Conflict("routing.consulting", contact=contact.id)
        if name == contact.queue:
            raise Conflict("routing.same_queue_consult", contact=contact.id, queue=name)
        if not state.open and state.cfg.hours is not None:
            raise Conflict("routing.queue_closed", queue=name)
        if state.cfg.max_length is not None and state.waiting_count >= state.cfg.max_length:
            raise Conflict("routing.queue_full", queue=name)

    def start(self, contact: Contact, state: QueueState) -> None:
        """The caller on hold, the contact waiting in ``state`` for an operator to talk to A.

        No maximum wait: A is waiting with the caller and decides when to give up (a
        queue's ``on_max_wait`` would turn away a customer somebody is still talking to)."""
        a = contact.operator_id
        self._conversations.hold(contact)
        contact.consult_by = a
        contact.consult_back = contact.queue
        contact.consult_at = self._clock.now()
        self._emit("consult.started", contact, a, to_queue=state.cfg.name)
        self._admission.place(contact, state, "consult")
        contact.max_wait_at = None  # its timer, if armed, is stale now

    def answered(self, contact: Contact, b: Operator, offer: Offer) -> None:
        """B accepted the offer: B talks to A (B's slot, taken by the offer, stays taken);
        the caller stays on hold with A."""
        self._admission.leave_queue(contact)
        now = self._clock.now()
        contact.state = CONNECTED
        contact.consult_with = b.cfg.id
        b.contacts.add(contact.id)
        b.missed = 0
        self._emit("consult.answered", contact, b.cfg.id, offer_id=offer.id, ring_s=now - offer.created_at,
                   wait_s=now - contact.queue_since, by=contact.consult_by)

    def complete(self, contact: Contact) -> None:
        """A hands the caller to B: a transfer to the queue (A's leg ends, A's slot is
        free, one ``contact.transferred`` logged in A's queue), then B's answer in the
        queue and the ``connect`` that bridges the caller to B."""
        b_id = contact.consult_with
        if b_id is None:
            raise Conflict("routing.consult_unanswered", contact=contact.id, queue=contact.queue)
        now = self._clock.now()
        queue = contact.queue
        self._ended(contact, COMPLETED, now)
        contact.queue = contact.consult_back or queue
        self._conversations.hand_over(contact, None, queue, None, False)
        contact.queue = queue
        self._clear(contact)
        b = self._operators[b_id]
        contact.operator_id = b_id
        contact.leg_started = now
        customer_id = contact.spec.customer_id
        if customer_id is not None:
            self._admission.remember_operator(customer_id, b_id)
        data: dict[str, Any] = {"wait_s": now - contact.enqueued_at, "first": False,
                                "queue_wait_s": now - contact.queue_since, "ring_s": 0.0}
        if customer_id is not None:
            data["customer_id"] = customer_id
        self._emit("contact.answered", contact, b_id, **data)
        b.contacts.add(contact.id)  # (already there: B's slot has held it since the answer)
        self._decided.append(decision(ev.CONNECT, contact.id, b_id, None, None, contact.spec.channel))

    def cancel(self, contact: Contact, outcome: str) -> None:
        """Back to the caller (A went back, B declined or hung up, or the customer left):
        ringing offers withdrawn or B released, the contact in A's queue again. The hold
        ends (``contact.resumed``) unless the customer left (the end of the conversation
        closes it)."""
        now = self._clock.now()
        if contact.state in (WAITING, OFFERED):
            self._offering.withdraw_all(contact, "abandoned" if outcome == CUSTOMER_LEFT else "consult_ended")
            self._admission.leave_queue(contact)
        b_id = contact.consult_with
        self._ended(contact, outcome, now)
        if b_id is not None:
            b = self._operators.get(b_id)
            if b is not None:
                b.contacts.discard(contact.id)
                self._matcher.release(b, contact.bucket)
        contact.queue = contact.consult_back or contact.queue
        contact.state = CONNECTED
        self._clear(contact)
        if outcome != CUSTOMER_LEFT:
            self._conversations.resume(contact)

    def _ended(self, contact: Contact, outcome: str, now: float) -> None:
        self._emit("consult.ended", contact, contact.consult_by, outcome=outcome, colleague=contact.consult_with,
                   consult_s=now - (contact.consult_at if contact.consult_at is not None else now),
                   to_queue=contact.queue)

    @staticmethod
    def _clear(contact: Contact) -> None:
        contact.consult_by = contact.consult_back = contact.consult_with = None
        contact.consult_at = None
