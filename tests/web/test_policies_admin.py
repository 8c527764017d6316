"""The CRM policies' settings pages in a real browser: what customers' flags do
(/settings/flags) and the discount policy (/settings/discounts) — saved through their API,
bad values told beside the field (ours and the server's), nothing saved until they are
fixed; a screenshot of each in both languages (docs/screens.md)."""

from __future__ import annotations

import os
from contextlib import closing
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.server.conftest import Live
from tests.web.conftest import SCREENS
from tests.web.test_admin import error_beside, sign_in


def whole(page: Any, name: str) -> None:
    """A settings page at its full height, from its top, when screenshots are being saved
    (DOZVON_SAVE_SCREENS=1, as :func:`tests.web.conftest.shot`)."""
    if os.environ.get("DOZVON_SAVE_SCREENS") == "1":
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(100)
        page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def test_a_supervisor_sets_what_flags_do(live: Live, new_page: Any) -> None:
    with closing(live.client("alpha-admin")) as admin:
        assert admin.put("/api/v1/projects/alpha/queues/seniors", json={"strategy": "round_robin"}).status_code == 200
    page = new_page("ru")
    sign_in(page, live, "alpha-sup")
    page.goto(f"{live.url}/settings/flags?project=alpha")
    form = page.get_by_role("form", name="Флаги клиентов")
    queue = form.get_by_label("Направлять обращения в очередь")
    expect(queue).to_have_value("")
    expect(form.get_by_label("Отклонять обращения заблокированного клиента")).to_be_checked()
    queue.select_option("seniors")
    form.get_by_label("Отклонять обращения заблокированного клиента").uncheck()
    form.get_by_label("Что клиент прочтёт при отказе").fill("Мы больше не можем вас обслуживать.")
    with closing(live.client("alpha-admin")) as admin:  # the queue goes while the page is open
        assert admin.delete("/api/v1/projects/alpha/queues/seniors").status_code == 204
    form.get_by_role("button", name="Сохранить").click()
    expect(queue).to_have_attribute("aria-invalid", "true")
    expect(error_beside(page, queue)).to_contain_text("В проекте нет очереди 'seniors'")
    with closing(live.client("alpha-sup")) as sup:  # nothing was saved
        assert sup.get("/api/v1/projects/alpha/flag-policy").json()["blocked_refuse"] is True
    queue.select_option("sales")
    form.get_by_role("button", name="Сохранить").click()
    expect(form.get_by_role("status")).to_contain_text("Сохранено")
    with closing(live.client("alpha-sup")) as sup:
        assert sup.get("/api/v1/projects/alpha/flag-policy").json() == {
            "competitor_queue": "sales", "blocked_refuse": False, "blocked_text": "Мы больше не можем вас обслуживать."}
    page.reload()
    expect(queue).to_have_value("sales")
    expect(form.get_by_label("Отклонять обращения заблокированного клиента")).not_to_be_checked()
    queue.select_option("")  # back to only marking them
    form.get_by_role("button", name="Сохранить").click()
    expect(form.get_by_role("status")).to_contain_text("Сохранено")
    with closing(live.client("alpha-sup")) as sup:
        assert sup.get("/api/v1/projects/alpha/flag-policy").json()["competitor_queue"] is None
    operator = new_page("ru")
    sign_in(operator, live, "alpha-op1")
    answer = operator.goto(f"{live.url}/settings/flags?project=alpha")
    assert answer is not None and answer.status == 403


def test_a_supervisor_writes_the_discount_policy(live: Live, new_page: Any) -> None:
    page = new_page("ru")
    sign_in(page, live, "alpha-sup")
    page.goto(f"{live.url}/settings/discounts?project=alpha")
    form = page.get_by_role("form", name="Скидочная политика")
    expect(form).to_contain_text("Строк нет")
    add = form.get_by_role("button", name="+ Добавить строку")
    add.click()
    rows = form.locator("[data-row]")
    rows.nth(0).get_by_label("Сегмент").fill("regular")
    percent = rows.nth(0).get_by_label("Скидка до")
    percent.fill("150")
    rows.nth(0).get_by_label("Условия").fill("на второй заказ, кроме уценённых товаров")
    add.click()
    rows.nth(1).get_by_label("Сегмент").fill("regular")
    rows.nth(1).get_by_label("Скидка до").fill("20")
    form.get_by_role("button", name="Сохранить").click()
    expect(error_beside(page, percent)).to_contain_text("Не больше 100")
    twice = rows.nth(1).get_by_label("Сегмент")
    expect(error_beside(page, twice)).to_contain_text("Это уже есть в списке")
    expect(form.get_by_role("status")).to_contain_text("Не сохранено")
    with closing(live.client("alpha-sup")) as sup:
        assert sup.get("/api/v1/projects/alpha/discount-policy").json() == {"discounts": []}
    percent.fill("10")
    twice.fill("vip")
    rows.nth(1).get_by_label("Условия").fill("на любой заказ")
    form.get_by_role("button", name="Сохранить").click()
    expect(form.get_by_role("status")).to_contain_text("Сохранено")
    with closing(live.client("alpha-sup")) as sup:
        assert sup.get("/api/v1/projects/alpha/discount-policy").json()["discounts"] == [
            {"segment": "regular", "max_percent": 10.0, "note": "на второй заказ, кроме уценённых товаров"},
            {"segment": "vip", "max_percent": 20.0, "note": "на любой заказ"}]
    page.reload()
    expect(rows).to_have_count(2)
    expect(rows.nth(1).get_by_label("Скидка до")).to_have_value("20")
    whole(page, "admin-discounts-ru")


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_screens_of_the_policies(live: Live, new_page: Any, lang: str) -> None:
    with closing(live.client("alpha-admin")) as admin:
        assert admin.put("/api/v1/projects/alpha/queues/seniors", json={"strategy": "round_robin"}).status_code == 200
        assert admin.put("/api/v1/projects/alpha/flag-policy", json={
            "competitor_queue": "seniors", "blocked_refuse": True,
            "blocked_text": "Мы больше не можем принимать ваши обращения." if lang == "ru"
            else "We can no longer take your requests."}).status_code == 200
        assert admin.put("/api/v1/projects/alpha/discount-policy", json={"discounts": [
            {"segment": "regular", "max_percent": 10,
             "note": "со второго заказа, кроме уценённых" if lang == "ru" else "from the second order, not on sale"},
            {"segment": "vip", "max_percent": 15, "note": "на любой заказ" if lang == "ru" else "on any order"},
            {"segment": "lost", "max_percent": 5,
             "note": "чтобы вернуть клиента" if lang == "ru" else "to win them back"}]}).status_code == 200
    page = new_page(lang)
    sign_in(page, live, "alpha-sup", lang)
    page.goto(f"{live.url}/settings/flags?project=alpha")
    expect(page.get_by_role("form")).to_be_visible()
    whole(page, f"admin-flags-{lang}")
    if lang == "en":
        page.goto(f"{live.url}/settings/discounts?project=alpha")
        expect(page.locator("[data-row]")).to_have_count(3)
        whole(page, "admin-discounts-en")
