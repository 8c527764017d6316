"""The segment rules' settings page in a real browser: an administrator changes when a
customer counts as regular and adds a segment of their own; a bad value is answered
beside its field; saved, the API returns the rules."""

from __future__ import annotations

from contextlib import closing
from typing import Any

from playwright.sync_api import expect

from tests.server.conftest import Live
from tests.web.conftest import shot
from tests.web.test_admin import error_beside, sign_in


def test_an_admin_sets_the_segment_rules(live: Live, new_page: Any) -> None:
    page = new_page("ru")
    sign_in(page, live, "alpha-admin")
    page.goto(f"{live.url}/settings/segments")
    expect(page.get_by_role("heading", name="Сегменты клиентов")).to_be_visible()
    contacts = page.get_by_label("Обращений")
    expect(contacts).to_have_value("3")
    contacts.fill("0")
    save = page.get_by_role("button", name="Сохранить", exact=True)
    save.click()
    expect(error_beside(page, contacts)).to_have_text("Не меньше 1")
    contacts.fill("2")
    page.get_by_label("Потерян через").fill("120")
    page.get_by_role("button", name="+ Добавить правило").click()
    row = page.locator("li.rule").nth(0)
    row.get_by_label("Сегмент").fill("wholesale")
    row.get_by_label("Атрибут").fill("type")
    row.get_by_label("Равен").fill("опт")
    row.get_by_label("Приоритет").fill("40")
    save.click()
    expect(page.locator("form [data-role=status]").first).to_contain_text("Сохранено")
    shot(page, "admin-segments-ru")
    with closing(live.client("alpha-admin")) as api:
        rules = api.get("/api/v1/projects/alpha/segments").json()
    assert rules == {"regular_contacts": 2, "regular_days": 90, "lost_days": 120,
                     "custom": [{"segment": "wholesale", "attribute": "type", "equals": "опт", "priority": 40}]}
