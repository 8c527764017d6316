"""The operator's desktop beside the conversation, in a real browser: the customer's card
(who they are, every earlier conversation and how it ended, kept current; corrected with
«Изменить», the server's refusal beside the field; a supervisor's segment) and transfer
to a colleague — who gets the offer — or to a queue."""

from __future__ import annotations

import re
from contextlib import closing
from typing import Any

from playwright.sync_api import expect

from dozvon.accounts import actions as accounts
from dozvon.routing.model import OperatorConfig
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


def _region(live: Live, region: str) -> None:
    with closing(live.client("alpha-admin")) as admin:
        assert admin.put("/api/v1/projects/alpha", json={"name": "Alpha", "region": region,
                                                         "timezone": "Europe/Moscow"}).status_code == 200


def test_an_operator_corrects_the_card_and_a_number_of_another_customer_is_refused_beside_it(
        live: Live, new_page: Any) -> None:
    _region(live, "RU")
    with closing(live.client("alpha-op2")) as colleague:
        assert colleague.post("/api/v1/projects/alpha/customers", json={
            "name": "Борис Орлов", "phones": ["+79995550011"]}).status_code == 201
    page = new_page("ru")
    log_in(page, live, "alpha-op1", RU)
    go_available(page, RU)
    conv_id = _chat_from(live, "card-edit", "+7 999 123-45-67", "Дарья", "Запишите мою почту")
    page.locator("[data-offer]").get_by_role("button", name=RU["accept"]).click()
    expect(page.locator(f"[data-conversation='{conv_id}']")).to_be_visible()
    card = page.get_by_role("complementary", name="Клиент")
    expect(card.get_by_role("heading", name="Дарья")).to_be_visible()
    card.get_by_role("button", name="Изменить").click()
    form = card.get_by_role("form", name="Данные клиента")
    expect(form.get_by_label("Имя")).to_be_focused()
    expect(form.get_by_label("Имя")).to_have_value("Дарья")
    expect(form.get_by_label("Телефон 1", exact=True)).to_have_value("+79991234567")
    expect(form.get_by_label("Сегмент")).to_have_count(0)  # the segment is a supervisor's
    form.get_by_label("Имя").fill("Дарья Котова")
    form.get_by_role("button", name="+ Добавить телефон").click()
    expect(form.get_by_label("Телефон 2", exact=True)).to_be_focused()
    form.get_by_label("Телефон 2", exact=True).fill("8 999 555-00-11")
    form.get_by_label("E-mail 1", exact=True).fill("Darya@Example.RU")
    form.get_by_role("button", name="Сохранить").click()
    taken = form.get_by_label("Телефон 2", exact=True)
    expect(taken).to_have_attribute("aria-invalid", "true")
    expect(taken).to_be_focused()
    said = form.locator(".card-edit__row").nth(1).locator(".field__error")
    expect(said).to_contain_text("+79995550011 уже у другого клиента — Борис Орлов")
    expect(form.get_by_label("Телефон 1", exact=True)).not_to_have_attribute("aria-invalid", "true")
    shot(page, "desktop-card-edit-ru")

    taken.fill("8 (999) 765-43-21")
    form.get_by_role("button", name="Сохранить").click()
    expect(form).to_be_hidden()
    expect(card.get_by_role("heading", name="Дарья Котова")).to_be_visible()
    ids = card.locator(".card__ids")
    expect(ids).to_contain_text("+79991234567")
    expect(ids).to_contain_text("+79997654321")
    expect(ids).to_contain_text("darya@example.ru")
    expect(page.locator(".banner")).to_contain_text("Данные клиента сохранены")
    expect(card.get_by_role("button", name="Изменить")).to_be_focused()
    with closing(live.client("alpha-op1")) as op:
        customer = op.get(f"/api/v1/projects/alpha/conversations/{conv_id}").json()["customer_id"]
        saved = op.get(f"/api/v1/projects/alpha/customers/{customer}").json()
    assert (saved["name"], saved["phones"], saved["emails"]) == (
        "Дарья Котова", ["+79991234567", "+79997654321"], ["darya@example.ru"])

    card.get_by_role("button", name="Изменить").click()  # taking a number off, and cancelling
    form.get_by_role("button", name="Убрать: Телефон 2").click()
    expect(form.get_by_label("Телефон 2", exact=True)).to_have_count(0)
    form.get_by_role("button", name="Отмена").click()
    expect(form).to_be_hidden()
    expect(ids).to_contain_text("+79997654321")


def test_a_supervisor_at_the_desktop_makes_a_customer_vip_from_the_card(live: Live, new_page: Any) -> None:
    with live.hub.sessions.begin() as session:  # a supervisor who also takes contacts
        accounts.set_membership(session, "test", "alpha", "alpha-sup", "supervisor", "sup")
    live.hub.service("alpha").run(lambda e: e.add_operator(OperatorConfig.from_dict(
        {"id": "sup", "queues": ["sales"], "capacity": {"voice": 1, "chat": 3}})))
    page = new_page("en")
    log_in(page, live, "alpha-sup", EN)
    go_available(page, EN)
    conv_id = _chat_from(live, "card-vip", "+7 999 222-33-44", "Mark Hill", "About my wholesale order")
    page.locator("[data-offer]").get_by_role("button", name=EN["accept"]).click()
    expect(page.locator(f"[data-conversation='{conv_id}']")).to_be_visible()
    card = page.get_by_role("complementary", name="Customer")
    expect(card.get_by_role("heading", name="Mark Hill")).to_be_visible()
    expect(card.locator(".card__segment")).to_have_text("new")
    card.get_by_role("button", name="Edit").click()
    form = card.get_by_role("form", name="The customer's details")
    segment = form.get_by_label("Segment")
    expect(segment).to_have_value("")  # the project's rules decide
    segment.select_option(label="VIP")
    form.get_by_label("E-mail 1", exact=True).fill("mark.hill@example.com")
    page.evaluate("window.scrollTo(0, 0)")  # a supervisor's top bar is wider than 1280 px: its start in view
    shot(page, "desktop-card-edit-en")
    form.get_by_role("button", name="Save").click()
    expect(form).to_be_hidden()
    expect(card.locator(".card__segment")).to_have_text("VIP")
    expect(card.locator(".card__ids")).to_contain_text("mark.hill@example.com")
    with closing(live.client("alpha-admin")) as admin:
        customer = admin.get(f"/api/v1/projects/alpha/conversations/{conv_id}").json()["customer_id"]
        trail = [a for a in admin.get("/api/v1/projects/alpha/audit").json()["items"] if a["target"] == customer]
    assert [(a["actor"], a["action"], a["details"]["segment"]) for a in trail] == [
        ("alpha-sup", "customer.updated", "vip")]
