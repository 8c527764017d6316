"""The customer card through the real API: one customer behind a call and a chat from one
number written two ways, their identities, and every conversation with how it ended;
found by phone in another format; refused to those who may not see customers."""

from __future__ import annotations

from contextlib import closing

from tests.server.conftest import Live
from tests.server.wsutil import open_stream


def test_the_card_shows_one_customer_across_channels_with_their_history(live: Live) -> None:
    with closing(live.token_client("alpha")) as adapter, closing(live.client("alpha-op1")) as op:
        with open_stream(live.ws_url, op, "alpha") as ws:
            assert ws.command(action="state", state="available")["ok"]
            call = adapter.post("/api/v1/projects/alpha/ingest/contacts", json={
                "channel": "voice", "external_id": "card-call", "queue": "sales",
                "customer": {"id": "+7 (999) 000-00-01", "name": "Анна Белова"}})
            assert call.status_code == 201, call.text
            call_id = call.json()["conversation_id"]
            offer = ws.wait("offer.created")
            assert ws.command(action="accept", offer_id=offer["data"]["offer_id"])["ok"]
            assert ws.command(action="end", conversation_id=call_id)["ok"]
            disposed = op.post(f"/api/v1/projects/alpha/conversations/{call_id}/disposition",
                               json={"contact_type": "complaint", "resolved": False, "notes": "курьер опоздал"})
            assert disposed.status_code == 200, disposed.text
        chat = adapter.post("/api/v1/projects/alpha/ingest/messages", json={
            "channel": "messenger", "external_id": "card-chat", "queue": "sales",
            "customer": {"id": "+79990000001", "name": "Анна"}, "text": "Я снова насчёт курьера"})
        assert chat.status_code == 201, chat.text
        chat_id = chat.json()["conversation_id"]
        conv = op.get(f"/api/v1/projects/alpha/conversations/{chat_id}").json()
        customer_id = conv["customer_id"]
        assert op.get(f"/api/v1/projects/alpha/conversations/{call_id}").json()["customer_id"] == customer_id

        card = op.get(f"/api/v1/projects/alpha/customers/{customer_id}")
        assert card.status_code == 200, card.text
        body = card.json()
        assert body["name"] == "Анна Белова" and body["phones"] == ["+79990000001"]
        assert {"kind": "phone", "value": "+79990000001"} in body["identities"]
        assert body["conversations_total"] == 2
        newest, oldest = body["conversations"]
        assert (newest["id"], newest["channel"], newest["disposition"]) == (chat_id, "messenger", None)
        assert (oldest["id"], oldest["channel"], oldest["operator_id"]) == (call_id, "voice", "op1")
        assert oldest["disposition"]["contact_type"] == "complaint" and oldest["disposition"]["resolved"] is False
        assert oldest["disposition"]["notes"] == "курьер опоздал"

        found = op.get("/api/v1/projects/alpha/customers", params={"q": "+7 999 000 00 01"})
        assert found.status_code == 200 and [c["id"] for c in found.json()["items"]] == [customer_id]
        missing = op.get("/api/v1/projects/alpha/customers/nobody", headers={"Accept-Language": "ru"})
        assert missing.status_code == 404 and "nobody" in missing.json()["error"]["message"]
    with closing(live.client("alpha-viewer")) as viewer, closing(live.client("beta-op1")) as other:
        assert viewer.get(f"/api/v1/projects/alpha/customers/{customer_id}").status_code == 403
        assert other.get(f"/api/v1/projects/alpha/customers/{customer_id}").status_code == 403  # another tenant
        assert other.get(f"/api/v1/projects/beta/customers/{customer_id}").status_code == 404
