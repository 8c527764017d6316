"""Call scripts in a real browser: a supervisor writes one on /settings/scripts (the steps a
new script starts with, a bad variable refused beside its step, a step moved up, saved),
and the operator sees it beside the conversation — the customer's name filled in, today's
promotion in its step, steps ticked off one by one, another type of contact bringing
another script. Screenshots of both in both languages (docs/screens.md)."""

from __future__ import annotations

import datetime as dt
import re
from contextlib import closing
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.server.conftest import Live
from tests.web.conftest import shot
from tests.web.test_admin import error_beside, sign_in
from tests.web.test_desktop import EN, RU, go_available, log_in
from tests.web.test_policies_admin import whole

PROMOTION = {"ru": ("Скидка 15% на шерстяные ковры", "На все шерстяные ковры из каталога, кроме уценённых."),
             "en": ("15% off wool carpets", "On every wool carpet in the catalogue, except reduced ones.")}
ENDED = {"ru": "Зимняя распродажа", "en": "Winter sale"}


def _promotions(live: Live, lang: str) -> None:
    today = dt.datetime.now(ZoneInfo("Europe/Moscow")).date()
    title, body = PROMOTION[lang]
    with closing(live.client("alpha-sup")) as sup:
        for article in ({"title": title, "body": body, "promotion": True,
                         "valid_from": (today - dt.timedelta(days=2)).isoformat(),
                         "valid_until": (today + dt.timedelta(days=12)).isoformat()},
                        {"title": ENDED[lang], "promotion": True, "valid_from": "2020-01-01",
                         "valid_until": "2020-02-01"}):
            assert sup.post("/api/v1/projects/alpha/kb/articles", json=article).status_code == 201


def _customer_chat(live: Live, text: str, external_id: str = "sc-1", name: str = "Ольга Смирнова") -> str:
    with closing(live.token_client("alpha")) as adapter:
        answer = adapter.post("/api/v1/projects/alpha/ingest/messages", json={
            "channel": "messenger", "external_id": external_id, "queue": "sales",
            "customer": {"id": "+7 999 555-44-33", "name": name}, "text": text})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["conversation_id"])


def test_a_supervisor_writes_a_script_and_the_operator_follows_it(
        live: Live, new_page: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOZVON_KB_INDEX_DIR", str(tmp_path / "kb-index"))
    _promotions(live, "ru")
    with closing(live.client("alpha-admin")) as admin:
        assert admin.put("/api/v1/projects/alpha/operators/op1", json={
            "name": "Анна Белова", "queues": ["sales"], "capacity": {"voice": 1, "chat": 3}}).status_code == 200
    with closing(live.client("alpha-sup")) as sup:
        assert sup.post("/api/v1/projects/alpha/scripts", json={
            "title": "Жалоба: выслушать и помочь", "contact_type": "complaint",
            "steps": [{"title": "Выслушайте до конца", "text": "Не перебивайте. Извинитесь за неудобство."}]}
        ).status_code == 201
    page = new_page("ru")
    sign_in(page, live, "alpha-sup")
    page.goto(f"{live.url}/settings/scripts?project=alpha")
    expect(page.get_by_role("heading", name="Скрипты разговора", exact=True)).to_be_visible()
    page.get_by_role("link", name="Новый скрипт").click()
    form = page.get_by_role("form", name="Новый скрипт")
    steps = form.locator(".step")
    expect(steps).to_have_count(4)  # a new script starts with greeting, need, promotions, close
    expect(steps.nth(2)).to_contain_text(PROMOTION["ru"][0])  # the promotion valid today…
    expect(steps.nth(2)).not_to_contain_text(ENDED["ru"])  # …not the ended one
    form.get_by_label("Название").fill("Продажи: новый клиент")
    form.get_by_label("Очередь").select_option("sales")
    need = steps.nth(1).get_by_label("Что оператор говорит или делает")
    need.fill("{customer.middle_name}, что вы ищете?")
    form.get_by_role("button", name="Сохранить").click()
    expect(need).to_have_attribute("aria-invalid", "true")  # when the server has answered
    expect(error_beside(page, need)).to_contain_text("Шаг 2: неизвестная переменная {customer.middle_name}")
    need.fill("Спросите, какой ковёр нужен: размер, материал, для какой комнаты.")
    steps.nth(2).get_by_role("button", name="Выше").click()  # promotions before the questions
    form.get_by_role("button", name="Сохранить").click()
    editing = page.get_by_role("form", name="Изменить «Продажи: новый клиент»")
    expect(editing).to_be_visible()
    expect(page.get_by_text("Сохранено").first).to_be_visible()
    expect(page.get_by_role("row", name="Продажи: новый клиент")).to_contain_text("sales")
    with closing(live.client("alpha-sup")) as sup:
        [script] = [s for s in sup.get("/api/v1/projects/alpha/scripts").json()["items"] if s["queue"] == "sales"]
    assert [s["kind"] for s in script["steps"]] == ["text", "promotions", "text", "text"]
    whole(page, "admin-scripts-ru")

    desk = new_page("ru")
    log_in(desk, live, "alpha-op1", RU)
    go_available(desk, RU)
    conversation = _customer_chat(live, "Здравствуйте! Хочу ковёр в детскую.")
    desk.locator("[data-offer]").get_by_role("button", name=RU["accept"]).click()
    expect(desk.locator(f"[data-conversation='{conversation}']").get_by_text("ковёр в детскую")).to_be_visible()
    tab = desk.get_by_role("tab", name="Скрипт")
    expect(tab).to_have_attribute("aria-selected", "true")  # a script applies: shown at once
    panel = desk.get_by_role("tabpanel", name="Скрипт")
    expect(panel.get_by_role("heading", name="Продажи: новый клиент")).to_be_visible()
    expect(panel).to_contain_text("Добрый день, Ольга! Меня зовут Анна, компания Alpha. Чем могу помочь?")
    expect(panel).to_contain_text(PROMOTION["ru"][0])
    expect(panel).not_to_contain_text(ENDED["ru"])
    expect(panel.get_by_label("Тип обращения")).to_have_value("new_inquiry")
    expect(panel).to_contain_text("Шаг 1 из 4")
    panel.get_by_label("Приветствие").check()
    expect(panel).to_contain_text("Шаг 2 из 4")
    expect(panel.locator(".script-step--current")).to_contain_text("Предложите действующую акцию")
    kb_tab = desk.get_by_role("tab", name="База знаний")
    expect(kb_tab.locator(".assist__count")).to_have_text(re.compile(r"^[1-9]\d*$"))  # suggestions wait there
    shot(desk, "desktop-script-ru")

    panel.get_by_label("Тип обращения").select_option("complaint")  # the customer turns out to complain
    expect(panel.get_by_role("heading", name="Жалоба: выслушать и помочь")).to_be_visible()
    expect(panel).to_contain_text("Шаг 1 из 1")
    kb_tab.click()
    expect(kb_tab.locator(".assist__count")).to_be_hidden()
    expect(desk.get_by_role("region", name="База знаний")).to_be_visible()
    expect(panel).to_be_hidden()
    pane = desk.locator(f"[data-conversation='{conversation}']")
    pane.get_by_role("button", name=RU["end"], exact=True).click()
    expect(pane.get_by_label("Жалоба")).to_be_checked()  # the type chosen in the panel, still the operator's to change


def test_screens_of_the_scripts_in_english(live: Live, new_page: Any, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOZVON_KB_INDEX_DIR", str(tmp_path / "kb-index"))
    _promotions(live, "en")
    with closing(live.client("alpha-admin")) as admin:
        assert admin.put("/api/v1/projects/alpha/operators/op1", json={
            "name": "Anna White", "queues": ["sales"], "capacity": {"voice": 1, "chat": 3}}).status_code == 200
    with closing(live.client("alpha-sup")) as sup:
        answer = sup.post("/api/v1/projects/alpha/scripts", json={
            "title": "Sales: a new customer", "queue": "sales", "steps": [
                {"title": "Greeting", "text": "Good afternoon, {customer.first_name}! My name is "
                                              "{operator.first_name}, {project.name}. How can I help you?"},
                {"kind": "promotions", "title": "Offer a current promotion"},
                {"title": "Find out what they need", "text": "Size, material, which room it is for."},
                {"title": "Close", "text": "Sum up and thank them for contacting {project.name}."}]})
        assert answer.status_code == 201, answer.text
        script_id = answer.json()["id"]
    page = new_page("en")
    sign_in(page, live, "alpha-sup", "en")
    page.goto(f"{live.url}/settings/scripts?project=alpha&script={script_id}")
    expect(page.get_by_role("form", name="Edit «Sales: a new customer»")).to_be_visible()
    whole(page, "admin-scripts-en")
    desk = new_page("en")
    log_in(desk, live, "alpha-op1", EN)
    go_available(desk, EN)
    conversation = _customer_chat(live, "Hello! I am looking for a carpet for the nursery.", name="Olivia Smith")
    desk.locator("[data-offer]").get_by_role("button", name=EN["accept"]).click()
    expect(desk.locator(f"[data-conversation='{conversation}']").get_by_text("for the nursery")).to_be_visible()
    panel = desk.get_by_role("tabpanel", name="Script")
    expect(panel).to_contain_text("Good afternoon, Olivia! My name is Anna, Alpha.")
    panel.get_by_label("Greeting").check()
    expect(panel).to_contain_text("Step 2 of 4")
    shot(desk, "desktop-script-en")
