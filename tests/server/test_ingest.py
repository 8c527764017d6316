"""Ingest: idempotent under concurrent retries, stored before the answer, clear 4xx."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from dozvon.conversations.models import Conversation, Message
from dozvon.eventlog.models import EventRecord
from tests.server.conftest import Live


def _count(live: Live, stmt: object) -> int:
    with live.hub.sessions() as session:
        return int(session.scalar(stmt))  # type: ignore[arg-type]


def test_concurrent_retries_store_one_contact(live: Live) -> None:
    body = {"channel": "voice", "external_id": "call-retry", "queue": "sales", "customer": {"id": "+7999"}}

    def post(_: int) -> tuple[int, str]:
        with live.token_client("alpha") as adapter:
            answer = adapter.post("/api/v1/projects/alpha/ingest/contacts", json=body)
            return answer.status_code, answer.json()["conversation_id"]

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(post, range(48)))
    statuses = sorted(code for code, _ in results)
    assert statuses.count(201) == 1 and statuses.count(200) == 47, statuses
    assert len({conv for _, conv in results}) == 1
    assert _count(live, select(func.count()).select_from(Conversation)
                  .where(Conversation.external_id == "call-retry")) == 1
    assert _count(live, select(func.count()).select_from(EventRecord).where(
        EventRecord.project == "alpha", EventRecord.type == "contact.arrived")) == 1


def test_message_retries_and_threads(live: Live) -> None:
    adapter = live.token_client("alpha")
    first = {"channel": "messenger", "external_id": "wa-1", "queue": "sales",
             "customer": {"id": "wa:+7000", "name": "Ольга"}, "text": "Добрый день"}
    a = adapter.post("/api/v1/projects/alpha/ingest/messages", json=first)
    b = adapter.post("/api/v1/projects/alpha/ingest/messages", json=first)
    assert (a.status_code, b.status_code) == (201, 200)
    assert a.json()["message_id"] == b.json()["message_id"]
    second = {**first, "external_id": "wa-2", "text": "Вы тут?"}
    c = adapter.post("/api/v1/projects/alpha/ingest/messages", json=second)
    assert c.status_code == 201 and c.json()["conversation_id"] == a.json()["conversation_id"]
    assert _count(live, select(func.count()).select_from(Message).where(Message.project == "alpha")) == 2
    # The same external id in another project is another project's business.
    beta = live.token_client("beta").post("/api/v1/projects/beta/ingest/messages", json=first)
    assert beta.status_code == 201 and beta.json()["conversation_id"] != a.json()["conversation_id"]


def test_bad_input_gets_field_level_errors_and_stores_nothing(live: Live) -> None:
    adapter = live.token_client("alpha")
    answer = adapter.post("/api/v1/projects/alpha/ingest/contacts", json={
        "channel": "pigeon", "external_id": "", "customer": {"segment": "king"}})
    assert answer.status_code == 422
    error = answer.json()["error"]
    fields = {f["field"] for f in error["fields"]}
    assert {"channel", "external_id", "queue", "customer.segment"} <= fields, fields
    assert "channel" in error["message"]
    unknown = adapter.post("/api/v1/projects/alpha/ingest/contacts", json={
        "channel": "voice", "external_id": "c-1", "queue": "nowhere"})
    assert unknown.status_code == 404 and "nowhere" in unknown.json()["error"]["message"]
    not_json = adapter.post("/api/v1/projects/alpha/ingest/contacts", content=b"{oops",
                            headers={"content-type": "application/json"})
    assert not_json.status_code == 422
    assert _count(live, select(func.count()).select_from(Conversation)) == 0
    gone = adapter.post("/api/v1/projects/alpha/ingest/left", json={"channel": "voice", "external_id": "never"})
    assert gone.status_code == 404


def test_the_hub_matches_a_call_and_a_chat_of_one_number_to_one_customer_per_project(live: Live) -> None:
    adapter = live.token_client("alpha")
    call = adapter.post("/api/v1/projects/alpha/ingest/contacts", json={
        "channel": "voice", "external_id": "call-crm", "queue": "sales",
        "customer": {"id": "375291234567", "name": "Анна"}})
    chat = adapter.post("/api/v1/projects/alpha/ingest/messages", json={
        "channel": "chat", "external_id": "chat-crm", "queue": "sales",
        "customer": {"id": "+375 29 123-45-67"}, "text": "Это я звонила"})
    beta = live.token_client("beta").post("/api/v1/projects/beta/ingest/contacts", json={
        "channel": "voice", "external_id": "call-crm", "queue": "sales", "customer": {"id": "+375291234567"}})
    assert (call.status_code, chat.status_code, beta.status_code) == (201, 201, 201)
    with live.hub.sessions() as session:
        rows = {(c.project, c.external_id): c for c in session.scalars(
            select(Conversation).where(Conversation.external_id.in_(["call-crm", "chat-crm"])))}
    alpha_call, alpha_chat = rows["alpha", "call-crm"], rows["alpha", "chat-crm"]
    assert alpha_call.customer_id == alpha_chat.customer_id is not None
    assert alpha_call.details["customer_ref"] == "375291234567"
    assert rows["beta", "call-crm"].customer_id != alpha_call.customer_id
    listed = live.client("alpha-sup").get("/api/v1/projects/alpha/conversations",
                                          params={"customer_id": alpha_call.customer_id}).json()["items"]
    assert sorted(c["id"] for c in listed) == sorted([call.json()["conversation_id"], chat.json()["conversation_id"]])
