"""Flags on customers and what each does by the project's policy.

A flag marks a person: ``competitor`` (suspected reconnaissance: the product's sixth
contact type), ``blocked`` (abuse), ``do_not_call`` (never called in outbound). Who set
it, when and why stay, and lifting it keeps the history. What a flag *does* is each
client company's decision (:class:`FlagPolicy`): a competitor's contacts may go to a
senior queue, a blocked customer may be turned away on arrival (with a message on text
channels), do-not-call is honoured by outbound dialling. The policy reaches routing
through the customer's standing at ingest (:mod:`dozvon.crm.segments`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from dozvon.core import bulk
from dozvon.core.errors import InvalidInput
from dozvon.core.pipeline import Ahead
from dozvon.crm.models import CrmPolicy, CustomerFlag

COMPETITOR, BLOCKED, DO_NOT_CALL = "competitor", "blocked", "do_not_call"
KINDS = (COMPETITOR, BLOCKED, DO_NOT_CALL)
REASON_LIMIT = 500


@dataclass(frozen=True)
class FlagPolicy:
    #: A suspected competitor's contacts go to this queue (None: they are only marked).
    competitor_queue: str | None = None
    #: A blocked customer is turned away on arrival (False: only marked).
    blocked_refuse: bool = True
    #: What a blocked customer reads on a text channel when turned away ("" : nothing).
    blocked_text: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> FlagPolicy:
        return cls(**dict(data or {}))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidInput("crm.bad_flag", field="kind", value=kind, allowed=", ".join(KINDS))
    return kind


def policy_of(session: Session, project: str) -> FlagPolicy:
    row = session.get(CrmPolicy, project)
    return FlagPolicy.from_dict((row.doc if row is not None else {}).get("flags"))


def active(session: Session, project: str, customer_ids: Sequence[str]) -> dict[str, list[CustomerFlag]]:
    """The flags in force on these customers (lifted ones are history), oldest first."""
    found: dict[str, list[CustomerFlag]] = {}
    if customer_ids:
        for flag in session.scalars(_ACTIVE.of(session), {"project": project, "customers": list(set(customer_ids))}):
            found.setdefault(flag.customer_id, []).append(flag)
    return found


def kinds_of(session: Session, project: str, customer_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The kinds of the flags in force on these customers, each once, oldest first — as
    plain rows: the background suggester asks it for every new contact, and whole flag
    objects through the ORM cost it more than the look-up itself."""
    if not customer_ids:
        return {}
    return kinds_by_customer(_ACTIVE_KINDS.rows(session, {"project": project, "customers": list(set(customer_ids))}))


def kinds_by_customer(rows: Iterable[Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """``(customer id, kind)`` rows, oldest first (:func:`kinds_of`, :func:`kinds_ahead`),
    as each customer's kinds, each once, oldest first."""
    found: dict[str, dict[str, None]] = {}
    for customer_id, kind in rows:
        found.setdefault(customer_id, {})[kind] = None
    return {customer_id: tuple(kinds) for customer_id, kinds in found.items()}


def kinds_ahead(session: Session, project: str, customer_ids: Sequence[str]) -> Ahead:
    """The kinds of the flags in force on these customers, as ``(customer id, kind)`` rows,
    oldest first — sent now and read later (:meth:`Ahead.all`): the ingest's standing step
    sends it with its look-up of the customers, one wait for both."""
    if not customer_ids:
        return Ahead([])
    return _ACTIVE_KINDS.ahead(session, {"project": project, "customers": list(set(customer_ids))})


_ACTIVE_KINDS = bulk.PerDialect(lambda dialect: select(CustomerFlag.customer_id, CustomerFlag.kind).where(
    CustomerFlag.project == bindparam("project"), bulk.among(CustomerFlag.customer_id, "customers", dialect),
    CustomerFlag.cleared_at_us.is_(None)).order_by(CustomerFlag.id))
_ACTIVE = bulk.PerDialect(lambda dialect: select(CustomerFlag).where(
    CustomerFlag.project == bindparam("project"), bulk.among(CustomerFlag.customer_id, "customers", dialect),
    CustomerFlag.cleared_at_us.is_(None)).order_by(CustomerFlag.id))


def history(session: Session, project: str, customer_id: str) -> list[CustomerFlag]:
    return list(session.scalars(select(CustomerFlag).where(CustomerFlag.project == project,
                                                           CustomerFlag.customer_id == customer_id)
                                .order_by(CustomerFlag.id.desc())))


def flag_dict(flag: CustomerFlag) -> dict[str, Any]:
    return {"id": flag.id, "kind": flag.kind, "reason": flag.reason, "set_by": flag.set_by,
            "set_at": flag.set_at_us / 1e6, "cleared_by": flag.cleared_by,
            "cleared_at": flag.cleared_at_us / 1e6 if flag.cleared_at_us else None}
