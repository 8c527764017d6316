"""Turn an engine's state into plain dicts and back, so that it survives a restart.

Only what cannot be derived is stored: queue settings and round-robin turns, operator
profiles and states, unfinished contacts (with their open offers and deadlines). Loads,
heaps and timers are derived again on restore, so that they can never disagree with the
contacts they describe. A restored waiting contact keeps its original enqueue time and
its place in the queue; an offer whose deadline passed while the server was down times
out on the first :meth:`~dozvon.routing.engine.RoutingEngine.advance`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from typing import Any

from dozvon.core.clock import Clock
from dozvon.routing.engine import RoutingEngine
from dozvon.routing.model import (
    Contact,
    ContactSpec,
    EngineSettings,
    Offer,
    Operator,
    OperatorConfig,
    QueueConfig,
)
from dozvon.routing.queues import QueueState

_DERIVED = ("spec", "offers", "excluded", "id")
_CONTACT_FIELDS = tuple(f.name for f in fields(Contact) if f.name not in _DERIVED)
_OPERATOR_FIELDS = ("state", "reason", "state_since", "idle_since", "missed", "order")


def export_contact(contact: Contact) -> dict[str, Any]:
    data = {name: getattr(contact, name) for name in _CONTACT_FIELDS}
    data["spec"] = contact.spec.to_dict()
    data["excluded"] = sorted(contact.excluded)
    data["offers"] = [{"id": o.id, "operator_id": o.operator_id, "created_at": o.created_at,
                       "deadline": o.deadline} for o in contact.offers.values()]
    return data


def export_operator(op: Operator) -> dict[str, Any]:
    data = {name: getattr(op, name) for name in _OPERATOR_FIELDS}
    data["cfg"] = op.cfg.to_dict()
    return data


def export_queue(state: QueueState) -> dict[str, Any]:
    return {"cfg": state.cfg.to_dict(), "turns": dict(state.turns), "open": state.open,
            "members": dict(state.members)}


def export_meta(engine: RoutingEngine) -> dict[str, Any]:
    return {"event_seq": engine.event_seq, "offer_seq": engine.offer_seq}


def restore(
    clock: Clock,
    queues: Iterable[dict[str, Any]],
    operators: Iterable[dict[str, Any]],
    contacts: Iterable[dict[str, Any]],
    meta: dict[str, Any] | None = None,
    last_operator: dict[str, tuple[str, float]] | None = None,
    settings: EngineSettings | None = None,
) -> RoutingEngine:
    """Rebuild an engine from exported state. Emits no events except queue opened/closed
    when the hours changed while the engine was down."""
    engine = RoutingEngine(clock, settings=settings)
    meta = meta or {}
    engine.event_seq = int(meta.get("event_seq", 0))
    engine.offer_seq = int(meta.get("offer_seq", 0))
    engine.last_operator = dict(last_operator or {})
    for row in queues:
        state = QueueState(QueueConfig.from_dict(row["cfg"]))
        state.turns = {k: int(v) for k, v in (row.get("turns") or {}).items()}
        state.open = bool(row.get("open", True))
        engine.queues[state.cfg.name] = state
        for operator_id, order in sorted((row.get("members") or {}).items(), key=lambda kv: kv[1]):
            state.restore_member(operator_id, int(order))
    for row in operators:
        op = Operator(cfg=OperatorConfig.from_dict(row["cfg"]), order=int(row.get("order", 0)))
        for name in _OPERATOR_FIELDS:
            if name in row:
                setattr(op, name, row[name])
        engine.adopt_operator(op)
    # Tokens order contacts of equal priority and wait: restoring them keeps every place.
    for row in sorted(contacts, key=lambda r: int(r.get("token", 0))):
        values = {name: row[name] for name in _CONTACT_FIELDS if name in row}
        contact = Contact(spec=ContactSpec.from_dict(row["spec"]), **values)
        contact.excluded = frozenset(row.get("excluded") or ())
        offers = [Offer(data["id"], contact.id, data["operator_id"], data["created_at"], data["deadline"])
                  for data in row.get("offers") or ()]
        engine.adopt_contact(contact, offers)
    engine.resume_after_restore()
    return engine


__all__ = ["export_contact", "export_meta", "export_operator", "export_queue", "restore"]
