"""The ingest queue's next batch, taken while a batch is written: its look-ups (retries,
open conversations, whose customers these are) are sent in that batch's transaction, just
before its COMMIT, and read after it (dozvon.conversations.ingest.Following). They must
see what that batch wrote, and must not be used once another command of the project has
committed after it, or when its COMMIT failed."""

from __future__ import annotations

from concurrent.futures import Future

import pytest
from sqlalchemy import select

from dozvon.conversations.identity import ChannelIdentity
from dozvon.conversations.ingest import Following, Inbound, ingest_many
from dozvon.conversations.models import Conversation
from dozvon.core.errors import DozvonError
from dozvon.crm.actions import do_merge_customers
from tests.server.conftest import Live, refuse_a_name


def _next(items: list[Inbound]) -> Following:
    """The next batch as the ingest queue would take it: these requests, waiting."""
    return Following(lambda: [(item, Future(), 0.0) for item in items])


def _customer_of(live: Live, conversation_id: str) -> str | None:
    with live.hub.sessions() as session:
        return session.scalar(select(Conversation.customer_id).where(Conversation.id == conversation_id))


@pytest.mark.parametrize("customers", ["crm", "channel"])
def test_the_next_batch_finds_what_the_batch_before_wrote_and_stored_it_as_it_would_alone(
        live: Live, customers: str) -> None:
    """With the customer base (the server's) and without it (a customer is the channel's
    id): without it, no identity claim would catch look-ups that missed the batch's rows."""
    svc = live.hub.service("alpha")
    resolver = live.hub.identity if customers == "crm" else ChannelIdentity()
    first = [Inbound("chat", f"open-{c}", "sales", customer_id=f"chat-{c}", text="Здравствуйте") for c in range(6)]
    then = [Inbound("chat", f"m-{c}", "sales", customer_id=f"chat-{c}", as_message=True, text=f"Вопрос {c}")
            for c in range(6)]
    then.append(Inbound("chat", "new-1", "sales", customer_id="chat-new", text="Добрый день"))
    following = _next(then)
    opened = ingest_many(svc, first, resolver, following=following)
    queued, looked = following.pop()
    assert [item for item, _, _ in queued] == then
    assert looked is not None and looked.seq == svc.last_seq()  # that batch committed; nothing since
    results = ingest_many(svc, then, resolver, looked=looked)
    assert not any(isinstance(r, DozvonError) for r in results), results
    # The messages joined the conversations the batch before opened, on their customers.
    assert [r.conversation_id for r in results[:6]] == [r.conversation_id for r in opened]
    assert not any(r.opened for r in results[:6])  # type: ignore[union-attr]
    assert results[6].opened  # type: ignore[union-attr]
    with live.hub.sessions() as session:
        customers = session.scalars(select(Conversation.customer_id).where(Conversation.project == "alpha")).all()
    assert len(customers) == 7 and len(set(customers)) == 7  # one customer each, none created twice


def test_look_ups_read_before_a_command_changed_them_are_asked_again(live: Live) -> None:
    """A merge of two customers commits between the batch and the next one: the look-up,
    made before it, still says the address is the merged customer's. The next contact
    must land on the customer kept (with the look-up used as it was, it lands on the
    merged one, which no longer exists)."""
    svc = live.hub.service("alpha")
    anna, anya = ingest_many(svc, [Inbound("email", "a-1", "sales", customer_id="anna@example.com", text="Вопрос"),
                                   Inbound("email", "b-1", "sales", customer_id="anya@example.com", text="Вопрос")],
                             live.hub.identity)
    kept, merged = _customer_of(live, anna.conversation_id), _customer_of(live, anya.conversation_id)  # type: ignore[union-attr]
    assert kept and merged and kept != merged
    then = [Inbound("email", "b-2", "sales", customer_id="anya@example.com", text="Снова я")]
    following = _next(then)
    ingest_many(svc, [Inbound("email", "c-1", "sales", customer_id="other@example.com", text="Вопрос")],
                live.hub.identity, following=following)
    _, looked = following.pop()
    assert looked is not None and looked.seq == svc.last_seq()
    do_merge_customers(svc, "alpha-admin", kept, merged)  # a command of the project: it commits events
    [result] = ingest_many(svc, then, live.hub.identity, looked=looked)
    assert _customer_of(live, result.conversation_id) == kept  # type: ignore[union-attr]


def test_look_ups_sent_with_a_commit_that_failed_are_asked_again_and_nothing_is_lost(live: Live) -> None:
    svc = live.hub.service("alpha")
    opened = ingest_many(svc, [Inbound("chat", f"open-{c}", "sales", customer_id=f"chat-{c}", text="Здравствуйте")
                               for c in range(3)], live.hub.identity)
    refuse_a_name(live, "messages", "text")
    messages = [Inbound("chat", f"m-{c}", "sales", customer_id=f"chat-{c}", as_message=True,
                        text="Mallory" if c == 1 else f"Вопрос {c}") for c in range(3)]
    then = [Inbound("chat", "m-next", "sales", customer_id="chat-0", as_message=True, text="Ещё вопрос"),
            Inbound("chat", "new-1", "sales", customer_id="chat-new", text="Добрый день")]
    following = _next(then)
    # Messages into open chats are not waited for before COMMIT (on PostgreSQL): the refused
    # one fails the batch there, after the next batch's look-ups were sent; then one by one.
    results = ingest_many(svc, messages, live.hub.identity, following=following)
    assert [i for i, r in enumerate(results) if isinstance(r, DozvonError)] == [1]
    queued, looked = following.pop()
    if svc.db.dialect.name == "postgresql":
        assert [item for item, _, _ in queued] == then  # the requests taken are still there to run
        assert looked is not None and looked.seq is None  # sent in a transaction rolled back: not used
    else:  # SQLite writes the message at once: refused before the engine moved, nothing taken
        assert queued == [] and looked is None
    joined, new = ingest_many(svc, then, live.hub.identity, looked=looked)
    assert joined.conversation_id == opened[0].conversation_id and not joined.opened  # type: ignore[union-attr]
    assert new.opened  # type: ignore[union-attr]
