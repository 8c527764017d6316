"""The web-chat widget in a real browser, on a shop's page, against an operator's desktop in
another: the first channel end to end — and a dropped network, a reload, a visitor's markup."""

from __future__ import annotations

import os
import re
import threading
import time
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from dozvon.demo.shop import mount_shop
from tests.server.conftest import Live
from tests.web.conftest import SCREENS
from tests.web.test_desktop import RU, go_available, log_in
from tests.web.test_wallboard import open_board

XSS = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


@pytest.fixture
def shop(live: Live) -> Live:
    """``live`` with alpha's widget on /demo/shop, its automatic messages and a quick reply."""
    mount_shop(live.app, "alpha")
    with closing(live.client("alpha-admin")) as admin:
        assert admin.put("/api/v1/projects/alpha/widget", json={
            "queue": "sales", "title": "Магазин «Альфа»", "color": "#0f766e"}).status_code == 200
        for kind, text in (("welcome", "Здравствуйте! Оператор ответит в течение пары минут."),
                           ("greeting", "Здравствуйте, {customer.first_name}! Чем могу помочь?"),
                           ("farewell", "Спасибо, что написали нам!")):
            assert admin.put(f"/api/v1/projects/alpha/auto-texts/{kind}", json={"text": text}).status_code == 200
        assert admin.post("/api/v1/projects/alpha/quick-replies", json={
            "shortcut": "доставка", "title": "Сроки доставки",
            "text": "{customer.first_name}, доставим завтра с 10 до 18."}).status_code == 201
    return live


def _screens() -> Path:
    folder = SCREENS if os.environ.get("DOZVON_SAVE_SCREENS") else Path(os.environ.get("TMPDIR", "/tmp")) / "screens"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_widget(page: Any, live: Live, lang: str = "ru") -> Any:
    page.goto(f"{live.url}/demo/shop?lang={lang}")
    page.get_by_role("button", name="Чат" if lang == "ru" else "Chat").click()
    return page.get_by_role("dialog")


def test_a_visitor_chats_with_an_operator_who_answers_with_a_quick_reply_and_gets_rated(
        shop: Live, new_page: Any) -> None:
    operator = new_page("ru")
    log_in(operator, shop, "alpha-op1", RU)
    go_available(operator, RU)

    visitor = new_page("ru")
    chat = open_widget(visitor, shop)
    chat.get_by_label("Имя").fill("Александр Иванов")
    chat.get_by_role("button", name="Начать чат").click()
    box = chat.get_by_label("Сообщение")
    box.fill(XSS + " Где мой заказ?")
    chat.get_by_role("button", name="Отправить").click()
    expect(chat.get_by_text("Здравствуйте! Оператор ответит в течение пары минут.")).to_be_visible()
    expect(chat.locator(".msg--in").filter(has_text="Где мой заказ?")).to_contain_text("<img src=x")

    card = operator.locator("[data-offer]").filter(has_text="Александр Иванов")
    card.get_by_role("button", name=RU["accept"]).click()
    pane = operator.locator("[data-conversation]")
    expect(pane.locator(".msg--in")).to_contain_text(XSS)  # as text, on the operator's side too
    expect(chat.get_by_text("Здравствуйте, Александр! Чем могу помочь?")).to_be_visible()
    expect(chat.get_by_role("status")).to_contain_text("Вам отвечает")

    # Typing, both ways.
    box.press_sequentially("Ау")
    expect(pane.get_by_text("Клиент печатает…")).to_be_visible()
    reply_box = pane.get_by_label(RU["message"])
    reply_box.press_sequentially("/дост")
    suggestion = pane.get_by_role("option").filter(has_text="/доставка")
    expect(suggestion).to_be_visible()
    expect(chat.get_by_text("op1 печатает…")).to_be_visible()
    reply_box.press("Enter")
    expect(reply_box).to_have_value("Александр, доставим завтра с 10 до 18.")
    operator.screenshot(path=str(_screens() / "desktop-quick-reply-ru.png"))
    reply_box.press("Enter")
    expect(chat.get_by_text("Александр, доставим завтра с 10 до 18.")).to_be_visible()
    expect(pane.locator(".msg--out").filter(has_text="доставим завтра")
           .locator(".msg__delivery")).to_have_text("Доставлено")
    visitor.screenshot(path=str(_screens() / "widget-ru.png"))

    pane.get_by_role("button", name=RU["end"], exact=True).click()
    expect(chat.get_by_text("Спасибо, что написали нам!")).to_be_visible()
    pane.get_by_label("Уточнение").check()
    pane.get_by_role("button", name="Сохранить и закрыть").click()
    chat.get_by_role("button", name="5 из 5").click()
    chat.get_by_role("button", name="Оценить").click()
    expect(chat.get_by_text("Спасибо за оценку!")).to_be_visible()

    with closing(shop.client("alpha-sup")) as api:
        deadline = time.monotonic() + 10
        while True:
            board = api.get("/api/v1/projects/alpha/wallboard").json()
            report = api.get("/api/v1/projects/alpha/reports/kpi", params={"period": "all"}).json()
            if board["today"]["answered"] == 1 and report["rows"] and report["rows"][0]["csat"] == 1.0:
                break
            assert time.monotonic() < deadline, (board["today"], report["rows"])
            time.sleep(0.2)

    # And on the supervisor's pages: the wallboard counts the chat, the report shows the rating.
    supervisor = new_page("ru")
    open_board(supervisor, shop)
    expect(supervisor.locator("[data-target='wallboard.answered']")).to_have_text("1")
    supervisor.goto(f"{shop.url}/reports")
    table = supervisor.locator("[data-target='reports.table']")
    expect(table.locator("thead th").filter(has_text="CSAT")).to_have_count(1, timeout=20_000)
    column = table.locator("thead th").all_text_contents().index("CSAT")
    expect(table.locator("tfoot tr > *").nth(column)).to_have_text(re.compile(r"^100\s?%$"))


def test_a_dropped_network_a_second_tab_and_a_reload_lose_nothing_and_show_nothing_twice(
        shop: Live, new_page: Any) -> None:
    visitor = new_page("en")
    chat = open_widget(visitor, shop, "en")
    chat.get_by_label("Name").fill("Laura Green")
    chat.get_by_role("button", name="Start the chat").click()
    box = chat.get_by_label("Message")
    box.fill("First")
    box.press("Enter")
    expect(chat.locator(".msg--in").filter(has_text="First")).to_contain_text("Sent")

    visitor.context.set_offline(True)
    box.fill("Typed while offline")
    box.press("Enter")
    expect(chat.locator(".msg--in").filter(has_text="Typed while offline")).to_be_visible()
    time.sleep(1.5)
    visitor.context.set_offline(False)
    expect(chat.locator(".msg--in").filter(has_text="Typed while offline")).to_contain_text("Sent", timeout=20_000)

    second = visitor.context.new_page()  # the same browser: the same visitor, the same conversation
    second.goto(f"{shop.url}/demo/shop?lang=en")
    second.get_by_role("button", name="Chat").click()
    other = second.get_by_role("dialog")
    expect(other.locator(".msg--in")).to_have_count(2)
    other.get_by_label("Message").fill("From the second tab")
    other.get_by_role("button", name="Send").click()
    expect(chat.locator(".msg--in").filter(has_text="From the second tab")).to_have_count(1)

    visitor.reload()
    chat = open_widget(visitor, shop, "en")
    expect(chat.locator(".msg--in")).to_have_count(3)
    expect(chat.locator(".msg--out .msg__state")).to_have_count(0)  # "sent" marks the visitor's own only
    for text in ("First", "Typed while offline", "From the second tab"):
        expect(chat.locator(".msg--in").filter(has_text=text)).to_have_count(1)
    visitor.screenshot(path=str(_screens() / "widget-en.png"))
    with closing(shop.client("alpha-sup")) as api:
        conversations = api.get("/api/v1/projects/alpha/conversations").json()["items"]
        assert len(conversations) == 1
        stored = api.get(f"/api/v1/projects/alpha/conversations/{conversations[0]['id']}").json()
        assert [m["text"] for m in stored["messages"] if m["direction"] == "in"] == \
            ["First", "Typed while offline", "From the second tab"]


def test_the_widget_keeps_its_look_on_a_loud_page_and_fits_a_phone(shop: Live, new_page: Any) -> None:
    visitor = new_page("ru")
    visitor.set_viewport_size({"width": 390, "height": 740})
    chat = open_widget(visitor, shop)
    launcher_font = visitor.evaluate(
        "() => getComputedStyle(document.querySelector('#dozvon-widget').shadowRoot.querySelector('.panel'))"
        ".fontFamily")
    assert "Comic Sans" not in launcher_font and "Georgia" not in launcher_font
    for field in (chat.get_by_label("Имя"), chat.get_by_role("button", name="Начать чат")):
        box = field.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    page_font = visitor.evaluate("() => getComputedStyle(document.querySelector('button')).fontFamily")
    assert "Comic Sans" in page_font, "the page's own styles are untouched"
    visitor.screenshot(path=str(_screens() / "widget-phone-ru.png"))


def test_the_widget_works_on_another_sites_page_with_a_strict_content_security_policy(
        shop: Live, new_page: Any) -> None:
    """A shop elsewhere (its own server and origin) that allows scripts, connections and
    styles only from itself and from Dozvon — no inline styles: the widget still looks
    right and chats."""
    ws = shop.url.replace("http://", "ws://")
    policy = (f"default-src 'self'; script-src 'self' {shop.url}; connect-src 'self' {shop.url} {ws}; "
              "style-src 'self'; img-src 'self' data:")
    html = (f'<!doctype html><html lang="ru"><head><title>Shop</title></head><body><h1>Shop</h1>'
            f'<script src="{shop.url}/widget.js" data-project="alpha" async></script></body></html>').encode()

    class Shop(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Security-Policy", policy)
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args: Any) -> None:
            pass

    site = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        visitor = new_page("ru")
        refused: list[str] = []
        visitor.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        visitor.goto(f"http://127.0.0.1:{site.server_port}/")
        visitor.get_by_role("button", name="Чат").click()
        chat = visitor.get_by_role("dialog")
        radius = visitor.evaluate(
            "() => getComputedStyle(document.querySelector('#dozvon-widget').shadowRoot.querySelector('.panel'))"
            ".borderTopLeftRadius")
        assert radius not in ("", "0px"), "the widget's own styles apply"
        chat.get_by_label("Имя").fill("Гость")
        chat.get_by_role("button", name="Начать чат").click()
        chat.get_by_label("Сообщение").fill("Здравствуйте с другого сайта")
        chat.get_by_role("button", name="Отправить").click()
        expect(chat.get_by_text("Здравствуйте! Оператор ответит в течение пары минут.")).to_be_visible()
        assert refused == [], refused
    finally:
        site.shutdown()
