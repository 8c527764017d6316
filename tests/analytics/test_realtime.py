"""The wallboard, fed by the real engine's events, shows what the engine's state says."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

from dozvon.analytics.realtime import Wallboard
from dozvon.routing import ContactSpec, OperatorConfig, QueueConfig
from tests.conftest import make_engine


def test_waiting_longest_wait_presence_and_todays_figures():
    engine, clock = make_engine([QueueConfig("sales", wrap_up_s=30), QueueConfig("support")],
                                [OperatorConfig("a", queues=("sales",)), OperatorConfig("b", queues=("sales",)),
                                 OperatorConfig("c", queues=("support",))])
    board = Wallboard(tz="Europe/Moscow")
    for op in engine.operators.values():
        board.seed_operator(op.cfg.id, op.state)
    engine.set_state("c", "break", "lunch")
    for cid in ("c1", "c2", "c3", "c4"):
        engine.contact_arrived(ContactSpec(cid, "sales"))
        clock.advance(10)
    engine.contact_arrived(ContactSpec("s1", "support"))
    engine.accept(next(iter(engine.contacts["c1"].offers)))  # a talks; b rings with c2
    board.feed(engine.drain_events())
    snap = board.snapshot(clock.now())
    assert snap["queues"]["sales"]["waiting"] == 3 and snap["queues"]["support"]["waiting"] == 1
    assert snap["queues"]["sales"]["longest_wait_s"] == 30  # c2 arrived 30 s ago and still rings
    assert snap["operators"] == {"busy": 1, "ringing": 1, "break": 1}
    assert snap["today"]["answered"] == 1 and snap["today"]["offered"] == 5

    clock.advance(5)
    engine.customer_left("c4")
    engine.end_contact("c1")  # a goes into wrap-up
    board.feed(engine.drain_events())
    snap = board.snapshot(clock.now())
    assert snap["operators"]["wrap_up"] == 1 and snap["today"]["abandoned"] == 1
    assert snap["queues"]["sales"]["waiting"] == 2


def test_the_wallboard_agrees_with_the_engine_after_a_random_busy_hour():
    rng = random.Random(5)
    ops = [OperatorConfig(f"op{i}", queues=("q",)) for i in range(6)]
    engine, clock = make_engine([QueueConfig("q", wrap_up_s=20, offer_timeout_s=15)], ops)
    board = Wallboard()
    for op in engine.operators.values():
        board.seed_operator(op.cfg.id, op.state)
    for i in range(400):
        clock.advance(rng.expovariate(1 / 8))
        engine.advance()
        roll = rng.random()
        if roll < 0.4:
            engine.contact_arrived(ContactSpec(f"c{i}", "q"))
        elif roll < 0.6 and engine.offers:
            engine.accept(rng.choice(sorted(engine.offers)))
        elif roll < 0.8:
            talking = sorted(c for c, x in engine.contacts.items() if x.state == "connected")
            if talking:
                engine.end_contact(rng.choice(talking))
        elif roll < 0.9:
            waiting = sorted(c for c, x in engine.contacts.items() if x.state in ("waiting", "offered"))
            if waiting:
                engine.customer_left(rng.choice(waiting))
        else:
            engine.set_state(f"op{rng.randrange(6)}", rng.choice(["available", "break"]), "coffee")
        board.feed(engine.drain_events())
        snap = board.snapshot(clock.now())
        in_queue = [x for x in engine.contacts.values() if x.state in ("waiting", "offered")]
        assert snap["waiting"] == len(in_queue)
        presence: dict[str, int] = {}
        for op in engine.operators:
            key = engine.presence(op)
            presence[key] = presence.get(key, 0) + 1
        assert snap["operators"] == presence


def test_todays_counters_restart_at_local_midnight():
    moscow = ZoneInfo("Europe/Moscow")
    start = datetime(2026, 1, 5, 23, 50, tzinfo=moscow).timestamp()
    engine, clock = make_engine([QueueConfig("q")], [OperatorConfig("a", queues=("q",))], t0=start)
    board = Wallboard(tz="Europe/Moscow")
    engine.contact_arrived(ContactSpec("late", "q"))
    board.feed(engine.drain_events())
    assert board.snapshot(clock.now())["today"]["offered"] == 1
    clock.advance(15 * 60)  # 00:05 the next day
    assert board.snapshot(clock.now())["today"]["offered"] == 0
    assert board.snapshot(clock.now())["day"] == "2026-01-06"


def test_a_queue_configured_while_running_is_measured_against_its_own_target():
    engine, clock = make_engine([], [])
    board = Wallboard(tz="Europe/Moscow")  # built before the queue exists, as a server's is
    engine.add_queue(QueueConfig("vip", target_answer_s=10))
    engine.add_operator(OperatorConfig("a", queues=("vip",)))
    engine.contact_arrived(ContactSpec("v1", "vip"))
    clock.advance(15)
    engine.login("a")
    engine.accept(next(iter(engine.contacts["v1"].offers)))
    board.feed(engine.drain_events())
    today = board.snapshot(clock.now())["today"]
    assert today["answered"] == 1 and today["service_level"] == 0.0  # 15 s > vip's 10 s (not the default 20)


def test_a_replayed_contact_keeps_the_target_it_was_queued_under():
    """A server restarted after sales' target went from 20 s to 10 s replays this morning's
    contacts: one answered after 15 s met the 20 s target it was queued under."""
    engine, clock = make_engine([QueueConfig("sales", target_answer_s=20)], [OperatorConfig("a", queues=("sales",))])
    engine.set_state("a", "break", "meeting")
    engine.contact_arrived(ContactSpec("m1", "sales"))
    clock.advance(15)
    engine.set_state("a", "available")
    engine.accept(next(iter(engine.contacts["m1"].offers)))
    morning = engine.drain_events()
    board = Wallboard(targets={"sales": 10})  # the hub starts from the queues' live targets
    board.feed(morning)
    assert board.snapshot(clock.now())["today"]["service_level"] == 1.0


def test_configured_operators_who_never_logged_in_are_shown_offline():
    engine, clock = make_engine([QueueConfig("q")], [])
    board = Wallboard()  # built before the operators exist, as a live server's is
    for i in range(1, 6):
        engine.add_operator(OperatorConfig(f"op{i}", queues=("q",), name=f"Operator {i}"))
    board.feed(engine.drain_events())
    snap = board.snapshot(clock.now())
    assert snap["operators"] == {"offline": 5}
    assert snap["by_operator"]["op3"] == {"name": "Operator 3", "presence": "offline", "reason": None, "contacts": 0,
                                          "ringing": 0, "since": clock.now(), "in_state_s": 0.0,
                                          "capacity": {"voice": 1, "chat": 5, "email": 5}}
    engine.login("op2")
    board.feed(engine.drain_events())
    assert board.snapshot(clock.now())["operators"] == {"offline": 4, "available": 1}
