"""The operator desktop in a real browser: log in at ``/`` by the pinned accessible names,
go available, take an offer, chat, end and classify — every step against the real API and
WebSocket, checked through the API as well as on screen."""

from __future__ import annotations

import re
import time
from contextlib import closing
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.server.conftest import PASSWORD, Live, start_server

RU = {"user": "Логин", "password": "Пароль", "login": "Войти", "available": "На линии", "accept": "Принять",
      "decline": "Отклонить", "message": "Сообщение", "send": "Отправить", "end": "Завершить"}
EN = {"user": "Username", "password": "Password", "login": "Log in", "available": "Available", "accept": "Accept",
      "decline": "Decline", "message": "Message", "send": "Send", "end": "End"}


def log_in(page: Any, live: Live, username: str, names: dict[str, str]) -> None:
    page.goto(live.url + "/")
    page.get_by_label(names["user"]).fill(username)
    page.get_by_label(names["password"]).fill(PASSWORD)
    page.get_by_role("button", name=names["login"]).click()
    expect(page).to_have_url(re.compile(r"/desktop$"))
    expect(page.get_by_role("status")).to_have_attribute("data-connection", "up")


def go_available(page: Any, names: dict[str, str]) -> None:
    button = page.get_by_role("button", name=names["available"], exact=True)
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")


def chat(live: Live, external_id: str, name: str, text: str, queue: str = "sales", channel: str = "chat") -> str:
    with live.token_client("alpha") as adapter:
        answer = adapter.post("/api/v1/projects/alpha/ingest/messages", json={
            "channel": channel, "external_id": external_id, "queue": queue,
            "customer": {"id": "cust-" + external_id, "name": name}, "text": text})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["conversation_id"])


def test_operator_logs_in_takes_an_offer_chats_and_classifies_it(live: Live, new_page: Any) -> None:
    page = new_page("ru")
    log_in(page, live, "alpha-op1", RU)
    go_available(page, RU)
    conv_id = chat(live, "web-1", "Алексей Иванов", "Где мой заказ?")
    card = page.locator("[data-offer]").filter(has_text="Алексей Иванов")
    expect(card).to_be_visible()
    expect(card).to_contain_text("sales")
    card.get_by_role("button", name=RU["accept"]).click()
    expect(card).to_have_count(0)
    pane = page.locator(f"[data-conversation='{conv_id}']")
    expect(pane.get_by_text("Где мой заказ?")).to_be_visible()
    box = pane.get_by_label(RU["message"])
    box.fill("Здравствуйте! Сейчас проверю.")
    box.press("Enter")
    expect(pane.locator(".msg--out").get_by_text("Здравствуйте! Сейчас проверю.")).to_be_visible()
    expect(box).to_have_value("")
    with closing(live.client("alpha-op1")) as api:
        stored = api.get(f"/api/v1/projects/alpha/conversations/{conv_id}").json()
        assert [m["text"] for m in stored["messages"] if m["direction"] == "out"] == ["Здравствуйте! Сейчас проверю."]
        pane.get_by_role("button", name=RU["end"], exact=True).click()
        pane.get_by_label("Жалоба").check()
        pane.get_by_label("Заметки").fill("вернули деньги")
        pane.get_by_role("button", name="Сохранить и закрыть").click()
        expect(pane).to_have_count(0)
        expect(page.locator(".statusbar__today")).to_contain_text("Сегодня: принято 1 · обработано 1")
        deadline = time.monotonic() + 10
        while (conv := api.get(f"/api/v1/projects/alpha/conversations/{conv_id}").json())["disposition"] is None:
            assert time.monotonic() < deadline, conv
            time.sleep(0.1)
    assert conv["disposition"]["contact_type"] == "complaint", conv
    assert conv["disposition"]["notes"] == "вернули деньги"


def test_a_customers_markup_is_shown_as_text_and_never_runs(live: Live, new_page: Any) -> None:
    page = new_page("ru")
    log_in(page, live, "alpha-op1", RU)
    go_available(page, RU)
    name = '<img src=x onerror="alert(1)">Ева'
    text = "<script>alert(2)</script><b>жирный</b>"
    conv_id = chat(live, "web-xss", name, text)
    card = page.locator("[data-offer]")
    expect(card.get_by_text(name, exact=True)).to_be_visible()
    page.locator("body").click(position={"x": 5, "y": 790})  # focus nowhere in particular
    page.keyboard.press("Alt+KeyA")  # the shortcut accepts the newest offer
    pane = page.locator(f"[data-conversation='{conv_id}']")
    expect(pane.get_by_text(text, exact=True)).to_be_visible()
    assert page.locator("img[src=x], b").count() == 0
    # new_page fails the test if any dialog opened


def test_the_desktop_speaks_english_and_the_switch_remembers_russian(live: Live, new_page: Any) -> None:
    page = new_page("en")
    log_in(page, live, "alpha-op1", EN)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    go_available(page, EN)
    chat(live, "web-en", "John Smith", "Hello!")
    card = page.locator("[data-offer]")
    expect(card.get_by_role("button", name=EN["decline"])).to_be_visible()
    card.get_by_role("button", name=EN["accept"]).click()
    expect(page.get_by_label(EN["message"])).to_be_visible()
    expect(page.get_by_role("button", name=EN["send"])).to_be_visible()
    expect(page.get_by_role("button", name=EN["end"], exact=True)).to_be_visible()
    page.get_by_role("link", name="RU").click()
    expect(page.get_by_role("button", name=RU["available"], exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=RU["end"], exact=True)).to_be_visible()  # the open conversation is read again


def test_a_wrong_password_is_answered_beside_the_form(live: Live, new_page: Any) -> None:
    page = new_page("en")
    page.goto(live.url + "/")
    page.get_by_label("Username").fill("alpha-op1")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong user name or password")
    expect(page).to_have_url(live.url + "/")
    for _ in range(5):  # the account's fifth failure locks it: the lock-out is told, in the reader's language
        page.get_by_role("button", name="Log in").click()
        page.wait_for_timeout(150)
    expect(page.get_by_role("alert")).to_contain_text("Too many failed logins; try again in")


def test_an_offer_taken_elsewhere_or_unanswered_leaves_the_screen(live: Live, new_page: Any) -> None:
    with closing(live.client("alpha-admin")) as admin:
        assert admin.put("/api/v1/projects/alpha/queues/hotline",
                         json={"strategy": "ring_all", "offer_timeout_s": 30}).status_code == 200
        assert admin.put("/api/v1/projects/alpha/queues/slow",
                         json={"strategy": "round_robin", "offer_timeout_s": 2}).status_code == 200
        for op in ("op1", "op2"):
            assert admin.put(f"/api/v1/projects/alpha/operators/{op}",
                             json={"queues": ["hotline"], "capacity": {"chat": 3}}).status_code == 200
    page = new_page("ru")
    log_in(page, live, "alpha-op1", RU)
    go_available(page, RU)
    with closing(live.client("alpha-op2")) as op2:
        assert op2.post("/api/v1/projects/alpha/operators/op2/state", json={"state": "available"}).status_code == 200
        conv_id = chat(live, "web-ring", "Ольга", "Алло?", queue="hotline")
        card = page.locator("[data-offer]").filter(has_text="Ольга")
        expect(card).to_be_visible()
        offers = op2.get(f"/api/v1/projects/alpha/conversations/{conv_id}").json()["offers"]
        mine = [o["offer_id"] for o in offers if o["operator_id"] == "op2"]
        assert op2.post(f"/api/v1/projects/alpha/offers/{mine[0]}/accept").status_code == 200
        expect(card).to_have_count(0)  # answered elsewhere: withdrawn at once
        assert op2.post("/api/v1/projects/alpha/operators/op2/state", json={"state": "offline"}).status_code == 200
    with closing(live.client("alpha-admin")) as admin:
        assert admin.put("/api/v1/projects/alpha/operators/op1",
                         json={"queues": ["slow"], "capacity": {"chat": 3}}).status_code == 200
    chat(live, "web-rona", "Пётр", "Есть кто?", queue="slow")
    card = page.locator("[data-offer]").filter(has_text="Пётр")
    expect(card).to_be_visible()
    expect(card).to_have_count(0, timeout=8_000)  # no answer before the deadline: a RONA


def test_a_reply_typed_while_the_server_is_away_is_sent_when_it_is_back(live: Live, new_page: Any) -> None:
    page = new_page("ru")
    log_in(page, live, "alpha-op1", RU)
    go_available(page, RU)
    conv_id = chat(live, "web-away", "Нина", "Вы тут?", channel="messenger")
    page.locator("[data-offer]").get_by_role("button", name=RU["accept"]).click()
    pane = page.locator(f"[data-conversation='{conv_id}']")
    expect(pane.get_by_text("Вы тут?")).to_be_visible()
    port = int(live.url.rsplit(":", 1)[1])
    live.stop()
    expect(page.get_by_role("status")).to_have_attribute("data-connection", "down")
    box = pane.get_by_label(RU["message"])
    box.fill("Да, я здесь")
    box.press("Enter")
    mine = pane.locator(".msg--out").filter(has_text="Да, я здесь")
    expect(mine).to_have_attribute("data-delivery", "queued")
    again = start_server(live.database_url, port=port)  # the same address: the page reconnects by itself
    try:
        expect(page.get_by_role("status")).to_have_attribute("data-connection", "up", timeout=20_000)
        expect(mine).not_to_have_attribute("data-delivery", re.compile("queued|sending"))
        with closing(again.client("alpha-op1")) as api:
            stored = api.get(f"/api/v1/projects/alpha/conversations/{conv_id}").json()["messages"]
        assert [m["text"] for m in stored if m["direction"] == "out"] == ["Да, я здесь"]
        expect(pane.locator(".msg--out")).to_have_count(1)  # shown once, not again by its event
    finally:
        again.stop()


@pytest.mark.parametrize(("lang", "names", "said"), [
    ("ru", RU, "Разговор с клиентом Ольга завершён: сообщение не отправлено. Его текст остался в окне."),
    ("en", EN, "The conversation with Ольга has ended: your message was not sent. Its text is still in the window.")])
def test_a_reply_that_reaches_the_server_after_the_end_is_marked_and_said_in_plain_words(
        live: Live, new_page: Any, lang: str, names: dict[str, str], said: str) -> None:
    """Another tab of the same operator ends the conversation while a reply is on its way
    (the page's request is held until then): the server refuses the reply, nothing is
    stored, the bubble is marked failed with its text still there, and the page says what
    happened in the reader's language — not the engine's state names."""
    page = new_page(lang)
    log_in(page, live, "alpha-op1", names)
    go_available(page, names)
    conv_id = chat(live, f"web-late-{lang}", "Ольга", "Спасибо, всё понятно")
    page.locator("[data-offer]").get_by_role("button", name=names["accept"]).click()
    pane = page.locator(f"[data-conversation='{conv_id}']")
    expect(pane.get_by_text("Спасибо, всё понятно")).to_be_visible()

    def end_first(route: Any) -> None:
        with closing(live.client("alpha-op1")) as other_tab:
            assert other_tab.post(f"/api/v1/projects/alpha/conversations/{conv_id}/end").status_code == 200
        route.continue_()

    page.route(re.compile(rf".*/conversations/{conv_id}/messages$"), end_first)
    box = pane.get_by_label(names["message"])
    box.fill("Хорошего дня!")
    box.press("Enter")
    mine = page.locator(".msg--out").filter(has_text="Хорошего дня!")
    expect(mine).to_have_attribute("data-delivery", "failed")
    expect(mine).to_be_in_viewport()  # where the words point: scrolled to above the wrap-up form
    expect(page.get_by_role("alert")).to_have_text(said)
    with closing(live.client("alpha-op1")) as api:
        answer = api.post(f"/api/v1/projects/alpha/conversations/{conv_id}/messages", json={"text": "Ещё раз"},
                          headers={"Accept-Language": lang})
        stored = api.get(f"/api/v1/projects/alpha/conversations/{conv_id}").json()["messages"]
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "routing.conversation_ended"
    assert "wrap_up" not in answer.json()["error"]["message"]
    assert [m["text"] for m in stored if m["direction"] == "out"] == []


def test_two_conversations_side_by_side_mark_unread_and_alt_arrows_move_between_them(live: Live,
                                                                                       new_page: Any) -> None:
    page = new_page("en")
    log_in(page, live, "alpha-op1", EN)
    go_available(page, EN)
    first = chat(live, "web-two-1", "Anna", "First question")
    page.locator("[data-offer]").get_by_role("button", name=EN["accept"]).click()
    second = chat(live, "web-two-2", "Boris", "Second question")
    page.locator("[data-offer]").filter(has_text="Boris").get_by_role("button", name=EN["accept"]).click()
    one, two = page.locator(f"[data-conversation='{first}']"), page.locator(f"[data-conversation='{second}']")
    expect(two.get_by_label(EN["message"])).to_be_focused()
    expect(page.locator(".presence__load")).to_have_text("2 of 3 chats")
    with closing(live.token_client("alpha")) as adapter:
        assert adapter.post("/api/v1/projects/alpha/ingest/messages", json={
            "channel": "chat", "external_id": "web-two-1b", "queue": "sales",
            "customer": {"id": "cust-web-two-1", "name": "Anna"}, "text": "Anyone?"}).status_code == 201
    expect(one.get_by_text("Anyone?")).to_be_visible()
    badge = one.locator(".badge--unread")
    expect(badge).to_have_text("1")
    page.keyboard.press("Alt+ArrowRight")
    expect(one.get_by_label(EN["message"])).to_be_focused()
    expect(badge).to_be_hidden()


def test_the_operators_messages_show_their_delivery_as_the_channel_reports_it(live: Live, new_page: Any) -> None:
    page = new_page("en")
    log_in(page, live, "alpha-op1", EN)
    go_available(page, EN)
    # An outside adapter's channel (the widget serves "chat" in the server itself).
    conv_id = chat(live, "web-delivery", "Vera", "Hi", channel="messenger")
    page.locator("[data-offer]").get_by_role("button", name=EN["accept"]).click()
    pane = page.locator(f"[data-conversation='{conv_id}']")
    box = pane.get_by_label(EN["message"])
    for text in ("Reaches you", "Gets lost"):
        box.fill(text)
        box.press("Enter")
        expect(pane.locator(".msg--out").filter(has_text=text)).to_contain_text("Sent")
    with closing(live.token_client("alpha")) as adapter:
        taken = adapter.post("/api/v1/projects/alpha/outbox/take", params={"channel": "messenger"}).json()["items"]
        by_text = {item["text"]: item["id"] for item in taken}
        assert adapter.post(f"/api/v1/projects/alpha/outbox/{by_text['Reaches you']}/result",
                            json={"delivered": True}).status_code == 200
        assert adapter.post(f"/api/v1/projects/alpha/outbox/{by_text['Gets lost']}/result",
                            json={"delivered": False, "error": "blocked", "permanent": True}).status_code == 200
    expect(pane.locator(".msg--out").filter(has_text="Reaches you")).to_have_attribute("data-delivery", "delivered")
    expect(pane.locator(".msg--out").filter(has_text="Gets lost")).to_contain_text("Not delivered")


def test_a_reload_shows_the_same_offers_and_conversations(live: Live, new_page: Any) -> None:
    page = new_page("ru")
    log_in(page, live, "alpha-op1", RU)
    go_available(page, RU)
    first = chat(live, "web-reload-1", "Глеб", "Первый")
    page.locator("[data-offer]").get_by_role("button", name=RU["accept"]).click()
    chat(live, "web-reload-2", "Зоя", "Второй")
    expect(page.locator("[data-offer]").filter(has_text="Зоя")).to_be_visible()
    page.reload()
    expect(page.get_by_role("status")).to_have_attribute("data-connection", "up")
    expect(page.locator("[data-offer]")).to_have_count(1)
    expect(page.locator("[data-offer]").filter(has_text="Зоя")).to_be_visible()
    expect(page.locator(f"[data-conversation='{first}']").get_by_text("Первый")).to_be_visible()
    expect(page.get_by_role("button", name=RU["available"], exact=True)).to_have_attribute("aria-pressed", "true")
