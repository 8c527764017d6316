"""A contact's whole life through the real API: ingest → queue → offer on the operator's
WebSocket → accept → messages both ways → end → disposition → the event log."""

from __future__ import annotations

from tests.server.conftest import Live
from tests.server.wsutil import open_stream


def test_chat_contact_whole_life(live: Live) -> None:
    op = live.client("alpha-op1")
    adapter = live.token_client("alpha")
    with open_stream(live.ws_url, op, "alpha") as ws:
        reply = ws.command(action="state", state="available")
        assert reply["ok"], reply
        answer = adapter.post("/api/v1/projects/alpha/ingest/messages", json={
            "channel": "messenger", "external_id": "tg-1", "queue": "sales",
            "customer": {"id": "cust-1", "name": "Алексей"}, "text": "Где мой заказ?"})
        assert answer.status_code == 201, answer.text
        conv_id = answer.json()["conversation_id"]
        offer = ws.wait("offer.created")
        assert offer["contact_id"] == conv_id and offer["operator_id"] == "op1"
        assert ws.command(action="accept", offer_id=offer["data"]["offer_id"])["ok"]
        ws.wait("contact.answered")
        # The customer writes again: the same conversation, delivered live to the operator.
        again = adapter.post("/api/v1/projects/alpha/ingest/messages", json={
            "channel": "messenger", "external_id": "tg-2", "queue": "sales",
            "customer": {"id": "cust-1", "name": "Алексей"}, "text": "Номер 12345"})
        assert again.status_code == 201 and again.json()["conversation_id"] == conv_id
        received = ws.wait("message.received")
        assert received["data"]["text"] == "Номер 12345"
        sent = ws.command(action="send", conversation_id=conv_id, text="Заказ в пути, приедет завтра")
        assert sent["ok"], sent
        assert ws.command(action="end", conversation_id=conv_id)["ok"]
        disposed = op.post(f"/api/v1/projects/alpha/conversations/{conv_id}/disposition",
                           json={"contact_type": "clarification", "resolved": True, "notes": "статус заказа"})
        assert disposed.status_code == 200, disposed.text
        ws.wait("contact.closed")

    conv = op.get(f"/api/v1/projects/alpha/conversations/{conv_id}").json()
    assert conv["status"] == "handled" and conv["state"] == "closed"
    assert conv["operator_id"] == "op1"
    assert conv["disposition"]["contact_type"] == "clarification" and conv["disposition"]["resolved"] is True
    assert [(m["direction"], m["text"]) for m in conv["messages"]] == [
        ("in", "Где мой заказ?"), ("in", "Номер 12345"), ("out", "Заказ в пути, приедет завтра")]
    sup = live.client("alpha-sup")
    events = sup.get("/api/v1/projects/alpha/events", params={"contact_id": conv_id}).json()["items"]
    types = [e["type"] for e in events]
    for expected in ("contact.arrived", "message.received", "contact.queued", "offer.created", "offer.accepted",
                     "contact.answered", "message.sent", "contact.ended", "contact.disposition",
                     "contact.wrap_up_ended", "contact.closed"):
        assert expected in types, (expected, types)
    assert types[-1] == "contact.closed" and types.count("contact.closed") == 1
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs)


def test_voice_call_abandoned_by_hangup_creates_no_ghost(live: Live) -> None:
    adapter = live.token_client("alpha")
    body = {"channel": "voice", "external_id": "call-77", "queue": "sales", "customer": {"id": "+79990000000"}}
    assert adapter.post("/api/v1/projects/alpha/ingest/contacts", json=body).status_code == 201
    left = adapter.post("/api/v1/projects/alpha/ingest/left", json={"channel": "voice", "external_id": "call-77"})
    assert left.status_code == 200, left.text
    again = adapter.post("/api/v1/projects/alpha/ingest/left", json={"channel": "voice", "external_id": "call-77"})
    assert again.status_code == 200  # a repeated hang-up is harmless
    sup = live.client("alpha-sup")
    conv = sup.get("/api/v1/projects/alpha/conversations", params={"status": "abandoned"}).json()["items"]
    assert [c["external_id"] for c in conv] == ["call-77"]
    board = sup.get("/api/v1/projects/alpha/wallboard").json()
    assert board["today"]["abandoned"] == 1 and board["waiting"] == 0
