"""A supervisor moves a contact nobody has answered yet: to another queue, or to a named
operator with room. Its ringing offers stop, the move is in the log with who made it,
and today's figures keep it in the queue it was offered to."""

from __future__ import annotations

import pytest

from dozvon.analytics.kpi import KpiAccumulator
from dozvon.core.errors import Conflict, InvalidInput
from dozvon.routing import ContactSpec, OperatorConfig, QueueConfig
from dozvon.routing.events import OFFER, WITHDRAW
from tests.conftest import make_engine


def ops(*ids: str, queues: tuple[str, ...] = ("sales",)) -> list[OperatorConfig]:
    return [OperatorConfig(i, queues=queues, capacity={"voice": 1, "chat": 2}) for i in ids]


def types_of(engine, contact_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.type for e in engine.events if e.contact_id == contact_id]


def test_a_waiting_contact_moved_to_another_queue_waits_there_and_is_offered_there():
    engine, clock = make_engine([QueueConfig("sales"), QueueConfig("vip")],
                                ops("a") + ops("boss", queues=("vip",)))
    engine.set_state("boss", "break", "lunch")
    engine.set_state("a", "break", "lunch")
    engine.contact_arrived(ContactSpec("c1", "sales"))
    clock.advance(40)
    assert engine.reassign("c1", to_queue="vip", by="alpha-sup") == []  # nobody free in vip yet
    moved = [e for e in engine.events if e.type == "contact.reassigned"]
    assert [(e.queue, e.data["to_queue"], e.data["by"]) for e in moved] == [("sales", "vip", "alpha-sup")]
    assert engine.contacts["c1"].queue == "vip" and engine.waiting_by_queue() == {"sales": 0, "vip": 1}
    decisions = engine.set_state("boss", "available")
    assert [(d.kind, d.operator_id) for d in decisions] == [(OFFER, "boss")]
    engine.accept(decisions[0].offer_id)
    kpi = KpiAccumulator()
    kpi.feed(engine.events)
    report = kpi.report()
    # Offered once, to the queue it came to; its wait counts from its arrival.
    assert report["queues"]["sales"]["offered"] == 1 and report["queues"].get("vip", {}).get("offered", 0) == 0
    assert report["total"]["offered"] == 1 and report["total"]["answered"] == 1
    assert report["total"]["asa_s"] == pytest.approx(40)


def test_a_ringing_contact_moved_to_a_named_operator_stops_ringing_and_is_offered_to_them_alone():
    engine, _ = make_engine([QueueConfig("sales", strategy="ring_all", offer_timeout_s=30)], ops("a", "b", "c"))
    engine.set_state("c", "break", "lunch")
    decisions = engine.contact_arrived(ContactSpec("c1", "sales", channel="chat"))
    assert sorted(d.operator_id for d in decisions if d.kind == OFFER) == ["a", "b"]
    engine.set_state("c", "available")  # c comes back; the offers already ring at a and b
    decisions = engine.reassign("c1", to_operator="c", by="alpha-sup")
    assert sorted((d.kind, d.operator_id) for d in decisions) == [(OFFER, "c"), (WITHDRAW, "a"), (WITHDRAW, "b")]
    assert types_of(engine, "c1")[-5:] == ["offer.withdrawn", "offer.withdrawn", "contact.reassigned",
                                            "contact.queued", "offer.created"]
    queued = [e for e in engine.events if e.type == "contact.queued" and e.contact_id == "c1"]
    assert (queued[-1].data["reason"], queued[-1].data["directed_to"]) == ("reassign", "c")
    assert engine.operators["a"].offers == set() == engine.operators["b"].offers
    offer = next(d for d in decisions if d.kind == OFFER)
    engine.accept(offer.offer_id)
    assert engine.contacts["c1"].operator_id == "c"


def test_what_cannot_be_moved_is_refused_and_nothing_changes():
    engine, _ = make_engine([QueueConfig("sales"), QueueConfig("vip", hours=None)], ops("a", "b"))
    engine.set_state("b", "break", "lunch")
    engine.contact_arrived(ContactSpec("c1", "sales"))  # a takes it: connected
    offer = next(iter(engine.contacts["c1"].offers))
    engine.accept(offer)
    engine.set_state("a", "break", "lunch")
    engine.contact_arrived(ContactSpec("c2", "sales"))
    before = len(engine.events)
    with pytest.raises(Conflict):  # answered already: that is a transfer, the operator's
        engine.reassign("c1", to_queue="vip")
    with pytest.raises(Conflict):  # already there
        engine.reassign("c2", to_queue="sales")
    with pytest.raises(Conflict):  # on a break: no room
        engine.reassign("c2", to_operator="b")
    with pytest.raises(InvalidInput):
        engine.reassign("c2", to_queue="vip", to_operator="b")
    with pytest.raises(InvalidInput):
        engine.reassign("c2")
    assert len(engine.events) == before and engine.contacts["c2"].queue == "sales"
