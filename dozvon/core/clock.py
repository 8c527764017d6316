"""Clocks injected into the routing engine.

The engine never reads the wall clock itself: the server gives it a :class:`SystemClock`,
the simulator and the tests a :class:`ManualClock` they move by hand. Times are float
seconds since the Unix epoch (UTC), which keeps arithmetic cheap and exact to the
microsecond for the dates we care about.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


class Clock:
    """Anything that can tell the current time in epoch seconds.

    A base class, not a Protocol: the engine reads its clock several times per contact,
    and a compiled build (dozvon/sim/compiled.py) calls a method of a concrete class
    directly, where it would look a Protocol's up by name and box the float it returns.
    For the pure package nothing changes: any object with a ``now()`` works as before."""

    __slots__ = ()

    def now(self) -> float:
        raise NotImplementedError


class SystemClock(Clock):
    """The wall clock, for the server."""

    def now(self) -> float:
        return time.time()


class ManualClock(Clock):
    """A clock that only moves when told to: tests and the simulator's virtual time."""

    __slots__ = ("t",)

    def __init__(self, start: float = 0.0) -> None:
        self.t = float(start)

    def now(self) -> float:
        return self.t

    def set(self, t: float) -> None:
        if t < self.t:
            raise ValueError(f"time cannot go backwards: {t} < {self.t}")
        self.t = float(t)

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError(f"cannot advance by a negative duration: {seconds}")
        self.t += seconds
        return self.t


def to_datetime(ts: float) -> datetime:
    """Epoch seconds to an aware UTC datetime (for display and storage)."""
    return datetime.fromtimestamp(ts, tz=UTC)


def now_us() -> int:
    """The wall clock in integer microseconds (the unit every stored time uses), for rows
    written outside the engine: sessions, tokens, audit entries, callback tasks."""
    return time.time_ns() // 1000
