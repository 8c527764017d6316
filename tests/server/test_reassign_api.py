"""A supervisor moves a contact nobody has answered yet, through the real API: to another
queue or to an operator with room; operators may not; a wrong request says what is wrong."""

from __future__ import annotations

from contextlib import closing

from tests.server.conftest import Live
from tests.server.wsutil import open_stream


def _waiting_chat(live: Live, external_id: str) -> str:
    with closing(live.token_client("alpha")) as adapter:
        answer = adapter.post("/api/v1/projects/alpha/ingest/messages", json={
            "channel": "messenger", "external_id": external_id, "queue": "sales",
            "customer": {"id": "cust-" + external_id, "name": "Вера"}, "text": "Здравствуйте"})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["conversation_id"])


def test_a_supervisor_moves_a_waiting_contact_to_a_queue_then_to_an_operator(live: Live) -> None:
    with closing(live.client("alpha-sup")) as sup, closing(live.client("alpha-op2")) as op2:
        assert sup.put("/api/v1/projects/alpha/queues/vip", json={"strategy": "round_robin"}).status_code == 200
        conv_id = _waiting_chat(live, "re-1")  # nobody is available: it waits in sales
        moved = sup.post(f"/api/v1/projects/alpha/conversations/{conv_id}/reassign", json={"to_queue": "vip"})
        assert moved.status_code == 200, moved.text
        board = sup.get("/api/v1/projects/alpha/wallboard").json()
        assert board["queues"]["vip"]["waiting"] == 1 and board["queues"]["sales"]["waiting"] == 0
        events = sup.get("/api/v1/projects/alpha/events", params={"contact_id": conv_id}).json()["items"]
        reassigned = [e for e in events if e["type"] == "contact.reassigned"]
        assert [(e["queue"], e["data"]) for e in reassigned] == [("sales", {"to_queue": "vip", "by": "alpha-sup"})]

        with open_stream(live.ws_url, op2, "alpha") as ws:  # op2 serves sales only, but has room
            assert ws.command(action="state", state="available")["ok"]
            moved = sup.post(f"/api/v1/projects/alpha/conversations/{conv_id}/reassign",
                             json={"to_operator": "op2"})
            assert moved.status_code == 200, moved.text
            offer = ws.wait("offer.created")
            assert offer["contact_id"] == conv_id
            assert ws.command(action="accept", offer_id=offer["data"]["offer_id"])["ok"]
            ws.wait("contact.answered")
        late = sup.post(f"/api/v1/projects/alpha/conversations/{conv_id}/reassign", json={"to_queue": "sales"},
                        headers={"Accept-Language": "ru"})
        assert late.status_code == 409 and "connected" in late.json()["error"]["message"]  # answered: no longer a reassign


def test_operators_may_not_reassign_and_a_wrong_request_is_explained(live: Live) -> None:
    conv_id = _waiting_chat(live, "re-2")
    with closing(live.client("alpha-op1")) as op, closing(live.client("alpha-sup")) as sup:
        refused = op.post(f"/api/v1/projects/alpha/conversations/{conv_id}/reassign", json={"to_queue": "sales"})
        assert refused.status_code == 403
        both = sup.post(f"/api/v1/projects/alpha/conversations/{conv_id}/reassign",
                        json={"to_queue": "sales", "to_operator": "op1"})
        assert both.status_code == 422 and "exactly one" in both.text
        there = sup.post(f"/api/v1/projects/alpha/conversations/{conv_id}/reassign", json={"to_queue": "sales"},
                         headers={"Accept-Language": "en"})
        assert there.status_code == 409 and "already in queue 'sales'" in there.json()["error"]["message"]
        busy = sup.post(f"/api/v1/projects/alpha/conversations/{conv_id}/reassign", json={"to_operator": "op1"},
                        headers={"Accept-Language": "en"})
        assert busy.status_code == 409 and "op1" in busy.json()["error"]["message"]  # offline: no room
        unknown = sup.post(f"/api/v1/projects/alpha/conversations/{conv_id}/reassign", json={"to_queue": "nowhere"})
        assert unknown.status_code == 404


def test_an_operator_reads_their_own_day_and_a_supervisor_anyones(live: Live) -> None:
    with closing(live.client("alpha-op1")) as op, closing(live.token_client("alpha")) as adapter:
        before = op.get("/api/v1/projects/alpha/operators/op1/today").json()
        assert (before["answered"], before["handled"], before["aht_s"], before["csat"]) == (0, 0, None, None)
        with open_stream(live.ws_url, op, "alpha") as ws:
            assert ws.command(action="state", state="available")["ok"]
            conv_id = adapter.post("/api/v1/projects/alpha/ingest/messages", json={
                "channel": "messenger", "external_id": "day-1", "queue": "sales",
                "customer": {"id": "cust-day-1"}, "text": "Добрый день"}).json()["conversation_id"]
            offer = ws.wait("offer.created")
            assert ws.command(action="accept", offer_id=offer["data"]["offer_id"])["ok"]
            assert ws.command(action="end", conversation_id=conv_id)["ok"]
            assert op.post(f"/api/v1/projects/alpha/conversations/{conv_id}/disposition",
                           json={"contact_type": "regular", "resolved": True}).status_code == 200
            ws.wait("contact.closed")
        day = op.get("/api/v1/projects/alpha/operators/op1/today").json()
        assert (day["answered"], day["handled"], day["presence"]) == (1, 1, "available")
        assert day["aht_s"] is not None and day["aht_s"] >= 0
        assert op.get("/api/v1/projects/alpha/operators/op2/today").status_code == 403  # a colleague's: no
    with closing(live.client("alpha-sup")) as sup:
        assert sup.get("/api/v1/projects/alpha/operators/op1/today").json()["handled"] == 1
        assert sup.get("/api/v1/projects/alpha/operators/nobody/today").status_code == 404
