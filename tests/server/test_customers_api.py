"""The customer card through the real API: one customer behind a call and a chat from one
number written two ways, their identities, and every conversation with how it ended;
found by phone in another format; refused to those who may not see customers."""

from __future__ import annotations

from contextlib import closing

from tests.server.conftest import Live
from tests.server.wsutil import open_stream


def test_the_card_shows_one_customer_across_channels_with_their_history(live: Live) -> None:
    with closing(live.token_client("alpha")) as adapter, closing(live.client("alpha-op1")) as op:
        with open_stream(live.ws_url, op, "alpha") as ws:
            assert ws.command(action="state", state="available")["ok"]
            call = adapter.post("/api/v1/projects/alpha/ingest/contacts", json={
                "channel": "voice", "external_id": "card-call", "queue": "sales",
                "customer": {"id": "+7 (999) 000-00-01", "name": "Анна Белова"}})
            assert call.status_code == 201, call.text
            call_id = call.json()["conversation_id"]
            offer = ws.wait("offer.created")
            assert ws.command(action="accept", offer_id=offer["data"]["offer_id"])["ok"]
            assert ws.command(action="end", conversation_id=call_id)["ok"]
            disposed = op.post(f"/api/v1/projects/alpha/conversations/{call_id}/disposition",
                               json={"contact_type": "complaint", "resolved": False, "notes": "курьер опоздал"})
            assert disposed.status_code == 200, disposed.text
        chat = adapter.post("/api/v1/projects/alpha/ingest/messages", json={
            "channel": "messenger", "external_id": "card-chat", "queue": "sales",
            "customer": {"id": "+79990000001", "name": "Анна"}, "text": "Я снова насчёт курьера"})
        assert chat.status_code == 201, chat.text
        chat_id = chat.json()["conversation_id"]
        conv = op.get(f"/api/v1/projects/alpha/conversations/{chat_id}").json()
        customer_id = conv["customer_id"]
        assert op.get(f"/api/v1/projects/alpha/conversations/{call_id}").json()["customer_id"] == customer_id

        card = op.get(f"/api/v1/projects/alpha/customers/{customer_id}")
        assert card.status_code == 200, card.text
        body = card.json()
        assert body["name"] == "Анна Белова" and body["phones"] == ["+79990000001"]
        assert {"kind": "phone", "value": "+79990000001"} in body["identities"]
        assert body["conversations_total"] == 2
        newest, oldest = body["conversations"]
        assert (newest["id"], newest["channel"], newest["disposition"]) == (chat_id, "messenger", None)
        assert (oldest["id"], oldest["channel"], oldest["operator_id"]) == (call_id, "voice", "op1")
        assert oldest["disposition"]["contact_type"] == "complaint" and oldest["disposition"]["resolved"] is False
        assert oldest["disposition"]["notes"] == "курьер опоздал"

        found = op.get("/api/v1/projects/alpha/customers", params={"q": "+7 999 000 00 01"})
        assert found.status_code == 200 and [c["id"] for c in found.json()["items"]] == [customer_id]
        missing = op.get("/api/v1/projects/alpha/customers/nobody", headers={"Accept-Language": "ru"})
        assert missing.status_code == 404 and "nobody" in missing.json()["error"]["message"]
    with closing(live.client("alpha-viewer")) as viewer, closing(live.client("beta-op1")) as other:
        assert viewer.get(f"/api/v1/projects/alpha/customers/{customer_id}").status_code == 403
        assert other.get(f"/api/v1/projects/alpha/customers/{customer_id}").status_code == 403  # another tenant
        assert other.get(f"/api/v1/projects/beta/customers/{customer_id}").status_code == 404


# --------------------------------------------------------------------------- adding and editing

def _belarus(live: Live) -> None:
    with closing(live.client("alpha-admin")) as admin:
        answer = admin.put("/api/v1/projects/alpha", json={"name": "Alpha", "timezone": "Europe/Minsk",
                                                           "region": "BY", "language": "ru"})
        assert answer.status_code == 200, answer.text


def test_an_operator_adds_a_customer_and_edits_the_card_with_numbers_normalised_and_every_change_audited(
        live: Live) -> None:
    _belarus(live)
    with closing(live.client("alpha-op1")) as op, closing(live.token_client("alpha")) as adapter, \
            closing(live.client("alpha-admin")) as admin:
        made = op.post("/api/v1/projects/alpha/customers", json={
            "name": "Анна Петрова", "phones": ["8 (029) 123-45-67", "+375 29 1234567"],
            "emails": ["Anna@Example.BY"], "attributes": {"city": "Минск", "card": 1042}})
        assert made.status_code == 201, made.text
        anna = made.json()
        assert (anna["name"], anna["phones"], anna["emails"]) == ("Анна Петрова", ["+375291234567"],
                                                                 ["anna@example.by"])
        assert anna["attributes"] == {"city": "Минск", "card": 1042} and anna["conversations_total"] == 0
        found = op.get("/api/v1/projects/alpha/customers", params={"q": "375 29 1234567"}).json()["items"]
        assert [c["id"] for c in found] == [anna["id"]]

        edited = op.patch(f"/api/v1/projects/alpha/customers/{anna['id']}", json={
            "name": "Анна Петровна Петрова", "phones": ["+375291234567", "8 029 765-43-21"],
            "attributes": {"card": None, "floor": "3"}})
        assert edited.status_code == 200, edited.text
        assert edited.json()["phones"] == ["+375291234567", "+375297654321"]
        assert edited.json()["attributes"] == {"city": "Минск", "floor": "3"}
        # the number added on the card finds her at the next call; the one taken off no longer does
        assert op.patch(f"/api/v1/projects/alpha/customers/{anna['id']}",
                        json={"phones": ["+375 29 765 43 21"]}).json()["phones"] == ["+375297654321"]
        call = adapter.post("/api/v1/projects/alpha/ingest/contacts", json={
            "channel": "voice", "external_id": "edit-1", "queue": "sales", "customer": {"id": "80297654321"}})
        assert call.status_code == 201, call.text
        assert op.get(f"/api/v1/projects/alpha/conversations/{call.json()['conversation_id']}"
                      ).json()["customer_id"] == anna["id"]
        assert op.get("/api/v1/projects/alpha/customers", params={"q": "+375291234567"}).json()["items"] == []
        unchanged = op.patch(f"/api/v1/projects/alpha/customers/{anna['id']}", json={"name": "Анна Петровна Петрова"})
        assert unchanged.status_code == 200

        trail = [(a["actor"], a["action"], a["details"]) for a in admin.get("/api/v1/projects/alpha/audit").json()["items"]
                 if a["target"] == anna["id"]]
        assert [(actor, action) for actor, action, _ in trail] == [
            ("alpha-op1", "customer.updated"), ("alpha-op1", "customer.updated"), ("alpha-op1", "customer.created")]
        assert trail[0][2]["removed"] == ["phone:+375291234567"]
        assert trail[1][2]["name"] == "Анна Петровна Петрова"
        assert trail[1][2]["identities"] == ["phone:+375297654321"] and trail[1][2]["attributes"] == ["card", "floor"]
        assert set(trail[2][2]["identities"]) == {"phone:+375291234567", "email:anna@example.by"}


def test_a_phone_or_email_of_another_customer_is_refused_by_name_never_moved(live: Live) -> None:
    _belarus(live)
    with closing(live.client("alpha-op1")) as op, closing(live.token_client("alpha")) as adapter:
        call = adapter.post("/api/v1/projects/alpha/ingest/contacts", json={
            "channel": "voice", "external_id": "other-1", "queue": "sales",
            "customer": {"id": "+375291112233", "name": "Борис Орлов"}})
        boris = op.get(f"/api/v1/projects/alpha/conversations/{call.json()['conversation_id']}").json()["customer_id"]
        anna = op.post("/api/v1/projects/alpha/customers", json={"name": "Анна", "emails": ["anna@example.by"]}).json()

        taken = op.patch(f"/api/v1/projects/alpha/customers/{anna['id']}", headers={"Accept-Language": "ru"},
                         json={"name": "Анна К.", "phones": ["8 029 111-22-33"]})
        assert taken.status_code == 409, taken.text
        error = taken.json()["error"]
        assert error["code"] == "crm.phone_taken" and error["fields"][0]["field"] == "phones.0"
        assert "+375291112233" in error["message"] and "Борис Орлов" in error["message"]
        assert "объедините карточки" in error["message"]
        again = op.post("/api/v1/projects/alpha/customers", json={"name": "Анна-2", "emails": ["ANNA@example.by"]})
        assert again.status_code == 409 and again.json()["error"]["fields"][0]["field"] == "emails.0"
        assert "to another customer, Анна" in again.json()["error"]["message"]
        # nothing moved, nothing half-done
        assert op.get(f"/api/v1/projects/alpha/customers/{boris}").json()["phones"] == ["+375291112233"]
        card = op.get(f"/api/v1/projects/alpha/customers/{anna['id']}").json()
        assert (card["name"], card["phones"]) == ("Анна", [])

        bad = op.patch(f"/api/v1/projects/alpha/customers/{anna['id']}", headers={"Accept-Language": "ru"},
                       json={"phones": ["+375291234567", "12"], "emails": ["anna@"]})
        assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "phones.1"
        assert "'12'" in bad.json()["error"]["message"]
        empty = op.post("/api/v1/projects/alpha/customers", json={"name": "  "}, headers={"Accept-Language": "ru"})
        assert empty.status_code == 422 and empty.json()["error"]["fields"][0]["field"] == "name"
        assert empty.json()["error"]["message"] == "Укажите имя, телефон или e-mail"
        junk = op.post("/api/v1/projects/alpha/customers", json={"name": "x", "phones": "8029"})
        assert junk.status_code == 422 and junk.json()["error"]["fields"][0]["field"] == "phones"
        missing = op.patch("/api/v1/projects/alpha/customers/nobody", json={"name": "x"})
        assert missing.status_code == 404


def test_the_segment_is_set_by_a_supervisor_not_by_an_operator(live: Live) -> None:
    with closing(live.client("alpha-op1")) as op, closing(live.client("alpha-sup")) as sup, \
            closing(live.client("alpha-viewer")) as viewer, closing(live.client("beta-op1")) as other:
        refused = op.post("/api/v1/projects/alpha/customers", json={"name": "Вера", "segment": "vip"},
                          headers={"Accept-Language": "ru"})
        assert refused.status_code == 403 and refused.json()["error"]["fields"][0]["field"] == "segment"
        assert "супервизор" in refused.json()["error"]["message"]
        vera = op.post("/api/v1/projects/alpha/customers", json={"name": "Вера"}).json()
        assert op.patch(f"/api/v1/projects/alpha/customers/{vera['id']}", json={"segment": "vip"}).status_code == 403
        vip = sup.patch(f"/api/v1/projects/alpha/customers/{vera['id']}", json={"segment": "vip"})
        assert vip.status_code == 200 and vip.json()["segment"] == "vip"
        assert op.get(f"/api/v1/projects/alpha/customers/{vera['id']}").json()["segment"] == "vip"
        back = sup.patch(f"/api/v1/projects/alpha/customers/{vera['id']}", json={"segment": ""})
        assert back.status_code == 200 and back.json()["segment"] is None  # the rules decide at her next contact
        partner = sup.post("/api/v1/projects/alpha/customers", json={"name": "ООО Ромашка", "segment": "partner"})
        assert partner.status_code == 201 and partner.json()["segment"] == "partner"
        assert viewer.post("/api/v1/projects/alpha/customers", json={"name": "x"}).status_code == 403
        assert viewer.patch(f"/api/v1/projects/alpha/customers/{vera['id']}", json={"name": "x"}).status_code == 403
        assert other.patch(f"/api/v1/projects/alpha/customers/{vera['id']}", json={"name": "x"}).status_code == 403
        assert other.patch(f"/api/v1/projects/beta/customers/{vera['id']}", json={"name": "x"}).status_code == 404
