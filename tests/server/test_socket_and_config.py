"""Configuration that points nowhere is refused; the operators' socket answers every bad
frame clearly and stays open; the stream starts from now, and a client reading state over
REST then streaming after its seq misses nothing; managers may set anybody's state."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from dozvon.accounts import actions as accounts
from tests.server.conftest import Live
from tests.server.wsutil import open_stream


@pytest.mark.parametrize("setting", [{"on_max_wait": {"kind": "overflow", "target_queue": "nowhere"}},
                                     {"on_full": {"kind": "overflow", "target_queue": "nowhere"}},
                                     {"escalation_queue": "nowhere"}])
def test_a_queue_that_sends_contacts_to_a_missing_queue_is_refused_naming_the_field(
        live: Live, setting: dict[str, object]) -> None:
    admin = live.client("alpha-admin")
    answer = admin.put("/api/v1/projects/alpha/queues/q9", json=setting,
                       headers={"Accept-Language": "ru"})
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    field = next(iter(setting)) + (".target_queue" if "target_queue" in str(setting) else "")
    assert error["params"]["field"] == field and "nowhere" in error["message"]
    assert error["fields"][0]["field"] == field
    assert "нет очереди" in error["message"]
    assert admin.get("/api/v1/projects/alpha/queues/q9").status_code == 404  # nothing half-written
    assert admin.put("/api/v1/projects/alpha/queues/q9", json={"escalation_queue": "sales"}).status_code == 200


def test_the_stream_starts_from_now_and_rest_state_carries_the_seq_to_resume_from(live: Live) -> None:
    op = live.client("alpha-op1")
    assert op.post("/api/v1/projects/alpha/operators/op1/state", json={"state": "available"}).status_code == 200
    state = op.get("/api/v1/projects/alpha/operators/op1").json()
    seq = state["seq"]
    # Something happens between reading the state and connecting:
    contact = live.token_client("alpha").post("/api/v1/projects/alpha/ingest/contacts", json={
        "channel": "chat", "external_id": "gap-1", "queue": "sales", "text": "hi"}).json()["conversation_id"]
    with open_stream(live.ws_url, op, "alpha", after=None) as fresh:
        fresh.drain(0.3)
        assert fresh.hello is not None and fresh.hello["seq"] > seq
        assert fresh.events == []  # no history replayed without ?after=
    with open_stream(live.ws_url, op, "alpha", after=seq) as resumed:
        offer = resumed.wait("offer.created", contact_id=contact)  # the gap is covered
        assert offer["seq"] > seq
        resumed.drain(0.3)
        assert all(e["seq"] > seq for e in resumed.events)


def test_bad_frames_get_clear_answers_and_the_socket_stays_open(live: Live) -> None:
    with open_stream(live.ws_url, live.client("alpha-op1"), "alpha", after=None) as ws:
        ws.drain(0.2)  # the hello
        deep = "[" * 5000 + "]" * 5000
        for frame, code in ((deep, "stream.too_deep"), ("x" * 70000, "stream.frame_too_large"),
                            ('{"action": "accept",\n "offer_id" "of1"}', "stream.bad_json"), ("[1]", "stream.not_an_object")):
            ws.ws.send(frame)
            reply = json.loads(ws.ws.recv(timeout=10))
            assert reply["ok"] is False and reply["error"]["code"] == code, reply
            if code == "stream.bad_json":
                assert "line 2, column 13" in reply["error"]["message"], reply
        unknown = ws.command(action="explode")
        assert unknown["error"]["code"] == "api.unknown_action" and "explode" in unknown["error"]["message"]
        bad_type = ws.command(action="dispose", conversation_id="c1", contact_type="angry", resolved=True)
        message = bad_type["error"]["message"]
        assert all(t in message for t in ("new_inquiry", "clarification", "regular", "complaint", "partner",
                                          "competitor")), message
        assert ws.command(action="state", state="available")["ok"]  # still open and working


def test_a_stream_cursor_that_is_not_a_number_is_a_422(live: Live) -> None:
    op = live.client("alpha-op1")
    cookie = "; ".join(f"{k}={v}" for k, v in op.cookies.items())
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{live.ws_url}/api/v1/projects/alpha/stream?after=abc", additional_headers={"Cookie": cookie},
                open_timeout=10)
    assert refused.value.response.status_code == 422
    assert json.loads(refused.value.response.body)["error"]["code"] == "stream.bad_after"


def test_a_token_with_operators_manage_sets_anybodys_state_and_operators_self_only_ones_own(live: Live) -> None:
    with live.hub.sessions.begin() as session:
        manage, _ = accounts.create_token(session, "test", "alpha", "wfm", ["operators:manage"])
        own, _ = accounts.create_token(session, "test", "alpha", "kiosk", ["operators:self"])
    url = "/api/v1/projects/alpha/operators/op2/state"
    answer = live.client().post(url, json={"state": "break", "reason": "lunch"},
                                headers={"Authorization": f"Bearer {manage}"})
    assert answer.status_code == 200 and answer.json()["state"] == "break", answer.text
    answer = live.client().post(url, json={"state": "available"}, headers={"Authorization": f"Bearer {own}"})
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "auth.not_yours"


def test_a_queue_others_send_contacts_to_or_holding_contacts_cannot_be_deleted(live: Live) -> None:
    admin = live.client("alpha-admin")
    assert admin.put("/api/v1/projects/alpha/queues/seniors", json={}).status_code == 200
    assert admin.put("/api/v1/projects/alpha/queues/sales", json={
        "strategy": "round_robin", "escalation_queue": "seniors"}).status_code == 200
    refused = admin.delete("/api/v1/projects/alpha/queues/seniors")
    assert refused.status_code == 409 and "sales" in refused.json()["error"]["message"], refused.text
    live.token_client("alpha").post("/api/v1/projects/alpha/ingest/contacts", json={
        "channel": "voice", "external_id": "busy-1", "queue": "sales"})
    assert admin.put("/api/v1/projects/alpha/queues/sales", json={"strategy": "round_robin"}).status_code == 200
    busy = admin.delete("/api/v1/projects/alpha/queues/sales")
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "routing.queue_in_use", busy.text
    assert admin.delete("/api/v1/projects/alpha/queues/seniors").status_code == 204
    assert admin.get("/api/v1/projects/alpha/queues/seniors").status_code == 404
    # Gone for good: a restarted server does not bring it back.
    live.stop()
    from tests.server.conftest import start_server

    again = start_server(live.database_url)
    try:
        names = [q["name"] for q in again.client("alpha-admin").get("/api/v1/projects/alpha/queues").json()["items"]]
        assert names == ["sales"]
    finally:
        again.stop()
