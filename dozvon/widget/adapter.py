"""The chat channel's adapter when the widget serves it: a message to a visitor is
delivered once one of the visitor's live connections has it.

The visitor's page shows messages from the conversation's events (pushed live, replayed
from the log after a reconnect), so nothing depends on the delivery attempt itself; the
attempt records *whether the visitor had it*. A visitor who is not connected makes the
attempt fail for now: the outbox retries with backoff, and a visitor who comes back
makes their waiting messages due at once (:func:`dozvon.conversations.outbox.make_due`).

Chat conversations that did not come from the widget (an outside chat service ingesting
through the API, the demo's generated customers) go to ``others``.
"""

from __future__ import annotations

from dozvon.channels.registry import ChannelAdapter, DeliveryFailed, OutboundMessage
from dozvon.routing.events import Decision
from dozvon.widget.bus import VisitorBus, visitor_bus

#: The widget's messages' ids on the chat channel start with this (``w:<visitor>:<id>``).
PREFIX = "w:"


class WidgetAdapter:
    pushes = True

    def __init__(self, bus: VisitorBus | None = None, others: ChannelAdapter | None = None) -> None:
        self.bus = bus or visitor_bus
        self.others = others

    def carry_out(self, project: str, decision: Decision) -> None:
        if self.others is not None:
            self.others.carry_out(project, decision)

    def deliver(self, message: OutboundMessage) -> str | None:
        if not (message.external_id or "").startswith(PREFIX):
            if self.others is not None and self.others.pushes:
                return self.others.deliver(message)
            raise DeliveryFailed("not a widget conversation, and no other chat adapter delivers", permanent=True)
        if not self.bus.online(message.conversation_id):
            raise DeliveryFailed("the visitor is not connected", permanent=False)
        return f"widget-{message.id}"
