"""Recovery after a complaint, through the API an admin and an operator use on a live server
(SQLite and PostgreSQL): the queue's ``recovery_after_complaint_s`` is stored and read back;
after a conversation the operator classified as a complaint their slot stays in wrap-up, so
the next customer waits; saving the disposition again ("I am ready") ends it at once; when
nobody does, it ends by itself after that time and the contact closes with the saved
disposition; any other contact type closes at once. The engine's side (exact times on an
injected clock, the snapshot) is tests/routing/test_recovery_after_complaint.py."""

from __future__ import annotations

import time
from contextlib import closing
from typing import Any

import httpx

from tests.server.conftest import Live
from tests.server.wsutil import open_stream

P = "/api/v1/projects/alpha"
#: The queue's settings besides the recovery, as the test world has them.
SALES = {"strategy": "round_robin", "offer_timeout_s": 30, "wrap_up_s": 60}


def chat(adapter: httpx.Client, key: str) -> str:
    """A customer writes to ``sales``; the conversation's id."""
    answer = adapter.post(f"{P}/ingest/messages", json={
        "channel": "chat", "external_id": key, "queue": "sales", "text": "Заказ опять опоздал, это безобразие",
        "customer": {"id": f"c-{key}", "name": f"Клиент {key}"}})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["conversation_id"])


def take(op: httpx.Client, conversation: str) -> None:
    """op1 accepts the offer of ``conversation`` (waiting for it, on a loaded machine) and replies."""
    deadline = time.monotonic() + 15
    while (offer := offer_to_op1(op, conversation)) is None:
        assert time.monotonic() < deadline, f"{conversation} was never offered to op1"
        time.sleep(0.05)
    assert op.post(f"{P}/offers/{offer}/accept").status_code == 200
    sent = op.post(f"{P}/conversations/{conversation}/messages", json={"text": "Понимаю вас, сейчас разберусь."})
    assert sent.status_code == 201, sent.text


def offer_to_op1(client: httpx.Client, conversation: str) -> str | None:
    shown = client.get(f"{P}/conversations/{conversation}")
    assert shown.status_code == 200, shown.text
    return next((str(o["offer_id"]) for o in shown.json()["offers"] if o["operator_id"] == "op1"), None)


def dispose(op: httpx.Client, conversation: str, contact_type: str, notes: str = "") -> None:
    done = op.post(f"{P}/conversations/{conversation}/disposition",
                   json={"contact_type": contact_type, "resolved": True, "notes": notes})
    assert done.status_code == 200, done.text


def state_of(client: httpx.Client, conversation: str) -> Any:
    return client.get(f"{P}/conversations/{conversation}").json()["state"]


def one_operator_one_chat(admin: httpx.Client, recovery_s: float) -> dict[str, Any]:
    """The queue with this recovery time, saved through the API; op1 alone and able to take
    one chat at a time, so a slot in recovery is all they have."""
    saved = admin.put(f"{P}/queues/sales", json={**SALES, "recovery_after_complaint_s": recovery_s})
    assert saved.status_code == 200, saved.text
    profile = admin.put(f"{P}/operators/op1", json={"queues": ["sales"], "capacity": {"voice": 1, "chat": 1}})
    assert profile.status_code == 200, profile.text
    for operator, state in (("op1", "available"), ("op2", "offline")):
        assert admin.post(f"{P}/operators/{operator}/state", json={"state": state}).status_code == 200
    queue: dict[str, Any] = saved.json()
    return queue


def test_the_setting_is_stored_and_a_complaint_keeps_the_operator_in_wrap_up_until_they_are_ready(
        live: Live) -> None:
    with closing(live.client("alpha-admin")) as admin, closing(live.client("alpha-sup")) as sup, \
            closing(live.client("alpha-op1")) as op, closing(live.token_client("alpha")) as adapter:
        assert op.put(f"{P}/queues/sales", json={**SALES, "recovery_after_complaint_s": 600}).status_code == 403
        bad = admin.put(f"{P}/queues/sales", json={**SALES, "recovery_after_complaint_s": -5})
        assert bad.status_code == 422 and "recovery_after_complaint_s" in bad.text
        assert one_operator_one_chat(admin, 600)["recovery_after_complaint_s"] == 600
        assert sup.get(f"{P}/queues/sales").json()["recovery_after_complaint_s"] == 600, "read back as stored"

        angry = chat(adapter, "angry")
        take(op, angry)
        dispose(op, angry, "complaint", "вернули деньги")
        assert state_of(sup, angry) == "wrap_up", "the complaint is not closed: the operator recovers"
        me = op.get(f"{P}/operators/op1").json()
        assert me["presence"] == "wrap_up" and me["contacts"] == [angry]
        # The next customer is not offered to the recovering operator. Routing decides on
        # arrival, inside the ingest's command: had op1 been free, the offer would exist now.
        waiting = chat(adapter, "next")
        assert state_of(sup, waiting) == "waiting" and op.get(f"{P}/operators/op1").json()["offers"] == []

        # "I am ready": saving again ends the recovery now, with what was saved.
        dispose(op, angry, "complaint", "готова")
        assert state_of(sup, angry) == "closed"
        assert sup.get(f"{P}/conversations/{angry}").json()["disposition"]["contact_type"] == "complaint"
        take(op, waiting)

        # Any other contact type closes at once: no recovery, the operator is free again.
        dispose(op, waiting, "new_inquiry")
        assert state_of(sup, waiting) == "closed"
        assert op.get(f"{P}/operators/op1").json()["presence"] == "available"


def test_the_recovery_ends_by_itself_after_the_queues_time_and_closes_with_the_saved_disposition(
        live: Live) -> None:
    recovery = 2.0
    with closing(live.client("alpha-admin")) as admin, closing(live.client("alpha-sup")) as sup, \
            closing(live.client("alpha-op1")) as op, closing(live.token_client("alpha")) as adapter, \
            open_stream(live.ws_url, sup, "alpha", after=None) as stream:
        one_operator_one_chat(admin, recovery)
        angry = chat(adapter, "angry")
        take(op, angry)
        disposed_at = time.monotonic()
        dispose(op, angry, "complaint", "извинилась")
        waiting = chat(adapter, "next")
        closed = stream.wait("contact.closed", timeout=20, contact_id=angry)
        assert time.monotonic() - disposed_at >= recovery, "closed no earlier than the recovery time"
        ended = stream.wait("contact.wrap_up_ended", contact_id=angry)
        assert ended["data"]["timed_out"] is False and ended["data"]["wrap_s"] >= recovery
        assert ended["seq"] < closed["seq"]
        saved = sup.get(f"{P}/conversations/{angry}").json()["disposition"]
        assert (saved["contact_type"], saved["notes"]) == ("complaint", "извинилась")
        # Recovered: the customer who waited is offered to the operator now.
        take(op, waiting)
