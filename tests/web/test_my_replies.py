"""An operator's own quick replies in a real browser: written on /settings/my-replies (a
bad keyword told beside the field), offered in the composer's "/" list marked as theirs —
in place of the project's reply with the same keyword — and never to another operator."""

from __future__ import annotations

from contextlib import closing
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.server.conftest import Live
from tests.web.conftest import shot
from tests.web.test_admin import error_beside
from tests.web.test_desktop import EN, RU, chat, go_available, log_in
from tests.web.test_policies_admin import whole


def _project_replies(live: Live, lang: str) -> None:
    replies = {"ru": [("доставка", "Доставка", "Доставим по Москве за 1 день, в регионы — за 3–5 дней."),
                      ("оплата", "Оплата", "Оплатить можно картой, наличными курьеру или по счёту.")],
               "en": [("delivery", "Delivery", "We deliver in Moscow in 1 day, elsewhere in 3–5 days."),
                      ("payment", "Payment", "Pay by card, in cash to the courier, or by invoice.")]}
    with closing(live.client("alpha-sup")) as sup:
        for shortcut, title, text in replies[lang]:
            assert sup.post("/api/v1/projects/alpha/quick-replies",
                            json={"shortcut": shortcut, "title": title, "text": text}).status_code == 201


def test_an_operator_keeps_replies_of_their_own(live: Live, new_page: Any) -> None:
    _project_replies(live, "ru")
    desk = new_page("ru")
    log_in(desk, live, "alpha-op1", RU)
    with desk.context.expect_page() as opened:
        desk.get_by_role("link", name="Мои быстрые ответы").click()  # a tab of its own: the desktop stays
    page = opened.value
    expect(page.get_by_role("heading", name="Мои быстрые ответы", exact=True)).to_be_visible()
    expect(page.get_by_text("Личных ответов пока нет.")).to_be_visible()
    form = page.get_by_role("form", name="Новый личный ответ")
    shortcut = form.get_by_label("Ключевое слово")
    shortcut.fill("моя доставка")
    form.get_by_label("Текст").fill("{customer.first_name}, привезём завтра до 14:00, доставка бесплатная!")
    form.get_by_role("button", name="Добавить ответ").click()
    expect(shortcut).to_have_attribute("aria-invalid", "true")
    expect(error_beside(page, shortcut)).to_contain_text("не ключевое слово")
    shortcut.fill("доставка")
    form.get_by_label("Заголовок").fill("Завтра бесплатно")
    form.get_by_role("button", name="Добавить ответ").click()
    mine = page.get_by_role("form", name="/доставка")
    expect(mine).to_contain_text("Заменяет для вас ответ проекта")
    shared = page.get_by_role("region", name="Ответы проекта (2)")
    expect(shared.locator(".shared-reply--over")).to_contain_text("/доставка")
    whole(page, "admin-my-replies-ru")

    go_available(desk, RU)
    conversation = chat(live, "mine-1", "Ольга Смирнова", "Когда привезёте?")
    desk.locator("[data-offer]").get_by_role("button", name=RU["accept"]).click()
    pane = desk.locator(f"[data-conversation='{conversation}']")
    box = pane.get_by_label(RU["message"])
    box.fill("/")
    box.press_sequentially("д")
    picker = pane.get_by_role("listbox")
    expect(picker.get_by_role("option")).to_have_count(1)
    option = picker.get_by_role("option").first
    expect(option).to_contain_text("/доставка")
    expect(option).to_contain_text("Завтра бесплатно")
    expect(option).to_contain_text("мой")
    box.fill("/")
    box.press_sequentially("о")
    expect(picker.get_by_role("option").filter(has_text="/оплата")).to_contain_text("общий")
    box.fill("/")
    box.press_sequentially("д")
    expect(picker.get_by_role("option")).to_have_count(1)
    shot(desk, "desktop-quick-reply-mine-ru")
    box.press("Enter")
    expect(box).to_have_value("Ольга, привезём завтра до 14:00, доставка бесплатная!")

    other = new_page("ru")
    log_in(other, live, "alpha-op2", RU)
    go_available(other, RU)
    second = chat(live, "mine-2", "Игорь Волков", "Сколько стоит доставка?")
    other.locator("[data-offer]").get_by_role("button", name=RU["accept"]).click()
    theirs = other.locator(f"[data-conversation='{second}']").get_by_label(RU["message"])
    theirs.fill("/")
    theirs.press_sequentially("д")
    offered = other.locator(f"[data-conversation='{second}']").get_by_role("option")
    expect(offered).to_have_count(1)
    expect(offered.first).to_have_text("/доставкаДоставка")  # the project's, not op1's own; nothing marked
    with closing(live.client("alpha-op2")) as api:
        assert api.get("/api/v1/projects/alpha/quick-replies", params={"scope": "mine"}).json()["items"] == []


@pytest.mark.parametrize("lang", ["en"])
def test_screen_of_one_s_own_replies(live: Live, new_page: Any, lang: str) -> None:
    _project_replies(live, lang)
    with closing(live.client("alpha-op1")) as op:
        for shortcut, title, text in (("delivery", "Tomorrow, free", "{customer.first_name}, we will bring it "
                                       "tomorrow before 2 pm, delivery is free!"),
                                      ("thanks", "Thank you", "Thank you for your order, {customer.first_name}!")):
            assert op.post("/api/v1/projects/alpha/my-quick-replies",
                           json={"shortcut": shortcut, "title": title, "text": text}).status_code == 201
    page = new_page(lang)
    log_in(page, live, "alpha-op1", EN)
    page.goto(f"{live.url}/settings/my-replies?project=alpha")
    expect(page.get_by_role("form", name="/thanks")).to_be_visible()
    whole(page, "admin-my-replies-en")
