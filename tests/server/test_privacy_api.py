"""A personal-data request through the real API: the export holds everything about the
customer; the erasure removes their fields, identities and every message text (also
from the event log's data) while the KPI report's numbers do not move, and the next
contact from the same number is a new customer."""

from __future__ import annotations

import json
from contextlib import closing

from tests.server.conftest import Live
from tests.server.wsutil import open_stream


def test_export_then_erase_keeps_the_figures(live: Live) -> None:
    secret = "Мой адрес: Минск, ул. Ленина 5, кв. 12"
    with closing(live.client("alpha-op1")) as op, closing(live.client("alpha-admin")) as admin, \
            closing(live.token_client("alpha")) as adapter, open_stream(live.ws_url, op, "alpha") as ws:
        assert ws.command(action="state", state="available")["ok"]
        conv = adapter.post("/api/v1/projects/alpha/ingest/messages", json={
            "channel": "messenger", "external_id": "pd-1", "queue": "sales",
            "customer": {"id": "+79031112233", "name": "Пётр Сидоров"}, "text": secret}).json()["conversation_id"]
        offer = ws.wait("offer.created", contact_id=conv)
        assert ws.command(action="accept", offer_id=offer["data"]["offer_id"])["ok"]
        assert ws.command(action="send", conversation_id=conv, text="Пётр, курьер приедет на Ленина 5")["ok"]
        assert op.post(f"/api/v1/projects/alpha/conversations/{conv}/notes", json={"text": "живёт на Ленина"}
                       ).status_code == 201
        assert ws.command(action="end", conversation_id=conv)["ok"]
        assert op.post(f"/api/v1/projects/alpha/conversations/{conv}/disposition",
                       json={"contact_type": "new_inquiry", "resolved": True}).status_code == 200
        customer = op.get(f"/api/v1/projects/alpha/conversations/{conv}").json()["customer_id"]
        before = admin.get("/api/v1/projects/alpha/reports/kpi", params={"period": "all"}).json()["rows"]

        assert op.get(f"/api/v1/projects/alpha/customers/{customer}/export").status_code == 403
        exported = admin.get(f"/api/v1/projects/alpha/customers/{customer}/export").json()
        assert exported["customer"]["name"] == "Пётр Сидоров"
        assert {"kind": "phone", "value": "+79031112233"} in exported["identities"]
        [had] = exported["conversations"]
        assert [m["text"] for m in had["messages"]] == [secret, "Пётр, курьер приедет на Ленина 5"]
        assert [n["text"] for n in had["notes"]] == ["живёт на Ленина"]

        erased = admin.post(f"/api/v1/projects/alpha/customers/{customer}/erase")
        assert erased.status_code == 200, erased.text
        assert erased.json()["messages"] == 2 and erased.json()["identities"] == 1
        card = admin.get(f"/api/v1/projects/alpha/customers/{customer}").json()
        assert (card["name"], card["phones"], card["identities"]) == ("", [], [])
        stored = admin.get(f"/api/v1/projects/alpha/conversations/{conv}").json()
        assert [m["text"] for m in stored["messages"]] == ["", ""] and stored["customer_name"] == ""
        events = admin.get("/api/v1/projects/alpha/events", params={"contact_id": conv}).json()["items"]
        assert "Ленина" not in json.dumps(events, ensure_ascii=False) and "Пётр" not in json.dumps(events, ensure_ascii=False)
        assert admin.get("/api/v1/projects/alpha/reports/kpi", params={"period": "all"}).json()["rows"] == before
        audit = admin.get("/api/v1/projects/alpha/audit").json()["items"]
        assert [a["action"] for a in audit[:2]] == ["customer.erased", "customer.exported"]
        logged = admin.get("/api/v1/projects/alpha/events", params={"type": "customer.erased"}).json()["items"]
        assert [(e["data"]["customer_id"], e["data"]["by"]) for e in logged] == [(customer, "alpha-admin")]

        again = adapter.post("/api/v1/projects/alpha/ingest/messages", json={
            "channel": "messenger", "external_id": "pd-2", "queue": "sales",
            "customer": {"id": "+79031112233"}, "text": "Здравствуйте"}).json()["conversation_id"]
        assert op.get(f"/api/v1/projects/alpha/conversations/{again}").json()["customer_id"] != customer
