"""The web-chat widget's API, as a visitor's browser and an operator's desktop use it, on the
real server (SQLite and PostgreSQL): the whole conversation, delivery to a visitor who is
away, the visitor's narrow credential, idempotency, limits, pre-chat fields and sites."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from dozvon.conversations.models import OutboxItem
from dozvon.eventlog.models import EventRecord
from dozvon.widget import stream as widget_stream
from tests.server.conftest import Live
from tests.server.test_outbox import _until
from tests.server.wsutil import Stream, open_stream
from tests.widget.conftest import Visitor


def _events(live: Live, type_: str, contact_id: str) -> list[EventRecord]:
    with live.hub.sessions() as session:
        return list(session.scalars(select(EventRecord).where(
            EventRecord.project == "alpha", EventRecord.type == type_, EventRecord.contact_id == contact_id)
            .order_by(EventRecord.seq)))


def _accept(ws: Stream, conversation_id: str) -> None:
    offer = ws.wait("offer.created", contact_id=conversation_id)
    assert ws.command(action="accept", offer_id=offer["data"]["offer_id"])["ok"]


def test_a_visitor_and_an_operator_chat_end_to_end_and_the_rating_reaches_the_kpis(shop: Live) -> None:
    visitor = Visitor(shop, name="Александр Иванов")
    first = visitor.say("Где мой заказ?")
    assert first.status_code == 201, first.text
    conversation_id = first.json()["conversation_id"]
    seen = visitor.conversation()["conversation"]
    assert seen["state"] == "waiting" and seen["position"] == 1
    assert [(m["direction"], m["text"], m["auto"]) for m in seen["messages"]] == [
        ("in", "Где мой заказ?", False), ("out", "Здравствуйте! Оператор скоро ответит.", True)]

    with visitor.socket() as vs, open_stream(shop.ws_url, shop.client("alpha-op1"), "alpha", after=None) as op:
        assert vs.hello["conversation_id"] == conversation_id
        assert op.command(action="state", state="available")["ok"]
        _accept(op, conversation_id)
        assert vs.wait(lambda f: f.get("type") == "joined")["operator"] == "op1"
        greeting = vs.wait(lambda f: f.get("type") == "message" and f["message"]["auto"]
                           and f["message"]["text"].startswith("Здравствуйте, Александр"))
        assert greeting["message"]["text"] == "Здравствуйте, Александр! Меня зовут op1."

        # Typing both ways: passing signals, never stored.
        assert op.command(action="typing", conversation_id=conversation_id)["ok"]
        vs.wait(lambda f: f.get("kind") == "typing")
        vs.send(action="typing")
        _until(lambda: op.drain(0.2) or op.signals)
        assert op.signals[0] == {"kind": "typing", "conversation_id": conversation_id, "who": "customer"}

        reply = op.command(action="send", conversation_id=conversation_id, text="Заказ 1042 приедет завтра")
        assert reply["ok"], reply
        got = vs.wait(lambda f: f.get("type") == "message" and f["message"]["text"] == "Заказ 1042 приедет завтра")
        assert got["message"]["direction"] == "out" and got["message"]["author"] == "op1"
        # The visitor is connected: the outbox records the delivery.
        _until(lambda: any(e.data["message_id"].startswith("out-")
                           for e in _events(shop, "message.delivered", conversation_id)))

        assert visitor.say("Спасибо!").json()["conversation_id"] == conversation_id
        op.wait("message.received", contact_id=conversation_id)
        assert op.command(action="end", conversation_id=conversation_id)["ok"]
        farewell = vs.wait(lambda f: f.get("type") == "message" and f["message"]["text"] == "Спасибо за обращение!")
        assert farewell["message"]["auto"] is True
        assert vs.wait(lambda f: f.get("type") == "ended")["rateable"] is True
        state = visitor.conversation()["conversation"]
        assert state["state"] == "ended" and state["rateable"] is True

        rated = visitor.http.post("/widget/alpha/rating", json={"score": 5, "comment": "Быстро"})
        assert rated.status_code == 200, rated.text
        assert vs.wait(lambda f: f.get("type") == "rated")["score"] == 5
        op.wait("csat.rated", contact_id=conversation_id)  # the operator hears of their rating
        again = visitor.http.post("/widget/alpha/rating", json={"score": 1})
        assert again.status_code == 409 and "уже оценён" in again.json()["error"]["message"]
        assert op.command(action="dispose", conversation_id=conversation_id, contact_type="clarification",
                          resolved=True)["ok"]

    welcomes = [m for m in visitor.conversation()["conversation"]["messages"]
                if m["text"] == "Здравствуйте! Оператор скоро ответит."]
    assert len(welcomes) == 1, "the welcome greets a new conversation, not every message"
    rated_events = _events(shop, "csat.rated", conversation_id)
    assert [(e.operator_id, e.data) for e in rated_events] == [("op1", {"score": 5, "comment": "Быстро"})]
    report = shop.client("alpha-sup").get("/api/v1/projects/alpha/reports/kpi", params={"period": "all"}).json()
    assert report["rows"][0]["csat"] == 1.0 and report["rows"][0]["csat_answers"] == 1
    # The first response is the operator's reply, not the welcome or the greeting.
    assert report["rows"][0]["first_response_s"] > 0.05


def test_a_reply_waits_for_a_visitor_who_is_away_and_goes_out_when_they_return(shop: Live) -> None:
    visitor = Visitor(shop)
    conversation_id = visitor.say("Есть кто?").json()["conversation_id"]
    with open_stream(shop.ws_url, shop.client("alpha-op1"), "alpha", after=None) as op:
        assert op.command(action="state", state="available")["ok"]
        _accept(op, conversation_id)
        assert op.command(action="send", conversation_id=conversation_id, text="Да, слушаю вас")["ok"]

    def attempted() -> list[OutboxItem]:
        with shop.hub.sessions() as session:
            return [i for i in session.scalars(select(OutboxItem).where(OutboxItem.conversation_id == conversation_id))
                    if i.payload.get("text") == "Да, слушаю вас" and i.last_error is not None and i.status == "pending"]

    item = _until(attempted)[0]
    assert item.last_error == "the visitor is not connected"
    assert not any(e.data["message_id"].startswith("out-") for e in _events(shop, "message.delivered", conversation_id))

    with visitor.socket(after=0) as vs:  # back: the log replays what was missed, the outbox delivers
        vs.wait(lambda f: f.get("type") == "message" and f["message"]["text"] == "Да, слушаю вас")
        _until(lambda: any(e.data["message_id"].startswith("out-")
                           for e in _events(shop, "message.delivered", conversation_id)), timeout=10)
        vs.drain(0.3)
        texts = [m["text"] for m in vs.messages()]
        assert len(texts) == len(set(texts)), "every message once"
    stored = [m for m in visitor.conversation()["conversation"]["messages"] if m["text"] == "Да, слушаю вас"]
    assert stored[0]["author"] == "op1", "the name customers see, never the operator's login"


def test_a_first_message_posted_while_the_socket_opens_is_heard_on_that_socket(
        shop: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    """The widget opens its socket and posts the first message at once. Here the message lands
    exactly between the socket's reading of the visitor (no conversation yet) and its
    connecting: the socket must still carry the new conversation (it once stayed deaf to it,
    and the operator's greeting never reached the page)."""
    visitor = Visitor(shop, name="Анна Петрова")
    posted: list[httpx.Response] = []
    real_open = widget_stream._open

    def open_then_post(*args: Any) -> Any:
        found = real_open(*args)
        posted.append(visitor.say("Где мой заказ?"))
        return found

    monkeypatch.setattr(widget_stream, "_open", open_then_post)
    with visitor.socket(after=0) as vs, open_stream(shop.ws_url, shop.client("alpha-op1"), "alpha", after=None) as op:
        conversation_id = posted[0].json()["conversation_id"]
        assert vs.hello["conversation_id"] == conversation_id
        assert op.command(action="state", state="available")["ok"]
        _accept(op, conversation_id)
        assert vs.wait(lambda f: f.get("type") == "joined")["operator"] == "op1"
        assert op.command(action="send", conversation_id=conversation_id, text="Сейчас посмотрю")["ok"]
        vs.wait(lambda f: f.get("type") == "message" and f["message"]["text"] == "Сейчас посмотрю")


def test_a_visitor_sees_only_their_own_conversation(shop: Live) -> None:
    anna, boris = Visitor(shop, name="Анна"), Visitor(shop, name="Борис")
    anna_conv = anna.say("Секрет Анны").json()["conversation_id"]
    with boris.socket(after=0) as bs:
        boris_conv = boris.say("Вопрос Бориса").json()["conversation_id"]
        assert boris_conv != anna_conv
        anna.say("Ещё секрет Анны")
        bs.drain(0.5)
    assert all(f.get("conversation_id") in (None, boris_conv) for f in bs.frames)
    assert not any("Анны" in m["text"] for m in bs.messages())
    assert [m["text"] for m in boris.conversation()["conversation"]["messages"] if m["direction"] == "in"] == \
        ["Вопрос Бориса"]

    stranger = shop.client()
    refused = stranger.get("/widget/alpha/conversation", headers={"Authorization": "Bearer not-a-token",
                                                                   "Accept-Language": "ru"})
    assert refused.status_code == 401 and "Сеанс чата не найден" in refused.json()["error"]["message"]
    beta_admin = shop.client("beta-admin")
    assert beta_admin.put("/api/v1/projects/beta/widget", json={"queue": "sales"}).status_code == 200
    other_project = stranger.get("/widget/beta/conversation", headers={"Authorization": f"Bearer {anna.token}"})
    assert other_project.status_code == 401, "a credential of one project opens nothing in another"


def test_a_retried_message_is_one_message_and_a_flood_is_refused_with_when_to_retry(shop: Live) -> None:
    visitor = Visitor(shop)
    one = visitor.say("Здравствуйте", client_id="same-id-1")
    two = visitor.say("Здравствуйте", client_id="same-id-1")
    assert (one.status_code, two.status_code) == (201, 200)
    assert one.json()["message_id"] == two.json()["message_id"]
    assert [m["text"] for m in visitor.conversation()["conversation"]["messages"] if m["direction"] == "in"] == \
        ["Здравствуйте"]
    answers = [visitor.say(f"спам {i}").status_code for i in range(25)]
    assert 429 in answers and answers.index(429) >= 18
    flood = visitor.say("ещё")
    assert flood.status_code == 429 and int(flood.headers["Retry-After"]) >= 1
    assert "Слишком много запросов" in flood.json()["error"]["message"]


def test_pre_chat_fields_and_allowed_sites(shop: Live) -> None:
    admin = shop.client("alpha-admin")
    changed = admin.put("/api/v1/projects/alpha/widget", json={
        "queue": "sales", "prechat": {"name": "required", "phone": "optional"},
        "origins": ["https://shop.example"]})
    assert changed.status_code == 200, changed.text
    public = shop.client()
    ru = {"Accept-Language": "ru", "Origin": "https://shop.example"}
    missing = public.post("/widget/alpha/visitors", json={"phone": "+79161234567"}, headers=ru)
    assert missing.status_code == 422
    assert missing.json()["error"]["fields"] == [{"field": "name", "message": "name: заполните это поле",
                                                  "type": "widget.field_required"}]
    bad_phone = public.post("/widget/alpha/visitors", json={"name": "Анна", "phone": "12"}, headers=ru)
    assert bad_phone.status_code == 422 and bad_phone.json()["error"]["fields"][0]["field"] == "phone"
    made = public.post("/widget/alpha/visitors", json={"name": "Анна", "phone": "+7 916 123-45-67"}, headers=ru)
    assert made.status_code == 201, made.text
    elsewhere = public.get("/widget/alpha/config", headers={"Origin": "https://evil.example"})
    assert elsewhere.status_code == 403
    allowed = public.get("/widget/alpha/config", headers={"Origin": "https://shop.example"})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == "*"
    assert allowed.json()["prechat"] == {"name": "required", "phone": "optional", "email": "off"}
    bad = admin.put("/api/v1/projects/alpha/widget", json={"queue": "nope", "color": "red"})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "queue"


def test_a_private_note_reaches_the_operator_and_never_the_visitor(shop: Live) -> None:
    visitor = Visitor(shop)
    conversation_id = visitor.say("Помогите").json()["conversation_id"]
    with visitor.socket(after=0) as vs, open_stream(shop.ws_url, shop.client("alpha-op1"), "alpha",
                                                    after=None) as op:
        assert op.command(action="state", state="available")["ok"]
        _accept(op, conversation_id)
        noted = shop.client("alpha-sup").post(f"/api/v1/projects/alpha/conversations/{conversation_id}/notes",
                                              json={"text": "Постоянный клиент, предложите скидку"})
        assert noted.status_code == 201, noted.text
        note = op.wait("note.added", contact_id=conversation_id)
        assert note["data"]["author"] == "alpha-sup"
        vs.drain(0.5)
    assert not any("скидку" in str(f) for f in vs.frames)
    assert not any("скидку" in m["text"] for m in visitor.conversation()["conversation"]["messages"])


def test_quick_replies_refuse_unknown_variables_and_a_keyword_twice(shop: Live) -> None:
    admin = shop.client("alpha-admin", headers={"Accept-Language": "ru"})
    ok = admin.post("/api/v1/projects/alpha/quick-replies",
                    json={"shortcut": "/Доставка", "title": "Сроки", "text": "{customer.first_name}, завтра."})
    assert ok.status_code == 201 and ok.json()["shortcut"] == "доставка"
    typo = admin.post("/api/v1/projects/alpha/quick-replies",
                      json={"shortcut": "оплата", "text": "{customer.frist_name}, картой."})
    assert typo.status_code == 422
    assert typo.json()["error"]["fields"][0]["field"] == "text"
    assert "{customer.frist_name}" in typo.json()["error"]["message"]
    twice = admin.post("/api/v1/projects/alpha/quick-replies", json={"shortcut": "доставка", "text": "x"})
    assert twice.status_code == 409
    listed = shop.client("alpha-op1").get("/api/v1/projects/alpha/quick-replies").json()
    assert [r["shortcut"] for r in listed["items"]] == ["доставка"]
    assert "operator.name" in listed["variables"]
    refused = shop.client("alpha-op1").post("/api/v1/projects/alpha/quick-replies",
                                           json={"shortcut": "x", "text": "y"})
    assert refused.status_code == 403
