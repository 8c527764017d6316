"""The engine's outbox: events for the log and decisions for the adapters.

Every part of the engine writes to this one outbox, so that events get one gap-free
``seq`` in the order things happened, whichever part did them, and a command returns
exactly the decisions it made (and nothing a previous command made).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dozvon.core.clock import Clock
from dozvon.routing.events import Decision, RoutingEvent
from dozvon.routing.model import Contact


class Outbox:
    __slots__ = ("_clock", "_decided", "events", "issued", "seq")

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        #: Events appended in order; the driver drains them.
        self.events: list[RoutingEvent] = []
        #: The ``seq`` of the last event (persisted, so that it survives restarts).
        self.seq = 0
        #: Decisions of the command that is running.
        self._decided: list[Decision] = []
        #: Every decision handed out, kept for a driver that carries them out after its
        #: commit (the server); None (the simulator): not kept.
        self.issued: list[Decision] | None = None

    def emit(self, type_: str, contact: Contact | None = None, operator_id: str | None = None,
             queue: str | None = None, **data: Any) -> None:
        """Append an event now; a contact's event carries its queue (unless named) and channel."""
        self.seq += 1
        if contact is not None:
            self.events.append(RoutingEvent(
                self.seq, type_, self._clock.now(), contact.spec.id, operator_id,
                queue or contact.queue, contact.spec.channel, data))
        else:
            self.events.append(RoutingEvent(
                self.seq, type_, self._clock.now(), None, operator_id, queue, None, data))

    def record(self, type_: str, at: float, contact_id: str | None, operator_id: str | None,
               queue: str | None, channel: str | None, data: dict[str, Any]) -> None:
        """Append an event exactly as given (a fact noted for the log, at its own time)."""
        self.seq += 1
        self.events.append(RoutingEvent(self.seq, type_, at, contact_id, operator_id, queue, channel, data))

    @property
    def decide(self) -> Callable[[Decision], None]:
        """Add a decision of the running command (the list's own ``append``: the parts
        bind it once, and a decision costs no extra call)."""
        return self._decided.append

    def take_decisions(self) -> list[Decision]:
        """The running command's decisions, to return to its caller (and keep, if kept)."""
        decided = self._decided
        if not decided:
            return []
        out = decided[:]
        decided.clear()  # the same list: the bound ``decide`` stays valid
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
