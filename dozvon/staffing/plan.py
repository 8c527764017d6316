"""How many operators: the smallest staff that meets a service level and an occupancy cap.

Two flaws of common staffing tools are avoided on purpose:

* the search starts *at* the smallest candidate (just above the traffic for Erlang C),
  and uses bisection over the monotone service level, so it can neither skip the answer
  nor cost O(n) Erlang evaluations for thousands of operators;
* the occupancy cap and the shrinkage are exact boundaries: they are compared and
  divided in rational arithmetic (``Fraction`` from the decimal text the user typed), so
  that 17 Erlangs at ``--max-occupancy 0.85`` gives exactly 20 operators, not 21 because
  0.85 is not representable in binary.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from dozvon.staffing.erlang import QueueFigures, erlang_a, erlang_c


def exact(value: str | float | int | Fraction) -> Fraction:
    """A user's number as an exact fraction: '0.85' is 17/20, not 0.84999999999999997779…"""
    if isinstance(value, Fraction):
        return value
    return Fraction(str(value))


@dataclass(frozen=True, slots=True)
class Traffic:
    """Offered load: ``calls`` arriving per ``interval_s``, each taking ``aht_s`` to handle."""

    calls: Fraction
    interval_s: Fraction
    aht_s: Fraction

    @property
    def erlangs(self) -> Fraction:
        return self.calls * self.aht_s / self.interval_s

    @property
    def arrival_rate(self) -> float:
        return float(self.calls / self.interval_s)


@dataclass(frozen=True, slots=True)
class StaffingAnswer:
    agents: int
    positions: int
    figures: QueueFigures


def positions_for(agents: int, shrinkage: Fraction) -> int:
    """Operators to schedule so that ``agents`` are on the phones after shrinkage."""
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage must be in [0, 1)")
    # ⌈agents ÷ (1 − p/q)⌉ = ⌈agents·q ÷ (q − p)⌉, in integers: exact and cheap.
    p, q = shrinkage.numerator, shrinkage.denominator
    return -(-agents * q // (q - p))


def _smallest(low: int, meets: Callable[[int], bool]) -> int:
    """The smallest n ≥ low with meets(n), for a monotone predicate (gallop, then bisect)."""
    if meets(low):
        return low
    step = 1
    high = low + step
    while not meets(high):
        low = high
        step *= 2
        high = low + step
    while high - low > 1:
        middle = (low + high) // 2
        if meets(middle):
            high = middle
        else:
            low = middle
    return high


def _figures(model: str, traffic: Traffic, agents: int, target_s: float, patience_s: float | None) -> QueueFigures:
    if model == "erlang-c":
        return erlang_c(agents, float(traffic.erlangs), float(traffic.aht_s), target_s)
    if patience_s is None:
        raise ValueError("Erlang A needs the customers' mean patience")
    return erlang_a(agents, traffic.arrival_rate, float(traffic.aht_s), patience_s, target_s)


def staff(
    model: str,
    traffic: Traffic,
    target_s: float,
    target_sl: float,
    max_occupancy: Fraction = Fraction(1),
    shrinkage: Fraction = Fraction(0),
    patience_s: float | None = None,
) -> StaffingAnswer:
    """The smallest number of agents with SL ≥ target_sl and occupancy ≤ max_occupancy."""
    if not 0 < target_sl < 1:
        raise ValueError("the target service level must be between 0 and 1")
    if not 0 < max_occupancy <= 1:
        raise ValueError("the maximum occupancy must be in (0, 1]")
    erlangs = traffic.erlangs
    # Erlang C: occupancy is offered load / n, so exactly the smallest n with erlangs / n ≤ cap,
    # and n > traffic (below it the queue is unstable). Erlang A is stable for any n and its
    # occupancy is of the carried load, checked in meets().
    low = max(1, math.ceil(erlangs / max_occupancy), math.floor(erlangs) + 1) if model == "erlang-c" else 1

    def meets(n: int) -> bool:
        figures = _figures(model, traffic, n, target_s, patience_s)
        if model == "erlang-a" and Fraction(figures.occupancy) > max_occupancy:
            return False
        return figures.service_level >= target_sl

    agents = _smallest(low, meets)
    return StaffingAnswer(
        agents, positions_for(agents, shrinkage), _figures(model, traffic, agents, target_s, patience_s)
    )
