"""Recovery time: a queue may give an operator extra wrap-up after a conversation they
classified as a complaint, so that they recover before the next customer (seed 001). The
engine holds the slot for exactly that long on its injected clock, then closes the contact
with the disposition that was saved; other contact types close at once; saving again ends
the recovery early; it survives a restart (the snapshot)."""

from __future__ import annotations

from dozvon.routing import ContactSpec, Disposition, QueueConfig
from dozvon.routing.events import OFFER
from dozvon.routing.snapshot import export_contact, export_meta, export_operator, export_queue, restore
from tests.conftest import make_engine, voice_ops

RECOVERY = 120.0


def _answered(engine, contact_id: str) -> str:
    offer = next(d for d in engine.contact_arrived(ContactSpec(contact_id, "sales")) if d.kind == OFFER)
    engine.accept(offer.offer_id)
    return offer.operator_id


def _offered_to(decisions) -> list[tuple[str, str]]:
    return [(d.contact_id, d.operator_id) for d in decisions if d.kind == OFFER]


def test_a_complaint_keeps_the_operator_in_wrap_up_for_the_recovery_time_then_closes_with_its_disposition():
    engine, clock = make_engine([QueueConfig("sales", wrap_up_s=30, recovery_after_complaint_s=RECOVERY)],
                                voice_ops("a"))
    assert _answered(engine, "angry") == "a"
    engine.drain_events()
    assert _offered_to(engine.finish_wrap_up("angry", Disposition("complaint", True, "refund agreed"))) == []
    assert engine.contacts["angry"].state == "wrap_up" and engine.presence("a") == "wrap_up"
    assert not [e for e in engine.drain_events() if e.type == "contact.closed"]
    assert _offered_to(engine.contact_arrived(ContactSpec("next", "sales"))) == [], "the slot is still taken"
    clock.advance(RECOVERY - 1)
    assert _offered_to(engine.advance()) == [] and "angry" in engine.contacts
    clock.advance(1)
    assert _offered_to(engine.advance()) == [("next", "a")], "recovered: the next customer is offered"
    events = [e for e in engine.drain_events() if e.contact_id == "angry"]
    disposition = next(e for e in events if e.type == "contact.disposition")
    assert (disposition.data["contact_type"], disposition.data["notes"], disposition.data["late"]) == (
        "complaint", "refund agreed", False)
    ended = next(e for e in events if e.type == "contact.wrap_up_ended")
    assert ended.data["timed_out"] is False and ended.data["wrap_s"] == RECOVERY
    assert "angry" not in engine.contacts


def test_other_contact_types_and_queues_without_recovery_close_at_once():
    engine, _ = make_engine([QueueConfig("sales", recovery_after_complaint_s=RECOVERY), QueueConfig("plain")],
                            voice_ops("a", queues=("sales", "plain")))
    _answered(engine, "calm")
    engine.finish_wrap_up("calm", Disposition("new_inquiry", True))
    assert "calm" not in engine.contacts
    offer = next(d for d in engine.contact_arrived(ContactSpec("other", "plain")) if d.kind == OFFER)
    engine.accept(offer.offer_id)
    engine.finish_wrap_up("other", Disposition("complaint", False))
    assert "other" not in engine.contacts, "a queue without recovery time closes a complaint at once"


def test_saving_again_ends_the_recovery_early_and_a_restart_keeps_it():
    engine, clock = make_engine([QueueConfig("sales", recovery_after_complaint_s=RECOVERY)], voice_ops("a"))
    _answered(engine, "angry")
    engine.finish_wrap_up("angry", Disposition("complaint", True))
    clock.advance(10)
    # Restored from its snapshot (a server restart), the recovery goes on to the same moment.
    copy = restore(clock, [export_queue(q) for q in engine.queues.values()],
                   [export_operator(o) for o in engine.operators.values()],
                   [export_contact(c) for c in engine.contacts.values()], export_meta(engine))
    assert copy.contacts["angry"].recovering_with == {"contact_type": "complaint", "resolved": True, "notes": ""}
    clock.advance(RECOVERY - 10)
    copy.advance()
    assert "angry" not in copy.contacts
    # "I am ready": the operator saves again, the recovery ends now with what they saved.
    engine.drain_events()
    engine.finish_wrap_up("angry", Disposition("complaint", True, "ready"))
    assert "angry" not in engine.contacts
    assert next(e for e in engine.drain_events() if e.type == "contact.disposition").data["notes"] == "ready"
