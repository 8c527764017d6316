"""The Telegram channel end to end: a real server (SQLite and PostgreSQL; the `live` fixture
of tests/channels/conftest.py) and its bots
talking python-telegram-bot to a fake Bot API on loopback (tests/channels/telegram_peer.py).

Stored before acknowledged, a redelivered update never a second message, files kept and
downloadable only by the project's people, replies delivered exactly once through 429 and
500, a blocked bot a failed delivery, a forged webhook refused, and long polling that
resumes where it stopped.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
from sqlalchemy import func, select

from dozvon.channels.telegram.models import ChannelFile, TelegramOffset
from dozvon.conversations.models import Conversation, Message
from dozvon.crm.models import CustomerIdentity
from tests.channels.telegram_peer import TOKEN, FakeBotApi
from tests.server.conftest import Live, start_server
from tests.server.wsutil import Stream, open_stream

CHAT = 5550001


def until(check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def connect(live: Live, peer: FakeBotApi, name: str = "shopbot", **settings: Any) -> dict[str, Any]:
    answer = live.client("alpha-admin").post("/api/v1/projects/alpha/channels", json={
        "kind": "telegram", "name": name, "queue": "sales", "secret": TOKEN,
        "settings": {"api_url": peer.url, "poll_timeout_s": 1, **settings}})
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    return made


def messages(live: Live, chat: int = CHAT) -> list[Message]:
    with live.hub.sessions() as session:
        return list(session.scalars(select(Message).where(Message.channel == "telegram",
                                                          Message.external_id.like(f"tg:%:{chat}:%"))
                                    .order_by(Message.id)))


def conversation_of(live: Live, chat: int = CHAT) -> Conversation:
    def found() -> Conversation | None:
        with live.hub.sessions() as session:
            return session.scalar(select(Conversation).where(Conversation.channel == "telegram",
                                                             Conversation.external_id.like(f"tg:%:{chat}:%")))
    conv: Conversation = until(found)
    return conv


def health(live: Live, name: str = "shopbot") -> dict[str, Any]:
    found: dict[str, Any] = live.client("alpha-admin").get(f"/api/v1/projects/alpha/channels/{name}").json()["health"]
    return found


def take_offer(live: Live, ws: Stream, conv_id: str) -> None:
    offer = ws.wait("offer.created", contact_id=conv_id)
    assert ws.command(action="accept", offer_id=offer["data"]["offer_id"])["ok"]


def test_a_customers_message_is_a_conversation_in_the_bots_queue_and_their_telegram_id_is_their_identity(
        live: Live, peer: FakeBotApi) -> None:
    no_url = live.client("alpha-admin").post("/api/v1/projects/alpha/channels", json={
        "kind": "telegram", "name": "hooked", "queue": "sales", "secret": TOKEN, "settings": {"mode": "webhook"}})
    assert no_url.status_code == 422 and no_url.json()["error"]["fields"][0]["field"] == "settings.public_url"
    made = connect(live, peer)
    assert made["kind"] == "telegram" and made["has_secret"] and "secret" not in made
    tested = live.client("alpha-admin").post("/api/v1/projects/alpha/channels/shopbot/test").json()
    assert tested["ok"] and "@shop_help_bot" in tested["message"]
    with open_stream(live.ws_url, live.client("alpha-op1"), "alpha", after=None) as ws:
        assert ws.command(action="state", state="available")["ok"]
        peer.write(CHAT, "Здравствуйте! Где мой заказ?", first_name="Анна", last_name="Кузнецова")
        conv = conversation_of(live)
        take_offer(live, ws, conv.id)
    assert (conv.queue, conv.customer_name) == ("sales", "Анна Кузнецова")
    with live.hub.sessions() as session:
        owner = session.scalar(select(CustomerIdentity.customer_id).where(
            CustomerIdentity.project == "alpha", CustomerIdentity.kind == "telegram",
            CustomerIdentity.value == str(CHAT)))
    assert owner is not None and owner == conv.customer_id
    peer.write(CHAT, "Номер 1042")  # the next message joins the same conversation
    until(lambda: len(messages(live)) == 2)
    assert {m.conversation_id for m in messages(live)} == {conv.id}
    assert until(lambda: health(live)["last_in_at"]) and "getUpdates" in peer.calls and "deleteWebhook" in peer.calls


def _webhook(live: Live, peer: FakeBotApi, name: str = "shopbot") -> tuple[str, str]:
    made = connect(live, peer, name, mode="webhook", public_url=live.url)
    until(lambda: peer.webhook.get("url"))
    assert peer.webhook["url"] == f"{live.url}/hooks/telegram/{made['id']}"
    assert peer.webhook["allowed_updates"] == ["message", "callback_query"]
    return peer.webhook["url"], peer.webhook["secret_token"]


def test_a_webhook_update_is_stored_before_it_is_acknowledged_and_a_redelivery_is_the_same_message(
        live: Live, peer: FakeBotApi) -> None:
    url, secret = _webhook(live, peer)
    update = {"update_id": 77, **peer.message(CHAT, "Хочу вернуть товар")}
    first = httpx.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret})
    assert first.status_code == 200, first.text
    stored = messages(live)  # read at once: the 200 came only after the commit
    assert [m.text for m in stored] == ["Хочу вернуть товар"]
    again = httpx.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret})
    assert again.status_code == 200
    assert [m.id for m in messages(live)] == [stored[0].id]
    by_name = httpx.post(f"{live.url}/hooks/telegram/shopbot", json=update,
                         headers={"X-Telegram-Bot-Api-Secret-Token": secret})
    assert by_name.status_code == 200 and len(messages(live)) == 1


def test_a_webhook_with_a_wrong_or_missing_secret_token_is_refused_and_stores_nothing(
        live: Live, peer: FakeBotApi) -> None:
    url, secret = _webhook(live, peer)
    for headers in ({"X-Telegram-Bot-Api-Secret-Token": secret[:-1] + "x"}, {}):
        answer = httpx.post(url, json={"update_id": 5, **peer.message(CHAT, "forged")},
                            headers={**headers, "Accept-Language": "ru"})
        assert answer.status_code == 401
        assert answer.json()["error"]["message"] == "Секретный токен вебхука неверен или отсутствует"
    assert messages(live) == []
    with live.hub.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Conversation)) == 0
    assert httpx.post(f"{live.url}/hooks/telegram/nobot", json={}).status_code == 404


def test_photos_and_documents_are_kept_and_downloadable_by_the_projects_people_only(
        live: Live, peer: FakeBotApi) -> None:
    connect(live, peer, max_file_mb=1)
    pdf = b"%PDF-1.4 invoice " + bytes(range(256)) * 40
    jpeg = b"\xff\xd8\xff\xe0" + b"photo-bytes" * 500
    peer.send_file(CHAT, pdf, name="счёт 1042.pdf", caption="Вот счёт")
    peer.send_file(CHAT, jpeg, photo=True)
    peer.send_file(CHAT, b"x" * 100, name="huge.zip", declared_size=5 * 1024 * 1024)
    until(lambda: len(messages(live)) == 3)
    assert [m.text for m in messages(live)] == ["Вот счёт", "🖼 photo", "📎 huge.zip"]
    conv = conversation_of(live)
    sup = live.client("alpha-op1")
    listed = until(lambda: (lambda items: items if len(items) == 2 else None)(
        sup.get(f"/api/v1/projects/alpha/conversations/{conv.id}/files").json()["items"]))
    assert [(f["name"], f["kind"], f["direction"], f["size"]) for f in listed] == [
        ("счёт 1042.pdf", "document", "in", len(pdf)), (f"photo-{messages(live)[1].external_id.split(':')[-1]}.jpg",
                                                        "photo", "in", len(jpeg))]
    assert listed[0]["message_id"] == messages(live)[0].id
    got = sup.get(listed[0]["download_url"])
    assert got.status_code == 200 and got.content == pdf
    assert got.headers["content-type"].startswith("application/pdf")
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert sup.get(listed[1]["download_url"]).content == jpeg
    # another project's people, and nobody logged in, get nothing
    assert live.client("beta-admin").get(listed[0]["download_url"]).status_code == 403
    beta_path = listed[0]["download_url"].replace("/projects/alpha/", "/projects/beta/")
    assert live.client("beta-admin").get(beta_path).status_code == 404
    assert live.client().get(listed[0]["download_url"]).status_code == 401
    # the oversized one: the message is kept, the file is not, and the health says why
    assert "huge.zip" in until(lambda: health(live)["last_error"])
    with live.hub.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ChannelFile)) == 2


def test_an_operators_reply_reaches_the_chat_exactly_once_through_429_and_500(live: Live, peer: FakeBotApi) -> None:
    connect(live, peer)
    with open_stream(live.ws_url, live.client("alpha-op1"), "alpha", after=None) as ws:
        assert ws.command(action="state", state="available")["ok"]
        peer.write(CHAT, "Добрый день")
        conv = conversation_of(live)
        take_offer(live, ws, conv.id)
        peer.fail_next = [(429, 1), (500, None)]
        assert ws.command(action="send", conversation_id=conv.id, text="Здравствуйте, Анна! Смотрю заказ.")["ok"]
        delivered = ws.wait("message.delivered", contact_id=conv.id, timeout=30)
    assert delivered["data"]["attempt"] == 3
    assert peer.texts(CHAT) == ["Здравствуйте, Анна! Смотрю заказ."]
    assert len([a for a in peer.attempts if a["chat_id"] == CHAT]) == 3
    assert delivered["data"]["channel_message_id"] == f"{CHAT}:{peer.sent[-1]['message_id']}"
    assert until(lambda: health(live)["last_out_at"])


def test_a_bot_the_customer_blocked_fails_the_delivery_at_once_and_says_so(live: Live, peer: FakeBotApi) -> None:
    connect(live, peer)
    with open_stream(live.ws_url, live.client("alpha-op1"), "alpha", after=None) as ws:
        assert ws.command(action="state", state="available")["ok"]
        peer.write(CHAT, "Спасибо, больше не пишите")
        conv = conversation_of(live)
        take_offer(live, ws, conv.id)
        peer.blocked.add(CHAT)
        assert ws.command(action="send", conversation_id=conv.id, text="Хорошего дня!")["ok"]
        failed = ws.wait("message.failed", contact_id=conv.id, timeout=20)
    assert failed["data"]["permanent"] is True and failed["data"]["attempt"] == 1
    assert "blocked" in failed["data"]["error"]
    assert peer.texts(CHAT) == []
    assert "blocked" in until(lambda: health(live)["last_error"])


def test_files_go_out_and_the_welcome_and_farewell_are_carried_out(live: Live, peer: FakeBotApi) -> None:
    admin = live.client("alpha-admin")
    for kind, text in (("welcome", "Здравствуйте! Оператор скоро ответит."), ("farewell", "Спасибо, что написали!")):
        assert admin.put(f"/api/v1/projects/alpha/auto-texts/{kind}", json={"text": text}).status_code == 200
    connect(live, peer)
    op1 = live.client("alpha-op1")
    with open_stream(live.ws_url, op1, "alpha", after=None) as ws:
        assert ws.command(action="state", state="available")["ok"]
        peer.write(CHAT, "Можно прайс?")
        conv = conversation_of(live)
        take_offer(live, ws, conv.id)
        until(lambda: peer.texts(CHAT) == ["Здравствуйте! Оператор скоро ответит."])
        sent = op1.post(f"/api/v1/projects/alpha/conversations/{conv.id}/files",
                        params={"name": "прайс.pdf", "caption": "Наш прайс"}, content=b"%PDF price",
                        headers={"Content-Type": "application/pdf"})
        assert sent.status_code == 201, sent.text
        until(lambda: [s for s in peer.sent if s["method"] == "sendDocument"])
        long_reply = " ".join(["Подробности заказа."] * 300)  # over Telegram's 4096 characters
        assert ws.command(action="send", conversation_id=conv.id, text=long_reply)["ok"]
        pieces = until(lambda: (lambda texts: texts if len(texts) == 3 else None)(peer.texts(CHAT)))[1:]
        assert len(pieces) == 2 and all(len(p) <= 4096 for p in pieces) and " ".join(pieces) == long_reply
        assert ws.command(action="end", conversation_id=conv.id)["ok"]
        until(lambda: peer.texts(CHAT)[-1:] == ["Спасибо, что написали!"])
    document = next(s for s in peer.sent if s["method"] == "sendDocument")
    assert (document["name"], document["data"], document["caption"]) == ("прайс.pdf", b"%PDF price", "Наш прайс")
    files = op1.get(f"/api/v1/projects/alpha/conversations/{conv.id}/files").json()["items"]
    assert [(f["name"], f["direction"]) for f in files] == [("прайс.pdf", "out")]
    refused = op1.post(f"/api/v1/projects/alpha/conversations/{conv.id}/files", params={"name": "a/b"}, content=b"x")
    assert refused.status_code == 422 and refused.json()["error"]["fields"][0]["field"] == "name"


def test_updates_it_does_not_take_are_skipped_with_a_reason_and_the_good_ones_kept(
        live: Live, peer: FakeBotApi) -> None:
    connect(live, peer)
    peer.push({"edited_message": peer.message(CHAT, "исправлено")["message"]})
    peer.push({"callback_query": {"id": "1", "from": {"id": CHAT, "is_bot": False, "first_name": "А"},
                                  "chat_instance": "x", "data": "yes"}})
    peer.push(peer.message(CHAT, sticker={"file_id": "S1", "file_unique_id": "US1", "type": "regular",
                                          "width": 512, "height": 512, "is_animated": False, "is_video": False,
                                          "emoji": "😀"}))
    peer.push({"message": {"message_id": 999, "date": 1, "chat": {"id": CHAT, "type": "private"}, "from": "bad"}})
    peer.write(CHAT, "Всё в порядке?")
    until(lambda: len(messages(live)) == 2)
    assert [m.text for m in messages(live)] == ["[sticker 😀]", "Всё в порядке?"]
    until(lambda: peer.offsets and peer.offsets[-1] > 1004)  # nothing got stuck
    logged = health(live)["last_error"]
    assert logged and "1003" in logged  # the last skipped: the malformed one, by its update_id


def test_long_polling_resumes_from_the_stored_offset_after_a_restart(live: Live, peer: FakeBotApi) -> None:
    made = connect(live, peer)
    first = [peer.write(CHAT, "один"), peer.write(CHAT, "два")]
    until(lambda: len(messages(live)) == 2)

    def stored_offset() -> int | None:
        with live.hub.sessions() as session:
            row = session.get(TelegramOffset, made["id"])
            return row.next_offset if row is not None else None

    until(lambda: stored_offset() == first[-1]["update_id"] + 1)
    live.stop()
    live.app.state.telegram.wait_stopped()
    asked_before = len(peer.offsets)
    peer.write(CHAT, "три")  # while the server is down
    again = start_server(live.database_url)
    try:
        until(lambda: len(messages(live)) == 3)
        assert peer.offsets[asked_before] == first[-1]["update_id"] + 1  # resumed where it stopped
        assert [m.text for m in messages(live)] == ["один", "два", "три"]
    finally:
        again.stop()
        again.app.state.telegram.wait_stopped()
    # A crash after the messages were committed but before the offset moved: Telegram still
    # holds the updates and hands them over again — they are the same messages, not new ones.
    with live.hub.sessions.begin() as session:
        session.get(TelegramOffset, made["id"]).next_offset = first[0]["update_id"]
    with peer._changed:
        peer.updates[:0] = first
    asked_before = len(peer.offsets)
    third = start_server(live.database_url)
    try:
        until(lambda: len(peer.offsets) > asked_before + 1 and peer.offsets[-1] == first[-1]["update_id"] + 1)
        assert peer.offsets[asked_before] == first[0]["update_id"]
        assert [m.text for m in messages(live)] == ["один", "два", "три"]
    finally:
        third.stop()
