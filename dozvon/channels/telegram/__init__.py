"""The Telegram channel: a bot per project connection, updates by webhook or long polling,
text, photos and documents in, replies and files out through the outbox.

Importing the package registers its messages and the ``telegram`` kind of connection
(:mod:`~dozvon.channels.telegram.kind`); :func:`~dozvon.channels.telegram.mount.mount`
wires it into a server. See docs/channels.md, "Telegram".
"""

from dozvon.channels.telegram import kind as _kind  # noqa: F401  (registers the telegram kind)
from dozvon.channels.telegram import messages as _messages  # noqa: F401  (registers the channel's messages)
