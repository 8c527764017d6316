"""The settings pages in a real browser against the real server (SQLite and PostgreSQL): an
administrator sets a queue up — distribution, hours with a holiday, the out-of-hours reply —
sees each bad value's message beside its field in Russian (ours, and the server's), keeps
what they typed, fixes it, saves, and the API returns the new configuration; break reasons
edited by a supervisor are the ones the operator's desktop offers; each section shows only
to those who may open it, and others get the polite refusal."""

from __future__ import annotations

import re
from contextlib import closing
from typing import Any

from playwright.sync_api import expect

from tests.server.conftest import PASSWORD, Live

LOGIN = {"ru": ("Логин", "Пароль", "Войти"), "en": ("Username", "Password", "Log in")}


def sign_in(page: Any, live: Live, username: str, lang: str = "ru") -> None:
    """Log in by the login page's names and wait until it has sent the person on."""
    user, password, button = LOGIN[lang]
    page.goto(live.url + "/")
    page.get_by_label(user).fill(username)
    page.get_by_label(password).fill(PASSWORD)
    page.get_by_role("button", name=button).click()
    expect(page).not_to_have_url(re.compile(r"/$"), timeout=20_000)  # argon2 is slow on purpose; CI is busy


def error_beside(page: Any, control: Any) -> Any:
    """The message a control's aria-describedby points at (the error slot beside it)."""
    ids = control.get_attribute("aria-describedby") or ""
    slot = next(i for i in ids.split() if page.locator(f"#{i}.field__error").count())
    return page.locator(f"#{slot}")


def test_an_admin_sets_a_queue_up_fixes_bad_values_shown_beside_their_fields_and_saves(
        live: Live, new_page: Any) -> None:
    page = new_page("ru")
    sign_in(page, live, "alpha-admin")
    page.get_by_role("link", name="Настройки").click()
    expect(page).to_have_url(re.compile(r"/settings/project"))
    page.get_by_role("navigation", name="Настройки").get_by_role("link", name="Очереди").click()
    page.get_by_role("link", name="sales", exact=True).click()
    expect(page.get_by_role("heading", name="Очередь sales")).to_be_visible()

    page.get_by_label("Распределение").select_option(label="Дольше всех свободен")
    page.get_by_label("Круглосуточно").uncheck()
    zone = page.get_by_label("Часовой пояс")
    zone.fill("Europe/Moskva")
    page.get_by_role("button", name="Добавить часы: Суббота").click()
    page.get_by_label("Суббота: с").fill("10:00")
    page.get_by_label("Суббота: до").fill("16:00")
    page.get_by_role("button", name="+ Добавить праздник").click()
    page.get_by_label("Дата праздника").fill("2026-12-31")
    page.get_by_role("group", name="Когда обращение приходит в нерабочее время").get_by_label("Действие").select_option(
        label="Ответить сообщением и оставить в очереди")
    page.get_by_label("Сообщение клиенту").first.fill("Мы откроемся в 9:00 и сразу ответим.")
    goal = page.get_by_label("Доля отвеченных вовремя")
    goal.fill("150")
    save = page.get_by_role("button", name="Сохранить", exact=True)
    status = page.locator("form [data-role=status]").first

    save.click()  # checked on the page: a share above 100 %
    expect(goal).to_have_attribute("aria-invalid", "true")
    expect(error_beside(page, goal)).to_have_text("Не больше 100")
    expect(status).to_contain_text("Не сохранено")
    expect(goal).to_be_focused()

    goal.fill("90")
    save.click()  # checked by the server: the time zone's name, in Russian, beside that field
    expect(zone).to_have_attribute("aria-invalid", "true")
    expect(error_beside(page, zone)).to_contain_text("неизвестный часовой пояс 'Europe/Moskva'")
    expect(goal).not_to_have_attribute("aria-invalid", "true")
    expect(zone).to_have_value("Europe/Moskva")  # what the person typed stays
    expect(page.get_by_label("Суббота: с")).to_have_value("10:00")
    with closing(live.client("alpha-admin")) as api:
        assert api.get("/api/v1/projects/alpha/queues/sales").json()["hours"] is None  # nothing half-saved

    zone.fill("Europe/Moscow")
    save.click()
    expect(status).to_contain_text("Сохранено")
    expect(zone).not_to_have_attribute("aria-invalid", "true")
    with closing(live.client("alpha-admin")) as api:
        queue = api.get("/api/v1/projects/alpha/queues/sales").json()
    assert queue["strategy"] == "longest_idle"
    assert queue["service_level_goal"] == 0.9
    assert queue["hours"]["timezone"] == "Europe/Moscow"
    assert queue["hours"]["weekly"] == {**{d: ["09:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
                                        "sat": ["10:00-16:00"]}
    assert queue["hours"]["holidays"] == {"2026-12-31": []}
    assert queue["on_closed"] == {"kind": "wait", "target_queue": None, "text": "Мы откроемся в 9:00 и сразу ответим."}
    assert queue["offer_timeout_s"] == 30 and queue["wrap_up_s"] == 60  # untouched settings kept

    page.reload()  # the page shows what is stored
    expect(page.get_by_label("Круглосуточно")).not_to_be_checked()
    expect(page.get_by_label("Дата праздника")).to_have_value("2026-12-31")
    expect(page.get_by_label("Доля отвеченных вовремя")).to_have_value("90")


def test_an_overflow_needs_its_queue_and_a_new_queue_is_created_from_the_list(live: Live, new_page: Any) -> None:
    page = new_page("en")
    sign_in(page, live, "alpha-sup", "en")
    page.goto(live.url + "/settings/queues")
    page.get_by_label("Name").fill("vip")
    page.get_by_role("button", name="Set it up").click()
    expect(page.get_by_role("heading", name="Queue vip")).to_be_visible()
    action = page.get_by_role("group", name="When the queue is full").get_by_label("Action")
    action.select_option(label="Send to another queue")
    page.get_by_label("At most waiting").fill("5")
    page.get_by_role("button", name="Create queue").click()
    target = page.get_by_role("group", name="When the queue is full").get_by_label("Queue to send it to")
    expect(target).to_have_attribute("aria-invalid", "true")
    expect(error_beside(page, target)).to_have_text("Choose the queue to send contacts to")
    target.select_option("sales")
    page.get_by_role("button", name="Create queue").click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()  # the flash after the reload
    with closing(live.client("alpha-sup")) as api:
        vip = api.get("/api/v1/projects/alpha/queues/vip").json()
    assert vip["max_length"] == 5 and vip["on_full"]["kind"] == "overflow" and vip["on_full"]["target_queue"] == "sales"


def test_break_reasons_edited_in_the_settings_are_the_ones_the_desktop_offers(live: Live, new_page: Any) -> None:
    admin = new_page("ru")
    sign_in(admin, live, "alpha-sup")
    admin.goto(live.url + "/settings/breaks")
    admin.get_by_role("button", name="+ Добавить причину").click()
    admin.get_by_label("Код").last.fill("Наставник")
    admin.get_by_label("Название по-русски").last.fill("Наставничество")
    admin.get_by_label("Название по-английски").last.fill("Coaching")
    coffee = admin.locator("[data-row]").filter(has=admin.locator("input[value=coffee]"))
    coffee.get_by_role("button", name="Убрать").click()
    admin.get_by_role("button", name="Сохранить").click()
    code = admin.get_by_label("Код").last
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(error_beside(admin, code)).to_contain_text("Строчные латинские буквы")
    code.fill("coaching")
    admin.get_by_role("button", name="Сохранить").click()
    expect(admin.get_by_role("status").filter(has_text="Сохранено")).to_be_visible()
    with closing(live.client("alpha-op1")) as api:
        codes = [r["code"] for r in api.get("/api/v1/projects/alpha/break-reasons").json()["items"]]
    assert codes == ["lunch", "training", "meeting", "coaching"]

    desk = new_page("ru")
    sign_in(desk, live, "alpha-op1")
    expect(desk).to_have_url(re.compile(r"/desktop"))
    reason = desk.get_by_label("Причина перерыва")
    expect(reason.locator("option")).to_have_text(["Обед", "Обучение", "Совещание", "Наставничество"])
    reason.select_option(label="Наставничество")
    desk.get_by_role("button", name="Перерыв", exact=True).click()
    expect(desk.locator("[data-target='desktop.presenceLabel']")).to_have_text("Перерыв · Наставничество")
    with closing(live.client("alpha-op1")) as api:
        assert api.get("/api/v1/projects/alpha/operators/op1").json()["reason"] == "coaching"


def test_each_section_shows_only_to_those_who_may_open_it(live: Live, new_page: Any) -> None:
    operator = new_page("ru")
    sign_in(operator, live, "alpha-op1")
    expect(operator.get_by_role("link", name="Настройки")).to_have_count(0)
    answer = operator.goto(live.url + "/settings/queues")
    assert answer is not None and answer.status == 403
    expect(operator.get_by_role("heading", name="Раздел вам недоступен")).to_be_visible()
    operator.goto(live.url + "/settings")  # an operator's one section: their own quick replies
    expect(operator.get_by_role("heading", name="Мои быстрые ответы", exact=True)).to_be_visible()
    expect(operator.get_by_role("navigation", name="Настройки").get_by_role("link")).to_have_text(
        ["Мои быстрые ответы"])

    supervisor = new_page("en")
    sign_in(supervisor, live, "alpha-sup", "en")
    supervisor.goto(live.url + "/settings")
    sections = supervisor.get_by_role("navigation", name="Settings").get_by_role("link")
    expect(sections).to_have_text(["Operators", "Queues", "Break reasons", "Customer segments", "Customer flags",
                                   "Discount policy", "Named people", "Quick replies", "Knowledge base",
                                   "Call scripts", "Automatic messages", "Chat widget", "My quick replies"])
    answer = supervisor.goto(live.url + "/settings/project")
    assert answer is not None and answer.status == 403
    answer = supervisor.goto(live.url + "/settings/users")
    assert answer is not None and answer.status == 403

    admin = new_page("ru")
    sign_in(admin, live, "alpha-admin")
    admin.goto(live.url + "/settings/project")
    expect(admin.get_by_role("link", name="Пользователи")).to_have_count(0)  # superadmins only
    admin.get_by_label("Название").fill("Альфа")
    admin.get_by_label("Страна телефонных номеров").fill("ZZ")
    admin.get_by_role("button", name="Сохранить").click()
    region = admin.get_by_label("Страна телефонных номеров")
    expect(region).to_have_attribute("aria-invalid", "true")
    expect(error_beside(admin, region)).to_contain_text("Неизвестный регион")
    region.fill("BY")
    admin.get_by_role("button", name="Сохранить").click()
    expect(admin.get_by_role("status").filter(has_text="Сохранено")).to_be_visible()
    with closing(live.client("alpha-admin")) as api:
        assert api.get("/api/v1/projects/alpha").json()["region"] == "BY"
