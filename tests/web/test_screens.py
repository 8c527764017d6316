"""Screenshots of the key screens in both languages, saved to docs/screens/ (listed in
docs/screens.md) so that a person looks at them: the login page, the desktop with an
offer, with conversations open, and the wrap-up form."""

from __future__ import annotations

import os
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.server.conftest import Live
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
    log_in(page, live, "alpha-op1", names)
    go_available(page, names)
    (first, text), (second, other) = lines[0], lines[1]
    conv_id = chat(live, f"shot-{lang}-1", first, text, channel="messenger")  # an outside adapter takes replies
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
            "customer": {"id": f"cust-shot-{lang}-1", "name": first}, "text": lines[3]}).status_code == 201
    expect(pane.get_by_text(lines[3])).to_be_visible()
    box.fill(lines[4])
    box.press("Enter")
    chat(live, f"shot-{lang}-2", second, other)
    expect(page.locator("[data-offer]").filter(has_text=second)).to_be_visible()
    page.wait_for_timeout(600)  # past the card's arrival animation
    shot("desktop-conversation")
    pane.get_by_role("button", name=names["end"], exact=True).click()
    expect(pane.locator("form.wrapup")).to_be_visible()
    expect(page.locator(".presence")).to_have_attribute("data-presence", "wrap_up")
    shot("desktop-wrapup")
