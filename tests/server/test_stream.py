"""The operator's real-time stream: resume from a cursor with nothing lost or repeated,
offers timing out on the wall clock, supervisors seeing the whole project."""

from __future__ import annotations

import threading
import time

from tests.server.conftest import Live
from tests.server.wsutil import open_stream


def _ingest(live: Live, external_id: str, channel: str = "chat") -> str:
    answer = live.token_client("alpha").post("/api/v1/projects/alpha/ingest/contacts", json={
        "channel": channel, "external_id": external_id, "queue": "sales", "customer": {"id": external_id},
        "text": "hi" if channel != "voice" else None})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["conversation_id"])


def test_reconnect_resumes_from_the_cursor_without_loss_or_repeats(live: Live) -> None:
    op = live.client("alpha-op1")
    with open_stream(live.ws_url, op, "alpha") as ws:
        assert ws.command(action="state", state="available")["ok"]
        first = _ingest(live, "chat-1")
        offer = ws.wait("offer.created", contact_id=first)
        assert ws.command(action="accept", offer_id=offer["data"]["offer_id"])["ok"]
        ws.wait("contact.answered")
        ws.drain(0.3)
        cursor = ws.events[-1]["seq"]
    # Disconnected: two more chats arrive and are offered to op1 meanwhile.
    missed = [_ingest(live, "chat-2"), _ingest(live, "chat-3")]
    time.sleep(0.2)
    with open_stream(live.ws_url, op, "alpha", after=cursor) as ws:
        for contact_id in missed:
            ws.wait("offer.created", contact_id=contact_id)
        ws.drain(0.5)
        seqs = [e["seq"] for e in ws.events]
        assert seqs == sorted(set(seqs)) and seqs[0] > cursor  # in order, nothing twice, nothing old
        sup = live.client("alpha-sup")  # and a live event after the replay
        assert sup.post("/api/v1/projects/alpha/operators/op1/state", json={"state": "break"}).status_code == 200
        changed = ws.wait("operator.state_changed")
        assert changed["data"]["to"] == "break" and changed["seq"] > seqs[-1]
    mine = [e for e in sup.get("/api/v1/projects/alpha/events", params={"after": cursor, "limit": 1000})
            .json()["items"] if e["operator_id"] == "op1"]
    assert [e["seq"] for e in mine][: len(seqs)] == seqs


def test_offer_times_out_on_the_wall_clock_and_goes_to_the_next_operator(live: Live) -> None:
    admin = live.client("alpha-admin")
    assert admin.put("/api/v1/projects/alpha/queues/sales", json={
        "strategy": "round_robin", "offer_timeout_s": 0.4, "wrap_up_s": 60}).status_code == 200
    op1, op2 = live.client("alpha-op1"), live.client("alpha-op2")
    with open_stream(live.ws_url, op1, "alpha") as ws1, open_stream(live.ws_url, op2, "alpha") as ws2:
        assert ws1.command(action="state", state="available")["ok"]
        assert ws2.command(action="state", state="available")["ok"]
        contact = _ingest(live, "rona-1", channel="voice")
        streams = {"op1": ws1, "op2": ws2}
        sup = live.client("alpha-sup")
        deadline = time.monotonic() + 5
        while not (offers := sup.get("/api/v1/projects/alpha/events", params={
                "contact_id": contact, "type": "offer.created"}).json()["items"]):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        first = offers[0]["operator_id"]
        other = "op2" if first == "op1" else "op1"
        created = streams[first].wait("offer.created", contact_id=contact)
        timed_out = streams[first].wait("offer.timed_out", contact_id=contact, timeout=5)
        assert 0.4 <= timed_out["at"] - created["at"] < 2.0
        second = streams[other].wait("offer.created", contact_id=contact, timeout=5)
        assert second["at"] >= timed_out["at"]


def test_supervisor_stream_sees_the_whole_project(live: Live) -> None:
    sup = live.client("alpha-sup")
    with open_stream(live.ws_url, sup, "alpha") as ws:
        contact = _ingest(live, "sup-1")
        ws.wait("contact.arrived", contact_id=contact)
        ws.wait("contact.queued", contact_id=contact)
        reply = ws.command(action="state", state="available")
        assert not reply["ok"] and reply["error"]["code"] == "auth.not_an_operator"


def test_a_socket_opens_while_a_batch_holds_the_project(live: Live) -> None:
    """The hello does not wait for the batch being written: the event loop asks for the
    last committed seq while the ingest holds the project's lock, and every socket and
    request of the server waited on that loop with it."""
    _ingest(live, "chat-before")  # something committed: the hello's seq is not 0
    svc = live.hub.service("alpha")
    held, release = threading.Event(), threading.Event()

    def batch() -> None:
        with svc.lock:
            held.set()
            release.wait(10)

    writer = threading.Thread(target=batch)
    writer.start()
    try:
        assert held.wait(5)
        started = time.monotonic()
        with open_stream(live.ws_url, live.client("alpha-op1"), "alpha", after=None) as ws:
            ws.drain(0.2)
            waited = time.monotonic() - started
            assert ws.hello is not None and ws.hello["seq"] == svc.last_seq() > 0
        assert waited < 2.0, f"the socket's hello waited {waited:.1f} s for the batch"
    finally:
        release.set()
        writer.join()
