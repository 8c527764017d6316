"""Screenshots of the key screens in both languages, saved to docs/screens/ (listed in
docs/screens.md) so that a person looks at them: the login page, the desktop with an
offer, with conversations open beside the customer's card, and the wrap-up form."""

from __future__ import annotations

import os
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from dozvon.crm import actions as crm
from dozvon.crm import discounts
from tests.server.conftest import Live
from tests.server.wsutil import open_stream
from tests.web.conftest import SCREENS
from tests.web.test_desktop import EN, RU, chat, go_available, log_in

LINES = {
    "ru": [("Марина Соколова", "Здравствуйте! Заказ №4815 так и не пришёл, прошла уже неделя."),
           ("Дмитрий Орлов", "Можно поменять адрес доставки?"),
           "Здравствуйте, Марина! Сейчас проверю, где посылка.",
           "Спасибо, жду.",
           "Посылка в пункте выдачи с сегодняшнего утра, код получения придёт по SMS."],
    "en": [("Marina Sokolova", "Hello! My order #4815 still hasn't arrived, it's been a week."),
           ("Dmitry Orlov", "Can I change the delivery address?"),
           "Hello Marina! Let me check where the parcel is.",
           "Thanks, I'll wait.",
           "The parcel has been at the pick-up point since this morning; the code will come by SMS."],
}


EARLIER = {"ru": ("Как оформить возврат?", "отправили инструкцию по возврату"),
           "en": ("How do I return an item?", "sent the return instructions")}


def _a_returning_customer(live: Live, lang: str, phone: str, name: str) -> None:
    """The customer's earlier chat, answered and classified (through the API), and their
    e-mail and segment in the CRM: what the card shows beside today's conversation."""
    question, notes = EARLIER[lang]
    with closing(live.client("alpha-op1")) as op, closing(live.token_client("alpha")) as adapter, \
            open_stream(live.ws_url, op, "alpha", after=None) as ws:
        assert ws.command(action="state", state="available")["ok"]
        answer = adapter.post("/api/v1/projects/alpha/ingest/messages", json={
            "channel": "chat", "external_id": f"earlier-{lang}", "queue": "sales",
            "customer": {"id": phone, "name": name}, "text": question})
        conv_id = answer.json()["conversation_id"]
        offer = ws.wait("offer.created")
        assert ws.command(action="accept", offer_id=offer["data"]["offer_id"])["ok"]
        assert ws.command(action="end", conversation_id=conv_id)["ok"]
        assert op.post(f"/api/v1/projects/alpha/conversations/{conv_id}/disposition",
                       json={"contact_type": "new_inquiry", "resolved": True, "notes": notes}).status_code == 200
        customer_id = op.get(f"/api/v1/projects/alpha/conversations/{conv_id}").json()["customer_id"]
        assert ws.command(action="state", state="offline")["ok"]
    with live.hub.sessions.begin() as session:
        crm.update_customer(session, "test", "alpha", customer_id, segment="vip",
                            identities=[("email", "m.sokolova@example.ru")])
        crm.set_discount_policy(session, "test", "alpha", [discounts.Discount(
            "vip", 15, "на любой заказ" if lang == "ru" else "on any order")])


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_screens_of_the_login_page_and_the_desktop(live: Live, new_page: Any, lang: str, tmp_path: Path) -> None:
    save = live.database_url.startswith("sqlite")  # one set of pictures, not one per database
    folder = SCREENS if os.environ.get("DOZVON_SAVE_SCREENS") == "1" else tmp_path
    names = RU if lang == "ru" else EN
    lines = LINES[lang]
    page = new_page(lang)

    def shot(name: str) -> None:
        if save:
            folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(folder / f"{name}-{lang}.png"))

    page.goto(live.url + "/")
    expect(page.get_by_role("button", name=names["login"])).to_be_visible()
    shot("login")
    (first, text), (second, other) = lines[0], lines[1]
    phone = "+79165551234"
    _a_returning_customer(live, lang, phone, first)
    log_in(page, live, "alpha-op1", names)
    go_available(page, names)
    with closing(live.token_client("alpha")) as adapter:  # a messenger: an outside adapter takes replies
        conv_id = adapter.post("/api/v1/projects/alpha/ingest/messages", json={
            "channel": "messenger", "external_id": f"shot-{lang}-1", "queue": "sales",
            "customer": {"id": "+7 916 555-12-34", "name": first}, "text": text}).json()["conversation_id"]
    card = page.locator("[data-offer]").filter(has_text=first)
    expect(card).to_be_visible()
    page.wait_for_timeout(1500)  # the countdown and the wait have visibly moved
    shot("desktop-offer")
    card.get_by_role("button", name=names["accept"]).click()
    pane = page.locator(f"[data-conversation='{conv_id}']")
    box = pane.get_by_label(names["message"])
    box.fill(lines[2])
    box.press("Enter")
    expect(pane.locator(".msg--out")).to_have_count(1)
    with closing(live.token_client("alpha")) as adapter:
        assert adapter.post("/api/v1/projects/alpha/ingest/messages", json={
            "channel": "messenger", "external_id": f"shot-{lang}-1b", "queue": "sales",
            "customer": {"id": phone, "name": first}, "text": lines[3]}).status_code == 201
    expect(pane.get_by_text(lines[3])).to_be_visible()
    box.fill(lines[4])
    box.press("Enter")
    chat(live, f"shot-{lang}-2", second, other)
    expect(page.locator("[data-offer]").filter(has_text=second)).to_be_visible()
    expect(page.locator(".past")).to_have_count(2)  # the card: today's chat and the earlier one
    expect(page.locator(".card__discount")).to_contain_text("15 %")  # what may be offered to a VIP
    page.wait_for_timeout(600)  # past the card's arrival animation
    shot("desktop-conversation")
    pane.get_by_role("button", name=names["end"], exact=True).click()
    expect(pane.locator("form.wrapup")).to_be_visible()
    expect(page.locator(".presence")).to_have_attribute("data-presence", "wrap_up")
    shot("desktop-wrapup")
