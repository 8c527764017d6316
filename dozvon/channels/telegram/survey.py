"""The survey in Telegram: buttons 1–5 under the question, and a press of one of them.

The question itself is an ordinary automatic message (dozvon/conversations/survey.py): a
customer who types "4" answers it through the ingest, like on every channel. A button is
quicker, and it names its conversation, so a press rates *that* conversation (once, as
the widget's stars do: ``do_rate``) — whether or not the customer wrote something else
since — as long as the question is less than a day old. Telegram's callback data is the
conversation's id and the score, ``csat:<conversation>:<score>``; a client can forge it,
so a press counts only from the chat the conversation is with, on the bot it came
through. Every press is answered (answerCallbackQuery), or the customer's button spins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError

from dozvon.channels import connections
from dozvon.channels.registry import OutboundMessage
from dozvon.channels.telegram.bot import bots
from dozvon.channels.telegram.kind import settings_of
from dozvon.conversations import actions, survey
from dozvon.conversations import queries as q
from dozvon.core.clock import now_us
from dozvon.core.errors import Conflict
from dozvon.core.i18n import SUPPORTED, translate
from dozvon.server.hub import Hub

if TYPE_CHECKING:
    from dozvon.channels.telegram.inbound import Bot

PREFIX = "csat:"
_DATA = re.compile(r"^csat:([A-Za-z0-9_-]{1,56}):([1-5])$")


def buttons(message: OutboundMessage) -> InlineKeyboardMarkup | None:
    """The keyboard under a survey's question (None for any other message)."""
    if message.data.get("reason") != "survey" or len(PREFIX + message.conversation_id) > 56:
        return None  # Telegram takes at most 64 bytes of callback data
    return InlineKeyboardMarkup([[InlineKeyboardButton(str(n), callback_data=f"{PREFIX}{message.conversation_id}:{n}")
                                  for n in survey.SCORES]])


@dataclass(frozen=True)
class Press:
    """A customer pressed a survey button."""

    callback_id: str
    conversation_id: str
    score: int
    chat_id: int
    language: str


def read_press(raw: dict[str, Any]) -> Press | None:
    """The press a ``callback_query`` update carries, or None (not one of our buttons)."""
    query = raw.get("callback_query")
    if not isinstance(query, dict) or not isinstance(query.get("data"), str) or not isinstance(query.get("id"), str):
        return None
    found = _DATA.match(query["data"])
    sender = _object(query.get("from"))
    chat = _object(_object(query.get("message")).get("chat"))
    chat_id = chat.get("id", sender.get("id"))
    if found is None or not isinstance(chat_id, int):
        return None
    language = str(sender.get("language_code") or "")[:2].lower()
    return Press(query["id"], found.group(1), int(found.group(2)), chat_id,
                 language if language in SUPPORTED else "ru")


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def take_press(hub: Hub, bot: Bot, press: Press) -> str | None:
    """Rate the conversation the button names, and answer the press. Returns a reason
    for the channel's health when the press was refused (a forged or stale button)."""
    from dozvon.channels.telegram.inbound import parse_key  # inbound calls us

    with hub.sessions() as session:
        conv = q.conversation(session, bot.project, press.conversation_id)
    problem = None
    if conv is None or conv.channel != "telegram" or parse_key(conv.external_id) != (bot.id, press.chat_id):
        problem = translate("telegram.survey_not_this_chat", chat=press.chat_id,
                            conversation=press.conversation_id)
        said = "telegram.survey_closed"
    elif not survey.pending(conv, now_us()):
        said = "telegram.survey_closed"
    else:
        try:
            actions.do_rate(hub.service(bot.project), conv.id, press.score)
            said = "telegram.survey_thanks"
        except Conflict:
            said = "telegram.survey_already"
    try:
        client = bots.bot(bot.token, settings_of(bot).api_url)
        bots.call(client.answer_callback_query(press.callback_id, text=translate(said, press.language)), timeout=30)
    except (TelegramError, OSError, TimeoutError) as error:  # the rating holds; the spinner stops by itself
        problem = problem or translate("telegram.send_failed", chat=press.chat_id, reason=str(error))
    if problem is not None:
        with hub.sessions.begin() as session:
            connections.mark_error(session, bot.id, problem)
    return problem
