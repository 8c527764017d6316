"""Routing strategies: each orders the operators ready to take a queue's next contact.

A strategy is a small function from (queue state, operator, bucket) to a sort key; the
queue keeps a heap of ready operators by that key, so choosing an operator costs
O(log n) instead of a scan over every operator. ``ring_all`` is the exception: it offers
to every eligible operator at once, which is inherently a pass over the members.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dozvon.routing.model import Operator
    from dozvon.routing.queues import QueueState

KeyFn = Callable[["QueueState", "Operator", str], tuple[float, ...]]


def skill_level(queue: QueueState, op: Operator) -> float:
    """Sum of the operator's levels in the skills the queue requires (higher is better)."""
    skills = op.cfg.skills
    return float(sum(skills.get(name, 0) for name in queue.cfg.required_skills))


def round_robin(queue: QueueState, op: Operator, bucket: str) -> tuple[float, ...]:
    """Strictly in turn, evenly: fewest turns in this queue first, then member order."""
    return (queue.turns.get(op.cfg.id, 0), queue.members[op.cfg.id])


def longest_idle(queue: QueueState, op: Operator, bucket: str) -> tuple[float, ...]:
    return (op.idle_since, queue.members[op.cfg.id])


def least_busy(queue: QueueState, op: Operator, bucket: str) -> tuple[float, ...]:
    """Fewest active contacts relative to capacity; longest idle breaks ties."""
    capacity = op.cfg.capacity.get(bucket, 0) or 1
    return (op.load[bucket] / capacity, op.idle_since, queue.members[op.cfg.id])


def ring_all(queue: QueueState, op: Operator, bucket: str) -> tuple[float, ...]:
    return (queue.members[op.cfg.id],)


def skills(queue: QueueState, op: Operator, bucket: str) -> tuple[float, ...]:
    """Best skill level first, then longest idle."""
    return (-skill_level(queue, op), op.idle_since, queue.members[op.cfg.id])


STRATEGY_KEYS: dict[str, KeyFn] = {
    "round_robin": round_robin,
    "ring_all": ring_all,
    "longest_idle": longest_idle,
    "least_busy": least_busy,
    "skills": skills,
}


def key_function(strategy: str, skills_first: bool) -> KeyFn:
    """The key for a queue; ``skills_first`` puts the best skill level before the strategy."""
    base = STRATEGY_KEYS[strategy]
    if not skills_first or strategy == "skills":
        return base

    def combined(queue: QueueState, op: Operator, bucket: str) -> tuple[float, ...]:
        return (-skill_level(queue, op), *base(queue, op, bucket))

    return combined
