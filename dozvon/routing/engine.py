"""The routing engine: commands in, decisions and events out, time from an injected clock.

Every public method is one command. It validates first (raising a
:class:`~dozvon.core.errors.DozvonError` and changing nothing on bad input), then changes
state, appends events to :attr:`RoutingEngine.events` and returns the decisions for the
adapters.

Timers (offer deadlines, wrap-up, maximum wait, sticky wait, opening hours) live in one
heap; :meth:`RoutingEngine.advance` fires those that are due on the clock and
:meth:`RoutingEngine.next_deadline` says when the driver should call it next.
"""

from __future__ import annotations

import heapq
from typing import Any

from dozvon.core.errors import Conflict, InvalidInput
from dozvon.routing import events as ev
from dozvon.routing.dispatch import CLOSED, Dispatcher
from dozvon.routing.events import Decision, RoutingEvent
from dozvon.routing.model import (
    AVAILABLE,
    BREAK,
    CONNECTED,
    OFFERED,
    OFFLINE,
    OPERATOR_STATES,
    WAITING,
    WRAP_UP,
    Contact,
    ContactSpec,
    Disposition,
    Offer,
    Operator,
)
from dozvon.routing.queues import QueueState


class RoutingEngine(Dispatcher):
    """One contact center's (one project's) routing: the commands."""

    # ------------------------------------------------------------------ contacts

    def contact_arrived(self, spec: ContactSpec) -> list[Decision]:
        """A new inbound contact: stored by the caller, now queued, offered or turned away."""
        state = self._queue(spec.queue)
        bucket = spec.bucket(self.settings.channel_buckets)
        if spec.id in self.contacts:
            raise Conflict("routing.duplicate_contact", contact=spec.id)
        now = self.clock.now()
        priority = (spec.priority + state.cfg.priority
                    + self.settings.segment_priority.get(spec.segment or "", 0))
        contact = Contact(spec=spec, bucket=bucket, queue=spec.queue, priority=priority,
                          arrived_at=now, enqueued_at=now, queue_since=now)
        self.contacts[spec.id] = contact
        data: dict[str, Any] = {"priority": priority}
        for name in ("customer_id", "segment", "source", "language"):
            value = getattr(spec, name)
            if value is not None:
                data[name] = value
        if spec.flags:
            data["flags"] = list(spec.flags)
        self._emit("contact.arrived", contact, **data)
        self._admit(contact, state, "arrival")
        self._settle()
        return self._decisions()

    def customer_left(self, contact_id: str) -> list[Decision]:
        """The customer hung up or closed the chat: abandon if unanswered, else end it."""
        contact = self._contact(contact_id)
        if contact.state in (WRAP_UP, CLOSED):
            return []  # already over for the customer; a late hang-up signal changes nothing
        if contact.state == CONNECTED:
            return self.end_contact(contact_id, by="customer")
        was = contact.state
        for offer in list(contact.offers.values()):
            self._end_offer(offer, "withdrawn", "abandoned")
        self._leave_queue(contact)
        wait = self.clock.now() - contact.enqueued_at
        self._emit("contact.abandoned", contact, wait_s=wait, **{"while": was},
                   queue_wait_s=self.clock.now() - contact.queue_since)
        state = self.queues[contact.queue]
        if state.cfg.callback_on_abandon:
            self._emit("callback.created", contact, reason="abandoned",
                       customer_id=contact.spec.customer_id)
            self._out.append(Decision(ev.CALLBACK, contact_id, reason="abandoned",
                                      target=contact.spec.customer_id, channel=contact.spec.channel))
        self._close(contact, "abandoned", was)
        self._settle()
        return self._decisions()

    def record_message(self, contact_id: str, direction: str, message_id: str, text: str,
                       author: str | None = None) -> list[Decision]:
        """A message of a text conversation, logged so that the operator's stream carries
        it (``in``: from the customer; ``out``: from the operator, who must hold it)."""
        contact = self._contact(contact_id)
        if direction == "out":
            self._require_state(contact, CONNECTED)
            if author is not None and contact.operator_id != author:
                raise Conflict("routing.not_your_contact", contact=contact_id)
        else:
            self._require_state(contact, WAITING, OFFERED, CONNECTED)
        type_ = "message.received" if direction == "in" else "message.sent"
        self._emit(type_, contact, contact.operator_id, message_id=message_id, text=text,
                   author=author)
        return []

    def note(self, type_: str, contact_id: str | None = None, operator_id: str | None = None, *,
             queue: str | None = None, channel: str | None = None, at: float | None = None,
             **data: Any) -> None:
        """Log a fact the engine does not route on (a message delivered to the customer, a
        survey answer, imported history at its own time ``at``): it gets the project's next
        ``seq`` like every other event. Queue and channel default to the contact's while the
        engine still holds it; for a forgotten contact the caller names them."""
        contact = self.contacts.get(contact_id or "")
        if contact is not None:
            queue = queue or contact.queue
            channel = channel or contact.spec.channel
        self.event_seq += 1
        self.events.append(RoutingEvent(self.event_seq, type_, self.clock.now() if at is None else at,
                                        contact_id, operator_id, queue, channel, data))

    # ------------------------------------------------------------------ offers

    def _open_offer(self, offer_id: str, operator_id: str | None) -> Offer:
        offer = self.offers.get(offer_id)
        if offer is None:
            raise Conflict("routing.unknown_offer", offer=offer_id)
        if operator_id is not None and offer.operator_id != operator_id:
            raise Conflict("routing.wrong_operator", offer=offer_id)
        return offer

    def accept(self, offer_id: str, operator_id: str | None = None) -> list[Decision]:
        """The operator answered: the contact is theirs, every other offer is withdrawn."""
        offer = self._open_offer(offer_id, operator_id)
        contact = self.contacts[offer.contact_id]
        op = self.operators[offer.operator_id]
        now = self.clock.now()
        del self.offers[offer_id]
        del contact.offers[offer_id]
        op.offers.discard(offer_id)
        op.missed = 0
        self._emit("offer.accepted", contact, op.cfg.id, offer_id=offer_id,
                   ring_s=now - offer.created_at)
        for other in list(contact.offers.values()):
            self._end_offer(other, "withdrawn", "answered_elsewhere")
        self._leave_queue(contact)
        first = not contact.answered_once
        contact.state = CONNECTED
        contact.operator_id = op.cfg.id
        contact.leg_started = now
        contact.directed_to = None
        if first:
            contact.answered_at = now
            contact.answered_once = True
        op.contacts.add(contact.spec.id)
        data: dict[str, Any] = {"wait_s": now - contact.enqueued_at, "first": first,
                                "queue_wait_s": now - contact.queue_since, "ring_s": now - offer.created_at}
        if contact.spec.customer_id is not None:
            data["customer_id"] = contact.spec.customer_id
            if self.settings.remember_last_operator:
                self.last_operator[contact.spec.customer_id] = (op.cfg.id, now)
        self._emit("contact.answered", contact, op.cfg.id, **data)
        self._out.append(Decision(ev.CONNECT, contact.spec.id, op.cfg.id, offer_id,
                                  channel=contact.spec.channel))
        self._settle()
        return self._decisions()

    def decline(self, offer_id: str, operator_id: str | None = None,
                reason: str | None = None) -> list[Decision]:
        """The operator said no: the contact goes to the next operator."""
        offer = self._open_offer(offer_id, operator_id)
        contact = self.contacts[offer.contact_id]
        op = self.operators[offer.operator_id]
        self._end_offer(offer, "declined", reason)
        self._after_failed_offer(contact, op)
        self._settle()
        return self._decisions()

    def _offer_timed_out(self, offer: Offer) -> None:
        contact = self.contacts[offer.contact_id]
        op = self.operators[offer.operator_id]
        self._end_offer(offer, "timed_out", "no_answer")
        op.missed += 1
        limit = self.settings.max_missed_offers
        if limit and op.missed >= limit and op.state == AVAILABLE:
            self._set_state(op, BREAK, "missed_offers")
        self._after_failed_offer(contact, op)

    # ------------------------------------------------------------------ conversation

    def _own(self, contact: Contact, operator_id: str | None) -> None:
        if operator_id is not None and contact.operator_id != operator_id:
            raise Conflict("routing.not_your_contact", contact=contact.spec.id)

    def hold(self, contact_id: str, operator_id: str | None = None) -> list[Decision]:
        contact = self._contact(contact_id)
        self._require_state(contact, CONNECTED)
        self._own(contact, operator_id)
        if contact.hold_started is None:
            contact.hold_started = self.clock.now()
            self._emit("contact.held", contact, contact.operator_id)
        return self._decisions()

    def resume(self, contact_id: str, operator_id: str | None = None) -> list[Decision]:
        contact = self._contact(contact_id)
        self._require_state(contact, CONNECTED)
        self._own(contact, operator_id)
        if contact.hold_started is not None:
            held = self.clock.now() - contact.hold_started
            contact.hold_s += held
            contact.hold_started = None
            self._emit("contact.resumed", contact, contact.operator_id, hold_s=held)
        return self._decisions()

    def _end_leg(self, contact: Contact) -> float:
        """Stop the talk clock of the current operator's leg; returns the leg's talk time."""
        now = self.clock.now()
        if contact.hold_started is not None:
            contact.hold_s += now - contact.hold_started
            contact.hold_started = None
        talk = now - (contact.leg_started or now)
        contact.talk_s += talk
        contact.leg_started = None
        return talk

    def end_contact(self, contact_id: str, by: str = "operator",
                    operator_id: str | None = None) -> list[Decision]:
        """The conversation is over; the operator goes into wrap-up for this contact."""
        contact = self._contact(contact_id)
        self._require_state(contact, CONNECTED)
        self._own(contact, operator_id)
        wrap = self._end_conversation(contact, by)
        if wrap <= 0:
            self._finish(contact, None, timed_out=True)
        else:
            self._timer(contact.wrap_deadline or 0.0, "wrap_up", contact_id)
        self._settle()
        return self._decisions()

    def _end_conversation(self, contact: Contact, by: str) -> float:
        """Stop the talk clock and enter wrap-up; returns the queue's wrap-up limit."""
        now = self.clock.now()
        self._end_leg(contact)
        contact.ended_at = now
        contact.state = WRAP_UP
        wrap = self.queues[contact.queue].cfg.wrap_up_s
        contact.wrap_deadline = now + wrap
        self._emit("contact.ended", contact, contact.operator_id, by=by,
                   talk_s=contact.talk_s - contact.hold_s, hold_s=contact.hold_s, wrap_up_s=wrap)
        return wrap

    def finish_wrap_up(self, contact_id: str, disposition: Disposition,
                       operator_id: str | None = None) -> list[Decision]:
        """The operator saved the disposition: the contact is closed and the slot is free.

        Allowed straight from a conversation too ("close the dialogue" button): the
        conversation ends and the wrap-up finishes in one step, with no wrap-up time. On a
        contact whose wrap-up already ran out, it records the late disposition.
        """
        disposition.validate()
        contact = self._contact(contact_id)
        self._own(contact, operator_id)
        if contact.state == CLOSED:
            self._emit("contact.disposition", contact, contact.operator_id, late=True,
                       **disposition.to_dict())
            del self.contacts[contact_id]
            return self._decisions()
        self._require_state(contact, CONNECTED, WRAP_UP)
        if contact.state == CONNECTED:
            self._end_conversation(contact, "operator")
        self._finish(contact, disposition, timed_out=False)
        self._settle()
        return self._decisions()

    def _finish(self, contact: Contact, disposition: Disposition | None, timed_out: bool) -> None:
        op = self.operators.get(contact.operator_id or "")
        if disposition is not None:
            self._emit("contact.disposition", contact, contact.operator_id, late=False,
                       **disposition.to_dict())
        ended = contact.ended_at if contact.ended_at is not None else self.clock.now()
        self._emit("contact.wrap_up_ended", contact, contact.operator_id,
                   wrap_s=self.clock.now() - ended, timed_out=timed_out)
        self._close(contact, "handled", "wrap_up_timeout" if timed_out else None,
                    disposition_missing=disposition is None)
        if op is not None:
            op.contacts.discard(contact.spec.id)
            self._release(op, contact.bucket)

    # ------------------------------------------------------------------ transfers

    def transfer(self, contact_id: str, *, to_operator: str | None = None,
                 to_queue: str | None = None, to_external: str | None = None,
                 operator_id: str | None = None, escalation: bool = False) -> list[Decision]:
        """Hand a connected contact to another operator, queue or an external number."""
        if sum(x is not None for x in (to_operator, to_queue, to_external)) != 1:
            raise InvalidInput("routing.transfer_target")
        contact = self._contact(contact_id)
        self._require_state(contact, CONNECTED)
        self._own(contact, operator_id)
        target_op = self._operator(to_operator) if to_operator is not None else None
        target_queue = self._queue(to_queue) if to_queue is not None else None
        if target_op is not None and (not self.has_capacity(target_op, contact.bucket)
                                      or target_op.cfg.id == contact.operator_id):
            raise Conflict("routing.operator_busy", operator=target_op.cfg.id)
        from_op = self.operators[contact.operator_id or ""]
        leg_talk = self._end_leg(contact)
        contact.transfers += 1
        self._emit("contact.transferred", contact, from_op.cfg.id, to_operator=to_operator,
                   to_queue=to_queue, to_external=to_external, escalation=escalation,
                   leg_talk_s=leg_talk)
        from_op.contacts.discard(contact_id)
        self._release(from_op, contact.bucket)
        contact.operator_id = None
        if to_external is not None:
            self._out.append(Decision(ev.TRANSFER_OUT, contact_id, target=to_external,
                                      channel=contact.spec.channel))
            contact.ended_at = self.clock.now()
            self._close(contact, "transferred_external")
        elif target_op is not None:
            state = self.queues[contact.queue]
            contact.state = WAITING
            state.waiting_count += 1
            contact.queue_since = self.clock.now()
            contact.excluded = set()
            contact.directed_to = target_op.cfg.id
            self._emit("contact.queued", contact, reason="transfer", priority=contact.priority,
                       target_answer_s=state.cfg.target_answer_s, directed_to=target_op.cfg.id)
            self._offer(contact, target_op, state)
        elif target_queue is not None:
            contact.state = WAITING  # so that _enqueue counts it in the new queue
            self._admit(contact, target_queue, "escalation" if escalation else "transfer")
        self._settle()
        return self._decisions()

    def escalate(self, contact_id: str, operator_id: str | None = None) -> list[Decision]:
        """Send a contact to its queue's escalation queue (senior operators, supervisors)."""
        contact = self._contact(contact_id)
        target = self.queues[contact.queue].cfg.escalation_queue
        if not target:
            raise Conflict("routing.no_escalation", queue=contact.queue)
        return self.transfer(contact_id, to_queue=target, operator_id=operator_id,
                             escalation=True)

    # ------------------------------------------------------------------ operators

    def login(self, operator_id: str, state: str = AVAILABLE) -> list[Decision]:
        return self.set_state(operator_id, state)

    def logout(self, operator_id: str) -> list[Decision]:
        """Log out: offers ringing for them go to others; their open contacts stay theirs."""
        if self._operator(operator_id).state == OFFLINE:
            return []
        return self.set_state(operator_id, OFFLINE)

    def set_state(self, operator_id: str, state: str, reason: str | None = None) -> list[Decision]:
        """Available, break (with a reason) or offline, as the operator or a supervisor sets."""
        if state not in OPERATOR_STATES:
            raise InvalidInput("routing.bad_operator_state", value=state,
                               allowed=", ".join(OPERATOR_STATES))
        op = self._operator(operator_id)
        if op.state == OFFLINE and state != OFFLINE:
            self._emit("operator.logged_in", None, operator_id)
        self._set_state(op, state, reason if state == BREAK else None)
        if state == OFFLINE:
            self._emit("operator.logged_out", None, operator_id)
        self._settle()
        return self._decisions()

    def _set_state(self, op: Operator, state: str, reason: str | None) -> None:
        if op.state == state and op.reason == reason:
            return
        now = self.clock.now()
        previous = op.state
        op.state, op.reason, op.state_since = state, reason, now
        if state == AVAILABLE:
            op.missed = 0
            if not op.contacts:
                op.idle_since = now
        self._emit("operator.state_changed", None, op.cfg.id, to=state, **{"from": previous},
                   reason=reason)
        if state != AVAILABLE:
            for offer_id in sorted(op.offers):
                offer = self.offers[offer_id]
                contact = self.contacts[offer.contact_id]
                self._end_offer(offer, "withdrawn", "operator_unavailable")
                if not contact.offers:
                    self._back_to_queue(contact)
        self._refresh(op)
        self._pending_ops.append(op)

    # ------------------------------------------------------------------ time

    def next_deadline(self) -> float | None:
        """When :meth:`advance` has work next (None: no timer pending)."""
        timers = self._timers
        while timers:
            at, _, key, kind = timers[0]
            if self._timer_valid(at, kind, key):
                return at
            heapq.heappop(timers)
        return None

    def _timer_valid(self, at: float, kind: str, key: str) -> bool:
        if kind == "offer":
            offer = self.offers.get(key)
            return offer is not None and offer.deadline == at
        if kind == "hours":
            state = self.queues.get(key)
            return state is not None and state.next_change == at
        contact = self.contacts.get(key)
        if contact is None:
            return False
        if kind == "wrap_up":
            return contact.state == WRAP_UP and contact.wrap_deadline == at
        if kind == "max_wait":
            return contact.state in (WAITING, OFFERED) and contact.max_wait_at == at
        if kind == "sticky":
            return contact.state in (WAITING, OFFERED) and contact.sticky_until == at
        return kind == "forget" and contact.state == CLOSED

    def advance(self) -> list[Decision]:
        """Fire every timer that is due by the clock's current time, in deadline order."""
        now = self.clock.now()
        timers = self._timers
        while timers and timers[0][0] <= now:
            at, _, key, kind = heapq.heappop(timers)
            if not self._timer_valid(at, kind, key):
                continue
            if kind == "offer":
                self._offer_timed_out(self.offers[key])
            elif kind == "hours":
                self._hours_changed(self.queues[key])
            elif kind == "wrap_up":
                self._finish(self.contacts[key], None, timed_out=True)
            elif kind == "max_wait":
                self._max_wait_timer(self.contacts[key])
            elif kind == "sticky":
                self._sticky_expired(self.contacts[key])
            elif kind == "forget":
                # The window for a late disposition closed: say so, so that the stored
                # state of the contact goes too.
                self._emit("contact.disposition_window_closed", self.contacts[key], self.contacts[key].operator_id)
                del self.contacts[key]
            self._settle()
        return self._decisions()

    def _max_wait_timer(self, contact: Contact) -> None:
        if contact.state == OFFERED:
            contact.max_wait_due = True  # let the ringing offer finish first
            return
        self._max_wait_reached(contact)

    def _sticky_expired(self, contact: Contact) -> None:
        contact.sticky_operator = None
        contact.sticky_until = None
        if contact.state == WAITING:
            self._emit("contact.sticky_expired", contact)
            self._pending_contacts.append(contact)

    def _hours_changed(self, state: QueueState) -> None:
        was_open = state.open
        self._schedule_hours(state)
        if state.open != was_open:
            self._emit("queue.opened" if state.open else "queue.closed", None,
                       queue=state.cfg.name)
