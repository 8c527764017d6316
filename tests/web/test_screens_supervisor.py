"""Screenshots of the supervisor's pages, saved to docs/screens/ with DOZVON_SAVE_SCREENS=1
(listed in docs/screens.md): the wallboard in both languages and in TV mode on a
1920×1080 screen, and the reports page over two weeks of history in both languages."""

from __future__ import annotations

import os
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.server.conftest import Live
from tests.web.conftest import SCREENS
from tests.web.test_reports import open_reports, seed_history
from tests.web.test_wallboard import offer_of, open_board, queue_row

NAMES = {
    "ru": ["Анна Смирнова", "Игорь Волков", "Мария Кузнецова", "Олег Новиков", "Дарья Морозова", "Павел Лебедев"],
    "en": ["Anna Smith", "Igor Volkov", "Maria Brown", "Oliver Newman", "Daria Moore", "Paul Lebedev"],
}
CUSTOMERS = {
    "ru": ["Алексей", "Ирина", "Сергей", "Наталья", "Виктор", "Елена", "Михаил", "Ольга", "Денис", "Татьяна"],
    "en": ["Alex", "Irene", "Sergey", "Natalie", "Victor", "Helen", "Michael", "Olga", "Dennis", "Tanya"],
}


def busy_center(live: Live, lang: str) -> None:
    """Three queues, six operators in every state, contacts waiting, talking, lost."""
    with closing(live.client("alpha-admin")) as admin, closing(live.token_client("alpha")) as adapter:
        for queue, target in (("support", 30), ("vip", 10)):
            assert admin.put(f"/api/v1/projects/alpha/queues/{queue}",
                             json={"strategy": "round_robin", "target_answer_s": target}).status_code == 200
        queues = {"op1": ["sales"], "op2": ["sales"], "op3": ["support"], "op4": ["sales", "support"],
                  "op5": ["vip"], "op6": ["support"]}
        for i, (op, member_of) in enumerate(queues.items()):
            assert admin.put(f"/api/v1/projects/alpha/operators/{op}", json={
                "name": NAMES[lang][i], "queues": member_of, "capacity": {"voice": 1, "chat": 3}}).status_code == 200
        for op in ("op1", "op2", "op4", "op6"):
            admin.post(f"/api/v1/projects/alpha/operators/{op}/state", json={"state": "available"})
        admin.post("/api/v1/projects/alpha/operators/op3/state", json={"state": "break", "reason": "lunch"})
        people = iter(CUSTOMERS[lang])

        def write(queue: str, key: str) -> str:
            answer = adapter.post("/api/v1/projects/alpha/ingest/messages", json={
                "channel": "chat", "external_id": key, "queue": queue,
                "customer": {"id": "c-" + key, "name": next(people)}, "text": "…"})
            assert answer.status_code == 201, answer.text
            return str(answer.json()["conversation_id"])

        # vip: nobody on line — one caller gave up, one chat waits.
        assert adapter.post("/api/v1/projects/alpha/ingest/contacts", json={
            "channel": "voice", "external_id": "vip-call", "queue": "vip"}).status_code == 201
        assert adapter.post("/api/v1/projects/alpha/ingest/left",
                            json={"channel": "voice", "external_id": "vip-call"}).status_code == 200
        write("vip", "vip-1")
        for n in range(3):
            write("sales", f"s{n}")
        for n in range(2):
            write("support", f"p{n}")
        for op in ("op1", "op2", "op4", "op6"):
            with closing(live.client("alpha-admin")) as api:
                assert api.post(f"/api/v1/projects/alpha/offers/{offer_of_any(live, op)}/accept").status_code == 200
        write("sales", "s-late")  # rings for someone
        conversations = admin.get("/api/v1/projects/alpha/conversations?status=open&operator_id=op2").json()["items"]
        if conversations:
            admin.post(f"/api/v1/projects/alpha/conversations/{conversations[0]['id']}/end")


def offer_of_any(live: Live, operator: str) -> str:
    with closing(live.client("alpha-admin")) as api:
        offers = api.get(f"/api/v1/projects/alpha/operators/{operator}").json()["offers"]
    return str(offers[0]) if offers else offer_of(live, operator)


def folder_for(live: Live, tmp_path: Path) -> Path | None:
    if not live.database_url.startswith("sqlite"):  # one set of pictures, not one per database
        return None
    folder = SCREENS if os.environ.get("DOZVON_SAVE_SCREENS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_screens_of_the_wallboard(live: Live, new_page: Any, lang: str, tmp_path: Path) -> None:
    folder = folder_for(live, tmp_path)
    busy_center(live, lang)
    page = new_page(lang)
    open_board(page, live, lang=lang)
    expect(queue_row(page, "vip").locator("[data-slot='flag']")).to_be_visible()
    page.wait_for_timeout(4000)  # waits and times in state have visibly moved
    if folder:
        page.screenshot(path=str(folder / f"wallboard-{lang}.png"), full_page=True)
    if lang == "ru":
        page.set_viewport_size({"width": 1920, "height": 1080})
        page.goto(live.url + "/wallboard?tv=1")
        expect(queue_row(page, "vip").locator("[data-slot='flag']")).to_be_visible()
        page.wait_for_timeout(1500)
        if folder:
            page.screenshot(path=str(folder / "wallboard-tv-ru.png"))


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_screens_of_the_reports(live: Live, new_page: Any, lang: str, tmp_path: Path) -> None:
    folder = folder_for(live, tmp_path)
    _, first, last = seed_history(live)
    page = new_page(lang)
    open_reports(page, live, first, last, lang=lang)
    expect(page.locator("[data-target='reports.heat'] .main-svg").first).to_be_attached(timeout=20_000)
    page.wait_for_timeout(500)
    if folder:
        page.screenshot(path=str(folder / f"reports-{lang}.png"), full_page=True)
