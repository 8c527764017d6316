"""What a visitor sees of their conversation: its messages and a few turns of its life,
never the operators' side (offers, notes, dispositions, delivery reports).

The same shapes come from stored messages (the conversation as read over REST) and from
events (pushed live, or replayed after a reconnect), so the widget can merge both by the
message's id and show every message once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dozvon.conversations.models import Message
from dozvon.routing.events import RoutingEvent

#: The event types a visitor's socket carries (see :func:`visitor_frame`).
VISIBLE = frozenset({"message.received", "message.sent", "contact.answered", "contact.transferred",
                     "contact.ended", "contact.closed", "contact.abandoned", "csat.rated"})


def message_frame(msg: Message, operator_name: str = "") -> dict[str, Any]:
    """A stored message as the visitor sees it. The operator is shown by the name customers
    see (``operator_name``), never by the login stored as the message's author."""
    auto = msg.external_id.startswith("auto-")
    author = msg.author if msg.direction == "in" else ("" if auto else operator_name)
    return {"id": msg.external_id, "direction": msg.direction, "text": msg.text, "at": msg.at_us / 1e6,
            "author": author or "", "auto": auto}


def visitor_frame(event: RoutingEvent, names: Callable[[], Mapping[str, str]]) -> dict[str, Any] | None:
    """The visitor's view of one event of their conversation, or None if it is not theirs
    to see. ``names`` gives operator id → name, asked only when needed."""
    if event.type not in VISIBLE:
        return None
    data = event.data
    frame: dict[str, Any] = {"kind": "event", "seq": event.seq, "conversation_id": event.contact_id,
                             "at": event.at}
    if event.type in ("message.received", "message.sent"):
        author = data.get("author")
        if event.type == "message.sent":
            author = names().get(author, "") if author else ""
        frame.update(type="message", message={
            "id": data.get("message_id"), "direction": "in" if event.type == "message.received" else "out",
            "text": data.get("text", ""), "at": event.at, "author": author or "", "auto": bool(data.get("auto"))})
    elif event.type == "contact.answered":
        frame.update(type="joined", operator=names().get(event.operator_id or "", ""))
    elif event.type == "contact.transferred":
        frame.update(type="transferred")
    elif event.type == "csat.rated":
        frame.update(type="rated", score=data.get("score"))
    elif event.type == "contact.ended" or (event.type == "contact.closed" and data.get("answered")):
        frame.update(type="ended", rateable=bool(event.operator_id or data.get("answered")))
    else:  # abandoned, or closed without an answer (the visitor left, out of hours)
        frame.update(type="closed")
    return frame
