"""The routing engine: commands in, decisions and events out, time from an injected clock.

Every public method is one command. It validates first (raising a
:class:`~dozvon.core.errors.DozvonError` and changing nothing on bad input), then changes
state, appends events to :attr:`RoutingEngine.events` and returns the decisions for the
adapters.

The engine coordinates; the work is done by its parts, which share its state (queues,
operators, contacts, offers) and one outbox:

- :class:`~dozvon.routing.timers.Timers` — the one timer heap (offer deadlines, wrap-up,
  maximum wait, sticky wait, opening hours); :meth:`RoutingEngine.advance` fires those
  that are due and :meth:`RoutingEngine.next_deadline` says when to call it next;
- :class:`~dozvon.routing.admission.Admission` — into a queue (hours, length, wait
  limits and what happens instead), back into line, and the contact's close;
- :class:`~dozvon.routing.matching.Matcher` — who takes what: the heaps of ready
  operators and waiting contacts;
- :class:`~dozvon.routing.offers.Offering` — offers made and ended, and the routing that
  each command ends with;
- :class:`~dozvon.routing.conversation.Conversations` — from the answer to the close:
  hold, transfer legs, wrap-up, dispositions;
- :class:`~dozvon.routing.consult.Consultations` — an attended transfer to a queue: the
  contact routed in the queue while its operator stays on the call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from heapq import heappop
from typing import Any

from dozvon.core.clock import Clock
from dozvon.core.errors import Conflict, InvalidInput, NotFound
from dozvon.routing.admission import Admission
from dozvon.routing.consult import CANCELLED, CUSTOMER_LEFT, DECLINED, Consultations
from dozvon.routing.conversation import Conversations
from dozvon.routing.events import Decision, EventSink, RoutingEvent
from dozvon.routing.heaps import NATIVE, pop
from dozvon.routing.matching import Matcher
from dozvon.routing.model import (
    AVAILABLE,
    BREAK,
    CLOSED,
    CONNECTED,
    OFFERED,
    OFFLINE,
    OPERATOR_STATES,
    WAITING,
    WRAP_UP,
    Action,
    Contact,
    ContactSpec,
    Disposition,
    EngineSettings,
    Offer,
    Operator,
    OperatorConfig,
    QueueConfig,
)
from dozvon.routing.offers import Offering
from dozvon.routing.outbox import Outbox
from dozvon.routing.presence import derive_presence
from dozvon.routing.queues import QueueState
from dozvon.routing.timers import Entry, Timers


class RoutingEngine:
    """One contact center's (one project's) routing: the commands."""

    def __init__(
        self,
        clock: Clock,
        queues: Iterable[QueueConfig] = (),
        operators: Iterable[OperatorConfig] = (),
        settings: EngineSettings | None = None,
        sink: EventSink | None = None,
        timer_heap: list[Any] | None = None,
        offer_timers: bool = True,
    ) -> None:
        """Three options for a driver that needs speed more than a log (the simulator):
        ``sink``: keep no events, hand them to the sink instead (the KPIs — see
        :class:`~dozvon.routing.events.EventSink`); ``timer_heap``: arm timers in a
        heap the driver holds and pops beside its own events (see
        :class:`~dozvon.routing.timers.Timers`); ``offer_timers=False`` (with a
        ``timer_heap`` only): the driver arms each offer's deadline itself, from the offer
        decision (``deadline``), and only for an offer that may still ring when it comes —
        a driver that knows the operator will answer in time (the simulator) leaves no
        timer that could never fire. An offer whose deadline is already due (a timeout of
        0) is armed here all the same, so that :meth:`advance` fires it as it would."""
        if not offer_timers and timer_heap is None:
            raise ValueError("offer_timers=False needs a timer_heap the driver arms them in")
        self._clock = clock
        self._settings = settings or EngineSettings()
        # The state every part shares: changed in place, never replaced.
        self._queues: dict[str, QueueState] = {}
        self._operators: dict[str, Operator] = {}
        self._contacts: dict[str, Contact] = {}
        self._offers: dict[str, Offer] = {}
        self._outbox = Outbox(clock, sink)
        self._timers = Timers(self._queues, self._contacts, self._offers, timer_heap)
        self._matcher = Matcher(clock, self._settings, self._queues, self._operators, self._contacts)
        self._admission = Admission(clock, self._settings, self._queues, self._operators, self._contacts,
                                    self._outbox, self._timers, self._matcher)
        self._offering = Offering(clock, self._queues, self._operators, self._contacts, self._offers,
                                  self._outbox, self._timers, self._matcher, self._admission)
        self._conversations = Conversations(clock, self._queues, self._operators, self._contacts,
                                            self._outbox, self._timers, self._matcher, self._admission)
        self._consults = Consultations(clock, self._queues, self._operators, self._outbox, self._matcher,
                                       self._admission, self._offering, self._conversations)
        self._offering.arm_offers = offer_timers
        self._woken_contacts = self._matcher.woken_contacts
        self._woken_operators = self._matcher.woken_operators
        self._decided = self._outbox.decided
        self._emit = self._outbox.emit
        self._sink = sink
        self._next_operator_order = 0
        # Read-only views for drivers: the same dicts the parts change in place (plain
        # attributes, not properties — the simulator reads them on every event).
        self.queues: dict[str, QueueState] = self._queues
        self.operators: dict[str, Operator] = self._operators
        self.contacts: dict[str, Contact] = self._contacts
        self.offers: dict[str, Offer] = self._offers
        #: When :meth:`advance` has work next (None: no timer pending).
        self.next_deadline: Callable[[], float | None] = self._timers.next_deadline
        #: Take the events appended since the last drain (the driver persists them).
        self.drain_events: Callable[[], list[RoutingEvent]] = self._outbox.drain_events
        for cfg in queues:
            self.add_queue(cfg)
        for op_cfg in operators:
            self.add_operator(op_cfg)

    # ------------------------------------------------------------------ state, read-only

    def timer_is_live(self, timer: Entry) -> bool:
        """Whether a timer of a shared ``timer_heap`` is live (a stale one is popped unfired).
        (A method, not the timers' bound method kept as an attribute: a compiled driver
        calls it natively, once for every timer that comes due.)"""
        return self._timers.is_live(timer)

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def settings(self) -> EngineSettings:
        return self._settings

    # ------------------------------------------------------------------ counters and outbox

    @property
    def events(self) -> list[RoutingEvent]:
        """The outbox: events appended in order; the driver drains it."""
        return self._outbox.events

    @events.setter
    def events(self, value: list[RoutingEvent]) -> None:
        self._outbox.events = value

    @property
    def event_seq(self) -> int:
        return self._outbox.seq

    @event_seq.setter
    def event_seq(self, value: int) -> None:
        self._outbox.seq = value

    @property
    def offer_seq(self) -> int:
        return self._offering.seq

    @offer_seq.setter
    def offer_seq(self, value: int) -> None:
        self._offering.seq = value

    @property
    def issued(self) -> list[Decision] | None:
        """Every decision handed out, kept for a driver that carries them out after its
        commit (the server); None (the simulator): not kept."""
        return self._outbox.issued

    @issued.setter
    def issued(self, value: list[Decision] | None) -> None:
        self._outbox.issued = value

    @property
    def last_operator(self) -> dict[str, tuple[str, float]]:
        """customer id -> (operator id, time the operator answered them), for sticky routing."""
        return self._admission.last_operator

    @last_operator.setter
    def last_operator(self, value: dict[str, tuple[str, float]]) -> None:
        self._admission.last_operator = value

    def drain_decisions(self) -> list[Decision]:
        """Take the decisions handed out since the last drain (when :attr:`issued` is kept)."""
        return self._outbox.drain_decisions()

    def _done(self) -> list[Decision]:
        """End of a command that may have freed work: route it, return what was decided.

        (The worklists' check and :meth:`Outbox.take_decisions` written out: every
        command ends here.)"""
        if self._woken_contacts or self._woken_operators:
            self._offering.settle()
        decided = self._decided
        if not decided:
            return []
        out = decided[:]
        decided.clear()  # the same list: the parts holding it keep appending to it
        issued = self._outbox.issued
        if issued is not None:
            issued.extend(out)
        return out

    # ------------------------------------------------------------------ configuration

    def add_queue(self, cfg: QueueConfig) -> list[Decision]:
        """Add a queue or change its settings (contacts already waiting keep their place)."""
        cfg.validate()
        state = self._queues.get(cfg.name)
        if state is None:
            state = self._queues[cfg.name] = QueueState(cfg)
            for op in self._operators.values():
                if cfg.name in op.cfg.queues:
                    state.add_member(op.cfg.id)
                    self._matcher.refresh(op)
        else:
            state.reconfigure(cfg)
            self._matcher.rebuild_ready(state)
        self._emit("queue.configured", None, queue=cfg.name, config=cfg.to_dict())
        self._admission.schedule_hours(state, initial=True)
        for operator_id in state.members:
            if operator_id in self._operators:
                self._matcher.wake_operator(self._operators[operator_id])
        return self._done()

    def remove_queue(self, name: str) -> list[Decision]:
        """Delete a queue that holds no contact and that no other queue sends contacts to
        (overflow, escalation); its operators stop serving it."""
        state = self._queue(name)
        # A consultation in another queue (an attended transfer) comes back to this one: it holds it too.
        holding = sum(1 for c in self._contacts.values()
                      if (c.queue == name or c.consult_back == name) and c.state != CLOSED)
        if holding:
            raise Conflict("routing.queue_in_use", queue=name, count=holding)
        referring = sorted(other for other, q in self._queues.items() if other != name and name in q.cfg.targets())
        if referring:
            raise Conflict("routing.queue_referenced", queue=name, by=", ".join(referring))
        for operator_id in sorted(state.members):
            op = self._operators.get(operator_id)
            if op is not None:
                op.cfg = dataclasses.replace(op.cfg, queues=tuple(q for q in op.cfg.queues if q != name))
                self._emit("operator.configured", None, operator_id, config=op.cfg.to_dict())
                self._matcher.refresh(op)
        del self._queues[name]
        self._emit("queue.removed", None, queue=name)
        return self._done()

    def add_operator(self, cfg: OperatorConfig) -> list[Decision]:
        """Add an operator (offline) or change their queues, skills and capacity.

        Returns the offers this makes possible (an available operator added to a queue
        with waiting contacts gets one at once)."""
        op = self._operators.get(cfg.id)
        now = self._clock.now()
        if op is None:
            op = Operator(cfg=cfg, order=self._next_operator_order, state_since=now, idle_since=now)
            self._next_operator_order += 1
            self._operators[cfg.id] = op
        else:
            for name in op.cfg.queues:
                if name not in cfg.queues and name in self._queues:
                    self._queues[name].remove_member(cfg.id)
            op.cfg = cfg
        for name in cfg.queues:
            if name in self._queues:
                self._queues[name].add_member(cfg.id)
        self._emit("operator.configured", None, cfg.id, config=cfg.to_dict())
        self._matcher.refresh(op)
        self._matcher.wake_operator(op)
        return self._done()

    # ------------------------------------------------------------------ reading

    def presence(self, operator_id: str) -> str:
        """What a wallboard shows: offline, break, available, ringing, busy or wrap_up
        (see :func:`~dozvon.routing.presence.derive_presence`)."""
        op = self._operator(operator_id)
        talking = wrapping = 0
        for contact_id in op.contacts:
            contact = self._contacts.get(contact_id)
            if contact is not None:
                if contact.state == CONNECTED or contact.consult_by == operator_id:
                    talking += 1  # (introducing the customer to a queue's operator is talking)
                elif contact.state == WRAP_UP:
                    wrapping += 1
        return derive_presence(op.state, len(op.offers), talking, wrapping)

    def waiting_by_queue(self) -> dict[str, int]:
        """Contacts waiting for an operator (not yet ringing anywhere), per queue, every
        queue listed — in one pass over the contacts, for wallboards and metrics."""
        counts = dict.fromkeys(self._queues, 0)
        for contact in self._contacts.values():
            if contact.state == WAITING:
                counts[contact.queue] = counts.get(contact.queue, 0) + 1
        return counts

    def has_capacity(self, op: Operator, bucket: str) -> bool:
        """Whether the operator may be offered one more contact of this bucket now."""
        return self._matcher.has_capacity(op, bucket)

    def armed_timers(self, kind: str) -> int:
        """How many live timers of this kind (``hours``, ``offer``, ``wrap_up`` …) are armed."""
        return self._timers.armed(kind)

    # ------------------------------------------------------------------ contacts

    def contact_arrived(self, spec: ContactSpec, refuse: Action | None = None) -> list[Decision]:
        """A new inbound contact: stored by the caller, now queued, offered or turned away.
        ``refuse`` (a ``reject`` or a ``message``): the project's policy turns this customer
        away on arrival (a blocked number) — logged like any contact, closed at once."""
        state = self._queues.get(spec.queue)
        if state is None:
            state = self._queue(spec.queue)  # raises
        # A dict (the simulator's) is looked up natively in a compiled build; the server's is
        # the channel registry's live, read-only view, looked up through its own .get.
        buckets = self._settings.channel_buckets
        bucket = buckets.get(spec.channel) if isinstance(buckets, dict) else buckets.get(spec.channel)  # noqa: RUF034
        if bucket is None:
            bucket = spec.bucket(self._settings.channel_buckets)  # raises
        if spec.id in self._contacts:
            raise Conflict("routing.duplicate_contact", contact=spec.id)
        now = self._clock.now()
        priority = (spec.priority + state.cfg.priority
                    + self._settings.segment_priority.get(spec.segment or "", 0))
        contact = Contact(spec, bucket, spec.queue, priority, now, now, now)
        self._contacts[spec.id] = contact
        if self._sink is not None:
            self._sink.arrived(now, spec.id, contact.queue)
        else:
            data: dict[str, Any] = {"priority": priority}
            if spec.customer_id is not None:
                data["customer_id"] = spec.customer_id
            if spec.segment is not None:
                data["segment"] = spec.segment
            if spec.source is not None:
                data["source"] = spec.source
            if spec.language is not None:
                data["language"] = spec.language
            if spec.flags:
                data["flags"] = list(spec.flags)
            self._emit("contact.arrived", contact, **data)
        if refuse is not None:
            self._admission.refuse(contact, refuse)
        else:
            self._admission.admit(contact, state, "arrival")
        return self._done()

    def customer_left(self, contact_id: str) -> list[Decision]:
        """The customer hung up or closed the chat: abandon if unanswered, else end it."""
        contact = self._contact(contact_id)
        if contact.state in (WRAP_UP, CLOSED):
            return []  # already over for the customer; a late hang-up signal changes nothing
        if contact.consult_by is not None:  # answered already: never an abandon
            self._consults.cancel(contact, CUSTOMER_LEFT)
            self._conversations.end(contact, "customer")
            return self._done()
        if contact.state == CONNECTED:
            return self.end_contact(contact_id, by="customer")
        was = contact.state
        self._offering.withdraw_all(contact, "abandoned")
        self._admission.abandoned(contact, was)
        return self._done()

    def record_message(self, contact_id: str, direction: str, message_id: str, text: str,
                       author: str | None = None) -> list[Decision]:
        """A message of a text conversation, logged so that the operator's stream carries
        it (``in``: from the customer; ``out``: from the operator, who must hold it)."""
        contact = self._contact(contact_id)
        if direction == "out":
            if contact.state in (WRAP_UP, CLOSED):  # ended in another tab, or the customer left
                raise Conflict("routing.conversation_ended", contact=contact_id)
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
        contact = self._contacts.get(contact_id or "")
        if contact is not None:
            queue = queue or contact.queue
            channel = channel or contact.spec.channel
        self._outbox.record(type_, self._clock.now() if at is None else at, contact_id, operator_id,
                            queue, channel, data)

    # ------------------------------------------------------------------ offers

    def accept(self, offer_id: str, operator_id: str | None = None) -> list[Decision]:
        """The operator answered: the contact is theirs, every other offer is withdrawn."""
        offer = self._offers.get(offer_id)
        if offer is None or (operator_id is not None and offer.operator_id != operator_id):
            offer = self._open_offer(offer_id, operator_id)  # raises
        contact, op = self._offering.accepted(offer)
        if contact.consult_by is not None:
            self._consults.answered(contact, op, offer)
        else:
            self._conversations.connect(contact, op, offer)
        return self._done()

    def decline(self, offer_id: str, operator_id: str | None = None,
                reason: str | None = None) -> list[Decision]:
        """The operator said no: the contact goes to the next operator."""
        self._offering.declined(self._open_offer(offer_id, operator_id), reason)
        return self._done()

    def _open_offer(self, offer_id: str, operator_id: str | None) -> Offer:
        offer = self._offers.get(offer_id)
        if offer is None:
            raise Conflict("routing.unknown_offer", offer=offer_id)
        if operator_id is not None and offer.operator_id != operator_id:
            raise Conflict("routing.wrong_operator", offer=offer_id)
        return offer

    def _offer_ran_out(self, offer: Offer) -> None:
        """RONA: the contact goes on; too many misses in a row send the operator on a break."""
        contact, op = self._offering.ran_out(offer)
        limit = self._settings.max_missed_offers
        if limit and op.missed >= limit and op.state == AVAILABLE:
            self._set_state(op, BREAK, "missed_offers")
        self._offering.after_missed(contact, op)

    # ------------------------------------------------------------------ conversation

    def hold(self, contact_id: str, operator_id: str | None = None) -> list[Decision]:
        contact = self._contact(contact_id)
        self._require_state(contact, CONNECTED)
        self._own(contact, operator_id)
        self._not_consulting(contact)
        self._conversations.hold(contact)
        return self._outbox.take_decisions()

    def resume(self, contact_id: str, operator_id: str | None = None) -> list[Decision]:
        contact = self._contact(contact_id)
        self._require_state(contact, CONNECTED)
        self._own(contact, operator_id)
        self._not_consulting(contact)
        self._conversations.resume(contact)
        return self._outbox.take_decisions()

    def end_contact(self, contact_id: str, by: str = "operator",
                    operator_id: str | None = None) -> list[Decision]:
        """The conversation is over; the operator goes into wrap-up for this contact."""
        contact = self._contacts.get(contact_id)
        if contact is None or contact.state != CONNECTED or contact.consult_by is not None or (
                operator_id is not None and contact.operator_id != operator_id):
            contact = self._contact(contact_id)  # raises
            self._require_state(contact, CONNECTED)
            self._own(contact, operator_id)
            self._not_consulting(contact)
        self._conversations.end(contact, by)
        return self._done()

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
            self._conversations.late_disposition(contact, disposition)
            return self._outbox.take_decisions()
        self._require_state(contact, CONNECTED, WRAP_UP)
        self._not_consulting(contact)
        self._conversations.close_with(contact, disposition)
        return self._done()

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
        self._not_consulting(contact)
        target_op = self._operator(to_operator) if to_operator is not None else None
        target_queue = self._queue(to_queue) if to_queue is not None else None
        if target_op is not None and (not self._matcher.has_capacity(target_op, contact.bucket)
                                      or target_op.cfg.id == contact.operator_id):
            raise Conflict("routing.operator_busy", operator=target_op.cfg.id)
        self._conversations.hand_over(contact, to_operator, to_queue, to_external, escalation)
        if to_external is not None:
            self._conversations.transfer_out(contact, to_external)
        elif target_op is not None:
            state = self._admission.queue_for_operator(contact, target_op.cfg.id)
            self._offering.make(contact, target_op, state)
        elif target_queue is not None:
            contact.state = WAITING  # so that admission counts it in the new queue
            self._admission.admit(contact, target_queue, "escalation" if escalation else "transfer")
        return self._done()

    def consult(self, contact_id: str, *, to_queue: str, operator_id: str | None = None) -> list[Decision]:
        """An attended transfer to a queue, first half: the customer on hold, the contact
        routed in ``to_queue`` as a blind transfer's would be while its operator stays on it
        (see :mod:`dozvon.routing.consult`). A closed or full queue is refused here."""
        contact = self._contact(contact_id)
        self._require_state(contact, CONNECTED)
        self._own(contact, operator_id)
        state = self._queue(to_queue)
        self._consults.check_start(contact, state)
        self._consults.start(contact, state)
        return self._done()

    def complete_consult(self, contact_id: str, operator_id: str | None = None) -> list[Decision]:
        """The introducing operator hands the customer to the one who answered the
        consultation: a transfer to the queue, counted once."""
        contact = self._contact(contact_id)
        self._own(contact, operator_id)
        if contact.consult_by is None:
            raise Conflict("routing.not_consulting", contact=contact_id)
        self._consults.complete(contact)
        return self._done()

    def cancel_consult(self, contact_id: str, operator_id: str | None = None) -> list[Decision]:
        """Back to the customer without a transfer: by the introducing operator (or a
        supervisor: ``operator_id`` None), or by the colleague who answered, declining."""
        contact = self._contact(contact_id)
        if contact.consult_by is None:
            raise Conflict("routing.not_consulting", contact=contact_id)
        declining = operator_id is not None and operator_id == contact.consult_with
        if not declining:
            self._own(contact, operator_id)
        self._consults.cancel(contact, DECLINED if declining else CANCELLED)
        return self._done()

    def reassign(self, contact_id: str, *, to_queue: str | None = None, to_operator: str | None = None,
                 by: str | None = None) -> list[Decision]:
        """A supervisor moves a contact nobody has answered yet (waiting, or ringing):
        into another queue, where it waits from now on as a contact that overflowed there
        would (not turned away by that queue's length limit: a person chose it), or to a
        named operator with room, who alone is offered it. Its ringing offers stop first.
        Today's figures keep it in the queue it was offered to."""
        if (to_queue is None) == (to_operator is None):
            raise InvalidInput("routing.reassign_target")
        contact = self._contact(contact_id)
        self._require_state(contact, WAITING, OFFERED)
        self._not_consulting(contact)
        target_op = self._operator(to_operator) if to_operator is not None else None
        target_queue = self._queue(to_queue) if to_queue is not None else None
        if target_op is not None and not self._matcher.has_capacity(target_op, contact.bucket):
            raise Conflict("routing.operator_busy", operator=target_op.cfg.id)
        if target_queue is not None:
            if target_queue.cfg.name == contact.queue:
                raise Conflict("routing.already_there", contact=contact_id, queue=contact.queue)
            if not target_queue.open:
                raise Conflict("routing.queue_closed", queue=target_queue.cfg.name)
        self._offering.withdraw_all(contact, "reassigned")
        self._admission.leave_queue(contact)
        target = {"to_queue": to_queue} if to_queue is not None else {"to_operator": to_operator}
        self._emit("contact.reassigned", contact, **target, **({"by": by} if by else {}))
        if target_queue is not None:
            self._admission.place(contact, target_queue, "reassign")
        elif target_op is not None:
            self._offering.make(contact, target_op, self._admission.queue_for_operator(contact, target_op.cfg.id,
                                                                                           reassigned=True))
        return self._done()

    def merge_customers(self, into: str, merged: str, by: str | None = None) -> list[Decision]:
        """Two customer records were one person: a returning customer is offered to the
        later of their last operators, under the kept id."""
        last = self._admission.last_operator
        theirs = last.pop(merged, None)
        if theirs is not None and (into not in last or last[into][1] < theirs[1]):
            last[into] = theirs
        self._emit("customer.merged", None, customer_id=into, merged=merged, **({"by": by} if by else {}))
        return self._done()

    def escalate(self, contact_id: str, operator_id: str | None = None) -> list[Decision]:
        """Send a contact to its queue's escalation queue (senior operators, supervisors)."""
        contact = self._contact(contact_id)
        target = self._queues[contact.queue].cfg.escalation_queue
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
        return self._done()

    def _set_state(self, op: Operator, state: str, reason: str | None) -> None:
        if op.state == state and op.reason == reason:
            return
        now = self._clock.now()
        previous = op.state
        op.state, op.reason, op.state_since = state, reason, now
        if state == AVAILABLE:
            op.missed = 0
            if not op.contacts:
                op.idle_since = now
        self._emit("operator.state_changed", None, op.cfg.id, to=state, **{"from": previous},
                   reason=reason)
        if state != AVAILABLE:
            self._offering.withdraw_from(op)
        self._matcher.refresh(op)
        self._matcher.wake_operator(op)

    # ------------------------------------------------------------------ time

    def advance(self) -> list[Decision]:
        """Fire every timer that is due by the clock's current time, in deadline order."""
        now = self._clock.now()
        timers = self._timers
        heap = timers.heap
        while heap:
            # Timers.pop_due written out (a command of its own for every timer that fires).
            at, rank, key, kind = heap[0]
            if at > now or rank < 0:
                break
            if NATIVE:
                pop(heap)
            else:
                heappop(heap)
            if not timers.live(at, kind, key):  # a direct call: native in a compiled build
                continue
            what: str = kind  # (the heap's entries are typed loosely: a compiled build compares a str)
            if what == "offer":
                self._offer_ran_out(self._offers[key])
            elif what == "hours":
                self._admission.hours_changed(self._queues[key])
            elif what == "wrap_up":
                self._conversations.wrap_up_over(self._contacts[key])
            elif what == "max_wait":
                self._admission.max_wait_passed(self._contacts[key])
            elif what == "sticky":
                self._admission.sticky_expired(self._contacts[key])
            elif what == "forget":
                self._admission.forget(self._contacts[key])
            if self._woken_contacts or self._woken_operators:
                self._offering.settle()
        return self._done()

    # ------------------------------------------------------------------ restore

    def adopt_operator(self, op: Operator) -> None:
        """Take an operator restored from storage as it was: no event, no routing yet."""
        self._operators[op.cfg.id] = op
        self._next_operator_order = max(self._next_operator_order, op.order + 1)
        for name in op.cfg.queues:
            if name in self._queues:
                self._queues[name].add_member(op.cfg.id)

    def adopt_contact(self, contact: Contact, offers: Iterable[Offer] = ()) -> None:
        """Take a contact restored from storage as it was, with its open offers: its load,
        its place in line and its timers are derived again (adopt in token order)."""
        self._contacts[contact.id] = contact
        for offer in offers:
            self._offering.adopt(contact, offer)
        if contact.state == OFFERED and not contact.offers:
            contact.state = WAITING
        holders = [contact.operator_id] if contact.state in (CONNECTED, WRAP_UP) or contact.consult_by else []
        if contact.consult_with is not None:  # the colleague talking to the introducing operator
            holders.append(contact.consult_with)
        for holder in holders:
            op = self._operators.get(holder or "")
            if op is not None:
                op.contacts.add(contact.id)
                op.load[contact.bucket] += 1
        self._admission.adopt(contact)
        if contact.state == WRAP_UP and contact.wrap_deadline is not None:
            self._timers.arm(contact.wrap_deadline, "wrap_up", contact.id)
        self._matcher.continue_tokens_after(contact.token)

    def resume_after_restore(self) -> None:
        """Everything adopted: check the hours (a queue that opened or closed while the
        engine was down says so) and let every operator be matched again."""
        for state in self._queues.values():
            self._admission.schedule_hours(state, initial=True)
        for op in self._operators.values():
            self._matcher.refresh(op)

    # ------------------------------------------------------------------ lookups

    def _queue(self, name: str) -> QueueState:
        state = self._queues.get(name)
        if state is None:
            raise NotFound("routing.unknown_queue", queue=name)
        return state

    def _operator(self, operator_id: str) -> Operator:
        op = self._operators.get(operator_id)
        if op is None:
            raise NotFound("routing.unknown_operator", operator=operator_id)
        return op

    def _contact(self, contact_id: str) -> Contact:
        contact = self._contacts.get(contact_id)
        if contact is None:
            raise NotFound("routing.unknown_contact", contact=contact_id)
        return contact

    def _require_state(self, contact: Contact, *states: str) -> None:
        if contact.state not in states:
            raise Conflict("routing.bad_state", contact=contact.id, state=contact.state,
                           needed=" | ".join(states))

    @staticmethod
    def _not_consulting(contact: Contact) -> None:
        if contact.consult_by is not None:
            raise Conflict("routing.consulting", contact=contact.id)

    @staticmethod
    def _own(contact: Contact, operator_id: str | None) -> None:
        if operator_id is not None and contact.operator_id != operator_id:
            raise Conflict("routing.not_your_contact", contact=contact.id)
