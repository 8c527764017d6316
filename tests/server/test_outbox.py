"""The way out: decisions reach the channel that owns the contact after the commit (from
commands and timer ticks alike), and every message to a customer goes through the durable
outbox — delivered at least once with the same idempotency key, retried with backoff,
resumed after a restart, and logged as message.delivered / message.failed."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from dozvon.eventlog.models import EventRecord
from dozvon.routing import events as ev
from tests.server.channel_peer import channel
from tests.server.conftest import Live, start_server
from tests.server.wsutil import Stream, open_stream


def _events(live: Live, type_: str, project: str = "alpha") -> list[EventRecord]:
    with live.hub.sessions() as session:
        return list(session.scalars(select(EventRecord).where(EventRecord.project == project,
                                                              EventRecord.type == type_).order_by(EventRecord.seq)))


def _until(check: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _chat_with_op1(live: Live, ws: Stream, channel_name: str, external_id: str) -> str:
    assert ws.command(action="state", state="available")["ok"]
    answer = live.token_client("alpha").post("/api/v1/projects/alpha/ingest/contacts", json={
        "channel": channel_name, "external_id": external_id, "queue": "sales",
        "customer": {"id": f"cust-{external_id}", "name": "Анна"}, "text": "Здравствуйте"})
    assert answer.status_code == 201, answer.text
    conv_id = str(answer.json()["conversation_id"])
    offer = ws.wait("offer.created", contact_id=conv_id)
    assert ws.command(action="accept", offer_id=offer["data"]["offer_id"])["ok"]
    return conv_id


def test_a_reply_is_delivered_at_least_once_with_one_key_and_retried_after_a_failure(live: Live) -> None:
    with channel("pushchat") as (peer, _), open_stream(live.ws_url, live.client("alpha-op1"), "alpha",
                                                        after=None) as ws:
        conv_id = _chat_with_op1(live, ws, "pushchat", "pc-1")
        sent = ws.command(action="send", conversation_id=conv_id, text="Добрый день! Чем помочь?")
        assert sent["ok"], sent
        key = ws.wait("message.sent", contact_id=conv_id)["data"]["message_id"]
        peer.failures[key] = 1  # the first attempt fails (503), the retry goes through
        delivered = ws.wait("message.delivered", contact_id=conv_id, timeout=20)
        assert delivered["data"]["key"] == key and delivered["data"]["attempt"] == 2
        assert delivered["data"]["channel_message_id"].startswith("peer-")
        assert peer.keys().count(key) == 2  # the same key on both attempts: the peer can drop a repeat
        conversation = live.client("alpha-sup").get(f"/api/v1/projects/alpha/conversations/{conv_id}").json()
        out = [m for m in conversation["messages"] if m["direction"] == "out"]
        assert [(m["text"], m["delivery"]) for m in out] == [("Добрый день! Чем помочь?", "delivered")]
        assert len([e for e in _events(live, "message.delivered") if e.data["key"] == key]) == 1


def test_a_refused_message_fails_at_once_and_says_why(live: Live) -> None:
    with channel("pushchat") as _, open_stream(live.ws_url, live.client("alpha-op1"), "alpha", after=None) as ws:
        conv_id = _chat_with_op1(live, ws, "pushchat", "pc-2")
        assert ws.command(action="send", conversation_id=conv_id, text="refuse this one")["ok"]
        failed = ws.wait("message.failed", contact_id=conv_id)
        assert failed["data"]["permanent"] is True and failed["data"]["attempt"] == 1
        assert "refused" in failed["data"]["error"]
        items = live.client("alpha-sup").get("/api/v1/projects/alpha/outbox", params={"status": "failed"}).json()
        assert [i["conversation_id"] for i in items["items"]] == [conv_id]


def test_a_restarted_server_resumes_pending_deliveries(live: Live) -> None:
    with channel("pushchat") as (peer, _):
        peer.fail_everything = True
        with open_stream(live.ws_url, live.client("alpha-op1"), "alpha", after=None) as ws:
            conv_id = _chat_with_op1(live, ws, "pushchat", "pc-3")
            assert ws.command(action="send", conversation_id=conv_id, text="Ваш заказ в пути")["ok"]
        _until(lambda: peer.keys())  # tried and failed: still pending
        live.stop()
        peer.fail_everything = False
        again = start_server(live.database_url)
        try:
            delivered = _until(lambda: [e for e in _events(again, "message.delivered")
                                        if e.contact_id == conv_id], timeout=30)
            assert len(delivered) == 1
            assert set(peer.keys()) == {delivered[0].data["key"]}
        finally:
            again.stop()


def test_decisions_of_timer_ticks_reach_the_adapter_and_auto_replies_go_out(live: Live) -> None:
    admin = live.client("alpha-admin")
    answer = admin.put("/api/v1/projects/alpha/queues/night", json={
        "max_wait_s": 0.3, "on_max_wait": {"kind": "message", "text": "Мы ответим утром"}})
    assert answer.status_code == 200, answer.text
    with channel("pushchat") as (peer, adapter):
        contact = live.token_client("alpha").post("/api/v1/projects/alpha/ingest/contacts", json={
            "channel": "pushchat", "external_id": "pc-night", "queue": "night", "customer": {"id": "owl"},
            "text": "Есть кто?"}).json()["conversation_id"]
        # Nobody serves "night": the maximum wait runs out on the wall clock, in a timer tick.
        replies = _until(lambda: [d for _, d in adapter.decisions
                                  if d.kind == ev.AUTO_REPLY and d.contact_id == contact])
        assert replies[0].text == "Мы ответим утром" and replies[0].reason == "max_wait"
        assert replies[0].channel == "pushchat"
        _until(lambda: any(r["text"] == "Мы ответим утром" for r in peer.received))
        sent = [e for e in _events(live, "message.sent") if e.contact_id == contact]
        assert len(sent) == 1 and sent[0].data["auto"] is True
        _until(lambda: [e for e in _events(live, "message.delivered") if e.contact_id == contact])


def test_an_outside_adapter_takes_its_messages_and_reports_them_once(live: Live) -> None:
    with open_stream(live.ws_url, live.client("alpha-op1"), "alpha", after=None) as ws:
        conv_id = _chat_with_op1(live, ws, "messenger", "web-1")
        assert ws.command(action="send", conversation_id=conv_id, text="Секунду, проверяю")["ok"]
        adapter = live.token_client("alpha")
        taken = adapter.post("/api/v1/projects/alpha/outbox/take", params={"channel": "messenger"}).json()["items"]
        assert [(t["conversation_id"], t["text"], t["attempt"]) for t in taken] == [(conv_id, "Секунду, проверяю", 1)]
        assert adapter.post("/api/v1/projects/alpha/outbox/take", params={"channel": "messenger"}).json()["items"] == []
        item = taken[0]["id"]
        for _ in range(2):  # a repeated report changes nothing
            answer = adapter.post(f"/api/v1/projects/alpha/outbox/{item}/result", json={"delivered": True})
            assert answer.status_code == 200 and answer.json()["status"] == "delivered", answer.text
        ws.wait("message.delivered", contact_id=conv_id)
        assert len([e for e in _events(live, "message.delivered") if e.contact_id == conv_id]) == 1
        bad = adapter.post(f"/api/v1/projects/alpha/outbox/{item}/result", json={"delivered": False})
        assert bad.status_code == 422
        other = live.token_client("beta").post(f"/api/v1/projects/beta/outbox/{item}/result",
                                                json={"delivered": True})
        assert other.status_code == 404  # another project's message is nobody's business there


def test_a_batch_of_reports_is_one_transaction_with_each_outcome_logged_once(live: Live) -> None:
    from dozvon.conversations.actions import DeliveryReport, do_report_deliveries

    with open_stream(live.ws_url, live.client("alpha-op1"), "alpha", after=None) as ws:
        conv_id = _chat_with_op1(live, ws, "messenger", "web-batch")
        for text in ("Первое", "Второе", "Третье", "Четвёртое"):
            assert ws.command(action="send", conversation_id=conv_id, text=text)["ok"]
        taken = live.token_client("alpha").post("/api/v1/projects/alpha/outbox/take",
                                                params={"channel": "messenger"}).json()["items"]
        one, two, three, four = (t["id"] for t in taken)
        svc = live.hub.service("alpha")
        before = live.hub.service("alpha").last_seq()
        out = do_report_deliveries(svc, [
            DeliveryReport(one, True, channel_message_id="peer-1"),
            DeliveryReport(one, True, channel_message_id="peer-1"),  # the same report twice: once
            DeliveryReport(two, False, "peer busy"),  # transient: due again later, nothing logged
            DeliveryReport(three, False, "no such chat", permanent=True),
            DeliveryReport(four, True)])
        assert [o["status"] for o in out] == ["delivered", "delivered", "pending", "failed", "delivered"]
        logged = [(e.type, e.data["message_id"]) for e in _events(live, "message.delivered") + _events(
            live, "message.failed") if e.contact_id == conv_id]
        keys = {t["id"]: t["key"] for t in taken}
        assert sorted(logged) == sorted([("message.delivered", keys[one]), ("message.failed", keys[three]),
                                         ("message.delivered", keys[four])])
        assert svc.last_seq() == before + 3  # three outcomes logged, the transient one not
        ws.wait("message.failed", contact_id=conv_id)
