"""The channel registry: every channel's name, capacity bucket and adapter.

An adapter does two things for the contacts of its channel, both after the commit that
decided them:

- :meth:`ChannelAdapter.carry_out` — act on a routing decision (connect a chat, hang up a
  call, hand a call to an outside number); called in the committing thread, so it must
  only hand the work on, never block;
- :meth:`ChannelAdapter.deliver` — send one outbound message (an operator's reply, an
  auto-reply) from the durable outbox (:mod:`dozvon.conversations.outbox`). It returns
  when the channel accepted the message, or raises :class:`DeliveryFailed`; the outbox
  retries with backoff. Every message carries an idempotency key the channel can use to
  drop a repeat.

A channel whose adapter runs outside the server (it talks to Dozvon over the ingest API)
has no ``deliver``: its messages wait in the outbox until the adapter fetches them
(``GET …/outbox``) and reports the result — at least once all the same.

This module imports nothing but the core and the engine's decision type, so that the
engine's settings, the simulator and the API can all read the registry.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from dozvon.core.errors import InvalidInput
from dozvon.routing.events import Decision
from dozvon.routing.model import BUCKETS


class DeliveryFailed(Exception):
    """The channel did not take the message. ``permanent``: retrying cannot help (the
    address does not exist, the message is refused) — the outbox gives up at once."""

    def __init__(self, reason: str, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


@dataclass(frozen=True)
class OutboundMessage:
    """One message to a customer, as the outbox hands it to a channel."""

    id: int
    project: str
    channel: str
    conversation_id: str
    #: The idempotency key: the same message retried carries the same key.
    key: str
    text: str
    author: str | None = None
    #: The conversation's id on the channel (a chat session, a mail thread, a call id).
    external_id: str | None = None
    customer_id: str | None = None
    attempt: int = 1
    data: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class ChannelAdapter(Protocol):
    """What a channel's adapter offers the server (see the module's docstring)."""

    #: ``True``: the server calls :meth:`deliver`; ``False``: an outside adapter fetches.
    pushes: bool

    def carry_out(self, project: str, decision: Decision) -> None: ...

    def deliver(self, message: OutboundMessage) -> str | None:
        """Send it; return the channel's id for it (if it gives one) once accepted."""
        ...


class ExternalAdapter:
    """A channel served by an adapter outside the server, over the HTTP API: it ingests
    through ``…/ingest``, fetches its outbound messages from ``…/outbox`` and learns of
    decisions from the event stream. Nothing to do in-process."""

    pushes = False

    def carry_out(self, project: str, decision: Decision) -> None:
        return None

    def deliver(self, message: OutboundMessage) -> str | None:  # pragma: no cover - never pushed
        raise DeliveryFailed("fetched by the outside adapter", permanent=False)


@dataclass(frozen=True)
class Channel:
    name: str
    #: The capacity bucket a contact of this channel loads: voice, chat or email.
    bucket: str
    adapter: ChannelAdapter
    #: Whether its conversations carry text messages (a call has none).
    text: bool = True
    #: The channel asks for the customer's rating its own way (the web chat's stars after
    #: the end): Dozvon sends it no survey message. Other text channels get one.
    rates_itself: bool = False

    @property
    def survey_by_message(self) -> bool:
        """Whether the end of a conversation asks the customer for a 1–5 score by message."""
        return self.text and not self.rates_itself


class Registry:
    """The channels this process knows, by name."""

    def __init__(self) -> None:
        self._channels: dict[str, Channel] = {}
        self._buckets: dict[str, str] = {}
        self._guard = threading.Lock()
        #: Channel → capacity bucket, kept current as channels register: the engines'
        #: settings hold this view, so a channel registered later is routed at once.
        self.bucket_map: Mapping[str, str] = MappingProxyType(self._buckets)

    def register(self, name: str, bucket: str, adapter: ChannelAdapter | None = None,
                 text: bool = True, rates_itself: bool | None = None) -> Channel:
        """Add a channel, or replace the adapter of one (an in-process adapter taking over
        from the outside one). ``rates_itself`` None keeps what the channel had (False for
        a new one): an adapter taking over the web chat need not know about its stars."""
        if bucket not in BUCKETS:
            raise InvalidInput("channels.bad_bucket", channel=name, value=bucket,
                               allowed=", ".join(BUCKETS))
        with self._guard:
            if rates_itself is None:
                before = self._channels.get(name)
                rates_itself = before.rates_itself if before is not None else False
            channel = Channel(name, bucket, adapter or ExternalAdapter(), text, rates_itself)
            self._channels[name] = channel
            self._buckets[name] = bucket
        return channel

    def unregister(self, name: str) -> None:
        with self._guard:
            self._channels.pop(name, None)
            self._buckets.pop(name, None)

    def get(self, name: str) -> Channel:
        channel = self._channels.get(name)
        if channel is None:
            raise InvalidInput("routing.bad_channel", value=name, allowed=", ".join(self.names()))
        return channel

    def find(self, name: str | None) -> Channel | None:
        return self._channels.get(name or "")

    def names(self) -> list[str]:
        return sorted(self._channels)

    def buckets(self) -> dict[str, str]:
        """Channel → capacity bucket, for :class:`~dozvon.routing.model.EngineSettings`."""
        return {c.name: c.bucket for c in self._channels.values()}


#: The process's registry, with the channels every installation has. The adapters that
#: run inside the server (web chat, e-mail, Telegram, voice) replace these entries when
#: they start.
registry = Registry()
registry.register("voice", "voice", text=False)
registry.register("chat", "chat", rates_itself=True)  # the widget's stars (dozvon/widget)
registry.register("messenger", "chat")
registry.register("email", "email")
registry.register("form", "email")
