"""Customers as the people who serve them see them: find one by phone, e-mail or name, and
the card beside a conversation — identities, segment, and every earlier conversation on
every channel with how it ended. Writes go through the CRM's actions
(:mod:`dozvon.crm.actions`): a customer added or edited here (``customers:edit``, which
operators hold: they fix the card of the person in front of them), the segment only by
whoever holds ``customers:manage`` — it raises routing priority and opens discounts, so
an operator does not hand it out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field
from sqlalchemy import select

from dozvon.accounts.permissions import Principal
from dozvon.acd import queries as live
from dozvon.conversations import queries as conversations
from dozvon.core.errors import Forbidden, NotFound
from dozvon.crm import actions as crm_actions
from dozvon.crm import discounts, flags, orders, privacy, timeline
from dozvon.crm import queries as crm
from dozvon.crm.models import Order
from dozvon.quality import queries as quality
from dozvon.server.deps import Body, CallerDep, HubDep, SessionDep, page
from dozvon.server.gate import needs
from dozvon.tasks import queries as task_queries

router = APIRouter(tags=["customers"])
READ = "customers:read"
EDIT = "customers:edit"
MANAGE = "customers:manage"
CARD_ORDERS = 5
Identity = Annotated[str, Field(max_length=200)]
AttributeName = Annotated[str, Field(min_length=1, max_length=64)]
AttributeValue = Annotated[str, Field(max_length=1000)] | int | float | bool | None


@router.get("/projects/{project}/customers", summary="Find customers by phone (any format), e-mail or name",
            **needs(READ))
def find_customers(project: str, session: SessionDep,
                   q: Annotated[str, Query(min_length=1, max_length=200)]) -> dict[str, Any]:
    return {"items": crm.as_dicts(session, project, crm.find(session, project, q))}


@router.get("/projects/{project}/customers/{customer_id}",
            summary="A customer's card: identities, segment, flags, discount, orders, open tasks, and the "
                    "history on every channel in one timeline, newest first",
            **needs(READ))
def customer_card(project: str, customer_id: str, session: SessionDep, hub: HubDep) -> dict[str, Any]:
    customer = crm.get_customer(session, project, customer_id)
    identities = crm.identities_of(session, project, [customer.id])[customer.id]
    history, total = conversations.of_customer(session, project, customer.id)
    checked = quality.results_of(session, project, [c.id for c in history])  # the automatic checks, in short
    names = live.operator_names(hub.service(project))
    segment = customer.segment or customer.auto_segment
    offer = discounts.for_segment(discounts.policy_of(session, project), segment)
    now = int(hub.clock.now() * 1_000_000)
    bought = session.scalars(select(Order).where(Order.project == project, Order.customer_id == customer.id)
                             .order_by(Order.placed_at_us.desc(), Order.id.desc()).limit(CARD_ORDERS))
    return {**crm.as_dicts(session, project, [customer])[0],
            "segment_given": customer.segment,  # what a person set; "segment" may be the rules'
            "discount": discounts.as_dicts([offer])[0] if offer is not None else None,
            "flags": [flags.flag_dict(f) for f in flags.active(session, project, [customer.id]).get(customer.id, [])],
            "identities": [{"kind": i.kind, "value": i.value} for i in identities],
            "attributes": customer.attributes, "created_at": customer.created_at_us / 1e6,
            "conversations": [{**timeline.conversation_entry(c, names), "quality": checked.get(c.id)} for c in history],
            "conversations_total": total,
            "orders": [orders.as_dict(o) for o in bought],
            "open_tasks": [task_queries.task_dict(t, names, now)
                           for t in task_queries.list_tasks(session, project, customer_id=customer.id, limit=20)],
            "timeline": timeline.timeline(session, project, customer.id, names)}


@router.get("/projects/{project}/customers/{customer_id}/timeline",
            summary="The customer's history, a page at a time: conversations, calls, notes, orders and tasks, "
                    "newest first; page on with before_us=next_before_us", **needs(READ))
def customer_timeline(project: str, customer_id: str, session: SessionDep, hub: HubDep,
                      before_us: Annotated[int | None, Query(ge=0)] = None,
                      limit: Annotated[int, Query(ge=1, le=200)] = timeline.LIMIT) -> dict[str, Any]:
    customer = crm.get_customer(session, project, customer_id)
    names = live.operator_names(hub.service(project))
    return timeline.timeline(session, project, customer.id, names, before_us=before_us, limit=limit)


# ----------------------------------------------------------------- adding and editing

class CustomerIn(Body):
    """A field left out stays as it is; ``phones`` and ``emails`` are whole lists."""

    name: str | None = Field(default=None, max_length=crm_actions.NAME_LIMIT)
    phones: list[Identity] | None = Field(default=None, max_length=crm_actions.CARD_IDENTITY_LIMIT)
    emails: list[Identity] | None = Field(default=None, max_length=crm_actions.CARD_IDENTITY_LIMIT)
    #: A segment a person gives (vip, partner …); "" hands it back to the project's rules.
    segment: str | None = Field(default=None, max_length=crm_actions.SEGMENT_LIMIT)
    #: Merged into the customer's attributes; a name set to null is removed.
    attributes: dict[AttributeName, AttributeValue] | None = Field(default=None, max_length=50)

    def edit(self) -> crm_actions.CardEdit:
        return crm_actions.CardEdit(name=self.name, phones=self.phones, emails=self.emails, segment=self.segment,
                                    attributes=self.attributes)


def _segment_allowed(body: CustomerIn, caller: Principal, project: str) -> None:
    if body.segment is not None and not caller.can(MANAGE, project):
        raise Forbidden("crm.segment_not_allowed", field="segment")


@router.post("/projects/{project}/customers", status_code=201,
             summary="Add a customer: a name, phones and e-mails (normalised; one that belongs to another customer "
                     "is refused with 409), a segment (customers:manage) and attributes; audited; answers the card",
             **needs(EDIT))
def create_customer(project: str, body: CustomerIn, caller: CallerDep, session: SessionDep,
                    hub: HubDep) -> dict[str, Any]:
    _segment_allowed(body, caller, project)
    customer = crm_actions.create_from_card(session, caller.name, project, body.edit())
    return customer_card(project, customer.id, session, hub)


@router.patch("/projects/{project}/customers/{customer_id}",
              summary="Change a customer: name, the whole list of phones or e-mails (a number taken off no longer "
                      "finds them; one of another customer is refused with 409 — merge instead), the segment "
                      "(customers:manage; \"\" gives it back to the rules), attributes (null removes one); audited; "
                      "answers the card", **needs(EDIT))
def edit_customer(project: str, customer_id: str, body: CustomerIn, caller: CallerDep, session: SessionDep,
                  hub: HubDep) -> dict[str, Any]:
    _segment_allowed(body, caller, project)
    crm_actions.edit_customer(session, caller.name, project, customer_id, body.edit())
    return customer_card(project, customer_id, session, hub)


# ----------------------------------------------------------------- flags

class FlagIn(Body):
    reason: str = Field(default="", max_length=flags.REASON_LIMIT)


@router.get("/projects/{project}/customers/{customer_id}/flags",
            summary="The customer's flags, in force and lifted, newest first", **needs(READ))
def flag_history(project: str, customer_id: str, session: SessionDep) -> dict[str, Any]:
    crm.get_customer(session, project, customer_id)
    return page([flags.flag_dict(f) for f in flags.history(session, project, customer_id)])


@router.put("/projects/{project}/customers/{customer_id}/flags/{kind}",
            summary="Flag a customer: competitor, blocked or do_not_call, saying why", **needs("customers:flag"))
def put_flag(project: str, customer_id: str, kind: str, body: FlagIn, caller: CallerDep,
             session: SessionDep) -> dict[str, Any]:
    return flags.flag_dict(crm_actions.set_flag(session, caller.name, project, customer_id, kind, body.reason))


@router.delete("/projects/{project}/customers/{customer_id}/flags/{kind}", status_code=204,
               summary="Lift a flag (its history stays)", **needs("customers:manage"))
def delete_flag(project: str, customer_id: str, kind: str, caller: CallerDep, session: SessionDep) -> Response:
    if not crm_actions.clear_flag(session, caller.name, project, customer_id, kind):
        raise NotFound("crm.no_flag", customer=customer_id, kind=kind)
    return Response(status_code=204)


class FlagPolicyIn(Body):
    competitor_queue: str | None = Field(default=None, min_length=1, max_length=128)
    blocked_refuse: bool = True
    blocked_text: str = Field(default="", max_length=2000)


@router.get("/projects/{project}/flag-policy", summary="What each flag does in this project",
            **needs("customers:read|settings:manage"))
def get_flag_policy(project: str, session: SessionDep) -> dict[str, Any]:
    return flags.policy_of(session, project).to_dict()


@router.put("/projects/{project}/flag-policy",
            summary="Set what each flag does: the competitors' queue, whether a blocked customer is turned away "
                    "and what they read", **needs("settings:manage"))
def put_flag_policy(project: str, body: FlagPolicyIn, caller: CallerDep, session: SessionDep,
                    hub: HubDep) -> dict[str, Any]:
    policy = flags.FlagPolicy(body.competitor_queue, body.blocked_refuse, body.blocked_text)
    queues = {q["name"] for q in live.queues(hub.service(project))[0]}
    return crm_actions.set_flag_policy(session, caller.name, project, policy, queues).to_dict()


class MergeIn(Body):
    merged: str = Field(min_length=1, max_length=32)


@router.post("/projects/{project}/customers/{customer_id}/merge",
             summary="Fold another customer record into this one (the same person): identities, conversations "
                     "and flags follow; the event customer.merged maps the old id", **needs("customers:manage"))
def merge(project: str, customer_id: str, body: MergeIn, caller: CallerDep, hub: HubDep,
          session: SessionDep) -> dict[str, Any]:
    crm_actions.do_merge_customers(hub.service(project), caller.name, customer_id, body.merged)
    return customer_card(project, customer_id, session, hub)


@router.get("/projects/{project}/customers/{customer_id}/export",
            summary="Everything stored about the customer, as JSON (personal-data request; audited)",
            **needs("customers:manage"))
def export(project: str, customer_id: str, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    return privacy.export_customer(session, caller.name, project, customer_id)


@router.post("/projects/{project}/customers/{customer_id}/erase",
             summary="Erase the customer's personal data on request: fields, identities, message texts, mails, "
                     "files and recordings; the KPI events keep their numbers (audited, and the event "
                     "customer.erased)",
             **needs("customers:manage"))
def erase(project: str, customer_id: str, caller: CallerDep, hub: HubDep, request: Request) -> dict[str, int]:
    return privacy.do_erase_customer(hub.service(project), caller.name, customer_id,
                                     data_dir=request.app.state.settings.data_dir)


class DiscountIn(Body):
    segment: str = Field(min_length=1, max_length=32)
    max_percent: float = Field(gt=0, le=100)
    note: str = Field(default="", max_length=1000)


class DiscountPolicyIn(Body):
    discounts: list[DiscountIn] = Field(default_factory=list, max_length=discounts.MAX_RULES)


@router.get("/projects/{project}/discount-policy",
            summary="What an operator may offer to which segment", **needs("customers:read|settings:manage"))
def get_discounts(project: str, session: SessionDep) -> dict[str, Any]:
    return {"discounts": discounts.as_dicts(discounts.policy_of(session, project))}


@router.put("/projects/{project}/discount-policy",
            summary="Set the discount policy: per segment, the largest discount and its conditions (audited)",
            **needs("settings:manage"))
def put_discounts(project: str, body: DiscountPolicyIn, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    lines = discounts.from_dicts([d.model_dump() for d in body.discounts])
    return {"discounts": discounts.as_dicts(crm_actions.set_discount_policy(session, caller.name, project, lines))}
