"""Flags on customers through the real API: an operator flags a suspected competitor and a
blocked customer, saying why; the project's policy sends the competitor's next contact to
the senior queue and turns the blocked one away with a message; a supervisor lifts a flag
and its history stays; operators may not lift flags or set the policy."""

from __future__ import annotations

from contextlib import closing
from typing import Any

from tests.server.conftest import Live


def _chat(live: Live, external_id: str, who: str, text: str) -> str:
    with closing(live.token_client("alpha")) as adapter:
        answer = adapter.post("/api/v1/projects/alpha/ingest/messages", json={
            "channel": "messenger", "external_id": external_id, "queue": "sales",
            "customer": {"id": who, "name": who}, "text": text})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["conversation_id"])


def _events(api: Any, conv: str) -> dict[str, dict[str, Any]]:
    return {e["type"]: e for e in api.get("/api/v1/projects/alpha/events", params={"contact_id": conv}).json()["items"]}


def test_flags_their_policy_and_their_history(live: Live) -> None:
    with closing(live.client("alpha-admin")) as admin, closing(live.client("alpha-op1")) as op, \
            closing(live.client("alpha-sup")) as sup:
        assert admin.put("/api/v1/projects/alpha/queues/senior", json={"strategy": "round_robin"}).status_code == 200
        spy = op.get(f"/api/v1/projects/alpha/conversations/{_chat(live, 'spy-1', 'tg-spy', 'А какие у вас цены?')}"
                     ).json()["customer_id"]
        troll = op.get(f"/api/v1/projects/alpha/conversations/{_chat(live, 'troll-1', 'tg-troll', 'Хамство')}"
                       ).json()["customer_id"]
        flagged = op.put(f"/api/v1/projects/alpha/customers/{spy}/flags/competitor",
                         json={"reason": "выспрашивает оптовые цены, представился по-разному"})
        assert flagged.status_code == 200 and flagged.json()["set_by"] == "alpha-op1", flagged.text
        assert op.put(f"/api/v1/projects/alpha/customers/{troll}/flags/blocked", json={"reason": "оскорбления"}
                      ).status_code == 200
        wrong = op.put(f"/api/v1/projects/alpha/customers/{troll}/flags/spam", json={}, headers={"Accept-Language": "ru"})
        assert wrong.status_code == 422 and "spam" in wrong.json()["error"]["message"]

        assert op.put("/api/v1/projects/alpha/flag-policy", json={}).status_code == 403
        nowhere = admin.put("/api/v1/projects/alpha/flag-policy", json={"competitor_queue": "nowhere"})
        assert nowhere.status_code == 422 and nowhere.json()["error"]["fields"][0]["field"] == "competitor_queue"
        policy = {"competitor_queue": "senior", "blocked_refuse": True, "blocked_text": "Обращения с этого номера не принимаются."}
        assert admin.put("/api/v1/projects/alpha/flag-policy", json=policy).json() == policy

        # Their next contacts: the competitor's to the senior queue, the blocked one turned away with the text.
        for conv in (op.get("/api/v1/projects/alpha/conversations").json()["items"]):
            live.hub.service("alpha").run(lambda e, c=conv["id"]: e.customer_left(c))
        again = _chat(live, "spy-2", "tg-spy", "Снова здравствуйте")
        events = _events(sup, again)
        assert events["contact.arrived"]["data"]["flags"] == ["competitor"]
        assert events["contact.queued"]["queue"] == "senior"
        blocked = _chat(live, "troll-2", "tg-troll", "Опять я")
        events = _events(sup, blocked)
        assert events["contact.arrived"]["data"]["flags"] == ["blocked"]
        assert "contact.queued" not in events
        assert (events["contact.closed"]["data"]["outcome"], events["contact.closed"]["data"]["reason"]) == \
            ("message", "blocked")
        assert events["message.sent"]["data"]["text"] == "Обращения с этого номера не принимаются."

        card = op.get(f"/api/v1/projects/alpha/customers/{spy}").json()
        assert [(f["kind"], f["reason"]) for f in card["flags"]] == [
            ("competitor", "выспрашивает оптовые цены, представился по-разному")]
        assert op.delete(f"/api/v1/projects/alpha/customers/{spy}/flags/competitor").status_code == 403
        assert sup.delete(f"/api/v1/projects/alpha/customers/{spy}/flags/competitor").status_code == 204
        assert sup.delete(f"/api/v1/projects/alpha/customers/{spy}/flags/competitor").status_code == 404
        assert op.get(f"/api/v1/projects/alpha/customers/{spy}").json()["flags"] == []
        [lifted] = op.get(f"/api/v1/projects/alpha/customers/{spy}/flags").json()["items"]
        assert (lifted["cleared_by"], lifted["set_by"]) == ("alpha-sup", "alpha-op1")  # the history stays
