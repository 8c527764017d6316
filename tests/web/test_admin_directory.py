"""The named people's settings page in a real browser: an administrator adds the partner's
director (a phone, any format) and the head of quality (her operator account), is told
beside the field when a person cannot be reached or a phone is no phone, saves, and the
desktop's transfer then lists them."""

from __future__ import annotations

from contextlib import closing
from typing import Any

from playwright.sync_api import expect

from tests.server.conftest import Live
from tests.web.conftest import shot
from tests.web.test_admin import error_beside, sign_in


def test_an_admin_lists_the_named_people_and_is_told_what_is_missing(live: Live, new_page: Any) -> None:
    page = new_page("ru")
    sign_in(page, live, "alpha-admin")
    page.goto(f"{live.url}/settings/directory")
    expect(page.get_by_role("heading", name="Ответственные лица")).to_be_visible()
    expect(page.get_by_text("Пока никого")).to_be_visible()
    add = page.get_by_role("button", name="+ Добавить человека")
    add.click()
    rows = page.locator("li.person")
    first = rows.nth(0)
    first.get_by_label("Имя").fill("Игорь Лебедев")
    first.get_by_label("Должность").fill("Директор по закупкам")
    first.get_by_label("Партнёр").check()
    save = page.get_by_role("button", name="Сохранить", exact=True)
    save.click()  # checked on the page: no way to reach him
    phone = first.get_by_label("Телефон")
    expect(error_beside(page, phone)).to_have_text("Укажите телефон или учётную запись оператора")
    phone.fill("звоните в офис")
    save.click()  # checked by the server: not a phone number, beside the field
    expect(error_beside(page, phone)).to_contain_text("не номер телефона")
    expect(phone).to_have_value("звоните в офис")  # what was typed stays
    phone.fill("+7 (495) 123-45-67")
    add.click()
    second = rows.nth(1)
    second.get_by_label("Имя").fill("Ольга Сергеевна")
    second.get_by_label("Должность").fill("Руководитель контроля качества")
    second.get_by_label("Учётная запись оператора").select_option("op2")
    second.get_by_label("Жалоба").check()
    save.click()
    expect(page.locator("form [data-role=status]").first).to_contain_text("Сохранено")
    shot(page, "admin-directory-ru")
    with closing(live.client("alpha-op1")) as op:
        people = op.get("/api/v1/projects/alpha/directory").json()["items"]
    assert [(p["name"], p["title"], p["phone"], p["operator_id"], p["topics"]) for p in people] == [
        ("Игорь Лебедев", "Директор по закупкам", "+74951234567", None, ["partner"]),
        ("Ольга Сергеевна", "Руководитель контроля качества", None, "op2", ["complaint"])]
    page.reload()
    expect(rows).to_have_count(2)
    expect(rows.nth(0).get_by_label("Партнёр")).to_be_checked()
    expect(rows.nth(1).get_by_label("Учётная запись оператора")).to_have_value("op2")
