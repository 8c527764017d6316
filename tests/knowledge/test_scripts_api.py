"""Call scripts through the real API on a real server (SQLite and PostgreSQL): a supervisor
writes them per queue and type of contact, an operator reads the one that applies to a
conversation — its variables filled, the promotions valid today (in the project's time
zone) in its promotions step, an ended promotion gone by itself; bad input is refused
beside its field and nothing is written; operators may not write, viewers may not read,
another tenant's scripts do not exist."""

from __future__ import annotations

import datetime as dt
from contextlib import closing
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from dozvon.accounts.models import AuditEntry
from dozvon.crm.models import Customer
from dozvon.knowledge.models import CallScript
from tests.server.conftest import Live

SCRIPTS = "/api/v1/projects/alpha/scripts"
GREETING = {"title": "Приветствие", "text": "Добрый день, {customer.first_name}! Меня зовут {operator.first_name}."}
PROMOTIONS = {"kind": "promotions", "title": "Предложите акцию"}
GOODBYE = {"title": "Прощание", "text": "Спасибо, что обратились в {project.name}!"}


def _add(client: Any, script: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(SCRIPTS, json=script)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _chat(adapter: Any, external_id: str, customer: str, name: str, queue: str = "sales") -> str:
    answer = adapter.post("/api/v1/projects/alpha/ingest/messages", json={
        "channel": "chat", "external_id": external_id, "queue": queue, "customer": {"id": customer, "name": name},
        "text": "Здравствуйте, хочу заказать ковёр"})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["conversation_id"])


def _project_today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Europe/Moscow")).date()  # the project's zone (the default)


def test_the_script_for_a_conversation_by_queue_and_type_with_variables_and_today_s_promotions(live: Live) -> None:
    with closing(live.client("alpha-admin")) as admin, closing(live.client("alpha-sup")) as sup, \
            closing(live.client("alpha-op1")) as op, closing(live.token_client("alpha")) as adapter:
        assert admin.put("/api/v1/projects/alpha/queues/complaints", json={"strategy": "round_robin"}).status_code == 200
        assert admin.put("/api/v1/projects/alpha/operators/op1", json={
            "name": "Анна Смирнова", "queues": ["sales"], "capacity": {"voice": 1, "chat": 3}}).status_code == 200
        general = _add(sup, {"title": "Общий скрипт", "steps": [GREETING, PROMOTIONS, GOODBYE]})
        regular = _add(sup, {"title": "Постоянный клиент в продажах", "queue": "sales", "contact_type": "regular",
                             "steps": [{"title": "Узнайте клиента", "text": "{customer.name}, рады снова слышать!"},
                                       PROMOTIONS]})
        complaint = _add(sup, {"title": "Жалоба", "contact_type": "complaint",
                               "steps": [{"title": "Выслушайте", "text": "Не перебивайте, извинитесь."}]})
        queue_only = _add(sup, {"title": "Очередь жалоб", "queue": "complaints",
                                "steps": [{"title": "Запишите номер заказа", "text": "Спросите номер заказа."}]})
        today = _project_today()
        kb = "/api/v1/projects/alpha/kb/articles"
        spring = sup.post(kb, json={"title": "Скидка 15% на ковры", "body": "До конца недели.", "promotion": True,
                                    "valid_from": (today - dt.timedelta(days=3)).isoformat(),
                                    "valid_until": today.isoformat()}).json()
        assert sup.post(kb, json={"title": "Зимняя распродажа", "promotion": True, "valid_from": "2020-01-01",
                                  "valid_until": "2020-02-01"}).status_code == 201
        assert sup.post(kb, json={"title": "Будущая акция", "promotion": True,
                                  "valid_from": (today + dt.timedelta(days=1)).isoformat()}).status_code == 201
        assert sup.post(kb, json={"title": "Доставка", "body": "Не акция"}).status_code == 201

        new = _chat(adapter, "s-1", "+79990001122", "Ольга Петрова")
        answer = op.get(f"/api/v1/projects/alpha/conversations/{new}/script")
        assert answer.status_code == 200, answer.text
        shown = answer.json()
        assert (shown["contact_type"], shown["contact_type_from"]) == ("new_inquiry", "default")
        assert shown["script"]["id"] == general["id"]
        assert set(shown["types_with_scripts"]) == {"regular", "complaint"}
        greeting, promotions, goodbye = shown["script"]["steps"]
        assert greeting["text"] == "Добрый день, Ольга! Меня зовут Анна."
        assert [p["title"] for p in promotions["promotions"]] == ["Скидка 15% на ковры"]  # ends today: still on
        assert goodbye["text"] == "Спасибо, что обратились в Alpha!"

        chosen = op.get(f"/api/v1/projects/alpha/conversations/{new}/script", params={"contact_type": "complaint"})
        assert chosen.json()["script"]["id"] == complaint["id"] and chosen.json()["contact_type_from"] == "chosen"
        assert op.get(f"/api/v1/projects/alpha/conversations/{new}/script",
                      params={"contact_type": "nonsense"}).status_code == 422

        vip = _chat(adapter, "s-2", "+79990003344", "Игорь Волков")
        with live.hub.sessions.begin() as session:
            session.execute(update(Customer).where(Customer.project == "alpha", Customer.name == "Игорь Волков")
                            .values(segment="vip"))
        shown = op.get(f"/api/v1/projects/alpha/conversations/{vip}/script").json()
        assert (shown["contact_type"], shown["contact_type_from"]) == ("regular", "segment")
        assert shown["script"]["id"] == regular["id"]
        assert shown["script"]["steps"][0]["text"] == "Игорь Волков, рады снова слышать!"

        call = adapter.post("/api/v1/projects/alpha/ingest/contacts", json={
            "channel": "voice", "external_id": "s-3", "queue": "complaints",
            "customer": {"id": "+7 999 000-11-22", "name": "Ольга Петрова"}})  # she calls the next day
        assert call.status_code == 201, call.text
        again = call.json()["conversation_id"]
        shown = op.get(f"/api/v1/projects/alpha/conversations/{again}/script").json()
        assert (shown["contact_type"], shown["contact_type_from"]) == ("clarification", "repeat")
        assert shown["script"]["id"] == queue_only["id"]  # no clarification script: the queue's
        shown = op.get(f"/api/v1/projects/alpha/conversations/{again}/script",
                       params={"contact_type": "complaint"}).json()
        assert shown["script"]["id"] == complaint["id"]  # the type's script wins over the queue's

        # The promotion ends: yesterday in the project's time zone — gone from every script.
        ended = sup.put(f"{kb}/{spring['id']}", json={
            "title": spring["title"], "promotion": True, "valid_from": (today - dt.timedelta(days=3)).isoformat(),
            "valid_until": (today - dt.timedelta(days=1)).isoformat()})
        assert ended.status_code == 200, ended.text
        steps = op.get(f"/api/v1/projects/alpha/conversations/{new}/script").json()["script"]["steps"]
        assert steps[1] == {"kind": "promotions", "title": "Предложите акцию", "text": "", "promotions": []}

        assert op.get("/api/v1/projects/alpha/conversations/nope/script").status_code == 404
        listed = op.get(SCRIPTS).json()["items"]
        assert [s["title"] for s in listed] == ["Общий скрипт", "Жалоба", "Очередь жалоб",
                                                "Постоянный клиент в продажах"]


def test_scripts_are_written_by_those_who_keep_the_knowledge_base_and_checked(live: Live) -> None:
    with closing(live.client("alpha-sup")) as sup, closing(live.client("alpha-op1")) as op, \
            closing(live.client("alpha-viewer")) as viewer, closing(live.client("beta-admin")) as beta:
        first = _add(sup, {"title": "Продажи", "queue": "sales", "steps": [GREETING]})
        assert op.post(SCRIPTS, json={"title": "x", "steps": [GREETING]}).status_code == 403
        assert op.put(f"{SCRIPTS}/{first['id']}", json={"title": "x", "steps": [GREETING]}).status_code == 403
        assert op.delete(f"{SCRIPTS}/{first['id']}").status_code == 403
        assert op.get(SCRIPTS).status_code == 200
        assert viewer.get(SCRIPTS).status_code == 403
        assert beta.get(f"/api/v1/projects/beta/scripts/{first['id']}").status_code == 404
        assert beta.put(f"/api/v1/projects/beta/scripts/{first['id']}",
                        json={"title": "взлом", "steps": [GREETING]}).status_code == 404
        assert beta.delete(f"/api/v1/projects/beta/scripts/{first['id']}").status_code == 404

        def refused(body: dict[str, Any], field: str, words: str, status: int = 422, url: str = SCRIPTS,
                    method: str = "POST") -> None:
            answer = sup.request(method, url, json=body, headers={"Accept-Language": "ru"})
            assert answer.status_code == status, answer.text
            [entry] = answer.json()["error"]["fields"]
            assert entry["field"] == field and words in entry["message"], entry

        refused({"title": "", "steps": [GREETING]}, "title", "название")
        refused({"title": "Пусто", "steps": []}, "steps", "хотя бы один шаг")
        refused({"title": "Шаги", "steps": [GREETING, {"title": "Второй", "text": "  "}]}, "steps.1.text",
                "Шаг 2: напишите")
        refused({"title": "Шаги", "steps": [{"title": "", "text": "Текст"}]}, "steps.0.title", "Шаг 1")
        refused({"title": "Шаги", "steps": [{"title": "Имя", "text": "Привет, {customer.middle_name}"}]},
                "steps.0.text", "{customer.middle_name}")
        refused({"title": "Акции", "steps": [PROMOTIONS, PROMOTIONS]}, "steps.1.kind", "уже есть")
        refused({"title": "Очередь", "queue": "nowhere", "steps": [GREETING]}, "queue", "nowhere")
        refused({"title": "Тип", "contact_type": "spam", "steps": [GREETING]}, "contact_type", "spam")
        refused({"title": "Ещё продажи", "queue": "sales", "steps": [GREETING]}, "contact_type", "«Продажи»",
                status=409)
        second = _add(sup, {"title": "Общий", "steps": [GREETING]})
        refused({"title": "Общий → продажи", "queue": "sales", "steps": [GREETING]}, "contact_type", "«Продажи»",
                status=409, url=f"{SCRIPTS}/{second['id']}", method="PUT")

        changed = sup.put(f"{SCRIPTS}/{first['id']}", json={
            "title": "Продажи: новый клиент", "queue": "sales", "contact_type": "new_inquiry",
            "steps": [GREETING, PROMOTIONS, GOODBYE]})
        assert changed.status_code == 200, changed.text
        assert [s["kind"] for s in changed.json()["steps"]] == ["text", "promotions", "text"]
        assert sup.delete(f"{SCRIPTS}/{second['id']}").status_code == 204
        assert sup.get(f"{SCRIPTS}/{second['id']}").status_code == 404
    with live.hub.sessions() as session:
        rows = session.scalars(select(CallScript).where(CallScript.project == "alpha")).all()
        assert [(r.title, len(r.steps)) for r in rows] == [("Продажи: новый клиент", 3)]  # nothing half-written
        audited = session.scalars(select(AuditEntry.action).where(AuditEntry.project == "alpha",
                                                                  AuditEntry.action.like("call_script.%"))).all()
    assert sorted(audited) == ["call_script.deleted", "call_script.saved", "call_script.saved", "call_script.saved"]
