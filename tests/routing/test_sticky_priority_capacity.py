"""Sticky routing, priorities with aging, queue weights and per-channel capacity."""

from __future__ import annotations

from dozvon.routing import ContactSpec, EngineSettings, OperatorConfig, QueueConfig
from dozvon.routing.events import OFFER
from tests.conftest import make_engine, voice_ops


def offered_to(decisions: list) -> list[str]:
    return [d.operator_id for d in decisions if d.kind == OFFER]


def answer_and_close(engine, clock, contact_id: str) -> str:
    offer = next(iter(engine.contacts[contact_id].offers.values()))
    engine.accept(offer.id)
    clock.advance(30)
    engine.end_contact(contact_id)
    return offer.operator_id


# --- sticky routing -----------------------------------------------------------------


def sticky_center():
    queue = QueueConfig("sales", strategy="round_robin", sticky_wait_s=30, sticky_window_s=3600)
    return make_engine([queue], voice_ops("a", "b", "c"))


def test_a_returning_customer_is_offered_first_to_the_operator_who_handled_them_last():
    engine, clock = sticky_center()
    engine.contact_arrived(ContactSpec("c1", "sales", customer_id="alexander"))
    engine.contact_arrived(ContactSpec("c2", "sales", customer_id="someone"))
    assert answer_and_close(engine, clock, "c2") == "b"
    # round robin would pick c next; the returning customer goes to b instead
    assert offered_to(engine.contact_arrived(ContactSpec("c3", "sales", customer_id="someone"))) == ["b"]


def test_sticky_waits_for_the_busy_operator_then_falls_back_to_the_queue_strategy():
    engine, clock = sticky_center()
    engine.contact_arrived(ContactSpec("c1", "sales", customer_id="olga"))
    assert answer_and_close(engine, clock, "c1") == "a"
    busy = engine.contact_arrived(ContactSpec("x1", "sales"))  # round robin: b
    engine.accept(busy[0].offer_id)
    engine.contact_arrived(ContactSpec("x2", "sales"))  # c
    engine.accept(next(iter(engine.contacts["x2"].offers)))
    engine.contact_arrived(ContactSpec("x3", "sales"))  # a is free: a
    engine.accept(next(iter(engine.contacts["x3"].offers)))
    assert offered_to(engine.contact_arrived(ContactSpec("c2", "sales", customer_id="olga"))) == []
    clock.advance(29)
    assert engine.advance() == []
    engine.end_contact("x2")  # c becomes free, but olga still waits for a
    assert engine.contacts["c2"].state == "waiting"
    clock.advance(1)
    assert offered_to(engine.advance()) == ["c"]
    assert any(e.type == "contact.sticky_expired" for e in engine.drain_events())


def test_sticky_operator_gets_the_customer_the_moment_they_are_free():
    engine, clock = sticky_center()
    engine.contact_arrived(ContactSpec("c1", "sales", customer_id="olga"))
    assert answer_and_close(engine, clock, "c1") == "a"
    for cid in ("x1", "x2", "x3"):
        engine.contact_arrived(ContactSpec(cid, "sales"))
        engine.accept(next(iter(engine.contacts[cid].offers)))
    engine.contact_arrived(ContactSpec("c2", "sales", customer_id="olga"))
    clock.advance(10)
    assert offered_to(engine.end_contact("x3")) == ["a"]  # x3 was a's


def test_sticky_does_not_apply_after_the_window():
    engine, clock = sticky_center()
    engine.contact_arrived(ContactSpec("c1", "sales", customer_id="olga"))
    assert answer_and_close(engine, clock, "c1") == "a"
    clock.advance(3601)
    assert offered_to(engine.contact_arrived(ContactSpec("c2", "sales", customer_id="olga"))) == ["b"]


# --- priority, aging, weight ----------------------------------------------------------


def test_partner_calls_are_answered_before_regular_and_new_customers():
    engine, clock = make_engine([QueueConfig("sales")], voice_ops("a"))
    engine.contact_arrived(ContactSpec("busy", "sales"))
    engine.accept(next(iter(engine.contacts["busy"].offers)))
    engine.contact_arrived(ContactSpec("new", "sales", segment="new"))
    clock.advance(1)
    engine.contact_arrived(ContactSpec("regular", "sales", segment="regular"))
    clock.advance(1)
    engine.contact_arrived(ContactSpec("investor", "sales", segment="partner"))
    order = []
    for _ in range(3):
        clock.advance(5)
        current = next(c for c in engine.contacts.values() if c.state == "connected")
        decisions = engine.end_contact(current.id)
        offer = next(d for d in decisions if d.kind == OFFER)
        order.append(offer.contact_id)
        engine.accept(offer.offer_id)
    assert order == ["investor", "regular", "new"]


def test_aging_lets_a_long_waiting_low_priority_contact_overtake_so_nobody_starves():
    engine, clock = make_engine([QueueConfig("sales", aging_per_min=1.0)], voice_ops("a"))
    engine.contact_arrived(ContactSpec("busy", "sales"))
    engine.accept(next(iter(engine.contacts["busy"].offers)))
    engine.contact_arrived(ContactSpec("old", "sales", priority=0))
    clock.advance(11 * 60)  # gained 11 points
    engine.contact_arrived(ContactSpec("vip", "sales", priority=10))
    decisions = engine.end_contact("busy")
    assert [d.contact_id for d in decisions if d.kind == OFFER] == ["old"]


def test_an_operator_in_two_queues_takes_the_higher_weight_queue_first():
    queues = [QueueConfig("general", weight=0), QueueConfig("vip_line", weight=10)]
    engine, clock = make_engine(queues, voice_ops("a", queues=("general", "vip_line")))
    engine.contact_arrived(ContactSpec("busy", "general"))
    engine.accept(next(iter(engine.contacts["busy"].offers)))
    engine.contact_arrived(ContactSpec("g1", "general"))
    clock.advance(30)
    engine.contact_arrived(ContactSpec("v1", "vip_line"))
    decisions = engine.end_contact("busy")
    assert [d.contact_id for d in decisions if d.kind == OFFER] == ["v1"]


# --- capacity -------------------------------------------------------------------------


def test_an_operator_never_carries_more_chats_than_their_capacity():
    op = OperatorConfig.from_dict({"id": "a", "queues": ["chat"], "capacity": {"chat": 5}})
    engine, _ = make_engine([QueueConfig("chat")], [op])
    for i in range(8):
        for d in engine.contact_arrived(ContactSpec(f"c{i}", "chat", channel="messenger")):
            if d.kind == OFFER:
                engine.accept(d.offer_id)
    assert engine.operators["a"].load["chat"] == 5
    assert sum(c.state == "connected" for c in engine.contacts.values()) == 5
    assert sum(c.state == "waiting" for c in engine.contacts.values()) == 3


def test_a_call_blocks_new_chats_when_the_setting_is_on_and_not_when_off():
    ops = [OperatorConfig.from_dict({"id": "a", "queues": ["mixed"], "capacity": {"voice": 1, "chat": 3}})]
    for blocks, expected in ((True, []), (False, ["a"])):
        engine, _ = make_engine([QueueConfig("mixed")], ops, EngineSettings(voice_blocks_text=blocks))
        engine.contact_arrived(ContactSpec("call", "mixed", channel="voice"))
        engine.accept(next(iter(engine.contacts["call"].offers)))
        assert offered_to(engine.contact_arrived(ContactSpec("chat", "mixed", channel="chat"))) == expected


def test_email_capacity_is_separate_from_chat():
    op = OperatorConfig.from_dict({"id": "a", "queues": ["q"], "capacity": {"chat": 1, "email": 2}})
    engine, _ = make_engine([QueueConfig("q")], [op])
    engine.contact_arrived(ContactSpec("chat", "q", channel="chat"))
    assert offered_to(engine.contact_arrived(ContactSpec("mail1", "q", channel="email"))) == ["a"]
    assert offered_to(engine.contact_arrived(ContactSpec("form1", "q", channel="form"))) == ["a"]
    assert offered_to(engine.contact_arrived(ContactSpec("mail2", "q", channel="email"))) == []


# --- language (multi-site) and presence ---------------------------------------------------


def test_language_routing_sends_a_contact_only_to_operators_who_speak_it():
    queue = QueueConfig("intl", language_routing=True)
    ops = [
        OperatorConfig("moscow", queues=("intl",), skills={"lang_ru": 5}),
        OperatorConfig("almaty", queues=("intl",), skills={"lang_ru": 4, "lang_kk": 5}),
    ]
    engine, _ = make_engine([queue], ops)
    assert offered_to(engine.contact_arrived(ContactSpec("c1", "intl", language="kk"))) == ["almaty"]
    assert offered_to(engine.contact_arrived(ContactSpec("c2", "intl", language="ru"))) == ["moscow"]
    assert offered_to(engine.contact_arrived(ContactSpec("c3", "intl", language="de"))) == []
    plain, _ = make_engine([QueueConfig("intl")], ops)  # off: language is only recorded
    assert offered_to(plain.contact_arrived(ContactSpec("c1", "intl", language="de"))) == ["moscow"]


def test_presence_shows_ringing_busy_and_wrap_up_from_the_contacts_held():
    engine, clock = make_engine([QueueConfig("sales", wrap_up_s=30)], voice_ops("a", "b"))
    engine.set_state("b", "break", "lunch")
    assert (engine.presence("a"), engine.presence("b")) == ("available", "break")
    decisions = engine.contact_arrived(ContactSpec("c1", "sales"))
    assert engine.presence("a") == "ringing"
    engine.accept(decisions[0].offer_id)
    assert engine.presence("a") == "busy"
    engine.end_contact("c1")
    assert engine.presence("a") == "wrap_up"
    clock.advance(30)
    engine.advance()
    assert engine.presence("a") == "available"
