"""Keeping every enabled bot fed: long polling for those that poll, setWebhook for those
on a webhook — whatever the channels API changed since.

:meth:`TelegramService.reconcile` runs every second: a bot added, switched, re-tokened
or removed is noticed within one, without the channels API having to know about Telegram.

Long polling (:class:`Poller`, a thread per bot) asks getUpdates from the stored offset,
stores the answer's updates (:mod:`~dozvon.channels.telegram.inbound`), and only then
moves the offset past them — in the database, so a restarted server asks for the same
updates again and the ingest recognises what it already has. Telegram refuses getUpdates
while a webhook is set, so a polling bot's webhook is deleted first.
"""

from __future__ import annotations

import threading
import time
import warnings
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from telegram.error import InvalidToken, TelegramError
from telegram.warnings import PTBUserWarning

from dozvon.channels import connections
from dozvon.channels.telegram import inbound
from dozvon.channels.telegram.bot import bots
from dozvon.channels.telegram.inbound import Bot
from dozvon.channels.telegram.kind import settings_of
from dozvon.channels.telegram.models import TelegramOffset
from dozvon.core.clock import now_us
from dozvon.core.i18n import translate
from dozvon.server.hub import Hub

#: The update types a bot asks for: messages, and presses of the survey's buttons;
#: anything else that still comes is skipped with a reason.
ALLOWED_UPDATES = ["message", "callback_query"]
#: The most updates one getUpdates returns (the Bot API's own limit).
POLL_LIMIT = 100
#: Seconds before a failed setWebhook is tried again.
WEBHOOK_RETRY_S = 30.0
#: Seconds between two failed getUpdates (Telegram down, a token revoked).
POLL_PAUSE_S = 2.0


async def _raw_updates(client: Any, params: dict[str, Any]) -> Any:
    """getUpdates as Telegram answered it: every update reaches :func:`inbound.prepare` as
    sent, so one the library could not parse fails alone there rather than the whole
    answer inside the library (which suggests its parsed method instead: we know)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBUserWarning)
        return await client.do_api_request("getUpdates", api_kwargs=params)


def hook_path(connection_id: int) -> str:
    return f"/hooks/telegram/{connection_id}"


@dataclass(frozen=True)
class _Wanted:
    """What a bot's row asks for; a change restarts its poller or sets its webhook again."""

    bot: Bot
    mode: str
    fingerprint: tuple[object, ...]


class Poller:
    """Long polling for one bot, on a thread of its own, until stopped."""

    def __init__(self, hub: Hub, bot: Bot) -> None:
        self.hub, self.bot = hub, bot
        self.settings = settings_of(bot)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"telegram-poll-{bot.id}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _offset(self) -> int:
        with self.hub.sessions() as session:
            found = session.get(TelegramOffset, self.bot.id)
            return found.next_offset if found is not None else 0

    def _advance(self, offset: int) -> None:
        with self.hub.sessions.begin() as session:
            row = session.get(TelegramOffset, self.bot.id)
            if row is None:
                session.add(TelegramOffset(connection_id=self.bot.id, next_offset=offset, updated_at_us=now_us()))
            elif offset > row.next_offset:
                row.next_offset, row.updated_at_us = offset, now_us()

    def _note(self, reason: str) -> None:
        try:
            with self.hub.sessions.begin() as session:
                connections.mark_error(session, self.bot.id, translate("telegram.poll_failed", reason=reason))
        except Exception as error:
            print(f"dozvon: telegram health not marked: {error!r}", flush=True)

    def _run(self) -> None:
        timeout = self.settings.poll_timeout_s
        try:
            client = bots.bot(self.bot.token, self.settings.api_url, read_timeout=timeout + 10.0)
        except InvalidToken as error:  # it cannot work until the row's token changes (which restarts the poller)
            self._note(str(error) or type(error).__name__)
            return
        webhook_cleared = False
        while not self._stop.is_set():
            try:
                if not webhook_cleared:
                    bots.call(client.delete_webhook(), timeout=30)
                    webhook_cleared = True
                offset = self._offset()
                raw = bots.call(_raw_updates(client, {"offset": offset, "limit": POLL_LIMIT, "timeout": timeout,
                                                      "allowed_updates": ALLOWED_UPDATES}), timeout=timeout + 30.0)
                if self._stop.is_set():
                    return  # stopped while waiting: another poller (or none) takes over from the stored offset
                self.take(raw if isinstance(raw, list) else [])
            except (TelegramError, OSError, TimeoutError) as error:
                self._note(str(error) or type(error).__name__)
                self._stop.wait(POLL_PAUSE_S)
            except Exception as error:  # the database is down: nothing acknowledged, ask again shortly
                self._note(f"{type(error).__name__}: {error}")
                self._stop.wait(POLL_PAUSE_S)

    def take(self, updates: list[object]) -> None:
        """Store one getUpdates answer, then move the offset past it."""
        if not updates:
            return
        prepared = [inbound.prepare(self.bot, raw) for raw in updates]
        inbound.store(self.hub, self.bot, prepared)
        last = max((p.update_id for p in prepared), default=-1)
        if last >= 0:
            self._advance(last + 1)


class TelegramService:
    """Every enabled bot of the server: its poller or its webhook."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.pollers: dict[int, tuple[tuple[object, ...], Poller]] = {}
        self.webhooks: dict[int, tuple[object, ...]] = {}
        #: connection id → monotonic time before which a failed setWebhook is not tried again.
        self._webhook_retry: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopping: list[Poller] = []
        self._guard = threading.Lock()

    def start(self, every_s: float = 1.0) -> None:
        self._thread = threading.Thread(target=self._run, args=(every_s,), name="telegram-bots", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._guard:  # a round under way starts no poller after this
            self._stop.set()
            for _, poller in self.pollers.values():
                poller.stop()
                self._stopping.append(poller)
            self.pollers.clear()

    def _run(self, every_s: float) -> None:
        while not self._stop.is_set():
            try:
                self.reconcile()
            except Exception as error:  # the database is down: try again next round
                print(f"dozvon: telegram bots not reconciled: {error!r}", flush=True)
            self._stop.wait(every_s)

    def _wanted(self) -> dict[int, _Wanted]:
        from dozvon.channels.models import ChannelConnection

        wanted = {}
        with self.hub.sessions() as session:
            for row in session.scalars(select(ChannelConnection).where(ChannelConnection.kind == "telegram",
                                                                       ChannelConnection.enabled.is_(True))):
                try:
                    bot = Bot.of(row)
                    settings = settings_of(bot)
                except Exception as error:  # an unreadable secret or settings: said in the health
                    print(f"dozvon: telegram bot {row.project}/{row.name} not started: {error}", flush=True)
                    continue
                wanted[row.id] = _Wanted(bot, settings.mode, (bot.token, row.queue, tuple(sorted(
                    settings.model_dump().items()))))
        return wanted

    def reconcile(self) -> None:
        wanted = self._wanted()
        with self._guard:
            for connection_id in list(self.pollers):
                w = wanted.get(connection_id)
                if w is None or w.mode != "polling" or w.fingerprint != self.pollers[connection_id][0]:
                    gone = self.pollers.pop(connection_id)[1]
                    gone.stop()
                    self._stopping = [p for p in self._stopping if p.thread.is_alive()] + [gone]
        for connection_id in list(self.webhooks):
            w = wanted.get(connection_id)
            if w is None or w.mode != "webhook" or w.fingerprint != self.webhooks[connection_id]:
                del self.webhooks[connection_id]
        for connection_id, w in wanted.items():
            if w.mode == "polling" and connection_id not in self.pollers:
                with self._guard:
                    if self._stop.is_set():
                        return
                    poller = Poller(self.hub, w.bot)
                    self.pollers[connection_id] = (w.fingerprint, poller)
                    poller.start()
            elif (w.mode == "webhook" and connection_id not in self.webhooks
                  and self._webhook_retry.get(connection_id, 0.0) <= time.monotonic()):
                if self.set_webhook(w.bot):
                    self.webhooks[connection_id] = w.fingerprint
                    self._webhook_retry.pop(connection_id, None)
                else:
                    self._webhook_retry[connection_id] = time.monotonic() + WEBHOOK_RETRY_S

    def set_webhook(self, bot: Bot) -> bool:
        """setWebhook with the secret token Telegram will send back in every update's header."""
        settings = settings_of(bot)
        try:
            client = bots.bot(bot.token, settings.api_url)  # an empty token is refused here
            bots.call(client.set_webhook(settings.public_url + hook_path(bot.id), secret_token=bot.webhook_secret,
                                         allowed_updates=ALLOWED_UPDATES), timeout=30)
        except (TelegramError, OSError, TimeoutError) as error:
            with self.hub.sessions.begin() as session:
                connections.mark_error(session, bot.id, translate("telegram.webhook_failed",
                                                                  reason=str(error) or type(error).__name__))
            return False
        return True

    def wait_stopped(self, timeout: float = 60.0) -> None:
        """Until the stopped pollers' last getUpdates has returned (a long poll ends within
        its ``poll_timeout_s``): nothing of this server asks Telegram any more."""
        deadline = time.monotonic() + timeout
        if self._thread is not None:
            self._thread.join(max(0.0, deadline - time.monotonic()))
        for poller in self._stopping:
            poller.thread.join(max(0.0, deadline - time.monotonic()))
