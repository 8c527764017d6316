"""Segments by rules: new, regular, lost, or a project's own — kept current as contacts
arrive, and used by routing (priority) and reports (KPIs cut by segment).

A segment a person gave a customer (an import's column, the card: VIP, partner) always
wins. Otherwise, at each inbound contact, the project's rules decide in this order: the
first custom rule whose attribute matches (``type = опт`` → ``wholesale``); ``regular``
with at least N contacts in the last M days, counting this one; ``lost`` for a customer
coming back after more than L days of silence (the operator should know); else ``new``.
Between contacts, new and regular customers silent for L days become ``lost``
(:func:`mark_lost`, the server's maintenance round), so a win-back list exists before
they call. :func:`classify` is the pure rule; the rest reads and writes the customer base.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dozvon.conversations.identity import Standing
from dozvon.conversations.models import Conversation
from dozvon.core.errors import InvalidInput
from dozvon.crm import flags
from dozvon.crm.models import Customer, SegmentRulesRow

DAY_US = 86_400 * 1_000_000
NEW, REGULAR, LOST = "new", "regular", "lost"
SEGMENT_LIMIT = 32
MAX_CUSTOM_RULES = 50


@dataclass(frozen=True)
class CustomRule:
    """``attribute`` equal to ``equals`` (case aside) puts the customer in ``segment``,
    whose contacts get ``priority`` extra points in every queue."""

    segment: str
    attribute: str
    equals: str
    priority: int = 0


@dataclass(frozen=True)
class SegmentRules:
    regular_contacts: int = 3
    regular_days: int = 90
    lost_days: int = 180
    custom: tuple[CustomRule, ...] = field(default_factory=tuple)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> SegmentRules:
        data = dict(data or {})
        custom = tuple(CustomRule(**rule) for rule in data.pop("custom", ()))
        return cls(**data, custom=custom)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "custom": [asdict(rule) for rule in self.custom]}

    def validate(self) -> None:
        for name, value, top in (("regular_contacts", self.regular_contacts, 1000),
                                 ("regular_days", self.regular_days, 3650), ("lost_days", self.lost_days, 3650)):
            if not 1 <= value <= top:
                raise InvalidInput("crm.bad_rule_number", field=name, value=value, low=1, limit=top)
        if len(self.custom) > MAX_CUSTOM_RULES:
            raise InvalidInput("crm.too_many_rules", field="custom", limit=MAX_CUSTOM_RULES)
        for i, rule in enumerate(self.custom):
            for name in ("segment", "attribute", "equals"):
                value = getattr(rule, name).strip()
                if not value or len(value) > (SEGMENT_LIMIT if name == "segment" else 200):
                    raise InvalidInput("crm.bad_rule_text", field=f"custom.{i}.{name}")
            if not -1000 <= rule.priority <= 1000:
                raise InvalidInput("crm.bad_rule_number", field=f"custom.{i}.priority", value=rule.priority,
                                   low=-1000, limit=1000)


def classify(rules: SegmentRules, *, given: str | None, attributes: Mapping[str, Any], recent_contacts: int,
             previous_contact_us: int | None, now_us: int) -> tuple[str, int]:
    """The customer's segment at a contact, and the extra priority its rule gives.
    ``recent_contacts`` counts the contacts of the last ``regular_days``, this one included."""
    if given:
        return given, 0
    for rule in rules.custom:
        if str(attributes.get(rule.attribute, "")).strip().casefold() == rule.equals.strip().casefold():
            return rule.segment, rule.priority
    if recent_contacts >= rules.regular_contacts:
        return REGULAR, 0
    if previous_contact_us is not None and now_us - previous_contact_us > rules.lost_days * DAY_US:
        return LOST, 0
    return NEW, 0


def effective(customer: Customer) -> str | None:
    """The segment people and reports see: the one a person gave, else the rules'."""
    return customer.segment or customer.auto_segment


def rules_of(session: Session, project: str) -> SegmentRules:
    row = session.get(SegmentRulesRow, project)
    return SegmentRules.from_dict(row.rules if row is not None else None)


def standing_at_contact(session: Session, project: str, customer_ids: Sequence[str],
                        now_us: int) -> dict[str, Standing]:
    """At ingest, in its transaction: each arriving customer's segment now (counting this
    contact; twice for one who arrives twice in the batch), stored as their
    ``auto_segment`` with the time of this contact; and their flags in force with what
    the project's policy makes of them (another queue, or turned away)."""
    arriving = Counter(customer_ids)
    if not arriving:
        return {}
    rules = rules_of(session, project)
    since = now_us - rules.regular_days * DAY_US
    rows = session.execute(
        select(Conversation.customer_id, func.count())
        .where(Conversation.project == project, Conversation.customer_id.in_(list(arriving)),
               Conversation.created_at_us >= since)
        .group_by(Conversation.customer_id))
    recent: dict[str | None, int] = {customer_id: count for customer_id, count in rows}
    flagged = flags.active(session, project, list(arriving))
    policy = flags.policy_of(session, project) if flagged else flags.FlagPolicy()
    out: dict[str, Standing] = {}
    for customer in session.scalars(select(Customer).where(Customer.project == project,
                                                           Customer.id.in_(list(arriving)))):
        segment, priority = classify(rules, given=customer.segment, attributes=customer.attributes or {},
                                     recent_contacts=recent.get(customer.id, 0) + arriving[customer.id],
                                     previous_contact_us=customer.last_contact_at_us, now_us=now_us)
        if not customer.segment:
            customer.auto_segment = segment
        customer.last_contact_at_us = now_us
        kinds = tuple(dict.fromkeys(f.kind for f in flagged.get(customer.id, ())))
        out[customer.id] = Standing(
            segment, priority, kinds,
            queue=policy.competitor_queue if flags.COMPETITOR in kinds else None,
            refuse_text=policy.blocked_text if flags.BLOCKED in kinds and policy.blocked_refuse else None)
    return out


def mark_lost(session: Session, project: str, now_us: int) -> int:
    """New and regular customers silent for the project's ``lost_days`` become ``lost``.
    A segment a person gave, or a custom rule's (what the customer *is*: wholesale), stays.
    Returns how many changed."""
    rules = rules_of(session, project)
    result = session.execute(
        update(Customer)
        .where(Customer.project == project, Customer.segment.is_(None),
               Customer.last_contact_at_us < now_us - rules.lost_days * DAY_US,
               Customer.auto_segment.in_((NEW, REGULAR)))
        .values(auto_segment=LOST))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
