"""An operator's own quick replies through the real API (SQLite and PostgreSQL): only their
author sees them — in the composer's list, where one wins over the project's reply with
the same keyword, and in the suggestions — and only their author may change or delete
them; the project's replies stay the settings' (settings:manage)."""

from __future__ import annotations

from contextlib import closing

from sqlalchemy import select

from dozvon.accounts.models import AuditEntry
from tests.server.conftest import Live

PROJECT = "/api/v1/projects/alpha/quick-replies"
MINE = "/api/v1/projects/alpha/my-quick-replies"


def test_a_personal_reply_is_its_author_s_alone_and_wins_over_the_project_s_keyword(live: Live) -> None:
    with closing(live.client("alpha-sup")) as sup, closing(live.client("alpha-op1")) as op1, \
            closing(live.client("alpha-op2")) as op2, closing(live.token_client("alpha")) as adapter:
        shared = sup.post(PROJECT, json={"shortcut": "доставка", "title": "Доставка",
                                         "text": "Доставка по Москве — 1 день."}).json()
        assert sup.post(PROJECT, json={"shortcut": "оплата", "text": "Оплата картой или наличными."}).status_code == 201
        mine = op1.post(MINE, json={"shortcut": "/Доставка", "title": "Моя доставка",
                                    "text": "{customer.first_name}, привезём завтра, доставка бесплатная!"})
        assert mine.status_code == 201, mine.text
        own = mine.json()
        assert own["personal"] is True and own["shortcut"] == "доставка"
        extra = op1.post(MINE, json={"shortcut": "ковры", "text": "Ковры ручной работы — в каталоге."}).json()

        listed = op1.get(PROJECT).json()["items"]
        assert [(r["shortcut"], r["personal"], r["text"][:10]) for r in listed] == [
            ("доставка", True, "{customer."), ("ковры", True, "Ковры ручн"), ("оплата", False, "Оплата кар")]
        assert [r["shortcut"] for r in op1.get(PROJECT, params={"scope": "mine"}).json()["items"]] == [
            "доставка", "ковры"]
        assert shared["id"] in [r["id"] for r in op1.get(PROJECT, params={"scope": "project"}).json()["items"]]
        theirs = op2.get(PROJECT).json()["items"]
        assert [(r["shortcut"], r["personal"]) for r in theirs] == [("доставка", False), ("оплата", False)]
        assert op2.get(PROJECT, params={"scope": "mine"}).json()["items"] == []

        # Only the author changes or deletes it; to anybody else it does not exist.
        assert op2.put(f"{MINE}/{own['id']}", json={"shortcut": "x", "text": "взлом"}).status_code == 404
        assert op2.delete(f"{MINE}/{own['id']}").status_code == 404
        assert sup.put(f"{PROJECT}/{own['id']}", json={"shortcut": "x", "text": "взлом"}).status_code == 404
        assert sup.delete(f"{PROJECT}/{own['id']}").status_code == 404
        assert op1.put(f"{MINE}/{shared['id']}", json={"shortcut": "x", "text": "взлом"}).status_code == 404
        assert op1.post(PROJECT, json={"shortcut": "x", "text": "Проектный"}).status_code == 403
        assert adapter.post(MINE, json={"shortcut": "x", "text": "токен"}).status_code == 403
        twice = op1.post(MINE, json={"shortcut": "ковры", "text": "Ещё раз"}, headers={"Accept-Language": "ru"})
        assert twice.status_code == 409
        assert twice.json()["error"]["fields"][0]["field"] == "shortcut"
        assert "у вас уже есть быстрый ответ /ковры" in twice.json()["error"]["message"]
        bad = op1.post(MINE, json={"shortcut": "имя", "text": "Привет, {customer.middle_name}"})
        assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "text"
        # op2 may use the same keyword for their own.
        assert op2.post(MINE, json={"shortcut": "ковры", "text": "Мои ковры"}).status_code == 201

        chat = adapter.post("/api/v1/projects/alpha/ingest/messages", json={
            "channel": "chat", "external_id": "pr-1", "queue": "sales", "customer": {"id": "v1"},
            "text": "Когда будет доставка ковра?"})
        conversation = chat.json()["conversation_id"]
        suggested = op1.get(f"/api/v1/projects/alpha/conversations/{conversation}/suggestions").json()
        assert [(r["shortcut"], r["personal"]) for r in suggested["quick_replies"]][:2] == [
            ("доставка", True), ("ковры", True)]
        suggested = op2.get(f"/api/v1/projects/alpha/conversations/{conversation}/suggestions").json()
        assert ("доставка", False) in [(r["shortcut"], r["personal"]) for r in suggested["quick_replies"]]
        assert all(r["id"] not in (own["id"], extra["id"]) for r in suggested["quick_replies"])

        changed = op1.put(f"{MINE}/{own['id']}", json={"shortcut": "доставка", "text": "Привезём послезавтра."})
        assert changed.status_code == 200 and changed.json()["text"] == "Привезём послезавтра."
        assert op1.delete(f"{MINE}/{own['id']}").status_code == 204
        listed = op1.get(PROJECT).json()["items"]
        assert ("доставка", False) in [(r["shortcut"], r["personal"]) for r in listed]  # the project's again
    with live.hub.sessions() as session:
        details = [e.details for e in session.scalars(select(AuditEntry).where(
            AuditEntry.project == "alpha", AuditEntry.action.like("quick_reply.%")))]
    assert sum(1 for d in details if d.get("personal")) == 5  # op1: 2 saved, 1 changed, 1 deleted; op2: 1
