"""Reads of customers: every statement starts from a ``readable_*`` one, limited to a
project."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from dozvon.core.errors import InvalidInput, NotFound
from dozvon.crm.identity import EMAIL, PHONE, customers_by_identity, normalise, project_region
from dozvon.crm.models import Customer, CustomerIdentity

FIND_LIMIT = 20


def readable_customers(project: str) -> Select[Customer]:
    return select(Customer).where(Customer.project == project)


def readable_identities(project: str) -> Select[CustomerIdentity]:
    return select(CustomerIdentity).where(CustomerIdentity.project == project)


def get_customer(session: Session, project: str, customer_id: str) -> Customer:
    customer = session.scalar(readable_customers(project).where(Customer.id == customer_id))
    if customer is None:
        raise NotFound("crm.no_customer", customer=customer_id)
    return customer


def identities_of(session: Session, project: str, ids: Sequence[str]) -> dict[str, list[CustomerIdentity]]:
    """Each customer's identities, oldest first, in one query."""
    found: dict[str, list[CustomerIdentity]] = {i: [] for i in ids}
    if ids:
        for row in session.scalars(readable_identities(project).where(CustomerIdentity.customer_id.in_(ids))
                                   .order_by(CustomerIdentity.id)):
            found[row.customer_id].append(row)
    return found


def as_dicts(session: Session, project: str, customers: Sequence[Customer]) -> list[dict[str, Any]]:
    """The pinned shape of ``dozvon customers find --json``."""
    identities = identities_of(session, project, [c.id for c in customers])
    return [{"id": c.id, "name": c.name,
             "phones": [i.value for i in identities[c.id] if i.kind == PHONE],
             "emails": [i.value for i in identities[c.id] if i.kind == EMAIL],
             "segment": c.segment or c.auto_segment} for c in customers]


def find(session: Session, project: str, query: str, limit: int = FIND_LIMIT) -> list[Customer]:
    """Customers matching a phone in any format, an e-mail in any case, or a name; best
    first: an identity's owner, then an exact name, a name's start, a part of a name."""
    text = query.strip()
    if not text:
        return []
    region = project_region(session, project)
    keys = []
    for kind in (PHONE, EMAIL):
        with contextlib.suppress(InvalidInput):
            keys.append((kind, normalise(kind, text, region)))
    ranked: dict[str, tuple[int, str]] = {}
    for owner in customers_by_identity(session, project, keys).values():
        ranked[owner] = (0, "")
    folded = text.casefold()
    stmt = (readable_customers(project).where(Customer.search_name.contains(folded, autoescape=True))
            .order_by(Customer.search_name, Customer.id).limit(limit * 5))
    by_id = {c.id: c for c in session.scalars(stmt)}
    for c in by_id.values():
        rank = 1 if c.search_name == folded else 2 if c.search_name.startswith(folded) else 3
        ranked.setdefault(c.id, (rank, c.search_name))
    missing = [i for i in ranked if i not in by_id]
    if missing:
        by_id.update((c.id, c) for c in session.scalars(readable_customers(project).where(Customer.id.in_(missing))))
    order = sorted(ranked, key=lambda i: (*ranked[i], i))[:limit]
    return [by_id[i] for i in order]
