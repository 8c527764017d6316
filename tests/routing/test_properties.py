"""Invariants over random sequences of events (hypothesis).

Whatever happens — arrivals, answers, declines, hang-ups, breaks, time passing — no contact
is lost or duplicated, no operator carries more than their capacity, and every offer is
resolved exactly once.
"""

from __future__ import annotations

import contextlib
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dozvon.core.errors import Conflict
from dozvon.routing import ContactSpec, Disposition, EngineSettings, OperatorConfig, QueueConfig
from dozvon.routing.model import BUCKETS, Action
from tests.conftest import make_engine

STRATEGY_NAMES = ["round_robin", "ring_all", "longest_idle", "least_busy", "skills"]
OFFER_ENDS = ("offer.accepted", "offer.declined", "offer.timed_out", "offer.withdrawn")

step = st.one_of(
    st.tuples(
        st.just("arrive"),
        st.integers(0, 2),
        st.sampled_from(["voice", "chat", "email"]),
        st.sampled_from([None, "vip", "partner"]),
        st.integers(0, 4),
    ),
    st.tuples(st.just("accept"), st.integers(0, 50)),
    st.tuples(st.just("decline"), st.integers(0, 50)),
    st.tuples(st.just("leave"), st.integers(0, 50)),
    st.tuples(st.just("end"), st.integers(0, 50)),
    st.tuples(st.just("wrap"), st.integers(0, 50)),
    st.tuples(st.just("transfer"), st.integers(0, 50), st.integers(0, 2)),
    # An attended transfer to a queue: consult, then complete or cancel (by A or by B).
    st.tuples(st.just("consult"), st.integers(0, 50), st.integers(0, 2)),
    st.tuples(st.just("complete"), st.integers(0, 50)),
    st.tuples(st.just("cancel"), st.integers(0, 50), st.booleans()),
    st.tuples(st.just("state"), st.integers(0, 3), st.sampled_from(["available", "break", "offline"])),
    st.tuples(st.just("time"), st.floats(0.0, 90.0)),
)


def build(strategies: list[str], missed_limit: int | None):
    queues = [
        QueueConfig(
            f"q{i}",
            strategy=s,
            offer_timeout_s=15,
            wrap_up_s=20,
            max_wait_s=300,
            max_length=6,
            on_full=Action("overflow", target_queue=f"q{(i + 1) % 3}"),
            sticky_wait_s=10,
            weight=i,
        )
        for i, s in enumerate(strategies)
    ]
    ops = [
        OperatorConfig.from_dict(
            {
                "id": f"op{i}",
                "queues": [f"q{j}" for j in range(3) if (i + j) % 2 == 0 or j == i],
                "capacity": {"voice": 1, "chat": 2 + i % 2, "email": 1},
                "skills": {"s": i},
            }
        )
        for i in range(4)
    ]
    return make_engine(queues, ops, EngineSettings(max_missed_offers=missed_limit))


def pick(items, index):
    items = sorted(items)
    return items[index % len(items)] if items else None


def check_capacity(engine) -> None:
    for op in engine.operators.values():
        for bucket in BUCKETS:
            held = sum(1 for o in op.offers if engine.contacts[engine.offers[o].contact_id].bucket == bucket)
            held += sum(1 for c in op.contacts if engine.contacts[c].bucket == bucket)
            assert op.load[bucket] == held, (op.cfg.id, bucket, op.load, held)
            assert op.load[bucket] <= op.cfg.capacity.get(bucket, 0), (op.cfg.id, bucket)


def run_steps(engine, clock, steps) -> list:
    events = []
    arrived = 0
    for action, *args in steps:
        if action == "arrive":
            queue, channel, segment, customer = args
            arrived += 1
            engine.contact_arrived(
                ContactSpec(
                    f"c{arrived}", f"q{queue}", channel=channel, segment=segment, customer_id=f"k{customer}"
                )
            )
        elif action in ("accept", "decline"):
            offer = pick(engine.offers, args[0])
            if offer:
                getattr(engine, action)(offer)
        elif action == "leave":
            cid = pick([c for c, x in engine.contacts.items() if x.state != "closed"], args[0])
            if cid:
                engine.customer_left(cid)
        elif action == "end":
            cid = pick([c for c, x in engine.contacts.items() if x.state == "connected" and x.consult_by is None],
                       args[0])
            if cid:
                engine.end_contact(cid)
        elif action == "wrap":
            cid = pick([c for c, x in engine.contacts.items() if x.state == "wrap_up"], args[0])
            if cid:
                engine.finish_wrap_up(cid, Disposition("new_inquiry", True))
        elif action == "transfer":
            cid = pick([c for c, x in engine.contacts.items() if x.state == "connected" and x.consult_by is None],
                       args[0])
            if cid:
                engine.transfer(cid, to_queue=f"q{args[1]}")
        elif action == "consult":
            cid = pick([c for c, x in engine.contacts.items() if x.state == "connected" and x.consult_by is None
                        and x.queue != f"q{args[1]}"], args[0])
            if cid:
                with contextlib.suppress(Conflict):  # the queue is full: refused, nothing changed
                    engine.consult(cid, to_queue=f"q{args[1]}")
        elif action == "complete":
            cid = pick([c for c, x in engine.contacts.items() if x.consult_with is not None], args[0])
            if cid:
                engine.complete_consult(cid)
        elif action == "cancel":
            found = pick([c for c, x in engine.contacts.items() if x.consult_by is not None], args[0])
            if found:
                contact = engine.contacts[found]
                engine.cancel_consult(found, contact.consult_with if args[1] and contact.consult_with else None)
        elif action == "state":
            engine.set_state(f"op{args[0]}", args[1], "lunch" if args[1] == "break" else None)
        elif action == "time":
            clock.advance(args[0])
            engine.advance()
        check_capacity(engine)
        events.extend(engine.drain_events())
    return events


def drain(engine, clock) -> list:
    """Everyone comes back, every customer hangs up, time runs out: all must close."""
    for op in list(engine.operators):
        engine.set_state(op, "available")
    for cid, contact in list(engine.contacts.items()):
        if contact.state in ("waiting", "offered", "connected"):
            engine.customer_left(cid)
    for _ in range(3):
        clock.advance(100_000)
        engine.advance()
    return engine.drain_events()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    strategies=st.lists(st.sampled_from(STRATEGY_NAMES), min_size=3, max_size=3),
    missed_limit=st.sampled_from([None, 2]),
    steps=st.lists(step, max_size=80),
)
def test_no_contact_lost_or_duplicated_no_operator_over_capacity_every_offer_resolved_once(
    strategies, missed_limit, steps
):
    engine, clock = build(strategies, missed_limit)
    events = run_steps(engine, clock, steps)
    check_history(engine, clock, events)


#: Steps weighted towards attended transfers to a queue (plain random steps seldom find a
#: connected contact to consult about, and one answered in the queue to complete).
consult_step = st.one_of(
    st.tuples(st.just("arrive"), st.integers(0, 2), st.just("voice"), st.none(), st.integers(0, 4)),
    st.tuples(st.just("accept"), st.integers(0, 50)),
    st.tuples(st.just("consult"), st.integers(0, 50), st.integers(0, 2)),
    st.tuples(st.just("accept"), st.integers(0, 50)),
    st.tuples(st.just("complete"), st.integers(0, 50)),
    st.tuples(st.just("cancel"), st.integers(0, 50), st.booleans()),
    st.tuples(st.just("decline"), st.integers(0, 50)),
    st.tuples(st.just("leave"), st.integers(0, 50)),
    st.tuples(st.just("end"), st.integers(0, 50)),
    st.tuples(st.just("state"), st.integers(0, 3), st.sampled_from(["available", "break"])),
    st.tuples(st.just("time"), st.floats(0.0, 30.0)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    strategies=st.lists(st.sampled_from(STRATEGY_NAMES), min_size=3, max_size=3),
    steps=st.lists(consult_step, min_size=20, max_size=80),
)
def test_attended_transfers_to_a_queue_keep_every_invariant(strategies, steps):
    engine, clock = build(strategies, None)
    events = run_steps(engine, clock, steps)
    check_history(engine, clock, events)
    transfers = Counter(e.contact_id for e in events if e.type == "contact.transferred")
    completed = Counter(e.contact_id for e in events if e.type == "consult.ended" and e.data["outcome"] == "completed")
    assert transfers == completed, "only a completed consultation is a transfer"
    assert not any(e.type == "contact.abandoned" and e.contact_id in transfers for e in events)


def check_history(engine, clock, events) -> None:
    """Drain, then: every contact closed once, every offer resolved once, loads right."""
    events += drain(engine, clock)
    check_capacity(engine)

    arrived = [e.contact_id for e in events if e.type == "contact.arrived"]
    closed = Counter(e.contact_id for e in events if e.type == "contact.closed")
    assert len(arrived) == len(set(arrived))
    assert all(closed[c] == 1 for c in arrived), "every contact closes exactly once"
    assert set(closed) == set(arrived)
    assert not any(
        c.state in ("waiting", "offered", "connected", "wrap_up") for c in engine.contacts.values()
    )

    created = [e.data["offer_id"] for e in events if e.type == "offer.created"]
    ended = Counter(e.data["offer_id"] for e in events if e.type in OFFER_ENDS)
    assert len(created) == len(set(created))
    assert all(ended[o] == 1 for o in created), "every offer is resolved exactly once"
    assert set(ended) == set(created)
    assert engine.offers == {}

    answered_first = Counter(e.contact_id for e in events if e.type == "contact.answered" and e.data["first"])
    assert all(n == 1 for n in answered_first.values())
    seqs = [e.seq for e in events]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))


@settings(max_examples=100, deadline=None)
@given(
    operators=st.integers(1, 8), contacts=st.integers(0, 60), declines=st.lists(st.booleans(), max_size=60)
)
def test_round_robin_turns_differ_by_at_most_one_while_everyone_is_always_eligible(
    operators, contacts, declines
):
    ops = [OperatorConfig(f"op{i}", queues=("q",)) for i in range(operators)]
    engine, clock = make_engine([QueueConfig("q", strategy="round_robin")], ops)
    for i in range(contacts):
        decisions = engine.contact_arrived(ContactSpec(f"c{i}", "q"))
        offer = decisions[0]
        if i < len(declines) and declines[i] and operators > 1:
            offer = engine.decline(offer.offer_id)[0]
        engine.accept(offer.offer_id)
        clock.advance(1)
        engine.end_contact(f"c{i}")
        turns = engine.queues["q"].turns
        counts = [turns.get(f"op{k}", 0) for k in range(operators)]
        assert max(counts) - min(counts) <= 1, counts


@settings(max_examples=100, deadline=None)
@given(steps=st.lists(step, max_size=60))
def test_no_contact_waits_while_a_free_operator_could_take_it(steps):
    """Work conservation in a plain queue: one queue, no skills, everyone a member."""
    queue = QueueConfig("q0", strategy="longest_idle", offer_timeout_s=15)
    ops = [OperatorConfig(f"op{i}", queues=("q0",)) for i in range(4)]
    engine, clock = make_engine([queue, QueueConfig("q1"), QueueConfig("q2")], ops)
    steps = [s for s in steps if s[0] not in ("transfer", "consult")]  # (both move a contact to another queue)
    for number, (action, *args) in enumerate(steps):
        if action == "arrive":
            engine.contact_arrived(ContactSpec(f"c{number}", "q0", channel=args[1]))
        else:
            run_steps(engine, clock, [(action, *args)])
        waiting = [c for c in engine.contacts.values() if c.state == "waiting"]
        for contact in waiting:
            free = [
                op
                for op in engine.operators.values()
                if engine.has_capacity(op, contact.bucket) and op.cfg.id not in contact.excluded
                and op.cfg.id != contact.consult_by
            ]
            assert not free, (contact.id, [op.cfg.id for op in free])
