"""The engine's outbox: events for the log and decisions for the adapters.

Every part of the engine writes to this one outbox, so that events get one gap-free
``seq`` in the order things happened, whichever part did them, and a command returns
exactly the decisions it made (and nothing a previous command made).

An engine given a ``sink`` (the simulator's KPI accumulator) keeps no events: each goes,
as its parts, straight to the sink (see :class:`~dozvon.routing.events.EventSink`) — no
event object, no list, no drain; the parts of the engine hand the events of every contact
to the sink's own methods, without building their data. ``seq`` then counts nothing.
"""

from __future__ import annotations

from typing import Any

from dozvon.core.clock import Clock
from dozvon.routing.events import Decision, EventSink, RoutingEvent
from dozvon.routing.model import Contact


class Outbox:
    __slots__ = ("_clock", "decided", "events", "issued", "seq", "sink")

    def __init__(self, clock: Clock, sink: EventSink | None = None) -> None:
        self._clock = clock
        #: Where events go instead of being kept (None: keep them).
        self.sink = sink
        #: Events appended in order; the driver drains them.
        self.events: list[RoutingEvent] = []
        #: The ``seq`` of the last event (persisted, so that it survives restarts).
        self.seq = 0
        #: Decisions of the command that is running: the parts of the engine hold this
        #: list and append to it (a plain list's append: no call of ours per decision).
        self.decided: list[Decision] = []
        #: Every decision handed out, kept for a driver that carries them out after its
        #: commit (the server); None (the simulator): not kept.
        self.issued: list[Decision] | None = None

    def emit(self, type_: str, contact: Contact | None = None, operator_id: str | None = None,
             queue: str | None = None, **data: Any) -> None:
        """Append an event now; a contact's event carries its queue (unless named) and channel."""
        self.emit_data(type_, contact, operator_id, queue, data)

    def emit_data(self, type_: str, contact: Contact | None, operator_id: str | None, queue: str | None,
                  data: dict[str, Any]) -> None:
        """:meth:`emit` with the event's data as a dict, every argument positional: the call
        the engine's parts make where an event is frequent (a compiled build calls it
        natively, where ``emit(**data)`` packs its keywords through the generic call)."""
        sink = self.sink
        if sink is not None:
            if contact is not None:
                sink.event(type_, self._clock.now(), contact.id, operator_id, queue or contact.queue, data)
            else:
                sink.event(type_, self._clock.now(), None, operator_id, queue, data)
            return
        self.seq += 1
        if contact is not None:
            self.events.append(RoutingEvent(
                self.seq, type_, self._clock.now(), contact.id, operator_id,
                queue or contact.queue, contact.spec.channel, data))
        else:
            self.events.append(RoutingEvent(
                self.seq, type_, self._clock.now(), None, operator_id, queue, None, data))

    def record(self, type_: str, at: float, contact_id: str | None, operator_id: str | None,
               queue: str | None, channel: str | None, data: dict[str, Any]) -> None:
        """Append an event exactly as given (a fact noted for the log, at its own time)."""
        if self.sink is not None:
            self.sink.event(type_, at, contact_id, operator_id, queue, data)
            return
        self.seq += 1
        self.events.append(RoutingEvent(self.seq, type_, at, contact_id, operator_id, queue, channel, data))

    def take_decisions(self) -> list[Decision]:
        """The running command's decisions, to return to its caller (and keep, if kept)."""
        decided = self.decided
        if not decided:
            return []
        out = decided[:]
        decided.clear()  # the same list: the parts holding it keep appending to it
        if self.issued is not None:
            self.issued.extend(out)
        return out

    def drain_decisions(self) -> list[Decision]:
        out = self.issued or []
        if self.issued is not None:
            self.issued = []
        return out

    def drain_events(self) -> list[RoutingEvent]:
        out, self.events = self.events, []
        return out
