"""What the supervisor's wallboard adds to the day's figures: each queue's own target and
CAR/LCR, a service level that does not count a contact still inside its target as a
failure, a queue below its goal, and each operator's time in state and capacity."""

from __future__ import annotations

import pytest

from dozvon.analytics.realtime import Wallboard
from dozvon.routing import ContactSpec, Disposition, OperatorConfig, QueueConfig
from tests.conftest import make_engine


def board_for(engine, **kw) -> Wallboard:  # type: ignore[no-untyped-def]
    board = Wallboard(targets={n: q.cfg.target_answer_s for n, q in engine.queues.items()}, **kw)
    for op in engine.operators.values():
        board.seed_operator(op.cfg.id, op.state, op.reason, op.cfg.name, since=op.state_since,
                            capacity=op.cfg.capacity)
    return board


def test_each_queue_shows_its_own_target_and_todays_car_and_lcr():
    engine, clock = make_engine([QueueConfig("sales", target_answer_s=30), QueueConfig("vip", target_answer_s=10)],
                                [OperatorConfig("a", queues=("sales",))])
    board = board_for(engine)
    for cid in ("c1", "c2", "c3", "c4"):
        engine.contact_arrived(ContactSpec(cid, "sales"))
    engine.accept(next(iter(engine.contacts["c1"].offers)))
    clock.advance(12)
    engine.customer_left("c2")
    engine.customer_left("c3")
    board.feed(engine.drain_events())
    snap = board.snapshot(clock.now())
    sales, vip = snap["queues"]["sales"], snap["queues"]["vip"]
    assert sales["target_answer_s"] == 30 and vip["target_answer_s"] == 10
    assert sales["offered"] == 4 and sales["abandoned"] == 2
    assert sales["lcr"] == pytest.approx(2 / 4)  # abandoned ÷ offered
    assert sales["car"] == pytest.approx(2 / 4)  # lost before answer ÷ inbound
    # An idle queue is on the board too, with zeros and no verdict on its service level.
    assert (vip["offered"], vip["waiting"], vip["service_level_now"], vip["below_goal"]) == (0, 0, None, False)
    assert snap["sl_goal"] == 0.8


def test_a_contact_waiting_inside_its_target_is_not_yet_a_failure_but_one_past_it_is():
    engine, clock = make_engine([QueueConfig("sales", target_answer_s=20)], [OperatorConfig("a", queues=("sales",))])
    engine.set_state("a", "break", "lunch")
    board = board_for(engine)
    engine.contact_arrived(ContactSpec("c1", "sales"))
    board.feed(engine.drain_events())
    clock.advance(5)
    sales = board.snapshot(clock.now())["queues"]["sales"]
    assert sales["service_level"] == 0.0  # today's SL as METRICS.md defines it (offered: 1, in target: 0)
    assert sales["service_level_now"] is None and not sales["below_goal"]  # nothing decided yet
    clock.advance(20)  # 25 s: past the 20 s target, whatever happens next
    sales = board.snapshot(clock.now())["queues"]["sales"]
    assert sales["service_level_now"] == 0.0 and sales["below_goal"]
    assert sales["longest_wait_s"] == 25


def test_a_queue_meeting_its_goal_is_not_marked_and_the_goal_can_be_set():
    engine, clock = make_engine([QueueConfig("sales", target_answer_s=20)],
                                [OperatorConfig("a", queues=("sales",), capacity={"chat": 5})])
    board = board_for(engine, sl_goal=0.5)
    for cid in ("c1", "c2", "c3"):
        engine.contact_arrived(ContactSpec(cid, "sales", channel="chat"))
    clock.advance(5)
    engine.accept(next(iter(engine.contacts["c1"].offers)))
    engine.accept(next(iter(engine.contacts["c2"].offers)))
    clock.advance(30)
    engine.accept(next(iter(engine.contacts["c3"].offers)))  # late: 35 s > 20 s
    board.feed(engine.drain_events())
    sales = board.snapshot(clock.now())["queues"]["sales"]
    assert sales["service_level_now"] == pytest.approx(2 / 3) == sales["service_level"]
    assert not sales["below_goal"]  # 67 % ≥ the 50 % goal
    assert not board_for(engine).snapshot(clock.now())["queues"]["sales"]["below_goal"]  # no contacts fed: none decided


def test_each_queue_is_judged_against_its_own_goal_and_a_reconfigured_goal_counts_at_once():
    engine, clock = make_engine([QueueConfig("sales", target_answer_s=20, service_level_goal=0.9),
                                 QueueConfig("support", target_answer_s=20, service_level_goal=0.5)],
                                [OperatorConfig("a", queues=("sales", "support"), capacity={"chat": 6})])
    board = board_for(engine, goals={n: q.cfg.service_level_goal for n, q in engine.queues.items()})
    for queue in ("sales", "support"):
        for n in (1, 2, 3):
            engine.contact_arrived(ContactSpec(f"{queue}{n}", queue, channel="chat"))
    clock.advance(5)
    for cid in ("sales1", "sales2", "support1", "support2"):
        engine.accept(next(iter(engine.contacts[cid].offers)))
    clock.advance(30)
    for cid in ("sales3", "support3"):
        engine.accept(next(iter(engine.contacts[cid].offers)))  # late: 35 s > 20 s
    board.feed(engine.drain_events())
    snap = board.snapshot(clock.now())["queues"]
    assert snap["sales"]["service_level_now"] == pytest.approx(2 / 3) == snap["support"]["service_level_now"]
    assert (snap["sales"]["sl_goal"], snap["sales"]["below_goal"]) == (0.9, True)  # 67 % < 90 %
    assert (snap["support"]["sl_goal"], snap["support"]["below_goal"]) == (0.5, False)  # 67 % ≥ 50 %
    engine.add_queue(QueueConfig("sales", target_answer_s=20, service_level_goal=0.6))
    board.feed(engine.drain_events())  # its queue.configured carries the new goal
    sales = board.snapshot(clock.now())["queues"]["sales"]
    assert (sales["sl_goal"], sales["below_goal"]) == (0.6, False)


def test_a_service_level_goal_outside_0_to_1_is_refused_naming_the_queue():
    from dozvon.core.errors import InvalidInput
    with pytest.raises(InvalidInput) as refused:
        QueueConfig("sales", service_level_goal=80).validate()
    assert "sales" in str(refused.value) and "80" in str(refused.value)


def test_time_in_state_starts_when_what_the_board_shows_changes():
    engine, clock = make_engine([QueueConfig("sales", wrap_up_s=30)],
                                [OperatorConfig("a", queues=("sales",), name="Anna")])
    board = board_for(engine)
    start = clock.now()
    clock.advance(60)
    assert board.snapshot(clock.now())["by_operator"]["a"]["in_state_s"] == 60  # available since login
    engine.contact_arrived(ContactSpec("c1", "sales"))
    clock.advance(4)
    engine.accept(next(iter(engine.contacts["c1"].offers)))
    clock.advance(10)
    board.feed(engine.drain_events())
    a = board.snapshot(clock.now())["by_operator"]["a"]
    assert (a["presence"], a["in_state_s"], a["since"]) == ("busy", 10, start + 64)
    engine.end_contact("c1")
    board.feed(engine.drain_events())
    clock.advance(3)
    assert board.snapshot(clock.now())["by_operator"]["a"]["presence"] == "wrap_up"
    assert board.snapshot(clock.now())["by_operator"]["a"]["in_state_s"] == 3
    clock.advance(30)
    engine.advance()  # wrap-up over
    engine.set_state("a", "break", "lunch")
    board.feed(engine.drain_events())
    clock.advance(2)
    engine.set_state("a", "break", "coffee")  # another reason: another state on the board
    board.feed(engine.drain_events())
    clock.advance(1)
    a = board.snapshot(clock.now())["by_operator"]["a"]
    assert (a["presence"], a["reason"], a["in_state_s"]) == ("break", "coffee", 1)


def test_an_operator_whose_start_is_unknown_has_no_time_in_state_and_capacity_follows_configuration():
    engine, clock = make_engine([QueueConfig("q")], [])
    board = Wallboard()
    board.seed_operator("old", "available")  # a board rebuilt with nothing to say since when
    assert board.snapshot(clock.now())["by_operator"]["old"]["in_state_s"] is None
    engine.add_operator(OperatorConfig("new", queues=("q",), capacity={"voice": 1, "chat": 3, "email": 0}))
    board.feed(engine.drain_events())
    assert board.snapshot(clock.now())["by_operator"]["new"]["capacity"] == {"voice": 1, "chat": 3, "email": 0}
    engine.remove_queue("q")
    board.feed(engine.drain_events())
    assert "q" not in board.snapshot(clock.now())["queues"]


def test_the_days_total_service_level_now_counts_each_wait_against_its_own_queues_target():
    engine, clock = make_engine([QueueConfig("fast", target_answer_s=10), QueueConfig("slow", target_answer_s=60)],
                                [OperatorConfig("a", queues=("fast", "slow"))])
    engine.set_state("a", "break", "lunch")
    board = board_for(engine)
    engine.contact_arrived(ContactSpec("f1", "fast"))
    engine.contact_arrived(ContactSpec("s1", "slow"))
    board.feed(engine.drain_events())
    clock.advance(30)  # past fast's target, inside slow's
    today = board.snapshot(clock.now())["today"]
    assert today["offered"] == 2 and today["service_level_now"] == 0.0 and today["below_goal"]
    assert today["car"] == 0.0 and today["lcr"] == 0.0


def test_events_of_an_earlier_day_do_not_turn_the_board_back_to_that_day():
    """An imported history is appended through the live service: the board stays on today."""
    engine, clock = make_engine([QueueConfig("q")], [OperatorConfig("a", queues=("q",))])
    board = board_for(engine)
    engine.contact_arrived(ContactSpec("today", "q"))
    board.feed(engine.drain_events())
    day = board.snapshot(clock.now())["day"]
    engine.note("contact.arrived", "old", queue="q", channel="voice", at=clock.now() - 3 * 86400)
    engine.note("contact.queued", "old", queue="q", channel="voice", at=clock.now() - 3 * 86400, target_answer_s=20)
    board.feed(engine.drain_events())
    snap = board.snapshot(clock.now())
    assert snap["day"] == day and snap["today"]["offered"] == 1


def test_an_operators_day_counts_what_they_handled_and_their_csat():
    engine, clock = make_engine([QueueConfig("sales")], [OperatorConfig("a", queues=("sales",), capacity={"chat": 3})])
    board = board_for(engine)
    for cid in ("c1", "c2"):
        engine.contact_arrived(ContactSpec(cid, "sales", channel="chat"))
        engine.accept(next(iter(engine.contacts[cid].offers)))
    clock.advance(60)
    for cid in ("c1", "c2"):
        engine.end_contact(cid)
        engine.finish_wrap_up(cid, Disposition("regular", True))
    engine.note("csat.rated", "c1", "a", score=5)
    engine.note("csat.rated", "c2", "a", score=2)
    board.feed(engine.drain_events())
    day = board.operator_today("a", clock.now())
    assert (day["answered"], day["handled"], day["csat_answers"]) == (2, 2, 2)
    assert day["aht_s"] == pytest.approx(60) and day["csat"] == pytest.approx(0.5)  # a 5 satisfied, a 2 not
    assert board.operator_today("nobody", clock.now())["handled"] == 0
