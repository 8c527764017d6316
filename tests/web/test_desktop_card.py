"""The operator's desktop beside the conversation, in a real browser: the customer's card
(who they are, every earlier conversation and how it ended, kept current) and transfer
to a colleague — who gets the offer — or to a queue."""

from __future__ import annotations

import re
from contextlib import closing
from typing import Any

from playwright.sync_api import expect

from tests.server.conftest import Live
from tests.web.conftest import shot
from tests.web.test_desktop import EN, RU, chat, go_available, log_in


def _chat_from(live: Live, external_id: str, phone: str, name: str, text: str) -> str:
    with closing(live.token_client("alpha")) as adapter:
        answer = adapter.post("/api/v1/projects/alpha/ingest/messages", json={
            "channel": "messenger", "external_id": external_id, "queue": "sales",
            "customer": {"id": phone, "name": name}, "text": text})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["conversation_id"])


def test_the_card_shows_the_returning_customer_and_their_last_complaint_and_follows_the_close(
        live: Live, new_page: Any) -> None:
    page = new_page("ru")
    log_in(page, live, "alpha-op1", RU)
    go_available(page, RU)
    card = page.get_by_role("complementary", name="Клиент")
    expect(card).to_contain_text("Откройте разговор")
    first = _chat_from(live, "card-1", "+7 999 123-45-67", "Дарья Котова", "Курьер не приехал")
    page.locator("[data-offer]").get_by_role("button", name=RU["accept"]).click()
    pane = page.locator(f"[data-conversation='{first}']")
    expect(card.get_by_role("heading", name="Дарья Котова")).to_be_visible()
    expect(card).to_contain_text("+79991234567")
    expect(card).to_contain_text("Первое обращение")
    pane.get_by_role("button", name=RU["end"], exact=True).click()
    pane.get_by_label("Жалоба").check()
    pane.get_by_label("Нет").check()
    pane.get_by_label("Заметки").fill("обещали перезвонить из доставки")
    pane.get_by_role("button", name="Сохранить и закрыть").click()
    expect(pane).to_have_count(0)
    expect(card).to_contain_text("Откройте разговор")  # nothing open: no card

    second = _chat_from(live, "card-2", "+7 (999) 123 45 67", "Дарья", "Я снова по доставке")
    page.locator("[data-offer]").get_by_role("button", name=RU["accept"]).click()
    expect(page.locator(f"[data-conversation='{second}']").get_by_text("Я снова по доставке")).to_be_visible()
    history = card.locator(".past")
    expect(history).to_have_count(2)
    expect(card).to_contain_text("обращений: 2")
    expect(history.nth(0)).to_contain_text("сейчас")
    expect(history.nth(1)).to_contain_text("Жалоба · не решено")
    expect(history.nth(1)).to_contain_text("обещали перезвонить из доставки")
    expect(card.locator(".card__first")).to_have_count(0)


def test_a_chat_transferred_to_a_colleague_rings_on_their_desktop_and_leaves_mine(live: Live,
                                                                                  new_page: Any) -> None:
    mine = new_page("en")
    log_in(mine, live, "alpha-op1", EN)
    go_available(mine, EN)
    conv_id = chat(live, "card-transfer", "Kate Lee", "I need the wholesale team", channel="messenger")
    mine.locator("[data-offer]").get_by_role("button", name=EN["accept"]).click()
    pane = mine.locator(f"[data-conversation='{conv_id}']")
    expect(pane.get_by_text("I need the wholesale team")).to_be_visible()

    theirs = new_page("en")
    log_in(theirs, live, "alpha-op2", EN)
    go_available(theirs, EN)
    pane.get_by_role("button", name="Transfer", exact=True).click()
    target = pane.get_by_label("Transfer to")
    expect(target).to_be_focused()
    expect(target.locator("option", has_text="op1")).to_have_count(0)  # not to oneself
    expect(target.locator("option", has_text="Queue «sales»")).to_have_count(1)
    expect(pane.get_by_label("Number")).to_be_hidden()  # an outside number is for calls only
    target.select_option(label="op2 · Available")
    pane.locator("form.transfer").get_by_role("button", name="Transfer", exact=True).click()
    expect(pane).to_have_count(0)
    expect(mine.get_by_role("alert")).to_contain_text(re.compile(r"Transferred: op2"))
    offer = theirs.locator("[data-offer]").filter(has_text="Kate Lee")
    expect(offer).to_be_visible()
    offer.get_by_role("button", name=EN["accept"]).click()
    expect(theirs.locator(f"[data-conversation='{conv_id}']").get_by_text("I need the wholesale team")).to_be_visible()
    with closing(live.client("alpha-op2")) as api:
        assert api.get(f"/api/v1/projects/alpha/conversations/{conv_id}").json()["operator_id"] == "op2"


def test_a_complaint_goes_to_the_named_person_and_a_partner_number_waits_for_a_call(live: Live,
                                                                                   new_page: Any) -> None:
    with closing(live.client("alpha-admin")) as admin:
        assert admin.put("/api/v1/projects/alpha/directory", json={"people": [
            {"name": "Игорь Лебедев", "title": "Директор по закупкам", "topics": ["partner"],
             "phone": "+7 495 123-45-67"},
            {"name": "Ольга Сергеевна", "title": "Контроль качества", "topics": ["complaint"],
             "operator_id": "op2"}]}).status_code == 200
    mine = new_page("ru")
    log_in(mine, live, "alpha-op1", RU)
    go_available(mine, RU)
    conv_id = chat(live, "card-named", "Сердитый клиент", "Хочу пожаловаться", channel="messenger")
    mine.locator("[data-offer]").get_by_role("button", name=RU["accept"]).click()
    theirs = new_page("ru")
    log_in(theirs, live, "alpha-op2", RU)
    go_available(theirs, RU)
    pane = mine.locator(f"[data-conversation='{conv_id}']")
    pane.get_by_role("button", name="Перевести", exact=True).click()
    target = pane.get_by_label("Кому передать")
    people = target.locator("optgroup[label='Ответственные лица'] option")
    expect(people).to_have_count(2)
    expect(people.nth(0)).to_have_text("Игорь Лебедев · Директор по закупкам · Партнёр · только звонки")
    expect(people.nth(0)).to_be_disabled()  # a phone only: a chat cannot go there
    expect(people.nth(1)).to_have_text("Ольга Сергеевна · Контроль качества · Жалоба · На линии")
    shot(mine, "desktop-transfer-ru")
    target.select_option(label="Ольга Сергеевна · Контроль качества · Жалоба · На линии")
    pane.locator("form.transfer").get_by_role("button", name="Передать").click()
    expect(pane).to_have_count(0)
    offer = theirs.locator("[data-offer]").filter(has_text="Сердитый клиент")
    expect(offer).to_be_visible()


def test_an_operator_flags_a_suspected_competitor_from_the_card(live: Live, new_page: Any) -> None:
    page = new_page("ru")
    log_in(page, live, "alpha-op1", RU)
    go_available(page, RU)
    conv_id = chat(live, "card-spy", "Иван Петров", "Какие у вас оптовые цены и кто поставщик?", channel="messenger")
    page.locator("[data-offer]").get_by_role("button", name=RU["accept"]).click()
    expect(page.locator(f"[data-conversation='{conv_id}']")).to_be_visible()
    card = page.get_by_role("complementary", name="Клиент")
    expect(card.get_by_role("heading", name="Иван Петров")).to_be_visible()
    card.get_by_text("Пометить клиента…").click()
    card.get_by_label("Пометка").select_option(label="Подозрение на конкурента")
    card.get_by_label("Почему").fill("выспрашивает поставщиков")
    card.get_by_role("button", name="Пометить", exact=True).click()
    flag = card.locator(".flag--competitor")
    expect(flag).to_contain_text("Подозрение на конкурента")
    expect(flag).to_contain_text("выспрашивает поставщиков")
    expect(flag).to_contain_text("alpha-op1")
    expect(flag.get_by_role("button", name="Снять")).to_have_count(0)  # lifting is a supervisor's
    with closing(live.client("alpha-sup")) as sup:
        customer = sup.get(f"/api/v1/projects/alpha/conversations/{conv_id}").json()["customer_id"]
        flags = sup.get(f"/api/v1/projects/alpha/customers/{customer}/flags").json()["items"]
    assert [(f["kind"], f["reason"], f["set_by"]) for f in flags] == [
        ("competitor", "выспрашивает поставщиков", "alpha-op1")]
    shot(page, "desktop-card-flag-ru")
