"""Offers have deadlines: no answer in time goes to the next operator, and is counted."""

from __future__ import annotations

import pytest

from dozvon.core.errors import Conflict
from dozvon.routing import ContactSpec, EngineSettings, QueueConfig
from dozvon.routing.events import OFFER, WITHDRAW
from tests.conftest import make_engine, voice_ops


def test_if_petya_does_not_answer_in_time_the_contact_goes_to_vasya():
    engine, clock = make_engine(
        [QueueConfig("sales", strategy="round_robin", offer_timeout_s=60)], voice_ops("petya", "vasya")
    )
    first = engine.contact_arrived(ContactSpec("c1", "sales"))
    assert [(d.operator_id, d.deadline) for d in first] == [("petya", clock.now() + 60)]
    clock.advance(59.9)
    assert engine.advance() == []
    clock.advance(0.1)
    after = engine.advance()
    assert [(d.kind, d.operator_id) for d in after] == [(WITHDRAW, "petya"), (OFFER, "vasya")]
    types = [e.type for e in engine.drain_events()]
    assert types[-3:] == ["offer.created", "offer.timed_out", "offer.created"]


def test_rona_is_recorded_and_the_operator_set_not_ready_after_n_missed_offers():
    settings = EngineSettings(max_missed_offers=2)
    engine, clock = make_engine([QueueConfig("sales", offer_timeout_s=10)], voice_ops("petya"), settings)
    engine.contact_arrived(ContactSpec("c1", "sales"))
    clock.advance(10)
    engine.advance()  # first miss: the contact comes straight back? no: petya is excluded
    assert engine.operators["petya"].state == "available"
    engine.contact_arrived(ContactSpec("c2", "sales"))
    clock.advance(10)
    engine.advance()
    petya = engine.operators["petya"]
    assert (petya.state, petya.reason) == ("break", "missed_offers")
    events = engine.drain_events()
    assert sum(e.type == "offer.timed_out" for e in events) == 2
    assert any(e.type == "operator.state_changed" and e.data["to"] == "break" for e in events)


def test_missed_offers_do_not_set_not_ready_by_default():
    engine, clock = make_engine([QueueConfig("sales", offer_timeout_s=10)], voice_ops("petya"))
    for i in range(5):
        engine.contact_arrived(ContactSpec(f"c{i}", "sales"))
        clock.advance(10)
        engine.advance()
    assert engine.operators["petya"].state == "available"


def test_a_declined_contact_goes_to_the_next_operator_and_not_back_to_the_decliner():
    engine, _ = make_engine([QueueConfig("sales", strategy="round_robin")], voice_ops("a", "b"))
    d = engine.contact_arrived(ContactSpec("c1", "sales"))
    after = engine.decline(d[0].offer_id, reason="busy with paperwork")
    assert [(x.kind, x.operator_id) for x in after] == [(OFFER, "b")]


def test_a_single_operator_gets_the_contact_again_after_missing_it_once_someone_else_missed_it():
    engine, clock = make_engine(
        [QueueConfig("sales", strategy="round_robin", offer_timeout_s=5)], voice_ops("a", "b")
    )
    engine.contact_arrived(ContactSpec("c1", "sales"))
    clock.advance(5)
    assert [d.operator_id for d in engine.advance() if d.kind == OFFER] == ["b"]
    clock.advance(5)
    # b missed it too: a (who missed it earlier, not last) is tried again
    assert [d.operator_id for d in engine.advance() if d.kind == OFFER] == ["a"]


def test_an_offer_can_be_answered_only_once_and_only_by_its_operator():
    engine, _ = make_engine([QueueConfig("sales")], voice_ops("a", "b"))
    d = engine.contact_arrived(ContactSpec("c1", "sales"))
    with pytest.raises(Conflict):
        engine.accept(d[0].offer_id, operator_id="b")
    engine.accept(d[0].offer_id, operator_id="a")
    with pytest.raises(Conflict) as error:
        engine.accept(d[0].offer_id)
    assert "no longer open" in error.value.message("en")
    assert "уже неактуально" in error.value.message("ru")


def test_going_on_break_withdraws_ringing_offers_and_the_contact_goes_to_someone_else():
    engine, _ = make_engine([QueueConfig("sales", strategy="round_robin")], voice_ops("a", "b"))
    engine.contact_arrived(ContactSpec("c1", "sales"))
    after = engine.set_state("a", "break", "lunch")
    assert [(x.kind, x.operator_id) for x in after] == [(WITHDRAW, "a"), (OFFER, "b")]
    assert engine.operators["a"].reason == "lunch"


def test_an_offer_whose_deadline_passes_while_the_customer_hangs_up_is_withdrawn_once():
    engine, clock = make_engine([QueueConfig("sales", offer_timeout_s=20)], voice_ops("a"))
    engine.contact_arrived(ContactSpec("c1", "sales"))
    clock.advance(10)
    engine.customer_left("c1")
    clock.advance(20)
    assert engine.advance() == []
    events = engine.drain_events()
    offer_ends = [e.type for e in events if e.type.startswith("offer.") and e.type != "offer.created"]
    assert offer_ends == ["offer.withdrawn"]
