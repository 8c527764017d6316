"""The checks run by the server on every closed conversation, through the real HTTP API and
the operator's WebSocket, on SQLite and PostgreSQL; the suggested contact type pre-fills
the wrap-up form's data, a suspected complaint alerts the supervisors and can move a
waiting contact; settings, the classifier and the figures over HTTP."""

from __future__ import annotations

import time
from typing import Any

from dozvon.routing.model import QueueConfig
from tests.server.conftest import Live
from tests.server.wsutil import Stream, open_stream

API = "/api/v1/projects/alpha"


def _chat(live: Live, ws: Stream, external: str, customer: str, first: str) -> str:
    adapter = live.token_client("alpha")
    answer = adapter.post(f"{API}/ingest/messages", json={
        "channel": "messenger", "external_id": external, "queue": "sales",
        "customer": {"id": customer, "name": "Алексей"}, "text": first})
    assert answer.status_code == 201, answer.text
    conv_id: str = answer.json()["conversation_id"]
    offer = ws.wait("offer.created", contact_id=conv_id)
    assert ws.command(action="accept", offer_id=offer["data"]["offer_id"])["ok"]
    ws.wait("contact.answered", contact_id=conv_id)
    return conv_id


def _say(ws: Stream, conv_id: str, *texts: str) -> None:
    for text in texts:
        assert ws.command(action="send", conversation_id=conv_id, text=text)["ok"]


def _close(live: Live, ws: Stream, conv_id: str, kind: str) -> None:
    op = live.client("alpha-op1")
    assert ws.command(action="end", conversation_id=conv_id)["ok"]
    disposed = op.post(f"{API}/conversations/{conv_id}/disposition",
                       json={"contact_type": kind, "resolved": True, "notes": ""})
    assert disposed.status_code == 200, disposed.text
    ws.wait("contact.closed", contact_id=conv_id)


def _checked(ws: Stream, conv_id: str) -> dict[str, Any]:
    """The ``quality.checked`` of a conversation (it names it in its data: the contact has closed)."""
    while True:
        event = ws.wait("quality.checked", timeout=15)
        if event["data"]["conversation_id"] == conv_id:
            assert event["contact_id"] is None
            return event


def _until(fetch: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if value:
            return value
        assert time.monotonic() < deadline, "the server did not get to it in time"
        time.sleep(0.1)


def test_a_closed_chat_is_checked_by_the_server_and_its_failures_are_explained(live: Live) -> None:
    op = live.client("alpha-op1")
    sup = live.client("alpha-sup")
    # The alert is for the supervisors: the operator's stream carries it only when the contact
    # is already theirs, and the suggester may get to the first message before the offer is
    # accepted (then the event names no operator).
    with open_stream(live.ws_url, op, "alpha") as ws, open_stream(live.ws_url, sup, "alpha") as board:
        assert ws.command(action="state", state="available")["ok"]
        rude = _chat(live, ws, "tg-1", "cust-1", "Здравствуйте! Это безобразие, где мой заказ?")
        # The wrap-up form's data carries the suggestion as soon as the first message is read.
        suggested = _until(lambda: op.get(f"{API}/conversations/{rude}").json()["contact_type_suggestion"]
                           .get("suggested_at") and op.get(f"{API}/conversations/{rude}").json())
        assert suggested["suggested_contact_type"] == "complaint"
        assert suggested["contact_type_suggestion"]["reason"] == "complaint_words"
        alert = board.wait("quality.complaint_suspected", contact_id=rude)
        assert alert["data"]["cues"] == ["безобразие"]
        _say(ws, rude, "Добрый день. Не ваше дело, где он.", "Я вам перезвоню завтра.")
        _close(live, ws, rude, "complaint")
        checked = _checked(ws, rude)
        assert checked["operator_id"] == "op1"
        assert set(checked["data"]["failed"]) == {"politeness", "empathy", "farewell", "callback_promise"}

        fine = _chat(live, ws, "tg-2", "cust-2", "Hello, how much is delivery to Minsk?")
        _say(ws, fine, "Good afternoon! Delivery to Minsk is free. Have a nice day!")
        _close(live, ws, fine, "new_inquiry")
        assert _checked(ws, fine)["data"] == {"conversation_id": fine, "score": 100, "failed": []}

    result = sup.get(f"{API}/conversations/{rude}/quality").json()
    assert result["checked"] and result["operator_id"] == "op1" and result["score"] < 50
    politeness = result["checks"]["politeness"]
    assert politeness["passed"] is False
    assert politeness["evidence"][0]["words"] == ["не ваше дело"]
    assert politeness["evidence"][0]["found"] == ["Не ваше дело"]
    assert politeness["evidence"][0]["message"] == 1  # the customer's message is 0
    promise = result["checks"]["callback_promise"]["evidence"][0]
    assert promise["found"] == ["перезвоню"]
    assert result["checks"]["greeting"]["passed"] and result["checks"]["unanswered_question"]["passed"]
    conv = sup.get(f"{API}/conversations/{rude}").json()
    assert conv["quality"] == {"score": result["score"], "failed": result["failed"]}
    card = sup.get(f"{API}/customers/{conv['customer_id']}").json()  # the desktop's history of the customer
    assert card["conversations"][0]["id"] == rude and card["conversations"][0]["quality"] == conv["quality"]

    # Erasing the customer's data takes the quotes out of the evidence; the findings stay.
    erased = live.client("alpha-admin").post(f"{API}/customers/{conv['customer_id']}/erase")
    assert erased.status_code == 200 and erased.json()["quality"] == 2  # the results and the suggestion
    after = sup.get(f"{API}/conversations/{rude}/quality").json()
    assert after["failed"] == result["failed"]
    quote = after["checks"]["politeness"]["evidence"][0]
    assert (quote["text"], quote["found"], quote["words"]) == ("", [], ["не ваше дело"])
    suggestion = sup.get(f"{API}/conversations/{rude}/quality/suggestion").json()
    assert suggestion["evidence"] == [{"message": 0, "word": "безобразие", "found": ""}]

    # The figures per operator, and the flagged conversations for the evaluation queue.
    report = sup.get(f"{API}/quality/report").json()
    mine = next(r for r in report["items"] if r["key"] == "op1")
    assert mine["conversations"] == 2 and mine["failed_conversations"] == 1
    assert mine["failures"] == {"farewell": 1, "politeness": 1, "empathy": 1, "callback_promise": 1}
    assert [f["conversation_id"] for f in sup.get(f"{API}/quality/flagged").json()["items"]] == [rude]
    # Another tenant sees none of it.
    assert live.client("beta-sup").get("/api/v1/projects/beta/quality/report").json()["items"] == []
    assert live.client("beta-sup").get(f"{API}/conversations/{rude}/quality").status_code == 403


def test_a_task_for_the_promised_call_keeps_the_promise(live: Live) -> None:
    op = live.client("alpha-op1")
    with open_stream(live.ws_url, op, "alpha") as ws:
        assert ws.command(action="state", state="available")["ok"]
        conv = _chat(live, ws, "tg-3", "cust-3", "Добрый день, когда привезут диван?")
        _say(ws, conv, "Здравствуйте! Уточню у склада и перезвоню вам через час. Всего доброго!")
        task = op.post(f"{API}/tasks", json={"title": "Перезвонить про диван", "kind": "callback",
                                              "due_at": time.time() + 3600, "conversation_id": conv})
        assert task.status_code == 201, task.text
        _close(live, ws, conv, "new_inquiry")
        checked = _checked(ws, conv)
    assert checked["data"]["failed"] == []
    result = op.get(f"{API}/conversations/{conv}/quality").json()
    kept = result["checks"]["callback_promise"]
    assert kept["passed"] and any(e.get("event") == "task.created" for e in kept["evidence"])


def test_a_suspected_complaint_moves_a_waiting_contact_to_the_complaints_queue(live: Live) -> None:
    svc = live.hub.service("alpha")
    svc.run(lambda e: e.add_queue(QueueConfig(name="complaints", strategy="round_robin", offer_timeout_s=30,
                                              wrap_up_s=60)))
    sup = live.client("alpha-sup")
    put = sup.put(f"{API}/quality/settings", json={"complaint_queue": "complaints"})
    assert put.status_code == 200, put.text
    adapter = live.token_client("alpha")
    answer = adapter.post(f"{API}/ingest/messages", json={
        "channel": "messenger", "external_id": "tg-9", "queue": "sales", "customer": {"id": "cust-9"},
        "text": "Я очень недоволен, это ужасно"})
    conv_id = answer.json()["conversation_id"]
    moved = _until(lambda: sup.get(f"{API}/conversations/{conv_id}").json()["queue"] == "complaints")
    assert moved
    events = sup.get(f"{API}/events", params={"contact_id": conv_id}).json()["items"]
    alert = next(e for e in events if e["type"] == "quality.complaint_suspected")
    assert alert["data"] == {"cues": ["недоволен", "ужасно"], "moved_to": "complaints"}
    reassigned = next(e for e in events if e["type"] == "contact.reassigned")
    assert reassigned["data"] == {"to_queue": "complaints", "by": "quality"}


def test_settings_are_validated_field_by_field_and_change_the_checks(live: Live) -> None:
    sup = live.client("alpha-sup", headers={"Accept-Language": "ru"})
    assert sup.get(f"{API}/quality/settings").json()["chat"] == {"first_reply_s": 60.0, "reply_s": 180.0}
    bad = sup.put(f"{API}/quality/settings", json={"chat": {"first_reply_s": -1}, "enabled": {"nonsense": False}})
    assert bad.status_code == 422
    fields = {f["field"] for f in bad.json()["error"]["fields"]}
    assert {"chat.first_reply_s", "enabled.nonsense.[key]"} <= fields or len(fields) == 2, fields
    unknown_queue = sup.put(f"{API}/quality/settings", json={"complaint_queue": "nowhere"})
    assert unknown_queue.status_code == 422 and "nowhere" in unknown_queue.json()["error"]["message"]
    good = sup.put(f"{API}/quality/settings", json={
        "enabled": {"farewell": False}, "words": {"ru": {"rude": {"add": ["ерундить"], "remove": ["ерунда"]}}}})
    assert good.status_code == 200, good.text
    assert sup.get(f"{API}/quality/settings").json()["words"]["ru"]["rude"]["add"] == ["ерундить"]
    assert live.client("alpha-op1").put(f"{API}/quality/settings", json={}).status_code == 403

    op = live.client("alpha-op1")
    with open_stream(live.ws_url, op, "alpha") as ws:
        assert ws.command(action="state", state="available")["ok"]
        conv = _chat(live, ws, "tg-5", "cust-5", "Здравствуйте, это ерунда какая-то")
        _say(ws, conv, "Добрый день! Не ерундите.")
        _close(live, ws, conv, "new_inquiry")
        checked = _checked(ws, conv)
    assert checked["data"]["failed"] == ["politeness"]  # farewell is off; «ерундите» is a form of «ерундить»


def test_the_classifier_refuses_to_train_on_too_little_and_says_so(live: Live) -> None:
    sup = live.client("alpha-sup", headers={"Accept-Language": "ru"})
    assert sup.get(f"{API}/quality/classifier").json()["trained"] is False
    refused = sup.post(f"{API}/quality/classifier/train")
    assert refused.status_code == 422
    assert "Слишком мало" in refused.json()["error"]["message"]
    assert live.client("alpha-op1").post(f"{API}/quality/classifier/train").status_code == 403
