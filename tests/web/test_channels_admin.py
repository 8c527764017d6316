"""The channels and webhooks settings pages in a real browser: an admin connects a web
form (its secret shown once, in a box that waits until it is kept), sees its address and a
signed example, tests it; a mailbox with a wrong port is told beside the field; a webhook
to a real receiver is added, pinged, and its log shows the attempt; screenshots in both
languages."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.server.conftest import Live
from tests.web.test_admin import error_beside, sign_in
from tests.web.test_policies_admin import whole


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[bytes]]]:
    """A real HTTP endpoint that answers 200 and keeps what it got."""
    got: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(self.rfile.read(int(self.headers.get("content-length", 0))))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/dozvon", got
    server.shutdown()


def test_an_admin_connects_a_web_form_and_keeps_its_secret(live: Live, new_page: Any) -> None:
    page = new_page("ru")
    sign_in(page, live, "alpha-admin")
    page.goto(f"{live.url}/settings/channels?project=alpha")
    expect(page.get_by_role("heading", name="Каналы", exact=True)).to_be_visible()
    expect(page.get_by_text("Каналы ещё не подключены")).to_be_visible()

    mail = page.locator("details.channel-new[data-kind='email']")
    mail.locator("summary").click()
    mail.get_by_label("Имя", exact=True).fill("support")
    mail.get_by_label("Адрес ящика").fill("support@example.ru")
    mail.get_by_label("Сервер IMAP").fill("imap.example.ru")
    mail.get_by_label("Порт IMAP").fill("99999")
    mail.get_by_label("Сервер SMTP").fill("smtp.example.ru")
    mail.get_by_label("пароль").fill("секрет")
    mail.get_by_role("button", name="Подключить").click()
    port = mail.get_by_label("Порт IMAP")
    expect(port).to_have_attribute("aria-invalid", "true")
    expect(error_beside(page, port)).to_be_visible()
    mail.locator("summary").click()

    form = page.locator("details.channel-new[data-kind='form']")
    form.locator("summary").click()
    form.get_by_label("Имя", exact=True).fill("Site Form")
    form.get_by_role("button", name="Подключить").click()
    name = form.get_by_label("Имя", exact=True)
    expect(error_beside(page, name)).to_contain_text("строчные латинские")
    name.fill("site-form")
    form.get_by_role("button", name="Подключить").click()
    box = page.get_by_role("alert").filter(has_text="Секрет — показан один раз")
    expect(box).to_be_visible()
    secret = box.locator("code").inner_text()
    assert len(secret) >= 40
    whole(page, "admin-channels-secret-ru")
    box.get_by_role("button", name="Я сохранил секрет").click()
    card = page.locator("[data-channel='site-form']")
    expect(card).to_contain_text("Веб-форма")
    expect(card).to_contain_text("работает")
    expect(card.locator("[data-role=url]")).to_contain_text("/hooks/alpha/forms/site-form")
    expect(page.get_by_text(secret)).to_have_count(0)  # never shown again
    card.get_by_role("button", name="Проверить").click()
    expect(card.locator("[data-role=test-status]")).to_contain_text("Принимает подписанные заявки в очередь")
    whole(page, "admin-channels-ru")
    with closing(live.client("alpha-admin")) as admin:
        stored = admin.get("/api/v1/projects/alpha/channels/site-form").json()
    assert stored["kind"] == "form" and stored["has_secret"] and "secret" not in stored


def test_the_channels_page_speaks_english(live: Live, new_page: Any) -> None:
    with closing(live.client("alpha-admin")) as admin:
        assert admin.post("/api/v1/projects/alpha/channels", json={
            "kind": "form", "name": "marketplace", "queue": "sales",
            "settings": {"fields": {"phone": "contact.phone", "name": "contact.name"}}}).status_code == 201
    page = new_page("en")
    sign_in(page, live, "alpha-admin", "en")
    page.goto(f"{live.url}/settings/channels?project=alpha")
    card = page.locator("[data-channel='marketplace']")
    expect(card).to_contain_text("Web form")
    expect(card).to_contain_text("Last message in")
    card.get_by_text("Settings", exact=True).click()
    expect(card.get_by_role("textbox", name="phone")).to_have_value("contact.phone")
    whole(page, "admin-channels-en")


def test_an_admin_adds_a_webhook_pings_it_and_reads_its_log(live: Live, new_page: Any,
                                                           receiver: tuple[str, list[bytes]]) -> None:
    url, got = receiver
    page = new_page("ru")
    sign_in(page, live, "alpha-admin")
    page.goto(f"{live.url}/settings/webhooks?project=alpha")
    new = page.locator("details.channel-new")
    new.get_by_label("Адрес (URL)").fill(url)
    new.get_by_label("Назначение").fill("наша CRM")
    new.get_by_text("contact.*").click()
    new.get_by_role("button", name="Добавить").click()
    box = page.get_by_role("alert").filter(has_text="Секрет — показан один раз")
    expect(box).to_be_visible()
    box.get_by_role("button", name="Я сохранил секрет").click()
    card = page.locator("[data-hook]")
    expect(card).to_contain_text(url)
    expect(card).to_contain_text("contact.*")
    card.get_by_role("button", name="Отправить тест").click()
    expect(card.locator("[data-role=test-status]")).to_contain_text("Ответ 200")
    assert got and b"webhook.ping" in got[0]
    card.get_by_role("button", name="Журнал доставки").click()
    row = card.locator("[data-role=rows] tr").first
    expect(row).to_contain_text("webhook.ping")
    expect(row).to_contain_text("доставлено")
    whole(page, "admin-webhooks-ru")


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_an_admin_connects_a_phone_line_and_records_its_greeting(live: Live, new_page: Any, lang: str,
                                                                  tmp_path: Any) -> None:
    import shutil
    import subprocess

    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.skip("espeak-ng and sox make the recording (the sipp voice tests need them too)")
    words = {"ru": ("Телефонная линия", "Имя", "Набранный номер", "Пункты меню", "Подключить", "Записанные подсказки",
                    "Загрузить запись: Приветствие", "запись,", "Вернуть текст вместо записи: Приветствие",
                    "звучит текст"),
             "en": ("Phone line", "Name", "Dialled number", "Menu choices", "Connect", "Recorded prompts",
                    "Upload a recording: Greeting", "recording,", "Use the text instead of the recording: Greeting",
                    "spoken from the text")}[lang]
    kind, name, number, menu, connect, prompts, upload, recorded, back, spoken = words
    expect_kind = kind  # the card says what it is
    greeting = tmp_path / "greeting.wav"
    subprocess.run(["espeak-ng", "-v", "ru", "-w", str(greeting), "Здравствуйте, магазин Ромашка."], check=True)
    page = new_page(lang)
    sign_in(page, live, "alpha-admin", lang)
    page.goto(f"{live.url}/settings/channels?project=alpha")
    line = page.locator("details.channel-new[data-kind='phone']")
    line.locator("summary").click()
    line.get_by_label(name, exact=True).fill("main-line")
    line.get_by_label(number).fill("+74950000000")
    line.get_by_label(menu).fill("1 sales Продажи\nдва support")
    line.get_by_role("button", name=connect).click()
    named = {"ru": "строка меню 2 ('два support')", "en": "menu line 2 ('два support')"}[lang]
    expect(line).to_contain_text(named)  # the bad menu line is named beside the field, nothing is connected
    line.get_by_label(menu).fill("1 sales Продажи")
    line.get_by_role("button", name=connect).click()
    card = page.get_by_role("region", name="main-line")
    expect(card).to_contain_text(expect_kind)
    box = card.get_by_role("region", name=prompts)
    expect(box).to_contain_text(spoken)
    box.get_by_label(upload).set_input_files(str(greeting))
    expect(box.locator("[data-prompt=greeting]")).to_contain_text(recorded)
    expect(box.locator("[data-prompt=greeting] audio")).to_be_visible()
    from tests.web.conftest import shot
    shot(page, f"channels-phone-line-{lang}")
    box.get_by_role("button", name=back).click()
    expect(box.locator("[data-prompt=greeting]")).to_contain_text(spoken)
