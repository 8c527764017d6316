"""Channels: the adapters between outside systems (phones, chats, mail, forms) and Dozvon.

:mod:`dozvon.channels.registry` names every channel, the capacity bucket it loads and the
adapter that carries out decisions and delivers outbound messages for it. Adding a channel
is registering it here; the routing engine never changes (see docs/channels.md).
"""

from dozvon.channels import messages as _messages  # noqa: F401  (registers the domain's messages)
