"""The survey in Telegram, end to end: a real server (SQLite and PostgreSQL) whose bot talks
python-telegram-bot to the fake Bot API of tests/channels/telegram_peer.py.

When the operator ends the conversation the question goes out after the farewell, with
buttons 1–5. The customer's lone digit is the rating (``csat.rated``, in the KPI report's
CSAT), counted once; a second one is kept and not counted; anything else opens a new
conversation. A button press rates the conversation it names, once, and a press from
another chat counts nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from dozvon.conversations.models import Conversation
from dozvon.eventlog.models import EventRecord
from tests.channels.telegram_peer import FakeBotApi
from tests.channels.test_telegram import CHAT, connect, conversation_of, health, messages, take_offer, until
from tests.server.conftest import Live
from tests.server.wsutil import Stream, open_stream

QUESTION_RU = "Пожалуйста, оцените, как мы вам помогли: ответьте одной цифрой от 1 (плохо) до 5 (отлично)."


def _auto_texts(live: Live, **texts: str) -> None:
    admin = live.client("alpha-admin")
    for kind, text in texts.items():
        answer = admin.put(f"/api/v1/projects/alpha/auto-texts/{kind}", json={"text": text, "enabled": True})
        assert answer.status_code == 200, answer.text


def _ended(live: Live, peer: FakeBotApi, ws: Stream, first: str) -> Conversation:
    assert ws.command(action="state", state="available")["ok"]
    peer.write(CHAT, first)
    conv = conversation_of(live)
    take_offer(live, ws, conv.id)
    assert ws.command(action="end", conversation_id=conv.id)["ok"]
    return conv


def _question(peer: FakeBotApi) -> dict[str, Any]:
    """The last text the bot sent with an inline keyboard (the survey's question)."""
    found: dict[str, Any] = until(lambda: next((s for s in reversed(peer.sent) if s.get("reply_markup")), None))
    return found


def _rated(live: Live, conversation_id: str) -> list[EventRecord]:
    with live.hub.sessions() as session:
        return list(session.scalars(select(EventRecord).where(EventRecord.type == "csat.rated",
                                                              EventRecord.contact_id == conversation_id)))


def _conversations(live: Live) -> list[Conversation]:
    with live.hub.sessions() as session:
        return list(session.scalars(select(Conversation).where(Conversation.channel == "telegram")
                                    .order_by(Conversation.created_at_us)))


def test_a_lone_digit_after_the_survey_is_the_rating_counted_once_and_other_words_open_a_new_conversation(
        live: Live, peer: FakeBotApi) -> None:
    _auto_texts(live, farewell="Спасибо, что написали!", survey="")  # no text: the standard question
    connect(live, peer)
    with open_stream(live.ws_url, live.client("alpha-op1"), "alpha", after=None) as ws:
        conv = _ended(live, peer, ws, "Где мой заказ 1042?")
        question = _question(peer)
        assert peer.texts(CHAT)[-2:] == ["Спасибо, что написали!", QUESTION_RU]  # after the farewell
        keyboard = question["reply_markup"]["inline_keyboard"]
        assert [b["text"] for b in keyboard[0]] == ["1", "2", "3", "4", "5"]
        assert keyboard[0][3]["callback_data"] == f"csat:{conv.id}:4"
        said = [ws.wait("message.sent", contact_id=conv.id, timeout=20)["data"] for _ in range(2)]
        assert [(d["reason"], d["auto"], d["text"]) for d in said] == [
            ("farewell", True, "Спасибо, что написали!"), ("survey", True, QUESTION_RU)]

        peer.write(CHAT, "4")
        rated = ws.wait("csat.rated", contact_id=conv.id, timeout=20)  # the operator hears of their rating
        assert rated["data"] == {"score": 4} and rated["operator_id"] == "op1"
        peer.write(CHAT, " 5! ")  # a second answer: kept with the conversation, not counted again
        until(lambda: len(messages(live)) == 3)
        assert ws.command(action="dispose", conversation_id=conv.id, contact_type="clarification",
                          resolved=True)["ok"]

    assert [m.text for m in messages(live)] == ["Где мой заказ 1042?", "4", " 5! "]
    assert {m.conversation_id for m in messages(live)} == {conv.id}  # neither answer opened a conversation
    assert [(e.operator_id, e.data) for e in _rated(live, conv.id)] == [("op1", {"score": 4})]
    with live.hub.sessions() as session:
        row = session.get(Conversation, conv.id)
        assert row is not None and row.details["csat"] == 4
    sup = live.client("alpha-sup")
    row = until(lambda: (lambda rows: rows[0] if rows and rows[0]["csat_answers"] else None)(
        sup.get("/api/v1/projects/alpha/reports/kpi", params={"period": "all"}).json()["rows"]))
    assert row["csat"] == 1.0 and row["csat_answers"] == 1

    peer.write(CHAT, "А доставка в Тверь есть?")  # not a score: a new conversation, as before
    until(lambda: len(_conversations(live)) == 2)
    newest = _conversations(live)[-1]
    assert newest.id != conv.id and [m.text for m in messages(live)][-1] == "А доставка в Тверь есть?"
    assert _rated(live, newest.id) == []


def test_a_button_rates_the_conversation_it_names_once_and_a_press_from_another_chat_counts_nothing(
        live: Live, peer: FakeBotApi) -> None:
    _auto_texts(live, survey="Оцените нас, {customer.first_name}: от 1 до 5")
    connect(live, peer)
    with open_stream(live.ws_url, live.client("alpha-op1"), "alpha", after=None) as ws:
        conv = _ended(live, peer, ws, "Можно вернуть товар?")
        question = _question(peer)
        assert question["text"] == "Оцените нас, Анна: от 1 до 5"
        buttons = question["reply_markup"]["inline_keyboard"][0]

        peer.press(7770007, question, buttons[0]["callback_data"])  # forged: another chat names this one
        until(lambda: len(peer.callback_answers) == 1)
        assert peer.callback_answers[0]["text"] == "Этот опрос уже закрыт."
        assert "7770007" in until(lambda: health(live)["last_error"])
        assert _rated(live, conv.id) == []

        peer.press(CHAT, question, buttons[4]["callback_data"])
        rated = ws.wait("csat.rated", contact_id=conv.id, timeout=20)
        assert rated["data"] == {"score": 5}
        until(lambda: len(peer.callback_answers) == 2)
        assert peer.callback_answers[1]["text"] == "Спасибо за оценку!"

        peer.press(CHAT, question, buttons[1]["callback_data"], language="en")  # pressed again: not counted
        until(lambda: len(peer.callback_answers) == 3)
        assert peer.callback_answers[2]["text"] == "This conversation is already rated. Thank you!"
        peer.write(CHAT, "2")  # and typed: kept, not counted
        until(lambda: len(messages(live)) == 2)
    assert [e.data for e in _rated(live, conv.id)] == [{"score": 5}]
    assert {m.conversation_id for m in messages(live)} == {conv.id}
