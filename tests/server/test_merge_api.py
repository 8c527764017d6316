"""Merging two records of one person through the real API: identities, conversations and
flags follow the kept record, the merge is an event that maps the old id, the merged id
is gone, and sticky routing offers the person's next call to their last operator."""

from __future__ import annotations

from contextlib import closing

from tests.server.conftest import Live
from tests.server.wsutil import open_stream


def test_a_merge_keeps_all_history_and_reroutes_sticky_contacts(live: Live) -> None:
    with closing(live.client("alpha-admin")) as admin:
        assert admin.put("/api/v1/projects/alpha/queues/sales", json={
            "strategy": "round_robin", "sticky_wait_s": 30}).status_code == 200
    with closing(live.client("alpha-op2")) as op2, closing(live.client("alpha-sup")) as sup, \
            closing(live.token_client("alpha")) as adapter, open_stream(live.ws_url, op2, "alpha") as ws:
        assert ws.command(action="state", state="available")["ok"]
        call = adapter.post("/api/v1/projects/alpha/ingest/contacts", json={
            "channel": "voice", "external_id": "merge-call", "queue": "sales",
            "customer": {"id": "+79161234567", "name": "Ольга Ким"}}).json()["conversation_id"]
        offer = ws.wait("offer.created", contact_id=call)
        assert ws.command(action="accept", offer_id=offer["data"]["offer_id"])["ok"]
        assert ws.command(action="end", conversation_id=call)["ok"]
        assert op2.post(f"/api/v1/projects/alpha/conversations/{call}/disposition",
                        json={"contact_type": "regular", "resolved": True}).status_code == 200
        assert ws.command(action="state", state="offline")["ok"]
        mail = adapter.post("/api/v1/projects/alpha/ingest/contacts", json={
            "channel": "email", "external_id": "merge-mail", "queue": "sales",
            "customer": {"id": "olga.kim@example.ru", "name": "O. Kim"}, "text": "Счёт"}).json()["conversation_id"]
        by_phone = sup.get(f"/api/v1/projects/alpha/conversations/{call}").json()["customer_id"]
        by_mail = sup.get(f"/api/v1/projects/alpha/conversations/{mail}").json()["customer_id"]
        assert by_phone != by_mail
        assert sup.put(f"/api/v1/projects/alpha/customers/{by_phone}/flags/do_not_call",
                       json={"reason": "просила не звонить"}).status_code == 200

        assert sup.post(f"/api/v1/projects/alpha/customers/{by_mail}/merge",
                        json={"merged": by_mail}).status_code == 422
        merged = sup.post(f"/api/v1/projects/alpha/customers/{by_mail}/merge", json={"merged": by_phone})
        assert merged.status_code == 200, merged.text
        card = merged.json()
        assert card["name"] == "O. Kim" and card["phones"] == ["+79161234567"]
        assert card["emails"] == ["olga.kim@example.ru"]
        assert sorted(c["id"] for c in card["conversations"]) == sorted([call, mail])
        assert [f["kind"] for f in card["flags"]] == ["do_not_call"]
        assert sup.get(f"/api/v1/projects/alpha/customers/{by_phone}").status_code == 404
        events = sup.get("/api/v1/projects/alpha/events", params={"type": "customer.merged"}).json()["items"]
        assert [(e["data"]["customer_id"], e["data"]["merged"], e["data"]["by"]) for e in events] == [
            (by_mail, by_phone, "alpha-sup")]

        # Her next call, by phone: the kept record, and it waits for op2, who answered her last.
        assert ws.command(action="state", state="available")["ok"]
        again = adapter.post("/api/v1/projects/alpha/ingest/contacts", json={
            "channel": "voice", "external_id": "merge-call-2", "queue": "sales",
            "customer": {"id": "+7 916 123 45 67"}}).json()["conversation_id"]
        assert sup.get(f"/api/v1/projects/alpha/conversations/{again}").json()["customer_id"] == by_mail
        queued = [e for e in sup.get("/api/v1/projects/alpha/events", params={"contact_id": again}).json()["items"]
                  if e["type"] == "contact.queued"]
        assert queued[0]["data"].get("sticky_operator") == "op2"
