"""A customer's personal data: everything about them as one JSON document (export), and
erasure on request — their personal fields, every message text and the words of their
tasks and orders' attributes removed while the KPI events keep their numbers.

Erasure is the one place where stored events are rewritten: the texts (and the author
names) of the customer's messages, notes and survey comments are blanked in their
events' data; the events themselves, their times and every figure stay, so reports over
the past do not move. The customer's record stays as an empty shell under the same id
(reports count distinct customers), without identities, so the next contact from that
number is a new customer. The erasure itself is an event (``customer.erased``) and an
audit entry — who, when — without any of the erased data.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from dozvon.accounts.actions import audit
from dozvon.acd.service import RouterService
from dozvon.conversations import queries as conversation_queries
from dozvon.conversations.models import Conversation, Message, OutboxItem
from dozvon.core.clock import now_us
from dozvon.crm import flags, orders
from dozvon.crm.identity import WEB
from dozvon.crm.models import CustomerFlag, CustomerIdentity, Order
from dozvon.crm.queries import get_customer, identities_of
from dozvon.eventlog.models import EventRecord
from dozvon.quality.actions import erase_texts as erase_quality_texts
from dozvon.tasks.models import Task
from dozvon.tasks.queries import task_dict
from dozvon.widget.models import Visitor as WidgetVisitor

#: Keys of event data that hold what a person wrote or is called.
PERSONAL_EVENT_KEYS = ("text", "author", "comment", "customer_name")


def export_customer(session: Session, actor: str, project: str, customer_id: str) -> dict[str, Any]:
    """Everything stored about the customer (audited: who exported whom)."""
    customer = get_customer(session, project, customer_id)
    identities = identities_of(session, project, [customer_id])[customer_id]
    conversations = list(session.scalars(select(Conversation).where(
        Conversation.project == project, Conversation.customer_id == customer_id).order_by(Conversation.created_at_us)))
    visitors = [i.value for i in identities if i.kind == WEB]
    audit(session, actor, "customer.exported", project, customer_id)
    return {
        "customer": {"id": customer.id, "name": customer.name, "segment": customer.segment or customer.auto_segment,
                     "attributes": customer.attributes, "created_at": customer.created_at_us / 1e6},
        "identities": [{"kind": i.kind, "value": i.value} for i in identities],
        "flags": [flags.flag_dict(f) for f in flags.history(session, project, customer_id)],
        "conversations": [{
            **conversation_queries.conversation_dict(c, None),
            "messages": [conversation_queries.message_dict(m)
                         for m in conversation_queries.messages(session, project, c.id)],
            "notes": conversation_queries.notes(session, project, c.id),
            "csat": (c.details or {}).get("csat")} for c in conversations],
        "orders": [orders.as_dict(o) for o in session.scalars(
            select(Order).where(Order.project == project, Order.customer_id == customer_id)
            .order_by(Order.placed_at_us))],
        "tasks": [task_dict(t, {}) for t in session.scalars(
            select(Task).where(Task.project == project, Task.customer_id == customer_id).order_by(Task.created_at_us))],
        "widget_visitors": [{"id": v.id, "name": v.name, "phone": v.phone, "email": v.email, "source": v.source,
                             "page": v.page} for v in _visitors(session, project, visitors)],
    }


def _visitors(session: Session, project: str, ids: list[str]) -> list[WidgetVisitor]:
    if not ids:
        return []
    return list(session.scalars(select(WidgetVisitor).where(WidgetVisitor.project == project,
                                                            WidgetVisitor.id.in_(ids))))


def do_erase_customer(svc: RouterService, actor: str, customer_id: str) -> dict[str, int]:
    """Erase the customer's personal data (see the module's note). Returns what was erased."""
    project = svc.project
    counts: dict[str, int] = {}

    def erase(session: Session) -> None:
        customer = get_customer(session, project, customer_id)
        identities = identities_of(session, project, [customer_id])[customer_id]
        visitors = [i.value for i in identities if i.kind == WEB]
        conv_ids = list(session.scalars(select(Conversation.id).where(Conversation.project == project,
                                                                       Conversation.customer_id == customer_id)))
        if conv_ids:
            counts["messages"] = session.execute(
                update(Message).where(Message.project == project, Message.conversation_id.in_(conv_ids))
                .values(text="", author="")).rowcount or 0  # type: ignore[attr-defined]
            for item in session.scalars(select(OutboxItem).where(OutboxItem.project == project,
                                                                 OutboxItem.conversation_id.in_(conv_ids))):
                item.payload = {k: ("" if k in PERSONAL_EVENT_KEYS and v else v)
                                for k, v in (item.payload or {}).items()}
            for conv in session.scalars(select(Conversation).where(Conversation.id.in_(conv_ids))):
                conv.customer_name, conv.subject = "", ""
                conv.details = {k: v for k, v in (conv.details or {}).items() if k != "customer_ref"}
            rewritten = 0
            for event in session.scalars(select(EventRecord).where(EventRecord.project == project,
                                                                  EventRecord.contact_id.in_(conv_ids))):
                data = event.data or {}
                if any(data.get(key) for key in PERSONAL_EVENT_KEYS):
                    # Blanked, not dropped: the event keeps its shape (docs/events.md).
                    event.data = {k: ("" if k in PERSONAL_EVENT_KEYS and v else v) for k, v in data.items()}
                    rewritten += 1
            counts["events"] = rewritten
            counts["quality"] = erase_quality_texts(session, project, conv_ids)  # quotes in check evidence
        counts["conversations"] = len(conv_ids)
        if visitors:
            session.execute(update(WidgetVisitor).where(WidgetVisitor.project == project,
                                                        WidgetVisitor.id.in_(visitors))
                            .values(name="", phone="", email="", page=""))
        # Orders keep their numbers and amounts (the shop's figures); what may describe the
        # person (a delivery address, a recipient) goes. Tasks keep their times, not their words.
        counts["orders"] = session.execute(
            update(Order).where(Order.project == project, Order.customer_id == customer_id)
            .values(attributes={})).rowcount or 0  # type: ignore[attr-defined]
        counts["tasks"] = session.execute(
            update(Task).where(Task.project == project, Task.customer_id == customer_id)
            .values(title="—", note="", outcome="")).rowcount or 0  # type: ignore[attr-defined]
        counts["identities"] = len(identities)
        session.execute(delete(CustomerIdentity).where(CustomerIdentity.project == project,
                                                       CustomerIdentity.customer_id == customer_id))
        session.execute(delete(CustomerFlag).where(CustomerFlag.project == project,
                                                   CustomerFlag.customer_id == customer_id))
        customer.name, customer.search_name, customer.attributes = "", "", {"erased": True}
        customer.updated_at_us = now_us()
        audit(session, actor, "customer.erased", project, customer_id, **counts)

    svc.run(lambda e: e.note("customer.erased", None, customer_id=customer_id, by=actor), before=erase)
    return counts
