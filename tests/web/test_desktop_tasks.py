"""Orders and tasks where people work, in a real browser: the card shows a returning
customer's order and lets the operator promise a callback with a due time; the promise
lands in "My tasks"; a task past due rings on the owner's desktop and turns red, and on
the supervisor's wallboard by name; done, it leaves both."""

from __future__ import annotations

import re
from contextlib import closing
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from playwright.sync_api import expect

from dozvon.accounts import actions as accounts
from tests.server.conftest import Live
from tests.web.conftest import shot
from tests.web.test_desktop import EN, RU, go_available, log_in
from tests.web.test_wallboard import open_board


def _push_order(live: Live, customer_id: str) -> None:
    with live.hub.sessions.begin() as session:
        secret, _ = accounts.create_token(session, "test", "alpha", "shop", ["orders:write"])
    with httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {secret}"}) as shop:
        answer = shop.post("/api/v1/projects/alpha/orders", json={
            "number": "A-1001", "status": "delivered", "amount": "12990.00", "currency": "RUB",
            "placed_at": "2026-11-20T12:00",
            "items": [{"name": "Ковёр «Персия» 2×3", "price": "12490"}, {"name": "Доставка", "price": "500"}],
            "customer_id": customer_id})
        assert answer.status_code == 201, answer.text


def _chat(live: Live, external_id: str, text: str) -> str:
    """A messenger chat from Alexander, whose order the shop pushed before he wrote."""
    with closing(live.token_client("alpha")) as adapter:
        answer = adapter.post("/api/v1/projects/alpha/ingest/messages", json={
            "channel": "messenger", "external_id": external_id, "queue": "sales",
            "customer": {"id": "wa-79161234567", "name": "Александр Петров"}, "text": text})
    assert answer.status_code == 201, answer.text
    conv = str(answer.json()["conversation_id"])
    with closing(live.client("alpha-sup")) as sup:
        customer = sup.get(f"/api/v1/projects/alpha/conversations/{conv}").json()["customer_id"]
    _push_order(live, customer)
    return conv


def test_the_operator_sees_the_order_promises_a_callback_and_the_overdue_task_rings(live: Live,
                                                                                     new_page: Any) -> None:
    page = new_page("ru")
    log_in(page, live, "alpha-op1", RU)
    go_available(page, RU)
    mine = page.get_by_role("region", name="Мои задачи")
    expect(mine).to_contain_text("Открытых задач нет")
    conv = _chat(live, "task-chat", "Когда привезут второй ковёр?")
    page.locator("[data-offer]").get_by_role("button", name=RU["accept"]).click()
    card = page.get_by_role("complementary", name="Клиент")
    expect(card.get_by_role("heading", name="Александр Петров")).to_be_visible()
    order = card.locator(".card__orders .order")
    expect(order).to_contain_text("Заказ A-1001")
    expect(order).to_contain_text(re.compile(r"12\s990,00\s₽"))
    expect(order).to_contain_text("Ковёр «Персия» 2×3, Доставка")

    card.get_by_text("Создать задачу…").click()
    card.get_by_label("Что сделать").select_option(label="Перезвонить")
    card.get_by_label("Задача").fill("Перезвонить о сроке доставки второго ковра")
    card.get_by_role("button", name="завтра в 10:00").click()
    card.get_by_label("Подробности").fill("после 10, на мобильный")
    card.get_by_role("button", name="Создать задачу").click()
    expect(page.locator(".banner")).to_contain_text("Задача создана")
    expect(mine.locator(".task")).to_have_count(1)
    expect(mine.locator(".task")).to_contain_text("Перезвонить о сроке доставки второго ковра")
    expect(mine.locator(".task")).to_contain_text("срок")
    expect(card.locator(".card__tasks .task")).to_contain_text("op1")
    history = card.locator(".card__history > li")
    expect(history.nth(0)).to_contain_text("Перезвонить о сроке доставки")  # the newest first
    shot(page, "desktop-tasks-ru")

    # A promise already late (due a minute ago): the alarm rings on this desktop within seconds.
    with closing(live.client("alpha-op1")) as op1:
        late = op1.post("/api/v1/projects/alpha/tasks", json={
            "title": "Отправить счёт на оплату", "kind": "offer", "conversation_id": conv,
            "due_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat()})
        assert late.status_code == 201, late.text
    expect(page.locator(".banner")).to_contain_text("Просрочена задача: Отправить счёт на оплату", timeout=20000)
    red = mine.locator(".task--overdue")
    expect(red).to_have_count(1)
    expect(red).to_contain_text("просрочена с")
    expect(mine.locator(".my-tasks__count")).to_have_attribute("data-late", "yes")

    board = new_page("ru")
    open_board(board, live)
    expect(board.locator("[data-target='wallboard.tasksOverdue']")).to_have_text("1")
    panel = board.get_by_role("region", name="Просроченные задачи")
    expect(panel).to_contain_text("Отправить счёт на оплату")
    expect(panel).to_contain_text("Исполнитель: op1")
    shot(board, "wallboard-tasks-ru")
    # The supervisor gives it to op2, who is free now; and takes it back to op1 for the rest of the story.
    panel.get_by_label("Передать задачу «Отправить счёт на оплату» другому оператору").select_option("op2")
    expect(panel).to_contain_text("Исполнитель: op2")
    expect(mine.locator(".task--overdue")).to_have_count(0)
    with closing(live.client("alpha-sup")) as sup:
        back = sup.patch(f"/api/v1/projects/alpha/tasks/{late.json()['id']}", json={"owner": "op1"})
        assert back.status_code == 200, back.text
    expect(red).to_have_count(1)

    red.get_by_role("button", name="Выполнено").click()
    red.get_by_label("Результат (необязательно)").fill("счёт отправлен на почту")
    red.get_by_role("button", name="Выполнено").click()
    expect(mine.locator(".task--overdue")).to_have_count(0)
    expect(mine.locator(".task")).to_have_count(1)
    expect(board.locator("[data-target='wallboard.tasksOverdue']")).to_have_text("0")
    expect(panel).to_be_hidden()
    with closing(live.client("alpha-sup")) as sup:
        done = sup.get("/api/v1/projects/alpha/tasks", params={"status": "done"}).json()["items"]
    assert [(t["title"], t["outcome"]) for t in done] == [("Отправить счёт на оплату", "счёт отправлен на почту")]


def test_the_card_and_the_tasks_speak_english(live: Live, new_page: Any) -> None:
    page = new_page("en")
    log_in(page, live, "alpha-op1", EN)
    go_available(page, EN)
    _chat(live, "task-chat-en", "Where is my second rug?")
    page.locator("[data-offer]").get_by_role("button", name=EN["accept"]).click()
    card = page.get_by_role("complementary", name="Customer")
    expect(card.locator(".card__orders .order")).to_contain_text("Order A-1001")
    expect(card.locator(".card__orders .order")).to_contain_text("RUB")
    card.get_by_text("New task…").click()
    card.get_by_label("What").select_option(label="Send an offer")
    card.get_by_label("Task", exact=True).fill("Send the price list for rugs")
    card.get_by_role("button", name="in an hour").click()
    card.get_by_role("button", name="Create task").click()
    mine = page.get_by_role("region", name="My tasks")
    expect(mine.locator(".task")).to_contain_text("Send an offer")
    expect(mine.locator(".task")).to_contain_text("due")
    shot(page, "desktop-tasks-en")
