"""The client company's discount policy: what an operator may offer to which segment.

Regular customers often ask for a discount; the operator should neither refuse what the
company allows nor promise what it does not. The policy (per project, one document in
``crm_policies``) lists, per segment, the largest discount an operator may give and the
conditions in words; the customer's card shows the line for the customer's segment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session

from dozvon.core.errors import InvalidInput
from dozvon.crm.models import CrmPolicy

MAX_RULES = 50


@dataclass(frozen=True)
class Discount:
    segment: str
    #: The largest discount an operator may give on their own, in per cent.
    max_percent: float
    #: Conditions and wording for the operator ("on the second order, not on sale items").
    note: str = ""


def policy_of(session: Session, project: str) -> list[Discount]:
    row = session.get(CrmPolicy, project)
    return [Discount(**d) for d in ((row.doc if row is not None else {}) or {}).get("discounts", [])]


def for_segment(policy: Sequence[Discount], segment: str | None) -> Discount | None:
    """The line of the policy for a customer of this segment (None: nothing to offer)."""
    return next((d for d in policy if segment and d.segment == segment), None)


def validate(discounts: Sequence[Discount]) -> None:
    if len(discounts) > MAX_RULES:
        raise InvalidInput("crm.too_many_rules", field="discounts", limit=MAX_RULES)
    seen: set[str] = set()
    for i, d in enumerate(discounts):
        if not d.segment.strip() or len(d.segment) > 32:
            raise InvalidInput("crm.bad_rule_text", field=f"discounts.{i}.segment")
        if d.segment in seen:
            raise InvalidInput("crm.discount_twice", field=f"discounts.{i}.segment", segment=d.segment)
        seen.add(d.segment)
        if not 0 < d.max_percent <= 100:
            raise InvalidInput("crm.bad_rule_number", field=f"discounts.{i}.max_percent", value=d.max_percent,
                               low=0, limit=100)
        if len(d.note) > 1000:
            raise InvalidInput("ingest.too_long", field=f"discounts.{i}.note", limit=1000, length=len(d.note))


def as_dicts(discounts: Sequence[Discount]) -> list[dict[str, Any]]:
    return [asdict(d) for d in discounts]


def from_dicts(items: Sequence[Mapping[str, Any]]) -> list[Discount]:
    return [Discount(str(i["segment"]).strip(), float(i["max_percent"]), str(i.get("note", "")).strip())
            for i in items]
