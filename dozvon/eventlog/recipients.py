"""Who receives an event on a socket — the rule, written once.

Choosing recipients is a security decision (docs/events.md, "Recipients"), made from the
event's ``type`` and ``operator_id`` only:

- contact, offer, message and callback events: the operator named in the event, and the
  project's supervisors;
- operator events: that operator, and the supervisors;
- queue events, and any type the catalogue does not know: the supervisors only.

"Supervisors" are the callers who may read the whole project's events (the
``events:read`` permission). Live fan-out (the hub, after a commit) and the replay of
missed events from the log (the stream's ``after``) both decide with :func:`recipients`
— for the replay, :func:`dozvon.eventlog.repository.readable_to` is the same rule as a
``WHERE`` clause, so that a page of the log holds only what the caller may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from dozvon.eventlog.catalogue import REGISTRY

__all__ = ["NAMED_OPERATOR_TYPES", "Addressed", "Audience", "recipients"]

#: The event types whose named operator (``operator_id``) receives them.
NAMED_OPERATOR_TYPES: frozenset[str] = frozenset(t for t, cls in REGISTRY.items() if cls.operator_receives)


class Addressed(Protocol):
    """What :func:`recipients` reads: a RoutingEvent and a stored EventRecord both fit."""

    @property
    def type(self) -> str: ...
    @property
    def operator_id(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Audience:
    """The receivers of one event: these operators, and the supervisors if ``supervisors``."""

    operators: frozenset[str]
    supervisors: bool

    def includes(self, *, operator_id: str | None = None, supervisor: bool = False) -> bool:
        """Whether a caller receives the event: ``supervisor`` — they hold ``events:read``
        on the project; ``operator_id`` — their operator id in it (None: not an operator)."""
        return (supervisor and self.supervisors) or (operator_id is not None and operator_id in self.operators)


SUPERVISORS_ONLY = Audience(frozenset(), True)


def recipients(event: Addressed) -> Audience:
    """The audience of an event, from its ``type`` and ``operator_id`` alone.

    The hub pushes an event to every whole-project subscriber when ``supervisors`` is true,
    and to the subscribers of each operator id in ``operators``; the stream's replay sends a
    stored event to a caller when :meth:`Audience.includes` says so.
    """
    if event.operator_id is None or event.type not in NAMED_OPERATOR_TYPES:
        return SUPERVISORS_ONLY
    return Audience(frozenset((event.operator_id,)), True)
