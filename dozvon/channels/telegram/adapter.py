"""Replies out: the ``telegram`` channel's adapter, which the server's outbox calls.

``deliver`` sends one outbox message to the chat its conversation came from (the chat id
is in the conversation's key): sendMessage, or sendPhoto/sendDocument when an operator
attached a file. Telegram answers what to do next:

- 403 (the customer blocked the bot) and 400 (chat not found, a bad request) cannot get
  better by retrying — :class:`DeliveryFailed` with ``permanent=True``, ``message.failed`` at once;
- 429 carries ``retry_after``: the bot sends nothing more until then (a later attempt
  that comes earlier waits out a short rest here, or fails for now without calling
  Telegram), and the outbox retries;
- a 5xx, a timeout or a broken connection is retried with the outbox's backoff.

Telegram has no idempotency key, so a reply is sent again only when Telegram did not
answer that it took it — at least once, and once whenever Telegram's answer arrives.

The survey's question goes out with buttons 1–5 under it (:mod:`.survey`).

Decisions: an auto-reply's text is already an outbox message (the server writes it with
its ``message.sent`` event), the greeting and the farewell too; a Telegram chat has no line
to hang up, so ``disconnect`` and the rest only leave a trace here.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

from sqlalchemy import select
from telegram import InputFile
from telegram.error import RetryAfter, TelegramError

from dozvon.channels import connections
from dozvon.channels.models import ChannelConnection
from dozvon.channels.registry import DeliveryFailed, OutboundMessage
from dozvon.channels.telegram.bot import bots, is_permanent, retry_after_s
from dozvon.channels.telegram.inbound import Bot, parse_key
from dozvon.channels.telegram.kind import settings_of
from dozvon.channels.telegram.models import ChannelFile
from dozvon.channels.telegram.survey import buttons
from dozvon.core.i18n import translate
from dozvon.routing.events import Decision
from dozvon.server.hub import Hub

#: Telegram takes at most 4096 characters (UTF-16 units) a message; a longer reply goes in pieces.
TEXT_LIMIT = 4000
#: A flood wait shorter than this is waited out inside the attempt; a longer one fails it for now.
SHORT_REST_S = 5.0


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """A reply in pieces Telegram takes, cut at a paragraph, line or space where one is near."""
    pieces = []
    rest = text
    while len(rest) > limit:
        cut = max(rest.rfind("\n\n", 0, limit), rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*pieces, rest] if rest or not pieces else pieces


class TelegramAdapter:
    pushes = True

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        #: connection id → monotonic time before which Telegram asked us not to send.
        self._rest_until: dict[int, float] = {}
        self._guard = threading.Lock()
        #: Decisions seen, by kind (for the health of the adapter and the tests).
        self.decisions: Counter[str] = Counter()

    def carry_out(self, project: str, decision: Decision) -> None:
        self.decisions[decision.kind] += 1

    def _bot(self, connection_id: int) -> Bot:
        with self.hub.sessions() as session:
            row = session.scalar(select(ChannelConnection).where(ChannelConnection.id == connection_id,
                                                                 ChannelConnection.kind == "telegram"))
            if row is None:
                raise DeliveryFailed(translate("telegram.no_bot", "en", name=str(connection_id)), permanent=True)
            return Bot.of(row)

    def _file(self, file_id: int) -> ChannelFile | None:
        with self.hub.sessions() as session:
            found: ChannelFile | None = session.get(ChannelFile, file_id)
            return found

    def deliver(self, message: OutboundMessage) -> str | None:
        where = parse_key(message.external_id)
        if where is None:
            raise DeliveryFailed(f"{message.external_id!r} is not a Telegram chat", permanent=True)
        connection_id, chat_id = where
        bot = self._bot(connection_id)
        self._rest(connection_id)
        try:
            client = bots.bot(bot.token, settings_of(bot).api_url)  # an empty token is refused here
            sent = bots.call(self._send(client, chat_id, message), timeout=60)
        except RetryAfter as error:
            wait = retry_after_s(error)
            with self._guard:
                self._rest_until[connection_id] = time.monotonic() + wait
            raise self._failed(bot, chat_id, f"flood control: retry after {wait:g} s", False) from None
        except TelegramError as error:
            raise self._failed(bot, chat_id, str(error), is_permanent(error)) from None
        except (OSError, TimeoutError) as error:
            raise self._failed(bot, chat_id, str(error) or type(error).__name__, False) from None
        with self.hub.sessions.begin() as session:
            connections.mark_out(session, connection_id)
        return f"{chat_id}:{sent.message_id}"

    async def _send(self, client: Any, chat_id: int, message: OutboundMessage) -> Any:
        file_id = message.data.get("file_id")
        if file_id is None:
            sent = None
            pieces = split_text(message.text)
            for n, piece in enumerate(pieces, 1):  # the survey's buttons under its last piece
                sent = await client.send_message(chat_id, piece,
                                                 reply_markup=buttons(message) if n == len(pieces) else None)
            return sent
        row = self._file(int(file_id))
        if row is None:
            raise DeliveryFailed(f"file {file_id} is gone", permanent=True)
        upload = InputFile(row.data, filename=row.name)
        caption = message.text or None
        if row.kind == "photo":
            return await client.send_photo(chat_id, upload, caption=caption)
        return await client.send_document(chat_id, upload, caption=caption)

    def _rest(self, connection_id: int) -> None:
        """Honour Telegram's last ``retry_after`` for this bot."""
        with self._guard:
            until = self._rest_until.get(connection_id, 0.0)
        left = until - time.monotonic()
        if left <= 0:
            return
        if left > SHORT_REST_S:
            raise DeliveryFailed(f"flood control: {left:.0f} s left before Telegram takes more", permanent=False)
        time.sleep(left)

    def _failed(self, bot: Bot, chat_id: int, reason: str, permanent: bool) -> DeliveryFailed:
        note = translate("telegram.send_failed", chat=chat_id, reason=reason)
        try:
            with self.hub.sessions.begin() as session:
                connections.mark_error(session, bot.id, note)
        except Exception as error:  # the health is a courtesy; the outbox still hears why
            print(f"dozvon: telegram health not marked: {error!r}", flush=True)
        return DeliveryFailed(reason, permanent=permanent)
