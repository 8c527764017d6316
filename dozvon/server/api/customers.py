"""Customers as the people who serve them see them: find one by phone, e-mail or name, and
the card beside a conversation — identities, segment, and every earlier conversation on
every channel with how it ended. Reads only; the CRM's writes are its actions
(:mod:`dozvon.crm.actions`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from dozvon.acd import queries as live
from dozvon.conversations import queries as conversations
from dozvon.conversations.models import Conversation
from dozvon.crm import queries as crm
from dozvon.server.deps import HubDep, SessionDep
from dozvon.server.gate import needs

router = APIRouter(tags=["customers"])
READ = "customers:read"


@router.get("/projects/{project}/customers", summary="Find customers by phone (any format), e-mail or name",
            **needs(READ))
def find_customers(project: str, session: SessionDep,
                   q: Annotated[str, Query(min_length=1, max_length=200)]) -> dict[str, Any]:
    return {"items": crm.as_dicts(session, project, crm.find(session, project, q))}


@router.get("/projects/{project}/customers/{customer_id}",
            summary="A customer's card: identities, segment and conversations on every channel, newest first",
            **needs(READ))
def customer_card(project: str, customer_id: str, session: SessionDep, hub: HubDep) -> dict[str, Any]:
    customer = crm.get_customer(session, project, customer_id)
    identities = crm.identities_of(session, project, [customer.id])[customer.id]
    history, total = conversations.of_customer(session, project, customer.id)
    names = live.operator_names(hub.service(project))
    return {**crm.as_dicts(session, project, [customer])[0],
            "identities": [{"kind": i.kind, "value": i.value} for i in identities],
            "attributes": customer.attributes, "created_at": customer.created_at_us / 1e6,
            "conversations": [_past(c, names) for c in history], "conversations_total": total}


def _past(c: Conversation, names: dict[str, str]) -> dict[str, Any]:
    return {"id": c.id, "channel": c.channel, "queue": c.queue, "status": c.status, "subject": c.subject,
            "operator_id": c.operator_id, "operator_name": names.get(c.operator_id or "", c.operator_id),
            "created_at": c.created_at_us / 1e6, "closed_at": c.closed_at_us / 1e6 if c.closed_at_us else None,
            "disposition": c.disposition, "csat": (c.details or {}).get("csat")}
