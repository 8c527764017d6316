"""Segment rules through the real API: an administrator sets them, the next contacts are
classified by them (a custom rule on an imported attribute), bad values are refused
naming the field, and operators may read but not change them."""

from __future__ import annotations

from contextlib import closing

from dozvon.crm import actions as crm
from tests.server.conftest import Live


def test_rules_are_set_used_at_the_next_contact_and_refused_when_wrong(live: Live) -> None:
    rules = {"regular_contacts": 2, "regular_days": 30, "lost_days": 120,
             "custom": [{"segment": "wholesale", "attribute": "type", "equals": "опт", "priority": 40}]}
    with closing(live.client("alpha-admin")) as admin, closing(live.client("alpha-op1")) as op:
        answer = admin.put("/api/v1/projects/alpha/segments", json=rules)
        assert answer.status_code == 200, answer.text
        assert op.get("/api/v1/projects/alpha/segments").json() == rules
        assert op.put("/api/v1/projects/alpha/segments", json=rules).status_code == 403
        bad = admin.put("/api/v1/projects/alpha/segments", json={**rules, "regular_days": 0},
                        headers={"Accept-Language": "ru"})
        assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "regular_days"
        assert admin.get("/api/v1/projects/alpha/segments").json() == rules  # unchanged
        with live.hub.sessions.begin() as session:
            crm.create_customer(session, "test", "alpha", "ООО Опт", identities=[("email", "opt@example.ru")],
                                attributes={"type": "Опт"})
        with closing(live.token_client("alpha")) as adapter:
            conv = adapter.post("/api/v1/projects/alpha/ingest/contacts", json={
                "channel": "email", "external_id": "seg-1", "queue": "sales",
                "customer": {"id": "OPT@example.ru"}, "text": "Прайс на опт"}).json()["conversation_id"]
        events = admin.get("/api/v1/projects/alpha/events", params={"contact_id": conv}).json()["items"]
        arrived = next(e for e in events if e["type"] == "contact.arrived")
        queued = next(e for e in events if e["type"] == "contact.queued")
        assert arrived["data"]["segment"] == "wholesale" and queued["data"]["priority"] == 40
        customer = op.get(f"/api/v1/projects/alpha/conversations/{conv}").json()["customer_id"]
        assert op.get(f"/api/v1/projects/alpha/customers/{customer}").json()["segment"] == "wholesale"
        report = admin.get("/api/v1/projects/alpha/reports/kpi", params={"by": "segment", "period": "all"}).json()
        assert [r["segment"] for r in report["rows"]] == ["wholesale"]
