"""An operator who frees a slot goes back into the queues' heaps of ready operators only
when routing needs them there (Matcher.release): before a contact is routed, or once it is
clear they took no waiting contact themselves."""

from __future__ import annotations

from dozvon.routing import ContactSpec, Disposition, QueueConfig
from dozvon.routing.events import OFFER
from tests.conftest import make_engine, voice_ops

DONE = Disposition("new_inquiry", True)


def _handle(engine, contact_id: str) -> str:
    """Arrive, answer, end and save the wrap-up; returns who took it."""
    [offer] = engine.contact_arrived(ContactSpec(contact_id, "sales"))
    engine.accept(offer.offer_id)
    engine.end_contact(contact_id)
    engine.finish_wrap_up(contact_id, DONE)
    return offer.operator_id


def test_a_contact_routed_in_the_command_that_frees_an_operator_sees_that_operator():
    # Round robin: the contact goes to whoever had fewest turns. Petya (1 turn) transfers his
    # customer back into the queue: in that one command he is freed and the contact routed,
    # and it must find him ready — ahead of Vasya, who has had 2 turns.
    engine, _ = make_engine([QueueConfig("sales", strategy="round_robin", wrap_up_s=30)], voice_ops("petya", "vasya"))
    [first] = engine.contact_arrived(ContactSpec("c1", "sales"))
    assert first.operator_id == "petya"
    engine.accept(first.offer_id)
    assert _handle(engine, "c2") == "vasya"
    assert _handle(engine, "c3") == "vasya"
    decisions = engine.transfer("c1", to_queue="sales", operator_id="petya")
    assert [(d.kind, d.operator_id) for d in decisions] == [(OFFER, "petya")]


def test_an_operator_freed_while_a_contact_waits_takes_it_without_a_ready_entry_going_stale():
    engine, _ = make_engine([QueueConfig("sales", strategy="round_robin", wrap_up_s=30)], voice_ops("petya"))
    ready = engine.queues["sales"].ready["voice"]
    [offer] = engine.contact_arrived(ContactSpec("c1", "sales"))
    engine.accept(offer.offer_id)
    engine.end_contact("c1")
    assert engine.contact_arrived(ContactSpec("c2", "sales")) == []  # c2 waits for petya
    entries = len(ready)
    decisions = engine.finish_wrap_up("c1", DONE)
    assert [(d.kind, d.contact_id, d.operator_id) for d in decisions] == [(OFFER, "c2", "petya")]
    assert len(ready) == entries  # nothing pushed for him: he went straight to c2


def test_an_operator_freed_with_nothing_waiting_is_ready_for_the_next_contact():
    engine, clock = make_engine([QueueConfig("sales", strategy="round_robin", wrap_up_s=30)], voice_ops("petya"))
    assert _handle(engine, "c1") == "petya"
    clock.advance(5)
    [offer] = engine.contact_arrived(ContactSpec("c2", "sales"))
    assert offer.operator_id == "petya"
