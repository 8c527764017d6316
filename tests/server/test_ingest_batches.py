"""The ingest queue under concurrent load, on SQLite and PostgreSQL: many requests at once
are grouped into batches that give the same answers as one request after another — each
stored once, a customer's messages sent at once land in one conversation, a bad item fails
alone, the event log stays gap-free in the engine's order."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from dozvon.conversations.identity import CustomerRef
from dozvon.conversations.ingest import Inbound, IngestQueue, IngestResult
from dozvon.conversations.models import Conversation, Message
from dozvon.core.errors import DozvonError
from dozvon.eventlog.models import EventRecord
from tests.server.conftest import Live, refuse_a_name


def _queue(live: Live) -> IngestQueue:
    return IngestQueue(live.hub.service("alpha"), live.hub.identity)


def _submit(line: IngestQueue, item: Inbound) -> IngestResult | DozvonError:
    try:
        return line.submit(item)
    except DozvonError as error:
        return error


def test_many_at_once_each_stored_once_messages_joined_and_the_log_gap_free(live: Live) -> None:
    line = _queue(live)
    with live.hub.sessions.begin() as session:  # known customers: nothing in the identity step waits
        known = live.hub.identity.resolve(session, "alpha", [CustomerRef("chat", f"chat-{c}", "") for c in range(12)])
        live.hub.identity.standing(session, "alpha", [c for c in known if c], 0)  # writes them
    items = []
    calls = [Inbound("voice", f"call-{i}", "sales", customer_id=f"+7999{i % 20:03d}") for i in range(120)]
    for c in range(12):  # a customer's first messages in quick succession, over several batches
        for k in range(5):
            items.append(Inbound("chat", f"m-{c}-{k}", "sales", customer_id=f"chat-{c}", text=f"message {k}",
                                 as_message=True))
            items += calls[10 * c + 2 * k:10 * c + 2 * k + 2]
    items += [Inbound("voice", f"call-{i}", "sales", customer_id=f"+7999{i % 20:03d}") for i in range(0, 120, 7)]
    with ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(lambda item: _submit(line, item), items))
    assert not [a for a in answers if isinstance(a, DozvonError)]
    created = {(i.channel, i.external_id) for i, a in zip(items, answers, strict=True)
               if isinstance(a, IngestResult) and a.created}
    assert len(created) == 12 * 5 + 120  # each once; the retries of calls answered as retries
    with live.hub.sessions() as session:
        for c in range(12):
            conversations = set(session.scalars(select(Message.conversation_id).where(
                Message.project == "alpha", Message.external_id.like(f"m-{c}-%"))))
            assert len(conversations) == 1, f"customer {c}'s messages went to {len(conversations)} conversations"
        calls = session.scalar(select(func.count()).select_from(Conversation).where(
            Conversation.project == "alpha", Conversation.channel == "voice"))
        assert calls == 120
        seqs = list(session.scalars(select(EventRecord.seq).where(EventRecord.project == "alpha")
                                    .order_by(EventRecord.seq)))
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # gap-free, nothing twice
    assert seqs[-1] == live.hub.service("alpha").last_seq()


def test_an_item_the_database_refuses_fails_alone_in_a_batch(live: Live) -> None:
    refuse_a_name(live)
    line = _queue(live)
    engine_before = live.hub.service("alpha").engine
    items = [Inbound("voice", f"call-{i}", "sales", customer_id=f"+7{i}",
                     customer_name="Mallory" if i % 10 == 3 else f"Caller {i}") for i in range(80)]
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda item: _submit(line, item), items))
    refused = [i for i, a in enumerate(answers) if isinstance(a, DozvonError)]
    assert refused == [i for i in range(80) if i % 10 == 3]
    assert all(answers[i].code == "api.unstorable" for i in refused)  # type: ignore[union-attr]
    assert live.hub.service("alpha").engine is engine_before  # never rebuilt for a refused item
    with live.hub.sessions() as session:
        names = set(session.scalars(select(Conversation.customer_name).where(Conversation.project == "alpha")))
    assert names == {f"Caller {i}" for i in range(80) if i % 10 != 3}


def test_a_request_that_waits_past_its_timeout_is_told_so_and_its_item_is_still_stored_once(live: Live) -> None:
    """The event loop's wait for a batch has a timeout of its own: a request whose batch
    cannot commit (here the project's lock is held) gets TimeoutError, not a wait for ever;
    the batch's answer when it does commit is left alone, and asking again finds the item
    stored once."""
    line = _queue(live)
    svc = live.hub.service("alpha")
    item = Inbound("voice", "late-1", "sales", customer_id="+79990001122")

    async def scenario() -> tuple[IngestResult, IngestResult]:
        svc.lock.acquire()
        try:
            with pytest.raises(TimeoutError):
                await line.submit_async(item, timeout=0.3)
        finally:
            svc.lock.release()
        again = await line.submit_async(item)  # the first batch commits, then this one
        other = await line.submit_async(Inbound("voice", "late-2", "sales", customer_id="+79990001123"))
        return again, other

    again, other = asyncio.run(scenario())
    assert again.created is False  # stored by the request that timed out, once
    assert other.created is True
    with live.hub.sessions() as session:
        stored = session.scalar(select(func.count()).select_from(Conversation).where(
            Conversation.project == "alpha", Conversation.external_id == "late-1"))
    assert stored == 1
