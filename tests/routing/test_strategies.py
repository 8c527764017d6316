"""Each routing strategy picks the operator its name promises."""

from __future__ import annotations

from collections import Counter

from dozvon.routing import ContactSpec, OperatorConfig, QueueConfig
from dozvon.routing.events import OFFER, WITHDRAW
from tests.conftest import make_engine, voice_ops


def offers(decisions: list) -> list[tuple[str, str]]:
    return [(d.contact_id, d.operator_id) for d in decisions if d.kind == OFFER]


def serve(engine, clock, contact_id: str, queue: str = "sales", seconds: float = 10.0) -> str:
    """A contact arrives, is answered by whoever is offered it, talks and is closed."""
    decisions = engine.contact_arrived(ContactSpec(contact_id, queue))
    offer = next(d for d in decisions if d.kind == OFFER)
    engine.accept(offer.offer_id)
    clock.advance(seconds)
    engine.end_contact(contact_id)
    return offer.operator_id


def test_round_robin_gives_every_operator_a_turn_before_anyone_gets_a_second():
    engine, clock = make_engine([QueueConfig("sales", strategy="round_robin")], voice_ops("a", "b", "c", "d"))
    served = [serve(engine, clock, f"c{i}") for i in range(12)]
    assert served[:4] == ["a", "b", "c", "d"]
    assert Counter(served) == {"a": 3, "b": 3, "c": 3, "d": 3}
    for i in range(0, 12, 4):
        assert sorted(served[i : i + 4]) == ["a", "b", "c", "d"]


def test_round_robin_newcomer_does_not_take_every_turn_until_caught_up():
    engine, clock = make_engine([QueueConfig("sales", strategy="round_robin")], voice_ops("a", "b"))
    for i in range(10):
        serve(engine, clock, f"c{i}")
    engine.add_operator(OperatorConfig("late", queues=("sales",)))
    engine.login("late")
    served = [serve(engine, clock, f"d{i}") for i in range(6)]
    assert Counter(served) == {"a": 2, "b": 2, "late": 2}


def test_ring_all_offers_everyone_and_first_to_accept_wins_the_rest_are_withdrawn():
    engine, _ = make_engine([QueueConfig("sales", strategy="ring_all")], voice_ops("a", "b", "c"))
    decisions = engine.contact_arrived(ContactSpec("c1", "sales"))
    assert sorted(op for _, op in offers(decisions)) == ["a", "b", "c"]
    winner = next(d for d in decisions if d.operator_id == "b")
    after = engine.accept(winner.offer_id)
    withdrawn = sorted(d.operator_id for d in after if d.kind == WITHDRAW)
    assert withdrawn == ["a", "c"]
    assert engine.offers == {}
    assert engine.contacts["c1"].operator_id == "b"
    # The losers are free again: the next contact rings them (b is on a call).
    assert sorted(op for _, op in offers(engine.contact_arrived(ContactSpec("c2", "sales")))) == ["a", "c"]


def test_longest_idle_picks_the_operator_free_for_the_longest_time():
    engine, clock = make_engine([QueueConfig("sales", strategy="longest_idle")], voice_ops("a", "b", "c"))
    assert serve(engine, clock, "c1") == "a"  # all idle since login: member order breaks the tie
    clock.advance(5)
    assert serve(engine, clock, "c2") == "b"
    clock.advance(5)
    assert serve(engine, clock, "c3") == "c"
    clock.advance(5)
    # a finished first (at +10 s), so a has been idle longest
    assert serve(engine, clock, "c4") == "a"


def test_least_busy_prefers_fewest_active_chats_relative_to_capacity():
    ops = [
        OperatorConfig.from_dict({"id": "a", "queues": ["chat"], "capacity": {"chat": 2}}),
        OperatorConfig.from_dict({"id": "b", "queues": ["chat"], "capacity": {"chat": 4}}),
    ]
    engine, _ = make_engine([QueueConfig("chat", strategy="least_busy")], ops)
    chosen = []
    for i in range(6):
        d = engine.contact_arrived(ContactSpec(f"c{i}", "chat", channel="chat"))
        offer = next(x for x in d if x.kind == OFFER)
        engine.accept(offer.offer_id)
        chosen.append(offer.operator_id)
    # loads: a 0/2 b 0/4 -> a; a .5 b 0 -> b; a .5 b .25 -> b; a .5 b .5 -> a; a 1 b .5 -> b; b .75 -> b
    assert chosen == ["a", "b", "b", "a", "b", "b"]


def test_skills_strategy_offers_the_best_level_first():
    queue = QueueConfig("en", strategy="skills", required_skills={"english": 1})
    ops = [
        OperatorConfig("novice", queues=("en",), skills={"english": 1}),
        OperatorConfig("expert", queues=("en",), skills={"english": 5}),
        OperatorConfig("nobody", queues=("en",), skills={}),
    ]
    engine, clock = make_engine([queue], ops)
    assert serve(engine, clock, "c1", "en") == "expert"  # expert is free again after c1
    d1 = engine.contact_arrived(ContactSpec("c2", "en"))
    assert offers(d1) == [("c2", "expert")]
    engine.accept(d1[0].offer_id)
    # while the expert talks, the novice gets the next one; the unskilled operator never does
    d2 = engine.contact_arrived(ContactSpec("c3", "en"))
    assert offers(d2) == [("c3", "novice")]
    engine.accept(d2[0].offer_id)
    assert offers(engine.contact_arrived(ContactSpec("c4", "en"))) == []
    assert engine.contacts["c4"].state == "waiting"


def test_contact_level_skills_exclude_operators_without_them():
    ops = [
        OperatorConfig("ru_only", queues=("sales",), skills={"ru": 3}),
        OperatorConfig("bilingual", queues=("sales",), skills={"ru": 3, "en": 2}),
    ]
    engine, _ = make_engine([QueueConfig("sales", strategy="longest_idle")], ops)
    d = engine.contact_arrived(ContactSpec("c1", "sales", skills={"en": 1}))
    assert offers(d) == [("c1", "bilingual")]


def test_skills_first_combines_best_level_with_round_robin():
    queue = QueueConfig("sales", strategy="round_robin", skills_first=True, required_skills={"sales": 1})
    ops = [
        OperatorConfig("junior1", queues=("sales",), skills={"sales": 1}),
        OperatorConfig("senior1", queues=("sales",), skills={"sales": 3}),
        OperatorConfig("senior2", queues=("sales",), skills={"sales": 3}),
    ]
    engine, clock = make_engine([queue], ops)
    served = [serve(engine, clock, f"c{i}", "sales") for i in range(4)]
    assert served == ["senior1", "senior2", "senior1", "senior2"]
