"""The supervisor's wallboard and conversations pages in a real browser against the real
server (SQLite and PostgreSQL): a waiting contact shows and the board follows the
operator's answer live; a queue below its goal is marked in colour and in words; TV mode;
the supervisor sets an operator's state and reads a conversation; people without the
permission are refused politely; both languages."""

from __future__ import annotations

import re
import time
from contextlib import closing
from typing import Any

from playwright.sync_api import expect

from tests.server.conftest import PASSWORD, Live
from tests.web.test_desktop import EN, RU, chat

BOARD_RU = {"title": "Табло", "tv": "Режим ТВ", "tv_exit": "Выйти из режима ТВ", "below": "Ниже цели",
            "refused": "Раздел вам недоступен", "queues": "Очереди", "operators": "Операторы"}
BOARD_EN = {"title": "Wallboard", "tv": "TV mode", "tv_exit": "Exit TV mode", "below": "Below goal",
            "refused": "Not available to you", "queues": "Queues", "operators": "Operators"}


def sign_in(page: Any, live: Live, username: str, names: dict[str, str]) -> None:
    page.goto(live.url + "/")
    page.get_by_label(names["user"]).fill(username)
    page.get_by_label(names["password"]).fill(PASSWORD)
    page.get_by_role("button", name=names["login"]).click()
    expect(page).to_have_url(re.compile(r"/(desktop|wallboard)$"))  # each person's first page


def open_board(page: Any, live: Live, username: str = "alpha-sup", lang: str = "ru") -> None:
    sign_in(page, live, username, RU if lang == "ru" else EN)
    page.goto(live.url + "/wallboard")
    expect(page.locator("[data-target='wallboard.connection']")).to_have_attribute("data-connection", "up")


def queue_row(page: Any, name: str) -> Any:
    return page.locator(f"tr[data-queue='{name}']")


def cell(row: Any, slot: str) -> Any:
    return row.locator(f"[data-slot='{slot}']")


def offer_of(live: Live, operator: str) -> str:
    with closing(live.client(f"alpha-{operator}")) as api:
        deadline = time.monotonic() + 10
        while not (offers := api.get(f"/api/v1/projects/alpha/operators/{operator}").json()["offers"]):
            assert time.monotonic() < deadline, "no offer reached the operator"
            time.sleep(0.05)
    return str(offers[0])


def test_a_waiting_contact_shows_and_the_board_follows_the_answer_live(live: Live, new_page: Any) -> None:
    page = new_page("ru")
    open_board(page, live)
    row = queue_row(page, "sales")
    expect(cell(row, "waiting")).to_have_text("0")
    page.evaluate("window.dzNotReloaded = true")
    chat(live, "wb-1", "Алексей", "Здравствуйте")
    expect(cell(row, "waiting")).to_have_text("1")
    expect(cell(row, "offered")).to_have_text("1")
    expect(row).to_have_class(re.compile(r"has-waiting"))
    first = cell(row, "longest").inner_text()
    expect(cell(row, "longest")).not_to_have_text(first)  # the wait ticks between reads
    expect(page.locator("[data-target='wallboard.waiting']")).to_have_text("1")
    with closing(live.client("alpha-op1")) as op1:
        assert op1.post("/api/v1/projects/alpha/operators/op1/state", json={"state": "available"}).status_code == 200
        card = page.locator("[data-operator='op1']")
        expect(card).to_have_attribute("data-presence", "ringing")
        assert op1.post(f"/api/v1/projects/alpha/offers/{offer_of(live, 'op1')}/accept").status_code == 200
    expect(cell(row, "waiting")).to_have_text("0")
    expect(cell(row, "answered")).to_have_text("1")
    expect(card).to_have_attribute("data-presence", "busy")
    expect(card.locator("[data-slot='stateLabel']")).to_have_text("Занят")
    expect(card.locator("[data-slot='load']")).to_have_text("1 из 3")  # chat capacity 3
    expect(cell(row, "sl")).to_have_text(re.compile(r"^100\s?%$"))
    expect(cell(row, "flag")).to_be_hidden()
    assert page.evaluate("window.dzNotReloaded") is True  # all of it without a reload


def test_a_queue_below_its_goal_is_marked_in_colour_and_in_words(live: Live, new_page: Any) -> None:
    with closing(live.client("alpha-sup")) as sup:
        answer = sup.put("/api/v1/projects/alpha/queues/sales",
                         json={"strategy": "round_robin", "target_answer_s": 1, "offer_timeout_s": 30})
        assert answer.status_code == 200, answer.text
    page = new_page("ru")
    open_board(page, live)
    row = queue_row(page, "sales")
    expect(cell(row, "goal")).to_have_text(re.compile(r"цель 80\s?% за 0:01"))
    chat(live, "wb-late", "Мария", "Алло?")
    expect(cell(row, "waiting")).to_have_text("1")
    expect(row).not_to_have_class(re.compile(r"is-below"))  # still inside its target: not a failure yet
    time.sleep(1.5)
    chat(live, "wb-next", "Пётр", "Есть кто?")  # any event re-reads the board
    expect(row).to_have_class(re.compile(r"is-below"))
    expect(cell(row, "flag")).to_be_visible()
    expect(cell(row, "flag")).to_have_text(BOARD_RU["below"])
    expect(cell(row, "sl")).to_have_text(re.compile(r"^0\s?%$"))
    assert "rgb(201, 54, 43)" in cell(row, "sl").evaluate("e => getComputedStyle(e).color")  # --danger


def test_tv_mode_fills_the_screen_with_large_type_and_comes_back(live: Live, new_page: Any) -> None:
    page = new_page("ru")
    open_board(page, live)
    value = page.locator("[data-target='wallboard.offered']")
    normal = float(value.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    page.get_by_role("button", name=BOARD_RU["tv"]).click()
    expect(page.locator("body")).to_have_class(re.compile(r"\btv\b"))
    expect(page).to_have_url(re.compile(r"tv=1"))
    expect(page.locator(".topbar")).to_be_hidden()
    assert float(value.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= normal * 1.6
    page.get_by_role("button", name=BOARD_RU["tv_exit"]).click()
    expect(page.locator("body")).not_to_have_class(re.compile(r"\btv\b"))
    expect(page.locator(".topbar")).to_be_visible()
    page.goto(live.url + "/wallboard?tv=1")  # a wall screen opens it directly
    expect(page.locator("body")).to_have_class(re.compile(r"\btv\b"))
    expect(page.get_by_role("button", name=BOARD_RU["tv_exit"])).to_be_visible()


def test_the_supervisor_sets_an_operators_state_from_the_board(live: Live, new_page: Any) -> None:
    page = new_page("ru")
    open_board(page, live)
    card = page.locator("[data-operator='op2']")
    expect(card).to_have_attribute("data-presence", "offline")
    card.get_by_label("Изменить состояние: op2").select_option(label="Перерыв · Обед")
    expect(card).to_have_attribute("data-presence", "break")
    expect(card.locator("[data-slot='stateLabel']")).to_have_text("Перерыв · Обед")
    expect(card.locator("[data-slot='time']")).to_have_text(re.compile(r"^0:0\d$"))
    with closing(live.client("alpha-sup")) as sup:
        op2 = sup.get("/api/v1/projects/alpha/operators/op2").json()
    assert (op2["state"], op2["reason"]) == ("break", "lunch")


def test_the_supervisor_reads_a_conversation_live(live: Live, new_page: Any) -> None:
    conv_id = chat(live, "wb-read", "Ольга Петрова", "Где мой заказ?")
    page = new_page("ru")
    open_board(page, live)
    page.get_by_role("link", name="Разговоры").click()
    expect(page).to_have_url(re.compile(r"/supervise"))
    item = page.get_by_role("link", name=re.compile("Ольга Петрова"))
    expect(item).to_contain_text("Ждёт")
    item.click()
    reader = page.locator("[data-target='supervise.conversation']")
    expect(reader.get_by_text("Где мой заказ?")).to_be_visible()
    with closing(live.token_client("alpha")) as adapter:
        assert adapter.post("/api/v1/projects/alpha/ingest/messages", json={
            "channel": "chat", "external_id": "wb-read-2", "queue": "sales",
            "customer": {"id": "cust-wb-read", "name": "Ольга Петрова"}, "text": "Уже неделю жду"}).status_code == 201
    expect(reader.get_by_text("Уже неделю жду")).to_be_visible()
    assert conv_id in page.url
    expect(page.get_by_label("Сообщение")).to_have_count(0)  # the customer is answered by the operator only


def test_people_without_the_permission_are_refused_politely(live: Live, new_page: Any) -> None:
    page = new_page("ru")
    sign_in(page, live, "alpha-op1", RU)
    expect(page.get_by_role("navigation", name="Разделы")).to_have_count(0)  # an operator: nothing else to open
    for path in ("/wallboard", "/reports", "/supervise"):
        answer = page.goto(live.url + path)
        assert answer is not None and answer.status == 403
        expect(page.get_by_role("heading", name=BOARD_RU["refused"])).to_be_visible()
        expect(page.get_by_role("link", name="Вернуться на рабочий стол")).to_be_visible()
    with closing(live.client()) as anonymous:
        assert anonymous.get("/wallboard").headers["location"] == "/"
    with closing(live.client("alpha-viewer")) as viewer:  # reports, no conversations
        assert viewer.get("/wallboard").status_code == 200
        assert viewer.get("/supervise").status_code == 403


def test_a_supervisor_who_is_no_operator_lands_on_the_wallboard(live: Live, new_page: Any) -> None:
    page = new_page("ru")
    sign_in(page, live, "alpha-viewer", RU)
    expect(page).to_have_url(re.compile(r"/wallboard$"))
    expect(page.get_by_role("heading", name=BOARD_RU["title"])).to_be_visible()
    page.goto(live.url + "/desktop")  # no "you are not an operator" notice: their own first page
    expect(page).to_have_url(re.compile(r"/wallboard$"))
    page.goto(live.url + "/")
    expect(page).to_have_url(re.compile(r"/wallboard$"))


def test_a_viewer_without_the_stream_sees_the_board_refreshed(live: Live, new_page: Any) -> None:
    page = new_page("en")
    sign_in(page, live, "alpha-viewer", EN)
    page.goto(live.url + "/wallboard")
    status = page.locator("[data-target='wallboard.connection']")
    expect(status).to_have_attribute("data-connection", "poll")
    expect(status).to_have_text("Refreshed every few seconds")
    expect(page.locator("[data-operator='op1'] select")).to_have_count(0)  # no operators:manage
    chat(live, "wb-view", "John", "Hi")
    expect(cell(queue_row(page, "sales"), "waiting")).to_have_text("1")


def test_the_board_speaks_english_and_the_nav_shows_the_supervisors_pages(live: Live, new_page: Any) -> None:
    page = new_page("en")
    open_board(page, live, lang="en")
    expect(page.get_by_role("heading", name=re.compile(BOARD_EN["title"]))).to_be_visible()
    expect(page.get_by_role("heading", name=BOARD_EN["queues"])).to_be_visible()
    expect(page.get_by_role("heading", name=BOARD_EN["operators"])).to_be_visible()
    nav = page.get_by_role("navigation", name="Pages")
    expect(nav.get_by_role("link")).to_have_text(["Wallboard", "Reports", "Conversations", "Quality", "Settings"])
    expect(nav.get_by_role("link", name="Wallboard")).to_have_attribute("aria-current", "page")
    card = page.locator("[data-operator='op1']")
    expect(card.locator("[data-slot='stateLabel']")).to_have_text("Offline")
    expect(card.get_by_label("Change the state of op1")).to_be_visible()
    expect(page.get_by_role("button", name=BOARD_EN["tv"])).to_be_visible()
    page.get_by_role("link", name="RU").click()
    expect(page.get_by_role("heading", name=re.compile(BOARD_RU["title"]))).to_be_visible()


def test_the_channels_health_shows_working_failing_and_switched_off(live: Live, new_page: Any) -> None:
    from dozvon.channels import connections
    from dozvon.channels.models import ChannelConnection
    from tests.web.conftest import shot

    now = int(time.time() * 1e6)
    with live.hub.sessions.begin() as session:
        rows = [ChannelConnection(project="alpha", kind=kind, name=name, queue="sales", settings={}, secret="",
                                  enabled=True, created_by="test", created_at_us=now, updated_at_us=now, last_error="")
                for kind, name in (("form", "site-form"), ("telegram", "shop-bot"), ("email", "old-box"))]
        session.add_all(rows)
        session.flush()
        connections.mark_in(session, rows[0].id)
        connections.mark_in(session, rows[1].id, at_us=now - 7200 * 10**6)
        connections.mark_error(session, rows[1].id, "Bot API: 401 Unauthorized (the token was revoked)")
        rows[2].enabled = False
    page = new_page("ru")
    open_board(page, live)
    panel = page.get_by_role("region", name="Каналы")
    expect(panel.locator(".channel-health__item")).to_have_count(3)
    failing = panel.locator("[data-state='failing']")
    expect(failing).to_contain_text("shop-bot")
    expect(failing).to_contain_text("Бот Telegram")
    expect(failing).to_contain_text("2 часа назад")
    expect(panel.locator("[data-state='ok']")).to_contain_text("site-form")
    expect(panel.locator("[data-state='ok']")).to_contain_text("последнее входящее")
    expect(panel.locator("[data-state='off']")).to_contain_text("old-box")
    expect(panel.locator("[data-state='off']")).to_contain_text("выключен")
    panel.scroll_into_view_if_needed()
    shot(page, "wallboard-channels-ru")
