"""How many times an ingest batch waits for PostgreSQL, counted where it happens: libpq's
own protocol trace of the connection the batch runs on, one ``Sync`` message per wait.

Each wait costs a round trip and then the interpreter's lock, which the event loop holds
meanwhile; an ingest batch of new contacts waited 14 times before its transaction was
pipelined (dozvon.core.pipeline), a batch of chat messages 9 times; pipelined, 7 and 6, until
the segment rules were sent ahead with the identities and the pipeline was left without a
last wait (5 each), BEGIN went ahead of the first statement instead of being waited for
on its own (4 each), and the messages' open conversations went with the identities (3);
the messages of a batch that only joins conversations then went with COMMIT (2), and the new
customers' identity claims with the conversations of a batch of new contacts (3). A batch
whose look-ups were sent before the COMMIT of the batch before it (the ingest queue's next
batch) waits once less: 2 for new contacts, 1 for chat messages."""

from __future__ import annotations

import contextlib
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from dozvon.conversations.ingest import Following, Inbound, ingest_many
from dozvon.conversations.models import Message
from dozvon.core.db import upgrade
from tests.conftest import new_postgres_database, socket_waits
from tests.server.conftest import Live, seeded_server

pytestmark = pytest.mark.postgres

BATCH = 42


@pytest.fixture
def live_postgres(postgres_server_url: str) -> Iterator[Live]:
    with new_postgres_database("dozvon_srv") as url:
        upgrade(url)
        with seeded_server(url) as server:
            yield server


def waits(live: Live, items: list[Inbound], socket: list[int] | None = None, statements: list[str] | None = None,
          **ingest: Any) -> tuple[int, list[Any]]:
    """The ``Sync`` messages sent while ``items`` are ingested as one batch, and the results;
    ``socket`` gets the number of times the batch's connection waited to write to its socket;
    ``statements`` gets the text of each statement parsed (prepared ones only the first time);
    ``ingest``: :func:`ingest_many`'s keywords (the look-ups sent ahead, the next batch's).
    Only the connections this thread takes are traced: the server's background rounds take
    theirs meanwhile (on a slow machine, often enough to count their waits too)."""
    me = threading.get_ident()
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as counting:
        path = Path(folder) / "libpq.trace"
        with path.open("w") as trace:

            def traced(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
                if threading.get_ident() != me:
                    return
                dbapi_connection.pgconn.trace(trace.fileno())
                if socket is not None:
                    socket.append(counting.enter_context(socket_waits(dbapi_connection)))

            def untraced(dbapi_connection: Any, _record: Any) -> None:
                if threading.get_ident() != me:
                    return
                dbapi_connection.pgconn.untrace()
                counting.close()

            event.listen(live.hub.db, "checkout", traced)
            event.listen(live.hub.db, "checkin", untraced)
            try:
                results = ingest_many(live.hub.service("alpha"), items, live.hub.identity, **ingest)
            finally:
                event.remove(live.hub.db, "checkout", traced)
                event.remove(live.hub.db, "checkin", untraced)
        assert all(getattr(r, "created", False) for r in results), results
        sent = [line.split("\t") for line in path.read_text().splitlines()]
    if statements is not None:
        statements.extend(" ".join(fields[3:]) for fields in sent if len(fields) > 3 and fields[1] == "F"
                          and fields[3].startswith("Parse"))
    return sum(1 for fields in sent if len(fields) > 3 and fields[1] == "F" and fields[3].startswith("Sync")), results


def test_a_batch_of_new_contacts_waits_three_times_and_one_of_chat_messages_twice(live_postgres: Live) -> None:
    contacts = [Inbound("email", f"e-{i}", "sales", customer_id=f"c{i}@example.com", text="Здравствуйте")
                for i in range(BATCH)]
    # BEGIN, the retries and the segment rules with the identities; the new customers, their
    # identities' claims, the conversations and their messages; the events, live rows and
    # COMMIT. Leaving the pipeline after COMMIT waits for nothing.
    counted: list[Any] = []
    parsed: list[str] = []
    count, opened = waits(live_postgres, contacts, counted, parsed)
    assert count == 3
    # The new customers are inserted with their segment, not inserted and then updated.
    assert sum('"INSERT INTO customers ' in p for p in parsed) == 1
    assert not [p for p in parsed if '"UPDATE customers ' in p], parsed
    # What each wait sends goes in one write (dozvon.core.pipeline.QueuingCursor): psycopg's
    # own pipeline waited to write once per statement, 31 times for this batch.
    assert [c[0] for c in counted] == [3], counted
    messages = [Inbound("email", f"m-{i}", "sales", customer_id=f"c{i}@example.com", text="Ещё вопрос",
                        as_message=True) for i in range(BATCH)]
    # BEGIN, the retries and the open conversations with the identities; the messages with
    # the events and COMMIT. (Messages join open conversations: no rules are read, no live
    # row is rewritten, and the engine only notes facts, so the messages are not waited for
    # before it moves; their new ids come back with COMMIT.)
    counted = []
    count, joined = waits(live_postgres, messages, counted)
    assert count == 2
    assert [c[0] for c in counted] == [2], counted  # 17 with psycopg's own pipeline
    assert [r.conversation_id for r in joined] == [r.conversation_id for r in opened]
    assert not any(r.opened for r in joined)
    with live_postgres.hub.sessions() as session:
        stored = dict(session.execute(select(Message.external_id, Message.id).where(
            Message.project == "alpha", Message.external_id.like("m-%"))).all())
    assert {f"m-{i}": r.message_id for i, r in enumerate(joined)} == stored


def test_a_batch_of_contacts_from_returning_customers_waits_four_times(live_postgres: Live) -> None:
    first = [Inbound("email", f"r-{i}", "sales", customer_id=f"r{i}@example.com", text="Первое письмо")
             for i in range(BATCH)]
    count, _ = waits(live_postgres, first)
    assert count == 3
    again = [Inbound("email", f"r2-{i}", "sales", customer_id=f"r{i}@example.com", text="Новый вопрос")
             for i in range(BATCH)]
    # BEGIN, the retries and the rules with the identities; the customers' standing (their
    # segment, recent contacts and orders) with their flags in force; the rows; the events,
    # live rows and COMMIT. (The flags were a wait of their own: 5.)
    count, results = waits(live_postgres, again)
    assert count == 4
    assert all(r.opened for r in results)


def _next(items: list[Inbound]) -> Following:
    """The next batch as the ingest queue would take it: these requests, waiting."""
    return Following(lambda: [(item, Future(), 0.0) for item in items])


def test_a_batch_whose_look_ups_came_with_the_commit_before_it_waits_once_less(live_postgres: Live) -> None:
    contacts = [Inbound("email", f"e-{i}", "sales", customer_id=f"f{i}@example.com", text="Здравствуйте")
                for i in range(BATCH)]
    messages = [Inbound("email", f"m-{i}", "sales", customer_id=f"f{i}@example.com", text="Ещё вопрос",
                        as_message=True) for i in range(BATCH)]
    more = [Inbound("email", f"n-{i}", "sales", customer_id=f"n{i}@example.com", text="Добрый день")
            for i in range(BATCH)]
    following = _next(messages)
    # The messages' retries, their open conversations and their identities go before this
    # batch's COMMIT, in the same wait: still 3.
    count, opened = waits(live_postgres, contacts, following=following)
    assert count == 3
    queued, looked = following.pop()
    assert [item for item, _, _ in queued] == messages and looked is not None
    following = _next(more)
    # Nothing to look up first: the messages, the events, the next batch's look-ups and COMMIT.
    count, joined = waits(live_postgres, messages, looked=looked, following=following)
    assert count == 1
    # The look-ups, sent in the transaction of the batch before, saw the conversations it opened.
    assert [r.conversation_id for r in joined] == [r.conversation_id for r in opened]
    assert not any(r.opened for r in joined)
    _, looked = following.pop()
    # The new customers, their claims and the conversations; the events and COMMIT.
    count, _ = waits(live_postgres, more, looked=looked)
    assert count == 2
