"""The server's background checker, round by round on a real database (SQLite and
PostgreSQL): a closed conversation is checked once, a conversation closed while the
checker was not running is checked when it runs again, abandoned contacts are not judged,
and a live text contact's type is suggested from its first messages, with the settings
saved before the round."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dozvon.acd.service import RouterService
from dozvon.conversations import actions as conversations
from dozvon.conversations.ingest import Inbound, ingest
from dozvon.conversations.projection import project_events
from dozvon.core.clock import ManualClock
from dozvon.core.db import get_engine, session_factory
from dozvon.eventlog import repository as eventlog
from dozvon.quality import queries, worker
from dozvon.quality.actions import Checked, do_set_settings
from dozvon.quality.models import CheckResultRow, CursorRow, SuggestionRow
from dozvon.quality.settings import QualitySettings, WordChanges
from dozvon.quality.worker import CLOSED, LocalWrites, check_round, suggest_round
from dozvon.routing.events import OFFER
from dozvon.routing.model import OperatorConfig, QueueConfig
from tests.conftest import T0


def _service(url: str, clock: ManualClock) -> RouterService:
    svc = RouterService(get_engine(url), "shop", clock)
    svc.projections.append(project_events)  # as the hub does: the conversation rows follow the events
    return svc


def _chat(svc: RouterService, clock: ManualClock, external: str, text: str, reply: str | None) -> str:
    """A chat that op1 answers (when ``reply`` is given) and closes, or that the customer abandons."""
    arrived = ingest(svc, Inbound(channel="chat", external_id=external, queue="sales", customer_id=external,
                                  text=text))
    conv = arrived.conversation_id
    clock.advance(10)
    if reply is None:
        conversations.do_customer_left(svc, "chat", external)
        return conv
    offer = next(d for d in arrived.decisions if d.kind == OFFER)
    conversations.do_accept_offer(svc, str(offer.offer_id), "op1")
    clock.advance(20)
    conversations.do_send_message(svc, conv, "op1", "op1", reply)
    clock.advance(5)
    conversations.do_end(svc, conv, "op1")
    conversations.do_dispose(svc, conv, "op1", "new_inquiry", True)
    return conv


def _staffed(url: str) -> tuple[RouterService, ManualClock, sessionmaker[Session], int]:
    """The shop with op1 logged in to "sales", its clock, a session factory, and the instant
    (µs) the rounds run at."""
    clock = ManualClock(T0)
    svc = _service(url, clock)
    svc.run(lambda e: e.add_queue(QueueConfig(name="sales", strategy="round_robin", wrap_up_s=60)))
    svc.run(lambda e: e.add_operator(OperatorConfig.from_dict({"id": "op1", "queues": ["sales"],
                                                               "capacity": {"chat": 3}})))
    svc.run(lambda e: e.login("op1"))
    return svc, clock, session_factory(get_engine(url)), round(clock.now() * 1e6)


def test_each_closed_conversation_is_checked_once_and_none_is_lost_between_rounds(db_url: str) -> None:
    svc, clock, sessions, now = _staffed(db_url)
    writes = LocalWrites(lambda project: svc)

    rude = _chat(svc, clock, "v1", "Где мой заказ?", "Не ваше дело.")
    gone = _chat(svc, clock, "v2", "Алло?", None)
    assert check_round(sessions, "shop", writes, now) == 1  # the abandoned one had no operator to judge
    assert check_round(sessions, "shop", writes, now) == 0  # nothing new: the cursor moved past both

    # The checker is away while a conversation closes; the next round finds it.
    polite = _chat(svc, clock, "v3", "Сколько стоит доставка?", "Здравствуйте! Бесплатно. Хорошего дня!")
    assert check_round(sessions, "shop", writes, now) == 1
    with sessions() as session:
        results = {r.conversation_id: r for r in session.scalars(select(CheckResultRow))}
        assert set(results) == {rude, polite} and gone not in results
        assert results[rude].failed == ["greeting", "farewell", "politeness"]
        assert results[polite].failed == [] and results[polite].score == 100
        cursor = session.get(CursorRow, ("shop", CLOSED))
        closed = eventlog.list_events(session, "shop", types=("contact.closed",), contact_id=polite)[0]
        assert cursor is not None and closed.seq <= cursor.after_seq < svc.last_seq()  # its quality.checked is after
        checked = eventlog.list_events(session, "shop", types=("quality.checked",))
        assert [(e.data["conversation_id"], e.data["failed"]) for e in checked] == [
            (rude, ["greeting", "farewell", "politeness"]), (polite, [])]


def _sales(url: str) -> tuple[RouterService, sessionmaker[Session], int]:
    """The shop with a "sales" queue, a session factory, and the instant (µs) the rounds run at."""
    clock = ManualClock(T0)
    svc = _service(url, clock)
    svc.run(lambda e: e.add_queue(QueueConfig(name="sales", strategy="round_robin")))
    return svc, session_factory(get_engine(url)), round(clock.now() * 1e6)


def _customer_writes(svc: RouterService, external_id: str, text: str, first: bool = False) -> str:
    """Customer w1 writes to "sales": the first message opens the chat, later ones join it."""
    return ingest(svc, Inbound(channel="chat", external_id=external_id, queue="sales", customer_id="w1",
                               text=text, as_message=not first)).conversation_id


def test_a_live_text_contact_gets_its_type_from_its_first_messages(db_url: str) -> None:
    svc, sessions, now = _sales(db_url)
    writes = LocalWrites(lambda project: svc)
    conv = _customer_writes(svc, "w1", "Добрый день", first=True)
    assert suggest_round(sessions, "shop", writes, now) == 1
    with sessions() as session:
        assert queries.suggestion_of(session, "shop", conv)["contact_type"] == "new_inquiry"  # type: ignore[index]
    _customer_writes(svc, "w1-2", "Хочу оставить жалобу на курьера")
    assert suggest_round(sessions, "shop", writes, now) == 1
    with sessions() as session:
        found = queries.suggestion_of(session, "shop", conv)
        assert found is not None and (found["contact_type"], found["messages"]) == ("complaint", 2)
        alerts = eventlog.list_events(session, "shop", types=("quality.complaint_suspected",))
        assert [(a.contact_id, a.data) for a in alerts] == [(conv, {"cues": ["жалоба"]})]
    assert suggest_round(sessions, "shop", writes, now) == 0
    # A third message: suggested again (stored over the row in place), alerted once only —
    # the stored "alerted" survives the update.
    _customer_writes(svc, "w1-3", "Курьер нагрубил")
    assert suggest_round(sessions, "shop", writes, now) == 1
    with sessions() as session:
        found = queries.suggestion_of(session, "shop", conv)
        assert found is not None and (found["contact_type"], found["messages"]) == ("complaint", 3)
        assert session.get(SuggestionRow, conv).alerted  # type: ignore[union-attr]
        assert len(eventlog.list_events(session, "shop", types=("quality.complaint_suspected",))) == 1


def test_each_suggester_round_reads_the_settings_saved_before_it(db_url: str) -> None:
    """The suggester reads the project's settings and classifier once a round, for every
    slice of it: settings saved between two rounds count from the next round on."""
    svc, sessions, now = _sales(db_url)
    writes = LocalWrites(lambda project: svc)
    conv = _customer_writes(svc, "w1", "Здравствуйте, у меня фиаско с заказом", first=True)
    assert suggest_round(sessions, "shop", writes, now) == 1
    with sessions() as session:
        assert queries.suggestion_of(session, "shop", conv)["contact_type"] != "complaint"  # type: ignore[index]
    with sessions.begin() as session:
        do_set_settings(session, "admin", "shop",
                        QualitySettings(words={"ru": {"complaint": WordChanges(add=["фиаско"])}}))
    _customer_writes(svc, "w1-2", "Заказ №15")
    assert suggest_round(sessions, "shop", writes, now) == 1
    with sessions() as session:
        found = queries.suggestion_of(session, "shop", conv)
        assert found is not None and (found["contact_type"], found["messages"]) == ("complaint", 2)


def test_a_round_suggests_only_live_contacts_with_first_messages_left_to_read(db_url: str) -> None:
    """The round reads its conversations once: one whose suggestion read all the first
    messages the project reads is not suggested again, nor one closed before the round."""
    svc, sessions, now = _sales(db_url)
    writes = LocalWrites(lambda project: svc)
    with sessions.begin() as session:
        do_set_settings(session, "admin", "shop", QualitySettings(first_messages=2))

    def writes_to(customer: str, external_id: str, text: str, first: bool = False) -> str:
        return ingest(svc, Inbound(channel="chat", external_id=external_id, queue="sales", customer_id=customer,
                                   text=text, as_message=not first)).conversation_id

    conv = writes_to("w1", "a1", "Добрый день", first=True)
    assert suggest_round(sessions, "shop", writes, now) == 1
    writes_to("w1", "a2", "Где мой заказ?")
    assert suggest_round(sessions, "shop", writes, now) == 1
    writes_to("w1", "a3", "Хочу оставить жалобу")  # a third message: past the two it reads
    gone = writes_to("w2", "b1", "Алло?", first=True)
    conversations.do_customer_left(svc, "chat", "b1")
    assert suggest_round(sessions, "shop", writes, now) == 0
    with sessions() as session:
        found = queries.suggestion_of(session, "shop", conv)
        assert found is not None and (found["contact_type"], found["messages"]) == ("new_inquiry", 2)
        assert session.get(SuggestionRow, gone) is None
        assert not eventlog.list_events(session, "shop", types=("quality.complaint_suspected",))


def test_a_burst_of_chat_messages_is_suggested_in_one_round(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """More messages than a round once read (200 whole events, every 0.5 s at load: 400 a
    second, where a busy center brings thousands): the suggester reads only their numbers
    and conversations, so one round takes them all — the suspected complaint among them is
    alerted at once, not minutes later. The conversations' messages and facts are read 100
    at a time here, as a round of thousands is (its reads in several parts, each judged in
    slices)."""
    monkeypatch.setattr(worker, "SUGGEST_READ", 100)
    svc, sessions, now = _sales(db_url)
    writes = LocalWrites(lambda project: svc)
    chats = 240
    for i in range(chats):
        ingest(svc, Inbound(channel="chat", external_id=f"b{i}", queue="sales", customer_id=f"c{i}",
                            text="Это безобразие, курьер нагрубил" if i == 150 else "Где мой заказ?"))
    assert suggest_round(sessions, "shop", writes, now) == chats
    assert suggest_round(sessions, "shop", writes, now) == 0
    with sessions() as session:
        assert len(list(session.scalars(select(SuggestionRow)))) == chats
        alerts = eventlog.list_events(session, "shop", types=("quality.complaint_suspected",))
        assert len(alerts) == 1


def test_a_conversation_whose_inputs_cannot_be_read_holds_up_neither_the_others_nor_the_round(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The round reads its conversations' messages and CRM facts together: when that read
    fails because of one of them (here a fault put in for the second chat), the others are
    suggested one by one, the bad one is reported and skipped, and the cursor moves — the
    next round does not meet it again."""
    svc, sessions, now = _sales(db_url)
    writes = LocalWrites(lambda project: svc)
    convs = [ingest(svc, Inbound(channel="chat", external_id=f"f{i}", queue="sales", customer_id=f"c{i}",
                                 text="Где мой заказ?")).conversation_id for i in range(3)]
    read = queries.suggestion_inputs

    def failing_for_the_second(session, project, chats, settings):  # type: ignore[no-untyped-def]
        if any(chat.id == convs[1] for chat in chats):
            raise ValueError("a row the suggester cannot read")
        return read(session, project, chats, settings)

    monkeypatch.setattr(queries, "suggestion_inputs", failing_for_the_second)
    assert suggest_round(sessions, "shop", writes, now) == 2
    assert suggest_round(sessions, "shop", writes, now) == 0
    with sessions() as session:
        assert {row.conversation_id for row in session.scalars(select(SuggestionRow))} == {convs[0], convs[2]}


class _Died(BaseException):
    """The checker's process ended right after the server committed what it handed over."""


class _DyingWrites(LocalWrites):
    def store_checks(self, project: str, checked: Sequence[Checked], upto: int | None = None) -> None:
        super().store_checks(project, checked, upto)
        raise _Died


def test_checks_the_server_stored_are_not_checked_again_after_the_checker_died(db_url: str) -> None:
    """The checker's cursor moves in the transaction that stores its checks: a follower
    process killed between the server's commit and its own next step does not check (and
    announce) the same conversations again when it starts again."""
    svc, clock, sessions, now = _staffed(db_url)
    conv = _chat(svc, clock, "v1", "Где мой заказ?", "Не ваше дело.")
    with pytest.raises(_Died):
        check_round(sessions, "shop", _DyingWrites(lambda project: svc), now)
    assert check_round(sessions, "shop", LocalWrites(lambda project: svc), now) == 0
    with sessions() as session:
        checked = eventlog.list_events(session, "shop", types=("quality.checked",))
        assert [e.data["conversation_id"] for e in checked] == [conv]
        assert session.get(CheckResultRow, conv) is not None
