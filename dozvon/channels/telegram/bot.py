"""The Bot API client: python-telegram-bot (``telegram.Bot``) on one asyncio loop of its own.

Why python-telegram-bot: it is well kept, typed, follows every Bot API release, sits on
httpx (which Dozvon already uses), and takes the Bot API's address (``base_url``,
``base_file_url``) per bot — so a self-hosted Bot API server, or the tests' fake one, is
a setting, not a patch. aiogram would do as well but brings aiohttp beside httpx.

The library is asynchronous while Dozvon's adapters are called in worker threads (the
outbox's ``deliver``, a webhook's handler, the pollers): :class:`BotLoop` runs one event
loop on a daemon thread for every bot of the process and lets a thread wait for one call
(:meth:`BotLoop.call`). The bots' HTTP connections stay open between calls.
"""

from __future__ import annotations

import asyncio
import threading
import warnings
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any, TypeVar

from telegram import Bot
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

T = TypeVar("T")

#: Telegram's own Bot API.
TELEGRAM_API = "https://api.telegram.org"


class BotLoop:
    """The process's loop for Bot API calls, started on first use."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._bots: dict[tuple[str, str, float], Bot] = {}
        self._guard = threading.Lock()

    def _running(self) -> asyncio.AbstractEventLoop:
        with self._guard:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="telegram-bots", daemon=True).start()
                self._loop = loop
            return self._loop

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        """Run one coroutine of the library on the bots' loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self._running()).result(timeout)

    def bot(self, token: str, api_url: str = TELEGRAM_API, read_timeout: float = 10.0) -> Bot:
        """The bot for this token at this Bot API (one per pair, its connections kept open).
        ``read_timeout`` is the longest a call may wait for the answer (a long poll's)."""
        key = (token, api_url.rstrip("/"), read_timeout)
        with self._guard:
            found = self._bots.get(key)
            if found is None:
                base = api_url.rstrip("/")
                found = Bot(token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot",
                            request=HTTPXRequest(connection_pool_size=16, read_timeout=read_timeout,
                                                 connect_timeout=5.0, pool_timeout=5.0),
                            get_updates_request=HTTPXRequest(connection_pool_size=2, read_timeout=read_timeout,
                                                             connect_timeout=5.0))
                self._bots[key] = found
            return found


#: The process's one loop for every bot.
bots = BotLoop()


def retry_after_s(error: RetryAfter) -> float:
    """The seconds Telegram asked to wait (the library gives an int or a timedelta)."""
    with warnings.catch_warnings():  # the type changes in a later version: both are read
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: Any = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def is_permanent(error: TelegramError) -> bool:
    """A refusal retrying cannot help: the bot was blocked or kicked (403), the chat is gone
    or the request is wrong (400). A revoked token (401/404) is the admin's to fix, so a
    message waits and is retried; so does anything on the network or Telegram's side."""
    return isinstance(error, (Forbidden, BadRequest)) and not isinstance(error, InvalidToken)
