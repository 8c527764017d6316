"""The simulator keeps its own events as a heap of instants with each instant's events
beside it (dozvon/sim/simulator.py): events that share an instant must come out in the
order the heap of (time, kind, sequence) it replaced gave them — by kind, then in the
order they were pushed — whatever order they were pushed in. (tests/sim/test_lean.py
runs a day where many do; test_compiled.py runs it compiled.)"""

from __future__ import annotations

import random

from dozvon.sim.simulator import _TIED, _tie


def test_events_sharing_an_instant_keep_the_order_of_kind_then_push():
    rng = random.Random(7)
    for _ in range(300):
        pushed = [(rng.randrange(7), f"e{n}") for n in range(rng.randint(2, 12))]
        held = pushed[0]
        for event in pushed[1:]:
            held = _tie(held, event)
        assert held[0] == _TIED
        # sorted() is stable: equal kinds stay in the order they were pushed.
        assert held[1] == sorted(pushed, key=lambda event: event[0])
