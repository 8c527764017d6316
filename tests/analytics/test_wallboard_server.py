"""The server's wallboard and the demo's terminal view of it: every configured operator is
on the board, live and after a restart, and the demo's table and totals agree."""

from __future__ import annotations

import re
from functools import partial

import pytest
from rich.console import Console

from dozvon.accounts import actions as accounts
from dozvon.core.clock import ManualClock
from dozvon.core.db import get_engine, upgrade
from dozvon.routing import OperatorConfig, QueueConfig
from dozvon.routing.engine import RoutingEngine
from dozvon.server.hub import Hub
from tests.conftest import T0


@pytest.fixture
def db(sqlite_url):
    upgrade(sqlite_url)
    return get_engine(sqlite_url)


def test_five_configured_operators_who_never_logged_in_are_five_offline_live_and_after_a_restart(db):
    clock = ManualClock(T0)
    hub = Hub(db, clock)
    with hub.sessions.begin() as session:
        accounts.create_project(session, "test", "shop", "Shop")
    svc = hub.service("shop")  # the board is built now, before anyone is configured
    svc.run(partial(RoutingEngine.add_queue, cfg=QueueConfig("sales")))
    for i in range(1, 6):
        svc.run(partial(RoutingEngine.add_operator, cfg=OperatorConfig(f"op{i}", queues=("sales",), name=f"Op {i}")))
    assert hub.wallboard("shop")["operators"] == {"offline": 5}
    restarted = Hub(db, clock).wallboard("shop")
    assert restarted["operators"] == {"offline": 5}
    assert [(k, v["name"], v["presence"]) for k, v in restarted["by_operator"].items()] == [
        (f"op{i}", f"Op {i}", "offline") for i in range(1, 6)]


def _screen(group) -> str:
    console = Console(record=True, width=160, color_system=None)
    console.print(group)
    return console.export_text()


def test_the_demo_wallboards_operator_table_and_its_totals_agree(db, monkeypatch):
    """Two operators are left to people and never log in; one bot logs in, another logs in
    and out again: the table lists all ten and its totals count the same presences."""
    from dozvon.demo.seed import PROJECT, seed_demo
    from dozvon.demo.wallboard import render

    monkeypatch.setenv("DOZVON_LANG", "en")
    hub = Hub(db, ManualClock(T0))
    seed_demo(hub)
    svc = hub.service(PROJECT)
    svc.run(lambda e: e.login("operator3"))
    svc.run(lambda e: e.login("operator4"))
    svc.run(lambda e: e.logout("operator4"))
    for board_hub in (hub, Hub(db, hub.clock)):  # live, and rebuilt at a restart
        text = _screen(render(board_hub, PROJECT, ["http://example"]))
        rows = re.findall(r"^│ (operator\d+)\s+│.*?│ (\S+)\s+│", text, re.MULTILINE)
        assert len(rows) == 10, text
        table: dict[str, int] = {}
        for _, presence in rows:
            table[presence] = table.get(presence, 0) + 1
        footer = dict(re.findall(r"(\S+): (\d+)", text.strip().splitlines()[-1]))
        assert {k: int(v) for k, v in footer.items()} == table == {"offline": 9, "available": 1}, text


def test_after_a_restart_past_midnight_contacts_begun_yesterday_are_on_the_board(db):
    """A call answered at 23:50 and still going at 00:10, and a chat waiting since 23:55:
    the restarted board shows the operator busy and the chat waiting (its events are
    yesterday's, outside today's replay), and no count goes below zero when they end."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from dozvon.conversations.ingest import Inbound, ingest

    evening = datetime(2026, 3, 2, 23, 50, tzinfo=ZoneInfo("UTC")).timestamp()
    clock = ManualClock(evening)
    hub = Hub(db, clock)
    with hub.sessions.begin() as session:
        accounts.create_project(session, "test", "shop", "Shop", timezone="UTC")
    svc = hub.service("shop")
    svc.run(partial(RoutingEngine.add_queue, cfg=QueueConfig("sales")))
    svc.run(partial(RoutingEngine.add_operator, cfg=OperatorConfig("op1", queues=("sales",),
                                                                    capacity={"voice": 1, "chat": 0})))
    svc.run(lambda e: e.login("op1"))
    call = ingest(svc, Inbound("voice", "call-1", "sales")).conversation_id
    svc.run(lambda e: e.accept(next(iter(e.offers))))
    clock.advance(5 * 60)
    ingest(svc, Inbound("chat", "chat-1", "sales", text="hello"))  # nobody takes chats
    clock.advance(15 * 60)  # 00:10 next day
    board = Hub(db, clock).wallboard("shop")
    assert board["by_operator"]["op1"]["presence"] == "busy"
    assert board["waiting"] == 1 and board["longest_wait_s"] == pytest.approx(15 * 60)
    restarted = Hub(db, clock)
    again = restarted.service("shop")
    again.run(lambda e: e.end_contact(call))
    after = restarted.wallboard("shop")["by_operator"]["op1"]
    assert (after["presence"], after["contacts"]) == ("available", 0)  # no wrap-up set: free at once
