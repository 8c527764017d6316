"""Tasks with deadlines through the real API and sockets: an operator gives themselves a
task from a conversation (never to a colleague — a supervisor does that), a task past its
due time alerts its owner and the supervisors on their sockets and shows on the wallboard,
the owner closes it, and the KPIs count given, done late, overdue and the time to done."""

from __future__ import annotations

import time
from contextlib import closing
from datetime import UTC, datetime, timedelta

from tests.server.conftest import Live
from tests.server.wsutil import open_stream


def _iso(delta_s: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=delta_s)).isoformat()


def test_a_task_past_due_alarms_its_owner_and_the_supervisors_and_counts_in_the_kpis(live: Live) -> None:
    with closing(live.client("alpha-op1")) as op1, closing(live.client("alpha-op2")) as op2, \
            closing(live.client("alpha-sup")) as sup, closing(live.token_client("alpha")) as adapter, \
            open_stream(live.ws_url, op1, "alpha") as ws1, open_stream(live.ws_url, op2, "alpha") as ws2, \
            open_stream(live.ws_url, sup, "alpha") as board:
        chat = adapter.post("/api/v1/projects/alpha/ingest/contacts", json={
            "channel": "chat", "external_id": "task-chat", "queue": "sales", "text": "Перезвоните мне завтра",
            "customer": {"id": "+79165550011", "name": "Пётр"}}).json()["conversation_id"]
        customer = sup.get(f"/api/v1/projects/alpha/conversations/{chat}").json()["customer_id"]

        bad = op1.post("/api/v1/projects/alpha/tasks", headers={"Accept-Language": "ru"}, json={
            "title": "Перезвонить", "due_at": _iso(-3600), "kind": "callback", "conversation_id": chat})
        assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "due_at"
        assert "уже прошёл" in bad.json()["error"]["message"]
        for_colleague = op1.post("/api/v1/projects/alpha/tasks", json={
            "title": "Перезвонить", "due_at": _iso(3600), "owner": "op2"})
        assert for_colleague.status_code == 403
        assert op1.post("/api/v1/projects/alpha/tasks", json={
            "title": "x", "due_at": _iso(3600), "kind": "dance"}).status_code == 422

        # Due a minute ago (within the grace of a slow form): the alarm finds it within seconds.
        late = op1.post("/api/v1/projects/alpha/tasks", json={
            "title": "Перезвонить Петру", "due_at": _iso(-60), "kind": "callback", "conversation_id": chat,
            "note": "после 10:00"})
        assert late.status_code == 201, late.text
        task = late.json()
        assert (task["owner"], task["customer_id"], task["status"], task["overdue"]) == ("op1", customer, "open", True)
        created = ws1.wait("task.created", operator_id="op1")
        assert created["data"]["task_id"] == task["id"] and "title" not in created["data"]
        alarm = ws1.wait("task.overdue", timeout=20)
        assert alarm["data"]["task_id"] == task["id"] and alarm["contact_id"] == chat
        assert board.wait("task.overdue", timeout=5)["data"]["task_id"] == task["id"]
        ws2.drain(0.3)
        assert not [e for e in ws2.events if e["type"].startswith("task.")], "another operator's task is not theirs"
        wall = sup.get("/api/v1/projects/alpha/wallboard").json()["tasks"]
        assert (wall["open"], wall["overdue"]) == (1, 1)
        assert wall["overdue_items"][0]["owner"] == "op1" and wall["overdue_items"][0]["title"] == "Перезвонить Петру"
        # Announced once: another round finds nothing new.
        assert live.hub.sound_task_alarms() == 0

        # A supervisor's task for op2, tomorrow; op2 sees it, op1 may not touch it.
        offer = sup.post("/api/v1/projects/alpha/tasks", json={
            "title": "Отправить КП", "due_at": _iso(86400), "kind": "offer", "owner": "op2",
            "customer_id": customer}).json()
        assert [t["id"] for t in op2.get("/api/v1/projects/alpha/tasks").json()["items"]] == [offer["id"]]
        assert op1.get("/api/v1/projects/alpha/tasks", params={"owner": "op2"}).status_code == 403
        assert op1.post(f"/api/v1/projects/alpha/tasks/{offer['id']}/done", json={}).status_code == 403
        assert [t["id"] for t in sup.get("/api/v1/projects/alpha/tasks", params={"overdue": True}).json()[
            "items"]] == [task["id"]]
        moved = sup.patch(f"/api/v1/projects/alpha/tasks/{offer['id']}", json={"owner": "op1"})
        assert moved.status_code == 200 and moved.json()["owner"] == "op1"
        assert ws1.wait("task.reassigned")["data"]["from"] == "op2"
        assert ws2.wait("task.released")["data"]["to"] == "op1"

        done = op1.post(f"/api/v1/projects/alpha/tasks/{task['id']}/done", json={"outcome": "перезвонил, доволен"})
        assert done.status_code == 200 and done.json()["status"] == "done"
        assert ws1.wait("task.done")["data"]["late"] is True
        again = op1.post(f"/api/v1/projects/alpha/tasks/{task['id']}/done", json={})
        assert again.status_code == 409
        assert sup.get("/api/v1/projects/alpha/wallboard").json()["tasks"]["overdue"] == 0

        card = op1.get(f"/api/v1/projects/alpha/customers/{customer}").json()
        assert [t["id"] for t in card["open_tasks"]] == [offer["id"]]
        assert {e["type"] for e in card["timeline"]["items"]} == {"conversation", "task"}

        kpi = sup.get("/api/v1/projects/alpha/reports/kpi", params={"period": "all", "by": "operator"}).json()
        by_owner = {row["operator"]: row for row in kpi["tasks"]}
        assert (by_owner["op1"]["done"], by_owner["op1"]["done_late"], by_owner["op1"]["overdue"]) == (1, 1, 1)
        assert by_owner["op1"]["done_on_time"] == 0.0 and by_owner["op1"]["time_to_done_s"] >= 0
        assert by_owner["op2"]["created"] == 1


def test_a_moved_due_time_can_alarm_again_and_cancelling_needs_no_outcome(live: Live) -> None:
    def alarms(sup: object) -> list[dict[str, object]]:
        return sup.get("/api/v1/projects/alpha/events", params={"type": "task.overdue"}).json()["items"]  # type: ignore[attr-defined, no-any-return]

    with closing(live.client("alpha-op1")) as op1, closing(live.client("alpha-sup")) as sup:
        task = op1.post("/api/v1/projects/alpha/tasks", json={"title": "Уточнить адрес", "due_at": _iso(-30)}).json()
        deadline = time.monotonic() + 20
        while not alarms(sup):
            assert time.monotonic() < deadline, "the alarm did not go off"
            time.sleep(0.2)
        assert live.hub.sound_task_alarms() == 0
        assert op1.patch(f"/api/v1/projects/alpha/tasks/{task['id']}", json={"due_at": _iso(-10)}).status_code == 200
        while len(alarms(sup)) < 2:
            assert time.monotonic() < deadline, "a moved task did not alarm again"
            time.sleep(0.2)
        assert op1.get("/api/v1/projects/alpha/events", params={"type": "task.overdue"}).status_code == 403
        assert op1.post(f"/api/v1/projects/alpha/tasks/{task['id']}/cancel", json={}).json()["status"] == "cancelled"
        assert {e["data"]["task_id"] for e in alarms(sup)} == {task["id"]}  # type: ignore[index]
        kpi = sup.get("/api/v1/projects/alpha/reports/kpi", params={"period": "all"}).json()["tasks"]
        assert (kpi[0]["overdue"], kpi[0]["cancelled"], kpi[0]["done"]) == (1, 1, 0)
