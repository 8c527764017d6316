"""Every write to customers: create, update, import — each with its audit entry.

Actions take the caller's open transaction and never commit. The ingest step creates
customers for unknown identities itself (:mod:`dozvon.crm.identity`), without an audit
entry: the conversation it stores is their record.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dozvon.accounts.actions import audit
from dozvon.accounts.queries import get_project
from dozvon.acd.service import RouterService
from dozvon.conversations.models import Conversation
from dozvon.core import ids
from dozvon.core.clock import now_us
from dozvon.core.errors import Conflict, DozvonError, InvalidInput
from dozvon.crm import discounts, orders, segments
from dozvon.crm.flags import REASON_LIMIT, FlagPolicy, active, check_kind
from dozvon.crm.identity import EMAIL, PHONE, TELEGRAM, Key, customers_by_identity, normalise, project_region
from dozvon.crm.models import CrmPolicy, Customer, CustomerFlag, CustomerIdentity, Order, SegmentRulesRow
from dozvon.crm.queries import get_customer, identities_of
from dozvon.crm.segments import SegmentRules
from dozvon.tasks.models import Task

SEGMENT_LIMIT = 32
NAME_LIMIT = 200
#: Import columns that are not attributes; several phones (or e-mails) split on ';'.
IMPORT_COLUMNS = ("name", PHONE, EMAIL, TELEGRAM, "segment")


def _check_fields(name: str | None, segment: str | None) -> None:
    if name is not None and len(name) > NAME_LIMIT:
        raise InvalidInput("ingest.too_long", field="name", limit=NAME_LIMIT, length=len(name))
    if segment is not None and len(segment) > SEGMENT_LIMIT:
        raise InvalidInput("ingest.too_long", field="segment", limit=SEGMENT_LIMIT, length=len(segment))


def _add_identities(session: Session, project: str, customer: Customer, keys: Iterable[Key]) -> list[Key]:
    """Attach identities not yet attached; one owned by another customer is refused."""
    wanted = list(dict.fromkeys(keys))
    owners = customers_by_identity(session, project, wanted)
    for key in wanted:
        owner = owners.get(key)
        if owner is not None and owner != customer.id:
            raise Conflict("crm.identity_taken", kind=key[0], value=key[1], customer=owner)
    added = [key for key in wanted if key not in owners]
    session.add_all(CustomerIdentity(project=project, customer_id=customer.id, kind=kind, value=value,
                                     created_at_us=now_us()) for kind, value in added)
    session.flush()
    return added


def create_customer(session: Session, actor: str, project: str, name: str = "", *,
                    identities: Iterable[Key] = (), segment: str | None = None,
                    attributes: Mapping[str, Any] | None = None) -> Customer:
    """``identities`` are (kind, normalised value) pairs (see :func:`normalise`)."""
    _check_fields(name, segment)
    get_project(session, project)
    now = now_us()
    customer = Customer(id=ids.new_hex(), project=project, name=name, search_name=name.casefold(),
                        segment=segment or None, attributes=dict(attributes or {}), created_at_us=now,
                        updated_at_us=now)
    session.add(customer)
    session.flush()
    added = _add_identities(session, project, customer, identities)
    audit(session, actor, "customer.created", project, customer.id, name=name,
          identities=[f"{k}:{v}" for k, v in added])
    return customer


def update_customer(session: Session, actor: str, project: str, customer_id: str, *, name: str | None = None,
                    identities: Iterable[Key] = (), segment: str | None = None,
                    attributes: Mapping[str, Any] | None = None) -> Customer:
    """Change what is given: a new name or segment, identities added, attributes merged."""
    _check_fields(name, segment)
    customer = get_customer(session, project, customer_id)
    changed: dict[str, Any] = {}
    if name and name != customer.name:
        customer.name, customer.search_name = name, name.casefold()
        changed["name"] = name
    if segment and segment != customer.segment:
        customer.segment = changed["segment"] = segment
    if attributes:
        merged = {**customer.attributes, **attributes}
        if merged != customer.attributes:
            customer.attributes = merged
            changed["attributes"] = sorted(attributes)
    added = _add_identities(session, project, customer, identities)
    if added:
        changed["identities"] = [f"{k}:{v}" for k, v in added]
    if changed:
        customer.updated_at_us = now_us()
        audit(session, actor, "customer.updated", project, customer.id, **changed)
    return customer


# ----------------------------------------------------------------------------- the card

#: Phones or e-mails one customer may have through the card or the API.
CARD_IDENTITY_LIMIT = 20
#: Identity kinds the card edits as whole lists (messenger and widget ids come from channels).
CARD_KINDS = {"phones": PHONE, "emails": EMAIL}


@dataclass(frozen=True)
class CardEdit:
    """What a person changes on a customer's card (or through the API). ``None`` leaves a
    part as it is; ``phones`` and ``emails`` are the whole new lists; ``segment`` ``""``
    gives the segment back to the project's rules; an attribute set to ``None`` is removed."""

    name: str | None = None
    phones: Sequence[str] | None = None
    emails: Sequence[str] | None = None
    segment: str | None = None
    attributes: Mapping[str, Any] | None = None


def _card_keys(session: Session, project: str, edit: CardEdit) -> dict[str, list[tuple[Key, str]]]:
    """Each edited list as (normalised identity, the field it came from), repeats dropped;
    a value that is not a phone or an e-mail is refused naming its field (``phones.1``)."""
    region = project_region(session, project)
    found: dict[str, list[tuple[Key, str]]] = {}
    for field_name, kind in CARD_KINDS.items():
        values = getattr(edit, field_name)
        if values is None:
            continue
        if len(values) > CARD_IDENTITY_LIMIT:
            raise InvalidInput("crm.too_many_identities", field=field_name, limit=CARD_IDENTITY_LIMIT)
        keys: dict[Key, str] = {}
        for i, value in enumerate(values):
            try:
                key = (kind, normalise(kind, value, region))
            except InvalidInput as error:
                raise InvalidInput(error.code, **{**error.params, "field": f"{field_name}.{i}"}) from None
            keys.setdefault(key, f"{field_name}.{i}")
        found[field_name] = list(keys.items())
    return found


def _refuse_others(session: Session, project: str, customer_id: str | None, keys: Sequence[tuple[Key, str]]) -> None:
    """A phone or e-mail of another customer is never moved: the two records are merged
    on purpose (:func:`do_merge_customers`), not by typing a number on a card."""
    owners = customers_by_identity(session, project, [key for key, _ in keys])
    for key, field_name in keys:
        owner = owners.get(key)
        if owner is not None and owner != customer_id:
            other = get_customer(session, project, owner)
            raise Conflict(f"crm.{key[0]}_taken", field=field_name, value=key[1], owner=other.name or owner,
                           customer=owner)


def _clean_attributes(current: Mapping[str, Any], given: Mapping[str, Any] | None) -> dict[str, Any]:
    merged = {**current}
    for key, value in (given or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def create_from_card(session: Session, actor: str, project: str, edit: CardEdit) -> Customer:
    """A customer a person adds (a walk-in, a caller on a number not yet known): a name, a
    phone or an e-mail at least; identities normalised as everywhere; one that already
    belongs to someone is refused (409), never moved. Audited (``customer.created``)."""
    get_project(session, project)
    lists = _card_keys(session, project, edit)
    keys = [pair for pairs in lists.values() for pair in pairs]
    name = (edit.name or "").strip()
    if not name and not keys:
        raise InvalidInput("crm.empty_customer", field="name")
    _refuse_others(session, project, None, keys)
    return create_customer(session, actor, project, name, identities=[key for key, _ in keys],
                           segment=(edit.segment or "").strip() or None,
                           attributes=_clean_attributes({}, edit.attributes))


def edit_customer(session: Session, actor: str, project: str, customer_id: str, edit: CardEdit) -> Customer:
    """Change a customer from the card: the name, the whole list of phones or e-mails
    (numbers taken off no longer find this customer), the segment a person gives, and
    attributes. One audit entry (``customer.updated``) says what changed; nothing changed,
    nothing written."""
    customer = get_customer(session, project, customer_id)
    name = edit.name.strip() if edit.name is not None else None
    segment = edit.segment.strip() if edit.segment is not None else None
    _check_fields(name, segment)
    lists = _card_keys(session, project, edit)
    _refuse_others(session, project, customer_id, [pair for pairs in lists.values() for pair in pairs])
    changed: dict[str, Any] = {}
    if name is not None and name != customer.name:
        customer.name, customer.search_name = name, name.casefold()
        changed["name"] = name
    if segment is not None and (segment or None) != customer.segment:
        customer.segment = segment or None
        changed["segment"] = segment or None
    if edit.attributes:
        merged = _clean_attributes(customer.attributes, edit.attributes)
        if merged != customer.attributes:
            customer.attributes = merged
            changed["attributes"] = sorted(edit.attributes)
    held = identities_of(session, project, [customer_id])[customer_id]
    for field_name, pairs in lists.items():
        kind = CARD_KINDS[field_name]
        wanted = [key for key, _ in pairs]
        gone = [i for i in held if i.kind == kind and (i.kind, i.value) not in wanted]
        for identity in gone:
            session.delete(identity)
        if gone:
            session.flush()
            changed.setdefault("removed", []).extend(f"{i.kind}:{i.value}" for i in gone)
        added = _add_identities(session, project, customer, wanted)
        if added:
            changed.setdefault("identities", []).extend(f"{k}:{v}" for k, v in added)
    if changed:
        customer.updated_at_us = now_us()
        audit(session, actor, "customer.updated", project, customer.id, **changed)
    return customer


# ----------------------------------------------------------------------------- import

@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    #: (row number, reason in the reader's language)
    refused: list[tuple[int, str]] = field(default_factory=list)


def _split(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(";")
    return [str(v).strip() for v in items if str(v).strip()]


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def import_row(session: Session, actor: str, project: str, row: Mapping[str, Any], region: str | None) -> bool:
    """One row of an import: True if it created a customer, False if it updated one whose
    phone, e-mail or messenger id it names."""
    keys: list[Key] = []
    for kind in (PHONE, EMAIL, TELEGRAM):
        keys.extend((kind, normalise(kind, value, region)) for value in _split(row.get(kind)))
    name, segment = _text(row.get("name")), _text(row.get("segment")) or None
    attributes = {str(k): v for k, v in row.items()
                  if k not in IMPORT_COLUMNS and k is not None and v not in (None, "")}
    if not keys and not name:
        raise InvalidInput("crm.empty_row")
    owners = sorted(set(customers_by_identity(session, project, keys).values()))
    if len(owners) > 1:
        raise Conflict("crm.row_matches_several", customers=", ".join(owners))
    if owners:
        update_customer(session, actor, project, owners[0], name=name or None, identities=keys,
                        segment=segment, attributes=attributes)
        return False
    create_customer(session, actor, project, name, identities=keys, segment=segment, attributes=attributes)
    return True


def import_rows(session: Session, rows: Iterable[tuple[int, Mapping[str, Any]]], not_object: str,
                one: Callable[[Mapping[str, Any]], bool]) -> ImportReport:
    """Rows numbered by the caller (a CSV's line, a JSON list's position), each stored by
    ``one`` (True: created, False: updated) in a savepoint of its own, so a bad row is
    refused alone, with its number and reason, and never stops the import."""
    report = ImportReport()
    for number, row in rows:
        try:
            with session.begin_nested():
                if not isinstance(row, Mapping):
                    raise InvalidInput(not_object)
                if one(row):
                    report.created += 1
                else:
                    report.updated += 1
        except DozvonError as error:
            report.refused.append((number, error.message()))
    return report


def import_customers(session: Session, actor: str, project: str,
                     rows: Iterable[tuple[int, Mapping[str, Any]]]) -> ImportReport:
    """Customers from a file: a row whose phone or e-mail is known updates its customer."""
    get_project(session, project)
    region = project_region(session, project)
    return import_rows(session, rows, "crm.row_not_object",
                       lambda row: import_row(session, actor, project, row, region))


def set_segment_rules(session: Session, actor: str, project: str, rules: SegmentRules) -> SegmentRules:
    """Replace the project's segment rules. They apply from each customer's next contact
    (and to the nightly 'lost' mark); the segments contacts already had stay in the log."""
    get_project(session, project)
    rules.validate()
    row = session.get(SegmentRulesRow, project)
    if row is None:
        row = SegmentRulesRow(project=project, rules={}, updated_at_us=0, updated_by="")
        session.add(row)
    row.rules, row.updated_at_us, row.updated_by = rules.to_dict(), now_us(), actor
    session.flush()
    audit(session, actor, "segments.set", project, "", rules=rules.to_dict())
    return rules


def set_flag(session: Session, actor: str, project: str, customer_id: str, kind: str, reason: str = "") -> CustomerFlag:
    """Flag a customer (again setting one in force changes nothing but is answered with it)."""
    check_kind(kind)
    if len(reason) > REASON_LIMIT:
        raise InvalidInput("ingest.too_long", field="reason", limit=REASON_LIMIT, length=len(reason))
    get_customer(session, project, customer_id)
    current = active(session, project, [customer_id]).get(customer_id, [])
    for flag in current:
        if flag.kind == kind:
            return flag
    flag = CustomerFlag(project=project, customer_id=customer_id, kind=kind, reason=reason.strip(), set_by=actor,
                        set_at_us=now_us())
    session.add(flag)
    session.flush()
    audit(session, actor, "customer.flagged", project, customer_id, kind=kind, reason=flag.reason)
    return flag


def clear_flag(session: Session, actor: str, project: str, customer_id: str, kind: str) -> bool:
    """Lift a flag; its history stays. Returns whether one was in force."""
    check_kind(kind)
    get_customer(session, project, customer_id)
    lifted = False
    for flag in active(session, project, [customer_id]).get(customer_id, []):
        if flag.kind == kind:
            flag.cleared_by, flag.cleared_at_us = actor, now_us()
            lifted = True
    if lifted:
        audit(session, actor, "customer.unflagged", project, customer_id, kind=kind)
    return lifted


def set_flag_policy(session: Session, actor: str, project: str, policy: FlagPolicy,
                    queues: Collection[str]) -> FlagPolicy:
    """What each flag does in this project (audited). The competitors' queue must exist."""
    get_project(session, project)
    if policy.competitor_queue is not None and policy.competitor_queue not in queues:
        raise InvalidInput("crm.unknown_queue", field="competitor_queue", value=policy.competitor_queue)
    if len(policy.blocked_text) > 2000:
        raise InvalidInput("ingest.too_long", field="blocked_text", limit=2000, length=len(policy.blocked_text))
    _set_policy_part(session, actor, project, "flags", policy.to_dict())
    return policy


def set_discount_policy(session: Session, actor: str, project: str,
                        lines: Sequence[discounts.Discount]) -> list[discounts.Discount]:
    """Replace the project's discount policy (one line per segment; audited)."""
    get_project(session, project)
    discounts.validate(lines)
    _set_policy_part(session, actor, project, "discounts", discounts.as_dicts(lines))
    return list(lines)


def _set_policy_part(session: Session, actor: str, project: str, part: str, value: Any) -> None:
    """One part of the project's CRM policy document (flags, discounts), audited."""
    row = session.get(CrmPolicy, project)
    if row is None:
        row = CrmPolicy(project=project, doc={}, updated_at_us=0, updated_by="")
        session.add(row)
    row.doc = {**(row.doc or {}), part: value}
    row.updated_at_us, row.updated_by = now_us(), actor
    session.flush()
    audit(session, actor, f"{part}.policy_set", project, "", **{part: value})


def do_merge_customers(svc: RouterService, actor: str, keep_id: str, merged_id: str) -> Customer:
    """Two records were one person: ``merged_id`` is folded into ``keep_id``. Its identities,
    conversations and flags follow; the kept name, segment and attributes win, the other's
    fill the gaps; routing remembers the later of their last operators. One transaction
    with the ``customer.merged`` event that maps the old id for the history."""
    if keep_id == merged_id:
        raise InvalidInput("crm.merge_itself", field="merged", customer=keep_id)
    kept: list[Customer] = []

    def write(session: Session) -> None:
        keep = get_customer(session, svc.project, keep_id)
        gone = get_customer(session, svc.project, merged_id)
        for model in (CustomerIdentity, CustomerFlag, Order, Task):
            session.execute(update(model).where(model.project == svc.project, model.customer_id == merged_id)
                            .values(customer_id=keep_id))
        session.execute(update(Conversation).where(Conversation.project == svc.project,
                                                   Conversation.customer_id == merged_id).values(customer_id=keep_id))
        keep.name = keep.name or gone.name
        keep.search_name = keep.name.casefold()
        keep.segment = keep.segment or gone.segment
        keep.auto_segment = keep.auto_segment or gone.auto_segment
        keep.attributes = {**(gone.attributes or {}), **(keep.attributes or {})}
        keep.last_contact_at_us = max(keep.last_contact_at_us or 0, gone.last_contact_at_us or 0) or None
        keep.updated_at_us = now_us()
        session.flush()
        session.delete(gone)
        audit(session, actor, "customer.merged", svc.project, keep_id, merged=merged_id, merged_name=gone.name)
        kept.append(keep)

    svc.run(lambda e: e.merge_customers(keep_id, merged_id, by=actor), before=write)
    return kept[0]


# ----------------------------------------------------------------------------- orders

@dataclass
class OrderOutcome:
    order: Order
    #: created, updated, or unchanged (the same order pushed again).
    result: str


def _order_customer(session: Session, actor: str, project: str, fields: orders.OrderFields,
                    region: str | None, current: str | None) -> str:
    """Whose order: the customer named by id, else the owner of its phone, e-mail or
    telegram (new identities are added to them), else a new customer. An order already
    stored keeps its customer unless the push names another by id."""
    if fields.customer_id is not None:
        return get_customer(session, project, fields.customer_id).id
    keys = [(kind, normalise(kind, value, region)) for kind, value in fields.identities]
    if current is not None:
        return current
    owners = sorted(set(customers_by_identity(session, project, keys).values()))
    if len(owners) > 1:
        raise Conflict("crm.row_matches_several", customers=", ".join(owners))
    if owners:
        update_customer(session, actor, project, owners[0], name=None, identities=keys)
        return owners[0]
    return create_customer(session, actor, project, fields.customer_name, identities=keys).id


def record_order(session: Session, actor: str, project: str, row: Mapping[str, Any], *,
                 region: str | None = None, tz: str | None = None) -> OrderOutcome:
    """Store an order or deal pushed by a shop, a CRM, an import or a person — a new one, or
    an update of the one with the same number (what is given replaces what was stored; an
    identical push changes nothing and writes no audit entry). Audited; an order counts for
    the customer's segment like a contact (:func:`dozvon.crm.segments.after_order`)."""
    if tz is None:
        tz = get_project(session, project).timezone
    if region is None:
        region = project_region(session, project)
    fields = orders.read(row, region=region, tz=tz)
    stored = session.scalar(select(Order).where(Order.project == project, Order.number == fields.number))
    customer_id = _order_customer(session, actor, project, fields, region,
                                  stored.customer_id if stored is not None else None)
    now = now_us()
    values: dict[str, Any] = {
        "customer_id": customer_id, "kind": fields.kind, "status": fields.status,
        "amount_minor": fields.amount_minor, "currency": fields.currency if fields.amount_minor is not None
        or any(i["price"] is not None for i in fields.items) else None,
        "items": fields.items, "closed_at_us": fields.closed_at_us, "attributes": fields.attributes}
    if stored is None:
        stored = Order(project=project, number=fields.number, placed_at_us=fields.placed_at_us or now,
                       source=actor, created_at_us=now, updated_at_us=now, **values)
        session.add(stored)
        session.flush()
        result = "created"
    else:
        if fields.placed_at_us is not None:
            values["placed_at_us"] = fields.placed_at_us
        changed = sorted(k for k, v in values.items() if getattr(stored, k) != v)
        if not changed:
            return OrderOutcome(stored, "unchanged")
        for key in changed:
            setattr(stored, key, values[key])
        stored.updated_at_us, stored.source = now, actor
        session.flush()
        result = "updated"
    audit(session, actor, f"order.{result}", project, customer_id, number=fields.number, status=fields.status,
          amount=orders.from_minor(stored.amount_minor, stored.currency), currency=stored.currency)
    segments.after_order(session, project, customer_id, stored.placed_at_us, now)
    return OrderOutcome(stored, result)


def import_orders(session: Session, actor: str, project: str,
                  rows: Iterable[tuple[int, Mapping[str, Any]]]) -> ImportReport:
    """Orders from a file, as :func:`import_customers`; an order pushed again unchanged
    counts as updated."""
    tz = get_project(session, project).timezone
    region = project_region(session, project)
    return import_rows(session, rows, "orders.row_not_object",
                       lambda row: record_order(session, actor, project, row, region=region,
                                                tz=tz).result == "created")
