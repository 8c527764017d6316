"""Segments by rules: new, regular, lost, or a project's own — kept current as contacts
arrive, and used by routing (priority) and reports (KPIs cut by segment).

A segment a person gave a customer (an import's column, the card: VIP, partner) always
wins. Otherwise, at each inbound contact, the project's rules decide in this order: the
first custom rule whose attribute matches (``type = опт`` → ``wholesale``); ``regular``
with at least N contacts or orders in the last M days, counting this one; ``lost`` for a customer
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

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from dozvon.conversations.identity import Standing
from dozvon.conversations.models import Conversation
from dozvon.core import bulk
from dozvon.core.errors import InvalidInput
from dozvon.core.pipeline import Ahead
from dozvon.crm import flags
from dozvon.crm.models import Customer, Order, SegmentRulesRow

CUSTOMERS: Table = Customer.__table__  # type: ignore[assignment]

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


#: ``session.info`` key: the project's rules, sent ahead for the standing step (:func:`send_rules_ahead`).
_RULES_AHEAD = "dozvon.crm.segment_rules_ahead"
_RULES = bulk.PerDialect(lambda dialect: select(SegmentRulesRow.rules).where(
    SegmentRulesRow.project == bindparam("project")))


def rules_ahead(session: Session, project: str) -> tuple[str, Ahead]:
    """Send the look-up of the project's rules now (read later: :func:`use_rules_ahead`)."""
    return project, _RULES.ahead(session, {"project": project})


def use_rules_ahead(session: Session, sent: tuple[str, Ahead]) -> None:
    """Have :func:`standing_at_contact` in this session read the rules :func:`rules_ahead`
    sent — in this transaction, or in the one before it (the ingest's next batch)."""
    session.info[_RULES_AHEAD] = sent


def send_rules_ahead(session: Session, project: str) -> None:
    """Send the look-up of the project's rules now, to be read by :func:`standing_at_contact`
    later in this transaction: in a pipelined one it travels with the identity step's first
    look-up — a round trip less for every batch of new contacts, which read the rules and,
    when all their customers are new, nothing else."""
    use_rules_ahead(session, rules_ahead(session, project))


def _rules_at_contact(session: Session, project: str) -> SegmentRules:
    sent = session.info.pop(_RULES_AHEAD, None)
    if sent is None or sent[0] != project:
        return rules_of(session, project)
    rows = sent[1].all()
    return SegmentRules.from_dict(rows[0][0] if rows else None)


def standing_at_contact(session: Session, project: str, customer_ids: Sequence[str],
                        now_us: int, new: Mapping[str, dict[str, Any]] | None = None) -> dict[str, Standing]:
    """At ingest, in its transaction: each arriving customer's segment now (counting this
    contact; twice for one who arrives twice in the batch), stored as their
    ``auto_segment`` with the time of this contact; and their flags in force with what
    the project's policy makes of them (another queue, or turned away).

    ``new``: the rows of customers created in this transaction and not written yet, by id.
    Nothing is read for them — no contacts, orders, flags, attributes or given segment can
    exist yet — which spares a batch of first-time customers two of its round trips; their
    segment and this contact's time go into their rows, which the caller then inserts."""
    new = new or {}
    arriving = Counter(customer_ids)
    if not arriving:
        return {}
    rules = _rules_at_contact(session, project)
    since = now_us - rules.regular_days * DAY_US
    known = [c for c in arriving if c not in new]
    # (id, given segment, attributes, last contact, recent contacts, recent orders)
    rows: list[Any] = [(c, None, {}, None, 0, 0) for c in arriving if c in new]
    flag_kinds = flags.kinds_ahead(session, project, known)  # travels with the look-up below
    if known:
        # One query for the customers and what they did lately (contacts and orders since
        # `since`, counted per customer through their indexes): it runs for every batch of
        # contacts the ingest takes in. Columns, not ORM objects.
        contacts = (select(func.count()).select_from(Conversation)
                    .where(Conversation.project == project, Conversation.customer_id == Customer.id,
                           Conversation.created_at_us >= since).scalar_subquery())
        bought = (select(func.count()).select_from(Order)
                  .where(Order.project == project, Order.customer_id == Customer.id, Order.placed_at_us >= since)
                  .scalar_subquery())
        rows.extend(session.execute(
            select(Customer.id, Customer.segment, Customer.attributes, Customer.last_contact_at_us, contacts, bought)
            .where(Customer.project == project, Customer.id.in_(known))))
    flagged = flags.kinds_by_customer(flag_kinds.all())
    policy = flags.policy_of(session, project) if flagged else flags.FlagPolicy()
    out: dict[str, Standing] = {}
    ruled: list[dict[str, Any]] = []
    seen: list[dict[str, Any]] = []
    for customer_id, given, attributes, previous, recent_contacts, recent_orders in rows:
        segment, priority = classify(rules, given=given, attributes=attributes or {},
                                     recent_contacts=recent_contacts + recent_orders + arriving[customer_id],
                                     previous_contact_us=previous, now_us=now_us)
        if customer_id in new:
            new[customer_id].update(auto_segment=segment, last_contact_at_us=now_us)
        elif given:  # a segment a person gave stays; the rules' is not stored over it
            seen.append({"project": project, "id": customer_id, "last_contact_at_us": now_us})
        else:
            ruled.append({"project": project, "id": customer_id, "auto_segment": segment,
                          "last_contact_at_us": now_us})
        kinds = flagged.get(customer_id, ())
        out[customer_id] = Standing(
            segment, priority, kinds,
            queue=policy.competitor_queue if flags.COMPETITOR in kinds else None,
            refuse_text=policy.blocked_text if flags.BLOCKED in kinds and policy.blocked_refuse else None)
    bulk.update_rows(session, CUSTOMERS, ruled, ("project", "id"))
    bulk.update_rows(session, CUSTOMERS, seen, ("project", "id"))
    return out


def _orders_since(session: Session, project: str, customer_ids: list[str], since_us: int) -> Any:
    return session.execute(select(Order.customer_id, func.count())
                           .where(Order.project == project, Order.customer_id.in_(customer_ids),
                                  Order.placed_at_us >= since_us)
                           .group_by(Order.customer_id))


def after_order(session: Session, project: str, customer_id: str, placed_at_us: int, now_us: int) -> None:
    """An order counts like a contact: a customer who buys often becomes ``regular``, and one
    who just ordered is not ``lost``. (A segment a person gave stays, as at a contact.)"""
    customer = session.get(Customer, customer_id)
    if customer is None or customer.segment:
        return
    rules = rules_of(session, project)
    since = now_us - rules.regular_days * DAY_US
    contacts = session.scalar(select(func.count()).select_from(Conversation)
                              .where(Conversation.project == project, Conversation.customer_id == customer_id,
                                     Conversation.created_at_us >= since)) or 0
    bought = sum(count for _, count in _orders_since(session, project, [customer_id], since))
    last = max(customer.last_contact_at_us or 0, min(placed_at_us, now_us))
    segment, _ = classify(rules, given=None, attributes=customer.attributes or {}, recent_contacts=contacts + bought,
                          previous_contact_us=last, now_us=now_us)
    customer.auto_segment, customer.last_contact_at_us = segment, last


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
