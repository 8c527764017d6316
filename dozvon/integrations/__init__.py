"""Integrations: what Dozvon tells other systems — outbound webhooks.

A project subscribes a URL to event types; every event of the log that matches becomes a
durable delivery (:mod:`dozvon.integrations.models`), signed and sent by the server's
webhook loop (:mod:`dozvon.integrations.sender`) at least once, with backoff.
"""

from dozvon.integrations import messages as _messages  # noqa: F401  (registers the domain's messages)
