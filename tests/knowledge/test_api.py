"""The knowledge base through the real API on a real server (SQLite and PostgreSQL):
a supervisor writes articles, an operator searches them and gets suggestions for the
customer's last message; the other tenant sees none of it; bad input is refused beside
its field; the viewer may not read, the operator may not write."""

from __future__ import annotations

from contextlib import closing
from typing import Any

from sqlalchemy import select

from dozvon.accounts.models import AuditEntry
from tests.knowledge.articles import ARTICLES
from tests.server.conftest import Live

KB = "/api/v1/projects/alpha/kb/articles"


def _add(client: Any, article: dict[str, Any], project: str = "alpha") -> dict[str, Any]:
    answer = client.post(f"/api/v1/projects/{project}/kb/articles", json=article)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_supervisor_writes_operator_searches_and_gets_suggestions(live: Live) -> None:
    with closing(live.client("alpha-sup")) as sup, closing(live.client("alpha-op1")) as op, \
            closing(live.token_client("alpha")) as adapter:
        ids = {a["title"]: _add(sup, a)["id"] for a in ARTICLES}
        _add(sup, {"title": "Весенняя акция на ковры", "body": "Скидка 15% на ковры.", "promotion": True,
                   "valid_from": "2020-03-01", "valid_until": "2020-03-31"})
        found = op.get(KB, params={"q": "как вернуть ковёр"})
        assert found.status_code == 200, found.text
        first = found.json()["items"][0]
        assert first["id"] == ids["Возврат и обмен товара"] and first["category"] == "Возврат"
        hit_words = [p["text"] for p in first["parts"] if p["hit"]]
        assert "вернуть" in hit_words and "".join(p["text"] for p in first["parts"]) == first["snippet"]
        assert [first["snippet"][s:e] for s, e in first["highlights"]] == hit_words
        assert "акция" not in [i["title"] for i in op.get(KB, params={"q": "акция ковры"}).json()["items"]]
        article = op.get(f"{KB}/{ids['Способы оплаты']}").json()
        assert article["body"].startswith("Принимаем банковские карты") and article["valid_now"] is True
        listed = op.get(KB, params={"category": "Доставка"}).json()
        assert {i["title"] for i in listed["items"]} == {"Доставка по Москве и области", "Доставка в регионы",
                                                         "Самовывоз из пунктов выдачи"}
        assert "Оплата" in listed["categories"] and listed["total"] == len(ARTICLES) + 1

        reply = sup.post("/api/v1/projects/alpha/quick-replies", json={
            "shortcut": "возврат", "title": "Как вернуть товар", "text": "Вернуть товар можно в течение 14 дней."})
        assert reply.status_code == 201, reply.text
        sup.post("/api/v1/projects/alpha/quick-replies", json={"shortcut": "hi", "text": "Здравствуйте!"})
        chat = adapter.post("/api/v1/projects/alpha/ingest/messages", json={
            "channel": "chat", "external_id": "kb-chat", "queue": "sales", "customer": {"id": "v1"},
            "text": "Здравствуйте, ковёр не подошёл по размеру, как его вернуть?"})
        assert chat.status_code == 201, chat.text
        conversation = chat.json()["conversation_id"]
        suggested = op.get(f"/api/v1/projects/alpha/conversations/{conversation}/suggestions")
        assert suggested.status_code == 200, suggested.text
        body = suggested.json()
        assert body["articles"][0]["title"] == "Возврат и обмен товара"
        assert body["quick_replies"][0]["shortcut"] == "возврат"
        assert "ковёр не подошёл" in body["query"]

        changed = sup.put(f"{KB}/{ids['Возврат и обмен товара']}", json={
            "title": "Обмен товара", "body": "Меняем размер ковра за 3 дня."})
        assert changed.status_code == 200, changed.text
        titles = [i["title"] for i in op.get(KB, params={"q": "вернуть ковёр"}).json()["items"]]
        assert "Возврат и обмен товара" not in titles
        assert sup.delete(f"{KB}/{ids['Возврат и обмен товара']}").status_code == 204
        assert op.get(f"{KB}/{ids['Возврат и обмен товара']}").status_code == 404
        assert "Обмен товара" not in [i["title"] for i in op.get(KB, params={"q": "обмен"}).json()["items"]]
    with live.hub.sessions() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.project == "alpha",
                                                                  AuditEntry.action.like("kb_article.%"))).all()
    assert actions.count("kb_article.saved") == len(ARTICLES) + 2 and actions.count("kb_article.deleted") == 1


def test_tenants_permissions_and_bad_input(live: Live) -> None:
    with closing(live.client("alpha-sup")) as sup, closing(live.client("beta-admin")) as beta, \
            closing(live.client("alpha-op1")) as op, closing(live.client("alpha-viewer")) as viewer:
        secret = _add(beta, {"title": "Бета доставка", "body": "Тайная доставка беты"}, project="beta")
        _add(sup, {"title": "Доставка альфы", "body": "Доставка за день"})
        assert [i["title"] for i in op.get(KB, params={"q": "доставка"}).json()["items"]] == ["Доставка альфы"]
        assert op.get(f"{KB}/{secret['id']}").status_code == 404
        assert sup.put(f"{KB}/{secret['id']}", json={"title": "взлом"}).status_code == 404
        assert sup.delete(f"{KB}/{secret['id']}").status_code == 404
        assert op.get("/api/v1/projects/beta/kb/articles", params={"q": "доставка"}).status_code == 403
        assert op.post(KB, json={"title": "Оператор пишет"}).status_code == 403
        assert viewer.get(KB, params={"q": "доставка"}).status_code == 403
        bad = sup.post(KB, json={"title": "Акция", "valid_from": "2026-03-10", "valid_until": "2026-03-01"},
                       headers={"Accept-Language": "ru"})
        assert bad.status_code == 422, bad.text
        [field] = bad.json()["error"]["fields"]
        assert field["field"] == "valid_until" and "раньше" in field["message"]
        bad_date = sup.post(KB, json={"title": "Акция", "valid_from": "10 марта"})
        assert bad_date.status_code == 422 and bad_date.json()["error"]["fields"][0]["field"] == "valid_from"
        assert op.get(f"{KB}/abc").status_code == 422
        missing = op.get("/api/v1/projects/alpha/conversations/nope/suggestions")
        assert missing.status_code == 404
