"""Background work that leaves room for the requests beside it.

The server's threads share one interpreter lock. A background round (the KPI fold, the
contact-type suggestions) that computes for tens of milliseconds keeps it, handing it over
only when another thread has waited the interpreter's switch interval (5 ms) — and the
ingest batch beside it waits that long again after each of its dozen database round trips:
bench_server.py's trace found the slowest 1 % of ingest → offer inside such rounds. A
round that calls a :class:`Pacer` in its loops sleeps a moment after every couple of
milliseconds of running, and a waiting thread takes the lock at once.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

#: How long background work runs before it pauses, and how long it pauses.
RUN_S = 0.002
PAUSE_S = 0.0005


class Pacer:
    """Call it often in a background loop: it sleeps :data:`PAUSE_S` whenever :data:`RUN_S`
    has passed since it last did (one clock read otherwise).

    ``rest``: the pause is at least that share of the time run since the last one. Work
    whose steps are database statements (the KPI fold: some 30 ms of the database's CPU
    each, twenty-odd of them in a row every 10 s) holds a core of a small machine for as
    long as it goes on, and the ingest's statements beside it wait for that core; resting
    after each step as long as it ran leaves the core free half of the time."""

    __slots__ = ("_since", "pause_s", "rest", "run_s")

    def __init__(self, run_s: float = RUN_S, pause_s: float = PAUSE_S, rest: float = 0.0) -> None:
        self.run_s, self.pause_s, self.rest = run_s, pause_s, rest
        self._since = time.perf_counter()

    def __call__(self) -> None:
        now = time.perf_counter()
        ran = now - self._since
        if ran >= self.run_s:
            time.sleep(max(self.pause_s, ran * self.rest))
            self._since = time.perf_counter()


_local = threading.local()


@contextlib.contextmanager
def paced(run_s: float = RUN_S, pause_s: float = PAUSE_S, rest: float = 0.0) -> Iterator[None]:
    """Within this block, :func:`pace` in this thread pauses as a :class:`Pacer` does (the
    server's background rounds; the same code run for a report or a command is not paced)."""
    before = getattr(_local, "pacer", None)
    _local.pacer = Pacer(run_s, pause_s, rest)
    try:
        yield
    finally:
        _local.pacer = before


def pace() -> None:
    """A moment's pause if this thread runs :func:`paced` work and has run long enough."""
    pacer = getattr(_local, "pacer", None)
    if pacer is not None:
        pacer()


def active() -> bool:
    """Whether this thread runs :func:`paced` work (which may then take smaller steps)."""
    return getattr(_local, "pacer", None) is not None
