"""A contact's life: abandon, overflow, callback, transfer, escalation, hold, wrap-up."""

from __future__ import annotations

import pytest

from dozvon.core.errors import Conflict, InvalidInput
from dozvon.routing import ContactSpec, Disposition, QueueConfig
from dozvon.routing.events import CALLBACK, CONNECT, DISCONNECT, OFFER, TRANSFER_OUT, WITHDRAW
from dozvon.routing.model import Action
from tests.conftest import make_engine, voice_ops


def connect(engine, contact_id: str, queue: str = "sales", **kw) -> str:
    decisions = engine.contact_arrived(ContactSpec(contact_id, queue, **kw))
    offer = next(d for d in decisions if d.kind == OFFER)
    engine.accept(offer.offer_id)
    return offer.operator_id


def events_of(engine, contact_id: str) -> list[str]:
    return [e.type for e in engine.drain_events() if e.contact_id == contact_id]


def test_abandon_while_waiting_removes_the_contact_and_may_create_a_callback():
    engine, clock = make_engine([QueueConfig("sales", callback_on_abandon=True)], voice_ops("a"))
    connect(engine, "busy")
    engine.contact_arrived(ContactSpec("c1", "sales", customer_id="k1"))
    clock.advance(42)
    decisions = engine.customer_left("c1")
    assert [d.kind for d in decisions] == [CALLBACK]
    events = engine.drain_events()
    abandoned = next(e for e in events if e.type == "contact.abandoned")
    assert abandoned.data["wait_s"] == 42 and abandoned.data["while"] == "waiting"
    assert "c1" not in engine.contacts
    assert engine.queues["sales"].waiting_count == 0
    # the operator, once free, is not offered the abandoned contact
    assert [d for d in engine.end_contact("busy") if d.kind == OFFER] == []


def test_abandon_while_ringing_withdraws_the_offer_and_frees_the_operator():
    engine, _ = make_engine([QueueConfig("sales")], voice_ops("a"))
    engine.contact_arrived(ContactSpec("c1", "sales"))
    assert [d.kind for d in engine.customer_left("c1")] == [WITHDRAW]
    assert engine.operators["a"].load["voice"] == 0
    assert [d.operator_id for d in engine.contact_arrived(ContactSpec("c2", "sales"))] == ["a"]


def test_a_contact_waiting_too_long_overflows_to_the_senior_queue_keeping_its_wait():
    queues = [
        QueueConfig("sales", max_wait_s=60, on_max_wait=Action("overflow", target_queue="senior")),
        QueueConfig("senior"),
    ]
    ops = voice_ops("junior") + voice_ops("boss", queues=("senior",))
    engine, clock = make_engine(queues, ops)
    connect(engine, "busy")
    connect(engine, "boss_busy", "senior")
    engine.contact_arrived(ContactSpec("c1", "sales"))
    clock.advance(60)
    engine.advance()
    assert engine.contacts["c1"].queue == "senior"
    clock.advance(15)
    decisions = engine.end_contact("boss_busy")
    offer = next(d for d in decisions if d.kind == OFFER)
    assert offer.contact_id == "c1"
    engine.accept(offer.offer_id)
    answered = next(e for e in engine.drain_events() if e.type == "contact.answered" and e.contact_id == "c1")
    assert answered.data["wait_s"] == 75  # the wait counts from the first queue


def test_max_wait_callback_is_the_default_action():
    engine, clock = make_engine([QueueConfig("sales", max_wait_s=30)], voice_ops("a"))
    connect(engine, "busy")
    engine.contact_arrived(ContactSpec("c1", "sales", customer_id="k"))
    clock.advance(30)
    assert [d.kind for d in engine.advance()] == [CALLBACK]
    assert "c1" not in engine.contacts


def test_a_full_queue_rejects_with_a_clear_outcome_or_overflows():
    engine, _ = make_engine([QueueConfig("sales", max_length=1)], voice_ops("a"))
    connect(engine, "busy")
    engine.contact_arrived(ContactSpec("w1", "sales"))
    assert [d.kind for d in engine.contact_arrived(ContactSpec("w2", "sales"))] == [DISCONNECT]
    closed = [e for e in engine.drain_events() if e.type == "contact.closed"]
    assert closed[-1].data == {"outcome": "rejected", "answered": False, "reason": "queue_full"}


def test_overflow_loops_are_cut_instead_of_spinning():
    queues = [
        QueueConfig("a", max_length=0, on_full=Action("overflow", target_queue="b")),
        QueueConfig("b", max_length=0, on_full=Action("overflow", target_queue="a")),
    ]
    engine, _ = make_engine(queues, [])
    engine.contact_arrived(ContactSpec("c1", "a"))
    closed = [e for e in engine.drain_events() if e.type == "contact.closed"]
    assert len(closed) == 1 and closed[0].data["outcome"] == "rejected"


def test_transfer_to_an_operator_offers_it_to_them_and_frees_the_first():
    engine, clock = make_engine([QueueConfig("sales", strategy="round_robin")], voice_ops("a", "b"))
    assert connect(engine, "c1") == "a"
    clock.advance(20)
    decisions = engine.transfer("c1", to_operator="b", operator_id="a")
    assert [(d.kind, d.operator_id) for d in decisions] == [(OFFER, "b")]
    assert engine.operators["a"].load["voice"] == 0
    engine.accept(decisions[0].offer_id)
    types = events_of(engine, "c1")
    assert types[-5:] == [
        "contact.transferred",
        "contact.queued",
        "offer.created",
        "offer.accepted",
        "contact.answered",
    ]
    assert engine.contacts["c1"].operator_id == "b"


def test_transfer_to_a_busy_operator_is_refused_and_changes_nothing():
    engine, _ = make_engine([QueueConfig("sales", strategy="round_robin")], voice_ops("a", "b"))
    connect(engine, "c1")
    connect(engine, "c2")
    with pytest.raises(Conflict):
        engine.transfer("c1", to_operator="b")
    assert engine.contacts["c1"].operator_id == "a" and engine.contacts["c1"].state == "connected"


def test_transfer_to_an_external_number_closes_the_contact():
    engine, _ = make_engine([QueueConfig("sales")], voice_ops("a"))
    connect(engine, "c1")
    decisions = engine.transfer("c1", to_external="+74951234567")
    assert [(d.kind, d.target) for d in decisions] == [(TRANSFER_OUT, "+74951234567")]
    assert "c1" not in engine.contacts


def test_escalation_sends_a_complaint_to_the_supervisor_queue():
    queues = [QueueConfig("sales", escalation_queue="supervisors"), QueueConfig("supervisors")]
    ops = voice_ops("a") + voice_ops("boss", queues=("supervisors",))
    engine, _ = make_engine(queues, ops)
    connect(engine, "c1")
    decisions = engine.escalate("c1")
    assert [(d.kind, d.operator_id) for d in decisions] == [(OFFER, "boss")]
    with pytest.raises(InvalidInput):
        engine.transfer("c1", to_queue="supervisors", to_external="+7")


def test_escalation_without_a_configured_queue_is_a_clear_error():
    engine, _ = make_engine([QueueConfig("sales")], voice_ops("a"))
    connect(engine, "c1")
    with pytest.raises(Conflict) as error:
        engine.escalate("c1")
    assert "escalation" in error.value.message("en") and "эскалации" in error.value.message("ru")


def test_hold_time_is_counted_apart_from_talk_time():
    engine, clock = make_engine([QueueConfig("sales")], voice_ops("a"))
    connect(engine, "c1")
    clock.advance(30)
    engine.hold("c1")
    clock.advance(45)
    engine.resume("c1")
    clock.advance(15)
    engine.end_contact("c1")
    ended = next(e for e in engine.drain_events() if e.type == "contact.ended")
    assert (ended.data["talk_s"], ended.data["hold_s"]) == (45, 45)


def test_wrap_up_holds_the_slot_until_the_disposition_is_saved():
    engine, clock = make_engine([QueueConfig("sales", wrap_up_s=60)], voice_ops("a"))
    connect(engine, "c1")
    clock.advance(100)
    engine.end_contact("c1")
    assert [d for d in engine.contact_arrived(ContactSpec("c2", "sales")) if d.kind == OFFER] == []
    clock.advance(20)
    decisions = engine.finish_wrap_up("c1", Disposition("complaint", resolved=False, notes="ждёт возврат"))
    assert [(d.kind, d.contact_id) for d in decisions] == [(OFFER, "c2")]
    events = [e for e in engine.drain_events() if e.contact_id == "c1"]
    disposition = next(e for e in events if e.type == "contact.disposition")
    assert disposition.data["contact_type"] == "complaint" and disposition.data["resolved"] is False
    closed = next(e for e in events if e.type == "contact.closed")
    assert closed.data["wrap_s"] == 20 and "disposition_missing" not in closed.data


def test_wrap_up_ends_on_its_timer_and_a_late_disposition_is_still_accepted():
    engine, clock = make_engine([QueueConfig("sales", wrap_up_s=30)], voice_ops("a"))
    connect(engine, "c1")
    engine.end_contact("c1")
    clock.advance(30)
    engine.advance()
    assert engine.operators["a"].load["voice"] == 0
    engine.finish_wrap_up("c1", Disposition("new_inquiry", resolved=True))
    events = [e for e in engine.drain_events() if e.contact_id == "c1"]
    closed = next(e for e in events if e.type == "contact.closed")
    assert closed.data["disposition_missing"] is True and closed.data["wrap_s"] == 30
    late = next(e for e in events if e.type == "contact.disposition")
    assert late.data["late"] is True
    assert "c1" not in engine.contacts


def test_a_disposition_with_an_unknown_contact_type_is_refused():
    engine, _ = make_engine([QueueConfig("sales", wrap_up_s=30)], voice_ops("a"))
    connect(engine, "c1")
    engine.end_contact("c1")
    with pytest.raises(InvalidInput) as error:
        engine.finish_wrap_up("c1", Disposition("spam", resolved=True))
    assert "new_inquiry" in error.value.message("en")
    assert engine.contacts["c1"].state == "wrap_up"


def test_close_button_ends_the_conversation_and_saves_the_disposition_at_once():
    engine, _ = make_engine([QueueConfig("sales", wrap_up_s=30)], voice_ops("a"))
    connect(engine, "c1")
    engine.finish_wrap_up("c1", Disposition("regular", resolved=True))
    assert "c1" not in engine.contacts and engine.operators["a"].load["voice"] == 0


def test_bad_input_changes_nothing_and_says_what_was_wrong():
    engine, _ = make_engine([QueueConfig("sales")], voice_ops("a"))
    with pytest.raises(Exception) as error:
        engine.contact_arrived(ContactSpec("c1", "nope"))
    assert "nope" in str(error.value)
    with pytest.raises(InvalidInput) as error:
        engine.contact_arrived(ContactSpec("c1", "sales", channel="pigeon"))
    assert "pigeon" in error.value.message("en")
    assert engine.contacts == {} and engine.drain_events() == []
    connect(engine, "c1")
    with pytest.raises(Conflict):
        engine.contact_arrived(ContactSpec("c1", "sales"))


def test_a_customer_hanging_up_during_the_conversation_ends_it_with_wrap_up():
    engine, clock = make_engine([QueueConfig("sales", wrap_up_s=15)], voice_ops("a"))
    connect(engine, "c1")
    clock.advance(50)
    engine.customer_left("c1")
    assert engine.contacts["c1"].state == "wrap_up"
    ended = next(e for e in engine.drain_events() if e.type == "contact.ended")
    assert ended.data["by"] == "customer" and ended.data["talk_s"] == 50
    assert engine.customer_left("c1") == []  # a repeated hang-up signal changes nothing


def test_connect_decision_follows_accept():
    engine, _ = make_engine([QueueConfig("sales")], voice_ops("a"))
    decisions = engine.contact_arrived(ContactSpec("c1", "sales"))
    assert [d.kind for d in engine.accept(decisions[0].offer_id)] == [CONNECT]


def test_close_button_records_the_disposition_as_given_not_late_and_not_missing():
    engine, _ = make_engine([QueueConfig("sales", wrap_up_s=0)], voice_ops("a"))
    connect(engine, "c1")
    engine.finish_wrap_up("c1", Disposition("partner", resolved=True))
    events = [e for e in engine.drain_events() if e.contact_id == "c1"]
    assert [e.type for e in events][-4:] == [
        "contact.ended", "contact.disposition", "contact.wrap_up_ended", "contact.closed"]
    assert events[-3].data["late"] is False
    assert "disposition_missing" not in events[-1].data and "c1" not in engine.contacts


def test_reconfiguring_an_available_operator_into_a_busy_queue_offers_at_once():
    from dozvon.routing import OperatorConfig

    engine, _ = make_engine([QueueConfig("sales"), QueueConfig("support")], voice_ops("a"))
    engine.contact_arrived(ContactSpec("busy", "sales"))
    engine.accept(next(iter(engine.contacts["busy"].offers)))
    engine.contact_arrived(ContactSpec("s1", "support"))
    engine.add_operator(OperatorConfig("b", queues=("sales",)))
    engine.login("b")
    decisions = engine.add_operator(OperatorConfig("b", queues=("sales", "support")))
    assert [(d.kind, d.contact_id, d.operator_id) for d in decisions] == [(OFFER, "s1", "b")]
    assert engine.end_contact("busy") == []  # nothing leaked into the next command's answer
