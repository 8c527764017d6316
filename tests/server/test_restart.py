"""A restart in the middle of a busy queue loses nothing: waiting contacts keep their
place, a ringing offer can still be answered, and every contact ends exactly once."""

from __future__ import annotations

import time

from tests.server.conftest import Live, seed_world, start_server


def _work_off(live: Live, expected: int) -> None:
    """op1 and op2 answer and close everything offered to them until ``expected`` closed."""
    clients = {op: live.client(f"alpha-{op}") for op in ("op1", "op2")}
    sup = live.client("alpha-sup")
    deadline = time.monotonic() + 60
    while True:
        closed = sup.get("/api/v1/projects/alpha/events", params={"type": "contact.closed", "limit": 1000})
        if len(closed.json()["items"]) >= expected:
            return
        assert time.monotonic() < deadline, "contacts were lost after the restart"
        for op, client in clients.items():
            state = client.get(f"/api/v1/projects/alpha/operators/{op}").json()
            for offer_id in state["offers"]:
                client.post(f"/api/v1/projects/alpha/offers/{offer_id}/accept")
            for contact in state["contacts"]:
                client.post(f"/api/v1/projects/alpha/conversations/{contact}/disposition",
                            json={"contact_type": "regular", "resolved": True})
        time.sleep(0.05)


def test_restart_mid_queue_loses_nothing(server_db: str) -> None:
    first = start_server(server_db)
    first.tokens = seed_world(first.hub, offer_timeout_s=600)
    try:
        op1 = first.client("alpha-op1")
        assert op1.post("/api/v1/projects/alpha/operators/op1/state", json={"state": "available"}).status_code == 200
        adapter = first.token_client("alpha")
        ids = []
        for n in range(20):
            answer = adapter.post("/api/v1/projects/alpha/ingest/contacts", json={
                "channel": "voice", "external_id": f"call-{n}", "queue": "sales", "customer": {"id": f"c{n}"}})
            ids.append(answer.json()["conversation_id"])
        ringing = op1.get("/api/v1/projects/alpha/operators/op1").json()["offers"]
        assert len(ringing) == 1
    finally:
        first.stop()  # nineteen waiting, one ringing

    second = start_server(server_db)
    second.tokens = first.tokens
    try:
        sup = second.client("alpha-sup")
        queue = sup.get("/api/v1/projects/alpha/queues/sales").json()
        assert queue["waiting"] == 19
        op1 = second.client("alpha-op1")
        assert op1.get("/api/v1/projects/alpha/operators/op1").json()["offers"] == ringing  # still ringing
        accepted = op1.post(f"/api/v1/projects/alpha/offers/{ringing[0]}/accept")
        assert accepted.status_code == 200, accepted.text
        assert second.client("alpha-op2").post("/api/v1/projects/alpha/operators/op2/state",
                                               json={"state": "available"}).status_code == 200
        _work_off(second, 20)
        events = sup.get("/api/v1/projects/alpha/events", params={"limit": 5000}).json()["items"]
        seqs = [e["seq"] for e in events]
        assert seqs == list(range(1, len(seqs) + 1))  # gap-free across the restart
        closed = [e["contact_id"] for e in events if e["type"] == "contact.closed"]
        assert sorted(closed) == sorted(ids)  # every contact, exactly once
        answered = [e["contact_id"] for e in events if e["type"] == "contact.answered"]
        assert answered == ids  # first come, first served — across the restart too
    finally:
        second.stop()
