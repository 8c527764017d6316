"""An inbound contact is matched to its customer before routing: one person who calls,
then writes, is one customer, and a returning caller is offered to their last operator."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dozvon.accounts import actions as accounts
from dozvon.acd.service import RouterService
from dozvon.conversations.identity import ChannelIdentity, CustomerRef, IdentityResolver, IdentityTaken
from dozvon.conversations.ingest import Inbound, ingest, ingest_many
from dozvon.conversations.models import Conversation
from dozvon.core.clock import ManualClock
from dozvon.core.db import get_engine, session_factory, upgrade
from dozvon.crm import queries
from dozvon.crm.identity import CrmIdentity
from dozvon.crm.models import Customer
from dozvon.routing.events import OFFER
from dozvon.routing.model import OperatorConfig, QueueConfig
from tests.conftest import T0, new_postgres_database


def _created(session: Session, project: str, refs: list[CustomerRef]) -> list[str | None]:
    """The customers of ``refs``, created if new, as an ingest batch creates them: named by
    the identity step, written by the standing step with their segment."""
    found = CrmIdentity().resolve(session, project, refs)
    CrmIdentity().standing(session, project, [c for c in found if c], 0)
    return found


def _world(database_url: str, project: str) -> tuple[Engine, RouterService]:
    upgrade(database_url)
    db = get_engine(database_url)
    with session_factory(db).begin() as session:
        accounts.create_project(session, "test", project, "Shop", region="BY", timezone="Europe/Minsk")
    svc = RouterService(db, project, ManualClock(T0))
    svc.run(lambda e: e.add_queue(QueueConfig("sales", strategy="round_robin", offer_timeout_s=30,
                                              wrap_up_s=0, sticky_wait_s=15)))
    for name in ("a", "b"):
        svc.run(lambda e, n=name: e.add_operator(OperatorConfig.from_dict(
            {"id": n, "queues": ["sales"], "capacity": {"voice": 1, "chat": 3, "email": 3}})))
        svc.run(lambda e, n=name: e.login(n))
    return db, svc


def test_a_call_then_a_chat_by_the_same_phone_and_an_e_mail_then_a_chat_are_one_customer_each(
        database_url: str, project: str) -> None:
    db, svc = _world(database_url, project)
    crm = CrmIdentity()
    call = ingest(svc, Inbound("voice", "call-1", "sales", customer_id="8 (029) 123-45-67",
                               customer_name="Анна"), crm)
    chat = ingest(svc, Inbound("chat", "chat-1", "sales", customer_id="+375 29 123 45 67", text="Добрый день",
                               as_message=True), crm)
    mail = ingest(svc, Inbound("email", "mail-1", "sales", customer_id="Oleg@Example.BY", text="Счёт"), crm)
    web = ingest(svc, Inbound("chat", "chat-2", "sales", customer_id="oleg@example.by", text="Я по счёту",
                              as_message=True), crm)
    with session_factory(db)() as session:
        rows = {c.external_id: c for c in session.scalars(select(Conversation).where(Conversation.project == project))}
        assert rows["call-1"].customer_id == rows["chat-1"].customer_id
        assert rows["mail-1"].customer_id == rows["chat-2"].customer_id != rows["call-1"].customer_id
        # The channel's own id is kept beside the resolved one.
        assert rows["call-1"].details["customer_ref"] == "8 (029) 123-45-67"
        assert session.scalar(select(func.count()).select_from(Customer).where(Customer.project == project)) == 2
        [anna] = queries.as_dicts(session, project, queries.find(session, project, "80291234567"))
        assert anna["id"] == rows["call-1"].customer_id and anna["name"] == "Анна"
        assert anna["phones"] == ["+375291234567"]
    assert call.created and chat.created and mail.created and web.created


def _returning_caller(database_url: str, project: str, resolver: IdentityResolver) -> tuple[str, str]:
    """Operators offered a customer's first call and, after it, their call from the same
    number written another way."""
    _, svc = _world(database_url, project)
    first = ingest(svc, Inbound("voice", "call-1", "sales", customer_id="+375291234567"), resolver)
    [offer] = [d for d in first.decisions if d.kind == OFFER]
    svc.run(lambda e: e.accept(offer.offer_id))
    svc.run(lambda e: e.end_contact(first.conversation_id))
    again = ingest(svc, Inbound("voice", "call-2", "sales", customer_id="8 029 123-45-67"), resolver)
    [second] = [d for d in again.decisions if d.kind == OFFER]
    return str(offer.operator_id), str(second.operator_id)


def test_a_returning_caller_in_another_format_is_offered_to_their_last_operator(
        database_url: str, project: str) -> None:
    first, second = _returning_caller(database_url, project, CrmIdentity())
    assert second == first
    # Without the CRM the two spellings are two customers, and round robin moves on.
    first, second = _returning_caller(database_url, project + "_raw", ChannelIdentity())
    assert second != first


def test_an_identity_another_server_claimed_meanwhile_is_reported_not_duplicated(
        database_url: str, project: str) -> None:
    """Our look-up missed it (it was not there yet): creating it runs into the unique
    index, the insert leaves our claim out, and confirm() says so — the ingest then runs
    its batch again and finds their customer (below, on PostgreSQL, with a real race)."""
    db, _ = _world(database_url, project)
    with session_factory(db).begin() as session:
        _created(session, project, [CustomerRef("voice", "+375291234567")])
    with session_factory(db)() as session, session.begin():
        ours = CrmIdentity()._create(session, project, {("phone", "+375291234567"): "Анна",
                                                        ("phone", "+375447654321"): "Олег"})
        CrmIdentity().standing(session, project, list(ours.values()), 0)
        with pytest.raises(IdentityTaken, match=r"phone:\+375291234567"):
            CrmIdentity().confirm(session)
        session.rollback()
    with session_factory(db).begin() as session:
        ours = CrmIdentity()._create(session, project, {("phone", "+375447654321"): "Олег"})
        CrmIdentity().standing(session, project, list(ours.values()), 0)
        CrmIdentity().confirm(session)  # nobody else claimed it
    with session_factory(db)() as session:
        assert session.scalar(select(func.count()).select_from(Customer).where(Customer.project == project)) == 2


@pytest.mark.postgres
def test_a_contact_whose_customer_another_server_creates_at_the_same_moment_gets_that_customer(
        postgres_server_url: str, project: str) -> None:
    """Another server creates the customer of a caller while our batch looks them up and
    misses: our claim of the phone waits for theirs to commit and is left out, our batch is
    run again, and the call goes to their customer — one customer, not two."""
    with new_postgres_database("dozvon_race") as url:
        db, svc = _world(url, project)
        theirs_session = session_factory(db)()
        theirs_session.begin()
        [theirs] = _created(theirs_session, project, [CustomerRef("voice", "+375291234567", "Анна")])
        result: list[Any] = []
        ours = threading.Thread(target=lambda: result.append(
            ingest(svc, Inbound("voice", "call-1", "sales", customer_id="+375291234567"), CrmIdentity())))
        ours.start()
        deadline = time.monotonic() + 60
        while not _a_backend_waits_on_a_lock(db):  # our claim waits on theirs, in the unique index
            assert time.monotonic() < deadline and ours.is_alive(), "our batch never waited on their claim"
            time.sleep(0.02)
        theirs_session.commit()
        theirs_session.close()
        ours.join(30)
        assert not ours.is_alive() and len(result) == 1
        with session_factory(db)() as session:
            stored = session.get(Conversation, result[0].conversation_id)
            assert stored is not None and stored.customer_id == theirs
            assert session.scalar(select(func.count()).select_from(Customer)
                                  .where(Customer.project == project)) == 1


def _a_backend_waits_on_a_lock(db: Engine) -> bool:
    """Asked in a transaction of its own: PostgreSQL keeps what pg_stat_activity showed
    first for the rest of a transaction."""
    with session_factory(db)() as watcher:
        return bool(watcher.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                        "AND wait_event_type = 'Lock'")))


def _joins(database_url: str, project: str, resolver: IdentityResolver) -> dict[str, str]:
    """Each item's conversation: contacts that open one, then messages of the same people
    written as the channel gives them (another spelling, another channel); batches of
    several, as the server's ingest runs them."""
    _, svc = _world(database_url, project)
    opened = ingest_many(svc, [
        Inbound("form", "form-1", "sales", customer_id="8 (029) 765-43-21", text="Заявка"),
        Inbound("chat", "chat-1", "sales", customer_id="ivan@example.by", text="Здравствуйте")], resolver)
    joined = ingest_many(svc, [
        Inbound("form", "form-2", "sales", customer_id="+375297654321", text="Ещё", as_message=True),
        Inbound("chat", "chat-2", "sales", customer_id="Ivan@Example.BY", text="Вы тут?", as_message=True),
        Inbound("email", "mail-1", "sales", customer_id="ivan@example.by", text="Письмо", as_message=True),
        Inbound("chat", "chat-3", "sales", customer_id="ivan@example.by", text="Алло?", as_message=True)], resolver)
    # A phone written without its country code needs the project's region: its identity is
    # found after the region is read, its conversation after the identity.
    late = ingest_many(svc, [Inbound("form", "form-3", "sales", customer_id="8 029 765 43 21", text="Алло",
                                     as_message=True)], resolver)
    results = [*opened, *joined, *late]
    assert all(not isinstance(r, Exception) for r in results), results
    names = ["form-1", "chat-1", "form-2", "chat-2", "mail-1", "chat-3", "form-3"]
    return {name: r.conversation_id for name, r in zip(names, results, strict=True)}  # type: ignore[union-attr]


def test_a_message_joins_its_customers_open_conversation_on_its_channel_however_it_is_written(
        database_url: str, project: str) -> None:
    ids = _joins(database_url, project, CrmIdentity())
    assert ids["form-2"] == ids["form-3"] == ids["form-1"]
    assert ids["chat-2"] == ids["chat-3"] == ids["chat-1"]
    assert ids["mail-1"] not in (ids["chat-1"], ids["form-1"])  # no open e-mail of his: a new one
    # Without the CRM only the same spelling on the same channel is the same customer.
    raw = _joins(database_url, project + "_raw", ChannelIdentity())
    assert raw["chat-3"] == raw["chat-1"]
    assert len(set(raw.values())) == 6
