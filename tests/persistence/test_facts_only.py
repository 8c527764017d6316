"""A message (or a note) logs a fact and changes nothing the engine stores, so its command
rewrites neither its contact's nor its operator's stored row — on SQLite and on
PostgreSQL. A chat's every message used to rewrite both, the largest part of an ingest
batch of messages; if a message ever changed what the engine stores, the skipped rewrite
would leave a stale row, and these tests fail."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from dozvon.acd.service import RouterService
from dozvon.core.clock import ManualClock
from dozvon.core.db import get_engine, upgrade
from dozvon.routing import ContactSpec, OperatorConfig, QueueConfig
from dozvon.routing.events import FACTS_ONLY
from tests.conftest import T0
from tests.persistence.test_service import state_of


def kept(engine: Any) -> dict[str, Any]:
    """What the engine stores in its rows (the event counter aside: every event moves it)."""
    return {k: v for k, v in state_of(engine).items() if k != "seq"}


@pytest.fixture
def db(database_url: str) -> Any:
    upgrade(database_url)
    return get_engine(database_url)


@contextmanager
def statements(db: Any) -> Iterator[list[str]]:
    """The SQL sent to the database meanwhile (the real statements, as the driver gets them)."""
    sent: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(db, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(db, "before_cursor_execute", seen)


def connected_chat(db: Any, project: str, clock: ManualClock) -> RouterService:
    svc = RouterService(db, project, clock)
    svc.run(lambda e: e.add_queue(QueueConfig("chat", strategy="round_robin", wrap_up_s=30)))
    svc.run(lambda e: e.add_operator(OperatorConfig("anna", queues=("chat",), capacity={"voice": 0, "chat": 3, "email": 0})))
    svc.run(lambda e: e.login("anna"))
    offer = svc.run(lambda e: e.contact_arrived(ContactSpec("c1", "chat", channel="chat", customer_id="k1")))
    svc.run(lambda e: e.accept(offer[0].offer_id))
    return svc


def test_messages_in_and_out_and_notes_leave_the_contact_and_operator_rows_unwritten(db: Any, project: str) -> None:
    clock = ManualClock(T0)
    svc = connected_chat(db, project, clock)
    before = kept(svc.engine)
    with statements(db) as sent:
        clock.advance(3)
        svc.run(lambda e: e.record_message("c1", "in", "m1", "Здравствуйте", "Ольга"))
        clock.advance(4)
        svc.run(lambda e: e.record_message("c1", "out", "out-1", "Добрый день", "anna"))
        svc.run(lambda e: e.note("note.added", "c1", "anna", note_id="n1", text="перезвонить"))
    # Nothing the engine keeps changed, so there was nothing to rewrite…
    assert kept(svc.engine) == before
    written = [s for s in sent if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert written, "the events and the event counter are still written"
    assert not [s for s in written if "rt_contacts" in s or "rt_operators" in s], written
    # …and a restart reads back exactly the engine that ran.
    restarted = RouterService(db, project, clock).engine
    assert state_of(restarted) == state_of(svc.engine)


def test_a_state_change_beside_a_message_still_rewrites_its_rows(db: Any, project: str) -> None:
    """The two facts the engine itself emits are skipped; the end of the chat, in the same
    command as a message, still rewrites the contact's and the operator's rows."""
    assert {"message.received", "message.sent"} <= FACTS_ONLY
    clock = ManualClock(T0)
    svc = connected_chat(db, project, clock)
    with statements(db) as sent:
        svc.run(lambda e: (e.record_message("c1", "in", "m2", "ещё вопрос"), e.end_contact("c1")))
    assert any("rt_contacts" in s for s in sent) and any("rt_operators" in s for s in sent)
    restarted = RouterService(db, project, clock).engine
    assert state_of(restarted) == state_of(svc.engine)
    assert restarted.contacts["c1"].state == "wrap_up"
