"""dozvon/routing/heaps.py is heapq's algorithm with its comparison written out: the same
pushes and pops leave every entry exactly where heapq leaves it and pop the same entries,
whatever the entries' first items are — ties, ints beside floats, bools, strings. (The
compiled build runs the same check on its native functions: tests/sim/test_compiled.py.)"""

from __future__ import annotations

import heapq
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dozvon.routing import heaps

#: First items that tie often and mix the types the engine's heaps hold (and some they do not).
_LEADS = st.sampled_from([0, 1, 2, -1, True, False, 0.0, 1.0, 1.5, -0.0, 2.0, 10**30, "a", "b"])
_ENTRIES = st.tuples(_LEADS, _LEADS, st.integers(0, 3), st.sampled_from(["x", "y"]))


def replay(operations: list[tuple[str, Any]]) -> tuple[list[Any], list[Any]]:
    """The operations on heapq's heap and on ours side by side; returns both heaps' final
    layout after checking every step gave the same layout and the same popped entry."""
    theirs: list[Any] = []
    ours: list[Any] = []
    for name, entry in operations:
        if name == "push":
            heapq.heappush(theirs, entry)
            heaps.push(ours, entry)
        elif theirs:
            assert heaps.pop(ours) == heapq.heappop(theirs)
        assert ours == theirs
    return ours, theirs


def comparable(entries: list[tuple[Any, ...]]) -> bool:
    try:
        sorted(entries)
    except TypeError:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.tuples(st.just("push"), _ENTRIES), st.tuples(st.just("pop"), st.none())),
                max_size=60))
def test_pushes_and_pops_leave_the_heap_exactly_as_heapq_leaves_it(operations):
    pushed = [entry for name, entry in operations if name == "push"]
    if not comparable(pushed):  # a str beside a number: heapq itself raises
        return
    replay(operations)


def test_a_long_run_of_timer_like_entries_matches_heapq():
    rng = random.Random(7)
    operations: list[tuple[str, Any]] = []
    for step in range(5000):
        if rng.random() < 0.55:
            at = float(rng.randrange(200))  # many equal instants
            operations.append(("push", (at, rng.randrange(4), f"k{rng.randrange(50)}", "offer")))
        else:
            operations.append(("pop", None))
        if step % 97 == 0:
            operations.append(("push", (rng.randrange(3), rng.randrange(3), f"t{step}", "turns")))
    mixed = [entry for name, entry in operations if name == "push"]
    assert comparable(mixed)
    ours, theirs = replay(operations)
    assert len(ours) == len(theirs) > 0


def test_before_is_the_tuples_own_order():
    entries = [(1, 2.0, "a"), (1, 2, "b"), (1.0, 2, "a"), (True, 2, "c"), (0.5, 3, "a"), (1, 1.5, "z"),
               (2, 0, "a"), (2.0, -1, "a")]
    for a in entries:
        for b in entries:
            assert heaps.before(a, b) == (a < b), (a, b)


def test_the_pure_package_uses_heapq():
    # Interpreted, these functions would be slower than heapq's C: the callers check NATIVE.
    assert heaps.NATIVE is False
