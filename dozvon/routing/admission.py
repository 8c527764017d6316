"""Admission: a contact's way into a queue, back into line, and out of the center.

A queue admits a contact only while it is open (business hours), shorter than its
``max_length`` and, later, while the contact has not waited past ``max_wait_s``; otherwise
the queue's action says what happens instead: overflow to another queue, a callback task,
a message (voicemail for calls) or a plain rejection. Every contact that arrived ends here
too, with exactly one ``contact.closed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dozvon.core.clock import Clock
from dozvon.routing import events as ev
from dozvon.routing.events import Decision
from dozvon.routing.matching import Matcher
from dozvon.routing.model import (
    CLOSED,
    NOBODY,
    OFFERED,
    OFFLINE,
    WAITING,
    Action,
    Contact,
    EngineSettings,
    Operator,
)
from dozvon.routing.outbox import Outbox
from dozvon.routing.queues import QueueState
from dozvon.routing.timers import Timers

#: Overflow chains longer than this are cut (a misconfigured A → B → A loop).
MAX_OVERFLOWS = 5


class Admission:
    __slots__ = ("_clock", "_contacts", "_decided", "_emit", "_matcher", "_operators", "_outbox", "_queues",
                 "_settings", "_sink", "_timers", "_woken_contacts", "last_operator")

    def __init__(self, clock: Clock, settings: EngineSettings, queues: dict[str, QueueState],
                 operators: dict[str, Operator], contacts: dict[str, Contact], outbox: Outbox,
                 timers: Timers, matcher: Matcher) -> None:
        self._clock = clock
        self._settings = settings
        self._queues = queues
        self._operators = operators
        self._contacts = contacts
        self._outbox = outbox
        self._emit = outbox.emit
        self._sink = outbox.sink
        self._decided = outbox.decided
        self._timers = timers
        self._matcher = matcher
        self._woken_contacts = matcher.woken_contacts
        #: customer id -> (operator id, time the operator answered them), for sticky routing
        self.last_operator: dict[str, tuple[str, float]] = {}

    # ------------------------------------------------------------------ into a queue

    def admit(self, contact: Contact, state: QueueState, reason: str) -> None:
        """Put a contact into a queue, or act on it if the queue is closed or full."""
        if not state.open and state.cfg.hours is not None:
            self._turn_away(contact, state.cfg.on_closed or Action("message"), "closed")
        elif state.cfg.max_length is not None and state.waiting_count >= state.cfg.max_length:
            self._turn_away(contact, state.cfg.on_full or Action("reject"), "queue_full")
        else:
            self._enqueue(contact, state, reason)

    def refuse(self, contact: Contact, action: Action) -> None:
        """Turn away on arrival by the project's policy (a blocked customer): never queued,
        so it is not *offered* in the KPIs; a ``message`` action says why."""
        contact.state = WAITING  # what _turn_away closes from
        self._turn_away(contact, action if action.kind in ("reject", "message") else Action("reject"), "blocked")

    def place(self, contact: Contact, state: QueueState, reason: str) -> None:
        """Put a contact into a queue whatever its length (a supervisor chose it)."""
        self._enqueue(contact, state, reason)

    def _enqueue(self, contact: Contact, state: QueueState, reason: str) -> None:
        now = self._clock.now()
        cfg = state.cfg
        contact.queue = cfg.name
        contact.queue_since = now
        contact.state = WAITING
        if contact.excluded:
            contact.excluded = NOBODY
        contact.last_missed = None
        queue_needs, contact_needs = cfg.required_skills, contact.spec.skills
        if queue_needs or contact_needs:
            contact.needs = _merge_needs(queue_needs, contact_needs)
        elif contact.needs:
            contact.needs = {}
        if cfg.language_routing and contact.spec.language:
            key = f"lang_{contact.spec.language}"
            contact.needs[key] = max(1, contact.needs.get(key, 0))
        state.waiting_count += 1
        sink = self._sink
        data: dict[str, Any] | None = {"reason": reason, "priority": contact.priority,
                                       "target_answer_s": cfg.target_answer_s} if sink is None else None
        if cfg.max_wait_s is not None:
            contact.max_wait_at = now + cfg.max_wait_s
            self._timers.arm(contact.max_wait_at, "max_wait", contact.id)
        sticky = self._sticky_operator(contact, state) if reason == "arrival" and cfg.sticky_wait_s > 0 else None
        if sticky is not None:
            contact.sticky_operator = sticky
            contact.sticky_until = now + state.cfg.sticky_wait_s
            self._timers.arm(contact.sticky_until, "sticky", contact.id)
            if data is not None:
                data["sticky_operator"] = sticky
        if sink is not None:
            sink.queued(now, contact.id, contact.queue, cfg.target_answer_s)
        elif data is not None:  # (always, without a sink)
            self._emit("contact.queued", contact, **data)
        self._woken_contacts.append(contact)  # matcher.wake_contact

    def _sticky_operator(self, contact: Contact, state: QueueState) -> str | None:
        """The operator a returning customer talked to last, if they can be waited for."""
        if state.cfg.sticky_wait_s <= 0:
            return None
        spec = contact.spec
        operator_id, at = spec.last_operator, spec.last_contact_at
        if operator_id is None and spec.customer_id is not None:
            operator_id, at = self.last_operator.get(spec.customer_id, (None, None))
        if operator_id is None:
            return None
        if at is not None and self._clock.now() - at > state.cfg.sticky_window_s:
            return None
        op = self._operators.get(operator_id)
        if op is None or op.state == OFFLINE or operator_id not in state.members:
            return None
        return operator_id

    def remember_operator(self, customer_id: str, operator_id: str) -> None:
        """The customer was answered by this operator: they are the one a return sticks to."""
        if self._settings.remember_last_operator:
            self.last_operator[customer_id] = (operator_id, self._clock.now())

    def queue_for_operator(self, contact: Contact, operator_id: str, reassigned: bool = False) -> QueueState:
        """A transfer to a named operator: the contact waits in its queue for them alone.

        Not subject to the queue's limits: the transferring operator chose the person, and
        the caller has checked that they have room. Returns the queue, to offer it from."""
        state = self._queues[contact.queue]
        contact.state = WAITING
        state.waiting_count += 1
        contact.queue_since = self._clock.now()
        contact.excluded = NOBODY
        contact.directed_to = operator_id
        self._emit("contact.queued", contact, reason="reassign" if reassigned else "transfer",
                   priority=contact.priority, target_answer_s=state.cfg.target_answer_s, directed_to=operator_id)
        return state

    def back_to_queue(self, contact: Contact) -> None:
        """Every offer of the contact ended unanswered: it waits for the next operator —
        unless its maximum wait passed while it was ringing."""
        contact.state = WAITING
        contact.directed_to = None
        if contact.sticky_operator is not None:
            contact.sticky_operator = None
            contact.sticky_until = None
        if contact.max_wait_due:
            contact.max_wait_due = False
            self._max_wait_reached(contact)
            return
        self._matcher.wake_contact(contact)

    def leave_queue(self, contact: Contact) -> None:
        """Bookkeeping when a waiting or offered contact stops waiting in its queue."""
        state = self._queues.get(contact.queue)
        if state is not None and contact.state in (WAITING, OFFERED):
            state.waiting_count -= 1
        contact.max_wait_at = None
        contact.sticky_operator = None
        contact.sticky_until = None

    # ------------------------------------------------------------------ timers

    def max_wait_passed(self, contact: Contact) -> None:
        """The contact's maximum wait is over (its timer fired)."""
        if contact.state == OFFERED:
            contact.max_wait_due = True  # let the ringing offer finish first
            return
        self._max_wait_reached(contact)

    def _max_wait_reached(self, contact: Contact) -> None:
        state = self._queues[contact.queue]
        action = state.cfg.on_max_wait or Action("callback")
        self.leave_queue(contact)
        contact.state = WAITING
        self._turn_away(contact, action, "max_wait")

    def sticky_expired(self, contact: Contact) -> None:
        """The wait for the returning customer's operator is over: anyone may take it now."""
        contact.sticky_operator = None
        contact.sticky_until = None
        if contact.state == WAITING:
            self._emit("contact.sticky_expired", contact)
            self._matcher.wake_contact(contact)

    def schedule_hours(self, state: QueueState, initial: bool = False) -> None:
        """Whether the queue is open now, and a timer for its next opening or closing.

        ``initial``: the queue was just configured or restored; a change of open/closed
        against what it was before gets its event here (a timer reports later changes)."""
        hours = state.cfg.hours
        if hours is None:
            state.open, state.next_change = True, None
            return
        now = self._clock.now()
        is_open = hours.is_open(now)
        if initial and is_open != state.open:
            state.open = is_open
            self._emit("queue.opened" if is_open else "queue.closed", None, queue=state.cfg.name)
        state.open = is_open
        following = hours.next_change(now)
        if following is not None and following != state.next_change:
            # One armed timer per change: reconfiguring a queue with the same hours must
            # not arm a second, equally valid one.
            self._timers.arm(following, "hours", state.cfg.name)
        state.next_change = following

    def hours_changed(self, state: QueueState) -> None:
        """The queue's hours timer fired: it opened or closed."""
        was_open = state.open
        self.schedule_hours(state)
        if state.open != was_open:
            self._emit("queue.opened" if state.open else "queue.closed", None, queue=state.cfg.name)

    # ------------------------------------------------------------------ out of the center

    def _turn_away(self, contact: Contact, action: Action, reason: str) -> None:
        """Overflow, callback, message or reject: what a queue does with a contact it won't keep."""
        source = contact.queue
        spec = contact.spec
        if action.kind == "overflow" and contact.overflows < MAX_OVERFLOWS:
            target = self._queues.get(action.target_queue or "")
            if target is not None:
                contact.overflows += 1
                self._emit("contact.overflowed", contact, queue=source, reason=reason,
                           to_queue=target.cfg.name)
                contact.queue = target.cfg.name
                self.admit(contact, target, "overflow")
                return
        if action.kind == "callback":
            self._emit("callback.created", contact, reason=reason, customer_id=spec.customer_id)
            self._decided.append(Decision(ev.CALLBACK, spec.id, reason=reason, target=spec.customer_id,
                                  channel=spec.channel))
            if action.text:
                self._decided.append(Decision(ev.AUTO_REPLY, spec.id, text=action.text, reason=reason,
                                      channel=spec.channel))
            self.close(contact, "callback", reason)
            return
        if action.kind == "wait" and reason == "closed":
            # Answered now, taken when somebody is there (the morning's first operator).
            self._decided.append(Decision(ev.AUTO_REPLY, spec.id, text=action.text, reason=reason,
                                  channel=spec.channel))
            self._enqueue(contact, self._queues[source], reason)
            return
        if action.kind in ("message", "wait"):
            self._decided.append(Decision(ev.AUTO_REPLY, spec.id, text=action.text, reason=reason,
                                  channel=spec.channel))
            outcome = "message"
        else:
            outcome = "rejected"
        if contact.bucket == "voice":
            self._decided.append(Decision(ev.DISCONNECT, spec.id, reason=reason, channel=spec.channel))
        self.close(contact, outcome, reason)

    def abandoned(self, contact: Contact, was: str) -> None:
        """The customer left before anyone answered (``was``: waiting or offered; its offers
        are already withdrawn): a callback task if the queue asks for one, and the close."""
        self.leave_queue(contact)
        now = self._clock.now()
        self._outbox.emit_data("contact.abandoned", contact, None, None, {
            "wait_s": now - contact.enqueued_at, "while": was, "queue_wait_s": now - contact.queue_since})
        spec = contact.spec
        if self._queues[contact.queue].cfg.callback_on_abandon:
            self._emit("callback.created", contact, reason="abandoned", customer_id=spec.customer_id)
            self._decided.append(Decision(ev.CALLBACK, spec.id, reason="abandoned", target=spec.customer_id,
                                  channel=spec.channel))
        self.close(contact, "abandoned", was)

    def close(self, contact: Contact, outcome: str, reason: str | None = None,
              disposition_missing: bool = False) -> None:
        """The contact's last event: every arrived contact gets exactly one ``contact.closed``.

        One closed without a disposition is kept (state ``closed``) for a late one, until
        ``late_disposition_s`` passes; any other is forgotten at once."""
        now = self._clock.now()
        answered = contact.answered_once
        wrap = (now - contact.ended_at if contact.ended_at is not None else 0.0) if answered else 0.0
        sink = self._sink
        if sink is not None:
            sink.closed(now, contact.id, contact.operator_id, contact.queue, outcome, answered,
                        contact.talk_s - contact.hold_s if answered else None, contact.hold_s, wrap)
        else:
            data: dict[str, Any] = {"outcome": outcome, "answered": answered}
            if reason:
                data["reason"] = reason
            if answered:
                data["talk_s"] = contact.talk_s - contact.hold_s
                data["hold_s"] = contact.hold_s
                data["wrap_s"] = wrap
            if disposition_missing:
                data["disposition_missing"] = True
            self._emit("contact.closed", contact, contact.operator_id, **data)
        contact.closed_at = now
        if disposition_missing and self._settings.late_disposition_s > 0:
            contact.state = CLOSED
            self._timers.arm(now + self._settings.late_disposition_s, "forget", contact.id)
        else:
            del self._contacts[contact.id]

    def forget(self, contact: Contact) -> None:
        """The window for a late disposition closed: say so, so that the stored state of
        the contact goes too."""
        self._emit("contact.disposition_window_closed", contact, contact.operator_id)
        del self._contacts[contact.id]

    # ------------------------------------------------------------------ restore

    def adopt(self, contact: Contact) -> None:
        """A contact restored from storage: its place in its queue and the timers of its waits."""
        state = self._queues.get(contact.queue)
        if contact.state in (WAITING, OFFERED) and state is not None:
            state.waiting_count += 1
            if contact.max_wait_at is not None:
                self._timers.arm(contact.max_wait_at, "max_wait", contact.id)
            if contact.sticky_until is not None:
                self._timers.arm(contact.sticky_until, "sticky", contact.id)
            if contact.state == WAITING:
                self._matcher.adopt_waiting(contact, state)
        if contact.state == CLOSED:
            forget_at = (contact.closed_at or 0.0) + self._settings.late_disposition_s
            self._timers.arm(forget_at, "forget", contact.id)


def _merge_needs(queue_needs: Mapping[str, int], contact_needs: Mapping[str, int]) -> dict[str, int]:
    """The stricter of the queue's and the contact's skill requirements."""
    if not queue_needs:
        return dict(contact_needs)
    merged = dict(queue_needs)
    for name, level in contact_needs.items():
        merged[name] = max(level, merged.get(name, 0))
    return merged
