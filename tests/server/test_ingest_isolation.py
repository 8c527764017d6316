"""A bad item fails alone: one request the database would refuse never costs other
clients their contacts, and never makes the server rebuild its routing engine."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import func, select

from dozvon.conversations.ingest import Inbound, ingest_many
from dozvon.conversations.models import Conversation, Message
from dozvon.core.errors import DozvonError
from dozvon.eventlog.models import EventRecord
from tests.server.conftest import Live, refuse_a_name


def _post(live: Live, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    with live.token_client("alpha") as adapter:
        answer = adapter.post("/api/v1/projects/alpha/ingest/contacts", json=body)
        return answer.status_code, answer.json()


def test_concurrent_valid_and_nul_carrying_ingests_store_every_valid_one(live: Live) -> None:
    engine_before = live.hub.service("alpha").engine
    bodies = []
    for i in range(120):
        name = "a\u0000b" if i % 4 == 0 else f"Клиент {i}"
        bodies.append({"channel": "chat", "external_id": f"mix-{i}", "queue": "sales",
                       "customer": {"id": f"c{i}", "name": name}, "text": "Добрый день"})
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda b: _post(live, b), bodies))
    for body, (status, answer) in zip(bodies, answers, strict=True):
        if "\u0000" in body["customer"]["name"]:
            assert status == 422, answer
            assert answer["error"]["fields"][0]["field"] == "customer.name", answer
        else:
            assert status == 201, answer
    with live.hub.sessions() as session:
        stored = session.scalar(select(func.count()).select_from(Conversation).where(Conversation.project == "alpha"))
    assert stored == 90
    assert live.hub.service("alpha").engine is engine_before  # never rebuilt for a refused item


def test_a_batch_the_database_refuses_is_stored_item_by_item(live: Live) -> None:
    refuse_a_name(live)
    svc = live.hub.service("alpha")
    engine_before = svc.engine
    items = [Inbound("voice", f"call-{i}", "sales", customer_id=f"+7{i}",
                     customer_name="Mallory" if i == 3 else f"Caller {i}") for i in range(8)]
    results = ingest_many(svc, items)
    refused = [i for i, r in enumerate(results) if isinstance(r, DozvonError)]
    assert refused == [3]
    assert results[3].code == "api.unstorable"  # type: ignore[union-attr]
    assert all(r.created for i, r in enumerate(results) if i != 3)  # type: ignore[union-attr]
    assert svc.engine is engine_before
    with live.hub.sessions() as session:
        names = set(session.scalars(select(Conversation.customer_name).where(Conversation.project == "alpha")))
    assert names == {f"Caller {i}" for i in range(8) if i != 3}
    # The refused item is answered as such over HTTP, the others as stored.
    status, answer = _post(live, {"channel": "voice", "external_id": "call-m", "queue": "sales",
                                  "customer": {"name": "Mallory"}})
    assert status == 422 and answer["error"]["code"] == "api.unstorable", answer


def test_a_message_the_database_refuses_among_chat_messages_fails_alone(live: Live) -> None:
    """A batch of messages into open conversations is not waited for before the engine
    notes them (on PostgreSQL its rows travel with COMMIT): a message refused there fails
    alone, the engine is neither rebuilt nor left ahead of the log, and the log stays
    gap-free."""
    svc = live.hub.service("alpha")
    opened = ingest_many(svc, [Inbound("chat", f"open-{c}", "sales", customer_id=f"chat-{c}", text="Здравствуйте")
                               for c in range(6)], live.hub.identity)
    refuse_a_name(live, "messages", "text")
    engine_before = svc.engine
    messages = [Inbound("chat", f"m-{c}", "sales", customer_id=f"chat-{c}", as_message=True,
                        text="Mallory" if c == 2 else f"Вопрос {c}") for c in range(6)]
    results = ingest_many(svc, messages, live.hub.identity)
    assert [i for i, r in enumerate(results) if isinstance(r, DozvonError)] == [2]
    assert results[2].code == "api.unstorable"  # type: ignore[union-attr]
    assert svc.engine is engine_before
    assert svc.engine.event_seq == svc.last_seq()
    later = ingest_many(svc, [Inbound("chat", "m-late", "sales", customer_id="chat-0", as_message=True,
                                      text="Ещё")], live.hub.identity)[0]
    with live.hub.sessions() as session:
        stored = dict(session.execute(select(Message.external_id, Message.id).where(
            Message.project == "alpha", Message.external_id.like("m-%"))).all())
        received = list(session.scalars(select(EventRecord.data["message_id"].as_string()).where(
            EventRecord.project == "alpha", EventRecord.type == "message.received").order_by(EventRecord.seq)))
        seqs = list(session.scalars(select(EventRecord.seq).where(EventRecord.project == "alpha")
                                    .order_by(EventRecord.seq)))
    answered = {f"m-{c}": r.message_id for c, r in enumerate(results) if c != 2}  # type: ignore[union-attr]
    assert stored == {**answered, "m-late": later.message_id}  # type: ignore[union-attr]
    assert [r.conversation_id for c, r in enumerate(results) if c != 2] == \
        [r.conversation_id for c, r in enumerate(opened) if c != 2]  # type: ignore[union-attr]
    assert "m-2" not in received and received[-6:] == ["m-0", "m-1", "m-3", "m-4", "m-5", "m-late"]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))) and seqs[-1] == svc.last_seq()


def test_over_long_or_nul_values_of_in_process_adapters_are_refused_with_the_field() -> None:
    from dozvon.conversations.ingest import check_storable

    for item, field in ((Inbound("chat", "x", "sales", subject="s" * 501), "subject"),
                        (Inbound("chat", "x", "sales", text="a\x00"), "text"),
                        (Inbound("chat", "x\x00", "sales"), "external_id")):
        try:
            check_storable(item)
        except DozvonError as error:
            assert error.params["field"] == field
        else:
            raise AssertionError(f"{field} was let through")
