"""Screenshots of the settings pages, saved to docs/screens/ with DOZVON_SAVE_SCREENS=1
(listed in docs/screens.md): a queue set up with hours, a holiday, required skills and an
out-of-hours reply, in both languages; the same page with a bad value's message beside its
field; the break reasons."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.server.conftest import Live
from tests.web.test_admin import sign_in
from tests.web.test_screens_supervisor import folder_for

OUT_OF_HOURS = {"ru": "Мы работаем с 9:00 до 18:00. Ответим утром — сообщение уже в очереди.",
                "en": "We are open 9:00 to 18:00. We will answer in the morning — your message is in the queue."}


def set_queues_up(live: Live, lang: str) -> None:
    with closing(live.client("alpha-admin")) as admin:
        assert admin.put("/api/v1/projects/alpha/queues/seniors", json={"strategy": "skills"}).status_code == 200
        answer = admin.put("/api/v1/projects/alpha/queues/sales", json={
            "strategy": "round_robin", "offer_timeout_s": 30, "target_answer_s": 20, "service_level_goal": 0.8,
            "wrap_up_s": 60, "required_skills": {"sales": 2, "lang_ru": 1}, "skills_first": True,
            "hours": {"timezone": "Europe/Moscow",
                      "weekly": {**{d: ["09:00-13:00", "14:00-18:00"] for d in ("mon", "tue", "wed", "thu")},
                                 "fri": ["09:00-17:00"], "sat": ["10:00-16:00"]},
                      "holidays": {"2026-12-31": ["09:00-15:00"], "2027-01-01": []}},
            "on_closed": {"kind": "wait", "text": OUT_OF_HOURS[lang]},
            "max_length": 50, "on_full": {"kind": "overflow", "target_queue": "seniors"},
            "max_wait_s": 600, "on_max_wait": {"kind": "callback"},
            "sticky_wait_s": 15, "escalation_queue": "seniors", "callback_on_abandon": True})
        assert answer.status_code == 200, answer.text


def whole_page(page: Any, path: Path) -> None:
    """The page at its full height, so that the sticky save bar sits at the end of the form
    as a reader scrolled there sees it (a full-page shot would leave it mid-page)."""
    height = int(page.evaluate("document.documentElement.scrollHeight"))
    page.set_viewport_size({"width": 1280, "height": height})
    page.wait_for_timeout(200)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1280, "height": 800})


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_screens_of_a_queues_settings(live: Live, new_page: Any, lang: str, tmp_path: Path) -> None:
    folder = folder_for(live, tmp_path)
    set_queues_up(live, lang)
    page = new_page(lang)
    sign_in(page, live, "alpha-admin", lang)
    page.goto(live.url + "/settings/queues/sales")
    heading = "Очередь sales" if lang == "ru" else "Queue sales"
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    if folder:
        whole_page(page, folder / f"admin-queue-{lang}.png")
    if lang == "ru":
        page.get_by_label("Доля отвеченных вовремя").fill("150")
        page.get_by_label("Часовой пояс").fill("Europe/Moskva")
        page.get_by_role("button", name="Сохранить", exact=True).click()
        expect(page.get_by_text("Не больше 100")).to_be_visible()
        page.get_by_label("Доля отвеченных вовремя").fill("85")
        page.get_by_role("button", name="Сохранить", exact=True).click()
        expect(page.get_by_text("неизвестный часовой пояс", exact=False)).to_be_visible()
        page.get_by_label("Часовой пояс").scroll_into_view_if_needed()
        page.mouse.wheel(0, -160)
        page.wait_for_timeout(300)
        if folder:
            page.screenshot(path=str(folder / "admin-queue-error-ru.png"))


def test_screens_of_the_queue_list_and_break_reasons(live: Live, new_page: Any, tmp_path: Path) -> None:
    folder = folder_for(live, tmp_path)
    set_queues_up(live, "ru")
    page = new_page("ru")
    sign_in(page, live, "alpha-admin")
    page.goto(live.url + "/settings/queues")
    expect(page.get_by_role("link", name="seniors")).to_be_visible()
    if folder:
        page.screenshot(path=str(folder / "admin-queues-ru.png"), full_page=True)
    page.goto(live.url + "/settings/breaks")
    expect(page.get_by_label("Код").first).to_have_value("lunch")
    if folder:
        page.screenshot(path=str(folder / "admin-breaks-ru.png"), full_page=True)
