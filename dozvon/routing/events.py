"""The engine's output: events for the log and decisions for the adapters.

Events describe what happened (the append-only log every KPI is computed from; see
docs/events.md). Decisions tell the adapters what to do now (ring an operator, send an
auto-reply, create a callback task). They are separate because a decision may be retried
by an adapter while the event happened exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

#: Bumped when the meaning or the data of any event changes (see docs/events.md).
EVENT_VERSION = 1


#: Events that log a fact and leave the engine's state as it was: a message in or out
#: (:meth:`~dozvon.routing.engine.RoutingEngine.record_message` changes nothing it
#: stores), and the facts noted with :meth:`~dozvon.routing.engine.RoutingEngine.note`
#: that come with every contact or message (a delivery report, a note, a rating, a task).
#: The stored rows of their contact and operator need no rewrite for them: a chat's every
#: message rewrote its contact's and its operator's row, the largest part of its batch.
#: A type left out costs only that rewrite; one in it that changed the state would leave a
#: stale row (tests/persistence/test_facts_only.py checks the messages' part) — and a
#: command whose transaction fails after noting only these is undone by putting the event
#: counter back (``RouterService._undo``), which would leave that change in memory.
FACTS_ONLY: Final = frozenset({
    "message.received", "message.sent", "message.delivered", "message.failed", "note.added", "csat.rated",
    "task.created", "task.done", "task.cancelled", "task.overdue"})


@dataclass(slots=True)
class RoutingEvent:
    seq: int
    type: str
    at: float
    contact_id: str | None = None
    operator_id: str | None = None
    queue: str | None = None
    channel: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "type": self.type, "at": self.at, "contact_id": self.contact_id,
                "operator_id": self.operator_id, "queue": self.queue, "channel": self.channel,
                "data": self.data}


class EventSink:
    """Where an engine that keeps no events (the simulator's) hands them instead, as their
    parts (see :class:`~dozvon.routing.outbox.Outbox`): the KPI accumulator, which
    subclasses it.

    The events every contact produces have a method each, with their fields as arguments,
    so that the engine builds neither the event nor its data for them; every other event
    comes through :meth:`event`. Events no KPI reads on every contact (``offer.accepted``,
    ``contact.ended``, ``contact.wrap_up_ended``, ``contact.disposition``) are not handed
    on at all.

    A base class, not a Protocol: the engine calls a sink five times per contact, and a
    compiled build (dozvon/sim/compiled.py) calls a concrete class's methods directly,
    with unboxed floats and no argument parsing, where a Protocol's are looked up by name.
    This one drops everything.
    """

    __slots__ = ()

    def event(self, type_: str, at: float, contact_id: str | None, operator_id: str | None,
              queue: str | None, data: dict[str, Any]) -> None:
        return None

    def arrived(self, at: float, contact_id: str, queue: str) -> None:
        return None

    def queued(self, at: float, contact_id: str, queue: str, target_answer_s: float | None) -> None:
        return None

    def offer_created(self, at: float, contact_id: str, operator_id: str) -> None:
        return None

    def answered(self, at: float, contact_id: str, operator_id: str, wait_s: float, first: bool,
                 ring_s: float) -> None:
        return None

    def closed(self, at: float, contact_id: str, operator_id: str | None, queue: str, outcome: str | None,
               answered: bool, talk_s: float | None, hold_s: float, wrap_s: float) -> None:
        return None


#: A decision's fields, in order.
_Fields = tuple[str, str | None, str | None, str | None, float | None, str | None, str | None, str | None, str | None]


class Decision:
    """A command for an adapter. ``kind`` names it; the fields say to whom and what.

    Immutable (its fields are ``Final``), equal to another with the same fields, and
    cheap: every routing step returns several. A plain class with ``__slots__`` rather
    than a NamedTuple, so that a compiled build (dozvon/sim/compiled.py) makes it a native
    class — built and read without CPython's generic path for a tuple subclass. It is not
    a tuple: read its fields by name."""

    __slots__ = ("channel", "contact_id", "deadline", "kind", "offer_id", "operator_id", "reason", "target",
                 "text")

    def __init__(self, kind: str, contact_id: str | None = None, operator_id: str | None = None,
                 offer_id: str | None = None, deadline: float | None = None, text: str | None = None,
                 target: str | None = None, reason: str | None = None, channel: str | None = None) -> None:
        self.kind: Final = kind
        self.contact_id: Final = contact_id
        self.operator_id: Final = operator_id
        self.offer_id: Final = offer_id
        self.deadline: Final = deadline
        self.text: Final = text
        self.target: Final = target
        self.reason: Final = reason
        #: The contact's channel: which adapter carries the decision out.
        self.channel: Final = channel

    def _values(self) -> _Fields:
        return (self.kind, self.contact_id, self.operator_id, self.offer_id, self.deadline, self.text,
                self.target, self.reason, self.channel)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Decision):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __reduce__(self) -> tuple[type[Decision], _Fields]:
        # copy and pickle: a compiled build's native class has no other way to be rebuilt.
        return Decision, self._values()

    def __repr__(self) -> str:
        return (f"Decision(kind={self.kind!r}, contact_id={self.contact_id!r}, operator_id={self.operator_id!r},"
                f" offer_id={self.offer_id!r}, deadline={self.deadline!r}, text={self.text!r},"
                f" target={self.target!r}, reason={self.reason!r}, channel={self.channel!r})")

    def to_dict(self) -> dict[str, Any]:
        data = {"kind": self.kind, "contact_id": self.contact_id, "operator_id": self.operator_id,
                "offer_id": self.offer_id, "deadline": self.deadline, "text": self.text, "target": self.target,
                "reason": self.reason, "channel": self.channel}
        return {k: v for k, v in data.items() if v is not None}


def decision(kind: str, contact_id: str | None, operator_id: str | None, offer_id: str | None,
             deadline: float | None, channel: str | None) -> Decision:
    """``Decision(kind, contact_id, operator_id, offer_id, deadline, channel=channel)``
    for the decisions every contact gets (the offer, the connect): every argument
    positional, which is the cheapest call of the constructor."""
    return Decision(kind, contact_id, operator_id, offer_id, deadline, None, None, None, channel)


# Decision kinds.
OFFER: Final = "offer"                 # ring / show the contact to operator_id until deadline
WITHDRAW: Final = "withdraw"           # stop ringing offer_id (answered elsewhere, abandoned, timed out)
CONNECT: Final = "connect"             # bridge the call / assign the chat to operator_id
AUTO_REPLY: Final = "auto_reply"       # send or play `text` to the customer
CALLBACK: Final = "callback"           # create a callback task for the customer
TRANSFER_OUT: Final = "transfer_out"   # hand the call to an external number/person `target`
DISCONNECT: Final = "disconnect"       # end the customer's leg (after a message, a rejection …)
