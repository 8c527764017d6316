"""An attended transfer to a queue survives the server's restarts: the same script of
consultations (waiting, ringing, answered; completed, cancelled, declined, the customer
leaving) run with a restart of the stored engine (RouterService on SQLite and PostgreSQL)
between every two commands writes the same per-contact histories as without restarts."""

from __future__ import annotations

from collections import Counter
from typing import Any

from dozvon.acd.service import RouterService
from dozvon.core.clock import ManualClock
from dozvon.eventlog import repository as eventlog
from dozvon.routing import ContactSpec, OperatorConfig, QueueConfig
from tests.conftest import T0
from tests.persistence.test_service import db  # noqa: F401  (the fixture)


def _first(engine: Any, pick: Any) -> str | None:
    found = sorted(c for c, x in engine.contacts.items() if pick(x))
    return found[0] if found else None


SCRIPT: list[tuple[Any, ...]] = [
    ("arrive", "c1"), ("arrive", "c2"), ("arrive", "c3"), ("time", 2.0), ("accept", "a"), ("accept", "b"),
    ("accept", "c"), ("time", 5.0),
    ("consult", "c1"), ("time", 3.0), ("free", "d"), ("time", 16.0), ("tick",),  # d lets it ring out
    ("free", "e"), ("accept", "e"), ("time", 4.0), ("complete", "c1"),
    ("consult", "c2"), ("time", 2.0), ("cancel", "c2", None),  # given up while waiting
    ("consult", "c3"), ("free", "d"), ("accept", "d"), ("time", 1.0), ("cancel", "c3", "d"),  # declined
    ("consult", "c3"), ("accept", "d"), ("time", 2.0), ("leave", "c3"),  # the customer hangs up
    ("time", 40.0), ("tick",),
]


def play(db: Any, project: str, restart: bool) -> tuple[dict[str, list[Any]], Counter[str]]:  # noqa: F811
    clock = ManualClock(T0)
    svc = RouterService(db, project, clock)
    svc.run(lambda e: e.add_queue(QueueConfig("sales", wrap_up_s=10)))
    svc.run(lambda e: e.add_queue(QueueConfig("billing", strategy="longest_idle", offer_timeout_s=15)))
    for op, queues in (("a", ("sales",)), ("b", ("sales",)), ("c", ("sales",)), ("d", ("billing",)),
                       ("e", ("billing",))):
        svc.run(lambda e, o=op, q=queues: e.add_operator(OperatorConfig(o, queues=q)))
    for op in ("a", "b", "c"):
        svc.run(lambda e, o=op: e.login(o))
    for action, *args in SCRIPT:
        if restart:
            svc = RouterService(db, project, clock)
        if action == "arrive":
            svc.run(lambda e, c=args[0]: e.contact_arrived(ContactSpec(c, "sales", customer_id=f"k{c}")))
        elif action == "time":
            clock.advance(args[0])
        elif action == "tick":
            svc.tick()
        elif action == "accept":
            offers = sorted(o for o, x in svc.engine.offers.items() if x.operator_id == args[0])
            if offers:
                svc.run(lambda e, o=offers[0], by=args[0]: e.accept(o, by))
        elif action == "free":
            svc.run(lambda e, o=args[0]: e.login(o))
        elif action == "consult":
            svc.run(lambda e, c=args[0]: e.consult(c, to_queue="billing"))
        elif action == "complete":
            svc.run(lambda e, c=args[0]: e.complete_consult(c))
        elif action == "cancel":
            svc.run(lambda e, c=args[0], o=args[1]: e.cancel_consult(c, o))
        elif action == "leave":
            svc.run(lambda e, c=args[0]: e.customer_left(c))
    with svc.sessions() as session:
        events = eventlog.list_events(session, project, limit=100000)
    history: dict[str, list[Any]] = {}
    for e in events:
        history.setdefault(e.contact_id or e.operator_id or "", []).append((e.type, e.at_us, e.operator_id, e.data))
    return history, Counter(e.type for e in events)


def test_restarting_after_every_command_keeps_every_consultation(db: Any, project: str) -> None:  # noqa: F811
    plain = play(db, project + "_plain", False)
    restarted = play(db, project + "_restart", True)
    assert restarted[1] == plain[1]
    assert restarted[0] == plain[0]
    outcomes = [d["outcome"] for t, _, _, d in plain[0]["c1"] + plain[0]["c2"] + plain[0]["c3"]
                if t == "consult.ended"]
    assert sorted(outcomes) == ["cancelled", "completed", "customer_left", "declined"]
    assert plain[1]["offer.timed_out"] == 1 and plain[1]["contact.transferred"] == 1
    assert plain[1]["contact.abandoned"] == 0
