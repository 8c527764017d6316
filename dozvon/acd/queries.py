"""Reads of live routing state: plain copies taken under the project's lock.

Nothing outside :mod:`dozvon.acd` touches a service's engine. A handler, a page or the
metrics scrape asks here, and gets dicts and frozen records copied between two commands —
never the engine's own dicts, which a command thread may be changing at that moment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dozvon.acd.service import RouterService
from dozvon.core.errors import NotFound
from dozvon.routing.engine import RoutingEngine
from dozvon.routing.model import CONNECTED, OFFERED, WAITING, WRAP_UP


@dataclass(frozen=True, slots=True)
class LiveOffer:
    offer_id: str
    operator_id: str
    deadline: float


@dataclass(frozen=True, slots=True)
class LiveContact:
    """What the engine knows of an unfinished contact now."""

    id: str
    state: str
    queue: str
    operator_id: str | None
    offers: tuple[LiveOffer, ...]
    channel: str = ""


def _queue_dict(engine: RoutingEngine, name: str, waiting: dict[str, int]) -> dict[str, Any]:
    state = engine.queues[name]
    return {**state.cfg.to_dict(), "open": state.open, "members": sorted(state.members),
            "waiting": waiting.get(name, 0)}


def queues(svc: RouterService, names: Iterable[str] | None = None) -> tuple[list[dict[str, Any]], int]:
    """The named queues (all, if None) with their settings and contacts waiting now, and
    the ``seq`` of the last event they reflect."""
    wanted = None if names is None else list(names)

    def view(engine: RoutingEngine) -> list[dict[str, Any]]:
        for name in wanted or ():
            if name not in engine.queues:
                raise NotFound("routing.unknown_queue", queue=name)
        waiting = engine.waiting_by_queue()
        return [_queue_dict(engine, n, waiting) for n in (wanted if wanted is not None else sorted(engine.queues))]

    return svc.read(lambda engine: (view(engine), svc.last_seq()))


def queue_names(svc: RouterService) -> set[str]:
    return svc.read(lambda engine: set(engine.queues))


def has_queue(svc: RouterService, name: str) -> bool:
    return svc.read(lambda engine: name in engine.queues)


def queue_open(svc: RouterService, name: str) -> bool:
    """Whether the queue exists and is within its hours now."""
    return svc.read(lambda engine: name in engine.queues and engine.queues[name].open)


def _operator_dict(engine: RoutingEngine, operator_id: str) -> dict[str, Any]:
    op = engine.operators[operator_id]
    return {**op.cfg.to_dict(), "state": op.state, "reason": op.reason, "state_since": op.state_since,
            "presence": engine.presence(operator_id), "contacts": sorted(op.contacts),
            "calls": sum(1 for c in op.contacts if c in engine.contacts and engine.contacts[c].bucket == "voice"),
            "offers": sorted(op.offers)}


def operator(svc: RouterService, operator_id: str) -> dict[str, Any]:
    """One operator's profile, state and load, with the ``seq`` of the last event it
    reflects: stream ``after`` it to miss nothing."""
    def view(engine: RoutingEngine) -> dict[str, Any]:
        if operator_id not in engine.operators:
            raise NotFound("routing.unknown_operator", operator=operator_id)
        return {**_operator_dict(engine, operator_id), "seq": svc.last_seq()}

    return svc.read(view)


def operators(svc: RouterService) -> tuple[list[dict[str, Any]], int]:
    return svc.read(lambda engine: ([_operator_dict(engine, o) for o in sorted(engine.operators)],
                                    svc.last_seq()))


def operator_ids(svc: RouterService) -> set[str]:
    return svc.read(lambda engine: set(engine.operators))


def live_contacts(svc: RouterService, ids: Iterable[str]) -> dict[str, LiveContact]:
    """The engine's view of those of ``ids`` it still holds (closed ones are absent)."""
    wanted = list(ids)

    def view(engine: RoutingEngine) -> dict[str, LiveContact]:
        out = {}
        for contact_id in wanted:
            c = engine.contacts.get(contact_id)
            if c is not None:
                out[contact_id] = LiveContact(
                    contact_id, c.state, c.queue, c.operator_id,
                    tuple(LiveOffer(o.id, o.operator_id, o.deadline) for o in c.offers.values()), c.spec.channel)
        return out

    return svc.read(view)


def live_contact(svc: RouterService, contact_id: str) -> LiveContact | None:
    return live_contacts(svc, [contact_id]).get(contact_id)


def load_now(svc: RouterService) -> tuple[dict[str, int], dict[str, int]]:
    """Contacts waiting per queue and operators per presence, in one consistent read (for
    metrics and wallboards)."""
    def view(engine: RoutingEngine) -> tuple[dict[str, int], dict[str, int]]:
        by_presence: dict[str, int] = {}
        for operator_id in engine.operators:
            key = engine.presence(operator_id)
            by_presence[key] = by_presence.get(key, 0) + 1
        return engine.waiting_by_queue(), by_presence

    return svc.read(view)


@dataclass(frozen=True, slots=True)
class OperatorLoad:
    """An operator as a wallboard shows them: state, and what they hold."""

    id: str
    name: str
    state: str
    reason: str | None
    ringing: int
    talking: int
    wrapping: int


@dataclass(frozen=True, slots=True)
class BoardSeed:
    """What a wallboard rebuilt at start takes from the engine rather than from today's
    events: targets, who is logged in and what they hold, who is waiting since when (a
    call answered before midnight is not in today's events, but is on the board)."""

    targets: dict[str, float]
    #: queue -> its service-level goal
    goals: dict[str, float]
    operators: list[OperatorLoad]
    #: queue -> {contact id: when it entered that queue}
    waiting: dict[str, dict[str, float]]
    #: contact id -> the operator wrapping it up
    wrapping: dict[str, str]


def board_seed(svc: RouterService) -> BoardSeed:
    def view(engine: RoutingEngine) -> BoardSeed:
        waiting: dict[str, dict[str, float]] = {}
        wrapping: dict[str, str] = {}
        talking: dict[str, int] = {}
        for c in engine.contacts.values():
            if c.state in (WAITING, OFFERED):
                waiting.setdefault(c.queue, {})[c.id] = c.queue_since
            elif c.state == CONNECTED and c.operator_id:
                talking[c.operator_id] = talking.get(c.operator_id, 0) + 1
            elif c.state == WRAP_UP and c.operator_id:
                wrapping[c.id] = c.operator_id
        loads = [OperatorLoad(o.cfg.id, o.cfg.name, o.state, o.reason, len(o.offers), talking.get(o.cfg.id, 0),
                              sum(1 for holder in wrapping.values() if holder == o.cfg.id))
                 for o in engine.operators.values()]
        return BoardSeed({n: q.cfg.target_answer_s for n, q in engine.queues.items()},
                         {n: q.cfg.service_level_goal for n, q in engine.queues.items()}, loads, waiting, wrapping)

    return svc.read(view)


def operator_names(svc: RouterService) -> dict[str, str]:
    """Operator id → the name customers see (the id when no name is set)."""
    return svc.read(lambda engine: {o: (op.cfg.name or o) for o, op in engine.operators.items()})


@dataclass(frozen=True, slots=True)
class Place:
    """Where a contact stands: its state, its queue, and how many were there before it."""

    state: str
    queue: str
    #: 1 = next; 0 when the contact is not waiting (ringing, talking …).
    position: int
    operator_id: str | None


def place_in_line(svc: RouterService, contact_id: str) -> Place | None:
    """The contact's place in its queue's line (by time of joining it), or None once closed."""
    def view(engine: RoutingEngine) -> Place | None:
        c = engine.contacts.get(contact_id)
        if c is None:
            return None
        if c.state not in (WAITING, OFFERED):
            return Place(c.state, c.queue, 0, c.operator_id)
        ahead = sum(1 for other in engine.contacts.values()
                    if other.queue == c.queue and other.state in (WAITING, OFFERED)
                    and (other.queue_since, other.spec.id) < (c.queue_since, c.spec.id))
        return Place(c.state, c.queue, ahead + 1, c.operator_id)

    return svc.read(view)
