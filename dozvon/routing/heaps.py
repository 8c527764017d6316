"""Binary heaps of tuples whose comparisons a compiled build makes natively.

The engine keeps its timers, waiting contacts and ready operators in heaps of tuples —
``(at, rank, key, kind)``, ``(key, enqueued, token, id)``, ``(turns, member, version, id)``
— some six pushes and pops per simulated contact. ``heapq`` is written in C, but it
compares tuples through Python's generic comparison, a call per item and another for the
verdict, about 250 instructions each. The functions here are the same algorithm as
``heapq`` (the same sift-down and the same bottom-up sift-up, so a heap holds its entries
in exactly the same places and pops them in the same order), with the comparison written
out: the first two items compared natively when both are ints or both floats, the whole
tuples only when those tie or are of other types.

Interpreted, these functions would be far slower than ``heapq``'s C, so the callers use
them only where :data:`NATIVE` says this module is compiled, and ``heapq`` otherwise.
(The simulator's own heap of plain floats stays on ``heapq``: for floats its C is as fast
as a compiled sift.) Both give the same heap, entry for entry: tests/routing/test_heaps.py,
and tests/sim/test_compiled.py for the compiled functions.
"""

from __future__ import annotations

from typing import Any, Final

#: Whether this module runs compiled (a compiled module's file is the extension, not the
#: ``.py``): only then are these functions faster than ``heapq``'s.
NATIVE: Final = not __file__.endswith(".py")


def before(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """``a < b`` for the heaps' tuples: the first two items compared natively where both
    are ints or both floats (instants, ranks, turns, member places — the usual case), the
    tuples themselves as Python compares them where those tie or are of other types."""
    order = _order(a[0], b[0])
    if order == _EQUAL:
        order = _order(a[1], b[1])
    if order == _LESS:
        return True
    if order == _GREATER:
        return False
    return a < b  # the first two tie (or are not both ints or both floats): all of them


#: What :func:`_order` tells: less, equal, greater — or neither both ints nor both floats.
_LESS: Final = -1
_EQUAL: Final = 0
_GREATER: Final = 1
_OTHER: Final = 2


def _order(x: Any, y: Any) -> int:
    """How x compares with y where both are ints or both floats; else ``_OTHER``.

    (An int is tested first: ``isinstance(x, int)`` reads a flag of the type, where
    ``isinstance(x, float)`` of an int searches the type's ancestors.)"""
    if isinstance(x, int):
        if isinstance(y, int):
            i: int = x
            j: int = y
            return _LESS if i < j else _GREATER if j < i else _EQUAL
        return _OTHER
    if isinstance(x, float) and isinstance(y, float):
        f: float = x
        g: float = y
        return _LESS if f < g else _GREATER if g < f else _EQUAL
    return _OTHER


def push(heap: list[Any], entry: tuple[Any, ...]) -> None:
    """``heappush`` for a heap of tuples led by two numbers (timers, waiting contacts,
    ready operators)."""
    heap.append(entry)
    _rise(heap, len(heap) - 1, entry)


def pop(heap: list[Any]) -> Any:
    """``heappop`` for a heap of tuples led by two numbers."""
    last = heap.pop()
    if not heap:
        return last
    top = heap[0]
    end = len(heap)
    pos = 0
    child = 1
    # Down to a leaf along the smaller children (heapq's bottom-up sift-up), then the last
    # entry back up from there.
    while child < end:
        right = child + 1
        if right < end and not before(heap[child], heap[right]):
            child = right
        heap[pos] = heap[child]
        pos = child
        child = 2 * pos + 1
    _rise(heap, pos, last)
    return top


def _rise(heap: list[Any], pos: int, entry: tuple[Any, ...]) -> None:
    """Put ``entry`` at ``pos`` or above it, moving down each parent it goes before
    (heapq's ``_siftdown`` from the top)."""
    while pos > 0:
        parent_pos = (pos - 1) >> 1
        parent = heap[parent_pos]
        if not before(entry, parent):
            break
        heap[pos] = parent
        pos = parent_pos
    heap[pos] = entry
