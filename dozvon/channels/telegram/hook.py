"""Telegram's webhook: ``POST /hooks/telegram/{bot}`` (the connection's id, or its name when
no other project has a bot of that name), outside the staff API's login gate.

Telegram proves it is Telegram with the ``X-Telegram-Bot-Api-Secret-Token`` header, the
secret given to setWebhook: a wrong or missing one answers 401 and stores nothing. The
answer is 200 only once the update's message (and its files) are committed; any other
answer makes Telegram deliver the update again, which the ingest recognises. An update
that cannot be taken in (an edited message, a callback query that is not a survey
button's, a malformed one) is acknowledged with 200 and its reason goes to the
channel's health: refusing it would only make Telegram send it again and again.
"""

from __future__ import annotations

import hmac
import json
import time
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request
from sqlalchemy import select

from dozvon.channels.models import ChannelConnection
from dozvon.channels.telegram import inbound
from dozvon.channels.telegram.inbound import Bot
from dozvon.core.errors import InvalidInput, NotFound, Unauthorized
from dozvon.server.hub import Hub

router = APIRouter(tags=["telegram"])
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: The largest update body read (a message is at most 4096 characters; a few KB of JSON).
MAX_BODY = 1024 * 1024


#: ref → (until when, the bot): a busy webhook reads its bot (and decrypts its token) at
#: most every couple of seconds; a change or a switch-off is seen as soon.
_recent: dict[tuple[int, str], tuple[float, Bot]] = {}
FRESH_S = 2.0


def find_bot(hub: Hub, ref: str) -> Bot:
    key = (id(hub), ref)  # one process may serve several hubs (tests, benchmarks)
    found = _recent.get(key)
    if found is not None and found[0] > time.monotonic():
        return found[1]
    bot = _read_bot(hub, ref)
    _recent[key] = (time.monotonic() + FRESH_S, bot)
    return bot


def _read_bot(hub: Hub, ref: str) -> Bot:
    with hub.sessions() as session:
        stmt = select(ChannelConnection).where(ChannelConnection.kind == "telegram",
                                               ChannelConnection.enabled.is_(True))
        rows = list(session.scalars(stmt.where(ChannelConnection.id == int(ref)) if ref.isdecimal() and len(ref) < 19
                                    else stmt.where(ChannelConnection.name == ref)))
        if len(rows) != 1:
            raise NotFound("telegram.no_bot", name=ref)
        return Bot.of(rows[0])


@router.post("/hooks/telegram/{bot}", summary="Telegram's webhook: one update, answered once it is stored")
async def telegram_update(bot: str, request: Request) -> dict[str, Any]:
    hub: Hub = request.app.state.hub
    found = await anyio.to_thread.run_sync(find_bot, hub, bot)
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), found.webhook_secret.encode()):
        raise Unauthorized("telegram.bad_secret_token")
    body = await request.body()
    if len(body) > MAX_BODY:
        raise InvalidInput("telegram.not_json", reason=f"{len(body)} bytes, over {MAX_BODY}")
    try:
        raw = json.loads(body)
    except ValueError as error:
        raise InvalidInput("telegram.not_json", reason=str(error)) from None
    if not isinstance(raw, dict):
        raise InvalidInput("telegram.not_json", reason=type(raw).__name__)
    prepared = await anyio.to_thread.run_sync(inbound.prepare, found, raw)
    await anyio.to_thread.run_sync(inbound.store, hub, found, [prepared])
    return {"ok": True}
