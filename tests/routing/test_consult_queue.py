"""An attended transfer to a queue (issue 12): the operator (A) asks a queue for a
colleague and talks to whoever answers before handing the customer over. The consultation
is routed by the engine like any contact of that queue — skills, strategy, ring timeout,
RONA to the next operator, waiting when nobody is free — while A keeps the customer (on
hold) and the slot; complete is one transfer, cancel none; the customer hanging up at any
stage ends it with A; the state survives a restart at every stage."""

from __future__ import annotations

from collections import Counter

import pytest

from dozvon.analytics.kpi import KpiAccumulator
from dozvon.core.errors import Conflict
from dozvon.eventlog.catalogue import parse_event
from dozvon.routing import ContactSpec, OperatorConfig, QueueConfig
from dozvon.routing.calendar import BusinessHours
from dozvon.routing.events import CONNECT, OFFER, WITHDRAW
from dozvon.routing.model import BUCKETS, Action
from dozvon.routing.snapshot import export_contact, export_meta, export_operator, export_queue, restore
from tests.conftest import make_engine


def ops(*ids: str, queues: tuple[str, ...], skills: dict[str, int] | None = None) -> list[OperatorConfig]:
    return [OperatorConfig(i, queues=queues, skills=dict(skills or {}), capacity={"voice": 1, "chat": 2})
            for i in ids]


def center(billing_strategy: str = "longest_idle", **billing: object):
    """Sales (A) and billing (b1, b2; b3 lacks the skill the queue needs)."""
    queues = [QueueConfig("sales", wrap_up_s=0),
              QueueConfig("billing", strategy=billing_strategy, offer_timeout_s=15, required_skills={"billing": 2},
                          **billing)]  # type: ignore[arg-type]
    operators = (ops("a", queues=("sales",)) + ops("b1", "b2", queues=("billing",), skills={"billing": 3})
                 + ops("b3", queues=("billing",), skills={"billing": 1}))
    engine, clock = make_engine(queues, operators)
    return engine, clock


def talking(engine, clock, cid: str = "c1"):  # type: ignore[no-untyped-def]
    """Put every billing operator on a break, connect a caller to A."""
    for b in ("b1", "b2", "b3"):
        engine.set_state(b, "break", "lunch")
    offer = engine.contact_arrived(ContactSpec(cid, "sales", customer_id="k1"))[0]
    clock.advance(3)
    engine.accept(offer.offer_id, "a")
    clock.advance(30)


def check_load(engine) -> None:  # type: ignore[no-untyped-def]
    for op in engine.operators.values():
        for bucket in BUCKETS:
            held = sum(1 for o in op.offers if engine.contacts[engine.offers[o].contact_id].bucket == bucket)
            held += sum(1 for c in op.contacts if engine.contacts[c].bucket == bucket)
            assert op.load[bucket] == held, (op.cfg.id, bucket, op.load, held)


def types(engine, cid: str = "c1") -> list[str]:  # type: ignore[no-untyped-def]
    return [e.type for e in engine.events if e.contact_id == cid]


def kpi(engine):  # type: ignore[no-untyped-def]
    acc = KpiAccumulator()
    acc.feed(engine.events)
    return acc.report()


def test_routed_by_the_queues_strategy_with_its_skills_while_a_keeps_the_caller_and_the_slot():
    engine, clock = center()
    talking(engine, clock)
    engine.set_state("b3", "available")  # lacks the skill: never offered
    assert engine.consult("c1", to_queue="billing", operator_id="a") == []
    contact = engine.contacts["c1"]
    assert (contact.state, contact.queue, contact.operator_id, contact.consult_by) == ("waiting", "billing", "a", "a")
    assert contact.hold_started is not None  # the caller is on hold from the start
    assert engine.presence("a") == "busy" and engine.operators["a"].load["voice"] == 1
    assert types(engine)[-3:] == ["contact.held", "consult.started", "contact.queued"]
    queued = [e for e in engine.events if e.type == "contact.queued"][-1]
    assert (queued.queue, queued.data["reason"]) == ("billing", "consult")
    clock.advance(5)
    engine.set_state("b1", "available")
    clock.advance(1)
    decisions = engine.set_state("b2", "available")  # b1 idle longer: b1 first (longest idle)
    assert decisions == []
    offer = next(o for o in engine.offers.values())
    assert offer.operator_id == "b1"
    created = [e for e in engine.events if e.type == "offer.created"][-1]
    assert created.data["consult_by"] == "a"
    check_load(engine)
    for e in engine.events:
        parse_event(e)


def test_a_is_never_offered_their_own_consultation_even_with_room():
    engine, _clock = make_engine([QueueConfig("sales"), QueueConfig("billing")],
                                [OperatorConfig("a", queues=("sales", "billing"), capacity={"voice": 2}),
                                 OperatorConfig("b", queues=("billing",))])
    engine.set_state("b", "break", "lunch")
    engine.accept(engine.contact_arrived(ContactSpec("c1", "sales"))[0].offer_id)
    assert engine.consult("c1", to_queue="billing", operator_id="a") == []
    assert engine.contacts["c1"].state == "waiting"
    decisions = engine.set_state("b", "available")
    assert [(d.kind, d.operator_id) for d in decisions] == [(OFFER, "b")]


def test_rona_moves_the_consultation_to_the_next_operator_and_b_answering_talks_to_a_only():
    engine, clock = center()
    talking(engine, clock)
    engine.set_state("b1", "available")
    engine.set_state("b2", "available")
    engine.consult("c1", to_queue="billing", operator_id="a")
    first = next(iter(engine.offers.values()))
    clock.advance(15)
    decisions = engine.advance()
    assert [(d.kind, d.operator_id) for d in decisions] == [(WITHDRAW, first.operator_id), (OFFER, "b2")]
    second = next(d for d in decisions if d.kind == OFFER)
    clock.advance(4)
    assert engine.accept(second.offer_id, "b2") == []  # no connect: the caller stays with A
    contact = engine.contacts["c1"]
    assert (contact.state, contact.operator_id, contact.consult_with) == ("connected", "a", "b2")
    assert engine.presence("b2") == "busy" and engine.presence("a") == "busy"
    answered = [e for e in engine.events if e.type == "consult.answered"][-1]
    assert (answered.operator_id, answered.data["by"], answered.data["ring_s"]) == ("b2", "a", 4)
    assert "contact.answered" not in types(engine)[-4:]
    with pytest.raises(Conflict):
        engine.end_contact("c1", operator_id="a")  # complete or cancel first
    with pytest.raises(Conflict):
        engine.transfer("c1", to_queue="billing", operator_id="a")
    check_load(engine)


def test_complete_gives_b_the_caller_frees_a_and_counts_one_transfer():
    engine, clock = center()
    talking(engine, clock)
    engine.set_state("b1", "available")
    engine.consult("c1", to_queue="billing", operator_id="a")
    offer = next(iter(engine.offers.values()))
    clock.advance(6)
    engine.accept(offer.id, "b1")
    clock.advance(20)  # A and B talk; the caller on hold
    with pytest.raises(Conflict):
        engine.complete_consult("c1", operator_id="b1")  # only A hands over
    decisions = engine.complete_consult("c1", operator_id="a")
    assert [(d.kind, d.operator_id) for d in decisions] == [(CONNECT, "b1")]
    contact = engine.contacts["c1"]
    assert (contact.state, contact.operator_id, contact.queue, contact.consult_by) == ("connected", "b1", "billing",
                                                                                        None)
    assert contact.transfers == 1 and contact.hold_s == pytest.approx(26)
    assert engine.presence("a") == "available" and engine.operators["a"].load["voice"] == 0
    assert types(engine)[-3:] == ["consult.ended", "contact.transferred", "contact.answered"]
    transferred = [e for e in engine.events if e.type == "contact.transferred"][-1]
    assert (transferred.queue, transferred.operator_id, transferred.data["to_queue"]) == ("sales", "a", "billing")
    answered = [e for e in engine.events if e.type == "contact.answered"][-1]
    assert (answered.queue, answered.operator_id, answered.data["first"]) == ("billing", "b1", False)
    clock.advance(40)
    engine.end_contact("c1", operator_id="b1")
    closed = [e for e in engine.events if e.type == "contact.closed"][-1]
    # A's 30 s of talk + 26 s of hold (the consultation), B's 40 s of talk.
    assert closed.data["talk_s"] == pytest.approx(70) and closed.data["hold_s"] == pytest.approx(26)
    report = kpi(engine)
    assert report["total"]["inbound"] == 1 and report["total"]["offered"] == 1
    assert report["total"]["answered"] == 1 and report["total"]["abandoned"] == 0
    assert report["agents"]["b1"]["answered"] == 1
    assert Counter(types(engine))["contact.transferred"] == 1
    check_load(engine)
    for e in engine.events:
        parse_event(e)


@pytest.mark.parametrize("stage", ["waiting", "ringing", "answered"])
def test_cancel_at_each_stage_brings_the_caller_back_to_a_and_counts_no_transfer(stage: str):
    engine, clock = center()
    talking(engine, clock)
    engine.consult("c1", to_queue="billing", operator_id="a")
    if stage != "waiting":
        engine.set_state("b1", "available")
    if stage == "answered":
        engine.accept(next(iter(engine.offers)), "b1")
    clock.advance(10)
    decisions = engine.cancel_consult("c1", operator_id="a")
    assert [(d.kind, d.operator_id) for d in decisions] == ([(WITHDRAW, "b1")] if stage == "ringing" else [])
    contact = engine.contacts["c1"]
    assert (contact.state, contact.operator_id, contact.queue, contact.consult_by, contact.consult_with) == (
        "connected", "a", "sales", None, None)
    assert contact.hold_started is None and contact.transfers == 0 and engine.offers == {}
    assert engine.queues["billing"].waiting_count == 0 and engine.waiting_by_queue()["billing"] == 0
    assert engine.presence("b1") in ("available", "break") and engine.operators["b1"].load["voice"] == 0
    ended = [e for e in engine.events if e.type == "consult.ended"][-1]
    assert (ended.data["outcome"], ended.data["colleague"]) == ("cancelled", "b1" if stage == "answered" else None)
    assert types(engine)[-1] == "contact.resumed"
    engine.end_contact("c1", operator_id="a")
    report = kpi(engine)
    assert "contact.transferred" not in types(engine)
    assert report["total"]["answered"] == 1 and report["total"]["abandoned"] == 0
    assert report["agents"].get("b1", {}).get("answered", 0) == 0
    check_load(engine)
    for e in engine.events:
        parse_event(e)


def test_b_declining_after_answering_returns_a_to_the_caller():
    engine, clock = center()
    talking(engine, clock)
    engine.set_state("b1", "available")
    engine.consult("c1", to_queue="billing", operator_id="a")
    engine.accept(next(iter(engine.offers)), "b1")
    engine.cancel_consult("c1", operator_id="b1")
    ended = [e for e in engine.events if e.type == "consult.ended"][-1]
    assert ended.data["outcome"] == "declined"
    assert engine.contacts["c1"].operator_id == "a" and engine.operators["b1"].contacts == set()
    with pytest.raises(Conflict):
        engine.cancel_consult("c1", operator_id="a")  # nothing under way now


@pytest.mark.parametrize("stage", ["waiting", "ringing", "answered", "completed"])
def test_the_caller_hanging_up_at_each_stage_frees_everyone_and_is_no_abandon(stage: str):
    engine, clock = center()
    talking(engine, clock)
    engine.consult("c1", to_queue="billing", operator_id="a")
    if stage != "waiting":
        engine.set_state("b1", "available")
    if stage in ("answered", "completed"):
        engine.accept(next(iter(engine.offers)), "b1")
    if stage == "completed":
        engine.complete_consult("c1", "a")
    clock.advance(10)
    engine.customer_left("c1")
    assert engine.contacts["c1"].state == "closed"  # (no wrap-up time: closed, kept for a late disposition)
    assert engine.offers == {} and engine.queues["billing"].waiting_count == 0
    for op in ("a", "b1"):
        assert engine.operators[op].load["voice"] == 0 and engine.operators[op].contacts == set()
    seen = types(engine)
    assert "contact.abandoned" not in seen and seen.count("contact.closed") == 1
    ended = [e for e in engine.events if e.type == "contact.ended"][-1]
    assert (ended.operator_id, ended.data["by"]) == ("b1" if stage == "completed" else "a", "customer")
    if stage != "completed":
        assert [e for e in engine.events if e.type == "consult.ended"][-1].data["outcome"] == "customer_left"
    report = kpi(engine)
    assert report["total"]["abandoned"] == 0 and report["total"]["answered"] == 1
    assert report["total"]["inbound"] == 1 and report["total"]["offered"] == 1
    check_load(engine)


def test_a_closed_or_full_queue_is_refused_up_front_and_nothing_changes():
    engine, _clock = make_engine([QueueConfig("sales"), QueueConfig("billing", max_length=0, on_full=Action("reject")),
                                 QueueConfig("night", hours=BusinessHours.from_dict({"tz": "UTC", "weekly": {}}))],
                                ops("a", queues=("sales",)))
    engine.accept(engine.contact_arrived(ContactSpec("c1", "sales"))[0].offer_id)
    before = len(engine.events)
    for queue in ("billing", "night", "sales"):
        with pytest.raises(Conflict):
            engine.consult("c1", to_queue=queue, operator_id="a")
    assert len(engine.events) == before and engine.contacts["c1"].state == "connected"


def test_a_waiting_consultation_has_no_maximum_wait_and_no_supervisor_moves_it():
    engine, clock = center(max_wait_s=30, on_max_wait=Action("callback"))
    talking(engine, clock)
    engine.consult("c1", to_queue="billing", operator_id="a")
    clock.advance(100)
    engine.advance()
    assert engine.contacts["c1"].state == "waiting"
    with pytest.raises(Conflict):
        engine.reassign("c1", to_queue="sales", by="sup")


def _restart(engine, clock):  # type: ignore[no-untyped-def]
    return restore(clock, [export_queue(q) for q in engine.queues.values()],
                   [export_operator(o) for o in engine.operators.values()],
                   [export_contact(c) for c in engine.contacts.values()], export_meta(engine),
                   settings=engine.settings)


def _state(engine):  # type: ignore[no-untyped-def]
    return ({o: (dict(op.load), sorted(op.contacts), sorted(op.offers)) for o, op in engine.operators.items()},
            {c: export_contact(x) for c, x in engine.contacts.items()},
            {n: q.waiting_count for n, q in engine.queues.items()}, engine.presence("a"))


@pytest.mark.parametrize("stage", ["waiting", "ringing", "answered"])
def test_a_consultation_survives_a_restart_at_each_stage_and_carries_on(stage: str):
    engine, clock = center()
    talking(engine, clock)
    engine.consult("c1", to_queue="billing", operator_id="a")
    if stage != "waiting":
        engine.set_state("b1", "available")
    if stage == "answered":
        engine.accept(next(iter(engine.offers)), "b1")
    again = _restart(engine, clock)
    assert _state(again) == _state(engine)
    if stage == "waiting":
        again.set_state("b1", "available")
    if stage != "answered":
        again.accept(next(iter(again.offers)), "b1")
    decisions = again.complete_consult("c1", "a")
    assert [(d.kind, d.operator_id) for d in decisions] == [(CONNECT, "b1")]
    assert again.operators["a"].load["voice"] == 0 and again.contacts["c1"].operator_id == "b1"
    check_load(again)


@pytest.mark.parametrize("end", ["cancel", "complete"])
def test_the_wallboard_shows_the_consultation_waiting_in_the_queue_until_it_is_answered_or_called_off(end: str):
    from dozvon.analytics.realtime import Wallboard

    engine, clock = center()
    board = Wallboard(tz="Europe/Moscow")
    for op in engine.operators.values():
        board.seed_operator(op.cfg.id, op.state)
    talking(engine, clock)
    engine.consult("c1", to_queue="billing", operator_id="a")
    board.feed(engine.drain_events())
    assert board.snapshot(clock.now())["queues"]["billing"]["waiting"] == 1
    if end == "cancel":
        engine.cancel_consult("c1", "a")
    else:
        engine.set_state("b1", "available")
        engine.accept(next(iter(engine.offers)), "b1")
        board.feed(engine.drain_events())
        assert board.snapshot(clock.now())["queues"]["billing"]["waiting"] == 0
        engine.complete_consult("c1", "a")
    board.feed(engine.drain_events())
    snap = board.snapshot(clock.now())
    assert snap["queues"]["billing"]["waiting"] == 0 and snap["today"]["answered"] == 1
    assert snap["operators"]["busy"] == 1  # A with the caller, or B after the hand-over


def test_the_queue_a_consultation_comes_back_to_cannot_be_removed_meanwhile():
    engine, clock = center()
    talking(engine, clock)
    engine.consult("c1", to_queue="billing", operator_id="a")
    for name in ("sales", "billing"):
        with pytest.raises(Conflict):
            engine.remove_queue(name)
