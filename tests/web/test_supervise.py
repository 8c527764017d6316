"""The supervisor's conversations page in a real browser, beside an operator's desktop:
a contact nobody answers is moved to the operator (who gets the offer), and once they
talk, the supervisor joins with a private note the operator sees live and the customer
never receives."""

from __future__ import annotations

import re
from contextlib import closing
from typing import Any

from playwright.sync_api import expect

from tests.server.conftest import Live
from tests.web.conftest import shot
from tests.web.test_desktop import RU, chat, go_available, log_in
from tests.web.test_wallboard import open_board


def test_the_supervisor_moves_a_waiting_contact_to_an_operator_and_joins_with_a_note(live: Live,
                                                                                      new_page: Any) -> None:
    with closing(live.client("alpha-sup")) as sup:  # op1 serves another queue: sales waits for nobody
        assert sup.put("/api/v1/projects/alpha/queues/vip", json={"strategy": "round_robin"}).status_code == 200
        assert sup.put("/api/v1/projects/alpha/operators/op1",
                       json={"queues": ["vip"], "capacity": {"chat": 3}}).status_code == 200
    desk = new_page("ru")
    log_in(desk, live, "alpha-op1", RU)
    go_available(desk, RU)
    conv_id = chat(live, "sv-move", "Инна Смирнова", "Мне никто не отвечает", channel="messenger")

    page = new_page("ru")
    open_board(page, live)
    page.goto(f"{live.url}/supervise?conversation={conv_id}")
    reader = page.locator("[data-target='supervise.conversation']")
    expect(reader.get_by_text("Мне никто не отвечает")).to_be_visible()
    move = reader.get_by_label("Куда переназначить")
    expect(move).to_be_visible()
    expect(move.locator("option", has_text="Очередь «vip»")).to_have_count(1)
    expect(move.locator("option", has_text="Очередь «sales»")).to_have_count(0)  # where it is already
    move.select_option(label="op1 · На линии")
    reader.get_by_label("Заметка оператору (клиент её не видит)").fill("Клиентка ждёт давно, ответь первой")
    shot(page, "supervise-ru")
    reader.get_by_label("Заметка оператору (клиент её не видит)").fill("")
    reader.get_by_role("button", name="Переназначить").click()
    expect(page.get_by_role("status").filter(has_text="Переназначено")).to_be_visible()

    offer = desk.locator("[data-offer]").filter(has_text="Инна Смирнова")
    expect(offer).to_be_visible()
    offer.get_by_role("button", name=RU["accept"]).click()
    pane = desk.locator(f"[data-conversation='{conv_id}']")
    expect(pane.get_by_text("Мне никто не отвечает")).to_be_visible()
    expect(reader.get_by_label("Куда переназначить")).to_be_hidden()  # answered: no longer the supervisor's to move

    box = reader.get_by_label("Заметка оператору (клиент её не видит)")
    box.fill("Клиентка ждала 10 минут — извинись")
    box.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Заметка добавлена")).to_be_visible()
    note = pane.locator(".msg--note").filter(has_text="Клиентка ждала 10 минут")
    expect(note).to_be_visible()
    expect(note).to_contain_text("alpha-sup")
    expect(reader.locator(".msg--note").filter(has_text="Клиентка ждала 10 минут")).to_be_visible()
    desk.reload()  # the note is the conversation's, not the page's: it is there after a reload
    expect(desk.locator(f"[data-conversation='{conv_id}'] .msg--note")).to_contain_text("Клиентка ждала")
    with closing(live.client("alpha-sup")) as sup:
        stored = sup.get(f"/api/v1/projects/alpha/conversations/{conv_id}").json()
    assert [m["direction"] for m in stored["messages"]] == ["in"]  # the note was never sent to the customer
    assert [(n["text"], n["author"]) for n in stored["notes"]] == [("Клиентка ждала 10 минут — извинись", "alpha-sup")]
    assert re.search(r"/supervise", page.url)
