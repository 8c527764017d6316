"""The dispatcher: the engine's state and the machinery that matches contacts to operators.

:class:`Dispatcher` holds queues, operators, contacts, offers and timers, chooses the next
operator for a contact (by the queue's strategy) and the next contact for an operator (by
weight, aged priority and wait), makes and ends offers, admits contacts to queues and
closes them. :class:`~dozvon.routing.engine.RoutingEngine` adds the public commands.

Routing that a change makes possible happens in :meth:`Dispatcher._settle`, at the end of
each command: contacts waiting to be routed first, then operators with free capacity, so
that the order of routing never depends on the order of the code that freed them.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from typing import Any

from dozvon.core.clock import Clock
from dozvon.core.errors import Conflict, NotFound
from dozvon.routing import events as ev
from dozvon.routing.events import Decision, RoutingEvent
from dozvon.routing.model import (
    AVAILABLE,
    BUCKETS,
    OFFERED,
    OFFLINE,
    WAITING,
    Action,
    Contact,
    EngineSettings,
    Offer,
    Operator,
    OperatorConfig,
    QueueConfig,
)
from dozvon.routing.queues import QueueState

#: A contact that ended without a disposition stays in this state until one is given.
CLOSED = "closed"
#: Order of timers due at the same instant: hours first (a queue opening at 09:00 is open
#: for the offer that times out at 09:00), then offers, wrap-ups, waits.
TIMER_RANK = {"hours": 0, "offer": 1, "wrap_up": 2, "max_wait": 3, "sticky": 4, "forget": 5}
#: Overflow chains longer than this are cut (a misconfigured A → B → A loop).
MAX_OVERFLOWS = 5


class Dispatcher:
    """State and matching; see :class:`~dozvon.routing.engine.RoutingEngine` for commands."""

    def __init__(
        self,
        clock: Clock,
        queues: Iterable[QueueConfig] = (),
        operators: Iterable[OperatorConfig] = (),
        settings: EngineSettings | None = None,
    ) -> None:
        self.clock = clock
        self.settings = settings or EngineSettings()
        self.queues: dict[str, QueueState] = {}
        self.operators: dict[str, Operator] = {}
        self.contacts: dict[str, Contact] = {}
        self.offers: dict[str, Offer] = {}
        #: customer id -> (operator id, time the operator answered them), for sticky routing
        self.last_operator: dict[str, tuple[str, float]] = {}
        #: The outbox: events appended in order; the driver drains it.
        self.events: list[RoutingEvent] = []
        self.event_seq = 0
        self.offer_seq = 0
        self._token = 0
        self._timers: list[tuple[float, int, str, str]] = []  # (at, rank, key, kind)
        self._out: list[Decision] = []
        #: Every decision handed out, kept for a driver that carries them out after its
        #: commit (the server); None (the simulator): not kept.
        self.issued: list[Decision] | None = None
        self._pending_contacts: list[Contact] = []
        self._pending_ops: list[Operator] = []
        self._operator_order = 0
        #: contacts held for one operator (sticky routing, directed transfers)
        self._held: dict[str, list[tuple[float, float, int, str]]] = {}
        for cfg in queues:
            self.add_queue(cfg)
        for op_cfg in operators:
            self.add_operator(op_cfg)

    # ------------------------------------------------------------------ configuration

    def add_queue(self, cfg: QueueConfig) -> list[Decision]:
        """Add a queue or change its settings (contacts already waiting keep their place)."""
        cfg.validate()
        state = self.queues.get(cfg.name)
        if state is None:
            state = self.queues[cfg.name] = QueueState(cfg)
            for op in self.operators.values():
                if cfg.name in op.cfg.queues:
                    state.add_member(op.cfg.id)
                    self._refresh(op)
        else:
            state.reconfigure(cfg)
            for bucket in BUCKETS:
                self._rebuild_ready(state, bucket)
        self._emit("queue.configured", None, queue=cfg.name, config=cfg.to_dict())
        self._schedule_hours(state, initial=True)
        self._pending_ops.extend(self.operators[o] for o in state.members if o in self.operators)
        self._settle()
        return self._decisions()

    def add_operator(self, cfg: OperatorConfig) -> list[Decision]:
        """Add an operator (offline) or change their queues, skills and capacity.

        Returns the offers this makes possible (an available operator added to a queue
        with waiting contacts gets one at once)."""
        op = self.operators.get(cfg.id)
        now = self.clock.now()
        if op is None:
            op = Operator(cfg=cfg, order=self._operator_order, state_since=now, idle_since=now)
            self._operator_order += 1
            self.operators[cfg.id] = op
        else:
            for name in op.cfg.queues:
                if name not in cfg.queues and name in self.queues:
                    self.queues[name].remove_member(cfg.id)
            op.cfg = cfg
        for name in cfg.queues:
            if name in self.queues:
                self.queues[name].add_member(cfg.id)
        self._emit("operator.configured", None, cfg.id, config=cfg.to_dict())
        self._refresh(op)
        self._pending_ops.append(op)
        self._settle()
        return self._decisions()

    # ------------------------------------------------------------------ helpers

    def _emit(self, type_: str, contact: Contact | None = None, operator_id: str | None = None,
              queue: str | None = None, **data: Any) -> None:
        self.event_seq += 1
        if contact is not None:
            self.events.append(RoutingEvent(
                self.event_seq, type_, self.clock.now(), contact.spec.id, operator_id,
                queue or contact.queue, contact.spec.channel, data))
        else:
            self.events.append(RoutingEvent(
                self.event_seq, type_, self.clock.now(), None, operator_id, queue, None, data))

    def _timer(self, at: float, kind: str, key: str) -> None:
        # Timers due at the same instant fire in a canonical order (kind, then key), not in
        # the order they were set, so that an engine restored from the database fires them
        # exactly as the engine that set them would have.
        heapq.heappush(self._timers, (at, TIMER_RANK[kind], key, kind))

    def _decisions(self) -> list[Decision]:
        out, self._out = self._out, []
        if self.issued is not None:
            self.issued.extend(out)
        return out

    def drain_decisions(self) -> list[Decision]:
        """Take the decisions handed out since the last drain (when :attr:`issued` is kept)."""
        out = self.issued or []
        if self.issued is not None:
            self.issued = []
        return out

    def drain_events(self) -> list[RoutingEvent]:
        """Take the events appended since the last drain (the driver persists them)."""
        out, self.events = self.events, []
        return out

    def _queue(self, name: str) -> QueueState:
        state = self.queues.get(name)
        if state is None:
            raise NotFound("routing.unknown_queue", queue=name)
        return state

    def _operator(self, operator_id: str) -> Operator:
        op = self.operators.get(operator_id)
        if op is None:
            raise NotFound("routing.unknown_operator", operator=operator_id)
        return op

    def _contact(self, contact_id: str) -> Contact:
        contact = self.contacts.get(contact_id)
        if contact is None:
            raise NotFound("routing.unknown_contact", contact=contact_id)
        return contact

    def _require_state(self, contact: Contact, *states: str) -> None:
        if contact.state not in states:
            raise Conflict("routing.bad_state", contact=contact.spec.id, state=contact.state,
                           needed=" | ".join(states))

    def presence(self, operator_id: str) -> str:
        """What a wallboard shows: offline, break, available, ringing, busy or wrap_up.

        Busy and wrap-up are not states an operator sets; they follow from the contacts
        the operator holds (busy wins over wrap-up when both apply to different chats).
        """
        op = self._operator(operator_id)
        if op.state != AVAILABLE and not op.contacts:
            return op.state
        states = {self.contacts[c].state for c in op.contacts if c in self.contacts}
        if "connected" in states:
            return "busy"
        if "wrap_up" in states:
            return "wrap_up"
        if op.offers:
            return "ringing"
        return op.state

    def waiting_by_queue(self) -> dict[str, int]:
        """Contacts waiting for an operator (not yet ringing anywhere), per queue, every
        queue listed — in one pass over the contacts, for wallboards and metrics."""
        counts = dict.fromkeys(self.queues, 0)
        for contact in self.contacts.values():
            if contact.state == WAITING:
                counts[contact.queue] = counts.get(contact.queue, 0) + 1
        return counts

    def has_capacity(self, op: Operator, bucket: str) -> bool:
        """Whether the operator may be offered one more contact of this bucket now."""
        if op.state != AVAILABLE:
            return False
        if op.load[bucket] >= op.cfg.capacity.get(bucket, 0):
            return False
        return not (bucket != "voice" and self.settings.voice_blocks_text and op.load["voice"])

    def _eligible(self, op: Operator, contact: Contact) -> bool:
        if op.cfg.id in contact.excluded:
            return False
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

    def _refresh(self, op: Operator) -> None:
        """Record that the operator changed: old heap entries go stale, fresh ones go in."""
        op.version += 1
        if op.state != AVAILABLE:
            return
        for bucket in op.cfg.buckets:
            if not self.has_capacity(op, bucket):
                continue
            for name in op.cfg.queues:
                state = self.queues.get(name)
                if state is None or op.cfg.id not in state.members:
                    continue
                state.push_ready(op, bucket)
                if state.needs_compaction(bucket):
                    self._rebuild_ready(state, bucket)

    def _rebuild_ready(self, state: QueueState, bucket: str) -> None:
        state.ready[bucket] = []
        for operator_id in state.members:
            op = self.operators.get(operator_id)
            if op is not None and self.has_capacity(op, bucket):
                state.push_ready(op, bucket)

    # ------------------------------------------------------------------ choosing

    def _find_operator(self, state: QueueState, contact: Contact) -> Operator | None:
        """The best ready operator for the contact by the queue's strategy, or None."""
        heap = state.ready[contact.bucket]
        skipped = []
        found = None
        operators = self.operators
        while heap:
            entry = heap[0]
            op = operators.get(entry[-1])  # type: ignore[call-overload]
            if (op is None or entry[-2] != op.version or op.cfg.id not in state.members
                    or not self.has_capacity(op, contact.bucket)):
                heapq.heappop(heap)
                continue
            if not self._eligible(op, contact):
                skipped.append(heapq.heappop(heap))
                continue
            found = op
            break
        for entry in skipped:
            heapq.heappush(heap, entry)
        return found

    def _top_waiting(self, heap: list[tuple[float, float, int, str]], op: Operator,
                     queue: str | None) -> Contact | None:
        """The first valid contact of a waiting heap that this operator may take."""
        skipped = []
        found = None
        contacts = self.contacts
        while heap:
            entry = heap[0]
            contact = contacts.get(entry[3])
            if (contact is None or contact.state != WAITING or contact.token != entry[2]
                    or (queue is not None and contact.queue != queue)):
                heapq.heappop(heap)
                continue
            if not self._eligible(op, contact):
                skipped.append(heapq.heappop(heap))
                continue
            found = contact
            break
        for entry in skipped:
            heapq.heappush(heap, entry)
        return found

    def _find_contact(self, op: Operator, bucket: str) -> Contact | None:
        """The contact this operator should take next in this bucket, or None."""
        held = self._held.get(op.cfg.id)
        if held:
            contact = self._top_waiting(held, op, None)
            if contact is not None and contact.bucket == bucket:
                return contact
        best: Contact | None = None
        best_score: tuple[float, float, float] | None = None
        now = self.clock.now()
        for name in op.cfg.queues:
            state = self.queues.get(name)
            if state is None or not state.waiting_count:
                continue
            contact = self._top_waiting(state.waiting[bucket], op, name)
            if contact is None:
                continue
            score = state.score(contact, now)
            if best_score is None or score < best_score:
                best, best_score = contact, score
        return best

    # ------------------------------------------------------------------ routing core

    def _settle(self) -> None:
        """Route everything the last change made possible: contacts first, then operators."""
        while self._pending_contacts or self._pending_ops:
            while self._pending_contacts:
                contact = self._pending_contacts.pop(0)
                if self.contacts.get(contact.spec.id) is contact and contact.state == WAITING:
                    self._route_contact(contact)
            if self._pending_ops:
                op = self._pending_ops.pop(0)
                if op.state == AVAILABLE:
                    self._route_operator(op)

    def _route_contact(self, contact: Contact) -> None:
        state = self.queues[contact.queue]
        target = contact.directed_to or contact.sticky_operator
        if target is not None:
            op = self.operators.get(target)
            if op is not None and self.has_capacity(op, contact.bucket) and self._eligible(op, contact):
                self._offer(contact, op, state)
            else:
                self._hold_for(target, contact)
            return
        if state.cfg.strategy == "ring_all":
            offered = False
            for operator_id in list(state.members):
                op = self.operators.get(operator_id)
                if (op is not None and self.has_capacity(op, contact.bucket)
                        and self._eligible(op, contact)):
                    self._offer(contact, op, state)
                    offered = True
            if offered:
                return
        else:
            op = self._find_operator(state, contact)
            if op is not None:
                self._offer(contact, op, state)
                return
        if contact.excluded and self._clear_exclusions(contact, state):
            self._route_contact(contact)
            return
        contact.token = self._next_token()
        state.push_waiting(contact)

    def _clear_exclusions(self, contact: Contact, state: QueueState) -> bool:
        """Nobody else can take it: let those who missed it earlier try again.

        The operator who missed it last stays excluded, so that a contact never bounces
        straight back to the person who just let it ring out — it goes to the next one.
        """
        last = contact.last_missed
        if not contact.excluded - {last}:
            return False
        contact.excluded = {last} if last else set()
        return True

    def _route_operator(self, op: Operator) -> None:
        while op.state == AVAILABLE:
            offered = False
            for bucket in op.cfg.buckets:
                if not self.has_capacity(op, bucket):
                    continue
                contact = self._find_contact(op, bucket)
                if contact is not None:
                    self._offer(contact, op, self.queues[contact.queue])
                    offered = True
                    break
            if not offered:
                return

    def _next_token(self) -> int:
        self._token += 1
        return self._token

    def _hold_for(self, operator_id: str, contact: Contact, keep_token: bool = False) -> None:
        if not keep_token:
            contact.token = self._next_token()
        heapq.heappush(self._held.setdefault(operator_id, []),
                       (-contact.priority, contact.enqueued_at, contact.token, contact.spec.id))

    def _offer(self, contact: Contact, op: Operator, state: QueueState) -> None:
        now = self.clock.now()
        self.offer_seq += 1
        offer_id = f"of{self.offer_seq}"
        deadline = now + state.cfg.timeout_for(contact.bucket)
        offer = Offer(offer_id, contact.spec.id, op.cfg.id, now, deadline)
        contact.offers[offer_id] = offer
        contact.state = OFFERED
        self.offers[offer_id] = offer
        op.offers.add(offer_id)
        op.load[contact.bucket] += 1
        if state.cfg.strategy == "round_robin" and not contact.directed_to:
            state.turns[op.cfg.id] = state.turns.get(op.cfg.id, 0) + 1
        self._refresh(op)
        self._timer(deadline, "offer", offer_id)
        self._emit("offer.created", contact, op.cfg.id, offer_id=offer_id, deadline=deadline,
                   directed=contact.directed_to is not None,
                   sticky=contact.sticky_operator is not None)
        self._out.append(Decision(ev.OFFER, contact.spec.id, op.cfg.id, offer_id, deadline,
                                  channel=contact.spec.channel))

    def _release(self, op: Operator, bucket: str, idle: bool = True) -> None:
        """Free one slot of the operator and let them take the next contact."""
        op.load[bucket] -= 1
        if idle and not op.contacts:
            op.idle_since = self.clock.now()
        self._refresh(op)
        self._pending_ops.append(op)

    def _end_offer(self, offer: Offer, outcome: str, reason: str | None = None) -> None:
        """Close one offer (accepted elsewhere, declined, timed out, withdrawn)."""
        contact = self.contacts[offer.contact_id]
        op = self.operators[offer.operator_id]
        del self.offers[offer.id]
        del contact.offers[offer.id]
        op.offers.discard(offer.id)
        self._release(op, contact.bucket, idle=False)
        data: dict[str, Any] = {"offer_id": offer.id, "ring_s": self.clock.now() - offer.created_at}
        if reason:
            data["reason"] = reason
        self._emit(f"offer.{outcome}", contact, op.cfg.id, **data)
        if outcome in ("withdrawn", "timed_out"):
            self._out.append(Decision(ev.WITHDRAW, contact.spec.id, op.cfg.id, offer.id,
                                      reason=reason or outcome, channel=contact.spec.channel))

    def _after_failed_offer(self, contact: Contact, op: Operator) -> None:
        """An offer was declined or ran out: the contact goes to the next operator."""
        contact.excluded.add(op.cfg.id)
        contact.last_missed = op.cfg.id
        if contact.offers:
            return  # ring-all: others are still ringing
        self._back_to_queue(contact)

    def _back_to_queue(self, contact: Contact) -> None:
        contact.state = WAITING
        contact.directed_to = None
        if contact.sticky_operator is not None:
            contact.sticky_operator = None
            contact.sticky_until = None
        if contact.max_wait_due:
            contact.max_wait_due = False
            self._max_wait_reached(contact)
            return
        self._pending_contacts.append(contact)

    def _admit(self, contact: Contact, state: QueueState, reason: str) -> None:
        """Put a contact into a queue, or act on it if the queue is closed or full."""
        if not state.open and state.cfg.hours is not None:
            self._act(contact, state.cfg.on_closed or Action("message"), "closed")
        elif state.cfg.max_length is not None and state.waiting_count >= state.cfg.max_length:
            self._act(contact, state.cfg.on_full or Action("reject"), "queue_full")
        else:
            self._enqueue(contact, state, reason)

    def _enqueue(self, contact: Contact, state: QueueState, reason: str) -> None:
        now = self.clock.now()
        contact.queue = state.cfg.name
        contact.queue_since = now
        contact.state = WAITING
        contact.excluded = set()
        contact.last_missed = None
        contact.needs = _merge_needs(state.cfg.required_skills, contact.spec.skills)
        if state.cfg.language_routing and contact.spec.language:
            key = f"lang_{contact.spec.language}"
            contact.needs[key] = max(1, contact.needs.get(key, 0))
        state.waiting_count += 1
        data: dict[str, Any] = {"reason": reason, "priority": contact.priority,
                                "target_answer_s": state.cfg.target_answer_s}
        if state.cfg.max_wait_s is not None:
            contact.max_wait_at = now + state.cfg.max_wait_s
            self._timer(contact.max_wait_at, "max_wait", contact.spec.id)
        sticky = self._sticky_operator(contact, state) if reason == "arrival" else None
        if sticky is not None:
            contact.sticky_operator = sticky
            contact.sticky_until = now + state.cfg.sticky_wait_s
            self._timer(contact.sticky_until, "sticky", contact.spec.id)
            data["sticky_operator"] = sticky
        self._emit("contact.queued", contact, **data)
        self._pending_contacts.append(contact)

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
        if at is not None and self.clock.now() - at > state.cfg.sticky_window_s:
            return None
        op = self.operators.get(operator_id)
        if op is None or op.state == OFFLINE or operator_id not in state.members:
            return None
        return operator_id

    def _leave_queue(self, contact: Contact) -> None:
        """Bookkeeping when a waiting or offered contact stops waiting in its queue."""
        state = self.queues.get(contact.queue)
        if state is not None and contact.state in (WAITING, OFFERED):
            state.waiting_count -= 1
        contact.max_wait_at = None
        contact.sticky_operator = None
        contact.sticky_until = None

    def _act(self, contact: Contact, action: Action, reason: str) -> None:
        """Overflow, callback, message or reject: what a queue does with a contact it won't keep."""
        source = contact.queue
        if action.kind == "overflow" and contact.overflows < MAX_OVERFLOWS:
            target = self.queues.get(action.target_queue or "")
            if target is not None:
                contact.overflows += 1
                self._emit("contact.overflowed", contact, queue=source, reason=reason,
                           to_queue=target.cfg.name)
                contact.queue = target.cfg.name
                self._admit(contact, target, "overflow")
                return
        if action.kind == "callback":
            self._emit("callback.created", contact, reason=reason,
                       customer_id=contact.spec.customer_id)
            self._out.append(Decision(ev.CALLBACK, contact.spec.id, reason=reason,
                                      target=contact.spec.customer_id, channel=contact.spec.channel))
            if action.text:
                self._out.append(Decision(ev.AUTO_REPLY, contact.spec.id, text=action.text, reason=reason,
                                          channel=contact.spec.channel))
            self._close(contact, "callback", reason)
            return
        if action.kind == "message":
            self._out.append(Decision(ev.AUTO_REPLY, contact.spec.id, text=action.text,
                                      reason=reason, channel=contact.spec.channel))
            outcome = "message"
        else:
            outcome = "rejected"
        if contact.bucket == "voice":
            self._out.append(Decision(ev.DISCONNECT, contact.spec.id, reason=reason,
                                      channel=contact.spec.channel))
        self._close(contact, outcome, reason)

    def _close(self, contact: Contact, outcome: str, reason: str | None = None,
               disposition_missing: bool = False) -> None:
        """The contact's last event: every arrived contact gets exactly one ``contact.closed``."""
        now = self.clock.now()
        data: dict[str, Any] = {"outcome": outcome, "answered": contact.answered_once}
        if reason:
            data["reason"] = reason
        if contact.answered_once:
            data["talk_s"] = contact.talk_s - contact.hold_s
            data["hold_s"] = contact.hold_s
            data["wrap_s"] = now - contact.ended_at if contact.ended_at is not None else 0.0
        if disposition_missing:
            data["disposition_missing"] = True
        self._emit("contact.closed", contact, contact.operator_id, **data)
        contact.closed_at = now
        if disposition_missing and self.settings.late_disposition_s > 0:
            contact.state = CLOSED
            self._timer(now + self.settings.late_disposition_s, "forget", contact.spec.id)
        else:
            del self.contacts[contact.spec.id]


    def _max_wait_reached(self, contact: Contact) -> None:
        state = self.queues[contact.queue]
        action = state.cfg.on_max_wait or Action("callback")
        self._leave_queue(contact)
        contact.state = WAITING
        self._act(contact, action, "max_wait")

    def _schedule_hours(self, state: QueueState, initial: bool = False) -> None:
        hours = state.cfg.hours
        if hours is None:
            state.open, state.next_change = True, None
            return
        now = self.clock.now()
        is_open = hours.is_open(now)
        if initial and is_open != state.open:
            state.open = is_open
            self._emit("queue.opened" if is_open else "queue.closed", None, queue=state.cfg.name)
        state.open = is_open
        following = hours.next_change(now)
        if following is not None and following != state.next_change:
            # One armed timer per change: reconfiguring a queue with the same hours must
            # not arm a second, equally valid one.
            self._timer(following, "hours", state.cfg.name)
        state.next_change = following


def _merge_needs(queue_needs: Mapping[str, int], contact_needs: Mapping[str, int]) -> dict[str, int]:
    """The stricter of the queue's and the contact's skill requirements."""
    if not queue_needs:
        return dict(contact_needs)
    merged = dict(queue_needs)
    for name, level in contact_needs.items():
        merged[name] = max(level, merged.get(name, 0))
    return merged
