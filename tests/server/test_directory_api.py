"""The project's named people through the real API: an administrator sets them (a phone
in any format, an operator of the project, what contact types they take), operators read
them, and a wrong entry is refused naming the person and the field, with nothing changed."""

from __future__ import annotations

from contextlib import closing

from tests.server.conftest import Live
from tests.server.wsutil import open_stream

PEOPLE = [{"name": "Игорь Лебедев", "title": "Директор по закупкам", "topics": ["partner"],
           "phone": "+7 (495) 123-45-67"},
          {"name": "Ольга Сергеевна", "title": "Руководитель контроля качества", "topics": ["complaint"],
           "operator_id": "op2"}]


def test_an_administrator_sets_the_named_people_and_operators_read_them(live: Live) -> None:
    with closing(live.client("alpha-admin")) as admin, closing(live.client("alpha-op1")) as op:
        answer = admin.put("/api/v1/projects/alpha/directory", json={"people": PEOPLE})
        assert answer.status_code == 200, answer.text
        listed = op.get("/api/v1/projects/alpha/directory").json()["items"]
        assert [(p["name"], p["phone"], p["operator_id"], p["topics"]) for p in listed] == [
            ("Игорь Лебедев", "+74951234567", None, ["partner"]),
            ("Ольга Сергеевна", None, "op2", ["complaint"])]
        assert op.put("/api/v1/projects/alpha/directory", json={"people": []}).status_code == 403
        audit = admin.get("/api/v1/projects/alpha/audit").json()["items"]
        assert audit[0]["action"] == "directory.set" and audit[0]["actor"] == "alpha-admin"
    with closing(live.client("beta-op1")) as other:
        assert other.get("/api/v1/projects/beta/directory").json()["items"] == []  # another tenant's list


def test_a_wrong_entry_is_refused_naming_the_person_and_the_field_and_nothing_changes(live: Live) -> None:
    with closing(live.client("alpha-admin")) as admin:
        assert admin.put("/api/v1/projects/alpha/directory", json={"people": PEOPLE}).status_code == 200
        nowhere = admin.put("/api/v1/projects/alpha/directory", headers={"Accept-Language": "ru"},
                            json={"people": [PEOPLE[0], {"name": "Пётр", "topics": ["partner"]}]})
        assert nowhere.status_code == 422
        error = nowhere.json()["error"]
        assert error["fields"][0]["field"] == "people.1.phone" and "Пётр" in error["message"]
        ghost = admin.put("/api/v1/projects/alpha/directory", headers={"Accept-Language": "en"},
                          json={"people": [{"name": "Ghost", "operator_id": "op9"}]})
        assert ghost.status_code == 422 and "op9" in ghost.json()["error"]["message"]
        bad_phone = admin.put("/api/v1/projects/alpha/directory", json={"people": [{"name": "X", "phone": "звоните"}]})
        assert bad_phone.status_code == 422 and bad_phone.json()["error"]["fields"][0]["field"] == "people.0.phone"
        topic = admin.put("/api/v1/projects/alpha/directory", json={"people": [{"name": "X", "topics": ["vip"],
                                                                                "phone": "+74951234567"}]})
        assert topic.status_code == 422
        kept = admin.get("/api/v1/projects/alpha/directory").json()["items"]
        assert [p["name"] for p in kept] == ["Игорь Лебедев", "Ольга Сергеевна"]


def test_a_call_goes_out_to_a_named_persons_number(live: Live) -> None:
    with closing(live.client("alpha-admin")) as admin:
        assert admin.put("/api/v1/projects/alpha/directory", json={"people": PEOPLE}).status_code == 200
    with closing(live.client("alpha-op1")) as op, closing(live.token_client("alpha")) as adapter, \
            open_stream(live.ws_url, op, "alpha") as ws:
        assert ws.command(action="state", state="available")["ok"]
        call = adapter.post("/api/v1/projects/alpha/ingest/contacts", json={
            "channel": "voice", "external_id": "partner-call", "queue": "sales",
            "customer": {"id": "+79001112233", "name": "ООО Поставка"}}).json()["conversation_id"]
        offer = ws.wait("offer.created")
        assert ws.command(action="accept", offer_id=offer["data"]["offer_id"])["ok"]
        [igor] = [p for p in op.get("/api/v1/projects/alpha/directory").json()["items"] if p["phone"]]
        moved = op.post(f"/api/v1/projects/alpha/conversations/{call}/transfer", json={"to_external": igor["phone"]})
        assert moved.status_code == 200, moved.text
        transferred = ws.wait("contact.transferred")
        assert transferred["data"]["to_external"] == "+74951234567"
