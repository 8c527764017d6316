"""The engine's output: events for the log and decisions for the adapters.

Events describe what happened (the append-only log every KPI is computed from; see
docs/events.md). Decisions tell the adapters what to do now (ring an operator, send an
auto-reply, create a callback task). They are separate because a decision may be retried
by an adapter while the event happened exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

#: Bumped when the meaning or the data of any event changes (see docs/events.md).
EVENT_VERSION = 1


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


class Decision(NamedTuple):
    """A command for an adapter. ``kind`` names it; the fields say to whom and what.
    (A NamedTuple: immutable and cheap — every routing step returns several.)"""

    kind: str
    contact_id: str | None = None
    operator_id: str | None = None
    offer_id: str | None = None
    deadline: float | None = None
    text: str | None = None
    target: str | None = None
    reason: str | None = None
    #: The contact's channel: which adapter carries the decision out.
    channel: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self._asdict().items() if v is not None}


# Decision kinds.
OFFER = "offer"                 # ring / show the contact to operator_id until deadline
WITHDRAW = "withdraw"           # stop ringing offer_id (answered elsewhere, abandoned, timed out)
CONNECT = "connect"             # bridge the call / assign the chat to operator_id
AUTO_REPLY = "auto_reply"       # send or play `text` to the customer
CALLBACK = "callback"           # create a callback task for the customer
TRANSFER_OUT = "transfer_out"   # hand the call to an external number/person `target`
DISCONNECT = "disconnect"       # end the customer's leg (after a message, a rejection …)
