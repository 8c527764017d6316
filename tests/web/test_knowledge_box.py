"""The knowledge box on the operator's desktop, in a real browser: for the customer's last
message it suggests the article and the quick reply that answer it (and suggests again when
the customer writes again), a quick reply goes into the composer, a search finds an article
by other word forms and opens it inline — an article's text shown as text, never as HTML."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.knowledge.articles import ARTICLES
from tests.server.conftest import Live
from tests.web.conftest import shot
from tests.web.test_desktop import RU, go_available, log_in

HOSTILE = "<img src=x onerror=alert(1)>"


def _seed(live: Live) -> None:
    with closing(live.client("alpha-sup")) as sup:
        for article in [*ARTICLES, {"title": f"Подарочные сертификаты {HOSTILE}",
                                    "body": f"Сертификат действует год. {HOSTILE}"}]:
            assert sup.post("/api/v1/projects/alpha/kb/articles", json=article).status_code == 201
        assert sup.post("/api/v1/projects/alpha/quick-replies", json={
            "shortcut": "возврат", "title": "Как вернуть товар",
            "text": "Вернуть товар можно в течение 14 дней, сохраните чек и упаковку."}).status_code == 201


def _say(live: Live, external_id: str, text: str) -> str:
    with closing(live.token_client("alpha")) as adapter:
        answer = adapter.post("/api/v1/projects/alpha/ingest/messages", json={
            "channel": "messenger", "external_id": external_id, "queue": "sales",
            "customer": {"id": "+7 999 555-44-33", "name": "Ольга Смирнова"}, "text": text})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["conversation_id"])


def test_the_box_suggests_for_the_customer_s_words_and_searches_by_word_forms(
        live: Live, new_page: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOZVON_KB_INDEX_DIR", str(tmp_path / "kb-index"))
    _seed(live)
    page = new_page("ru")
    log_in(page, live, "alpha-op1", RU)
    go_available(page, RU)
    box = page.get_by_role("region", name="База знаний")
    expect(box).to_contain_text("Здесь появятся подсказки")
    conversation = _say(live, "kb-1", "Здравствуйте! Ковёр не подошёл по размеру, как его вернуть?")
    page.locator("[data-offer]").get_by_role("button", name=RU["accept"]).click()
    pane = page.locator(f"[data-conversation='{conversation}']")
    expect(pane.get_by_text("как его вернуть?")).to_be_visible()

    expect(box.get_by_text("К последнему сообщению клиента")).to_be_visible()
    first = box.locator(".kb-hit").first
    expect(first.get_by_role("button")).to_have_text("Возврат и обмен товара")
    expect(first.locator("mark").filter(has_text="вернуть")).to_have_count(1)
    expect(first.locator("mark").filter(has_text="Ковёр")).to_have_count(1)
    shot(page, "desktop-knowledge-ru")
    box.get_by_role("button", name="Вставить «Как вернуть товар»").click()
    expect(pane.get_by_label(RU["message"])).to_have_value(
        "Вернуть товар можно в течение 14 дней, сохраните чек и упаковку.")

    _say(live, "kb-2", "А в другой город отправляете? Почтой можно?")
    expect(box.locator(".kb-hit").first.get_by_role("button")).to_have_text("Доставка в регионы")

    search = box.get_by_role("searchbox", name="Поиск по базе знаний")
    search.fill("оплатить картой")
    search.press("Enter")
    expect(box.get_by_text("Найдено:")).to_be_visible()
    box.get_by_role("button", name="Способы оплаты").click()
    expect(box.get_by_role("heading", name="Способы оплаты")).to_be_visible()
    expect(box).to_contain_text("Рассрочку на 6 месяцев без переплаты")
    box.get_by_role("button", name="Назад к списку").click()
    expect(box.get_by_role("button", name="Способы оплаты")).to_be_visible()

    search.fill("сертификата")
    search.press("Enter")
    hostile = box.get_by_role("button", name=f"Подарочные сертификаты {HOSTILE}")
    expect(hostile).to_be_visible()
    expect(box.locator("img")).to_have_count(0)
    hostile.click()
    expect(box.get_by_role("heading", name=f"Подарочные сертификаты {HOSTILE}")).to_be_visible()
    expect(box.get_by_role("article")).to_contain_text(f"Сертификат действует год. {HOSTILE}")
    expect(box.locator("img")).to_have_count(0)

    search.fill("абракадабра")
    search.press("Enter")
    expect(box).to_contain_text("По запросу «абракадабра» ничего не найдено.")
    search.fill("")
    expect(box.locator(".kb-hit").first.get_by_role("button")).to_have_text("Доставка в регионы")
